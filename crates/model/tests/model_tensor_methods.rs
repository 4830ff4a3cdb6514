//! Tensor methods on the ints that stand for tensors in models (`interp/tensor.rs`): code
//! kept as written (`x.t()`, `x.neg()`, `y.requires_grad`) runs, with the int meaning.

use forkwait::Runtime;
use forkwait_model::{CheckOptions, Model, check_model};

fn load(src: &str) -> Model {
    Model::from_source("m.py", src).unwrap_or_else(|d| panic!("{d:?}"))
}

fn run(src: &str) -> Result<String, String> {
    let m = load(src);
    Runtime::eager()
        .run(|| m.try_run_main())
        .map(|v| format!("{v:?}"))
        .map_err(|d| format!("{}:{}: {}", d.line, d.col, d.message))
}

#[test]
fn tensor_methods_have_their_int_meaning() {
    let src = "\
import torch

def main():
    x = torch.rand(3, 4) + 4
    return [x.t(), x.neg(), x.neg().t() + x, (0 - x).abs(), (0 - x).relu(), x.clone().detach(),
            x.item(), x.sum(0), x.add(2), x.sub(2), x.mul(2), x.float(), (2.5).int()]
";
    assert_eq!(
        run(src).unwrap(),
        "[5, -5, 0, 5, 0, 5, 5, 5, 7, 3, 10, 5.0, 2]"
    );
}

#[test]
fn wrong_arguments_and_missing_methods_are_located_errors() {
    let err = run("def main():\n    x = 3\n    return x.add()\n").unwrap_err();
    assert!(
        err.starts_with("3:12: add() takes 1 argument(s) (0 given)"),
        "{err}"
    );
    let err = run("def main():\n    x = 3\n    return x.t(0)\n").unwrap_err();
    assert!(err.starts_with("3:12: t() takes no arguments"), "{err}");
    let err = run("def main():\n    x = 3\n    return x.reshape(1)\n").unwrap_err();
    assert!(
        err.contains("'int' object has no attribute 'reshape'"),
        "{err}"
    );
}

/// `requires_grad` of an int follows the grad mode of the task that reads it, which a
/// forked task inherits from its caller (the shape of PyTorch's grad-guard tests).
#[test]
fn requires_grad_follows_the_inherited_grad_mode() {
    let src = "\
# expect: deterministic
import torch

def foo(x):
    y = x * 2
    return y.requires_grad

def bar(x):
    fut = torch.jit._fork(foo, x)
    in_fork = torch.jit._wait(fut)
    z = x * 2
    return (in_fork, z.requires_grad)

def main():
    x = 3
    with torch.no_grad():
        off = bar(x)
    with torch.enable_grad():
        on = bar(x)
    return [off, on]
";
    assert_eq!(run(src).unwrap(), "[(False, False), (True, True)]");
    let r = check_model(
        &load(src),
        &CheckOptions {
            iterations: 50,
            ..Default::default()
        },
    );
    assert!(r.ok, "{}", r.report);
    assert_eq!(r.report.outcomes().len(), 1);
}
