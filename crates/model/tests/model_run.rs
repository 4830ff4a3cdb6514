//! The model interpreter: Python semantics of the language, located runtime errors, and
//! the same results in every execution mode.

use forkwait::{Checker, FindingKind, Runtime};
use forkwait_model::{Model, Snapshot};

fn model(src: &str) -> Model {
    Model::from_source("t.fw", src).unwrap_or_else(|d| panic!("{}", d.render(src)))
}

/// `main()`'s result in eager mode, as its repr.
fn eval(src: &str) -> String {
    let m = model(src);
    match Runtime::eager().run(|| m.try_run_main()) {
        Ok(v) => format!("{v:?}"),
        Err(d) => panic!("{}", d.render(src)),
    }
}

/// `return <expr>` in a main.
fn expr(e: &str) -> String {
    eval(&format!("def main():\n    return {e}\n"))
}

/// The runtime error of `main()` in eager mode, as `line:col: message`.
fn error(src: &str) -> String {
    let m = model(src);
    let d = Runtime::eager()
        .run(|| m.try_run_main())
        .expect_err("a runtime error");
    format!("{}:{}: {}", d.line, d.col, d.message)
}

#[test]
fn arithmetic_follows_python() {
    for (e, want) in [
        (
            "7 // 2, -7 // 2, 7 // -2, 7 % 3, -7 % 3, 7 % -3",
            "(3, -4, -4, 1, 2, -2)",
        ),
        ("7 / 2, 2 ** 10, 2 ** -1, 2.0 * 3", "(3.5, 1024, 0.5, 6.0)"),
        (
            "-7.5 // 2, 7.5 % -2, abs(-3), abs(-2.5)",
            "(-4.0, -0.5, 3, 2.5)",
        ),
        (
            "True + 1, 1 == 1.0, 1e16, 1.5e-05, 0.1 + 0.2",
            "(2, True, 1e+16, 1.5e-05, 0.30000000000000004)",
        ),
        (
            "1 < 2 < 3, 1 < 3 < 2, not 0, None is None, 2 if 0 else 3",
            "(True, False, True, True, 3)",
        ),
        ("0 or 'x', 1 and [], [] or None", "('x', [], None)"),
        (
            "'ab' * 3, 'a' + 'b', [1] * 3, (1,) + (2,)",
            "('ababab', 'ab', [1, 1, 1], (1, 2))",
        ),
        (
            "min(3, 1, 2), max([4, 9, 2]), sum(range(5)), sorted([3, 1, 2], reverse=True)",
            "(1, 9, 10, [3, 2, 1])",
        ),
        (
            "int('42'), int(3.9), float('2.5'), str(12), bool([]), len('héllo')",
            "(42, 3, 2.5, '12', False, 5)",
        ),
        ("\"it's\", 'a\\nb', 'q\"'", "(\"it's\", 'a\\nb', 'q\"')"),
    ] {
        assert_eq!(expr(e), want, "{e}");
    }
}

#[test]
fn containers_and_methods() {
    let src = "\
def main():
    xs = [1, 2, 3]
    xs.append(4)
    xs.extend((5, 6))
    xs.insert(0, 0)
    last = xs.pop()
    xs[1] += 10
    d = {'a': 1}
    d['b'] = 2
    d['a'] = 3
    ys = xs
    ys.append(99)
    return (xs, last, xs[1:3], xs[::-2], xs[-1], d, d.get('z', 0), d.keys(), list(d.items()),
            'b' in d, 3 in xs, xs.index(99), len(d), ', '.join(['x', 'y']), 'a b'.split())
";
    assert_eq!(
        eval(src),
        "([0, 11, 2, 3, 4, 5, 99], 6, [11, 2], [99, 4, 2, 0], 99, {'a': 3, 'b': 2}, 0, \
         ['a', 'b'], [('a', 3), ('b', 2)], True, True, 6, 2, 'x, y', ['a', 'b'])"
    );
    let cyclic = "def main():\n    xs = [1]\n    xs.append(xs)\n    return xs\n";
    assert_eq!(eval(cyclic), "[1, [...]]");
}

#[test]
fn control_flow_functions_and_classes() {
    let src = "\
total = 0

class Acc:
    def __init__(self, start=10):
        self.n = start

    def add(self, k):
        self.n += k
        return self

    def forward(self, x):
        return self.n * x

def collatz(n, steps=0):
    while True:
        if n == 1:
            break
        elif n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps

def main():
    global total
    for i, c in enumerate('abc'):
        if c == 'b':
            continue
        total += i
    a, b = 1, 2
    a, b = b, a
    acc = Acc(start=1).add(2)
    pairs = zip([1, 2, 3], 'xy')
    return (total, collatz(27), (a, b), acc(5), acc.n, pairs, Acc().n)
";
    assert_eq!(
        eval(src),
        "(2, 111, (2, 1), 15, 3, ((1, 'x'), (2, 'y')), 10)"
    );
}

#[test]
fn fork_and_wait_values() {
    let src = "\
def square(x):
    return x * x

class Scale:
    def __init__(self, k):
        self.k = k
    def forward(self, x, bias=0):
        return self.k * x + bias

def main():
    futs = []
    for i in range(4):
        futs.append(fork(square, i))
    outs = []
    for f in futs:
        outs.append(wait(f))
    f = fork(Scale(3), 2, bias=1)
    g = fork(len, [1, 2])
    return (outs, wait(f), wait(f), wait(g))
";
    let want = "([0, 1, 4, 9], 7, 7, 2)";
    assert_eq!(eval(src), want);
    let m = model(src);
    let parallel = Runtime::parallel(2).run(|| m.try_run_main()).expect("runs");
    assert_eq!(format!("{parallel:?}"), want);
    let (traced, graph) = forkwait::trace(|| m.try_run_main());
    assert_eq!(format!("{:?}", traced.expect("runs")), want);
    // Every `wait` call is its own `aten::wait` node, the second `wait(f)` too, as a
    // TorchScript trace records each `torch.jit.wait` (futures are shared: waited any
    // number of times).
    assert_eq!((graph.forks(), graph.waits()), (6, 7));
    let report = Checker::new().iterations(100).run(|| m.run_main());
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.outcomes()[0].value, want);
}

#[test]
fn runtime_errors_are_located() {
    for (src, want) in [
        (
            "def main():\n    x = [1]\n    return x[5]\n",
            "3:14: list index out of range",
        ),
        (
            "def main():\n    return {'a': 1}['b']\n",
            "2:21: KeyError: 'b'",
        ),
        (
            "def main():\n    f = 3\n    return f(1)\n",
            "3:12: 'int' object is not callable",
        ),
        (
            "def main():\n    return wait(5)\n",
            "2:12: wait() expects a future, got a 'int'",
        ),
        (
            "def main():\n    return [].nope\n",
            "2:12: 'list' object has no attribute 'nope'",
        ),
        (
            "def main():\n    x = 'a'\n    return 1 + x\n",
            "3:14: unsupported operand type(s) for +: 'int' and 'str'",
        ),
        (
            "def main():\n    return 10 // (1 - 1)\n",
            "2:15: integer division or modulo by zero",
        ),
        (
            "def main():\n    k = 70\n    return 2 ** k\n",
            "3:14: integer overflow (model integers are 64-bit)",
        ),
        (
            "def main():\n    y = x\n    x = 1\n",
            "2:9: local variable 'x' referenced before assignment",
        ),
        (
            "def main():\n    assert 1 > 2, 'math is broken'\n",
            "2:5: assertion failed: math is broken",
        ),
        (
            "def f(a):\n    return a\ndef main():\n    g = f\n    return g(1, 2)\n",
            "5:12: f() takes 1 positional argument but 2 were given",
        ),
        (
            "def f(a):\n    return a\ndef main():\n    g = f\n    return g(b=1)\n",
            "5:12: f() got an unexpected keyword argument 'b'",
        ),
        (
            "def main():\n    with 3:\n        pass\n",
            "2:10: 'int' object cannot be used in `with` (only a Lock() can)",
        ),
        (
            "class A:\n    pass\ndef main():\n    return A()(1)\n",
            "4:12: 'A' object is not callable (it has no `forward` method)",
        ),
        (
            "def main():\n    return fork(3)\n",
            "2:12: fork() expects a function, got a 'int'",
        ),
    ] {
        assert_eq!(error(src), want, "{src}");
    }
}

#[test]
fn an_error_in_a_task_is_raised_at_wait_with_its_own_location() {
    let src =
        "def bad(x):\n    return x[3]\n\ndef main():\n    f = fork(bad, [1])\n    return wait(f)\n";
    let m = model(src);
    let d = Runtime::eager()
        .run(|| m.try_run_main())
        .expect_err("fails");
    assert_eq!((d.line, d.col), (2, 14)); // the index
    assert_eq!(d.message, "list index out of range");
    assert_eq!(
        d.notes,
        ["raised in a forked task, re-raised by `wait` at t.fw:6:12"]
    );
    let rendered = d.render(src);
    assert!(rendered.contains("2 |     return x[3]"), "{rendered}");
    // Under the checker: a Panic finding with the model's location in its message.
    let r = Checker::new().iterations(20).run(|| m.run_main());
    assert!(r.has(FindingKind::Panic));
    assert!(
        r.findings()[0]
            .message()
            .contains("t.fw:2:14: error: list index out of range")
    );
}

#[test]
fn forking_a_list_method_mutates_the_input() {
    let src = "def main():\n    xs = []\n    wait(fork(xs.append, 1))\n    return xs\n";
    assert_eq!(eval(src), "[1]");
    let m = model(src);
    let r = Checker::new().iterations(20).run(|| m.run_main());
    assert!(r.has(FindingKind::ImpureWrite), "{r}");
    assert!(!r.has(FindingKind::Nondeterminism));
}

#[test]
fn each_execution_starts_from_fresh_state() {
    let src = "n = 0\ndef main():\n    global n\n    n += 1\n    return n\n";
    let m = model(src);
    assert_eq!(format!("{:?}", m.run_main()), "1");
    assert_eq!(format!("{:?}", m.run_main()), "1");
    let r = Checker::new().iterations(30).run(|| m.run_main());
    assert!(r.is_clean());
    assert_eq!(r.outcomes()[0].count, 30);
}

#[test]
fn a_loop_without_shared_state_still_hits_the_step_limit() {
    let m = model("def main():\n    i = 0\n    while True:\n        i += 1\n");
    let r = Checker::new()
        .iterations(2)
        .max_steps(300)
        .run(|| m.run_main());
    assert!(r.has(FindingKind::StepLimit), "{r}");
}

#[test]
fn recursion_is_bounded() {
    let src = "def f(n):\n    return f(n + 1)\ndef main():\n    return f(0)\n";
    assert_eq!(
        error(src),
        "2:12: RecursionError: maximum recursion depth exceeded (1000 nested calls)"
    );
    let ok = "def f(n):\n    if n == 0:\n        return 0\n    return 1 + f(n - 1)\ndef main():\n    return wait(fork(f, 50))\n";
    assert_eq!(eval(ok), "50");
    let m = model(ok);
    let r = Checker::new()
        .stack_size(forkwait_model::MODEL_STACK_SIZE)
        .iterations(3)
        .run(|| m.run_main());
    assert_eq!(r.outcomes()[0].value, "50");
}

#[test]
fn snapshots_compare_and_print() {
    let m = model("def main():\n    return {'k': (1, [2.0, None])}\n");
    let v = m.run_main();
    assert_eq!(
        v,
        Snapshot::Dict(vec![(
            Snapshot::Str("k".into()),
            Snapshot::Tuple(vec![
                Snapshot::Int(1),
                Snapshot::List(vec![Snapshot::Float(2.0), Snapshot::None])
            ])
        )])
    );
    assert_eq!(format!("{v:?}"), "{'k': (1, [2.0, None])}");
}
