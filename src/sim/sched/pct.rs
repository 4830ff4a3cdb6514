//! PCT — Burckhardt, Kothari, Musuvathi, Nagarakatte, *A Randomized Scheduler with
//! Probabilistic Guarantees of Finding Bugs*, ASPLOS 2010 (see the module docs of
//! `sched`). The paper's algorithm, line by line: random initial priorities
//! (`prio_of`), `d - 1` change points among the first `k` steps (`begin`), always run
//! the highest-priority enabled thread (`highest`), and at change point `i` lower the
//! running thread to priority `i` (`choose`).

use super::{Scheduler, below, iteration_rng};
use crate::sim::exec::TaskId;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;

/// Probabilistic concurrency testing with bug depth `depth`.
pub(crate) struct PctSched {
    seed: u64,
    depth: u32,
    rng: ChaCha8Rng,
    /// Priority per task id (higher runs first); grown as tasks appear.
    prio: Vec<u64>,
    /// Choice ranks at which the running task's priority drops.
    change_points: Vec<usize>,
    /// Estimate of the number of choices per execution (`k`).
    k: usize,
}

impl PctSched {
    pub(crate) fn new(seed: u64, depth: u32) -> Self {
        PctSched {
            seed,
            depth: depth.max(1),
            rng: iteration_rng(seed, 0),
            prio: Vec::new(),
            change_points: Vec::new(),
            k: 16,
        }
    }

    fn prio_of(&mut self, t: TaskId) -> u64 {
        while self.prio.len() <= t as usize {
            // Initial priorities sit above `depth`, so lowered ones (1..depth) are lowest.
            let p = (self.rng.next_u64() >> 8) + self.depth as u64 + 1;
            self.prio.push(p);
        }
        self.prio[t as usize]
    }
}

impl Scheduler for PctSched {
    fn begin(&mut self, iteration: u64) -> bool {
        self.rng = iteration_rng(self.seed, iteration);
        self.prio.clear();
        self.change_points.clear();
        // d - 1 distinct change points among the first k choices (without replacement:
        // coinciding points would waste depth).
        let want = (self.depth as usize - 1).min(self.k);
        while self.change_points.len() < want {
            let p = below(&mut self.rng, self.k.max(1));
            if !self.change_points.contains(&p) {
                self.change_points.push(p);
            }
        }
        true
    }

    fn choose(
        &mut self,
        runnable: &[TaskId],
        _current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String> {
        let mut best = self.highest(runnable);
        if let Some(i) = self.change_points.iter().position(|&c| c == nth) {
            // At change point i, the task that would run this step drops to priority
            // i + 1, below every initial priority (as in the paper: the thread executing
            // step k_i is lowered), and the step goes to the new highest.
            let t = runnable[best];
            self.prio[t as usize] = i as u64 + 1;
            best = self.highest(runnable);
        }
        Ok(best)
    }
}

impl PctSched {
    /// The index of the highest-priority task in `runnable`.
    fn highest(&mut self, runnable: &[TaskId]) -> usize {
        let mut best = 0;
        let mut best_p = 0;
        for (i, &t) in runnable.iter().enumerate() {
            let p = self.prio_of(t);
            if p > best_p {
                best_p = p;
                best = i;
            }
        }
        best
    }

    /// Sets `k`, the number of choices change points are drawn from. The checker measures
    /// it once per run on the default (non-preemptive) schedule, so that it is the same in
    /// every iteration and shard: iteration i still depends on (seed, i) alone.
    pub(crate) fn set_k(&mut self, k: usize) {
        self.k = k.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_points_are_distinct_and_within_k() {
        for seed in 0..50 {
            let mut s = PctSched::new(seed, 4);
            s.set_k(5);
            s.begin(seed);
            let mut cps = s.change_points.clone();
            assert_eq!(cps.len(), 3);
            cps.sort();
            cps.dedup();
            assert_eq!(cps.len(), 3, "distinct");
            assert!(cps.iter().all(|&c| c < 5));
        }
    }

    #[test]
    fn without_change_points_the_highest_priority_task_always_runs() {
        let mut s = PctSched::new(3, 1);
        s.begin(0);
        let first = s.choose(&[0, 1, 2], Some(0), 0).unwrap();
        for n in 1..20 {
            assert_eq!(s.choose(&[0, 1, 2], Some(0), n).unwrap(), first);
        }
    }

    #[test]
    fn at_a_change_point_the_running_task_drops_below_all_others() {
        let mut s = PctSched::new(11, 2);
        s.set_k(1); // the one change point is choice 0
        s.begin(0);
        let top = s.highest(&[0, 1]);
        let picked = s.choose(&[0, 1], None, 0).unwrap();
        assert_ne!(picked, top, "the would-be runner was lowered");
        assert_eq!(s.prio[top], 1);
    }
}
