//! `Report::coverage`: every variant from a real run, and the report's text saying it.

use forkwait::sync::Shared;
use forkwait::{Checker, Coverage, Progress, Strategy, fork, wait};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;
use common::lost_update;

fn exhaustive(bound: Option<u32>) -> Checker {
    Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: bound,
        })
        .iterations(u64::MAX)
}

#[test]
fn an_exhausted_search_is_complete_and_says_so() {
    let r = exhaustive(None).run(lost_update);
    assert_eq!(r.coverage(), Coverage::Complete);
    assert!(r.outcomes().len() == 2, "{r}");
    let text = r.to_string();
    assert!(
        text.contains("coverage: complete (every schedule)"),
        "{text}"
    );
}

#[test]
fn a_bound_that_prunes_gives_complete_within_bound() {
    let r = exhaustive(Some(0)).run(lost_update);
    assert_eq!(r.coverage(), Coverage::CompleteWithinBound(0));
    assert!(
        r.to_string()
            .contains("coverage: complete within 0 preemptions"),
        "{r}"
    );
    // A bound too large to prune anything claims the whole space, with the same
    // outcomes. (Not the same count: a bounded search runs in another order, and without
    // the sleep sets of the unbounded one.)
    let all = exhaustive(None).run(lost_update);
    let wide = exhaustive(Some(1000)).run(lost_update);
    assert_eq!(wide.coverage(), Coverage::Complete);
    let values = |r: &forkwait::Report| {
        let mut v: Vec<String> = r.outcomes().iter().map(|o| o.value.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(values(&wide), values(&all));
    // Bounded runs explore fewer schedules than the full search.
    assert!(r.executions() < all.executions());
}

#[test]
fn an_iteration_budget_that_cuts_the_search_is_incomplete() {
    let all = exhaustive(None).run(lost_update).executions();
    assert!(all > 3);
    let r = exhaustive(None).iterations(3).run(lost_update);
    assert_eq!(r.executions(), 3);
    assert_eq!(r.coverage(), Coverage::Incomplete);
    let text = r.to_string();
    assert!(
        text.contains("coverage: incomplete (stopped by the iteration budget (3)"),
        "{text}"
    );
    // A budget of exactly the search's size cuts nothing.
    let exact = exhaustive(None).iterations(all).run(lost_update);
    assert_eq!(exact.coverage(), Coverage::Complete);
}

#[test]
fn max_time_cuts_an_exhaustive_search() {
    // Four tasks of racy increments: far more schedules than 50 ms can run.
    let r = exhaustive(None)
        .max_time(Duration::from_millis(50))
        .run(|| {
            let c = Arc::new(Shared::new(0usize));
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    let c = c.clone();
                    fork(move || {
                        for _ in 0..3 {
                            c.write(c.read() + 1);
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(wait);
        });
    assert_eq!(r.coverage(), Coverage::Incomplete);
    assert!(r.to_string().contains("stopped by max_time"), "{r}");
}

#[test]
fn a_failing_check_is_incomplete_unless_its_failure_was_the_last_schedule() {
    let failing = || {
        let c = Arc::new(Shared::new(0usize));
        let c2 = c.clone();
        let t = fork(move || c2.write(c2.read() + 1));
        c.write(c.read() + 1);
        wait(t);
        assert_eq!(c.read(), 2, "lost update");
    };
    let err = std::panic::catch_unwind(|| exhaustive(None).shrink(false).check(failing))
        .expect_err("the lost update is found");
    let text = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("coverage: incomplete (stopped by the first failing execution"),
        "{text}"
    );
    // A program that fails in its only schedule: the search is over at its first failure.
    let err = std::panic::catch_unwind(|| exhaustive(None).check(|| -> () { panic!("always") }))
        .expect_err("fails");
    let text = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("coverage: complete (every schedule)"),
        "{text}"
    );
}

#[test]
fn random_and_pct_runs_are_sampled() {
    let r = Checker::new().iterations(50).run(lost_update);
    assert_eq!(r.coverage(), Coverage::Sampled);
    assert!(r.to_string().contains("coverage: sampled"), "{r}");
    let p = Checker::new()
        .strategy(Strategy::Pct { depth: 2 })
        .iterations(50)
        .run(lost_update);
    assert_eq!(p.coverage(), Coverage::Sampled);
    // Even a random run long enough to see every schedule claims nothing.
    assert_eq!(
        Checker::new().iterations(5000).run(lost_update).coverage(),
        Coverage::Sampled
    );
}

#[test]
fn progress_reports_end_with_the_final_count_and_estimate() {
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let s = seen.clone();
    let r = exhaustive(None)
        .on_progress(move |p| s.lock().unwrap().push(*p))
        .run(lost_update);
    let seen = seen.lock().unwrap();
    let last = seen.last().copied().unwrap();
    assert!(last.finished);
    assert_eq!(seen.iter().filter(|p| p.finished).count(), 1);
    assert_eq!(last.executions, r.executions());
    assert_eq!(last.estimated_total, Some(r.executions()));
    // A cut search estimates at least what it ran; a sampling one gives no estimate.
    let cut = Arc::new(Mutex::new(None));
    let c = cut.clone();
    exhaustive(None)
        .iterations(2)
        .on_progress(move |p| *c.lock().unwrap() = Some(*p))
        .run(lost_update);
    let p = cut.lock().unwrap().unwrap();
    assert!(p.estimated_total.is_some_and(|t| t > 2), "{p:?}");
    let none = Arc::new(Mutex::new(None));
    let n = none.clone();
    Checker::new()
        .iterations(3)
        .on_progress(move |p| *n.lock().unwrap() = Some(*p))
        .run(lost_update);
    assert_eq!(none.lock().unwrap().unwrap().estimated_total, None);
}

/// Runs this test binary's test `name` alone with `FW_COVERAGE_CHILD` set; its stderr.
fn child_stderr(name: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads", "1"])
        .env("FW_COVERAGE_CHILD", "1")
        .output()
        .expect("the test binary runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn pure_forks() -> u32 {
    let a = fork(|| 1);
    let b = fork(|| 2);
    wait(a) + wait(b)
}

/// Two tasks × two atomic increments: 4!/(2!·2!) = 6 orders of the increments (pure
/// forks are one schedule for the reduced search), one outcome, no error.
fn atomic_increments() -> usize {
    use forkwait::sync::atomic::{AtomicUsize, Ordering};
    let n = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            fork(move || {
                n.fetch_add(1, Ordering::SeqCst);
                n.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    ts.into_iter().for_each(wait);
    n.load(Ordering::SeqCst)
}

#[test]
fn a_passing_check_cut_by_its_budget_says_so() {
    if std::env::var_os("FW_COVERAGE_CHILD").is_some() {
        exhaustive(None).iterations(3).check(atomic_increments);
        return;
    }
    let err = child_stderr("a_passing_check_cut_by_its_budget_says_so");
    assert!(
        err.contains("stopped after 3 executions, before it was exhausted (coverage incomplete)"),
        "{err}"
    );
}

#[test]
fn a_passing_complete_check_says_nothing() {
    if std::env::var_os("FW_COVERAGE_CHILD").is_some() {
        exhaustive(None).check(pure_forks);
        Checker::new().iterations(3).check(pure_forks);
        return;
    }
    let err = child_stderr("a_passing_complete_check_says_nothing");
    assert!(!err.contains("coverage incomplete"), "{err}");
}
