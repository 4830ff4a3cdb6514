//! Schedules as property-test inputs: a racy parallel sum found and shrunk by proptest and
//! by quickcheck (input and interleaving together), its token replayed, and a correct sum
//! that passes both. The tests run under `cargo test`: the package's dev-dependency on
//! itself turns on the `proptest` and `quickcheck` features.

use forkwait::sync::Shared;
use forkwait::sync::atomic::{AtomicU64, Ordering};
use forkwait::{Schedule, fork, wait};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRng, TestRunner};
use quickcheck::{Gen, QuickCheck, TestResult};
use std::cell::RefCell;
use std::sync::Arc;

/// Sums `xs` with one task per element, each adding into a shared cell by a read and then
/// a write: a preemption between the two loses an update.
fn racy_sum(xs: &[u64]) -> u64 {
    let total = Arc::new(Shared::new(0u64));
    let tasks: Vec<_> = xs
        .iter()
        .map(|&x| {
            let t = total.clone();
            fork(move || {
                let v = t.read();
                t.write(v.wrapping_add(x));
            })
        })
        .collect();
    tasks.into_iter().for_each(wait);
    total.read()
}

/// The same with an atomic add: no interleaving loses anything.
fn atomic_sum(xs: &[u64]) -> u64 {
    let total = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = xs
        .iter()
        .map(|&x| {
            let t = total.clone();
            fork(move || {
                t.fetch_add(x, Ordering::SeqCst);
            })
        })
        .collect();
    tasks.into_iter().for_each(wait);
    total.load(Ordering::SeqCst)
}

fn expected(xs: &[u64]) -> u64 {
    xs.iter().fold(0u64, |a, &x| a.wrapping_add(x))
}

/// A deterministic runner (no persistence file: the test inspects the failure itself).
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    TestRunner::new_with_rng(config, rng)
}

/// The schedule first: proptest shrinks a tuple's parts in order, so the interleaving is
/// simplified first and the input then shrinks under it.
fn inputs() -> impl Strategy<Value = (Schedule, Vec<u64>)> {
    (
        forkwait::proptest::schedule(),
        proptest::collection::vec(0u64..1000, 0..8),
    )
}

/// Checks a shrunk failure of `racy_sum` is the minimal one — the smallest input that can
/// lose an update (two elements) and the one preemption that does it (task 1, between its
/// read and its write, lets task 2 run: the earliest such point) — and returns the lost sum.
fn assert_minimal_lost_update(xs: &[u64], s: &Schedule, why: &dyn std::fmt::Display) -> u64 {
    assert_eq!(xs.len(), 2, "shrunk to {xs:?} under {s:?} ({why})");
    assert!(s.is_relative());
    assert_eq!(s.preemptions(), 1, "shrunk to {xs:?} under {s:?}");
    assert_eq!(s.choices()[..2], [1, 2], "{s:?}");
    let lost = s.run(|| racy_sum(xs));
    assert_ne!(lost, expected(xs));
    // The shrunk schedule is minimal: without its preemption nothing is lost.
    assert_eq!(Schedule::default().run(|| racy_sum(xs)), expected(xs));
    lost
}

/// `s`'s token parses back to `s`, and replaying it on `xs` gives the one outcome `lost`;
/// returns the replay's report.
fn assert_token_replays(s: &Schedule, xs: &[u64], lost: u64) -> forkwait::Report {
    let token = s.to_token();
    assert_eq!(&Schedule::from_token(&token).unwrap(), s);
    let report = forkwait::replay(&token, || racy_sum(xs)).unwrap();
    assert_eq!(report.outcomes().len(), 1);
    assert_eq!(report.outcomes()[0].value, lost.to_string());
    report
}

#[test]
fn proptest_finds_the_lost_update_and_shrinks_input_and_schedule_together() {
    let result = runner(256).run(&inputs(), |(s, xs)| {
        prop_assert_eq!(s.run(|| racy_sum(&xs)), expected(&xs));
        Ok(())
    });
    let Err(TestError::Fail(why, (s, xs))) = result else {
        panic!("proptest did not find the lost update: {result:?}");
    };
    let lost = assert_minimal_lost_update(&xs, &s, &why);

    // Its token (the `Debug` form proptest prints and persists) replays the same failure.
    let token = s.to_token();
    assert_eq!(format!("{s:?}"), format!("Schedule({token:?})"));
    assert_eq!(
        Schedule::from_token(&token).unwrap().run(|| racy_sum(&xs)),
        lost
    );
    let report = assert_token_replays(&s, &xs, lost);
    // And the replayed execution's own (absolute) token replays it again, strictly.
    let again = forkwait::replay(&report.outcomes()[0].replay, || racy_sum(&xs)).unwrap();
    assert_eq!(again.outcomes()[0].value, lost.to_string());
}

#[test]
fn proptest_passes_the_correct_sum() {
    let result = runner(128).run(&inputs(), |(s, xs)| {
        prop_assert_eq!(s.run(|| atomic_sum(&xs)), expected(&xs));
        Ok(())
    });
    assert!(result.is_ok(), "{result:?}");
}

/// The input first, as a `proptest!` with `xs in vec(..), s in schedule()` builds it.
fn inputs_input_first() -> impl Strategy<Value = (Vec<u64>, Schedule)> {
    (
        proptest::collection::vec(0u64..1000, 0..8),
        forkwait::proptest::schedule(),
    )
}

#[test]
fn proptest_shrinks_input_and_schedule_together_with_the_input_first() {
    let result = runner(256).run(&inputs_input_first(), |(xs, s)| {
        prop_assert_eq!(s.run(|| racy_sum(&xs)), expected(&xs));
        Ok(())
    });
    let Err(TestError::Fail(why, (xs, s))) = result else {
        panic!("proptest did not find the lost update: {result:?}");
    };
    // The input shrank first, under a schedule that kept failing.
    let lost = assert_minimal_lost_update(&xs, &s, &why);
    // Its token replays the same failure.
    assert_token_replays(&s, &xs, lost);
}

#[test]
fn both_orders_shrink_to_the_minimum_over_several_seeds() {
    for seed in 0..12 {
        for schedule_first in [true, false] {
            let (xs, s, _) = proptest_shrunk(seed, schedule_first, forkwait::proptest::schedule())
                .unwrap_or_else(|| panic!("seed {seed}: the lost update was not found"));
            let order = if schedule_first { "schedule" } else { "input" };
            assert_eq!(
                xs.len(),
                2,
                "seed {seed}, {order} first: {xs:?} under {s:?}"
            );
            assert_eq!(s.preemptions(), 1, "seed {seed}, {order} first: {s:?}");
            assert_eq!(
                s.choices()[..2],
                [1, 2],
                "seed {seed}, {order} first: {s:?}"
            );
            assert_ne!(s.run(|| racy_sum(&xs)), expected(&xs));
        }
    }
}

#[test]
fn with_schedule_shrinks_input_and_schedule_in_three_phases() {
    let strategy = forkwait::proptest::with_schedule(proptest::collection::vec(0u64..1000, 0..8));
    let result = runner(256).run(&strategy, |(xs, s)| {
        prop_assert_eq!(s.run(|| racy_sum(&xs)), expected(&xs));
        Ok(())
    });
    let Err(TestError::Fail(_, (xs, s))) = result else {
        panic!("proptest did not find the lost update: {result:?}");
    };
    assert_eq!(xs.len(), 2, "shrunk to {xs:?} under {s:?}");
    assert_eq!(s.preemptions(), 1, "{s:?}");
    assert_eq!(s.choices()[..2], [1, 2], "{s:?}");
    let lost = s.run(|| racy_sum(&xs));
    assert_ne!(lost, expected(&xs));
    let report = forkwait::replay(&s.to_token(), || racy_sum(&xs)).unwrap();
    assert_eq!(report.outcomes()[0].value, lost.to_string());
    // Over several seeds, with main-task preemptions half again as many as by default
    // (the ones that can hold a tuple's shrinking input above its minimum).
    let config = forkwait::proptest::ScheduleConfig::default().main_task(12);
    let sc = forkwait::proptest::schedule_with(config);
    for seed in 0..12 {
        let (xs, s, _) = proptest_shrunk_by(seed, false, sc, Some(config))
            .unwrap_or_else(|| panic!("seed {seed}: the lost update was not found"));
        assert_eq!(xs.len(), 2, "seed {seed}: {xs:?} under {s:?}");
        assert_eq!(s.choices(), [1, 2, 1], "seed {seed}: {s:?}");
    }
}

/// An every-task preemption (what `schedule()` generates) fails the racy sum on any
/// input of two elements or more, which is why the input can shrink under it.
#[test]
fn an_every_task_preemption_fails_every_input_size() {
    let every = Schedule::relative(vec![Schedule::EVERY_FORKED_TASK, 2, 1]);
    let one = Schedule::relative(vec![5, 2, 1]);
    for n in 2..8u64 {
        let xs: Vec<u64> = (1..=n).collect();
        assert_ne!(every.run(|| racy_sum(&xs)), expected(&xs), "{n} elements");
        // A preemption of task 5 only fails with more than five elements.
        let lost = one.run(|| racy_sum(&xs)) != expected(&xs);
        assert_eq!(lost, n > 5, "{n} elements");
    }
}

thread_local! {
    /// The arguments of the last failing call of a quickcheck property.
    static LAST_FAILURE: RefCell<Option<(Vec<u64>, Schedule)>> = const { RefCell::new(None) };
}

fn racy_property(s: Schedule, xs: Vec<u32>) -> TestResult {
    let xs: Vec<u64> = xs.into_iter().map(u64::from).collect();
    let ok = s.run(|| racy_sum(&xs)) == expected(&xs);
    if !ok {
        LAST_FAILURE.with(|l| *l.borrow_mut() = Some((xs, s)));
    }
    TestResult::from_bool(ok)
}

/// The same property with the input first.
fn racy_property_input_first(xs: Vec<u32>, s: Schedule) -> TestResult {
    racy_property(s, xs)
}

fn atomic_property(s: Schedule, xs: Vec<u32>) -> bool {
    let xs: Vec<u64> = xs.into_iter().map(u64::from).collect();
    s.run(|| atomic_sum(&xs)) == expected(&xs)
}

fn quickcheck(tests: u64, seed: u64) -> QuickCheck {
    QuickCheck::new()
        .rng(Gen::from_size_and_seed(12, seed))
        .tests(tests)
        .max_tests(tests)
}

#[test]
fn quickcheck_finds_the_same_bug_and_shrinks_it() {
    LAST_FAILURE.with(|l| l.borrow_mut().take());
    let result = quickcheck(500, 12).quicktest(racy_property as fn(Schedule, Vec<u32>) -> _);
    assert!(result.is_err(), "quickcheck did not find the lost update");
    // The last failing call is the shrunk one.
    let (xs, s) = LAST_FAILURE
        .with(|l| l.borrow_mut().take())
        .expect("a failing call");
    assert_eq!(xs.len(), 2, "shrunk to {xs:?} under {s:?}");
    assert_eq!(s.preemptions(), 1, "shrunk to {xs:?} under {s:?}");
    let lost = s.run(|| racy_sum(&xs));
    assert_ne!(lost, expected(&xs));
    let report = forkwait::replay(&s.to_token(), || racy_sum(&xs)).unwrap();
    assert_eq!(report.outcomes()[0].value, lost.to_string());
}

#[test]
fn quickcheck_passes_the_correct_sum() {
    let result = quickcheck(200, 12).quicktest(atomic_property as fn(Schedule, Vec<u32>) -> bool);
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn any_schedule_runs_and_a_panic_keeps_its_payload() {
    // Generated values out of range are taken modulo the runnable tasks; an absolute
    // index out of range is the default: neither panics the harness.
    for s in [
        Schedule::relative(vec![u32::MAX; 50]),
        Schedule::from_choices(vec![u32::MAX; 50]),
        Schedule::relative(vec![]),
    ] {
        assert_eq!(s.run(|| atomic_sum(&[1, 2, 3])), 6);
    }
    // A task's panic, re-raised by `wait`, reaches the caller with its payload.
    let p = std::panic::catch_unwind(|| {
        Schedule::default().run(|| wait(fork(|| -> u32 { std::panic::panic_any(41u64) })))
    })
    .unwrap_err();
    assert_eq!(p.downcast_ref::<u64>(), Some(&41));
}

#[test]
fn an_aborted_execution_is_a_clear_panic() {
    use forkwait::sync::Mutex;
    // Main holds the lock and waits for a task that needs it: a deadlock, no value.
    let p = std::panic::catch_unwind(|| {
        Schedule::default().run(|| {
            let m = Arc::new(Mutex::new(0));
            let g = m.lock().unwrap();
            let m2 = m.clone();
            let t = fork(move || *m2.lock().unwrap() += 1);
            wait(t);
            *g
        })
    })
    .unwrap_err();
    let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("deadlock") && msg.contains("fw1:"), "{msg}");
}

/// The shrunk failure proptest reports for the racy sum, with the runner seeded by `seed`
/// and the schedule first or second in the tuple; and how many cases ran until the first
/// failure. `None` if 256 cases found nothing.
fn proptest_shrunk(
    seed: u8,
    schedule_first: bool,
    sc: forkwait::proptest::ScheduleStrategy,
) -> Option<(Vec<u64>, Schedule, usize)> {
    proptest_shrunk_by(seed, schedule_first, sc, None)
}

/// [`proptest_shrunk`], or with `forkwait::proptest::with_schedule` and `combined`'s
/// schedules instead of a tuple.
fn proptest_shrunk_by(
    seed: u8,
    schedule_first: bool,
    sc: forkwait::proptest::ScheduleStrategy,
    combined: Option<forkwait::proptest::ScheduleConfig>,
) -> Option<(Vec<u64>, Schedule, usize)> {
    use proptest::test_runner::RngAlgorithm;
    use std::cell::Cell;
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut r = TestRunner::new_with_rng(config, rng);
    let v = proptest::collection::vec(0u64..1000, 0..8);
    // Calls until the first failure (the shrink's calls come after it).
    let (calls, found) = (Cell::new(0), Cell::new(false));
    let property = |s: &Schedule, xs: &[u64]| {
        let ok = s.run(|| racy_sum(xs)) == expected(xs);
        if !found.get() {
            calls.set(calls.get() + 1);
            found.set(!ok);
        }
        ok
    };
    let (xs, s) = if let Some(config) = combined {
        let strategy = forkwait::proptest::with_schedule(v).schedule_config(config);
        match r.run(&strategy, |(xs, s)| {
            prop_assert!(property(&s, &xs));
            Ok(())
        }) {
            Err(TestError::Fail(_, (xs, s))) => (xs, s),
            _ => return None,
        }
    } else if schedule_first {
        match r.run(&(sc, v), |(s, xs)| {
            prop_assert!(property(&s, &xs));
            Ok(())
        }) {
            Err(TestError::Fail(_, (s, xs))) => (xs, s),
            _ => return None,
        }
    } else {
        match r.run(&(v, sc), |(xs, s)| {
            prop_assert!(property(&s, &xs));
            Ok(())
        }) {
            Err(TestError::Fail(_, (xs, s))) => (xs, s),
            _ => return None,
        }
    };
    Some((xs, s, calls.get()))
}

/// How often the shrunk failure is the minimal one (two elements, one preemption of one
/// task) over runner seeds, with the schedule first and with the input first in the
/// tuple, for several shares of every-task and main-task preemptions; and how many cases
/// it took to find the bug. A measurement, not an assertion on its figures
/// (`--ignored --nocapture` to see them).
#[test]
#[ignore]
fn shrink_quality_over_seeds() {
    use forkwait::proptest::{ScheduleConfig, schedule_with};
    const SEEDS: u8 = 200;
    for (every_task, main_task) in [(0, 8), (100, 0), (100, 8), (100, 12)] {
        let config = ScheduleConfig::default().every_task(every_task);
        let config = config.main_task(main_task);
        let sc = schedule_with(config);
        for (schedule_first, combined) in [(true, None), (false, None), (false, Some(config))] {
            let (mut minimal, mut missed, mut cases) = (0, 0, 0);
            let mut others = Vec::new();
            for seed in 0..SEEDS {
                let Some((xs, s, calls)) = proptest_shrunk_by(seed, schedule_first, sc, combined)
                else {
                    missed += 1;
                    continue;
                };
                cases += calls;
                let one = s.preemptions() == 1 && s.choices()[0] != Schedule::EVERY_FORKED_TASK;
                if xs.len() == 2 && one {
                    minimal += 1;
                } else {
                    others.push((xs.len(), s.preemptions()));
                }
            }
            println!(
                "proptest, every task {every_task}%, main {main_task}%, schedule first: \
                 {schedule_first}, with_schedule: {}: minimal in {minimal}/{SEEDS}, not found in {missed}, \
                 {:.1} cases to find it; the others' (elements, preemptions): {others:?}",
                combined.is_some(),
                cases as f64 / (SEEDS as usize - missed) as f64
            );
        }
    }
    for schedule_first in [true, false] {
        let (mut minimal, mut missed) = (0, 0);
        for seed in 0..SEEDS as u64 {
            LAST_FAILURE.with(|l| l.borrow_mut().take());
            let mut qc = quickcheck(500, seed);
            let r = if schedule_first {
                qc.quicktest(racy_property as fn(Schedule, Vec<u32>) -> _)
            } else {
                qc.quicktest(racy_property_input_first as fn(Vec<u32>, Schedule) -> _)
            };
            if r.is_ok() {
                missed += 1;
                continue;
            }
            let (xs, s) = LAST_FAILURE.with(|l| l.borrow_mut().take()).unwrap();
            minimal += usize::from(xs.len() == 2 && s.preemptions() == 1);
        }
        println!(
            "quickcheck, schedule first: {schedule_first}: minimal in {minimal}/{SEEDS}, \
             not found in {missed}"
        );
    }
}

/// How often a bug that needs the main task preempted (a forked task's write seen before
/// the main task waits) is found in 256 cases over 100 runner seeds, for several shares
/// of main-task preemptions: what `ScheduleConfig::main_task` trades against the input
/// first shrink above. A measurement (`--ignored --nocapture`).
#[test]
#[ignore]
fn main_task_bug_over_seeds() {
    use forkwait::proptest::{ScheduleConfig, schedule_with};
    use proptest::test_runner::RngAlgorithm;
    // Main forks a task that sets a flag, then reads the flag `n` times before waiting.
    let program = |n: usize| {
        let flag = Arc::new(Shared::new(0u64));
        let f = flag.clone();
        let t = fork(move || f.write(1));
        let seen: u64 = (0..n).map(|_| flag.read()).sum();
        wait(t);
        seen
    };
    for main in [0, 6, 8, 12] {
        let sc = schedule_with(ScheduleConfig::default().main_task(main));
        let mut found = 0;
        for seed in 0..100u8 {
            let config = Config {
                cases: 256,
                failure_persistence: None,
                ..Config::default()
            };
            let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
            let mut r = TestRunner::new_with_rng(config, rng);
            let res = r.run(&(0usize..4, sc), |(n, s)| {
                prop_assert_eq!(s.run(|| program(n)), 0);
                Ok(())
            });
            found += usize::from(res.is_err());
        }
        println!("main task {main}%: found in {found}/100");
    }
}
