//! Classes defined inside functions and blocks (PyTorch's tests define their modules
//! inside the test function): class values made when the statement runs, methods
//! closing over the enclosing scope like nested `def`s, local bases and `super()`, and
//! instances instrumented like those of top-level classes so purity and race verdicts
//! stay exact.

use forkwait::Runtime;
use forkwait_model::{Model, ModelCheck};

mod common;

/// `main()`'s result in eager mode, as its repr (`path` decides `.py` or `.fw` rules).
fn eval_at(path: &str, src: &str) -> String {
    common::eval(path, src)
}

fn eval(src: &str) -> String {
    common::eval("c.py", src)
}

fn load_error(src: &str) -> String {
    common::load_error("c.py", src)
}

fn run_error(src: &str) -> String {
    common::run_error("c.py", src)
}

fn check(src: &str) -> ModelCheck {
    common::check("c.py", src, 200)
}

/// The verdicts, asserting no panic was found.
fn verdict(src: &str) -> Vec<&'static str> {
    common::verdict("c.py", src, 200)
}

/// The modules of `test_async.py`'s style, kept as written: a local function and a local
/// class that the next local class instantiates, both reached through `main`'s scope.
const SUBMODULES: &str = "\
# expect: deterministic
import torch
import torch.nn as nn

def main():
    def add_one(x):
        return x + 1

    class Sub(nn.Module):
        def __init__(self):
            super(Sub, self).__init__()
            self.a = 1
        def forward(self, x):
            fut = torch.jit._fork(add_one, x)
            return torch.jit._wait(fut) + self.a

    class Top(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = Sub()
        def forward(self, x):
            fut = torch.jit._fork(self.sub.forward, x)
            return self.sub(x) + torch.jit._wait(fut)

    m = torch.jit.script(Top())
    m.eval()
    return m.forward(3)
";

#[test]
fn local_modules_close_over_main_and_fork_their_bound_methods() {
    assert_eq!(eval(SUBMODULES), "10");
    let c = check(SUBMODULES);
    assert!(c.ok, "{}", c.report);
    assert_eq!(c.verdict, ["deterministic"]);
    let outcomes = common::outcomes(&c);
    assert_eq!(outcomes, ["10"]);
}

#[test]
fn methods_read_the_enclosing_scope_late_and_attributes_when_the_statement_runs() {
    let src = "\
def main():
    k = 1
    class C:
        base = k * 10
        def get(self):
            return k
    c = C()
    first = [c.get(), c.base]
    k = 2
    return [first, c.get(), c.base, C().base]
";
    // Methods see `k` as it is when they run; the class attribute was evaluated once,
    // when the class statement ran.
    assert_eq!(eval(src), "[[1, 10], 2, 10, 10]");
}

#[test]
fn each_run_of_a_class_statement_makes_a_new_class() {
    let src = "\
def main():
    made = []
    for i in range(3):
        class C:
            tag = i
            def late(self):
                return i
        made.append(C)
    objs = [made[0](), made[2]()]
    return [objs[0].tag, objs[1].tag, objs[0].late(), isinstance(objs[0], made[0]),
            isinstance(objs[0], made[2]), made[0] == made[1], str(made[0])]
";
    // Attributes at definition; methods see the loop variable's last value (one cell).
    assert_eq!(eval(src), "[0, 2, 2, True, False, False, \"<class 'C'>\"]");
}

#[test]
fn local_classes_inherit_from_local_and_top_level_classes_with_super() {
    let src = "\
import torch

class Root(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.r = 100
    def forward(self, x):
        return x + self.r

def main():
    scale = 3
    class Base(Root):
        def __init__(self, n):
            super(Base, self).__init__()
            self.n = n
        def forward(self, x):
            return super().forward(x) * scale + self.n
    class Child(Base):
        def __init__(self):
            super().__init__(7)
        def forward(self, x):
            return super().forward(x) + 1
    c = Child()
    return [c(1), Base(0)(1), c.r, isinstance(c, Child), isinstance(c, Base),
            isinstance(c, Root), isinstance(Base(0), Child)]
";
    // Child: ((1 + 100) * 3 + 7) + 1; Base: (1 + 100) * 3 + 0.
    assert_eq!(eval(src), "[311, 303, 100, True, True, True, False]");
}

#[test]
fn a_local_class_refers_to_itself_and_nonlocal_writes_reach_the_function() {
    let src = "\
def main():
    made = 0
    class Node:
        def __init__(self, depth):
            nonlocal made
            made += 1
            self.kids = []
            if depth > 0:
                self.kids = [Node(depth - 1), Node(depth - 1)]
        def size(self):
            total = 1
            for k in self.kids:
                total += k.size()
            return total
    n = Node(2)
    return [n.size(), made]
";
    assert_eq!(eval_at("c.fw", src), "[7, 7]");
}

#[test]
fn classes_in_blocks_nested_functions_and_the_module() {
    let src = "\
if True:
    class G:
        def get(self):
            return 'global'

def make(v):
    def inner():
        class Local:
            def get(self):
                return v
        return Local
    return inner()

def main():
    a = make(1)
    b = make(2)
    return [G().get(), a().get(), b().get(), a == b]
";
    assert_eq!(eval_at("c.fw", src), "['global', 1, 2, False]");
}

#[test]
fn decorators_on_local_methods_keep_their_meaning() {
    let src = "\
import torch

def main():
    class M(torch.nn.Module):
        @torch.jit.export
        def helper(self, x):
            return x * 2
        @torch.jit.unused
        def never(self):
            return 0
        def forward(self, x):
            return torch.jit.wait(torch.jit.fork(self.helper, x))
    m = M()
    m(1)
    return m.never()
";
    let e = run_error(src);
    assert!(e.starts_with("15:12:"), "{e}");
    assert!(e.contains("@torch.jit.unused"), "{e}");
}

#[test]
fn a_local_class_is_visible_only_where_python_sees_it() {
    // Not in another function.
    let src = "\
def helper():
    return C()

def main():
    class C:
        pass
    return helper()
";
    assert_eq!(load_error(src), "2:12: name 'C' is not defined");
    // A base must be defined before the class that derives from it.
    let src = "\
def main():
    class A(B):
        pass
    class B:
        pass
    return A()
";
    assert!(
        load_error(src).starts_with("2:13: unsupported base class `B`"),
        "{}",
        load_error(src)
    );
    // Used before its statement ran: an unbound local, located.
    let src = "\
def main():
    x = C()
    class C:
        pass
    return x
";
    let e = run_error(src);
    assert!(e.starts_with("2:9:") && e.contains("'C'"), "{e}");
}

#[test]
fn a_forked_local_module_counting_its_calls_is_impure_and_a_pure_one_is_clean() {
    let bug = "\
import torch

def main():
    class Counter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0
        def forward(self, x):
            self.calls += 1
            return x * 2
    c = Counter()
    fut = torch.jit.fork(c, 21)
    v = torch.jit.wait(fut)
    return (v, c.calls)
";
    assert_eq!(verdict(bug), ["deterministic", "impure"]);
    let text = check(bug).report.to_string();
    assert!(text.contains("module-attribute"), "{text}");
    let ok = "\
import torch

def main():
    class Doubler(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.k = 2
        def forward(self, x):
            return x * self.k
    c = Doubler()
    fut = torch.jit.fork(c, 21)
    return (torch.jit.wait(fut), c.k)
";
    assert_eq!(verdict(ok), ["deterministic"]);
}

#[test]
fn a_forked_method_appending_to_a_captured_list_is_an_input_impurity() {
    let bug = "\
import torch

def main():
    log = []
    class M(torch.nn.Module):
        def forward(self, x):
            log.append(x)
            return x
    m = M()
    fut = torch.jit.fork(m.forward, 1)
    torch.jit.wait(fut)
    return log
";
    assert_eq!(verdict(bug), ["deterministic", "impure"]);
    let text = check(bug).report.to_string();
    assert!(text.contains("input"), "{text}");
    // Two forked instances writing a captured variable through `nonlocal`: a race.
    let racy = "\
import torch

def main():
    n = 0
    class M(torch.nn.Module):
        def forward(self):
            nonlocal n
            n = n + 1
            return n
    a = torch.jit.fork(M())
    b = torch.jit.fork(M())
    torch.jit.wait(a)
    torch.jit.wait(b)
    return n
";
    let v = verdict(racy);
    assert!(
        v.contains(&"race") && v.contains(&"nondeterministic"),
        "{v:?}"
    );
}

#[test]
fn a_local_method_contradicting_its_future_annotation_is_refused_when_the_class_runs() {
    let src = "\
import torch
from torch.jit import Future

def main():
    def returns_int(x: int) -> int:
        return x
    done = []
    try:
        class M(torch.nn.Module):
            def forward(self, x: int) -> int:
                fut: Future[str] = torch.jit.fork(returns_int, x)
                return 1
        done.append(M()(1))
    except Exception as e:
        done.append(str(e))
    return done
";
    // TorchScript refuses the class when it compiles it; the program may catch that.
    let v = eval(src);
    assert!(
        v.contains("`fut` is annotated as `Future[str]` but this value is of type `Future[int]`"),
        "{v}"
    );
    let ok = src.replace("Future[str]", "Future[int]");
    assert_eq!(eval(&ok), "[1]");
}

#[test]
fn every_line_drop_of_local_modules_loads_or_errs_and_runs_without_panicking() {
    let model = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/torch_local_modules.py"
    ))
    .unwrap();
    let mut loaded = 0;
    for src in [SUBMODULES, model.as_str()] {
        for text in common::line_drops(src) {
            let Ok(m) = Model::from_source("p.py", &text) else {
                continue;
            };
            loaded += 1;
            // A value or a located error, never an interpreter panic.
            let _ = Runtime::eager().run(|| m.try_run_main());
        }
    }
    // Dropping a blank line, a comment or an import keeps most variants loadable.
    assert!(loaded > 20, "{loaded}");
}

#[test]
fn a_method_inherited_from_a_top_level_class_keeps_its_top_level_names() {
    let src = "\
g = 'global'

class Root:
    def which(self):
        return g

def main():
    g = 'local'
    class Mid(Root):
        def mine(self):
            return g
    class Leaf(Mid):
        pass
    return [Mid().which(), Leaf().which(), Leaf().mine()]
";
    // Python: `Root.which` reads the module's `g` whoever inherits it; the local
    // classes' own methods read `main`'s.
    assert_eq!(eval_at("c.fw", src), "['global', 'global', 'local']");
}
