//! Shrinking a failing schedule: fewer preemptions, then shorter.

use super::Checker;
use super::findings::{Acc, PendingFinding};
use super::run::{RunResult, choices_of};
use crate::sim::report::FindingKind;
use crate::sim::sched::{ReplaySched, Scheduler};
use crate::sim::schedule::Schedule;
use std::fmt::Debug;

impl Checker {
    /// Minimizes a failing schedule: first fewer preemptions, then shorter.
    pub(super) fn shrink_schedule<T: Debug>(
        &self,
        f: &dyn Fn() -> T,
        schedule: Schedule,
        still_fails: &dyn Fn(&RunResult) -> bool,
    ) -> Schedule {
        let mut budget = 300u32;
        let mut try_run = |choices: &[u32]| -> Option<Vec<u32>> {
            if budget == 0 {
                return None;
            }
            budget -= 1;
            let mut sched = ReplaySched::new(choices.to_vec(), false);
            sched.begin(0);
            let r = self.run_once(f, &mut sched);
            still_fails(&r).then(|| choices_of(&r.fin))
        };
        let mut best: Vec<u32> = schedule.choices().to_vec();
        // Fewer preemptions: replace each choice by "keep running the current task".
        let mut cur = {
            let mut sched = ReplaySched::new(best.clone(), false);
            sched.begin(0);
            let r = self.run_once(f, &mut sched);
            r.fin.state.choices.clone()
        };
        let mut i = 0;
        while i < cur.len() {
            if cur[i].is_preemption() {
                let mut cand: Vec<u32> = cur.iter().map(|c| c.index).collect();
                cand[i] = cur[i].current.expect("a preemption has a current task");
                cand.truncate(i + 1);
                if let Some(found) = try_run(&cand) {
                    best = found;
                    let mut sched = ReplaySched::new(best.clone(), false);
                    sched.begin(0);
                    cur = self.run_once(f, &mut sched).fin.state.choices.clone();
                }
            }
            i += 1;
        }
        // Shorter: the shortest prefix that still fails with default choices after it.
        let (mut lo, mut hi) = (0usize, best.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match try_run(&best[..mid]) {
                Some(_) => hi = mid,
                None => lo = mid + 1,
            }
        }
        if hi < best.len() {
            if let Some(found) = try_run(&best[..hi]) {
                best = found;
            }
        }
        Schedule::from_choices(best)
    }
}

/// Whether a run shows the same finding again (for shrinking).
pub(super) fn finding_matches(
    r: &RunResult,
    target: &PendingFinding,
    acc: &Acc,
    checker: &Checker,
) -> bool {
    let mut probe = Acc::probe();
    if target.kind == FindingKind::Nondeterminism {
        // It must give an outcome other than the first one seen.
        let first = acc
            .outcomes
            .iter()
            .find(|o| !o.value.starts_with("panic: "));
        return match (&r.outcome, first) {
            (Some(Ok(v)), Some(first)) => r.fin.state.abort.is_none() && *v != first.value,
            _ => false,
        };
    }
    probe.absorb(r, checker);
    probe
        .findings
        .iter()
        .any(|f| f.kind == target.kind && f.key == target.key)
}
