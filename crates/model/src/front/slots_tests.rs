//! The tests of `slots.rs`: the slot of every name in small programs.
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
        ExprKind::List(v) | ExprKind::Tuple(v) | ExprKind::Set(v) => {
            v.iter().for_each(|e| expr(e, out))
        }
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
