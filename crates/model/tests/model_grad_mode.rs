//! Grad mode is thread-local state: `torch.no_grad()` / `torch.enable_grad()` set it
//! for their block and restore it, `torch.set_grad_enabled(b)` sets it at once, and a
//! forked task starts with its forking caller's mode (PyTorch's fork carries the caller's
//! thread-local state) without its changes reaching the caller. Never shared state: no
//! race or impurity is reported on it, under any schedule.

use forkwait::Runtime;
use forkwait_model::{CheckOptions, Model, check_model};

mod common;

fn model(src: &str) -> Model {
    Model::from_source("t.py", src).unwrap_or_else(|d| panic!("{}", d.render(src)))
}

fn run(src: &str) -> String {
    let m = model(src);
    format!("{:?}", Runtime::eager().run(|| m.try_run_main()).unwrap())
}

#[test]
fn contexts_set_the_mode_for_their_block_and_restore_it() {
    let src = "\
import torch

def main():
    out = [torch.is_grad_enabled()]
    with torch.no_grad():
        out.append(torch.is_grad_enabled())
        with torch.enable_grad():
            out.append(torch.is_grad_enabled())
        out.append(torch.is_grad_enabled())
    out.append(torch.is_grad_enabled())
    torch.set_grad_enabled(False)
    out.append(torch.is_grad_enabled())
    with torch.set_grad_enabled(True):
        out.append(torch.is_grad_enabled())
    out.append(torch.is_grad_enabled())
    return out
";
    assert_eq!(
        run(src),
        "[True, False, True, False, True, False, True, False]"
    );
}

const INHERIT: &str = "\
# expect: deterministic
import torch

def inside():
    seen = torch.is_grad_enabled()
    torch.set_grad_enabled(not seen)
    return seen

def main():
    with torch.no_grad():
        a = torch.jit.fork(inside)
        after_a = torch.is_grad_enabled()
    b = torch.jit.fork(inside)
    return torch.jit.wait(a), after_a, torch.jit.wait(b), torch.is_grad_enabled()
";

#[test]
fn a_forked_task_inherits_its_callers_mode_and_keeps_its_changes() {
    assert_eq!(run(INHERIT), "(False, False, True, True)");
    // In every schedule, and the flag is no shared state: no race, no impurity.
    let m = model(INHERIT);
    let c = check_model(
        &m,
        &CheckOptions {
            iterations: 300,
            ..Default::default()
        },
    );
    assert!(c.ok, "{}", c.report);
    let outcomes = common::outcomes(&c);
    assert_eq!(outcomes, ["(False, False, True, True)"]);
}

#[test]
fn the_mode_is_inherited_through_nested_forks_and_in_parallel() {
    let src = "\
import torch

def leaf():
    return torch.is_grad_enabled()

def middle():
    return torch.jit.wait(torch.jit.fork(leaf))

def main():
    torch.set_grad_enabled(False)
    f = torch.jit.fork(middle)
    torch.set_grad_enabled(True)
    g = torch.jit.fork(middle)
    return torch.jit.wait(f), torch.jit.wait(g)
";
    assert_eq!(run(src), "(False, True)");
    let m = model(src);
    for threads in [1, 2, 4] {
        let v = Runtime::parallel(threads).run(|| m.try_run_main()).unwrap();
        assert_eq!(format!("{v:?}"), "(False, True)", "{threads} threads");
    }
}
