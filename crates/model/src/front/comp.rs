//! Comprehensions and generator expressions: the `for ... in ... if ...` clauses after
//! an element (the rest of the expression grammar is `parser.rs`).

use super::parser::OR;
use crate::*;

impl Parser<'_> {
    /// The clauses after `elt` (and, for a dict, `value`), at the first `for`.
    pub(crate) fn comprehension(
        &mut self,
        kind: CompKind,
        elt: Expr,
        value: Option<Expr>,
    ) -> PResult<Expr> {
        let span = elt.span;
        let mut generators = Vec::new();
        while self.is_kw(Kw::For) {
            self.bump();
            let t = self.target_list()?;
            if !self.is_kw(Kw::In) {
                return Err(self.unexpected("`in` after the comprehension's variable"));
            }
            self.bump();
            let target = self.target(t)?;
            let iter = self.binary(OR)?;
            let mut ifs = Vec::new();
            while self.is_kw(Kw::If) {
                self.bump();
                ifs.push(self.binary(OR)?);
            }
            generators.push(CompFor { target, iter, ifs });
        }
        let comp = Comprehension {
            kind,
            elt,
            value,
            generators,
        };
        let e = Expr::new(ExprKind::Comp(Box::new(comp)), span);
        self.check_height(e.height(), span)?;
        Ok(e)
    }
}
