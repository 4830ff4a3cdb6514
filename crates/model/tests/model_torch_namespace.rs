//! The `torch` namespace as values: `torch.jit.fork`/`_fork`/`wait`/`_wait`, `Future.wait()`,
//! `torch.jit.annotate`, the `script`/`trace` wrappers, `optimized_execution`, the tensor
//! functions on ints, `nn.ModuleList`, `m.eval()`; anything else under `torch.` is a
//! located error naming it.

use forkwait::Runtime;
use forkwait_model::{CheckOptions, Model, check_model};

fn load(src: &str) -> Result<Model, String> {
    Model::from_source("t.py", src).map_err(|d| format!("{}:{}: {}", d.line, d.col, d.message))
}

fn run(src: &str) -> Result<String, String> {
    let m = load(src)?;
    Runtime::eager()
        .run(|| m.try_run_main())
        .map(|v| format!("{v:?}"))
        .map_err(|d| format!("{}:{}: {}", d.line, d.col, d.message))
}

#[test]
fn fork_and_wait_under_all_their_names_are_the_builtins() {
    let src = "\
import torch
from typing import List

def double(x, k=2):
    return x * k

def main():
    a = torch.jit.fork(double, 1)
    b = torch.jit._fork(double, 2, k=3)
    futs = torch.jit.annotate(List[torch.jit.Future[int]], [])
    futs.append(torch.jit.fork(double, 5))
    return torch.jit.wait(a), torch.jit._wait(b), futs[0].wait(), wait(fork(double, 7))
";
    assert_eq!(run(src).unwrap(), "(2, 6, 10, 14)");
    // A fork is a fork: two forks appending to one list are found nondeterministic.
    let racy = "\
# expect: nondeterministic, impure, race
import torch

def add(log, x):
    log.append(x)

def main():
    log = []
    a = torch.jit.fork(add, log, 1)
    b = torch.jit._fork(add, log, 2)
    torch.jit.wait(a)
    torch.jit._wait(b)
    return log
";
    let m = load(racy).unwrap();
    let c = check_model(
        &m,
        &CheckOptions {
            iterations: 200,
            ..Default::default()
        },
    );
    assert!(c.ok, "{}", c.report);
}

#[test]
fn wrappers_behave_as_what_they_wrap() {
    let src = "\
import torch

class M(torch.nn.Module):
    def forward(self, x):
        return x + 1

def f(x):
    return x * 2

def main():
    g = torch.jit.script(f)
    t = torch.jit.trace(f, (3,), check_trace=False)
    m = torch.jit.script(M()).eval().train()
    tm = torch.jit.trace(M(), 1)
    with torch.jit.optimized_execution(False):
        r = torch.jit.wait(torch.jit.fork(m, 1))
    return g(1), t(2), r, tm(5), torch.jit.is_scripting()
";
    assert_eq!(run(src).unwrap(), "(2, 4, 2, 6, True)");
}

#[test]
fn tensor_functions_have_an_int_meaning() {
    let src = "\
import torch
import operator

def main():
    x = torch.tensor(3)
    return (torch.neg(x), torch.add(x, 2), torch.sub(x, 5), torch.mul(x, 4),
            torch.abs(-x), torch.relu(-x), torch.relu(x),
            torch.zeros(3, 4), torch.ones(2), torch.rand(3, 4), torch.randn(3, 4, requires_grad=True),
            torch.nn.Parameter(x), operator.add(1, 2), operator.lt(1, 2))
";
    assert_eq!(
        run(src).unwrap(),
        "(-3, 5, -2, 12, 3, 0, 3, 0, 1, 1, 1, 3, 3, True)"
    );
}

#[test]
fn module_lists_are_lists_of_modules() {
    let src = "\
import torch.nn as nn
import torch

class Add(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x + self.k

class Ensemble(nn.Module):
    def __init__(self):
        super().__init__()
        self.models = nn.ModuleList([Add(1), Add(10)])

    def forward(self, x):
        futs = []
        for m in self.models:
            futs.append(torch.jit.fork(m, x))
        return [torch.jit.wait(f) for f in futs] if False else futs[0].wait() + futs[1].wait() + len(self.models) + self.models[1](0)

def main():
    return Ensemble()(100)
";
    // (The comprehension branch is not taken.)
    let r = run(src);
    if let Err(e) = &r {
        assert!(e.contains("comprehension"), "{e}");
        return; // before comprehensions exist
    }
    assert_eq!(r.unwrap(), "223");
}

#[test]
fn unknown_members_are_located_errors_naming_them() {
    let err = load("import torch\n\ndef main():\n    return torch.jit.frok(abs, 1)\n").unwrap_err();
    assert!(err.starts_with("4:12: `torch.jit.frok` is not supported in models (known in `torch.jit`: fork, wait, _fork, _wait, annotate"), "{err}");
    let err = load("import torch\n\ndef main():\n    return torch.cuda\n").unwrap_err();
    assert!(
        err.starts_with("4:12: `torch.cuda` is not supported in models"),
        "{err}"
    );
    // Through a value the resolver cannot follow, the error comes when it runs.
    let err = run("import torch\n\ndef main():\n    t = torch\n    return t.linalg\n").unwrap_err();
    assert!(
        err.starts_with("5:12: `torch.linalg` is not supported in models"),
        "{err}"
    );
    let err = run("import torch\n\ndef main():\n    return torch.Tensor(1)\n").unwrap_err();
    assert!(err.contains("`torch.Tensor` is a type"), "{err}");
}

#[test]
fn an_unused_function_raises_when_called() {
    let src = "\
import torch

class M(torch.nn.Module):
    @torch.jit.unused
    def helper(self, x):
        return x

    def forward(self, x):
        return torch.jit.wait(torch.jit.fork(self.helper, x))

def main():
    return M()(1)
";
    let err = run(src).unwrap_err();
    assert!(
        err.contains("'helper' is decorated with @torch.jit.unused: calling it raises"),
        "{err}"
    );
}

#[test]
fn torch_jit_fork_arguments_are_checked_at_load_like_forks() {
    let src = "import torch\n\ndef add(a, b):\n    return a + b\n\ndef main():\n    return torch.jit.wait(torch.jit.fork(add, 1))\n";
    let err = load(src).unwrap_err();
    assert_eq!(
        err,
        "7:42: add() missing 1 required positional argument: 'b'"
    );
    let err = load("import torch\n\ndef main():\n    return torch.jit._fork()\n").unwrap_err();
    assert_eq!(err, "4:12: fork() missing the function to fork");
}

#[test]
fn tensor_methods_on_ints_say_that_tensors_are_ints() {
    // `x.t()` has an int meaning (see `model_tensor_methods.rs`); `x.view(...)` has none.
    let err =
        run("import torch\n\ndef main():\n    x = torch.rand(3, 4)\n    return x.view(4, 3)\n")
            .unwrap_err();
    assert!(
        err.starts_with("5:12: 'int' object has no attribute 'view' (tensors are ints in models"),
        "{err}"
    );
}

#[test]
fn training_flags_seeds_profiling_ranges_and_tensor_types() {
    let src = "\
import torch
import torch.nn as nn
from typing import Dict, Optional, Tuple
from torch.jit import Future

class M(nn.Module):
    @torch.jit.export
    def helper(self, x: int) -> int:
        return x + 1

    def forward(self, x: int) -> Tuple[int, bool]:
        futs: Dict[str, Future[int]] = {}
        futs['a'] = torch.jit.fork(self.helper, x)
        maybe: Optional[Future[int]] = None
        if x > 0:
            maybe = torch.jit.fork(self.helper, x + 1)
        r = futs['a'].wait()
        if maybe is not None:
            r += maybe.wait()
        return r, self.training

def main():
    torch.manual_seed(0)
    m = M()
    a = m(1)
    m.eval()
    with torch.autograd.profiler.record_function('fork'):
        b = m(1)
    m.train()
    fut = torch.jit.fork(m, 0)
    return (a, b, m.training, isinstance(torch.tensor(1), torch.Tensor),
            isinstance(fut, torch.jit.Future), isinstance(m, nn.Module),
            isinstance([], torch.Tensor), torch.jit.is_tracing(), fut.wait())
";
    assert_eq!(
        run(src).unwrap(),
        "((5, True), (5, False), True, True, True, True, False, False, (1, True))"
    );
}

#[test]
fn member_chains_are_resolved_once_at_load() {
    use forkwait_model::{Builtin, ExprKind, Slot, StmtKind};
    let src = "import torch\nimport torch.nn as nn\n\ndef main():\n    return torch.jit.fork(abs, 1), nn.ModuleList\n";
    let m = load(src).unwrap();
    let StmtKind::Return(Some(e)) = &m.program().function("main").unwrap().body[0].kind else {
        panic!()
    };
    let ExprKind::Tuple(items) = &e.kind else {
        panic!()
    };
    let ExprKind::Call(c) = &items[0].kind else {
        panic!()
    };
    assert_eq!(c.func.kind, ExprKind::Name("torch.jit.fork".into()));
    assert_eq!(c.func.slot, Slot::Builtin(Builtin::Fork));
    let Slot::Builtin(b @ Builtin::Torch(_)) = items[1].slot else {
        panic!("{:?}", items[1].slot)
    };
    assert_eq!(b.name(), "torch.nn.ModuleList");
}
