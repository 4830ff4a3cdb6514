//! Annotations are kept in the tree and checked where TorchScript checks them: a
//! `Future[T]` that contradicts what the forked function is annotated to return, or a
//! waited value that contradicts its annotation, is a located error (at load for
//! top-level functions and methods; when the `def` runs for a nested function, so that
//! the program may catch it, as TorchScript raises it when scripting).

use forkwait::Runtime;
use forkwait_model::{ExprKind, Model, StmtKind};

fn load(src: &str) -> Result<Model, String> {
    Model::from_source("t.py", src).map_err(|d| format!("{}:{}: {}", d.line, d.col, d.message))
}

const HEAD: &str = "\
import torch
from torch import Tensor
from typing import Any, List, Optional
from torch.jit import Future

def returns_int(x: int) -> int:
    return x + 1

";

#[test]
fn annotations_are_kept_in_the_tree() {
    let src = format!(
        "{HEAD}def main() -> List[int]:\n    fut: Future[int] = torch.jit.fork(returns_int, 1)\n    return [fut.wait()]\n"
    );
    let m = load(&src).unwrap();
    let f = m.program().function("returns_int").unwrap();
    assert!(
        matches!(&f.params[0].annotation.as_ref().unwrap().kind, ExprKind::Name(n) if n == "int")
    );
    assert!(f.returns.is_some());
    let main = m.program().function("main").unwrap();
    let StmtKind::Assign { target, .. } = &main.body[0].kind else {
        panic!()
    };
    assert!(matches!(
        &target.annotation.as_ref().unwrap().kind,
        ExprKind::Subscript { .. }
    ));
}

#[test]
fn consistent_annotations_load() {
    let ok = [
        "def main():\n    fut: Future[int] = torch.jit.fork(returns_int, 1)\n    y: int = fut.wait()\n    return y\n",
        "def main():\n    fut: Future[Any] = torch.jit.fork(returns_int, 1)\n    return fut.wait()\n",
        "def main():\n    fut: Future[Tensor] = torch.jit.fork(returns_int, 1)\n    return fut.wait()\n",
        "def main():\n    fut: Future[Optional[int]] = torch.jit.fork(returns_int, 1)\n    return fut.wait()\n",
        "def f(x: int) -> Future[int]:\n    return torch.jit.fork(returns_int, x)\n\ndef main():\n    return f(1).wait()\n",
        "def main():\n    futs = torch.jit.annotate(List[Future[int]], [])\n    fut = torch.jit.annotate(Future[int], torch.jit.fork(returns_int, 1))\n    return fut.wait()\n",
    ];
    for body in ok {
        load(&format!("{HEAD}{body}")).unwrap_or_else(|e| panic!("{body}: {e}"));
    }
}

#[test]
fn contradicting_futures_are_located_load_errors() {
    let cases = [
        (
            "def main():\n    fut: Future[str] = torch.jit.fork(returns_int, 1)\n    return fut.wait()\n",
            "10:24: `fut` is annotated as `Future[str]` but this value is of type `Future[int]` (the forked `returns_int` is annotated `-> int` on line 6)",
        ),
        (
            "def main():\n    fut = torch.jit._fork(returns_int, 1)\n    y: str = fut.wait()\n    return y\n",
            "11:14: `y` is annotated as `str` but this value is of type `int`",
        ),
        (
            "def main():\n    fut: Future[int] = torch.jit.fork(returns_int, 1)\n    y: float = torch.jit.wait(fut)\n    return y\n",
            "11:16: `y` is annotated as `float` but this value is of type `int`",
        ),
        (
            "def f(x: int) -> Future[float]:\n    return torch.jit._fork(returns_int, x)\n\ndef main():\n    return f(1).wait()\n",
            "10:12: `f` is annotated as returning `Future[float]` but this value is of type `Future[int]` (the forked `returns_int` is annotated `-> int` on line 6)",
        ),
        (
            "def main():\n    fut = torch.jit.annotate(Future[str], torch.jit.fork(returns_int, 1))\n    return fut.wait()\n",
            "10:43: torch.jit.annotate: the value is of type `Future[int]`, not `Future[str]`",
        ),
        (
            "def main():\n    futs = torch.jit.annotate(List[torch.jit.Future], [])\n    return futs\n",
            "10:36: Future without a contained type",
        ),
    ];
    for (body, want) in cases {
        let err = load(&format!("{HEAD}{body}")).unwrap_err();
        assert!(err.starts_with(want), "{body}:\n{err}\nwanted {want}");
    }
}

#[test]
fn a_method_forked_through_self_is_checked_too() {
    let src = format!(
        "{HEAD}class M(torch.nn.Module):\n    def helper(self, x: int) -> int:\n        return x\n\n    def forward(self, x: int) -> int:\n        fut: Future[str] = torch.jit.fork(self.helper, x)\n        return 1\n\ndef main():\n    return M()(1)\n"
    );
    let err = load(&src).unwrap_err();
    assert!(
        err.starts_with("14:28: `fut` is annotated as `Future[str]`"),
        "{err}"
    );
}

#[test]
fn a_nested_functions_error_is_raised_when_its_def_runs() {
    let src = format!(
        "{HEAD}def main():\n    def inner(x: int) -> Future[float]:\n        return torch.jit.fork(returns_int, x)\n\n    return 1\n"
    );
    let m = load(&src).unwrap();
    let err = Runtime::eager().run(|| m.try_run_main()).unwrap_err();
    assert_eq!((err.line, err.col), (11, 16), "{}", err.message);
    assert!(
        err.message
            .starts_with("`inner` is annotated as returning `Future[float]`"),
        "{}",
        err.message
    );
}

#[test]
fn arguments_are_checked_against_parameter_annotations() {
    let src = format!(
        "{HEAD}def waits(f: Future[str]) -> str:\n    return f.wait()\n\ndef main():\n    return waits(torch.jit.fork(returns_int, 1))\n"
    );
    let err = load(&src).unwrap_err();
    assert!(
        err.starts_with("13:18: argument `f` of `waits` is annotated as `Future[str]` but this value is of type `Future[int]` (the forked `returns_int` is annotated `-> int` on line 6)"),
        "{err}"
    );
    let ok = format!(
        "{HEAD}def waits(f: Future[int], k: int = 0) -> int:\n    return f.wait() + k\n\ndef main():\n    return waits(torch.jit.fork(returns_int, 1), 2)\n"
    );
    load(&ok).unwrap();
}
