//! The model language: a small Python subset (`.fw` files) mirroring the TorchScript code
//! that uses `fork`/`wait`, parsed here into a tree for an interpreter.
//!
//! ```python
//! # expect: nondeterministic, impure
//! counter = 0
//!
//! class AddMod:
//!     def forward(self, a, b):
//!         return a + b
//!
//! def bump():
//!     global counter
//!     counter = counter + 1
//!
//! def main():
//!     a = fork(bump)
//!     wait(a)
//!     return wait(fork(AddMod(), counter, b=2))
//! ```
//!
//! # Syntax
//!
//! * **Layout.** Blocks are indented with spaces (a tab in indentation is an error; a tab
//!   elsewhere is whitespace). `#` starts a comment. Newlines inside `()`, `[]`, `{}` and
//!   after a trailing `\` are ignored. Several simple statements may share a line with
//!   `;`, and a block may follow its `:` on the same line (`if x: pass`).
//! * **Header.** Among the comment and blank lines that open the file, a
//!   `# expect: word, word` comment lists the expected verdicts, each one of
//!   [`VERDICTS`]; it becomes [`Program::expect`].
//! * **Definitions** (top level only): `def name(params):` with optional defaults
//!   (`b=2`) and ignored annotations (`x: int`, `-> int`); `class Name:` (an optional
//!   base list is ignored) whose body holds only methods, `pass` and docstrings.
//!   Functions and classes are hoisted: all are visible from the start.
//! * **Statements:** assignment to a name, attribute, subscript or tuple of targets
//!   (`a, b = ...`), `x: T = e` (annotation dropped), augmented assignment
//!   (`+= -= *= /= //= %= **=`), `if`/`elif`/`else`, `while`, `for t in e:`, `break`,
//!   `continue`, `return [e]`, `assert e[, msg]`, `pass`, `global a, b`,
//!   `with e [as t]:`, and expression statements.
//! * **Expressions**, loosest first: `a if c else b`; `or`; `and`; `not`; comparisons
//!   `== != < <= > >= in, not in, is, is not` (chains such as `a < b < c` allowed);
//!   `+ -`; `* / // %`; unary `- +`; `**`; calls `f(a, b=2)`, attributes `a.b`,
//!   subscripts `a[i]` and slices `a[i:j:k]`; literals: integers (decimal, `0x`, `0o`,
//!   `0b`, `_` separators), floats, strings in `'` or `"` (or tripled) with escapes
//!   `\n \t \r \0 \\ \' \"`, `True`, `False`, `None`, lists, tuples (`()`, `(x,)`), dicts.
//!   Builtins (`fork`, `wait`, `len`, `range`, `Lock`, ...) are ordinary names.
//!   A chain of operators of one level (`1 + 2 + ... + n`, `a and b and ...`) may be of
//!   any length: it is one flat node, so only true nesting counts against [`MAX_DEPTH`].
//! * **Rejected with a clear error:** nested `def`/`class`, comprehensions, lambdas,
//!   `*args`/`**kwargs`, set literals, bitwise operators, `try`/`raise`/`import`/...,
//!   loop `else`, chained assignment `a = b = c`, nesting deeper than [`MAX_DEPTH`].
//!
//! Errors are [`Diagnostic`]s located at a line and column, rendered like rustc's:
//!
//! ```
//! let src = "x = 1\nif x == 1\n    pass\n";
//! let err = forkwait_model::parse("models/foo.fw", src).unwrap_err();
//! assert_eq!((err.line, err.col), (2, 10));
//! assert_eq!(
//!     err.render(src),
//!     "error: expected ':' after the condition\n \
//!      --> models/foo.fw:2:10\n  |\n2 | if x == 1\n  |          ^"
//! );
//! ```
//!
//! # Running models
//!
//! [`Model`] loads a file (parse, then static checks: unknown names, argument counts of
//! direct calls, operators on literals), and [`Model::run_main`] runs it on the library:
//! `fork` is [`forkwait::fork`], and every global variable, instance attribute, list and dict
//! is [`forkwait::sync`] state, so a model runs in every mode and the simulator classifies its
//! impure writes as `input`, `module-attribute` or `global`. [`check_model`] is what
//! `forkwait check` runs: it explores a model with [`CheckOptions`] and compares the
//! [`verdicts`] with the `# expect:` header.
//!
//! ```
//! use forkwait_model::{CheckOptions, Model, check_model};
//! let src = "\
//! ## expect: nondeterministic, impure
//! def add(log, x):
//!     with lock:
//!         log.append(x)
//!
//! lock = Lock()
//!
//! def main():
//!     log = []
//!     a = fork(add, log, 1)
//!     b = fork(add, log, 2)
//!     wait(a)
//!     wait(b)
//!     return log
//! ";
//! let model = Model::from_source("appends.fw", src).unwrap();
//! let check = check_model(&model, &CheckOptions { iterations: 200, ..Default::default() });
//! assert!(check.ok, "{}", check.report);
//! let outcomes: Vec<&str> = check.report.outcomes().iter().map(|o| o.value.as_str()).collect();
//! assert!(outcomes.contains(&"[1, 2]") && outcomes.contains(&"[2, 1]"));
//! ```

mod access;
pub mod ast;
mod builtins;
mod check;
pub mod diag;
mod interp;
mod lexer;
mod load;
mod ops;
mod parser;
mod resolve;
mod snapshot;
mod stack;
mod tasks;
mod value;

pub use self::ast::{
    BinOp, Call, ClassDef, CmpOp, Comparison, Expr, ExprKind, FunctionDef, IfBranch, Keyword,
    LogicOp, Operation, Param, Program, Span, Stmt, StmtKind, Target, TargetKind, UnaryOp,
    VERDICTS,
};
pub use self::builtins::Builtin;
pub use self::check::{
    CheckOptions, MODEL_STACK_SIZE, ModelCheck, check_model, matches_expectation, verdict, verdicts,
};
pub use self::diag::Diagnostic;
pub use self::interp::{MAX_CALL_DEPTH, YIELD_EVERY};
pub use self::load::{LoadError, Model, POOL_STACK_SIZE, Print};
pub use self::parser::MAX_DEPTH;
pub use self::snapshot::Snapshot;
pub use self::value::{Dict, FutureCell, Instance, List, Lock, Value};

use self::lexer::{Kw, Tok};
use self::parser::{PResult, Parser, bail};

/// Parses the model file `source`, read from `path` (used in diagnostics only).
///
/// Never panics; on error, the diagnostic's line is at most one past the file's last line
/// and its column at most one past the end of that line. Input nested deeper than a dozen
/// levels is parsed on a short-lived helper thread with a large stack, so nesting up to
/// [`MAX_DEPTH`] is safe whatever the caller's stack size.
///
/// ```
/// let src = "# expect: deterministic\ndef main():\n    return 1\n";
/// let p = forkwait_model::parse("m.fw", src)?;
/// assert_eq!(p.expect, Some(vec!["deterministic".to_string()]));
/// assert_eq!(p.function("main").unwrap().body.len(), 1);
/// # Ok::<(), forkwait_model::Diagnostic>(())
/// ```
pub fn parse(path: &str, source: &str) -> Result<Program, Diagnostic> {
    let expect = scan_expect(path, source)?;
    let toks = lexer::tokenize(path, source)?;
    let shallow = lexer::nesting_bound(&toks) <= INLINE_NESTING;
    let mut p = Parser {
        path,
        toks,
        pos: 0,
        depth: 0,
        in_function: false,
        loops: 0,
    };
    let (stmts, functions, classes) = if shallow {
        p.program()?
    } else {
        p.program_on_big_stack()?
    };
    let (expect, expect_span) = expect.map_or((None, None), |(w, s)| (Some(w), Some(s)));
    let (path, source) = (path.to_string(), source.to_string());
    Ok(Program {
        path,
        source,
        expect,
        expect_span,
        stmts,
        functions,
        classes,
    })
}

/// Inputs whose nesting bound is at most this are parsed on the caller's stack: in an
/// unoptimised build that takes up to about a quarter of a MiB, far less when optimised.
const INLINE_NESTING: u32 = 12;

/// The helper thread's stack for deeper inputs: room for [`MAX_DEPTH`] levels of the most
/// stack-hungry nesting in an unoptimised build, with a wide margin.
const PARSER_STACK: usize = 32 << 20;

type Items = (Vec<Stmt>, Vec<FunctionDef>, Vec<ClassDef>);

/// The statement grammar: the file-level structure (top-level statements, functions,
/// classes), then statements and blocks. Expressions are in the `parser` module.
impl Parser<'_> {
    /// [`Parser::program`] on a helper thread with a [`PARSER_STACK`] stack: nesting up to
    /// [`MAX_DEPTH`] recurses deeply, and unoptimised builds use large frames (over 20 KiB
    /// per bracket level), more than a caller's thread may have. Runs on the caller's
    /// thread if the helper cannot be started.
    fn program_on_big_stack(&mut self) -> PResult<Items> {
        let spawned = std::thread::scope(|s| {
            let builder = std::thread::Builder::new().name("forkwait-model-parse".into());
            let handle = builder
                .stack_size(PARSER_STACK)
                .spawn_scoped(s, || self.program());
            handle.map(|h| h.join())
        });
        match spawned {
            Ok(Ok(items)) => items,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => self.program(),
        }
    }

    fn program(&mut self) -> PResult<Items> {
        let (mut stmts, mut functions, mut classes) = (Vec::new(), Vec::new(), Vec::new());
        // Name -> where it was first defined (a map: the check is linear in the file).
        let mut defined: std::collections::BTreeMap<String, Span> = Default::default();
        loop {
            let (name, span) = match self.peek() {
                Tok::Eof => return Ok((stmts, functions, classes)),
                Tok::Kw(Kw::Def) => {
                    functions.push(self.function()?);
                    functions.last().map(|f| (f.name.clone(), f.span))
                }
                Tok::Kw(Kw::Class) => {
                    classes.push(self.class()?);
                    classes.last().map(|c| (c.name.clone(), c.span))
                }
                _ => {
                    self.statement(&mut stmts)?;
                    continue;
                }
            }
            .unwrap_or_default();
            if let Some(first) = defined.get(&name) {
                bail!(self, span => "`{name}` is already defined on line {}", first.line);
            }
            defined.insert(name, span);
        }
    }

    fn function(&mut self) -> PResult<FunctionDef> {
        let span = self.bump();
        let name = self.name("a function name after `def`")?;
        self.expect_op("(", "'(' after the function name")?;
        let mut params: Vec<Param> = Vec::new();
        while !self.is_op(")") {
            let span = self.span();
            if self.is_op("*") || self.is_op("**") || self.is_op("/") {
                bail!(self, span => "`*`, `**` and `/` parameters are not supported");
            }
            let name = self.name("a parameter name")?;
            self.opt_after(":", Parser::expr)?; // a type annotation, dropped
            let default = self.opt_after("=", Parser::expr)?;
            if params.iter().any(|p| p.name == name) {
                bail!(self, span => "duplicate parameter `{name}`");
            }
            if default.is_none() && params.last().is_some_and(|p| p.default.is_some()) {
                bail!(self, span => "a parameter without a default follows one with a default");
            }
            params.push(Param {
                name,
                default,
                span,
            });
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")", "',' or ')' after the parameter")?;
        self.opt_after("->", Parser::expr)?; // the return annotation, dropped
        self.expect_op(":", "':' after the function signature")?;
        let saved = (self.in_function, self.loops);
        (self.in_function, self.loops) = (true, 0);
        let body = self.suite(span, "def");
        (self.in_function, self.loops) = saved;
        let body = body?;
        Ok(FunctionDef {
            name,
            params,
            body,
            span,
        })
    }

    fn class(&mut self) -> PResult<ClassDef> {
        let span = self.bump();
        let name = self.name("a class name after `class`")?;
        if self.eat_op("(") {
            while !self.is_op(")") {
                self.expr()?; // a base class, ignored
                if !self.eat_op(",") {
                    break;
                }
            }
            self.expect_op(")", "')' after the base classes")?;
        }
        self.expect_op(":", "':' after the class name")?;
        let mut methods: Vec<FunctionDef> = Vec::new();
        let other = self.suite_with(span, "class", |p, other| {
            if !p.is_kw(Kw::Def) {
                return p.statement(other);
            }
            let m = p.function()?;
            if m.params.is_empty() {
                bail!(p, m.span => "method `{}` must take `self` as its first parameter", m.name);
            }
            if let Some(first) = methods.iter().find(|f| f.name == m.name) {
                let line = first.span.line;
                bail!(p, m.span => "method `{}` is already defined on line {line}", m.name);
            }
            methods.push(m);
            Ok(())
        })?;
        let allowed = |s: &&Stmt| match &s.kind {
            StmtKind::Pass => true,
            StmtKind::Expr(e) => matches!(e.kind, ExprKind::Str(_)),
            _ => false,
        };
        if let Some(s) = other.iter().find(|s| !allowed(s)) {
            bail!(self, s.span => "only methods, `pass` and docstrings may be in a class body");
        }
        Ok(ClassDef {
            name,
            methods,
            span,
        })
    }

    /// One statement (or one line of `;`-separated simple statements) into `out`.
    fn statement(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let span = self.span();
        let kind = match self.peek() {
            Tok::Indent => bail!(self, span => "unexpected indent"),
            Tok::Dedent | Tok::Eof => return Err(self.unexpected("a statement")),
            Tok::Kw(Kw::If) => self.if_stmt()?,
            Tok::Kw(Kw::While) => {
                self.bump();
                let cond = self.expr()?;
                self.expect_op(":", "':' after the condition")?;
                let body = self.loop_body(span, "while")?;
                StmtKind::While { cond, body }
            }
            Tok::Kw(Kw::For) => {
                self.bump();
                let target = self.target_list()?;
                if !self.is_kw(Kw::In) {
                    return Err(self.unexpected("`in` after the loop variable"));
                }
                self.bump();
                let target = self.target(target)?;
                let iter = self.expr_list()?;
                self.expect_op(":", "':' after the iterable")?;
                let body = self.loop_body(span, "for")?;
                StmtKind::For { target, iter, body }
            }
            Tok::Kw(Kw::With) => {
                self.bump();
                let item = self.expr()?;
                let mut target = None;
                if self.is_kw(Kw::As) {
                    self.bump();
                    let t = self.target_list()?;
                    target = Some(self.target(t)?);
                }
                self.expect_op(":", "':' after the `with` item (only one is supported)")?;
                let body = self.suite(span, "with")?;
                StmtKind::With { item, target, body }
            }
            Tok::Kw(Kw::Def) => bail!(self, span => "functions must be defined at the top level"),
            Tok::Kw(Kw::Class) => bail!(self, span => "classes must be defined at the top level"),
            _ => return self.simple_line(out),
        };
        out.push(Stmt { kind, span });
        Ok(())
    }

    fn if_stmt(&mut self) -> PResult<StmtKind> {
        let (mut branches, mut orelse) = (Vec::new(), Vec::new());
        loop {
            let what = if self.is_kw(Kw::If) { "if" } else { "elif" };
            let span = self.bump();
            let cond = self.expr()?;
            self.expect_op(":", "':' after the condition")?;
            let body = self.suite(span, what)?;
            branches.push(IfBranch { cond, body, span });
            if self.is_kw(Kw::Elif) {
                continue;
            }
            if self.is_kw(Kw::Else) {
                let span = self.bump();
                self.expect_op(":", "':' after `else`")?;
                orelse = self.suite(span, "else")?;
            }
            return Ok(StmtKind::If { branches, orelse });
        }
    }

    fn loop_body(&mut self, header: Span, what: &str) -> PResult<Vec<Stmt>> {
        self.loops += 1;
        let body = self.suite(header, what);
        self.loops -= 1;
        if self.is_kw(Kw::Else) {
            bail!(self, self.span() => "`else` after a `{what}` loop is not supported");
        }
        body
    }

    /// The body after a header's `:`: simple statements on the same line, or an indented
    /// block of statements parsed by `stmt`.
    fn suite(&mut self, header: Span, what: &str) -> PResult<Vec<Stmt>> {
        self.enter(self.span())?;
        let body = self.suite_with(header, what, Self::statement);
        self.depth -= 1;
        body
    }

    /// A suite whose indented statements are parsed by `stmt`.
    fn suite_with(
        &mut self,
        header: Span,
        what: &str,
        mut stmt: impl FnMut(&mut Self, &mut Vec<Stmt>) -> PResult<()>,
    ) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        if *self.peek() != Tok::Newline {
            self.simple_line(&mut body)?;
            return Ok(body);
        }
        self.bump();
        if *self.peek() != Tok::Indent {
            let line = header.line;
            bail!(self, self.span() => "expected an indented block after `{what}` on line {line}");
        }
        self.bump();
        while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
            stmt(self, &mut body)?;
        }
        self.bump();
        Ok(body)
    }

    /// Simple statements separated by `;`, then the end of the line.
    fn simple_line(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        loop {
            let span = self.span();
            let kind = self.simple()?;
            out.push(Stmt { kind, span });
            if !self.eat_op(";") || *self.peek() == Tok::Newline {
                break;
            }
        }
        if *self.peek() != Tok::Newline {
            return Err(self.unexpected("end of line after the statement"));
        }
        self.bump();
        Ok(())
    }

    fn simple(&mut self) -> PResult<StmtKind> {
        let span = self.span();
        let Tok::Kw(kw) = *self.peek() else {
            return self.assign_or_expr();
        };
        let word = kw.as_str();
        let kind = match kw {
            Kw::Pass => StmtKind::Pass,
            Kw::Break | Kw::Continue if self.loops == 0 => {
                bail!(self, span => "`{word}` outside a loop")
            }
            Kw::Break => StmtKind::Break,
            Kw::Continue => StmtKind::Continue,
            Kw::Return if !self.in_function => bail!(self, span => "`return` outside a function"),
            Kw::Global if !self.in_function => bail!(self, span => "`global` outside a function"),
            Kw::Return => {
                self.bump();
                let value = if self.at_expr_start() {
                    Some(self.expr_list()?)
                } else {
                    None
                };
                return Ok(StmtKind::Return(value));
            }
            Kw::Global => {
                self.bump();
                let mut names = vec![self.name("a variable name after `global`")?];
                while self.eat_op(",") {
                    names.push(self.name("a variable name")?);
                }
                return Ok(StmtKind::Global(names));
            }
            Kw::Assert => {
                self.bump();
                let test = self.expr()?;
                let msg = self.opt_after(",", Self::expr)?;
                return Ok(StmtKind::Assert { test, msg });
            }
            Kw::Reserved(_) => bail!(self, span => "`{word}` is not supported in model files"),
            Kw::If | Kw::While | Kw::For | Kw::With | Kw::Def | Kw::Class => {
                bail!(self, span => "`{word}` must start its own line")
            }
            Kw::Elif | Kw::Else => {
                bail!(self, span => "`{word}` without an `if` at this indentation")
            }
            _ => return self.assign_or_expr(),
        };
        self.bump();
        Ok(kind)
    }

    fn assign_or_expr(&mut self) -> PResult<StmtKind> {
        let lhs = self.expr_list()?;
        if self.is_op(":") && !matches!(lhs.kind, ExprKind::Tuple(_)) {
            self.bump();
            self.expr()?; // a type annotation, dropped
            if !self.is_op("=") {
                return Err(self.unexpected("'=' after the annotation"));
            }
        }
        if let Tok::AugAssign(op) = *self.peek() {
            let op_span = self.bump();
            if matches!(lhs.kind, ExprKind::Tuple(_) | ExprKind::List(_)) {
                bail!(self, op_span => "`{}=` cannot assign to a tuple", op.symbol());
            }
            let target = self.target(lhs)?;
            let value = self.expr_list()?;
            return Ok(StmtKind::AugAssign { target, op, value });
        }
        if !self.eat_op("=") {
            return Ok(StmtKind::Expr(lhs));
        }
        let target = self.target(lhs)?;
        let value = self.expr_list()?;
        if self.is_op("=") {
            bail!(self, self.span() => "chained assignment (`a = b = c`) is not supported");
        }
        Ok(StmtKind::Assign { target, value })
    }

    /// Converts a parsed expression to an assignment target.
    fn target(&self, e: Expr) -> PResult<Target> {
        let span = e.span;
        let kind = match e.kind {
            ExprKind::Name(n) => TargetKind::Name(n),
            ExprKind::Attribute { value, attr } => {
                let value = *value;
                TargetKind::Attribute { value, attr }
            }
            ExprKind::Subscript { value, index } => {
                let (value, index) = (*value, *index);
                TargetKind::Subscript { value, index }
            }
            ExprKind::Tuple(items) | ExprKind::List(items) if !items.is_empty() => {
                let items = items.into_iter().map(|i| self.target(i));
                TargetKind::Tuple(items.collect::<PResult<_>>()?)
            }
            ExprKind::Call(_) => bail!(self, span => "cannot assign to a function call"),
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) | ExprKind::Dict(_) => {
                bail!(self, span => "cannot assign to a literal")
            }
            ExprKind::Bool(_) | ExprKind::None => {
                bail!(self, span => "cannot assign to a constant")
            }
            ExprKind::Tuple(_) | ExprKind::List(_) => bail!(self, span => "nothing to assign to"),
            _ => bail!(self, span => "cannot assign to an operator expression"),
        };
        Ok(Target { kind, span })
    }

    /// `for`/`as` targets: primaries separated by commas (no operators, so that the `in`
    /// of a `for` is not read as a comparison).
    fn target_list(&mut self) -> PResult<Expr> {
        let first = self.postfix()?;
        self.tuple_of(first, Self::postfix, Self::at_expr_start)
    }
}

/// Reads the `# expect: a, b` comment among the comment and blank lines that open the
/// file. Returns the verdict words and the span of `expect`, or `None` if there is no such
/// comment. Each word must be one of [`VERDICTS`]; a second `expect` comment, an empty
/// list, an empty, unknown or repeated word is an error at that word.
fn scan_expect(path: &str, source: &str) -> Result<Option<(Vec<String>, Span)>, Diagnostic> {
    let mut found: Option<(Vec<String>, Span)> = None;
    for (i, line) in source.split('\n').enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = line.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\x0c']);
        let mut col = (line.chars().count() - text.chars().count()) as u32 + 1;
        if text.trim_end().is_empty() {
            continue;
        }
        let Some(comment) = text.strip_prefix('#') else {
            break;
        };
        let body = comment.trim_start();
        col += 1 + (comment.chars().count() - body.chars().count()) as u32;
        let Some(list) = body.strip_prefix("expect:") else {
            continue;
        };
        let at = Span::new(lineno, col);
        if found.is_some() {
            return Err(Diagnostic::new(path, at, "a second `expect` comment"));
        }
        col += "expect:".len() as u32;
        let list = list.trim_end_matches(['\r', ' ', '\t']);
        if list.trim().is_empty() {
            return Err(Diagnostic::new(
                path,
                Span::new(lineno, col + list.chars().count() as u32),
                format!(
                    "expected a verdict after `expect:` (one of {})",
                    VERDICTS.join(", ")
                ),
            ));
        }
        let mut words = Vec::new();
        for piece in list.split(',') {
            let word = piece.trim();
            let lead = piece.chars().count() - piece.trim_start().chars().count();
            let span = Span::new(lineno, col + lead as u32);
            col += piece.chars().count() as u32 + 1;
            if word.is_empty() {
                return Err(Diagnostic::new(path, span, "expected a verdict word"));
            }
            if !VERDICTS.contains(&word) {
                return Err(Diagnostic::new(
                    path,
                    span,
                    format!(
                        "unknown verdict `{word}` (expected one of {})",
                        VERDICTS.join(", ")
                    ),
                ));
            }
            if words.iter().any(|w| w == word) {
                return Err(Diagnostic::new(
                    path,
                    span,
                    format!("verdict `{word}` is repeated"),
                ));
            }
            words.push(word.to_string());
        }
        found = Some((words, at));
    }
    Ok(found)
}
