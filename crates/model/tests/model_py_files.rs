//! `.py` files as TorchScript authors write them: imports of `torch`, `typing` and
//! `operator` (others refused, located), decorators, the `__main__` guard, another entry
//! point than `main()`, classes defined inside functions.

use forkwait::Runtime;
use forkwait_model::{DecoratorKind, Model};

mod common;

fn load(src: &str) -> Result<Model, String> {
    Model::from_source("t.py", src).map_err(|d| format!("{}:{}: {}", d.line, d.col, d.message))
}

fn run(m: &Model) -> Result<String, String> {
    Runtime::eager()
        .run(|| m.try_run_main())
        .map(|v| format!("{v:?}"))
        .map_err(|d| format!("{}:{}: {}", d.line, d.col, d.message))
}

#[test]
fn imports_of_torch_typing_and_operator_bind_their_names() {
    let src = "\
from __future__ import annotations
import torch
import torch.nn as nn
import typing, operator
from torch import Tensor
from typing import List, Tuple, Optional, Any, Dict
from torch.jit import Future
from torch.jit import fork as spawn, wait

def main():
    x: Tensor = torch.tensor(4)
    f: Future[int] = spawn(operator.neg, x)
    xs: typing.List[Future[int]] = [f]
    return wait(xs[0]), nn.ModuleList([1, 2])[1]
";
    let m = load(src).unwrap();
    assert_eq!(m.program().imports.len(), 13);
    assert_eq!(run(&m).unwrap(), "(-4, 2)");
}

#[test]
fn other_modules_and_unknown_members_are_located_errors() {
    let err = load("import os\n\ndef main():\n    pass\n").unwrap_err();
    assert!(
        err.starts_with(
            "1:1: `import` is not supported in model files except of the modules `torch`"
        ),
        "{err}"
    );
    assert!(err.contains("there is no module 'os'"), "{err}");
    let err = load("from numpy import array\n\ndef main():\n    pass\n").unwrap_err();
    assert!(
        err.starts_with("1:1: ") && err.contains("no module 'numpy'"),
        "{err}"
    );
    let err = load("from torch.jit import frok\n\ndef main():\n    pass\n").unwrap_err();
    assert!(
        err.starts_with("1:23: cannot import `torch.jit.frok`"),
        "{err}"
    );
    assert!(err.contains("known in `torch.jit`: fork, wait"), "{err}");
    let err = load("def main():\n    import torch\n").unwrap_err();
    assert_eq!(err, "2:5: imports must be at the top level of the file");
    // Without the import, the name is unknown, with the import to add.
    let err = load("def main():\n    return torch.jit.fork(abs, 1)\n").unwrap_err();
    assert_eq!(
        err,
        "2:12: name 'torch' is not defined (add `import torch` at the top)"
    );
}

#[test]
fn the_main_guard_is_skipped() {
    let src = "\
def main():
    return 1

if __name__ == \"__main__\":
    main()
    undefined_here()
";
    let m = load(src).unwrap();
    assert!(m.program().stmts.is_empty());
    assert_eq!(run(&m).unwrap(), "1");
}

#[test]
fn decorators_are_classified_and_unknown_ones_refused() {
    let src = "\
import torch

@torch.jit.script
def f(x):
    return x

@torch.jit.ignore(drop=False)
def g(x):
    return x

@torch.jit._overload
def f2(x: int) -> int:
    pass

def f2(x):
    return x

def main():
    @torch.jit.script
    def h(x):
        return f(x) + g(x) + f2(x)
    return h(1)
";
    let m = load(src).unwrap();
    let p = m.program();
    assert_eq!(
        p.function("f").unwrap().decorators[0].kind,
        DecoratorKind::Script
    );
    assert_eq!(
        p.function("g").unwrap().decorators[0].kind,
        DecoratorKind::Ignore
    );
    // The overload's signature is dropped, the plain definition kept.
    assert!(p.function("f2").unwrap().decorators.is_empty());
    assert_eq!(run(&m).unwrap(), "3");
    let err = load("@functools.cache\ndef main():\n    pass\n").unwrap_err();
    assert!(err.starts_with("1:2: unknown decorator `@functools.cache`: the supported decorators are @torch.jit.script"), "{err}");
    let err = load("@torch.jit.script\nx = 1\n").unwrap_err();
    assert!(
        err.starts_with("2:1: expected `def` after the decorator"),
        "{err}"
    );
    let err = load("def main():\n    return a @ b\n").unwrap_err();
    assert!(
        err.starts_with("2:14: the matrix-multiplication operator `@` is not supported"),
        "{err}"
    );
}

#[test]
fn another_entry_point() {
    let src = "def test_one():\n    return 1\n\ndef test_two(x=2):\n    return x\n";
    assert!(
        load(src)
            .unwrap_err()
            .starts_with("1:1: no `main()` function")
    );
    let m = Model::from_source_entry("t.py", src, "test_two").unwrap();
    assert_eq!(run(&m).unwrap(), "2");
    let err = Model::from_source_entry("t.py", src, "nope").err().unwrap();
    assert!(
        err.message.contains("no top-level function `nope()`"),
        "{}",
        err.message
    );
    let err = Model::from_source_entry("t.py", "def t(x):\n    pass\n", "t")
        .err()
        .unwrap();
    assert_eq!(err.message, "`t()` must take no arguments");
}

#[test]
fn classes_inside_functions_are_class_values_in_py_and_fw_files() {
    let src = "\
import torch

def main():
    def helper(x):
        return x * 10

    class Sub(torch.nn.Module):
        def forward(self, x):
            return helper(x)

    class Top(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = Sub()

        def forward(self, x):
            return torch.jit.wait(torch.jit.fork(self.sub, x)) + 1

    return Top()(4)
";
    let m = load(src).unwrap();
    // The classes stay where they are written (class statements of `main`), their
    // methods closing over `main`'s `helper` and `Sub` (model_local_classes.rs).
    assert_eq!(m.program().classes.len(), 0);
    let local = |s: &forkwait_model::Stmt| matches!(s.kind, forkwait_model::StmtKind::Class(_));
    assert_eq!(
        m.program().functions[0]
            .body
            .iter()
            .filter(|s| local(s))
            .count(),
        2
    );
    assert_eq!(run(&m).unwrap(), "41");
    let fw = Model::from_source(
        "t.fw",
        "def main():\n    class C:\n        pass\n    return C\n",
    );
    let fw = fw.unwrap_or_else(|d| panic!("{d}"));
    let v = forkwait::Runtime::eager()
        .run(|| fw.try_run_main())
        .unwrap();
    assert_eq!(format!("{v:?}"), "<class 'C'>");
}

#[test]
fn every_prefix_and_every_line_drop_of_a_torch_model_loads_or_errs_without_panicking() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/torch_module.py"
    ))
    .unwrap();
    let extra = "\nfrom torch.jit import (fork,\n    wait,)\n@torch.jit.ignore(drop=False)\ndef g(x: List[Future[int]]) -> Optional[int]:\n    class H(AddMod):\n        def forward(self, a, b):\n            return super(H, self).forward(a, b)\n    return H()(1, 2)\n";
    let src = format!("{src}{extra}");
    let chars: Vec<char> = src.chars().collect();
    for n in 0..chars.len() {
        let prefix: String = chars[..n].iter().collect();
        let _ = Model::from_source("p.py", &prefix);
    }
    for text in common::line_drops(&src) {
        let _ = Model::from_source("p.py", &text);
    }
    // The whole file loads and runs.
    let m = Model::from_source("p.py", &src).unwrap_or_else(|d| panic!("{}", d.render(&src)));
    assert_eq!(run(&m).unwrap(), "10");
}
