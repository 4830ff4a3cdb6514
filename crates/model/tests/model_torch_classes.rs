//! Module classes as TorchScript writes them: `torch.nn.Module` / `torch.jit.ScriptModule`
//! bases, `super().__init__()` and `super(Cls, self)`, single inheritance of methods,
//! class attributes, submodules, bound methods and module instances as fork targets.

use forkwait::Runtime;
use forkwait_model::{CheckOptions, Model, check_model};

mod common;

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
fn library_bases_and_super_init() {
    let src = "\
import torch
import torch.nn as nn

class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.k = 1

class B(torch.jit.ScriptModule):
    __constants__ = ['k']
    k = 5

    def __init__(self):
        super(B, self).__init__()

    @torch.jit.script_method
    def forward(self, x):
        return x + self.k

class C(object):
    pass

def main():
    return A().k, B()(1), B().k
";
    assert_eq!(run(src).unwrap(), "(1, 6, 5)");
}

#[test]
fn single_inheritance_and_super_methods() {
    let src = "\
import torch

class Base(torch.nn.Module):
    scale = 2

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x * self.scale + self.k

    def name(self):
        return 'base'

class Mid(Base):
    def __init__(self, k):
        super().__init__(k + 1)

    def forward(self, x):
        return super().forward(x) + 100

class Leaf(Mid):
    scale = 3

    def forward(self, x):
        return super(Leaf, self).forward(x) + 1000

def main():
    m = Leaf(1)
    return (m(1), m.name(), m.k, Mid(0)(1), torch.jit.wait(torch.jit.fork(m, 2)),
            isinstance(m, Base), isinstance(m, Mid), isinstance(Mid(0), Leaf), isinstance(m, Leaf))
";
    // Leaf(1): k = 2, scale 3: 1*3+2 = 5, +100, +1000.
    assert_eq!(
        run(src).unwrap(),
        "(1105, 'base', 2, 103, 1108, True, True, False, True)"
    );
}

#[test]
fn bad_bases_and_super_uses_are_located_errors() {
    let err = load(
        "import torch\n\nclass A(torch.optim.Optimizer):\n    pass\n\ndef main():\n    pass\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("3:9: unsupported base class `torch.optim.Optimizer`"),
        "{err}"
    );
    let err = load("class A:\n    pass\n\nclass B:\n    pass\n\nclass C(A, B):\n    pass\n\ndef main():\n    pass\n").unwrap_err();
    assert_eq!(err, "7:12: multiple inheritance is not supported");
    let err = load("class A(B):\n    pass\n\nclass B(A):\n    pass\n\ndef main():\n    pass\n")
        .unwrap_err();
    assert!(err.contains("inherits from itself"), "{err}");
    let err = load("def main():\n    return super().f()\n").unwrap_err();
    assert_eq!(
        err,
        "2:12: `super()` is supported only inside a method of a class"
    );
    let err = load(
        "class A:\n    def f(self):\n        return super(B, self).f()\n\ndef main():\n    pass\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("3:22: only `super()` and `super(A, self)` are supported here"),
        "{err}"
    );
    let err = run("import torch\n\nclass A(torch.nn.Module):\n    def f(self):\n        return super().g()\n\ndef main():\n    return A().f()\n").unwrap_err();
    assert!(
        err.contains("super(): the base class `torch.nn.Module` of `A` has no method 'g'"),
        "{err}"
    );
}

#[test]
fn class_attributes_are_fw_errors() {
    let fw = Model::from_source("t.fw", "class A:\n    x = 1\n\ndef main():\n    pass\n");
    assert!(
        fw.err()
            .unwrap()
            .message
            .starts_with("only methods, `pass` and docstrings")
    );
}

const SUBMODULE: &str = "\
# expect: nondeterministic, impure
import torch
import torch.nn as nn

class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x

class Top(nn.Module):
    def __init__(self):
        super().__init__()
        self.sub = Counter()

    def double(self, x):
        return 2 * x

    def forward(self, x):
        a = torch.jit.fork(self.sub, x)
        b = torch.jit.fork(self.double, x)
        c = torch.jit.fork(self.sub, x)
        return torch.jit.wait(a) + torch.jit.wait(b) + torch.jit.wait(c), self.sub.calls

def main():
    return Top()(1)
";

#[test]
fn submodules_and_bound_methods_fork_and_their_writes_are_module_attributes() {
    let m = load(SUBMODULE).unwrap();
    let c = check_model(
        &m,
        &CheckOptions {
            iterations: 300,
            ..Default::default()
        },
    );
    assert!(
        c.report.to_string().contains("module-attribute"),
        "{}",
        c.report
    );
    let outcomes = common::outcomes(&c);
    assert!(outcomes.contains(&"(4, 2)"), "{outcomes:?}");
}
