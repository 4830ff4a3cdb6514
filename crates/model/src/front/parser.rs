//! The parser's token cursor and the expression grammar. The statement grammar and the
//! entry point [`parse`](super::parse) are in the parent module.
//!
//! Expressions use precedence climbing for the binary levels, so a nesting level of
//! brackets costs only a handful of stack frames; nesting is bounded by [`MAX_DEPTH`].

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::lexer::{Kw, Tok, Token};

/// The nesting limit: brackets, prefix operators and indented blocks together may nest at
/// most this deep, and an expression's tree may be at most about this high (a postfix
/// chain such as `a.b.b.b` or `f(0)(0)(0)` counts one level per link). A chain of binary
/// operators of one precedence (`1 + 1 + ... + 1`, `a and b and ... and z`) is a single
/// flat node whatever its length, so it costs one level. Deeper input is a located error
/// rather than a stack overflow, and every tree the parser returns is at most
/// `MAX_DEPTH + 3` nodes deep, statements and expressions together.
pub const MAX_DEPTH: u32 = 200;

pub(crate) type PResult<T> = Result<T, Diagnostic>;

/// `return Err(...)` with a diagnostic at `$span` whose message is `format!(...)`.
macro_rules! bail {
    ($p:ident, $span:expr => $($fmt:tt)*) => {
        return Err($p.error($span, format!($($fmt)*)))
    };
}
pub(crate) use bail;

// Binding powers of the binary levels (`not` is a prefix operator between `and` and the
// comparisons; unary minus and `**` are handled in `unary`).
pub(crate) const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const BIT_OR: u8 = 5;
const BIT_XOR: u8 = 6;
const BIT_AND: u8 = 7;
const ADD: u8 = 8;
const MUL: u8 = 9;

enum Infix {
    Logic(LogicOp),
    Cmp,
    Arith(BinOp),
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// The parser state: a cursor over the tokens plus context for the static checks.
pub(crate) struct Parser<'a> {
    pub(crate) path: &'a str,
    /// Never empty: the lexer always ends it with `Eof`.
    pub(crate) toks: Vec<Token>,
    pub(crate) pos: usize,
    /// Current nesting of blocks, brackets and prefix operators.
    pub(crate) depth: u32,
    pub(crate) in_function: bool,
    /// Loops enclosing the current statement in the current function.
    pub(crate) loops: u32,
    /// The top-level imports read so far (see `pyfile.rs`).
    pub(crate) imports: Vec<Import>,
    /// Inside a method: its class's name and its receiver's (for `super()`).
    pub(crate) method: Option<(String, String)>,
}

impl Parser<'_> {
    pub(crate) fn tok(&self, n: usize) -> &Token {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[(self.pos + n).min(last)]
    }

    pub(crate) fn peek(&self) -> &Tok {
        &self.tok(0).tok
    }

    pub(crate) fn span(&self) -> Span {
        self.tok(0).span
    }

    /// Moves past the current token (never past `Eof`) and returns its span.
    pub(crate) fn bump(&mut self) -> Span {
        let span = self.span();
        self.pos = (self.pos + 1).min(self.toks.len().saturating_sub(1));
        span
    }

    pub(crate) fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    pub(crate) fn is_kw(&self, kw: Kw) -> bool {
        *self.peek() == Tok::Kw(kw)
    }

    pub(crate) fn eat_op(&mut self, op: &str) -> bool {
        let yes = self.is_op(op);
        if yes {
            self.bump();
        }
        yes
    }

    pub(crate) fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.path, span, message)
    }

    /// "expected {what}" at the current token; at the end of a line the error points just
    /// past the previous token.
    pub(crate) fn unexpected(&self, what: &str) -> Diagnostic {
        let t = self.tok(0);
        if t.tok == Tok::Newline && self.pos > 0 {
            return self.error(self.toks[self.pos - 1].end, format!("expected {what}"));
        }
        if t.tok == Tok::Op("@") {
            return self.error(
                t.span,
                "the matrix-multiplication operator `@` is not supported (tensors are ints in models: use `*`); a decorator must start its own line before a `def`",
            );
        }
        let found = t.tok.describe();
        self.error(t.span, format!("expected {what}, found {found}"))
    }

    pub(crate) fn expect_op(&mut self, op: &str, what: &str) -> PResult<Span> {
        if !self.is_op(op) {
            return Err(self.unexpected(what));
        }
        Ok(self.bump())
    }

    pub(crate) fn name(&mut self, what: &str) -> PResult<String> {
        let Tok::Name(n) = self.peek() else {
            return Err(self.unexpected(what));
        };
        let n = n.clone();
        self.bump();
        Ok(n)
    }

    /// Parses `what` after `op` if the next token is `op`.
    pub(crate) fn opt_after<T>(
        &mut self,
        op: &str,
        what: fn(&mut Self) -> PResult<T>,
    ) -> PResult<Option<T>> {
        if self.eat_op(op) {
            what(self).map(Some)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn enter(&mut self, span: Span) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            bail!(self, span => "too deeply nested (the limit is {MAX_DEPTH} levels)");
        }
        self.depth += 1;
        Ok(())
    }

    pub(crate) fn check_height(&self, height: u32, span: Span) -> PResult<()> {
        if self.depth.saturating_add(height) > MAX_DEPTH + 1 {
            bail!(self, span => "expression nested too deeply (limit: {MAX_DEPTH} levels)");
        }
        Ok(())
    }

    pub(crate) fn at_expr_start(&self) -> bool {
        match self.peek() {
            Tok::Name(_) | Tok::Int(_) | Tok::Float(_) | Tok::Str(_) | Tok::FStr(_) => true,
            Tok::Kw(kw) => matches!(kw, Kw::True | Kw::False | Kw::None | Kw::Not | Kw::Lambda),
            Tok::Op(op) => matches!(*op, "(" | "[" | "{" | "-" | "+" | "*"),
            _ => false,
        }
    }

    /// `first` alone, or a tuple of `first` and the items parsed by `item` after each
    /// comma while `more` holds (so a trailing comma is allowed).
    pub(crate) fn tuple_of(
        &mut self,
        first: Expr,
        item: fn(&mut Self) -> PResult<Expr>,
        more: fn(&Self) -> bool,
    ) -> PResult<Expr> {
        if !self.is_op(",") {
            return Ok(first);
        }
        let span = first.span;
        let mut items = vec![first];
        while self.eat_op(",") && more(self) {
            items.push(item(self)?);
        }
        Ok(Expr::new(ExprKind::Tuple(items), span))
    }

    /// Expressions separated by commas, a tuple if there is a comma (`a, b = 1, 2`).
    pub(crate) fn expr_list(&mut self) -> PResult<Expr> {
        let first = self.expr()?;
        self.tuple_of(first, Self::expr, Self::at_expr_start)
    }

    /// A full expression, including `a if c else b`.
    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.enter(self.span())?;
        let e = if self.is_kw(Kw::Lambda) {
            self.lambda()
        } else {
            self.ternary()
        };
        self.depth -= 1;
        e
    }

    /// `lambda params: body`, a nested function returning `body`.
    fn lambda(&mut self) -> PResult<Expr> {
        let span = self.bump();
        let params = self.params(":", false)?;
        self.expect_op(":", "':' after the lambda's parameters")?;
        let body = self.expr()?;
        let ret = Stmt {
            span: body.span,
            kind: StmtKind::Return(Some(body)),
        };
        let def = FunctionDef {
            name: "<lambda>".to_string(),
            params,
            body: vec![ret],
            span,
            returns: None,
            decorators: Vec::new(),
            id: 0,
            slot: Slot::Unresolved,
        };
        Ok(Expr::new(ExprKind::Lambda(Box::new(def)), span))
    }

    fn ternary(&mut self) -> PResult<Expr> {
        let then = self.binary(OR)?;
        if !self.is_kw(Kw::If) {
            return Ok(then);
        }
        self.bump();
        let cond = bx(self.binary(OR)?);
        if !self.is_kw(Kw::Else) {
            return Err(self.unexpected("`else` in the conditional expression"));
        }
        self.bump();
        let (orelse, span) = (bx(self.expr()?), then.span);
        let then = bx(then);
        Ok(Expr::new(ExprKind::IfExp { cond, then, orelse }, span))
    }

    fn infix(&self) -> Option<(u8, Infix)> {
        Some(match self.peek() {
            Tok::Kw(Kw::Or) => (OR, Infix::Logic(LogicOp::Or)),
            Tok::Kw(Kw::And) => (AND, Infix::Logic(LogicOp::And)),
            Tok::Kw(Kw::In | Kw::Is) => (CMP, Infix::Cmp),
            Tok::Kw(Kw::Not) if self.tok(1).tok == Tok::Kw(Kw::In) => (CMP, Infix::Cmp),
            Tok::Op("==" | "!=" | "<" | "<=" | ">" | ">=") => (CMP, Infix::Cmp),
            Tok::Op("|") => (BIT_OR, Infix::Arith(BinOp::BitOr)),
            Tok::Op("^") => (BIT_XOR, Infix::Arith(BinOp::BitXor)),
            Tok::Op("&") => (BIT_AND, Infix::Arith(BinOp::BitAnd)),
            Tok::Op("+") => (ADD, Infix::Arith(BinOp::Add)),
            Tok::Op("-") => (ADD, Infix::Arith(BinOp::Sub)),
            Tok::Op("*") => (MUL, Infix::Arith(BinOp::Mul)),
            Tok::Op("/") => (MUL, Infix::Arith(BinOp::Div)),
            Tok::Op("//") => (MUL, Infix::Arith(BinOp::FloorDiv)),
            Tok::Op("%") => (MUL, Infix::Arith(BinOp::Mod)),
            _ => return None,
        })
    }

    /// Consumes a comparison operator (one or two tokens), if there is one.
    fn cmp_op(&mut self) -> Option<(CmpOp, Span)> {
        let span = self.span();
        let next = &self.tok(1).tok;
        let op = match self.peek() {
            Tok::Op("==") => CmpOp::Eq,
            Tok::Op("!=") => CmpOp::Ne,
            Tok::Op("<") => CmpOp::Lt,
            Tok::Op("<=") => CmpOp::Le,
            Tok::Op(">") => CmpOp::Gt,
            Tok::Op(">=") => CmpOp::Ge,
            Tok::Kw(Kw::In) => CmpOp::In,
            Tok::Kw(Kw::Not) if *next == Tok::Kw(Kw::In) => CmpOp::NotIn,
            Tok::Kw(Kw::Is) if *next == Tok::Kw(Kw::Not) => CmpOp::IsNot,
            Tok::Kw(Kw::Is) => CmpOp::Is,
            _ => return None,
        };
        if matches!(op, CmpOp::NotIn | CmpOp::IsNot) {
            self.bump();
        }
        self.bump();
        Some((op, span))
    }

    /// Binary operators of binding power `min` and above, by precedence climbing.
    pub(crate) fn binary(&mut self, min: u8) -> PResult<Expr> {
        let mut left = if min <= NOT && self.is_kw(Kw::Not) {
            let span = self.bump();
            self.enter(span)?;
            let operand = self.binary(NOT).map(bx);
            self.depth -= 1;
            let (op, operand) = (UnaryOp::Not, operand?);
            Expr::new(ExprKind::Unary { op, operand }, span)
        } else {
            self.unary()?
        };
        // The height of `left`, and the precedence of the chain `left` is if this loop
        // built it (a later operator of that level extends it in place: flat chains).
        let (mut height, mut chain) = (None, None);
        while let Some((prec, infix)) = self.infix().filter(|(prec, _)| *prec >= min) {
            let (op_span, span) = (self.span(), left.span);
            let h0 = *height.get_or_insert_with(|| left.height());
            let extend = chain == Some(prec);
            let h = match infix {
                Infix::Logic(op) => {
                    self.bump();
                    let right = self.binary(prec + 1)?;
                    let hr = right.height();
                    match &mut left.kind {
                        ExprKind::Logic { values, .. } if extend => {
                            values.push(right);
                            h0.max(hr + 1)
                        }
                        _ => {
                            let values = vec![left, right];
                            left = Expr::new(ExprKind::Logic { op, values }, span);
                            h0.max(hr) + 1
                        }
                    }
                }
                Infix::Arith(op) => {
                    self.bump();
                    let right = self.binary(prec + 1)?;
                    let hr = right.height();
                    let link = Operation {
                        op,
                        span: op_span,
                        right,
                    };
                    match &mut left.kind {
                        ExprKind::Binary { rest, .. } if extend => {
                            rest.push(link);
                            h0.max(hr + 1)
                        }
                        _ => {
                            let (left_box, rest) = (bx(left), vec![link]);
                            let kind = ExprKind::Binary {
                                left: left_box,
                                rest,
                            };
                            left = Expr::new(kind, span);
                            h0.max(hr) + 1
                        }
                    }
                }
                Infix::Cmp => {
                    let (mut rest, mut hr) = (Vec::new(), 0);
                    while let Some((op, span)) = self.cmp_op() {
                        let right = self.binary(CMP + 1)?;
                        hr = hr.max(right.height());
                        rest.push(Comparison { op, span, right });
                    }
                    left = Expr::new(
                        ExprKind::Compare {
                            left: bx(left),
                            rest,
                        },
                        span,
                    );
                    h0.max(hr) + 1
                }
            };
            self.check_height(h, op_span)?;
            height = Some(h);
            chain = Some(prec);
        }
        Ok(left)
    }

    /// Unary `-`/`+`, then a primary with an optional `** exponent`.
    fn unary(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            Tok::Op("-") => UnaryOp::Neg,
            Tok::Op("+") => UnaryOp::Pos,
            _ => {
                let base = self.postfix()?;
                if !self.is_op("**") {
                    return Ok(base);
                }
                let op_span = self.bump();
                self.enter(op_span)?;
                let right = self.unary();
                self.depth -= 1;
                let (left, right) = (bx(base), right?);
                self.check_height(left.height().max(right.height()) + 1, op_span)?;
                let span = left.span;
                let rest = vec![Operation {
                    op: BinOp::Pow,
                    span: op_span,
                    right,
                }];
                return Ok(Expr::new(ExprKind::Binary { left, rest }, span));
            }
        };
        let span = self.bump();
        self.enter(span)?;
        let operand = self.unary().map(bx);
        self.depth -= 1;
        let operand = operand?;
        Ok(Expr::new(ExprKind::Unary { op, operand }, span))
    }

    /// An atom followed by calls, attributes and subscripts.
    pub(crate) fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        let mut height = None;
        loop {
            let (paren, span) = (self.span(), e.span);
            let h0 = *height.get_or_insert_with(|| e.height());
            let (kind, hr) = if self.eat_op("(") {
                let (args, kwargs) = self.call_args()?;
                let values = args.iter().chain(kwargs.iter().map(|k| &k.value));
                let hr = values.map(Expr::height).max().unwrap_or(0);
                let call = Call {
                    func: bx(e),
                    args,
                    kwargs,
                    span,
                    paren,
                };
                (ExprKind::Call(Box::new(call)), hr)
            } else if self.eat_op(".") {
                let attr = self.name("an attribute name after '.'")?;
                (ExprKind::Attribute { value: bx(e), attr }, 0)
            } else if self.eat_op("[") {
                let index = bx(self.subscript()?);
                self.expect_op("]", "']' after the index")?;
                let hr = index.height();
                (
                    ExprKind::Subscript {
                        value: bx(e),
                        index,
                    },
                    hr,
                )
            } else {
                return Ok(e);
            };
            let h = h0.max(hr).saturating_add(1);
            self.check_height(h, paren)?;
            height = Some(h);
            e = Expr::new(kind, span);
        }
    }

    /// The items of `(...)` or `[...]` after the opening bracket, and the closing one;
    /// or a comprehension (then the only item, and `true`).
    fn items(&mut self, close: &str) -> PResult<(Vec<Expr>, bool)> {
        let mut items = Vec::new();
        while !self.is_op(close) {
            let e = self.expr()?;
            if self.is_kw(Kw::For) {
                if !items.is_empty() {
                    bail!(self, self.span() => "a comprehension must be alone in its brackets");
                }
                let kind = if close == "]" {
                    CompKind::List
                } else {
                    CompKind::Generator
                };
                let comp = self.comprehension(kind, e, None)?;
                self.expect_op(close, &format!("'{close}' after the comprehension"))?;
                return Ok((vec![comp], true));
            }
            items.push(e);
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(close, &format!("',' or '{close}'"))?;
        Ok((items, false))
    }

    fn atom(&mut self) -> PResult<Expr> {
        let (span, before) = (self.span(), self.pos);
        let tok = self.peek().clone();
        self.bump();
        let kind = match tok {
            Tok::Name(n) if n == "super" && self.is_op("(") => {
                return self.super_attribute(span);
            }
            Tok::Name(n) => ExprKind::Name(n),
            Tok::Int(i) => ExprKind::Int(i),
            Tok::Float(f) => ExprKind::Float(f),
            Tok::Str(mut s) => {
                while let Tok::Str(more) = self.peek() {
                    s.push_str(more);
                    self.bump();
                }
                ExprKind::Str(s)
            }
            Tok::FStr(text) => return self.fstring(&text, span),
            Tok::Kw(Kw::True) => ExprKind::Bool(true),
            Tok::Kw(Kw::False) => ExprKind::Bool(false),
            Tok::Kw(Kw::None) => ExprKind::None,
            Tok::Op("(") => {
                let trailing_comma = |p: &Self| {
                    let last = p.toks.get(p.pos.wrapping_sub(2));
                    last.is_some_and(|t| t.tok == Tok::Op(","))
                };
                let (mut items, comp) = self.items(")")?;
                if comp || (items.len() == 1 && !trailing_comma(self)) {
                    return Ok(items.remove(0));
                }
                ExprKind::Tuple(items)
            }
            Tok::Op("[") => match self.items("]")? {
                (mut items, true) => return Ok(items.remove(0)),
                (items, false) => ExprKind::List(items),
            },
            Tok::Op("{") => match self.dict()? {
                Ok(kind) => kind,
                Err(comp) => return Ok(comp),
            },
            Tok::Op("*") => {
                bail!(self, span => "`*` unpacking is only supported among a call's arguments (`f(*args)`)")
            }
            Tok::Kw(Kw::Reserved(w)) => {
                bail!(self, span => "{}", super::stmt::reserved_message(w))
            }
            _ => {
                self.pos = before;
                return Err(self.unexpected("an expression"));
            }
        };
        Ok(Expr::new(kind, span))
    }

    /// The rest of a dict or set display after `{`: a dict or set literal, or (`Err`) a
    /// comprehension.
    fn dict(&mut self) -> PResult<Result<ExprKind, Expr>> {
        let mut pairs = Vec::new();
        while !self.is_op("}") {
            let key = self.expr()?;
            if pairs.is_empty() && (self.is_op(",") || self.is_op("}") || self.is_kw(Kw::For)) {
                return self.set(key);
            }
            self.expect_op(":", "':' after the dict key")?;
            let value = self.expr()?;
            if self.is_kw(Kw::For) {
                if !pairs.is_empty() {
                    bail!(self, self.span() => "a comprehension must be alone in its brackets");
                }
                let comp = self.comprehension(CompKind::Dict, key, Some(value))?;
                self.expect_op("}", "'}' after the comprehension")?;
                return Ok(Err(comp));
            }
            pairs.push((key, value));
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op("}", "',' or '}'")?;
        Ok(Ok(ExprKind::Dict(pairs)))
    }

    /// The rest of a set display after its first element `first`.
    fn set(&mut self, first: Expr) -> PResult<Result<ExprKind, Expr>> {
        if self.is_kw(Kw::For) {
            let comp = self.comprehension(CompKind::Set, first, None)?;
            self.expect_op("}", "'}' after the comprehension")?;
            return Ok(Err(comp));
        }
        let mut items = vec![first];
        while self.eat_op(",") && !self.is_op("}") {
            items.push(self.expr()?);
            if self.is_kw(Kw::For) {
                bail!(self, self.span() => "a comprehension must be alone in its brackets");
            }
        }
        self.expect_op("}", "',' or '}'")?;
        Ok(Ok(ExprKind::Set(items)))
    }
}
