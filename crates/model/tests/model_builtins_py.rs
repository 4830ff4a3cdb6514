//! The smaller Python that TorchScript code uses: f-strings, `*args` in calls, the
//! `operator` module, `isinstance`, `any`/`all`; each also as a fork target or argument.

use forkwait::Runtime;
use forkwait_model::{CheckOptions, Model, check_model};

fn model(src: &str) -> Model {
    Model::from_source("b.fw", src).unwrap_or_else(|d| panic!("{}", d.render(src)))
}

fn eval(src: &str) -> String {
    let m = model(src);
    match Runtime::eager().run(|| m.try_run_main()) {
        Ok(v) => format!("{v:?}"),
        Err(d) => panic!("{}", d.render(src)),
    }
}

fn expr(e: &str) -> String {
    eval(&format!(
        "def main():\n    x = 42\n    pi = 3.14159\n    s = 'ab'\n    return {e}\n"
    ))
}

fn load_error(src: &str) -> String {
    let Err(d) = Model::from_source("b.fw", src) else {
        panic!("loads: {src}");
    };
    format!("{}:{}: {}", d.line, d.col, d.message)
}

#[test]
fn f_strings_format_like_python() {
    for (e, want) in [
        ("f'x={x}, s={s!r}, {{lit}}'", "\"x=42, s='ab', {lit}\""),
        (
            "f'{pi:.2f}|{x:5}|{x:<5}|{x:^6}|{x:05d}|{s:>4}'",
            "'3.14|   42|42   |  42  |00042|  ab'",
        ),
        (
            "f'{x:x} {x:b} {-x:+} {1234567:,} {0.25:.0%}'",
            "'2a 101010 -42 1,234,567 25%'",
        ),
        (
            "f'{[i * 2 for i in range(3)]} {len(s) + 1} {\"q\"}'",
            "'[0, 2, 4] 3 q'",
        ),
        ("f'plain'", "'plain'"),
    ] {
        assert_eq!(expr(e), want, "{e}");
    }
}

#[test]
fn f_string_errors_are_located_in_the_string() {
    assert_eq!(
        load_error("def main():\n    return f'a {nowhere} b'\n"),
        "2:17: name 'nowhere' is not defined"
    );
    assert!(
        load_error("x = f'{1 +}'\ndef main():\n    pass\n")
            .starts_with("1:11: expected an expression")
    );
    assert!(
        load_error("x = f'{x'\ndef main():\n    pass\n").contains("expected '}' in the f-string")
    );
    assert!(load_error("x = f'a}'\ndef main():\n    pass\n").contains("single '}' is not allowed"));
    // After a line break inside the f-string, errors point at the f-string itself.
    let src = "x = f'''a\nb {1 +}'''\ndef main():\n    pass\n";
    assert!(
        load_error(src).starts_with("1:5: expected an expression"),
        "{}",
        load_error(src)
    );
    let src = "x = f'a\\n{1 +}'\ndef main():\n    pass\n";
    assert!(
        load_error(src).starts_with("1:5: expected an expression"),
        "{}",
        load_error(src)
    );
    let m = model("def main():\n    return f'{3:q}'\n");
    let d = Runtime::eager()
        .run(|| m.try_run_main())
        .expect_err("bad spec");
    assert!(
        d.message.contains("unknown format code 'q'"),
        "{}",
        d.message
    );
}

#[test]
fn star_args_unpack_into_calls_and_forks() {
    let src = "\
def add3(a, b, c=100):
    return a + b + c

def main():
    args = [1, 2]
    t = (5, 6, 7)
    futs = [fork(add3, *args), fork(add3, *t), fork(add3, 0, *args)]
    return [add3(*args), add3(*t), add3(*args, c=0), print(*[]), [wait(f) for f in futs]]
";
    assert_eq!(eval(src), "[103, 18, 3, None, [103, 18, 3]]");
    let m = model("def f(a):\n    return a\n\ndef main():\n    return f(*[1, 2])\n");
    let d = Runtime::eager()
        .run(|| m.try_run_main())
        .expect_err("arity");
    assert!(
        d.message
            .contains("takes 1 positional argument but 2 were given"),
        "{}",
        d.message
    );
}

#[test]
fn star_args_parameters_collect_the_extra_positionals() {
    let src = "\
def total(first, *rest):
    return first + sum(rest)

def main():
    show = lambda *a: a
    return [total(1), total(1, 2, 3), total(*[4, 5]), show(), show(1, 2), wait(fork(total, 1, 2))]
";
    assert_eq!(eval(src), "[1, 6, 9, (), (1, 2), 3]");
    assert_eq!(
        load_error("def f(a, *r):\n    return a\n\ndef main():\n    return f()\n"),
        "5:12: f() missing 1 required positional argument: 'a'"
    );
    assert_eq!(
        load_error("def f(*r):\n    return r\n\ndef main():\n    return f(r=1)\n"),
        "5:12: f() got an unexpected keyword argument 'r'"
    );
}

#[test]
fn the_operator_module_is_a_builtin_object() {
    assert_eq!(
        expr(
            "[operator.add(1, 2), operator.mul(s, 2), operator.neg(x), operator.lt(1, 2), operator.not_(0)]"
        ),
        "[3, 'abab', -42, True, True]"
    );
    let src = "\
def main():
    fut = fork(operator.add, 20, 22)
    total = 0
    for v in [1, 2, 3]:
        total = operator.add(total, v)
    return [wait(fut), total]
";
    assert_eq!(eval(src), "[42, 6]");
    let c = check_model(
        &model(src),
        &CheckOptions {
            iterations: 50,
            ..Default::default()
        },
    );
    assert_eq!(c.verdict, ["deterministic"]);
}

#[test]
fn sorted_min_and_max_take_a_key_function() {
    assert_eq!(
        expr(
            "[sorted([3, -1, 2], key=abs), sorted(['bb', 'a', 'cc'], key=len, reverse=True), min([3, -4, 2], key=lambda v: v * v), max('ab', 'c', key=len), sorted([2, 1], key=None)]"
        ),
        "[[-1, 2, 3], ['bb', 'cc', 'a'], 2, 'ab', [1, 2]]"
    );
    assert_eq!(expr("enumerate('ab', 1)"), "((1, 'a'), (2, 'b'))");
    let m = model("def main():\n    return sorted([1, 'a'], key=lambda v: v)\n");
    let d = Runtime::eager()
        .run(|| m.try_run_main())
        .expect_err("mixed keys");
    assert!(d.message.contains("not supported between"), "{}", d.message);
}

#[test]
fn isinstance_any_and_all() {
    assert_eq!(
        expr(
            "[isinstance(x, int), isinstance(True, int), isinstance(s, (int, str)), isinstance(pi, int), isinstance([], list), isinstance(ValueError('v'), Exception)]"
        ),
        "[True, True, True, False, True, True]"
    );
    assert_eq!(
        expr("[any([]), all([]), any([0, s]), all([1, 0])]"),
        "[False, True, True, False]"
    );
    let src =
        "class A:\n    pass\n\ndef main():\n    return [isinstance(A(), A), isinstance(3, A)]\n";
    assert_eq!(eval(src), "[True, False]");
}
