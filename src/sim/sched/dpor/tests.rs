//! Unit tests of the exhaustive strategy's rounds and coverage.

use super::*;
use crate::sim::WaitPolicy;
use crate::sim::exec::{self, Config};
use crate::sim::exec::{AccessKind, ObjKind};
use std::panic::Location;

/// Runs the search over `f` to its end (or `cap` executions); returns each
/// execution's preemptions and the scheduler.
fn explore(s: DporSched, cap: u64, f: fn()) -> (Vec<u32>, DporSched) {
    let (runs, s) = explore_schedules(s, cap, f);
    let pre = runs
        .iter()
        .map(|c| {
            c.iter()
                .filter(|&&(i, cur)| cur.is_some_and(|c| c != i))
                .count() as u32
        })
        .collect();
    (pre, s)
}

/// One execution's choices: the option taken, and the running task's option.
type Schedule = Vec<(u32, Option<u32>)>;

/// Runs the search over `f` to its end (or `cap` executions); returns each
/// execution's choices and the scheduler.
fn explore_schedules(mut s: DporSched, cap: u64, f: fn()) -> (Vec<Schedule>, DporSched) {
    let cfg = Config {
        max_steps: 10_000,
        workers: None,
        policy: WaitPolicy::Suspend,
        stack_size: 256 * 1024,
        log: false,
        deadline: None,
        watchdog: None,
        track: true,
    };
    let mut pre = Vec::new();
    while (pre.len() as u64) < cap && s.begin(pre.len() as u64) {
        let mut main = f;
        let fin = exec::run(&mut main, &mut s, &cfg, std::panic::Location::caller());
        s.end(&fin.state);
        pre.push(
            fin.state
                .choices
                .iter()
                .map(|c| (c.index, c.current))
                .collect(),
        );
    }
    (pre, s)
}

/// Two tasks each read, then write, one shared cell (made and accessed through the
/// execution directly: the simulator's tests do not name `sync`).
fn lost_update() {
    let here = Location::caller();
    let cell = exec::with(|s| {
        s.new_object(
            ObjKind::Shared,
            here,
            false,
            crate::state_class::StateClass::Input,
        )
    });
    let ts: Vec<_> = (0..2)
        .map(|_| {
            crate::fork(move || {
                exec::access(cell, AccessKind::Read, Location::caller());
                exec::access(cell, AccessKind::Write, Location::caller());
            })
        })
        .collect();
    ts.into_iter().for_each(crate::wait);
}

#[test]
fn an_unbounded_search_is_complete() {
    let (runs, s) = explore(DporSched::new(None), 1000, lost_update);
    assert!(runs.len() <= 6, "{runs:?}");
    assert_eq!(s.coverage(false), Coverage::Complete);
}

#[test]
fn bounds_rise_one_round_at_a_time_and_say_what_they_covered() {
    let (zero, s) = explore(DporSched::new(Some(0)), 1000, lost_update);
    assert!(zero.iter().all(|&p| p == 0));
    assert_eq!(s.coverage(false), Coverage::CompleteWithinBound(0));
    let (runs, s) = explore(DporSched::new(Some(3)), 1000, lost_update);
    // Round 0's executions come first, then round 1's: no schedule with two
    // preemptions runs before every one-preemption schedule has.
    let first = |k: u32| runs.iter().position(|&p| p >= k);
    assert!(first(1) < first(2) || first(2).is_none(), "{runs:?}");
    assert_eq!(runs[..zero.len()], zero[..]);
    assert_eq!(s.coverage(false), Coverage::CompleteWithinBound(3));
    // Where nothing races, no bound prunes anything: complete after round 0.
    let (runs, s) = explore(DporSched::new(Some(3)), 1000, || {
        let (a, b) = (crate::fork(|| 1), crate::fork(|| 2));
        crate::wait(a);
        crate::wait(b);
    });
    assert_eq!(runs, [0]);
    assert_eq!(s.coverage(false), Coverage::Complete);
}

/// Three tasks, each reading then writing one shared cell: many schedules per bound.
fn three_updates() {
    let here = Location::caller();
    let cell = exec::with(|s| {
        s.new_object(
            ObjKind::Shared,
            here,
            false,
            crate::state_class::StateClass::Input,
        )
    });
    let ts: Vec<_> = (0..3)
        .map(|_| {
            crate::fork(move || {
                exec::access(cell, AccessKind::Read, Location::caller());
                exec::access(cell, AccessKind::Write, Location::caller());
            })
        })
        .collect();
    ts.into_iter().for_each(crate::wait);
}

#[test]
fn later_rounds_never_run_a_schedule_again() {
    // Round k starts from what round k-1 pruned, over the tree it kept: no schedule runs
    // twice, and (on these programs) every execution after round 0's preempts (a round
    // that started again from the root would begin with round 0's first schedule).
    for f in [lost_update as fn(), three_updates] {
        let (runs, s) = explore_schedules(DporSched::new(Some(2)), 100_000, f);
        assert_eq!(s.coverage(false), Coverage::CompleteWithinBound(2));
        let mut seen = runs.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), runs.len(), "a schedule ran twice");
        let (zero, _) = explore(DporSched::new(Some(0)), 100_000, f);
        let (all, _) = explore(DporSched::new(Some(2)), 100_000, f);
        assert_eq!(all[..zero.len()], zero[..]);
        assert!(all[zero.len()..].iter().all(|&p| p >= 1), "{all:?}");
        assert!(all.len() > zero.len() + 1);
    }
}

#[test]
fn a_cut_search_is_incomplete() {
    let (runs, s) = explore(DporSched::new(None), 1, lost_update);
    assert_eq!(runs.len(), 1);
    assert_eq!(s.coverage(true), Coverage::Incomplete);
    assert_eq!(s.coverage(false), Coverage::Incomplete);
}
