//! Unit tests of the exhaustive strategy: its levels, bounds and coverage.

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

/// `n` tasks each read, then write, one shared cell (made and accessed through the
/// execution directly: the simulator's tests do not name `sync`).
fn updates(n: usize) {
    let here = Location::caller();
    let cell = exec::with(|s| {
        s.new_object(
            ObjKind::Shared,
            here,
            false,
            crate::state_class::StateClass::Input,
        )
    });
    let ts: Vec<_> = (0..n)
        .map(|_| {
            crate::fork(move || {
                exec::access(cell, AccessKind::Read, Location::caller());
                exec::access(cell, AccessKind::Write, Location::caller());
            })
        })
        .collect();
    ts.into_iter().for_each(crate::wait);
}

/// Two tasks each read, then write, one shared cell.
fn lost_update() {
    updates(2)
}

#[test]
fn an_unbounded_search_is_complete() {
    let (runs, s) = explore(DporSched::new(None), 1000, lost_update);
    assert!(runs.len() <= 6, "{runs:?}");
    assert_eq!(s.coverage(false), Coverage::Complete);
}

#[test]
fn a_bound_says_what_it_covered() {
    let (zero, s) = explore(DporSched::new(Some(0)), 1000, lost_update);
    assert!(zero.iter().all(|&p| p == 0));
    assert_eq!(s.coverage(false), Coverage::CompleteWithinBound(0));
    let (runs, s) = explore(DporSched::new(Some(3)), 1000, lost_update);
    assert_eq!(runs[0], 0, "the first execution preempts nobody");
    assert!(runs.iter().all(|&p| p <= 3), "{runs:?}");
    assert!(runs.iter().any(|&p| p >= 1), "{runs:?}");
    assert_eq!(s.coverage(false), Coverage::CompleteWithinBound(3));
    // Where nothing races, no bound prunes anything: one execution, complete.
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
    updates(3)
}

#[test]
fn no_schedule_runs_twice() {
    // Every option is taken once, from whichever level: no schedule runs twice, and the
    // bounded search reaches every schedule within the bound that a race asks for.
    for f in [lost_update as fn(), three_updates] {
        let (runs, s) = explore_schedules(DporSched::new(Some(2)), 100_000, f);
        assert_eq!(s.coverage(false), Coverage::CompleteWithinBound(2));
        let mut seen = runs.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), runs.len(), "a schedule ran twice");
        let (one, _) = explore(DporSched::new(Some(1)), 100_000, f);
        let (two, _) = explore(DporSched::new(Some(2)), 100_000, f);
        assert!(two.len() > one.len(), "{one:?} {two:?}");
        assert!(two.contains(&2) && !one.contains(&2));
    }
}

/// A tree of one path whose nodes each have options pending in `levels`: node `i`
/// (a choice between tasks 0 and 1, task 0 running) has its option 1 pending at cost
/// `pre_before + 1`; the levels are filled by giving each node `pre_before = i % 3`.
fn tree_with_levels(nodes: usize) -> Tree {
    let mut t = Tree::default();
    for i in 0..nodes {
        let parent = if i == 0 {
            (NO_NODE, 0)
        } else {
            (i as u32 - 1, 0)
        };
        t.arena.push(Node {
            parent,
            options: vec![0, 1],
            current: Some(0),
            woken: false,
            chosen: 0,
            pre_before: (i % 3) as u32,
            state: vec![DONE, PENDING],
            sleep: Vec::new(),
            explored: Vec::new(),
            chosen_fp: Vec::new(),
            wakeables: Vec::new(),
        });
        t.add(i as u32, 1, i);
    }
    t
}

#[test]
fn levels_share_the_executions_geometrically() {
    // Levels 1, 2 and 3 have work (costs 1..=3); execution n goes to the z-th level with
    // work, z = trailing zeros of n, the top one if there are fewer.
    let mut t = tree_with_levels(30);
    let mut got = Vec::new();
    for n in 2..=9u64 {
        assert!(t.next_bounded(n));
        let last = *t.path.last().expect("a path");
        got.push(t.arena[last as usize].cost(1));
    }
    assert_eq!(got, [2, 1, 3, 1, 2, 1, 3, 1]);
    // Within a level, the options are taken in the order they were found.
    let mut t = tree_with_levels(9);
    let mut firsts = Vec::new();
    for n in [3u64, 5, 7] {
        assert!(t.next_bounded(n));
        firsts.push(*t.path.last().expect("a path"));
    }
    assert_eq!(firsts, [0, 3, 6]);
    // Every option is taken once: then the search is over.
    let mut t = tree_with_levels(6);
    let taken = (2..).take_while(|&n| t.next_bounded(n)).count();
    assert_eq!(taken, 6);
}

#[test]
fn a_cut_search_is_incomplete() {
    let (runs, s) = explore(DporSched::new(None), 1, lost_update);
    assert_eq!(runs.len(), 1);
    assert_eq!(s.coverage(true), Coverage::Incomplete);
    assert_eq!(s.coverage(false), Coverage::Incomplete);
}
