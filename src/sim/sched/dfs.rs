//! Plain exhaustive search: depth-first over every choice, optionally bounded in
//! preemptions (Musuvathi & Qadeer, *Iterative Context Bounding*, PLDI 2007). The
//! exhaustive strategy under a worker model, and the reference the partial-order
//! reduction (`dpor/`) is tested against.
//!
//! Coverage: the search knows whether its bound pruned an alternative (then an exhausted
//! search is complete only within the bound). Progress: the fraction of the tree done is
//! estimated from the current path alone, as if every node below a choice had the
//! branching seen on this path (the path-based estimate of Knuth, *Estimating the
//! efficiency of backtrack programs*, Math. Comp. 1975, applied to the DFS position: a
//! choice at depth d on its attempt a of o options has finished a/o of its subtree, worth
//! the product of 1/o over the choices above it).

use super::{Scheduler, default_choice};
use crate::sim::exec::{Choice, TaskId};
use crate::sim::report::Coverage;

/// Depth-first enumeration of schedules.
pub(crate) struct DfsSched {
    max_preemptions: Option<u32>,
    /// The choices to replay in the next execution (a prefix of the previous one with its
    /// last entry advanced), as (try number, options, current).
    prefix: Vec<(u32, Choice)>,
    /// The previous execution's choices with their try numbers.
    trail: Vec<(u32, Choice)>,
    started: bool,
    exhausted: bool,
    /// Whether the preemption bound has skipped an alternative (so far).
    pruned: bool,
}

impl DfsSched {
    pub(crate) fn new(max_preemptions: Option<u32>) -> Self {
        DfsSched {
            max_preemptions,
            prefix: Vec::new(),
            trail: Vec::new(),
            started: false,
            exhausted: false,
            pruned: false,
        }
    }

    /// The index tried at `attempt` (0 = the default, then the others ascending).
    fn index_of(attempt: u32, c: &Choice) -> u32 {
        let d = default_choice(c.current) as u32;
        if attempt == 0 {
            d
        } else if attempt <= d {
            attempt - 1
        } else {
            attempt
        }
    }

    /// Advances the deepest open choice of `trail`; false when the tree is exhausted.
    fn next_prefix(&mut self) -> bool {
        while let Some((attempt, c)) = self.trail.pop() {
            let preemptions_before =
                self.trail.iter().filter(|(_, c)| c.is_preemption()).count() as u32;
            let mut a = attempt + 1;
            while a < c.options {
                let idx = Self::index_of(a, &c);
                let pre = c.current.is_some_and(|cur| cur != idx);
                let within = self
                    .max_preemptions
                    .is_none_or(|m| preemptions_before + pre as u32 <= m);
                if within {
                    let mut next = c;
                    next.index = idx;
                    self.prefix = self.trail.clone();
                    self.prefix.push((a, next));
                    return true;
                }
                self.pruned = true;
                a += 1;
            }
        }
        false
    }
}

impl Scheduler for DfsSched {
    fn begin(&mut self, _iteration: u64) -> bool {
        if self.started && !self.next_prefix() {
            self.exhausted = true;
        }
        self.started = true;
        self.trail.clear();
        !self.exhausted
    }

    fn choose(
        &mut self,
        runnable: &[TaskId],
        current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String> {
        let c = Choice {
            index: 0,
            options: runnable.len() as u32,
            current,
        };
        let (attempt, idx) = match self.prefix.get(nth) {
            Some(&(a, p)) if p.options == c.options && p.current == c.current => (a, p.index),
            Some(_) => {
                return Err("the program made different choices when replayed (it is \
                            nondeterministic outside the harness)"
                    .into());
            }
            None => (0, default_choice(current) as u32),
        };
        self.trail.push((attempt, Choice { index: idx, ..c }));
        Ok(idx as usize)
    }

    fn coverage(&self, cut: bool) -> Coverage {
        match (cut && !self.exhausted, self.pruned, self.max_preemptions) {
            (true, _, _) => Coverage::Incomplete,
            (false, true, Some(k)) => Coverage::CompleteWithinBound(k),
            (false, _, _) => Coverage::Complete,
        }
    }

    fn done_fraction(&self) -> Option<f64> {
        // The last execution's path: each choice has finished `attempt` of its `options`
        // subtrees (the one being explored now is not finished), the leaf is done.
        let mut done = 0.0;
        let mut weight = 1.0;
        for (attempt, c) in &self.trail {
            let o = f64::from(c.options.max(1));
            done += weight * f64::from(*attempt) / o;
            weight /= o;
        }
        Some((done + weight).clamp(f64::MIN_POSITIVE, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives `s` over a program whose every execution makes `depth` choices between
    /// tasks 0 and 1, task 0 running; returns the schedules it enumerated.
    fn enumerate(mut s: DfsSched, depth: usize) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut i = 0;
        while s.begin(i) {
            out.push(
                (0..depth)
                    .map(|n| s.choose(&[0, 1], Some(0), n).unwrap())
                    .collect(),
            );
            i += 1;
        }
        out
    }

    #[test]
    fn unbounded_search_visits_every_schedule_once_default_first() {
        let all = enumerate(DfsSched::new(None), 3);
        assert_eq!(all.len(), 8);
        assert_eq!(all[0], vec![0, 0, 0]);
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 8);
    }

    #[test]
    fn a_preemption_bound_prunes_the_tree() {
        // Every pick of task 1 while task 0 runs is a preemption.
        assert_eq!(enumerate(DfsSched::new(Some(0)), 3), vec![vec![0, 0, 0]]);
        assert_eq!(enumerate(DfsSched::new(Some(1)), 3).len(), 4); // 1 + 3
    }

    #[test]
    fn coverage_says_whether_the_bound_pruned_and_whether_the_search_was_cut() {
        let run = |bound, depth| {
            let mut s = DfsSched::new(bound);
            let mut i = 0;
            while s.begin(i) {
                for n in 0..depth {
                    s.choose(&[0, 1], Some(0), n).unwrap();
                }
                i += 1;
            }
            s
        };
        assert_eq!(run(None, 3).coverage(false), Coverage::Complete);
        assert_eq!(
            run(Some(1), 3).coverage(false),
            Coverage::CompleteWithinBound(1)
        );
        // A bound that prunes nothing does not weaken the claim.
        assert_eq!(run(Some(5), 3).coverage(false), Coverage::Complete);
        // Stopped with schedules left: incomplete; an exhausted search was not cut.
        let mut s = DfsSched::new(None);
        s.begin(0);
        s.choose(&[0, 1], Some(0), 0).unwrap();
        assert_eq!(s.coverage(true), Coverage::Incomplete);
        assert_eq!(run(None, 2).coverage(true), Coverage::Complete);
    }

    #[test]
    fn the_done_fraction_grows_to_one_on_a_uniform_tree() {
        let mut s = DfsSched::new(None);
        let mut seen = Vec::new();
        let mut i = 0;
        while s.begin(i) {
            for n in 0..3 {
                s.choose(&[0, 1], Some(0), n).unwrap();
            }
            seen.push(s.done_fraction().unwrap());
            i += 1;
        }
        // On a uniform binary tree of depth 3 the estimate is exact: k/8 after k leaves.
        let want: Vec<f64> = (1..=8).map(|k| k as f64 / 8.0).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn a_program_that_changes_under_replay_is_reported() {
        let mut s = DfsSched::new(None);
        s.begin(0);
        s.choose(&[0, 1], Some(0), 0).unwrap();
        s.begin(1);
        assert!(s.choose(&[0, 1, 2], Some(0), 0).is_err());
    }
}
