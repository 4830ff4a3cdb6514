//! Model futures have PyTorch's semantics: a future may be waited by any number of tasks,
//! any number of times, as `wait(f)` or `f.wait()`, in every mode; a task's error reaches
//! every waiter.

use forkwait::{Checker, Runtime};
use forkwait_model::Model;

const SHARED: &str = "\
def base():
    return 20

def user(f, k):
    return f.wait() + k

def main():
    f = fork(base)
    a = fork(user, f, 1)
    b = fork(user, f, 2)
    return wait(a) + wait(b) + wait(f) + f.wait()
";

fn model(src: &str) -> Model {
    Model::from_source("t.fw", src).unwrap_or_else(|d| panic!("{}", d.render(src)))
}

#[test]
fn a_future_waited_by_several_tasks_in_every_mode() {
    let m = model(SHARED);
    let eager = Runtime::eager()
        .run(|| m.try_run_main())
        .map(|v| format!("{v:?}"));
    assert_eq!(eager.as_deref().ok(), Some("83"));
    // Before: "this future is already being waited by another task", intermittently.
    for threads in [1, 2, 4] {
        let rt = Runtime::parallel(threads);
        for _ in 0..100 {
            let v = rt.run(|| m.try_run_main()).map(|v| format!("{v:?}"));
            assert_eq!(v.as_deref().ok(), Some("83"), "{threads} threads");
        }
    }
    let r = Checker::new().iterations(300).run(|| m.run_main());
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.outcomes().len(), 1, "{r}");
    assert_eq!(r.outcomes()[0].value, "83");
}

#[test]
fn a_task_error_reaches_every_waiter() {
    for first in ["a", "b"] {
        let src = format!(
            "\
def bad():
    assert False, 'no'

def waiter(f):
    return f.wait()

def main():
    f = fork(bad)
    a = fork(waiter, f)
    b = fork(waiter, f)
    wait({first})
    return 0
"
        );
        let m = model(&src);
        let d = Runtime::eager().run(|| m.try_run_main()).unwrap_err();
        assert!(d.message.contains("no"), "{first}: {}", d.message);
        let r = Checker::new().iterations(100).run(|| m.run_main());
        assert!(r.has(forkwait::FindingKind::Panic), "{r}");
        assert!(!r.to_string().contains("already being waited"), "{r}");
    }
}
