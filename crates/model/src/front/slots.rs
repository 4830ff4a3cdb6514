//! Writes into every name of a program the [`Slot`] it denotes (see `resolve.rs`).
//!
//! A name inside a function is its cell if the function shares it with a nested
//! function (see `scopes.rs`), else its local if the function's [`Scope`] has it, else a
//! global variable, else a top-level function, a class or a builtin; a name of a
//! top-level statement or of a parameter's default (evaluated in the module's scope, as
//! Python does at definition time) skips the first step. A name that denotes nothing
//! keeps [`Slot::Unresolved`]; the static checks report it.

use super::resolve::{Names, Scope, slot_index};
use crate::ast::*;
use std::cell::RefCell;

/// What a name can denote in one scope.
#[derive(Clone, Copy)]
struct Env<'a> {
    globals: &'a [String],
    names: &'a Names,
    /// The function's frame layout; `None` in the module's scope.
    locals: Option<&'a Scope>,
    /// The scopes of the nested functions, by id.
    nested: &'a [Scope],
    /// The resolved copies of the nested functions, by id, as they are finished.
    done: &'a RefCell<Vec<Option<FunctionDef>>>,
    /// The comprehension variables in scope, innermost last, with their hidden slots.
    comp: &'a [(String, Slot)],
}

/// The frame layouts of a program.
pub(crate) struct Scopes<'a> {
    /// The module's (its comprehensions' hidden locals).
    pub module: &'a Scope,
    /// The top-level functions', in order.
    pub functions: &'a [Scope],
    /// The methods', per class.
    pub methods: &'a [Vec<Scope>],
    /// The nested functions', by id.
    pub nested: &'a [Scope],
}

/// Resolves every name of `program`: top-level statements, then each function and
/// method with its scope (`functions` and `methods` parallel to the program's).
pub(crate) fn assign(
    program: &mut Program,
    globals: &[String],
    names: &Names,
    scopes: &Scopes<'_>,
) -> Vec<FunctionDef> {
    let (functions, methods, nested) = (scopes.functions, scopes.methods, scopes.nested);
    let done = RefCell::new(vec![None; nested.len()]);
    // The module's scope holds only hidden names: every name a program writes is global.
    let module = Env {
        globals,
        names,
        locals: Some(scopes.module),
        nested,
        done: &done,
        comp: &[],
    };
    module.block(&mut program.stmts);
    for a in program.classes.iter_mut().flat_map(|c| c.attrs.iter_mut()) {
        module.expr(&mut a.value);
    }
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
            locals: Some(scope),
            ..module
        };
        env.block(&mut f.body);
    }
    let done = done.into_inner().into_iter();
    done.map(|d| d.unwrap_or_else(|| placeholder(program)))
        .collect()
}

/// A stand-in for a nested function the walk did not reach (none: every id is given
/// by a walk over the same tree).
fn placeholder(program: &Program) -> FunctionDef {
    FunctionDef {
        name: "<unreachable>".into(),
        params: Vec::new(),
        body: vec![Stmt {
            kind: StmtKind::Pass,
            span: Span::default(),
        }],
        span: program.expect_span.unwrap_or_default(),
        returns: None,
        decorators: Vec::new(),
        id: 0,
        slot: Slot::Unresolved,
    }
}

impl Env<'_> {
    fn slot(&self, name: &str) -> Slot {
        if let Some((_, slot)) = self.comp.iter().rev().find(|(n, _)| n == name) {
            return *slot;
        }
        if let Some(i) = self.locals.and_then(|s| s.cell(name)) {
            return Slot::Cell(i);
        }
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
            StmtKind::Def(def) => {
                def.slot = self.slot(&def.name);
                self.nested_function(def);
            }
            StmtKind::Class(c) => {
                c.slot = self.slot(&c.name);
                c.attrs.iter_mut().for_each(|a| self.expr(&mut a.value));
                c.methods.iter_mut().for_each(|m| self.nested_function(m));
            }
            StmtKind::Try(t) => {
                self.block(&mut t.body);
                for h in &mut t.handlers {
                    if let Some(c) = &mut h.class {
                        self.expr(c);
                    }
                    if let Some(n) = &mut h.name {
                        self.target(n);
                    }
                    self.block(&mut h.body);
                }
                self.block(&mut t.orelse);
                self.block(&mut t.finalbody);
            }
            StmtKind::Raise(Some(e)) => self.expr(e),
            StmtKind::Return(None)
            | StmtKind::Raise(None)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Nonlocal(_)
            | StmtKind::Global(_) => {}
        }
    }

    /// A nested `def` or lambda: its decorators and defaults in this scope, its body in
    /// its own; then its resolved copy for the interpreter.
    fn nested_function(&self, def: &mut FunctionDef) {
        for d in def.params.iter_mut().filter_map(|p| p.default.as_mut()) {
            self.expr(d);
        }
        let Some(scope) = self.nested.get(def.id as usize) else {
            return;
        };
        let env = Env {
            locals: Some(scope),
            comp: &[],
            ..*self
        };
        env.block(&mut def.body);
        if let Some(slot) = self.done.borrow_mut().get_mut(def.id as usize) {
            *slot = Some(def.clone());
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
        if let ExprKind::Attribute { value, attr } = &mut e.kind {
            // `torch.jit.fork` denotes a builtin: folded into a name (see `torch.rs`).
            self.expr(value);
            if let Some((name, b)) = crate::interp::torch::fold(value, attr) {
                (e.kind, e.slot) = (ExprKind::Name(name), Slot::Builtin(b));
            }
            return;
        }
        match &mut e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None => {}
            ExprKind::Name(n) => e.slot = self.slot(n),
            ExprKind::List(items)
            | ExprKind::Tuple(items)
            | ExprKind::Set(items)
            | ExprKind::Logic { values: items, .. } => items.iter_mut().for_each(|i| self.expr(i)),
            ExprKind::Dict(entries) => entries.iter_mut().for_each(|(k, v)| {
                self.expr(k);
                self.expr(v);
            }),
            ExprKind::Attribute { value, .. }
            | ExprKind::Unary { operand: value, .. }
            | ExprKind::Starred(value) => self.expr(value),
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
            ExprKind::Lambda(def) => self.nested_function(def),
            ExprKind::Comp(c) => self.comprehension(c),
        }
    }

    /// A comprehension: its variables are hidden locals (see `scopes.rs`), each in
    /// scope from its clause on.
    fn comprehension(&self, c: &mut Comprehension) {
        let mut overlay: Vec<(String, Slot)> = self.comp.to_vec();
        for g in &mut c.generators {
            let env = Env {
                comp: &overlay,
                ..*self
            };
            env.expr(&mut g.iter);
            self.comp_target(&mut g.target, &mut overlay);
            let env = Env {
                comp: &overlay,
                ..*self
            };
            g.ifs.iter_mut().for_each(|x| env.expr(x));
        }
        let env = Env {
            comp: &overlay,
            ..*self
        };
        env.expr(&mut c.elt);
        if let Some(v) = &mut c.value {
            env.expr(v);
        }
    }

    fn comp_target(&self, t: &mut Target, overlay: &mut Vec<(String, Slot)>) {
        match &mut t.kind {
            TargetKind::Name(n) => {
                let hidden = super::scopes::hidden_name(n, t.span);
                let local = self.locals.and_then(|s| s.slot(&hidden));
                t.slot = local.map_or(Slot::Unresolved, Slot::Local);
                overlay.push((n.clone(), t.slot));
            }
            TargetKind::Tuple(ts) => ts.iter_mut().for_each(|t| self.comp_target(t, overlay)),
            TargetKind::Attribute { .. } | TargetKind::Subscript { .. } => {
                let env = Env {
                    comp: overlay,
                    ..*self
                };
                env.target(t);
            }
        }
    }
}

#[cfg(test)]
#[path = "slots_tests.rs"]
mod tests;
