//! Panics are caught, keep workers alive, and surface at `wait`.

use forkwait::{Runtime, TaskPanic, fork, lost_panic_count, wait};
use std::panic::{AssertUnwindSafe, catch_unwind};

mod common;

#[test]
fn panic_payload_is_rethrown_at_wait() {
    let rt = Runtime::parallel(2);
    let err = catch_unwind(AssertUnwindSafe(|| {
        rt.run(|| {
            let f = fork(|| -> u32 { panic!("task exploded") });
            wait(f)
        })
    }))
    .unwrap_err();
    assert_eq!(*err.downcast::<&str>().unwrap(), "task exploded");
}

#[test]
fn try_wait_returns_the_panic() {
    let rt = Runtime::parallel(1);
    let n = std::hint::black_box(5);
    let r: Result<u32, TaskPanic> = rt.run(|| fork(move || -> u32 { panic!("n={n}") }).try_wait());
    let p = r.unwrap_err();
    assert_eq!(p.message(), Some("n=5"));
    assert!(p.payload().downcast_ref::<String>().is_some());
    assert_eq!(p.to_string(), "task panicked: \"n=5\"");
}

#[test]
fn a_panic_does_not_kill_the_worker() {
    let rt = Runtime::parallel(1);
    for i in 0..20 {
        let r =
            rt.run(move || fork(move || if i % 2 == 0 { panic!("even") } else { i }).try_wait());
        assert_eq!(r.is_err(), i % 2 == 0);
    }
    // The single worker still serves work.
    assert_eq!(rt.run(|| wait(fork(|| 5))), 5);
}

#[test]
fn panics_surface_at_wait_in_eager_mode_too() {
    let rt = Runtime::eager();
    let (done_at_fork, msg) = rt.run(|| {
        // The task runs (and panics) at the fork point, yet the fork returns normally...
        let f = fork(|| -> i32 { panic!("eager boom") });
        let done_at_fork = f.is_done();
        // ...and the panic is delivered only here, at the wait.
        (
            done_at_fork,
            f.try_wait().unwrap_err().message().map(str::to_owned),
        )
    });
    assert!(done_at_fork, "eager: the task already ran at the fork");
    assert_eq!(msg.as_deref(), Some("eager boom"));
}

#[test]
fn a_lost_panic_is_counted() {
    // Runs in this test's own process together with other tests: count the delta from
    // tasks only this test creates, and wait until they finished.
    let before = lost_panic_count();
    {
        let rt = Runtime::parallel(2);
        rt.run(|| {
            for _ in 0..3 {
                drop(fork(|| -> () { panic!("nobody waits") }));
            }
        });
        // Runtime drop joins its workers after draining every queue.
    }
    let eager = Runtime::eager();
    eager.run(|| drop(fork(|| -> () { panic!("eager, nobody waits") })));
    assert!(lost_panic_count() >= before + 4);
}

#[test]
fn every_waited_panic_is_delivered() {
    let rt = Runtime::parallel(2);
    let errs = rt.run(|| {
        let fs: Vec<_> = (0..50)
            .map(|_| fork(|| -> () { panic!("waited") }))
            .collect();
        fs.into_iter()
            .map(|f| f.try_wait())
            .filter(Result::is_err)
            .count()
    });
    assert_eq!(errs, 50);
}

/// Run by `a_lost_panic_warning_shows_its_message` in a child process (its stderr is
/// what is checked).
#[test]
#[ignore = "run by a_lost_panic_warning_shows_its_message, in a child process"]
fn probe_lost_panic() {
    let rt = Runtime::parallel(1);
    rt.run(|| {
        // forkwait's Barrier: the pool lets a spare thread run the task while this (its
        // only worker) waits.
        let gate = std::sync::Arc::new(forkwait::sync::Barrier::new(2));
        let g = gate.clone();
        // Dropped before it finishes: the task reports the lost panic itself.
        drop(fork(move || -> u8 {
            g.wait();
            panic!("the lost message")
        }));
        gate.wait();
    });
    drop(rt);
}

#[test]
fn a_lost_panic_warning_shows_its_message() {
    let (err, _) = common::probe("probe_lost_panic");
    // Before: "(a non-string payload)": the box, not the payload, was downcast.
    assert!(err.contains("\"the lost message\""), "{err}");
    assert!(!err.contains("non-string"), "{err}");
}
