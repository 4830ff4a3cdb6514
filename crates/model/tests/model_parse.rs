//! The model-language front end: the example program's tree, located errors with their
//! rendering, nesting limits, and deterministic fuzzing for panics and error locations.
//!
//! Trees are compared through a compact S-expression printing (`show`), e.g.
//! `(call fork (. self mod) input b=2)`.

use forkwait_model::{
    Diagnostic, Expr, ExprKind, LogicOp, MAX_DEPTH, Program, Span, Stmt, StmtKind, Target,
    TargetKind, UnaryOp, parse,
};

const EXAMPLE: &str = r#"# expect: nondeterministic, impure
counter = 0

class AddMod:
    def forward(self, a, b):
        return a + b

class Mod:
    def __init__(self):
        self.mod = AddMod()
    def forward(self, input):
        fut = fork(self.mod, input, b=2)
        return wait(fut)

def bump():
    global counter
    counter = counter + 1

def main():
    a = fork(bump)
    b = fork(bump)
    wait(a)
    wait(b)
    xs = [1, 2.5, "s", None, True, (1, 2), {"k": 3}]
    xs[0] += 1
    for i in range(3):
        if i == 0 and not False:
            pass
        elif i < 2 or i >= 5:
            continue
        else:
            break
    while counter != 2:
        yield_now()
    lock = Lock()
    with lock:
        xs.append(-counter % 3)
    assert len(xs) > 0, "message"
    return counter
"#;

fn ok(src: &str) -> Program {
    parse("t.fw", src).unwrap_or_else(|e| panic!("{}", e.render(src)))
}

fn join<T>(items: &[T], show: impl Fn(&T) -> String, sep: &str) -> String {
    items.iter().map(show).collect::<Vec<_>>().join(sep)
}

fn opt(e: Option<&Expr>) -> String {
    e.map_or("_".to_string(), show)
}

/// An expression as an S-expression: `(op operands...)`, names and literals as written.
fn show(e: &Expr) -> String {
    let (un, bin) = (
        |op, x: &Expr| format!("({op} {})", show(x)),
        |op, l: &Expr, r: &Expr| format!("({op} {} {})", show(l), show(r)),
    );
    match &e.kind {
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => format!("{f:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => (if *b { "True" } else { "False" }).to_string(),
        ExprKind::None => "None".to_string(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::List(v) => format!("[{}]", join(v, show, ", ")),
        ExprKind::Tuple(v) => format!("(tuple {})", join(v, show, " ")),
        ExprKind::Set(v) => format!("(set {})", join(v, show, " ")),
        ExprKind::Dict(v) => format!(
            "{{{}}}",
            join(v, |(k, v)| format!("{}: {}", show(k), show(v)), ", ")
        ),
        ExprKind::Attribute { value, attr } => format!("(. {} {attr})", show(value)),
        ExprKind::Subscript { value, index } => bin("[]", value, index),
        ExprKind::Slice { lower, upper, step } => {
            let [l, u, s] = [lower, upper, step].map(|b| opt(b.as_deref()));
            format!("(: {l} {u} {s})")
        }
        ExprKind::Call(c) => {
            let mut parts = vec![show(&c.func)];
            parts.extend(c.args.iter().map(show));
            parts.extend(
                c.kwargs
                    .iter()
                    .map(|k| format!("{}={}", k.name, show(&k.value))),
            );
            format!("(call {})", parts.join(" "))
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => un("-", operand),
        ExprKind::Unary {
            op: UnaryOp::Pos,
            operand,
        } => un("+", operand),
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => un("not", operand),
        // A flat chain shows as the left-nested tree it means: `8 - 2 - 1` is
        // `(- (- 8 2) 1)`. Built by a loop, as a walker of a chain must be.
        ExprKind::Binary { left, rest } => {
            let mut s = show(left);
            for o in rest {
                s = format!("({} {s} {})", o.op.symbol(), show(&o.right));
            }
            s
        }
        // `and`/`or` chains are n-ary, as Python evaluates them: `(and a b c)`.
        ExprKind::Logic { op, values } => {
            let op = if *op == LogicOp::And { "and" } else { "or" };
            format!("({op} {})", join(values, show, " "))
        }
        ExprKind::Compare { left, rest } => {
            let rest = join(
                rest,
                |c| format!(" {} {}", c.op.symbol(), show(&c.right)),
                "",
            );
            format!("(cmp {}{rest})", show(left))
        }
        ExprKind::IfExp { cond, then, orelse } => {
            format!("(if {} {} {})", show(cond), show(then), show(orelse))
        }
        ExprKind::Starred(v) => format!("(* {})", show(v)),
        ExprKind::Comp(c) => {
            let gens = join(
                &c.generators,
                |g| {
                    let ifs = join(&g.ifs, |x| format!(" if {}", show(x)), "");
                    format!(" for {} in {}{ifs}", show_target(&g.target), show(&g.iter))
                },
                "",
            );
            let value = c
                .value
                .as_ref()
                .map_or(String::new(), |v| format!(": {}", show(v)));
            format!("({:?} {}{value}{gens})", c.kind, show(&c.elt))
        }
        ExprKind::Lambda(def) => {
            let params = join(&def.params, |p| p.name.clone(), " ");
            format!("(lambda ({params}) {})", show_block(&def.body))
        }
    }
}

fn show_target(t: &Target) -> String {
    match &t.kind {
        TargetKind::Name(n) => n.clone(),
        TargetKind::Attribute { value, attr } => format!("(. {} {attr})", show(value)),
        TargetKind::Subscript { value, index } => format!("([] {} {})", show(value), show(index)),
        TargetKind::Tuple(ts) => format!("(tuple {})", join(ts, show_target, " ")),
    }
}

/// Statements separated by `; `, blocks in braces, `elif` chains as written.
fn show_block(stmts: &[Stmt]) -> String {
    join(stmts, show_stmt, "; ")
}

fn show_stmt(s: &Stmt) -> String {
    let block = |b: &[Stmt]| format!("{{ {} }}", show_block(b));
    match &s.kind {
        StmtKind::Expr(e) => show(e),
        StmtKind::Assign { target, value } => format!("{} = {}", show_target(target), show(value)),
        StmtKind::AugAssign { target, op, value } => {
            format!("{} {}= {}", show_target(target), op.symbol(), show(value))
        }
        StmtKind::If { branches, orelse } => {
            let ifs = join(
                branches,
                |b| format!("if {} {}", show(&b.cond), block(&b.body)),
                " el",
            );
            match orelse.is_empty() {
                true => ifs,
                false => format!("{ifs} else {}", block(orelse)),
            }
        }
        StmtKind::While { cond, body } => format!("while {} {}", show(cond), block(body)),
        StmtKind::For { target, iter, body } => {
            format!(
                "for {} in {} {}",
                show_target(target),
                show(iter),
                block(body)
            )
        }
        StmtKind::Break => "break".to_string(),
        StmtKind::Continue => "continue".to_string(),
        StmtKind::Pass => "pass".to_string(),
        StmtKind::Return(v) => format!("return {}", opt(v.as_ref())),
        StmtKind::Assert { test, msg } => format!("assert {}, {}", show(test), opt(msg.as_ref())),
        StmtKind::Global(names) => format!("global {}", names.join(", ")),
        StmtKind::Nonlocal(names) => format!("nonlocal {}", names.join(", ")),
        StmtKind::Def(def) => format!("def {} {}", def.name, block(&def.body)),
        StmtKind::Class(c) => {
            let def =
                |m: &forkwait_model::FunctionDef| format!("def {} {}", m.name, block(&m.body));
            format!("class {} {{ {} }}", c.name, join(&c.methods, def, "; "))
        }
        StmtKind::Raise(e) => format!("raise {}", opt(e.as_ref())),
        StmtKind::Try(t) => {
            let handlers = join(
                &t.handlers,
                |h| {
                    let name = h.name.as_ref().map_or("_".into(), show_target);
                    format!(
                        " except {} {name} {}",
                        opt(h.class.as_ref()),
                        block(&h.body)
                    )
                },
                "",
            );
            let (orelse, finalbody) = (block(&t.orelse), block(&t.finalbody));
            format!(
                "try {}{handlers} else {orelse} finally {finalbody}",
                block(&t.body)
            )
        }
        StmtKind::With { item, target, body } => {
            let target = target
                .as_ref()
                .map_or(String::new(), |t| format!(" as {}", show_target(t)));
            format!("with {}{target} {}", show(item), block(body))
        }
    }
}

/// The printed value of `x = <src>`.
fn expr(src: &str) -> String {
    let p = ok(&format!("x = {src}\n"));
    match &p.stmts[..] {
        [
            Stmt {
                kind: StmtKind::Assign { value, .. },
                ..
            },
        ] => show(value),
        other => panic!("not one assignment: {other:?}"),
    }
}

/// The `i`-th statement's kind, which must be `x = value` or an expression statement.
fn value(stmts: &[Stmt], i: usize) -> &Expr {
    match &stmts[i].kind {
        StmtKind::Assign { value, .. } | StmtKind::Expr(value) => value,
        other => panic!("{other:?}"),
    }
}

#[test]
fn example_structure() {
    let p = ok(EXAMPLE);
    assert_eq!((p.path.as_str(), p.source.as_str()), ("t.fw", EXAMPLE));
    let expect = p.expect.as_ref().map(|v| v.join(" "));
    assert_eq!(
        (expect.as_deref(), p.expect_span),
        (Some("nondeterministic impure"), Some(Span::new(1, 3)))
    );
    assert_eq!(join(&p.functions, |f| f.name.clone(), " "), "bump main");
    assert_eq!(join(&p.classes, |c| c.name.clone(), " "), "AddMod Mod");
    assert!(p.function("nope").is_none() && p.class("bump").is_none());
    assert_eq!(show_block(&p.stmts), "counter = 0");
    assert_eq!(
        (p.stmts[0].span, value(&p.stmts, 0).span),
        (Span::new(2, 1), Span::new(2, 11))
    );

    let add = p.class("AddMod").unwrap();
    assert_eq!(
        join(&add.methods[0].params, |p| p.name.clone(), " "),
        "self a b"
    );
    assert_eq!(show_block(&add.methods[0].body), "return (+ a b)");
    let m = p.class("Mod").unwrap();
    assert_eq!(
        (m.span, m.methods[1].span),
        (Span::new(8, 1), Span::new(11, 5))
    );
    assert_eq!(
        join(&m.methods, |f| f.name.clone(), " "),
        "__init__ forward"
    );
    assert_eq!(
        show_block(&m.method("__init__").unwrap().body),
        "(. self mod) = (call AddMod)"
    );
    let fwd = m.method("forward").unwrap();
    let want = "fut = (call fork (. self mod) input b=2); return (call wait fut)";
    assert_eq!(show_block(&fwd.body), want);
    let fork = value(&fwd.body, 0);
    let ExprKind::Call(call) = &fork.kind else {
        panic!("{fork:?}")
    };
    assert_eq!(
        (fwd.body[0].span, fork.span, call.span),
        (Span::new(12, 9), Span::new(12, 15), Span::new(12, 15))
    );
    let spans = (call.paren, call.args[1].span, call.kwargs[0].span);
    assert_eq!(
        spans,
        (Span::new(12, 19), Span::new(12, 30), Span::new(12, 37))
    );

    let bump = p.function("bump").unwrap();
    assert_eq!(
        (bump.span, bump.globals()),
        (Span::new(15, 1), vec!["counter"])
    );
    assert_eq!(
        show_block(&bump.body),
        "global counter; counter = (+ counter 1)"
    );
    let sum = &value(&bump.body, 1).kind;
    assert!(matches!(sum, ExprKind::Binary { rest, .. } if rest[0].span == Span::new(17, 23)));

    let main = p.function("main").unwrap();
    assert!(main.globals().is_empty() && main.params.is_empty());
    let want = [
        "a = (call fork bump)",
        "b = (call fork bump)",
        "(call wait a)",
        "(call wait b)",
        r#"xs = [1, 2.5, "s", None, True, (tuple 1 2), {"k": 3}]"#,
        "([] xs 0) += 1",
        "for i in (call range 3) { if (and (cmp i == 0) (not False)) { pass } \
         elif (or (cmp i < 2) (cmp i >= 5)) { continue } else { break } }",
        "while (cmp counter != 2) { (call yield_now) }",
        "lock = (call Lock)",
        "with lock { (call (. xs append) (% (- counter) 3)) }",
        r#"assert (cmp (call len xs) > 0), "message""#,
        "return counter",
    ];
    assert_eq!(show_block(&main.body), want.join("; "));
    let lines: Vec<u32> = main.body.iter().map(|s| s.span.line).collect();
    assert_eq!(lines, [20, 21, 22, 23, 24, 25, 26, 33, 35, 36, 38, 39]);
    assert!(main.body.iter().all(|s| s.span.col == 5));
    let StmtKind::For { body, .. } = &main.body[6].kind else {
        panic!()
    };
    let StmtKind::If { branches, orelse } = &body[0].kind else {
        panic!()
    };
    let spans = (branches[0].span, branches[1].span, orelse[0].span);
    assert_eq!(
        spans,
        (Span::new(27, 9), Span::new(29, 9), Span::new(32, 13))
    );
    let ExprKind::List(items) = &value(&main.body, 4).kind else {
        panic!()
    };
    assert_eq!(
        (items[5].span, items[6].span),
        (Span::new(24, 36), Span::new(24, 44))
    );
    let StmtKind::While { cond, .. } = &main.body[7].kind else {
        panic!()
    };
    assert!(
        matches!(&cond.kind, ExprKind::Compare { rest, .. } if rest[0].span == Span::new(33, 19))
    );
}

#[rustfmt::skip]
const EXPRESSIONS: &[(&str, &str)] = &[
    // precedence and associativity
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
    ("8 - 2 - 1", "(- (- 8 2) 1)"),
    ("a // b % c / d", "(/ (% (// a b) c) d)"),
    ("-2 ** 2", "(- (** 2 2))"),
    ("2 ** 3 ** 2", "(** 2 (** 3 2))"),
    ("2 ** -1", "(** 2 (- 1))"),
    ("-a.b[0](c)", "(- (call ([] (. a b) 0) c))"),
    ("+-x", "(+ (- x))"),
    ("not a == b", "(not (cmp a == b))"),
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("a and b and c or d or e", "(or (and a b c) d e)"),
    ("a or b or c and d and e", "(or a b (and c d e))"),
    ("a - b + c - d", "(- (+ (- a b) c) d)"),
    ("a * b + c * d - e", "(- (+ (* a b) (* c d)) e)"),
    ("a / b * c // d % e", "(% (// (* (/ a b) c) d) e)"),
    ("not a and not b", "(and (not a) (not b))"),
    ("a + b < c * d", "(cmp (+ a b) < (* c d))"),
    ("0 < a <= 10 != b", "(cmp 0 < a <= 10 != b)"),
    ("a in b", "(cmp a in b)"),
    ("a not in b", "(cmp a not in b)"),
    ("a is b", "(cmp a is b)"),
    ("a is not None", "(cmp a is not None)"),
    ("a > b >= c", "(cmp a > b >= c)"),
    ("1 if c else 2", "(if c 1 2)"),
    ("a if b else c if d else e", "(if b a (if d c e))"),
    ("a or b if c and d else e", "(if (and c d) (or a b) e)"),
    ("a | b ^ c & d + e", "(| a (^ b (& c (+ d e))))"),
    ("a & b | c ^ d", "(| (& a b) (^ c d))"),
    ("a | b == c | d", "(cmp (| a b) == (| c d))"),
    // tuples, lists, dicts
    ("()", "(tuple )"),
    ("(1,)", "(tuple 1)"),
    ("(1)", "1"),
    ("1, 2,", "(tuple 1 2)"),
    ("[]", "[]"),
    ("[1, [2,],]", "[1, [2]]"),
    ("{}", "{}"),
    ("{'a': 1, 'b': [2],}", r#"{"a": 1, "b": [2]}"#),
    ("{1, [2],}", "(set 1 [2])"),
    ("{a}", "(set a)"),
    // literals
    ("1_000", "1000"),
    ("0x1F + 0b101 + 0o17", "(+ (+ 31 5) 15)"),
    ("9223372036854775807", "9223372036854775807"),
    ("1.5e3", "1500.0"),
    (".5", "0.5"),
    ("2.", "2.0"),
    ("1e-3", "0.001"),
    (r#"'a\n\t\\\'\"b'"#, r#""a\n\t\\'\"b""#),
    (r#""it's" ' ok'"#, r#""it's ok""#),
    ("'''x\ny'''", r#""x\ny""#),
    ("'é€'", r#""é€""#),
    ("True, False, None", "(tuple True False None)"),
    // calls, attributes, subscripts, slices
    ("f()", "(call f)"),
    ("f(a, b, c=1, d=2,)", "(call f a b c=1 d=2)"),
    ("m.f()(1)", "(call (call (. m f)) 1)"),
    ("fork(self.mod, x, b=2)", "(call fork (. self mod) x b=2)"),
    ("a[1:2]", "([] a (: 1 2 _))"),
    ("a[::-1]", "([] a (: _ _ (- 1)))"),
    ("a[:n]", "([] a (: _ n _))"),
    ("a[i, :]", "([] a (tuple i (: _ _ _)))"),
    ("a[i][j]", "([] ([] a i) j)"),
    ("(a)(b)", "(call a b)"),
];

#[test]
fn expressions() {
    for (src, want) in EXPRESSIONS {
        assert_eq!(expr(src), *want, "{src}");
    }
    // Spans count chars, not bytes; a call's span is its callee's, `paren` is the `(`.
    let p = ok("x = 'ééé' + b\ny = m.f(1)\n");
    let ExprKind::Binary { rest, .. } = &value(&p.stmts, 0).kind else {
        panic!()
    };
    assert_eq!(
        (rest[0].span, rest[0].right.span),
        (Span::new(1, 11), Span::new(1, 13))
    );
    let call = value(&p.stmts, 1);
    let ExprKind::Call(c) = &call.kind else {
        panic!()
    };
    let spans = (call.span, c.span, c.paren, c.args[0].span);
    assert_eq!(
        spans,
        (
            Span::new(2, 5),
            Span::new(2, 5),
            Span::new(2, 8),
            Span::new(2, 9)
        )
    );
}

#[test]
fn statements_and_layout() {
    let src = "\u{feff}# a comment\r\n\r\nimport_ = 1  # trailing\r\n\
               def f(a, b: int = 2, c=None) -> int:\n\
               \x20   x: int = 3\n\
               \x20   a, (b, c) = 1, (2, 3)\n\
               \x20   for i, v in pairs:\n\
               \x20       if v: continue\n\
               \x20   with lock as l: pass\n\
               \x20   y = [1,\n\
               \x20          2]  # continued\n\
               \x20   z = 1 + \\\n\
               \x20       2\n\
               \x20   x -= 1; x *= 2; x /= 3; x //= 4; x %= 5; x **= 2\n\
               \x20   while True:\n\
               \x20       break\n\
               \x20   return a, b\n\
               class C(object):\n\
               \x20   '''doc'''\n\
               \x20   def m(self): pass\n\
               class D: pass\n";
    let p = ok(src);
    assert_eq!(
        (p.expect.is_none(), show_block(&p.stmts)),
        (true, "import_ = 1".into())
    );
    assert_eq!(p.stmts[0].span, Span::new(3, 1));
    let f = p.function("f").unwrap();
    let params = join(
        &f.params,
        |p| format!("{}={}", p.name, opt(p.default.as_ref())),
        " ",
    );
    assert_eq!(params, "a=_ b=2 c=None");
    assert_eq!(f.params[2].span, Span::new(4, 22));
    assert!(f.param("b").is_some() && f.param("x").is_none());
    let want = [
        "x = 3",
        "(tuple a (tuple b c)) = (tuple 1 (tuple 2 3))",
        "for (tuple i v) in pairs { if v { continue } }",
        "with lock as l { pass }",
        "y = [1, 2]",
        "z = (+ 1 2)",
        "x -= 1; x *= 2; x /= 3; x //= 4; x %= 5; x **= 2",
        "while True { break }",
        "return (tuple a b)",
    ];
    assert_eq!(show_block(&f.body), want.join("; "));
    let spans = (f.body[4].span, f.body[5].span, f.body[7].span);
    assert_eq!(
        spans,
        (Span::new(10, 5), Span::new(12, 5), Span::new(14, 13))
    );
    let c = p.class("C").unwrap();
    assert_eq!(
        (c.methods.len(), show_block(&c.method("m").unwrap().body)),
        (1, "pass".into())
    );
    assert!(p.class("D").unwrap().methods.is_empty());
    // Targets: attribute, subscript, list, slice and tuple index.
    let p = ok("self.a.b = 1\nd['k'] = v\n[a, b] = c\nxs[i:j] += 1\nd[1, 2] = 3\n");
    let want = "(. (. self a) b) = 1; ([] d \"k\") = v; (tuple a b) = c; \
                ([] xs (: i j _)) += 1; ([] d (tuple 1 2)) = 3";
    assert_eq!(show_block(&p.stmts), want);
}

/// Each malformed input gives its error at exactly this line:col, with this message.
#[rustfmt::skip]
const ERRORS: &[(&str, u32, u32, &str)] = &[
    ("x = 1\nif x == 1\n    pass\n", 2, 10, "expected ':' after the condition"),
    ("while x\n    pass\n", 1, 8, "expected ':' after the condition"),
    ("for i in range(3)\n    pass\n", 1, 18, "expected ':' after the iterable"),
    ("for i range(3):\n    pass\n", 1, 7, "expected `in` after the loop variable, found"),
    ("x = (1, 2\ny = 3\n", 1, 5, "'(' was never closed"),
    ("x = [1, 2)\n", 1, 10, "closing ')' does not match '[' opened at 1:5"),
    ("x = 1]\n", 1, 6, "unmatched ']'"),
    ("def f():\n    return 1\n  x = 2\n", 3, 3, "unindent does not match any outer"),
    ("x = 1\n    y = 2\n", 2, 5, "unexpected indent"),
    ("def f():\nreturn 1\n", 2, 1, "expected an indented block after `def` on line 1"),
    ("if x:\n", 2, 1, "expected an indented block after `if` on line 1"),
    ("if x:\n    pass\nelse:", 3, 6, "expected an indented block after `else` on line 3"),
    ("def f():\n\tpass\n", 2, 1, "tab in indentation (indent with spaces only)"),
    ("x = 'abc\ny = 1\n", 1, 5, "unterminated string literal"),
    ("x = \"\"\"abc\n\ndef\n", 1, 5, "unterminated string literal"),
    ("x = 'a\\qb'\n", 1, 7, "unknown escape sequence '\\q'"),
    ("x = 1 +\n", 1, 8, "expected an expression"),
    ("x = 1 2\n", 1, 7, "expected end of line after the statement, found a number"),
    ("x = $\n", 1, 5, "unexpected character '$'"),
    ("x = ~a\n", 1, 5, "the operator '~' is not supported"),
    ("x = é\u{7}\n", 1, 6, "unexpected character '\\u{7}'"),
    ("y = 1 \\ 2\n", 1, 7, "a line continuation '\\' must end its line"),
    ("x = 99999999999999999999\n", 1, 5, "integer literal is too large (the limit is 2**63 - 1)"),
    ("x = 0777\n", 1, 5, "leading zeros in decimal integer literals are not permitted"),
    ("x = 12abc\n", 1, 5, "invalid number literal"),
    ("x = 0x\n", 1, 5, "invalid integer literal"),
    ("# expect: deterministic, racy\nx = 1\n", 1, 26, "unknown verdict `racy`"),
    ("\n  #   expect:   race,,panic\n", 2, 22, "expected a verdict word"),
    ("# expect:\n", 1, 10, "expected a verdict after `expect:`"),
    ("# expect: race, race\n", 1, 17, "verdict `race` is repeated"),
    ("# expect: race\n#expect: panic\n", 2, 2, "a second `expect` comment"),
    ("break\n", 1, 1, "`break` outside a loop"),
    ("def f():\n    continue\n", 2, 5, "`continue` outside a loop"),
    ("while x:\n    class G:\n        x += 1\n", 3, 9, "only methods, `pass` and docstrings may be in a class body"),
    ("return 1\n", 1, 1, "`return` outside a function"),
    ("global x\n", 1, 1, "`global` outside a function"),
    ("def f():\n    pass\ndef f():\n    pass\n", 3, 1, "`f` is already defined on line 1"),
    ("class f:\n    pass\ndef f():\n    pass\n", 3, 1, "`f` is already defined on line 1"),
    ("def f(a, a):\n    pass\n", 1, 10, "duplicate parameter `a`"),
    ("def f(a=1, b):\n    pass\n", 1, 12, "a parameter without a default follows"),
    ("def f(**a):\n    pass\n", 1, 7, "`**kwargs`, `/` and keyword-only parameters are not supported"),
    ("def f(*a, b):\n    pass\n", 1, 11, "parameters after `*args` (keyword-only) are not supported"),
    ("def f(*a=1):\n    pass\n", 1, 7, "`*a` cannot have a default"),
    ("def f(1):\n    pass\n", 1, 7, "expected a parameter name, found a number"),
    ("f(a=1, 2)\n", 1, 8, "positional argument follows keyword argument"),
    ("f(a=1, a=2)\n", 1, 8, "keyword argument `a` repeated"),
    ("a, *b = xs\n", 1, 4, "`*` unpacking is only supported among a call's arguments"),
    ("f(**kw)\n", 1, 3, "`**kwargs` unpacking is not supported (pass the keywords by name)"),
    ("f(a=1, *xs)\n", 1, 8, "`*args` after a keyword argument is not supported"),
    ("f(1 2)\n", 1, 5, "expected ',' or ')' in the argument list, found a number"),
    ("x = [i for i y]\n", 1, 14, "expected `in` after the comprehension's variable"),
    ("x = [1, i for i in y]\n", 1, 11, "a comprehension must be alone in its brackets"),
    ("f(a, i for i in y)\n", 1, 6, "a generator expression must be parenthesized"),
    ("x = {1, 2 for i in y}\n", 1, 11, "a comprehension must be alone in its brackets"),
    ("x = {i for i y}\n", 1, 14, "expected `in` after the comprehension's variable"),
    ("x = {1: 2, 3}\n", 1, 13, "expected ':' after the dict key, found `}`"),
    ("a = b = 1\n", 1, 7, "chained assignment (`a = b = c`) is not supported"),
    ("f() = 1\n", 1, 1, "cannot assign to a function call"),
    ("1 = x\n", 1, 1, "cannot assign to a literal"),
    ("None = x\n", 1, 1, "cannot assign to a constant"),
    ("a + b = 1\n", 1, 1, "cannot assign to an operator expression"),
    ("a, b += 1\n", 1, 6, "`+=` cannot assign to a tuple"),
    ("x.1 = 2\n", 1, 2, "expected end of line after the statement, found a number"),
    ("x. = 2\n", 1, 4, "expected an attribute name after '.', found `=`"),
    ("f = lambda a b: 1\n", 1, 14, "expected ':' after the lambda's parameters, found identifier `b`"),
    ("import os\n", 1, 1, "`import` is not supported in model files"),
    ("x = yield\n", 1, 5, "generator functions (`yield`) are not supported (return a list)"),
    ("async def f():\n    pass\n", 1, 1, "`async def` is not supported (use a plain `def`"),
    ("def f():\n    try:\n        pass\n", 4, 1, "expected `except` or `finally` after the `try` block"),
    ("else:\n    pass\n", 1, 1, "`else` without an `if` at this indentation"),
    ("if x: if y: pass\n", 1, 7, "`if` must start its own line"),
    ("x = 1 if y\n", 1, 11, "expected `else` in the conditional expression"),
    ("x = a not b\n", 1, 7, "expected end of line after the statement, found `not`"),
    ("x = a == not b\n", 1, 10, "expected an expression, found `not`"),
    ("x: int\n", 1, 7, "expected '=' after the annotation"),
    ("while x:\n    pass\nelse:\n    pass\n", 3, 1, "`else` after a `while` loop is not supported"),
    ("class A:\n    x = 1\n", 2, 5, "only methods, `pass` and docstrings may be in a class body"),
    ("class A:\n    def f(): pass\n", 2, 5, "method `f` must take `self` as its first"),
    ("class A:\n    def f(s): pass\n    def f(s): pass\n", 3, 5, "method `f` is already defined"),
    ("class A(B C):\n    pass\n", 1, 11, "expected ')' after the base classes, found"),
    ("class A(:):\n    pass\n", 1, 9, "expected an expression, found `:`"),
    ("with a as (b, c):\n    pass\n", 1, 11, "`with ... as (a, b)` is not supported (bind one name"),
    ("def main():\n    with a, b: pass\n", 2, 11, "expected ':' after the `with` item (only one"),
    ("def f()\n    pass\n", 1, 8, "expected ':' after the function signature"),
    ("def (x):\n    pass\n", 1, 5, "expected a function name after `def`, found `(`"),
];

#[test]
fn errors_are_located() {
    for &(src, line, col, message) in ERRORS {
        let err = parse("bad.fw", src)
            .map(|p| panic!("{src:?} parsed: {p:?}"))
            .unwrap_err();
        let rendered = err.render(src);
        assert_eq!((err.line, err.col), (line, col), "{src:?}: {rendered}");
        assert!(
            err.message.starts_with(message),
            "{src:?}: {:?} vs {message:?}",
            err.message
        );
        assert_eq!(
            (err.path.as_str(), err.span()),
            ("bad.fw", Span::new(line, col))
        );
        // The caret sits under the column: `N | ` is the gutter.
        let caret = rendered.lines().last().unwrap();
        assert_eq!(
            caret.len(),
            line.to_string().len() + 3 + col as usize,
            "{rendered}"
        );
        assert!(caret.ends_with('^') && rendered.starts_with(&format!("error: {}", err.message)));
    }
}

#[test]
fn rendering() {
    let src = "def f():\n    x = 1\nif x == 1\n    pass\n";
    let err = parse("models/foo.fw", src).unwrap_err();
    let want = "error: expected ':' after the condition\n --> models/foo.fw:3:10\n  |\n\
                3 | if x == 1\n  |          ^";
    assert_eq!(err.render(src), want);
    assert_eq!(
        err.to_string(),
        "models/foo.fw:3:10: error: expected ':' after the condition"
    );

    // A two-digit line widens the gutter; a tab displays as one space; a note follows.
    let src = format!("{}x =\t$\n", "\n".repeat(11));
    let err = parse("m.fw", &src).unwrap_err().with_note("see the docs");
    let want = "error: unexpected character '$'\n  --> m.fw:12:5\n   |\n12 | x = $\n   |     ^\n   \
                = note: see the docs";
    assert_eq!(err.render(&src), want);

    // An error at the end of the file points one past the last line.
    let err = parse("e.fw", "def f():\n").unwrap_err();
    let want =
        "error: expected an indented block after `def` on line 1\n --> e.fw:2:1\n  |\n2 |\n  | ^";
    assert_eq!(err.render("def f():\n"), want);

    // Runtime diagnostics built by the interpreter at a span.
    let p = ok(EXAMPLE);
    let d = p.error(Span::new(37, 19), "division by zero");
    assert_eq!(
        d,
        Diagnostic::new("t.fw", Span::new(37, 19), "division by zero")
    );
    let tail = "37 |         xs.append(-counter % 3)\n   |                   ^";
    assert!(d.render(&p.source).ends_with(tail));
    let boxed: Box<dyn std::error::Error> = Box::new(d);
    assert_eq!(boxed.to_string(), "t.fw:37:19: error: division by zero");
    // Out-of-range spans render without panicking.
    let far = Diagnostic::new("x", Span::new(u32::MAX, 0), "far");
    assert!(far.render("").ends_with("\n4294967295 |\n           | ^"));
    let wide = Diagnostic::new("x", Span::new(1, u32::MAX), "wide");
    assert!(wide.render("ab\r\n").ends_with("\n1 | ab\n  |   ^"));
}

#[test]
fn empty_and_trivial_files() {
    for src in [
        "",
        "\n",
        "\n\n  \n",
        "# only a comment",
        "   # indented\n",
        "\r\n",
        "\u{feff}",
    ] {
        let p = ok(src);
        assert!(p.stmts.is_empty() && p.functions.is_empty() && p.classes.is_empty());
        assert_eq!(p.expect, None);
    }
    assert_eq!(ok("# expect: race\n").expect, Some(vec!["race".into()]));
    let p = ok("\n# hello\n  # expect:  panic , deadlock \nx = 1\n");
    let expect = (
        Some(vec!["panic".into(), "deadlock".into()]),
        Some(Span::new(3, 5)),
    );
    assert_eq!((p.expect, p.expect_span), expect);
    // Only the comments before the first code count.
    assert_eq!(ok("x = 1\n# expect: bogus\n").expect, None);
    assert_eq!(show_block(&ok("x = 1").stmts), "x = 1");
}

/// The number of nested statement and expression nodes on the longest path.
fn depth(stmts: &[Stmt]) -> u32 {
    fn e(x: &Expr) -> u32 {
        let all = |xs: &mut dyn Iterator<Item = &Expr>| xs.map(e).max().unwrap_or(0);
        1 + match &x.kind {
            ExprKind::List(v) | ExprKind::Tuple(v) | ExprKind::Set(v) => all(&mut v.iter()),
            ExprKind::Dict(v) => all(&mut v.iter().flat_map(|(k, v)| [k, v])),
            ExprKind::Attribute { value, .. } => e(value),
            ExprKind::Subscript { value, index } => e(value).max(e(index)),
            ExprKind::Slice { lower, upper, step } => {
                all(&mut [lower, upper, step].into_iter().flatten().map(|b| &**b))
            }
            ExprKind::Call(c) => {
                let args = c.args.iter().chain(c.kwargs.iter().map(|k| &k.value));
                all(&mut args.chain([&*c.func]))
            }
            ExprKind::Unary { operand, .. } => e(operand),
            ExprKind::Binary { left, rest } => e(left).max(all(&mut rest.iter().map(|o| &o.right))),
            ExprKind::Logic { values, .. } => all(&mut values.iter()),
            ExprKind::Compare { left, rest } => {
                e(left).max(all(&mut rest.iter().map(|c| &c.right)))
            }
            ExprKind::IfExp { cond, then, orelse } => e(cond).max(e(then)).max(e(orelse)),
            _ => 0,
        }
    }
    let s = |s: &Stmt| -> u32 {
        1 + match &s.kind {
            StmtKind::Expr(x) | StmtKind::Return(Some(x)) => e(x),
            StmtKind::Assign { value, .. } | StmtKind::AugAssign { value, .. } => e(value),
            StmtKind::If { branches, orelse } => {
                let b = branches.iter().map(|b| e(&b.cond).max(depth(&b.body)));
                b.max().unwrap_or(0).max(depth(orelse))
            }
            StmtKind::While { cond: x, body } | StmtKind::With { item: x, body, .. } => {
                e(x).max(depth(body))
            }
            StmtKind::For { iter, body, .. } => e(iter).max(depth(body)),
            StmtKind::Assert { test, msg } => e(test).max(msg.as_ref().map_or(0, e)),
            _ => 0,
        }
    };
    stmts.iter().map(s).max().unwrap_or(0)
}

/// Runs `parse` on a thread with a small stack, as a caller deep in a program might.
fn parse_on_small_stack(src: String, stack: usize) -> Result<Program, Diagnostic> {
    let t = std::thread::Builder::new().stack_size(stack);
    t.spawn(move || parse("deep.fw", &src))
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn nesting_is_limited_not_overflowing() {
    let n = MAX_DEPTH as usize;
    let wrap = |open: &str, close: &str, k| format!("x = {}1{}\n", open.repeat(k), close.repeat(k));
    let tail = |s: &str, k| format!("x = a{}\n", s.repeat(k));
    let blocks = |k, line: &str| -> String {
        let ifs: String = (0..k)
            .map(|i| format!("{}if x:\n", " ".repeat(i)))
            .collect();
        ifs + &" ".repeat(k) + line + "\n"
    };
    // Just inside the limit (the statement's expression is one level itself).
    let brackets = [
        ("(", ")"),
        ("[", "]"),
        ("f(", ")"),
        ("a[", "]"),
        ("{1: ", "}"),
        ("-", ""),
    ];
    for (open, close) in brackets {
        assert!(
            parse_on_small_stack(wrap(open, close, n - 1), 128 << 10).is_ok(),
            "{open}"
        );
    }
    let nested = "too deeply nested (the limit is 200 levels)";
    let high = "expression nested too deeply (limit: 200 levels)";
    let deep = [
        (wrap("(", ")", 100_000), nested),
        (wrap("[", "]", n), nested),
        (wrap("f(", ")", n + 1), nested),
        (wrap("-", "", 50_000), nested),
        (wrap("not ", "", 10_000), nested),
        (wrap("-(", ")", n), nested),
        (tail(" ** 2", 10_000), nested),
        (tail(" if 1 else 1", 10_000), nested),
        (tail(".b", 50_000), high),
        (tail("[0]", 50_000), high),
        (tail("(0)", 50_000), high),
        (blocks(300, "pass"), nested),
    ];
    for (src, message) in deep {
        let lines = src.lines().count() as u32;
        let err = parse_on_small_stack(src, 128 << 10).unwrap_err();
        assert_eq!(err.message, message);
        assert!((1..=lines + 1).contains(&err.line));
    }
    // A chain of binary operators of one precedence is not nesting: `a + 1 + ... + 1`
    // (50 000 terms) used to be "expression nested too deeply" because the parser built a
    // left-nested tree 50 000 high; it is now one flat node, as long as Python allows
    // (Python accepts such chains), parsed and dropped on a small stack.
    for (op, level) in [
        (" + 1", "+"),
        (" * 1", "*"),
        (" and 1", "and"),
        (" or 1", "or"),
    ] {
        let p = parse_on_small_stack(tail(op, 50_000), 128 << 10)
            .unwrap_or_else(|e| panic!("{level}: {e}"));
        match &value(&p.stmts, 0).kind {
            ExprKind::Binary { rest, .. } => assert_eq!(rest.len(), 50_000),
            ExprKind::Logic { values, .. } => assert_eq!(values.len(), 50_001),
            other => panic!("{level}: {other:?}"),
        }
        assert_eq!(depth(&p.stmts), 3, "{level}");
    }
    // Whatever the shape, the tree the parser returns is at most MAX_DEPTH + 3 nodes deep.
    let chain = |op: &str, k| format!("1{}", format!(" {op} 1").repeat(k));
    let mut deepest = 0;
    for k in [0, 1, 50, 150, 197, 198, 199] {
        let r = n - k;
        for line in [
            format!("x = {}", chain("+", r)),
            format!("x = {}, 2", chain("-", r)),
            format!("x = [{}]", chain("*", r)),
            format!("x = -({})", chain("or", r)),
            format!("x = a{}", ".b".repeat(r)),
            format!("x = a{}", "[0]".repeat(r)),
            format!("x = ({})[0].b(1)", chain("and", r)),
            format!("x = {}1{}", "(".repeat(r), ")".repeat(r)),
            format!("x = {}1", "not ".repeat(r)),
            format!("x = 1 if c else {}", chain("<", r)),
            format!("x = 2{}", " ** 2".repeat(r)),
        ] {
            if let Ok(p) = parse_on_small_stack(blocks(k, &line), 128 << 10) {
                deepest = deepest.max(depth(&p.stmts));
            }
        }
    }
    assert!(
        (MAX_DEPTH - 5..=MAX_DEPTH + 3).contains(&deepest),
        "{deepest}"
    );
    // A flat 100k-token file is fine.
    let src = "x = [".to_string() + &"1, ".repeat(50_000) + "]\n";
    assert!(matches!(&value(&ok(&src).stmts, 0).kind, ExprKind::List(v) if v.len() == 50_000));
}

#[test]
fn shallow_input_fits_a_small_stack() {
    // Up to 12 levels are parsed on the caller's thread; deeper input on a helper thread.
    let k = 11;
    let ifs: String = (0..10)
        .map(|i| format!("{}if x:\n", " ".repeat(i)))
        .collect();
    let shapes = [
        format!("x = {}1{}\n", "[".repeat(k), "]".repeat(k)),
        format!("x = {}1{}\n", "f(".repeat(k), ")".repeat(k)),
        format!("x = {}1{}\n", "a[".repeat(k), "]".repeat(k)),
        format!("x = {}1\n", "not ".repeat(k)),
        format!("x = {}1{}\n", "-(".repeat(k / 2), ")".repeat(k / 2)),
        format!(
            "x = {}1{}\n",
            "a or b and c == d * [".repeat(k),
            "]".repeat(k)
        ),
        ifs + &" ".repeat(10) + "x = [1]\n",
    ];
    for src in shapes {
        assert!(parse_on_small_stack(src, 512 << 10).is_ok());
    }
}

/// xorshift64*: a small deterministic generator for the fuzz tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that make the lexer and parser go deep more often than uniform bytes would.
const ALPHABET: &[u8] = b"()[]{}:,.;=+-*/%<>!#'\"\\\n\n\n    \t\rabcxyz_019e.";
#[rustfmt::skip]
const SNIPPETS: &[&str] = &[
    "(", ")", "[", "]", "{", "}", ":", ",", "=", "==", "not ", " in ", " is ", "if ", "else",
    "elif ", "def ", "class ", "for ", "while ", "return", "global ", "with ", "lambda", "'",
    "\"", "\"\"\"", "\\", "#", "\n", "\n    ", "    ", "\t", "1", "1.5e", "0x", "**", "//", "-",
    "fork(", "wait(", "self.", "é", "\u{feff}", "# expect: race\n", "pass", "$",
    "try:", "except ", " as ", "finally:", "raise ", "nonlocal ", "f'{", "}'", "!r", " for ",
    "*", "x = ", "\n        ",
];

fn random_bytes(rng: &mut Rng) -> String {
    let len = rng.below(80);
    let bytes: Vec<u8> = (0..len)
        .map(|_| match rng.below(3) {
            0 => rng.next() as u8,
            _ => ALPHABET[rng.below(ALPHABET.len())],
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One to three random edits of the example program.
fn mutate(rng: &mut Rng) -> String {
    static CHARS: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    let mut chars = CHARS.get_or_init(|| EXAMPLE.chars().collect()).clone();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(7) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let c = ALPHABET[rng.below(ALPHABET.len())] as char;
                chars.insert(at, c);
            }
            2 if at < chars.len() => {
                chars[at] = char::from_u32(rng.below(0x250) as u32).unwrap_or('?')
            }
            3 => {
                let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
                chars.splice(at..at, snippet.chars());
            }
            4 | 5 => {
                // Duplicate a line, or change its indentation.
                let text: String = chars.iter().collect();
                let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
                let i = rng.below(lines.len());
                match rng.below(3) {
                    0 => lines.insert(i, lines[i].clone()),
                    1 => lines[i].insert_str(0, &" ".repeat(1 + rng.below(8))),
                    _ => {
                        let trimmed = lines[i].trim_start().to_string();
                        let indent = lines[i].len() - trimmed.len();
                        lines[i] = " ".repeat(rng.below(indent + 1)) + &trimmed;
                    }
                }
                chars = lines.join("\n").chars().collect();
            }
            _ => {
                // Swap two lines.
                let text: String = chars.iter().collect();
                let mut lines: Vec<&str> = text.split('\n').collect();
                let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(i, j);
                chars = lines.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

/// Parses `src` and checks that it neither panics nor reports an error outside the file;
/// returns whether it parsed.
fn check_robust(src: &str) -> bool {
    let result = std::panic::catch_unwind(|| parse("fuzz.fw", src));
    let result = result.unwrap_or_else(|_| panic!("parse panicked on {src:?}"));
    let Err(err) = result else { return true };
    let lines = src.lines().count() as u32;
    assert!(
        (1..=lines + 1).contains(&err.line),
        "line {} of {lines} for {src:?}: {err}",
        err.line
    );
    let text = src.split('\n').nth(err.line as usize - 1).unwrap_or("");
    let width = text.chars().count() as u32;
    assert!(
        (1..=width + 1).contains(&err.col),
        "col {} of {width} for {src:?}: {err}",
        err.col
    );
    let rendered = err.render(src);
    assert!(
        rendered.starts_with("error: ") && rendered.ends_with('^'),
        "{rendered}"
    );
    false
}

fn fuzz(count: usize, seed: u64, generate: fn(&mut Rng) -> String) -> (usize, usize) {
    let mut rng = Rng(seed);
    let parsed = (0..count)
        .filter(|_| check_robust(&generate(&mut rng)))
        .count();
    (parsed, count - parsed)
}

#[test]
fn fuzz_random_bytes() {
    let (parsed, failed) = fuzz(20_000, 0x9E37_79B9_7F4A_7C15, random_bytes);
    assert!(parsed > 0 && failed > 0, "{parsed} parsed, {failed} failed");
}

// The 20_000 mutations run as two tests so that they share the machine's cores.
#[test]
fn fuzz_mutated_example_a() {
    assert!(check_robust(EXAMPLE));
    let (parsed, failed) = fuzz(10_000, 0xD1B5_4A32_D192_ED03, mutate);
    assert!(
        parsed > 500 && failed > 500,
        "{parsed} parsed, {failed} failed"
    );
}

#[test]
fn fuzz_mutated_example_b() {
    let (parsed, failed) = fuzz(10_000, 0x2545_F491_4F6C_DD1D, mutate);
    assert!(
        parsed > 500 && failed > 500,
        "{parsed} parsed, {failed} failed"
    );
}

#[test]
#[ignore = "long fuzz run: cargo test --test model_parse -- --ignored --nocapture"]
fn fuzz_long() {
    for (kind, seed, generate) in [
        (
            "random bytes",
            0x0123_4567_89AB_CDEFu64,
            random_bytes as fn(&mut Rng) -> String,
        ),
        ("mutations of the example", 0xFEDC_BA98_7654_3210, mutate),
    ] {
        let (parsed, failed) = fuzz(100_000, seed, generate);
        println!(
            "{kind}: {} inputs, {parsed} parsed, {failed} rejected, no panic",
            parsed + failed
        );
    }
}
