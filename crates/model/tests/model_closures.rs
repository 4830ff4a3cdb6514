//! Nested functions and lambdas: closures over the enclosing function's variables
//! (Python's cells: late binding, `nonlocal` writes), callable and forkable, and
//! instrumented like every other state so purity and race verdicts stay exact.

use forkwait::Runtime;
use forkwait_model::{Model, ModelCheck};

mod common;

fn model(src: &str) -> Model {
    common::model("c.fw", src)
}

fn eval(src: &str) -> String {
    common::eval("c.fw", src)
}

fn load_error(src: &str) -> String {
    common::load_error("c.fw", src)
}

fn check(src: &str) -> ModelCheck {
    common::check("c.fw", src, 200)
}

/// The verdicts, asserting no panic was found.
fn verdict(src: &str) -> Vec<&'static str> {
    common::verdict("c.fw", src, 200)
}

#[test]
fn a_nested_def_reads_the_enclosing_scope_late() {
    let src = "\
def main():
    k = 1
    def add(x):
        return x + k
    first = add(10)
    k = 100
    return [first, add(10), add]
";
    // Python's late binding: the closure sees `k` as it is when it runs.
    assert_eq!(eval(src), "[11, 110, <function add>]");
}

#[test]
fn nonlocal_writes_the_enclosing_variable() {
    let src = "\
def main():
    count = 0
    def bump(by=1):
        nonlocal count
        count += by
    bump()
    bump(5)
    return count
";
    assert_eq!(eval(src), "6");
}

#[test]
fn closures_nest_and_each_call_has_its_own_cells() {
    let src = "\
def make_counter(start):
    n = start
    def step():
        def inner():
            nonlocal n
            n = n + 1
            return n
        return inner()
    return step

def main():
    a = make_counter(0)
    b = make_counter(10)
    return [a(), a(), b(), a()]
";
    assert_eq!(eval(src), "[1, 2, 11, 3]");
}

#[test]
fn lambdas_capture_and_take_defaults_at_definition() {
    let src = "\
def main():
    base = 2
    scale = lambda x, by=base: x * by + base
    base = 3
    return [scale(5), (lambda: base)(), scale(1, by=10)]
";
    // The default is evaluated when the lambda is made (2); `base` is read late (3).
    assert_eq!(eval(src), "[13, 3, 13]");
}

#[test]
fn a_forked_closure_runs_and_its_value_is_waited() {
    let src = "\
# expect: deterministic
def main():
    offset = 10
    def work(x):
        return x + offset
    futs = [fork(work, 1), fork(work, 2), fork(lambda: offset * 2)]
    return [wait(futs[0]), wait(futs[1]), wait(futs[2])]
";
    let c = check(src);
    assert!(c.ok, "{}", c.report);
    assert_eq!(c.verdict, ["deterministic"]);
    let outcomes = common::outcomes(&c);
    assert_eq!(outcomes, ["[11, 12, 20]"]);
}

#[test]
fn a_forked_closure_mutating_a_captured_list_is_an_input_impurity() {
    let bug = "\
def main():
    log = []
    def work(x):
        log.append(x)
    a = fork(work, 1)
    wait(a)
    return log
";
    assert_eq!(verdict(bug), ["deterministic", "impure"]);
    let c = check(bug);
    let text = c.report.to_string();
    assert!(text.contains("input"), "{text}");
    // Reading the captured list only: pure.
    let ok = "\
def main():
    xs = [1, 2, 3]
    def total():
        return sum(xs)
    a = fork(total)
    return wait(a)
";
    assert_eq!(verdict(ok), ["deterministic"]);
}

#[test]
fn forked_closures_writing_a_nonlocal_race() {
    let bug = "\
def main():
    n = 0
    def bump():
        nonlocal n
        n = n + 1
    a = fork(bump)
    b = fork(bump)
    wait(a)
    wait(b)
    return n
";
    let v = verdict(bug);
    assert!(v.contains(&"race") && v.contains(&"impure"), "{v:?}");
    assert!(v.contains(&"nondeterministic"), "{v:?}");
    // The cell is reported where the variable's function is defined, in the model.
    let text = check(bug).report.to_string();
    assert!(text.contains("state created at c.fw:1:1"), "{text}");
    // The same with each task returning its part and the parent adding: silent.
    let ok = "\
def main():
    n = 0
    def part(i):
        return n + i
    a = fork(part, 1)
    b = fork(part, 2)
    n = wait(a) + wait(b)
    return n
";
    assert_eq!(verdict(ok), ["deterministic"]);
}

#[test]
fn a_parent_reassigning_a_variable_a_forked_closure_reads_races() {
    let bug = "\
def main():
    k = 1
    def read():
        return k
    a = fork(read)
    k = 2
    return wait(a)
";
    let v = verdict(bug);
    assert!(
        v.contains(&"race") && v.contains(&"nondeterministic"),
        "{v:?}"
    );
}

#[test]
fn a_method_forks_nested_functions_capturing_self_and_parameters() {
    // The TorchScript shape: `forward` defines helpers over `self` and its arguments
    // and forks them.
    let src = "\
# expect: deterministic
class Ensemble:
    def __init__(self, scale):
        self.scale = scale

    def forward(self, xs):
        def one(x):
            return x * self.scale
        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)
        futs = [fork(one, x) for x in xs]
        futs.append(fork(fib, len(xs) + 3))
        return [wait(f) for f in futs]

def main():
    return Ensemble(3)([1, 2])
";
    let c = check(src);
    assert!(c.ok, "{}", c.report);
    let outcomes = common::outcomes(&c);
    assert_eq!(outcomes, ["[3, 6, 5]"]);
}

#[test]
fn a_nested_def_in_a_module_block_binds_a_global() {
    let src = "\
if True:
    def helper(x):
        return x * 2

def main():
    return helper(21)
";
    assert_eq!(eval(src), "42");
}

#[test]
fn scoping_errors_are_located() {
    let src = "def main():\n    nonlocal x\n    return 1\n";
    assert!(
        load_error(src).starts_with("2:5: no binding for nonlocal 'x' found"),
        "{}",
        load_error(src)
    );
    let src = "def main():\n    def f(a):\n        nonlocal a\n    return 1\n";
    assert_eq!(load_error(src), "3:9: name 'a' is a parameter and nonlocal");
    let src = "x = 1\nnonlocal x\ndef main():\n    return 1\n";
    assert_eq!(load_error(src), "2:1: `nonlocal` outside a function");
    let src = "def main():\n    def f():\n        return nowhere\n    return f()\n";
    assert_eq!(load_error(src), "3:16: name 'nowhere' is not defined");
    // A class inside a function is supported (`model_local_classes.rs`); its base is
    // resolved like a top-level class's.
    let src = "def main():\n    class C(Nope):\n        pass\n";
    assert!(load_error(src).starts_with("2:13: unsupported base class `Nope`"));
}

#[test]
fn an_unassigned_captured_variable_is_a_located_error() {
    let src = "\
def main():
    def f():
        return later
    v = f()
    later = 1
    return v
";
    let m = model(src);
    let d = Runtime::eager()
        .run(|| m.try_run_main())
        .expect_err("unbound");
    assert_eq!((d.line, d.col), (3, 16));
    assert!(d.message.contains("'later'"), "{}", d.message);
}
