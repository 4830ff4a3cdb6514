//! Comprehensions and generator expressions (their variables are their own), tuple
//! unpacking in every target, and the builtins that consume them; comprehension
//! targets are instrumented like any local, so verdicts stay exact.

use forkwait_model::Model;

mod common;

fn eval(src: &str) -> String {
    common::eval("q.fw", src)
}

fn expr(e: &str) -> String {
    eval(&format!(
        "def main():\n    xs = [3, 1, 2]\n    return {e}\n"
    ))
}

fn verdict(src: &str) -> Vec<&'static str> {
    common::verdict("q.fw", src, 200)
}

#[test]
fn comprehensions_build_lists_and_dicts() {
    for (e, want) in [
        ("[x * 2 for x in xs]", "[6, 2, 4]"),
        ("[x for x in xs if x > 1]", "[3, 2]"),
        (
            "[(i, j) for i in range(3) for j in range(i)]",
            "[(1, 0), (2, 0), (2, 1)]",
        ),
        (
            "[[y for y in range(x)] for x in xs]",
            "[[0, 1, 2], [0], [0, 1]]",
        ),
        ("{x: x * x for x in xs if x != 1}", "{3: 9, 2: 4}"),
        ("{k: v for k, v in zip('ab', xs)}", "{'a': 3, 'b': 1}"),
        ("sum(x for x in xs)", "6"),
        ("list(x + 1 for x in xs)", "[4, 2, 3]"),
        (
            "any(x > 2 for x in xs), all(x > 2 for x in xs)",
            "(True, False)",
        ),
        (
            "sorted(x for x in xs), max(-x for x in xs)",
            "([1, 2, 3], -1)",
        ),
        ("[i for i, x in enumerate(xs) if x < 3]", "[1, 2]"),
        ("[a + b for (a, b) in [(1, 2), (3, 4)]]", "[3, 7]"),
    ] {
        assert_eq!(expr(e), want, "{e}");
    }
}

#[test]
fn comprehension_variables_are_their_own() {
    let src = "\
x = 'global'

def main():
    x = 'local'
    squares = [x * x for x in range(4)]
    pairs = {x: 1 for x in 'ab'}
    return [x, squares, pairs, [x for x in [x]]]
";
    // The comprehensions' `x` leaves the function's `x` alone, and the first iterable is
    // evaluated outside the comprehension (`[x]` is `['local']`).
    assert_eq!(
        eval(src),
        "['local', [0, 1, 4, 9], {'a': 1, 'b': 1}, ['local']]"
    );
    let module = "\
base = 10
table = [base + i for i in range(3)]

def main():
    return [table, [f(2) for f in [lambda v: v * base]]]
";
    assert_eq!(eval(module), "[[10, 11, 12], [20]]");
}

#[test]
fn tuple_unpacking_works_in_every_target() {
    let src = "\
def main():
    a, (b, c) = 1, [2, 3]
    out = []
    for i, (x, y) in enumerate(zip('ab', [10, 20])):
        out.append((i, x, y))
    with_rest = [a + b + c]
    return [out, with_rest, [v for _, v in sorted({'z': 1, 'y': 2}.items())]]
";
    assert_eq!(eval(src), "[[(0, 'a', 10), (1, 'b', 20)], [6], [2, 1]]");
}

#[test]
fn slices_take_steps() {
    assert_eq!(
        expr("list(range(10))[::3], [1, 2, 3, 4][::-1], 'abcdef'[1:5:2], (1, 2, 3)[::-2]"),
        "([0, 3, 6, 9], [4, 3, 2, 1], 'bd', (3, 1))"
    );
}

#[test]
fn a_function_made_in_a_comprehension_cannot_capture_its_variable() {
    let src = "def main():\n    return [lambda: i for i in range(3)]\n";
    let Err(d) = Model::from_source("q.fw", src) else {
        panic!("loads");
    };
    assert_eq!((d.line, d.col), (2, 21));
    assert!(d.message.contains("`lambda i=i: ...`"), "{}", d.message);
    // The supported spelling works.
    let ok = "def main():\n    fs = [lambda i=i: i * 10 for i in range(3)]\n    return [f() for f in fs]\n";
    assert_eq!(eval(ok), "[0, 10, 20]");
}

#[test]
fn forked_tasks_reading_disjoint_items_through_comprehensions_are_silent() {
    let ok = "\
def work(xs, lo, hi):
    return sum([xs[i] for i in range(lo, hi)])

def main():
    xs = [i for i in range(8)]
    futs = [fork(work, xs, k, k + 4) for k in [0, 4]]
    return [wait(f) for f in futs]
";
    assert_eq!(verdict(ok), ["deterministic"]);
    // A task building its result in the caller's list races with the caller's read.
    let bug = "\
def work(out):
    out.extend([i * i for i in range(3)])

def main():
    out = []
    f = fork(work, out)
    n = len([x for x in out])
    wait(f)
    return n
";
    let v = verdict(bug);
    assert!(v.contains(&"race") && v.contains(&"impure"), "{v:?}");
}
