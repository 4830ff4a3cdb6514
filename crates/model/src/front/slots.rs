//! Writes into every name of a program the [`Slot`] it denotes (see `resolve.rs`).
//!
//! A name inside a function is its local if the function's [`Scope`] has it, else a
//! global variable, else a top-level function, a class or a builtin; a name of a
//! top-level statement or of a parameter's default (evaluated in the module's scope, as
//! Python does at definition time) skips the first step. A name that denotes nothing
//! keeps [`Slot::Unresolved`]; the static checks report it.

use super::resolve::{Names, Scope, slot_index};
use crate::ast::*;

/// What a name can denote in one scope.
struct Env<'a> {
    globals: &'a [String],
    names: &'a Names,
    /// The function's frame layout; `None` in the module's scope.
    locals: Option<&'a Scope>,
}

/// Resolves every name of `program`: top-level statements, then each function and
/// method with its scope (`functions` and `methods` parallel to the program's).
pub(crate) fn assign(
    program: &mut Program,
    globals: &[String],
    names: &Names,
    functions: &[Scope],
    methods: &[Vec<Scope>],
) {
    let module = Env {
        globals,
        names,
        locals: None,
    };
    module.block(&mut program.stmts);
    let all_methods = program
        .classes
        .iter_mut()
        .flat_map(|c| c.methods.iter_mut());
    let scopes = functions.iter().chain(methods.iter().flatten());
    for (f, scope) in program.functions.iter_mut().chain(all_methods).zip(scopes) {
        for d in f.params.iter_mut().filter_map(|p| p.default.as_mut()) {
            module.expr(d);
        }
        let env = Env {
            globals,
            names,
            locals: Some(scope),
        };
        env.block(&mut f.body);
    }
}

impl Env<'_> {
    fn slot(&self, name: &str) -> Slot {
        if let Some(i) = self.locals.and_then(|s| s.slot(name)) {
            return Slot::Local(i);
        }
        match self.globals.binary_search_by(|g| g.as_str().cmp(name)) {
            Ok(i) => Slot::Global(slot_index(i)),
            Err(_) => self.names.constant(name),
        }
    }

    fn block(&self, stmts: &mut [Stmt]) {
        stmts.iter_mut().for_each(|s| self.stmt(s));
    }

    fn stmt(&self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) => self.expr(e),
            StmtKind::Assign { target, value } | StmtKind::AugAssign { target, value, .. } => {
                self.expr(value);
                self.target(target);
            }
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    self.expr(&mut b.cond);
                    self.block(&mut b.body);
                }
                self.block(orelse);
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::For { target, iter, body } => {
                self.expr(iter);
                self.target(target);
                self.block(body);
            }
            StmtKind::Assert { test, msg } => {
                self.expr(test);
                if let Some(m) = msg {
                    self.expr(m);
                }
            }
            StmtKind::With { item, target, body } => {
                self.expr(item);
                if let Some(t) = target {
                    self.target(t);
                }
                self.block(body);
            }
            StmtKind::Return(None)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Global(_) => {}
        }
    }

    fn target(&self, t: &mut Target) {
        match &mut t.kind {
            TargetKind::Name(n) => t.slot = self.slot(n),
            TargetKind::Attribute { value, .. } => self.expr(value),
            TargetKind::Subscript { value, index } => {
                self.expr(value);
                self.expr(index);
            }
            TargetKind::Tuple(ts) => ts.iter_mut().for_each(|t| self.target(t)),
        }
    }

    fn expr(&self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None => {}
            ExprKind::Name(n) => e.slot = self.slot(n),
            ExprKind::List(items)
            | ExprKind::Tuple(items)
            | ExprKind::Logic { values: items, .. } => items.iter_mut().for_each(|i| self.expr(i)),
            ExprKind::Dict(entries) => entries.iter_mut().for_each(|(k, v)| {
                self.expr(k);
                self.expr(v);
            }),
            ExprKind::Attribute { value, .. } | ExprKind::Unary { operand: value, .. } => {
                self.expr(value)
            }
            ExprKind::Subscript { value, index } => {
                self.expr(value);
                self.expr(index);
            }
            ExprKind::Slice { lower, upper, step } => [lower, upper, step]
                .into_iter()
                .flatten()
                .for_each(|x| self.expr(x)),
            ExprKind::Call(c) => {
                self.expr(&mut c.func);
                c.args.iter_mut().for_each(|a| self.expr(a));
                c.kwargs.iter_mut().for_each(|k| self.expr(&mut k.value));
            }
            ExprKind::Binary { left, rest } => {
                self.expr(left);
                rest.iter_mut().for_each(|o| self.expr(&mut o.right));
            }
            ExprKind::Compare { left, rest } => {
                self.expr(left);
                rest.iter_mut().for_each(|c| self.expr(&mut c.right));
            }
            ExprKind::IfExp { cond, then, orelse } => {
                self.expr(cond);
                self.expr(then);
                self.expr(orelse);
            }
        }
    }
}
