//! Each simulator detector on a program with the bug (found) and without (clean).

use forkwait::sync::{Mutex, Shared};
use forkwait::{Checker, FindingKind, Future, Strategy, WaitPolicy, fork, wait};
use std::sync::Arc;

fn lost_update() -> i32 {
    let counter = Arc::new(Shared::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let c = counter.clone();
            fork(move || c.write(c.read() + 1))
        })
        .collect();
    tasks.into_iter().for_each(wait);
    counter.read()
}

fn atomic_update() -> i32 {
    let counter = Arc::new(Shared::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let c = counter.clone();
            fork(move || c.update(|v| *v += 1))
        })
        .collect();
    tasks.into_iter().for_each(wait);
    counter.read()
}

#[test]
fn lost_update_is_nondeterministic_and_update_is_not() {
    for strategy in [Strategy::Random, Strategy::Pct { depth: 2 }] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(300)
            .run(lost_update);
        assert!(r.has(FindingKind::Nondeterminism), "{strategy}: {r}");
        let mut values: Vec<_> = r.outcomes().iter().map(|o| o.value.clone()).collect();
        values.sort();
        assert_eq!(values, ["1", "2"], "{strategy}");
        let clean = Checker::new()
            .strategy(strategy)
            .iterations(300)
            .run(atomic_update);
        assert!(!clean.has(FindingKind::Nondeterminism), "{clean}");
        // Still impure (the tasks write the caller's counter) and racy (unordered updates).
        assert!(clean.has(FindingKind::ImpureWrite) && clean.has(FindingKind::Race));
        assert_eq!(clean.outcomes().len(), 1);
        assert_eq!(clean.outcomes()[0].value, "2");
    }
}

#[test]
fn exhaustive_finds_both_outcomes_and_terminates() {
    let r = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: None,
        })
        .iterations(100_000)
        .run(lost_update);
    assert!(r.has(FindingKind::Nondeterminism));
    assert!(
        r.executions() < 100_000,
        "the tree is finite: {}",
        r.executions()
    );
    // Bounded to zero preemptions, only non-preemptive schedules run: fewer of them.
    let r0 = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: Some(0),
        })
        .iterations(100_000)
        .run(lost_update);
    assert!(r0.executions() < r.executions());
}

fn ordered_appends(lock_both: bool) -> Vec<&'static str> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let t = fork(move || l.lock().unwrap().push("task"));
    if lock_both {
        log.lock().unwrap().push("main");
        wait(t);
    } else {
        wait(t);
        log.lock().unwrap().push("main");
    }
    log.lock().unwrap().clone()
}

#[test]
fn order_dependent_appends_under_a_mutex() {
    let r = Checker::new().iterations(200).run(|| ordered_appends(true));
    assert!(r.has(FindingKind::Nondeterminism), "{r}");
    let clean = Checker::new()
        .iterations(200)
        .run(|| ordered_appends(false));
    assert!(!clean.has(FindingKind::Nondeterminism), "{clean}");
    assert_eq!(clean.outcomes()[0].value, r#"["task", "main"]"#);
}

fn assert_in_one_interleaving(wait_first: bool) {
    let flag = Arc::new(Shared::new(false));
    let f = flag.clone();
    let t = fork(move || f.write(true));
    if wait_first {
        wait(t);
        assert!(flag.read(), "the task has not run yet");
    } else {
        assert!(flag.read(), "the task has not run yet");
        wait(t);
    }
}

#[test]
fn an_assertion_failing_in_one_interleaving_is_a_panic_finding() {
    let r = Checker::new()
        .iterations(200)
        .run(|| assert_in_one_interleaving(false));
    assert!(r.has(FindingKind::Panic), "{r}");
    let p = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Panic)
        .unwrap();
    assert!(p.message().contains("the task has not run yet"));
    assert!(
        p.locations()[0].contains("sim_findings.rs"),
        "{:?}",
        p.locations()
    );
    let clean = Checker::new()
        .iterations(200)
        .run(|| assert_in_one_interleaving(true));
    assert!(!clean.has(FindingKind::Panic), "{clean}");
}

#[test]
fn a_wait_cycle_through_futures_passed_between_tasks_deadlocks() {
    // Task A waits for B's future and B for A's: handed over through mutex slots.
    let program = |cycle: bool| {
        move || {
            let slot_a: Arc<Mutex<Option<Future<()>>>> = Arc::new(Mutex::new(None));
            let slot_b: Arc<Mutex<Option<Future<()>>>> = Arc::new(Mutex::new(None));
            let (sa, sb) = (slot_a.clone(), slot_b.clone());
            let a = fork(move || {
                let other = loop {
                    if let Some(f) = sb.lock().unwrap().take() {
                        break f;
                    }
                    forkwait::yield_now();
                };
                wait(other);
            });
            let b = fork(move || {
                if cycle {
                    let other = loop {
                        if let Some(f) = sa.lock().unwrap().take() {
                            break f;
                        }
                        forkwait::yield_now();
                    };
                    wait(other);
                }
            });
            *slot_b.lock().unwrap() = Some(b);
            if cycle {
                *slot_a.lock().unwrap() = Some(a);
            } else {
                wait(a);
            }
        }
    };
    let r = Checker::new()
        .iterations(50)
        .max_steps(5_000)
        .run(program(true));
    assert!(r.has(FindingKind::Deadlock), "{r}");
    let d = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Deadlock)
        .unwrap();
    assert!(d.message().contains("wait-for cycle"), "{}", d.message());
    assert_eq!(
        d.locations().len(),
        2,
        "both fork sites: {:?}",
        d.locations()
    );
    let clean = Checker::new()
        .iterations(50)
        .max_steps(5_000)
        .run(program(false));
    assert!(!clean.has(FindingKind::Deadlock), "{clean}");
}

#[test]
fn relocking_a_held_mutex_is_a_deadlock() {
    let r = Checker::new().iterations(5).run(|| {
        let m = Mutex::new(0);
        let _g = m.lock().unwrap();
        let _again = m.lock().unwrap();
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
}

fn nested() -> u32 {
    let outer = fork(|| {
        let inner = fork(|| 1);
        wait(inner) + 1
    });
    wait(outer)
}

#[test]
fn nested_starvation_with_one_blocking_worker() {
    let blocked = Checker::new()
        .workers(1)
        .wait_policy(WaitPolicy::Block)
        .iterations(50)
        .run(nested);
    assert!(blocked.has(FindingKind::Deadlock), "{blocked}");
    let d = blocked
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Deadlock)
        .unwrap();
    assert!(d.message().contains("starvation"), "{}", d.message());
    let suspended = Checker::new()
        .workers(1)
        .wait_policy(WaitPolicy::Suspend)
        .iterations(50)
        .run(nested);
    assert!(suspended.is_clean(), "{suspended}");
    // Two blocking workers are enough for two levels.
    let two = Checker::new()
        .workers(2)
        .wait_policy(WaitPolicy::Block)
        .iterations(50)
        .run(nested);
    assert!(two.is_clean(), "{two}");
}

#[test]
fn a_livelock_hits_the_step_limit() {
    let spin = |stop: bool| {
        move || {
            let flag = Arc::new(Shared::new(false));
            let f = flag.clone();
            let t = fork(move || {
                while !f.read() {
                    forkwait::yield_now();
                }
            });
            if stop {
                flag.write(true);
            }
            wait(t);
        }
    };
    let r = Checker::new()
        .iterations(5)
        .max_steps(2_000)
        .run(spin(false));
    assert!(r.has(FindingKind::StepLimit), "{r}");
    let clean = Checker::new()
        .iterations(20)
        .max_steps(100_000)
        .run(spin(true));
    assert!(!clean.has(FindingKind::StepLimit), "{clean}");
}

#[test]
fn a_panic_in_a_never_waited_task_is_a_lost_error() {
    let r = Checker::new().iterations(20).run(|| {
        drop(fork(|| -> () { panic!("nobody will know") }));
    });
    assert!(r.has(FindingKind::LostError), "{r}");
    assert!(r.has(FindingKind::UnwaitedFuture));
    assert!(!r.is_clean());
    // Waited: delivered to the waiter, handled there; no lost error.
    let handled = Checker::new()
        .iterations(20)
        .run(|| fork(|| -> () { panic!("seen") }).try_wait().is_err());
    assert!(handled.is_clean(), "{handled}");
    assert_eq!(handled.outcomes()[0].value, "true");
}

#[test]
fn scoped_forks_are_simulated_too() {
    let r = Checker::new().iterations(200).run(|| {
        let cell = Shared::new(0);
        forkwait::scope(|s| {
            // Never waited: the scope joins them when it ends.
            let _ = s.fork(|| cell.write(cell.read() + 1));
            let _ = s.fork(|| cell.write(cell.read() + 1));
        });
        cell.read()
    });
    assert!(r.has(FindingKind::Nondeterminism), "{r}");
}

#[test]
fn ten_thousand_tasks_in_one_execution() {
    let r = Checker::new().iterations(2).stack_size(64 * 1024).run(|| {
        let fs: Vec<_> = (0..10_000u64).map(|i| fork(move || i)).collect();
        fs.into_iter().map(wait).sum::<u64>()
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(
        r.outcomes()[0].value,
        (0..10_000u64).sum::<u64>().to_string()
    );
}

#[test]
fn the_report_names_the_replay_command_and_the_interleaving() {
    let r = Checker::new()
        .name("my_test")
        .iterations(200)
        .run(lost_update);
    let text = r.to_string();
    assert!(text.contains("FORKWAIT_REPLAY=fw1:"), "{text}");
    assert!(text.contains("cargo test my_test"), "{text}");
    assert!(text.contains("task 1"), "{text}");
    assert!(text.contains("sim_findings.rs:"), "{text}");
}

/// A panic carried to `wait` (or to the end of a `scope`) is re-raised with
/// `resume_unwind`, which runs no panic hook: the finding still names the task's own
/// message and the line that panicked, not "a panic at ?".
#[test]
fn a_re_raised_panic_keeps_its_message_and_line() {
    let line = line!() + 3;
    let waited = Checker::new()
        .iterations(5)
        .run(|| wait(fork(|| -> u8 { panic!("waited boom") })));
    let scoped = Checker::new().iterations(5).run(|| {
        forkwait::scope(|s| {
            let _ = s.fork(|| -> u8 { panic!("scoped boom") });
        })
    });
    for (r, msg, line) in [
        (waited, "waited boom", line),
        (scoped, "scoped boom", line + 3),
    ] {
        let f = r
            .findings()
            .iter()
            .find(|f| f.kind() == FindingKind::Panic)
            .expect("a panic finding");
        assert!(f.message().contains(msg), "{}", f.message());
        let at = format!("tests/sim_findings.rs:{line}:");
        assert!(
            f.locations().iter().any(|l| l.starts_with(&at)),
            "{:?} should name {at}",
            f.locations()
        );
        assert!(!r.has(FindingKind::LostError), "{r}");
    }
}
