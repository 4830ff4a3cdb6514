//! The static checks run when a model is loaded, on the resolved tree (see `resolve.rs`).
//!
//! Checked (a load error, `file:line:col` with a caret): a missing `main()`, unknown
//! names (a name whose [`Slot`] stayed unresolved), argument counts of direct calls to
//! top-level functions, classes and builtins (and of `fork(f, ...)` for such an `f`),
//! operators on literals of the wrong types (`1 + "a"`) and calls of literals (`3()`).
//! The same errors on values known only at run time are runtime errors.

use super::resolve::{Code, bind};
use crate::ast::*;
use crate::builtins::{self, Builtin};
use crate::diag::Diagnostic;
use crate::ops;
use crate::value::Value;
use forkwait::sync::StateClass;
use std::collections::BTreeMap;

struct Checker<'a> {
    code: &'a Code,
}

/// Runs the checks; returns the annotation errors of nested functions, which are raised
/// when their `def` runs (see `annot.rs`).
pub(crate) fn check(code: &Code) -> Result<BTreeMap<u32, Diagnostic>, Diagnostic> {
    let p = &code.program;
    let entry = code.entry.as_str();
    let Some((_, main)) = code.function(entry) else {
        let at = p
            .expect_span
            .map_or(Span::new(1, 1), |s| Span::new(s.line, 1));
        return Err(p.error(
            at,
            match entry {
                "main" => "no `main()` function: a model's entry point is `def main():` (or another top-level function given with `--entry NAME`)".to_string(),
                _ => format!("no top-level function `{entry}()`, the entry point given with `--entry`"),
            },
        ));
    };
    if let Some(param) = main.params.iter().find(|p| p.default.is_none()) {
        return Err(p.error(param.span, format!("`{entry}()` must take no arguments")));
    }
    let checker = Checker { code };
    checker.block(&p.stmts)?;
    for a in p.classes.iter().flat_map(|c| c.attrs.iter()) {
        checker.expr(&a.value)?;
    }
    let all_methods = p.classes.iter().flat_map(|c| c.methods.iter());
    p.functions
        .iter()
        .chain(all_methods)
        .try_for_each(|f| checker.function(f))?;
    super::annot::check(p)
}

/// A literal's value, for the checks of operators on literals.
fn literal(e: &Expr) -> Option<Value> {
    Some(match &e.kind {
        ExprKind::Int(i) => Value::Int(*i),
        ExprKind::Float(f) => Value::Float(*f),
        ExprKind::Str(s) => Value::str(s),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::None => Value::None,
        _ => return None,
    })
}

impl Checker<'_> {
    fn err(&self, span: Span, msg: impl Into<String>) -> Diagnostic {
        self.code.program.error(span, msg)
    }

    fn function(&self, f: &FunctionDef) -> Result<(), Diagnostic> {
        // Defaults are evaluated (and were resolved) in the defining scope.
        for d in f.params.iter().filter_map(|p| p.default.as_ref()) {
            self.expr(d)?;
        }
        self.block(&f.body)
    }

    fn block(&self, stmts: &[Stmt]) -> Result<(), Diagnostic> {
        stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn target(&self, t: &Target) -> Result<(), Diagnostic> {
        match &t.kind {
            TargetKind::Name(_) => Ok(()),
            TargetKind::Attribute { value, .. } => self.expr(value),
            TargetKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)
            }
            TargetKind::Tuple(ts) => ts.iter().try_for_each(|t| self.target(t)),
        }
    }

    fn stmt(&self, s: &Stmt) -> Result<(), Diagnostic> {
        match &s.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assign { target, value } => {
                self.expr(value)?;
                self.target(target)
            }
            StmtKind::AugAssign { target, value, .. } => {
                if let TargetKind::Name(n) = &target.kind {
                    self.name(n, target.slot, target.span)?;
                }
                self.expr(value)?;
                self.target(target)
            }
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    self.expr(&b.cond)?;
                    self.block(&b.body)?;
                }
                self.block(orelse)
            }
            StmtKind::While { cond, body } => {
                self.expr(cond)?;
                self.block(body)
            }
            StmtKind::For { target, iter, body } => {
                self.expr(iter)?;
                self.target(target)?;
                self.block(body)
            }
            StmtKind::Return(Some(e)) => self.expr(e),
            StmtKind::Assert { test, msg } => {
                self.expr(test)?;
                msg.as_ref().map_or(Ok(()), |m| self.expr(m))
            }
            StmtKind::With { item, target, body } => {
                self.expr(item)?;
                if let Some(t) = target {
                    self.target(t)?;
                }
                self.block(body)
            }
            StmtKind::Def(def) => self.nested(def),
            StmtKind::Class(c) => {
                c.attrs.iter().try_for_each(|a| self.expr(&a.value))?;
                c.methods.iter().try_for_each(|m| self.nested(m))
            }
            StmtKind::Try(t) => {
                self.block(&t.body)?;
                for h in &t.handlers {
                    if let Some(c) = &h.class {
                        self.expr(c)?;
                    }
                    self.block(&h.body)?;
                }
                self.block(&t.orelse)?;
                self.block(&t.finalbody)
            }
            StmtKind::Raise(Some(e)) => self.expr(e),
            StmtKind::Return(None)
            | StmtKind::Raise(None)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Nonlocal(_)
            | StmtKind::Global(_) => Ok(()),
        }
    }

    /// `value.attr` where `value` certainly denotes a torch module: the member must
    /// exist.
    fn torch_attribute(&self, value: &Expr, attr: &str, span: Span) -> Result<(), Diagnostic> {
        let module = match self.constant(value) {
            Some(Builtin::Torch(i)) => crate::interp::torch::path_of(i),
            Some(Builtin::OperatorModule) => "operator",
            _ => return Ok(()),
        };
        crate::interp::torch::member(module, attr).map_err(|m| self.err(span, m))?;
        Ok(())
    }

    /// The builtin a name or attribute chain certainly denotes, if any.
    fn constant(&self, e: &Expr) -> Option<Builtin> {
        match &e.kind {
            ExprKind::Name(_) => match e.slot {
                Slot::Builtin(b) => Some(b),
                _ => None,
            },
            ExprKind::Attribute { value, attr } => match self.constant(value)? {
                Builtin::Torch(i) => {
                    crate::interp::torch::member(crate::interp::torch::path_of(i), attr).ok()
                }
                Builtin::OperatorModule => crate::interp::torch::member("operator", attr).ok(),
                _ => None,
            },
            _ => None,
        }
    }

    fn name(&self, n: &str, slot: Slot, span: Span) -> Result<(), Diagnostic> {
        if slot == Slot::Unresolved {
            let hint = match n {
                "torch" | "typing" | "operator" => format!(" (add `import {n}` at the top)"),
                "nn" => " (add `import torch.nn as nn` at the top)".into(),
                "List" | "Tuple" | "Optional" | "Any" | "Dict" | "Union" => {
                    format!(" (add `from typing import {n}` at the top)")
                }
                "Tensor" => " (add `from torch import Tensor` at the top)".into(),
                "Future" => " (add `from torch.jit import Future` at the top)".into(),
                "super" => " (`super()` is supported only inside a method, called with no arguments or with the class and receiver: `super().__init__()`)".into(),
                _ => String::new(),
            };
            return Err(self.err(span, format!("name '{n}' is not defined{hint}")));
        }
        Ok(())
    }

    /// The argument check of calling the name `callee`, which denotes `slot` (if it
    /// certainly denotes a top-level function, class or builtin) with `npos` positional
    /// arguments and the keywords `kws`.
    fn call_arity(
        &self,
        callee: &str,
        slot: Slot,
        npos: usize,
        kws: &[&str],
    ) -> Result<(), String> {
        let p = &self.code.program;
        match slot {
            Slot::Unresolved | Slot::Local(_) | Slot::Cell(_) | Slot::Global(_) => Ok(()),
            Slot::Function(i) => match p.functions.get(i as usize) {
                Some(f) => bind(callee, &f.params, 0, npos, kws).map(|_| ()),
                None => Ok(()),
            },
            Slot::Class(i) => match p.classes.get(i as usize).and_then(|c| c.method("__init__")) {
                Some(init) => bind(callee, &init.params, 1, npos, kws).map(|_| ()),
                None if npos + kws.len() > 0 => Err(format!("{callee}() takes no arguments")),
                None => Ok(()),
            },
            Slot::Builtin(Builtin::Fork) if npos == 0 => {
                Err("fork() missing the function to fork".into())
            }
            Slot::Builtin(Builtin::Fork | Builtin::Torch(_) | Builtin::Context { .. }) => Ok(()),
            Slot::Builtin(b) => {
                let (min, max, allowed_kws) = b.bounds();
                if let Some(k) = kws.iter().find(|k| !allowed_kws.contains(k)) {
                    return Err(format!(
                        "{callee}() got an unexpected keyword argument '{k}'"
                    ));
                }
                if npos < min || max.is_some_and(|m| npos > m) {
                    return Err(builtins::arity_message(callee, min, max, npos));
                }
                Ok(())
            }
        }
    }

    fn expr(&self, e: &Expr) -> Result<(), Diagnostic> {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None => Ok(()),
            ExprKind::Name(n) => self.name(n, e.slot, e.span),
            ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Set(items) => {
                items.iter().try_for_each(|i| self.expr(i))
            }
            ExprKind::Dict(entries) => entries.iter().try_for_each(|(k, v)| {
                self.expr(k)?;
                self.expr(v)
            }),
            ExprKind::Attribute { value, attr } => {
                self.expr(value)?;
                self.torch_attribute(value, attr, e.span)
            }
            ExprKind::Starred(value) => self.expr(value),
            ExprKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)
            }
            ExprKind::Slice { lower, upper, step } => [lower, upper, step]
                .into_iter()
                .flatten()
                .try_for_each(|x| self.expr(x)),
            ExprKind::Call(c) => self.call(c),
            ExprKind::Unary { op, operand } => {
                self.expr(operand)?;
                if let (Some(v), false) = (literal(operand), *op == UnaryOp::Not) {
                    ops::unary(*op, &v).map_err(|m| self.err(e.span, m))?;
                }
                Ok(())
            }
            ExprKind::Binary { left, rest } => {
                self.expr(left)?;
                rest.iter().try_for_each(|o| self.expr(&o.right))?;
                // Only the first link can have two literal operands (the left operand of
                // the others is the chain so far).
                if let (Some(a), Some(first)) = (literal(left), rest.first()) {
                    if let Some(b) = literal(&first.right) {
                        ops::binary(first.op, &a, &b, StateClass::Input)
                            .map_err(|m| self.err(first.span, m))?;
                    }
                }
                Ok(())
            }
            ExprKind::Logic { values, .. } => values.iter().try_for_each(|v| self.expr(v)),
            ExprKind::Compare { left, rest } => {
                self.expr(left)?;
                rest.iter().try_for_each(|c| self.expr(&c.right))
            }
            ExprKind::IfExp { cond, then, orelse } => {
                self.expr(cond)?;
                self.expr(then)?;
                self.expr(orelse)
            }
            ExprKind::Lambda(def) => self.nested(def),
            ExprKind::Comp(c) => {
                for g in &c.generators {
                    self.expr(&g.iter)?;
                    self.target(&g.target)?;
                    g.ifs.iter().try_for_each(|x| self.expr(x))?;
                }
                self.expr(&c.elt)?;
                c.value.as_ref().map_or(Ok(()), |v| self.expr(v))
            }
        }
    }

    /// A nested `def` or lambda: its defaults and body (its decorators were classified
    /// by the parser).
    fn nested(&self, def: &FunctionDef) -> Result<(), Diagnostic> {
        self.function(def)
    }

    fn call(&self, c: &Call) -> Result<(), Diagnostic> {
        self.expr(&c.func)?;
        c.args.iter().try_for_each(|a| self.expr(a))?;
        c.kwargs.iter().try_for_each(|k| self.expr(&k.value))?;
        let literal_callee = match &c.func.kind {
            ExprKind::Int(_) => Some("int"),
            ExprKind::Float(_) => Some("float"),
            ExprKind::Str(_) => Some("str"),
            ExprKind::Bool(_) => Some("bool"),
            ExprKind::None => Some("NoneType"),
            ExprKind::List(_) => Some("list"),
            ExprKind::Tuple(_) => Some("tuple"),
            ExprKind::Dict(_) => Some("dict"),
            ExprKind::Set(_) => Some("set"),
            _ => None,
        };
        if let Some(what) = literal_callee {
            return Err(self.err(c.span, format!("'{what}' object is not callable")));
        }
        let kws: Vec<&str> = c.kwargs.iter().map(|k| k.name.as_str()).collect();
        if c.args
            .iter()
            .any(|a| matches!(a.kind, ExprKind::Starred(_)))
        {
            return Ok(()); // the count is known at run time
        }
        // `torch.jit.fork(f, ...)` is checked as `fork(f, ...)`.
        if matches!(c.func.kind, ExprKind::Attribute { .. })
            && self.constant(&c.func) == Some(Builtin::Fork)
        {
            if c.args.is_empty() {
                return Err(self.err(c.span, "fork() missing the function to fork"));
            }
            return self.forwarded(c, &kws);
        }
        let ExprKind::Name(callee) = &c.func.kind else {
            return Ok(());
        };
        self.call_arity(callee, c.func.slot, c.args.len(), &kws)
            .map_err(|m| self.err(c.span, m))?;
        if c.func.slot == Slot::Builtin(Builtin::Fork) {
            self.forwarded(c, &kws)?;
        }
        Ok(())
    }

    /// `fork(f, args...)` forwards the arguments to `f`: their count is checked when `f`
    /// names a top-level function, class or builtin.
    fn forwarded(&self, c: &Call, kws: &[&str]) -> Result<(), Diagnostic> {
        if let Some(
            f @ Expr {
                kind: ExprKind::Name(name),
                ..
            },
        ) = c.args.first()
        {
            if name != "fork" {
                self.call_arity(name, f.slot, c.args.len() - 1, kws)
                    .map_err(|m| self.err(f.span, m))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    fn load(src: &str) -> Result<crate::Model, String> {
        crate::Model::from_source("t.fw", src).map_err(|e| e.to_string())
    }

    #[test]
    fn forwarded_arguments_are_checked_only_for_the_builtin_fork() {
        let add = "def add(a, b):\n    return a + b\n\n";
        let builtin = format!("{add}def main():\n    return wait(fork(add, 2))\n");
        let err = load(&builtin).expect_err("add() lacks an argument");
        assert_eq!(
            err,
            "t.fw:5:22: error: add() missing 1 required positional argument: 'b'"
        );
        // A model's own `fork` is an ordinary function: its arguments are its own.
        let own = format!(
            "{add}def fork(g, x):\n    return g(x, 1)\n\ndef main():\n    return fork(add, 2)\n"
        );
        let m = load(&own).expect("loads");
        let v = forkwait::Runtime::eager().run(|| m.try_run_main()).unwrap();
        assert_eq!(format!("{v:?}"), "3");
        // So is a local called `fork`.
        let local = format!("{add}def main():\n    fork = add\n    return fork(add, 2)\n");
        load(&local).expect("loads");
    }
}
