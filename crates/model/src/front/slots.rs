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
mod tests {
    use super::Slot::{self, *};
    use crate::ast::*;
    use crate::builtins::Builtin;
    use crate::resolve::{Code, resolve};

    fn code(src: &str) -> Code {
        let program = crate::parse("t.fw", src).expect("parses");
        resolve(program, "t.fw").unwrap_or_else(|d| panic!("{d}"))
    }

    /// Every name of `stmts` (nested blocks too) with its slot, in evaluation order.
    fn names(stmts: &[Stmt]) -> Vec<(String, Slot)> {
        let mut out = Vec::new();
        stmts.iter().for_each(|s| stmt(s, &mut out));
        out
    }

    fn stmt(s: &Stmt, out: &mut Vec<(String, Slot)>) {
        match &s.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) => expr(e, out),
            StmtKind::Assign { target: t, value }
            | StmtKind::AugAssign {
                target: t, value, ..
            } => {
                expr(value, out);
                target(t, out);
            }
            StmtKind::For {
                target: t,
                iter,
                body,
            } => {
                expr(iter, out);
                target(t, out);
                out.extend(names(body));
            }
            StmtKind::With {
                item,
                target: t,
                body,
            } => {
                expr(item, out);
                t.iter().for_each(|t| target(t, out));
                out.extend(names(body));
            }
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    expr(&b.cond, out);
                    out.extend(names(&b.body));
                }
                out.extend(names(orelse));
            }
            StmtKind::While { cond, body } => {
                expr(cond, out);
                out.extend(names(body));
            }
            _ => {}
        }
    }

    fn target(t: &Target, out: &mut Vec<(String, Slot)>) {
        match &t.kind {
            TargetKind::Name(n) => out.push((n.clone(), t.slot)),
            TargetKind::Tuple(ts) => ts.iter().for_each(|t| target(t, out)),
            TargetKind::Attribute { value, .. } => expr(value, out),
            TargetKind::Subscript { value, index } => {
                expr(value, out);
                expr(index, out);
            }
        }
    }

    /// The names of the expression kinds the tests use.
    fn expr(e: &Expr, out: &mut Vec<(String, Slot)>) {
        match &e.kind {
            ExprKind::Name(n) => out.push((n.clone(), e.slot)),
            ExprKind::List(v) | ExprKind::Tuple(v) => v.iter().for_each(|e| expr(e, out)),
            ExprKind::Attribute { value, .. } => expr(value, out),
            ExprKind::Subscript { value, index } => {
                expr(value, out);
                expr(index, out);
            }
            ExprKind::Call(c) => {
                expr(&c.func, out);
                c.args.iter().for_each(|a| expr(a, out));
                c.kwargs.iter().for_each(|k| expr(&k.value, out));
            }
            ExprKind::Binary { left, rest } => {
                expr(left, out);
                rest.iter().for_each(|o| expr(&o.right, out));
            }
            ExprKind::Compare { left, rest } => {
                expr(left, out);
                rest.iter().for_each(|c| expr(&c.right, out));
            }
            _ => {}
        }
    }

    fn want(v: &[(&str, Slot)]) -> Vec<(String, Slot)> {
        v.iter().map(|(n, s)| (n.to_string(), *s)).collect()
    }

    /// The names of function `name`'s body with their slots, and its frame layout.
    fn body(code: &Code, name: &str) -> (Vec<(String, Slot)>, Vec<String>) {
        let (i, f) = code.function(name).expect("defined");
        (names(&f.body), code.functions[i].locals.clone())
    }

    #[test]
    fn locals_are_numbered_parameters_first_then_by_first_assignment() {
        let src = "\
def f(a, b=2):
    for i in range(a):
        total = b
    with Lock() as l:
        pass
    c, total = b, a
    total += i
    return [a, b, c, l, total, i]

def main():
    return f(3)
";
        let c = code(src);
        let (uses, frame) = body(&c, "f");
        assert_eq!(frame, ["a", "b", "i", "total", "l", "c"]);
        let (a, b, i, total, l, cc) = (Local(0), Local(1), Local(2), Local(3), Local(4), Local(5));
        let lock = Builtin(Builtin::Lock);
        let range = Builtin(Builtin::Range);
        assert_eq!(
            uses,
            want(&[
                ("range", range),
                ("a", a),
                ("i", i),
                ("b", b),
                ("total", total),
                ("Lock", lock),
                ("l", l),
                ("b", b),
                ("a", a),
                ("c", cc),
                ("total", total),
                ("i", i),
                ("total", total),
                ("a", a),
                ("b", b),
                ("c", cc),
                ("l", l),
                ("total", total),
                ("i", i),
            ])
        );
    }

    #[test]
    fn globals_are_numbered_by_name_and_global_declarations_reach_them() {
        let src = "\
zeta = 1
alpha = [zeta]

def bump():
    global count
    count = zeta + 1

def main():
    bump()
    return [alpha, count]
";
        let c = code(src);
        // Sorted: alpha, count (declared global in `bump` only), zeta.
        let (alpha, count, zeta) = (Global(0), Global(1), Global(2));
        assert_eq!(
            c.global_spans,
            [Span::new(2, 1), Span::new(5, 5), Span::new(1, 1)]
        );
        assert_eq!(
            names(&c.program.stmts),
            want(&[("zeta", zeta), ("zeta", zeta), ("alpha", alpha)])
        );
        let (uses, frame) = body(&c, "bump");
        assert!(frame.is_empty(), "{frame:?}");
        assert_eq!(uses, want(&[("zeta", zeta), ("count", count)]));
        let (uses, _) = body(&c, "main");
        assert_eq!(
            uses,
            want(&[("bump", Function(0)), ("alpha", alpha), ("count", count)])
        );
    }

    #[test]
    fn a_local_shadows_a_global_a_function_and_a_builtin() {
        let src = "\
x = 1
len = 2

def helper():
    return x

def main():
    y = [x, len, helper]
    x = 3
    len = 4
    helper = 5
    return y

def other(helper):
    return [helper, len([]), x]
";
        let c = code(src);
        // Globals: len (0), x (1).
        let (uses, frame) = body(&c, "main");
        assert_eq!(frame, ["y", "x", "len", "helper"]);
        // Assigned anywhere in `main`, so local everywhere in it (read before assignment:
        // an unbound local at run time, as in Python).
        assert_eq!(
            uses[..4],
            want(&[
                ("x", Local(1)),
                ("len", Local(2)),
                ("helper", Local(3)),
                ("y", Local(0))
            ])
        );
        let (uses, _) = body(&c, "helper");
        assert_eq!(uses, want(&[("x", Global(1))]));
        let (uses, _) = body(&c, "other");
        assert_eq!(
            uses,
            want(&[("helper", Local(0)), ("len", Global(0)), ("x", Global(1))])
        );
        // Unset, the global `len` is still the builtin; `x` is nothing else.
        assert_eq!(c.global_fallbacks, [Builtin(Builtin::Len), Unresolved]);
    }

    #[test]
    fn defaults_are_resolved_in_the_module_scope_and_methods_in_their_own() {
        let src = "\
k = 1

class Acc:
    def __init__(self, k=k):
        self.k = k

    def forward(self, x):
        return Acc(x + self.k)

def main(k=k):
    return Acc(k)(2)
";
        let c = code(src);
        let init = &c.program.classes[0].methods[0];
        let default = init.params[1].default.as_ref().expect("a default");
        assert_eq!(default.slot, Global(0));
        assert_eq!(c.methods[0][0].locals, ["self", "k"]);
        assert_eq!(
            names(&init.body),
            want(&[("k", Local(1)), ("self", Local(0))])
        );
        let forward = &c.program.classes[0].methods[1];
        assert_eq!(
            names(&forward.body),
            want(&[("Acc", Class(0)), ("x", Local(1)), ("self", Local(0))])
        );
        let (uses, _) = body(&c, "main");
        assert_eq!(uses, want(&[("Acc", Class(0)), ("k", Local(0))]));
    }

    #[test]
    fn an_unknown_name_stays_unresolved_and_fails_the_load() {
        let mut program = crate::parse("t.fw", "def main():\n    return nowhere\n").unwrap();
        let names_ = super::super::resolve::Names::new(&program);
        let scope = super::super::resolve::Scope::new(Vec::new());
        let module = super::super::resolve::Scope::new(Vec::new());
        let scopes = super::Scopes {
            module: &module,
            functions: &[scope],
            methods: &[],
            nested: &[],
        };
        super::assign(&mut program, &[], &names_, &scopes);
        assert_eq!(
            names(&program.functions[0].body),
            want(&[("nowhere", Unresolved)])
        );
        let err = resolve(program, "t.fw").err().expect("an error");
        assert_eq!((err.line, err.col), (2, 12));
        assert_eq!(err.message, "name 'nowhere' is not defined");
    }

    #[test]
    fn an_unset_global_reads_as_the_function_class_or_builtin_of_its_name() {
        let src = "\
def early():
    return [len([1, 2]), str(helper)]

def helper():
    pass

first = early()
len = 5
helper = 6

def main():
    return [first, len, helper]
";
        let c = code(src);
        // Globals: first (0), helper (1), len (2).
        assert_eq!(
            c.global_fallbacks,
            [Unresolved, Function(1), Builtin(Builtin::Len)]
        );
        let m = crate::Model::from_source("t.fw", src).unwrap();
        let v = forkwait::Runtime::eager().run(|| m.try_run_main()).unwrap();
        assert_eq!(format!("{v:?}"), "[[2, '<function helper>'], 5, 6]");
    }
}
