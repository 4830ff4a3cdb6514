//! Unit tests of the exhaustive strategy's rounds and coverage.

use super::*;
use crate::sim::WaitPolicy;
use crate::sim::exec::{self, Config};
use crate::sim::exec::{AccessKind, ObjKind};
use std::panic::Location;

/// Runs the search over `f` to its end (or `cap` executions); returns each
/// execution's preemptions and the scheduler.
fn explore(mut s: DporSched, cap: u64, f: fn()) -> (Vec<u32>, DporSched) {
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
                .filter(|c| c.is_preemption())
                .count() as u32,
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

#[test]
fn a_cut_search_is_incomplete() {
    let (runs, s) = explore(DporSched::new(None), 1, lost_update);
    assert_eq!(runs.len(), 1);
    assert_eq!(s.coverage(true), Coverage::Incomplete);
    assert_eq!(s.coverage(false), Coverage::Incomplete);
}
