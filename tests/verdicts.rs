//! Verdicts users can trust: the harness's own machinery (aborting an execution, tearing
//! tasks down, a limit hit) never shows up as a finding about the program; `check` fails
//! fast; `max_time` bounds even one endless execution.

use forkwait::sync::{Arc, Mutex};
use forkwait::{Checker, FindingKind, Strategy, fork, wait};
use std::time::Duration;

mod common;

fn kinds(r: &forkwait::Report) -> Vec<FindingKind> {
    r.findings().iter().map(|f| f.kind()).collect()
}

#[test]
fn a_deadlock_is_only_a_deadlock() {
    // Before: the tasks unwound by the teardown were reported as `LostError … panicked`
    // and the futures they dropped as `UnwaitedFuture`.
    for strategy in [Strategy::Random, Strategy::Pct { depth: 3 }] {
        let r = Checker::new().strategy(strategy).iterations(300).run(|| {
            let a = Arc::new(Mutex::new(0));
            let b = Arc::new(Mutex::new(0));
            let (a2, b2) = (a.clone(), b.clone());
            let t = fork(move || {
                let _x = a2.lock().unwrap();
                let _y = b2.lock().unwrap();
            });
            {
                let _y = b.lock().unwrap();
                let _x = a.lock().unwrap();
            }
            wait(t);
        });
        assert_eq!(kinds(&r), [FindingKind::Deadlock], "{r}");
        assert!(r.to_string().contains("cut short by the deadlock"), "{r}");
    }
}

#[test]
fn a_step_limit_on_a_never_waited_spinning_task_is_only_a_step_limit() {
    let r = Checker::new().max_steps(300).iterations(30).run(|| {
        let spin = fork(|| {
            loop {
                forkwait::yield_now();
            }
        });
        std::mem::forget(spin); // never waited, never dropped
        1
    });
    assert_eq!(kinds(&r), [FindingKind::StepLimit], "{r}");
}

#[test]
fn check_stops_at_the_first_failing_execution() {
    let err = std::panic::catch_unwind(|| {
        Checker::new()
            .iterations(10_000)
            .check(|| -> () { panic!("always") })
    })
    .unwrap_err();
    let text = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("\n1 executions"), "{text}");
    // `run` explores the whole budget.
    let r = Checker::new()
        .iterations(50)
        .run(|| -> () { panic!("always") });
    assert_eq!(r.executions(), 50);
}

#[test]
fn max_time_ends_one_endless_execution() {
    // Before: max_time was looked at only between executions, so this never returned.
    let r = Checker::new()
        .max_steps(0)
        .iterations(3)
        .max_time(Duration::from_millis(100))
        .run(|| {
            loop {
                forkwait::yield_now();
            }
        });
    assert_eq!(kinds(&r), [FindingKind::StepLimit], "{r}");
    assert!(r.to_string().contains("max_time"), "{r}");
    // A correct program under the same budget is clean.
    let ok = Checker::new()
        .iterations(u64::MAX)
        .max_time(Duration::from_millis(100))
        .run(|| wait(fork(|| 1)));
    assert!(ok.is_clean(), "{ok}");
}

#[test]
fn a_panicking_main_is_labelled_as_a_panic() {
    let r = Checker::new().iterations(5).run(|| -> u8 {
        wait(fork(|| ()));
        panic!("main fails")
    });
    let text = r.to_string();
    assert!(
        text.contains("(the closure under test panicked at"),
        "{text}"
    );
    assert!(
        !text.contains("(the closure under test returned)"),
        "{text}"
    );
}

#[test]
fn degenerate_strategies_are_errors() {
    assert!("pct:0".parse::<Strategy>().is_err());
    assert!("pct:1".parse::<Strategy>().is_ok());
}

#[test]
fn a_forgotten_failing_future_is_a_lost_error() {
    // Before: only a dropped future was looked at; `mem::forget` hid the lost error.
    let r = Checker::new().iterations(20).run(|| {
        std::mem::forget(fork(|| -> u8 { panic!("forgotten") }));
    });
    assert!(r.has(FindingKind::LostError), "{r}");
    assert!(!r.is_clean());
    // Waited: nothing is lost.
    let ok = Checker::new()
        .iterations(20)
        .run(|| fork(|| -> u8 { panic!("seen") }).try_wait().is_err());
    assert!(ok.is_clean(), "{ok}");
}

/// Run by `a_task_stuck_between_scheduling_points_is_named` in a child process.
#[test]
#[ignore = "run by a_task_stuck_between_scheduling_points_is_named, in a child process"]
fn probe_stuck_task() {
    let r = Checker::new()
        .iterations(1)
        .watchdog(Some(Duration::from_millis(200)))
        .run(|| {
            let t = fork(|| {
                forkwait::yield_now();
                // A blocking call the simulator cannot see.
                std::thread::sleep(Duration::from_millis(1500));
            });
            wait(t);
        });
    assert!(r.is_clean());
}

#[test]
fn a_task_stuck_between_scheduling_points_is_named() {
    let (err, passed) = common::probe("probe_stuck_task");
    // Before: a silent hang. Now the stuck task and its last scheduling point.
    assert!(
        err.contains("watchdog: task 1 has reached no scheduling point"),
        "{err}"
    );
    assert!(err.contains("tests/verdicts.rs:"), "{err}");
    assert!(passed, "{err}");
}

#[test]
fn an_unnamed_report_is_headed_by_its_call_site() {
    let r = Checker::new().iterations(1).run(|| 1);
    // Before: every unnamed report said "forkwait::check", whoever made it.
    assert!(
        r.to_string()
            .starts_with("forkwait: the closure at tests/verdicts.rs:"),
        "{r}"
    );
}

/// Run by `a_task_that_keeps_reaching_scheduling_points_is_not_named`.
#[test]
#[ignore = "run by a_task_that_keeps_reaching_scheduling_points_is_not_named, in a child process"]
fn probe_busy_task() {
    let r = Checker::new()
        .iterations(1)
        .watchdog(Some(Duration::from_millis(300)))
        .run(|| {
            wait(fork(|| {
                // A second and more of work, but a scheduling point every few ms.
                for _ in 0..60 {
                    std::thread::sleep(Duration::from_millis(20));
                    forkwait::yield_now();
                }
            }))
        });
    assert!(r.is_clean());
}

#[test]
fn a_task_that_keeps_reaching_scheduling_points_is_not_named() {
    let (err, passed) = common::probe("probe_busy_task");
    assert!(passed, "{err}");
    assert!(!err.contains("watchdog"), "a false alarm: {err}");
}
