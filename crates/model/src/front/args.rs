//! Call arguments and subscripts: what follows a `(` or `[` after an expression (the
//! rest of the expression grammar is `parser.rs`).

use crate::*;

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl Parser<'_> {
    pub(crate) fn call_args(&mut self) -> PResult<(Vec<Expr>, Vec<Keyword>)> {
        let (mut args, mut kwargs) = (Vec::new(), Vec::<Keyword>::new());
        while !self.is_op(")") {
            let span = self.span();
            if self.is_op("**") {
                bail!(self, span => "`**kwargs` unpacking is not supported (pass the keywords by name)");
            }
            if self.eat_op("*") {
                if !kwargs.is_empty() {
                    bail!(self, span => "`*args` after a keyword argument is not supported");
                }
                let value = bx(self.expr()?);
                args.push(Expr::new(ExprKind::Starred(value), span));
                if !self.eat_op(",") {
                    break;
                }
                continue;
            }
            let keyword = match (self.peek(), &self.tok(1).tok) {
                (Tok::Name(n), Tok::Op("=")) => Some(n.clone()),
                _ => None,
            };
            if let Some(name) = keyword {
                self.pos += 2;
                if kwargs.iter().any(|k| k.name == name) {
                    bail!(self, span => "keyword argument `{name}` repeated");
                }
                let value = self.expr()?;
                kwargs.push(Keyword { name, value, span });
            } else {
                let mut value = self.expr()?;
                if self.is_kw(Kw::For) {
                    let generator = self.comprehension(CompKind::Generator, value, None)?;
                    if !args.is_empty() || !kwargs.is_empty() || !self.is_op(")") {
                        bail!(self, span => "a generator expression must be parenthesized unless it is the only argument");
                    }
                    value = generator;
                }
                if !kwargs.is_empty() {
                    bail!(self, span => "positional argument follows keyword argument");
                }
                args.push(value);
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")", "',' or ')' in the argument list")?;
        Ok((args, kwargs))
    }

    /// A subscript's index: an expression or slice, or a tuple of them.
    pub(crate) fn subscript(&mut self) -> PResult<Expr> {
        let first = self.slice_item()?;
        self.tuple_of(first, Self::slice_item, |p| !p.is_op("]"))
    }

    fn slice_item(&mut self) -> PResult<Expr> {
        let span = self.span();
        let mut lower = None;
        if !self.is_op(":") {
            let e = self.expr()?;
            if !self.is_op(":") {
                return Ok(e);
            }
            lower = Some(bx(e));
        }
        self.bump();
        let bound = |p: &mut Self| match p.is_op(":") || p.is_op("]") || p.is_op(",") {
            true => Ok(None),
            false => p.expr().map(|e| Some(bx(e))),
        };
        let upper = bound(self)?;
        let step = if self.eat_op(":") { bound(self)? } else { None };
        Ok(Expr::new(ExprKind::Slice { lower, upper, step }, span))
    }
}
