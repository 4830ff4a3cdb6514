//! The grammar that TorchScript-style `.py` files add to the model language: imports
//! (`import torch`, `import torch.nn as nn`, `from typing import List`), decorator lines
//! (`@torch.jit.script`), the `if __name__ == "__main__":` guard (skipped) and
//! `super()` inside methods.
//!
//! # Design
//!
//! * **Imports are static.** Only the modules `torch` (and its submodules), `typing` and
//!   `operator` exist, and an import may only appear at the top level, so every imported
//!   name is known when the file is parsed: the resolver binds it like a builtin
//!   ([`Program::imports`]); nothing runs at import time.
//! * **Decorators are classified while parsing.** A decorator is a dotted path whose last
//!   component names one of `torch.jit`'s decorators (see [`DecoratorKind`]), optionally
//!   called (`@torch.jit.ignore(drop=False)`); anything else is a located error listing
//!   the supported ones.
//! * **`super()` is rewritten while parsing.** Inside a method of class `C` whose receiver
//!   is `self`, `super().m` and `super(C, self).m` become the attribute `self.<super:C:m>`,
//!   a name no source can write; the interpreter looks it up as the method `m` of `C`'s
//!   base (a model class, whose methods the loader copies into `C` as `Base.m`), or, for
//!   `torch.nn.Module` and the other library bases, as a method that does nothing.

use crate::*;

/// The modules an import may name, with the names each one has (the interpreter gives
/// them their meaning: `interp/torch.rs`).
pub(crate) const MODULES: [&str; 3] = ["torch", "typing", "operator"];

/// The prefix of the hidden attribute `super()` becomes (see the module's design note).
pub(crate) const SUPER_PREFIX: &str = "<super:";

impl Parser<'_> {
    /// A dotted name, `a.b.c`, with the span of its first part.
    fn dotted(&mut self, what: &str) -> PResult<(String, Span)> {
        let span = self.span();
        let mut path = self.name(what)?;
        while self.eat_op(".") {
            path.push('.');
            path.push_str(&self.name("a name after '.'")?);
        }
        Ok((path, span))
    }

    /// Fails unless the module `path` is one of [`MODULES`] (or below `torch`); the
    /// error is at the `import` or `from` keyword, `at`.
    fn known_module(&self, path: &str, at: Span) -> PResult<()> {
        let root = path.split('.').next().unwrap_or("");
        if MODULES.contains(&root) && (root == "torch" || !path.contains('.')) {
            return Ok(());
        }
        bail!(self, at => "`import` is not supported in model files except of the modules `torch` (and its submodules such as `torch.nn` and `torch.jit`), `typing` and `operator`: there is no module '{path}'")
    }

    /// `import a.b [as c], ...` or `from a.b import c [as d], ...` (the keyword is the
    /// current token), then the end of the line; the bound names go to `self.imports`.
    pub(crate) fn import_line(&mut self) -> PResult<()> {
        let from = self.is_kw(Kw::Reserved("from"));
        let at = self.bump();
        if from {
            let (module, _) = self.dotted("a module name after `from`")?;
            let future = module == "__future__";
            if !future {
                self.known_module(&module, at)?;
            }
            if !self.is_kw(Kw::Reserved("import")) {
                return Err(self.unexpected("`import` after the module name"));
            }
            self.bump();
            let paren = self.eat_op("(");
            loop {
                let span = self.span();
                if self.is_op("*") {
                    bail!(self, span => "`from {module} import *` is not supported: import the names you use");
                }
                let member = self.name("a name to import")?;
                let name = self.alias()?.unwrap_or_else(|| member.clone());
                let path = format!("{module}.{member}");
                if !future {
                    // `from __future__ import annotations` changes nothing here.
                    self.imports.push(Import { name, path, span });
                }
                if !self.eat_op(",") || (paren && self.is_op(")")) {
                    break;
                }
            }
            if paren {
                self.expect_op(")", "')' after the imported names")?;
            }
        } else {
            loop {
                let (path, span) = self.dotted("a module name after `import`")?;
                self.known_module(&path, at)?;
                let (name, path) = match self.alias()? {
                    Some(alias) => (alias, path),
                    // `import torch.nn` binds `torch`, the top module.
                    None => {
                        let top = path.split('.').next().unwrap_or("").to_string();
                        (top.clone(), top)
                    }
                };
                self.imports.push(Import { name, path, span });
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if *self.peek() != Tok::Newline {
            return Err(self.unexpected("end of line after the import"));
        }
        self.bump();
        Ok(())
    }

    /// An optional `as name`.
    fn alias(&mut self) -> PResult<Option<String>> {
        if !self.is_kw(Kw::As) {
            return Ok(None);
        }
        self.bump();
        self.name("a name after `as`").map(Some)
    }

    /// Decorator lines (`@torch.jit.script`), each ending its line; empty if the current
    /// token is no `@`. What follows must be a `def` (or a `class`, for `script`).
    pub(crate) fn decorators(&mut self) -> PResult<Vec<Decorator>> {
        let mut out = Vec::new();
        while self.is_op("@") {
            let span = self.bump();
            let (path, at) = self.dotted("a decorator name after '@'")?;
            let last = path.rsplit('.').next().unwrap_or("");
            let prefix_ok = matches!(
                path.strip_suffix(last).unwrap_or(""),
                "" | "torch.jit." | "jit."
            );
            let kind = DecoratorKind::from_word(last).filter(|_| prefix_ok);
            let Some(kind) = kind else {
                bail!(self, at => "unknown decorator `@{path}`: the supported decorators are @torch.jit.script, @torch.jit.script_method, @torch.jit.export, @torch.jit.ignore, @torch.jit.unused and @torch.jit._overload_method");
            };
            if self.eat_op("(") {
                // `@torch.jit.ignore(drop=False)`: the arguments change nothing here.
                while !self.is_op(")") {
                    if matches!(self.peek(), Tok::Name(_)) && self.tok(1).tok == Tok::Op("=") {
                        self.pos += 2;
                    }
                    self.expr()?;
                    if !self.eat_op(",") {
                        break;
                    }
                }
                self.expect_op(")", "')' after the decorator's arguments")?;
            }
            if *self.peek() != Tok::Newline {
                return Err(self.unexpected("end of line after the decorator"));
            }
            self.bump();
            out.push(Decorator { kind, span });
        }
        if !out.is_empty() && !self.is_kw(Kw::Def) && !self.is_kw(Kw::Class) {
            return Err(self.unexpected("`def` after the decorator"));
        }
        Ok(out)
    }

    /// The statements of a class body other than its methods, as class attributes: in a
    /// `.py` file `name = value` assignments (besides `pass` and docstrings); in a `.fw`
    /// file none.
    pub(crate) fn class_attrs(&self, other: Vec<Stmt>) -> PResult<Vec<ClassAttr>> {
        let mut attrs: Vec<ClassAttr> = Vec::new();
        for s in other {
            match s.kind {
                StmtKind::Pass => {}
                StmtKind::Expr(e) if matches!(e.kind, ExprKind::Str(_)) => {}
                // Class attributes are TorchScript's (`.py` files); a `.fw` class body
                // holds methods only.
                StmtKind::Assign {
                    target:
                        Target {
                            kind: TargetKind::Name(n),
                            span,
                            ..
                        },
                    value,
                } if self.path.ends_with(".py") => attrs.push(ClassAttr {
                    name: n,
                    value,
                    span,
                }),
                _ if self.path.ends_with(".py") => {
                    bail!(self, s.span => "only methods, class attributes (`x = 3`), `pass` and docstrings may be in a class body")
                }
                _ => {
                    bail!(self, s.span => "only methods, `pass` and docstrings may be in a class body (class attributes are supported in `.py` files)")
                }
            }
        }
        Ok(attrs)
    }

    /// After the name `super` (at `span`), with `(` next: the call's arguments and the
    /// attribute that must follow, rewritten as described in the module's design note.
    pub(crate) fn super_attribute(&mut self, span: Span) -> PResult<Expr> {
        let Some((class, receiver)) = self.method.clone() else {
            bail!(self, span => "`super()` is supported only inside a method of a class");
        };
        self.expect_op("(", "'(' after `super`")?;
        if !self.is_op(")") {
            let at = self.span();
            let first = self.name("`)` or the class name in `super(Class, self)`")?;
            let ok = first == class
                && self.eat_op(",")
                && matches!(self.peek(), Tok::Name(n) if *n == receiver);
            if !ok {
                bail!(self, at => "only `super()` and `super({class}, {receiver})` are supported here");
            }
            self.bump();
        }
        self.expect_op(")", "')' after the arguments of `super`")?;
        if !self.eat_op(".") {
            return Err(self.unexpected("'.' and a method name after `super()`"));
        }
        let attr = self.name("a method name after `super().`")?;
        let me = Expr::new(ExprKind::Name(receiver), span);
        let attr = format!("{SUPER_PREFIX}{class}:{attr}>");
        Ok(Expr::new(
            ExprKind::Attribute {
                value: Box::new(me),
                attr,
            },
            span,
        ))
    }
}

/// Whether `s` is `if __name__ == "__main__":` (either operand order).
pub(crate) fn is_main_guard(s: &Stmt) -> bool {
    let StmtKind::If { branches, .. } = &s.kind else {
        return false;
    };
    let Some(ExprKind::Compare { left, rest }) = branches.first().map(|b| &b.cond.kind) else {
        return false;
    };
    let [c] = &rest[..] else { return false };
    let is = |a: &Expr, b: &Expr| {
        matches!(&a.kind, ExprKind::Name(n) if n == "__name__")
            && matches!(&b.kind, ExprKind::Str(m) if m == "__main__")
    };
    c.op == CmpOp::Eq && (is(left, &c.right) || is(&c.right, left))
}
