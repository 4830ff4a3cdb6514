//! Random: uniform among the runnable tasks at each choice.

use super::{Scheduler, below, iteration_rng};
use crate::sim::exec::{ExecState, TaskId};
use rand_chacha::ChaCha8Rng;

/// Uniform random choices, seeded per iteration.
pub(crate) struct RandomSched {
    seed: u64,
    rng: ChaCha8Rng,
}

impl RandomSched {
    pub(crate) fn new(seed: u64) -> Self {
        RandomSched {
            seed,
            rng: iteration_rng(seed, 0),
        }
    }
}

impl Scheduler for RandomSched {
    fn begin(&mut self, iteration: u64) -> bool {
        self.rng = iteration_rng(self.seed, iteration);
        true
    }
    fn choose(&mut self, runnable: &[TaskId], _: Option<u32>, _: usize) -> Result<usize, String> {
        Ok(below(&mut self.rng, runnable.len()))
    }
    // The same as the default, without its second call (this is every scheduling point's
    // decision).
    fn choose_in(
        &mut self,
        _: &ExecState,
        runnable: &[TaskId],
        _: Option<u32>,
        _: usize,
    ) -> Result<usize, String> {
        Ok(below(&mut self.rng, runnable.len()))
    }
    fn uniform_rng(&mut self) -> Option<*mut ChaCha8Rng> {
        Some(&mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, i: u64) -> Vec<usize> {
        let mut s = RandomSched::new(seed);
        assert!(s.begin(i));
        (0..50)
            .map(|n| s.choose(&[0, 1, 2], Some(0), n).unwrap())
            .collect()
    }

    #[test]
    fn an_iteration_replays_without_the_ones_before_it() {
        let mut s = RandomSched::new(9);
        s.begin(0);
        let _ = s.choose(&[0, 1], None, 0);
        assert_eq!(run(9, 5), run(9, 5));
        assert_ne!(run(9, 5), run(9, 6));
        assert!(run(9, 5).iter().all(|&c| c < 3));
    }
}
