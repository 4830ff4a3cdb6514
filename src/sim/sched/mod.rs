//! Scheduling strategies, one per file: `random.rs`, `pct.rs`, `dfs.rs`, `replay.rs`.
//!
//! * **Random**: uniform among the runnable tasks at each choice.
//! * **PCT** — Burckhardt, Kothari, Musuvathi, Nagarakatte, *A Randomized Scheduler with
//!   Probabilistic Guarantees of Finding Bugs*, ASPLOS 2010. Each task gets an
//!   independent random priority (56 random bits) when it is created — ties are
//!   vanishingly rare and go to the lower task id; the highest-priority runnable task always runs;
//!   at `depth - 1` change points drawn uniformly from the first `k` choices, the running
//!   task's priority drops below every initial one. For a program with `n` tasks and `k`
//!   steps, one run finds a bug of depth `d` with probability at least `1/(n·k^(d-1))`.
//!   We count steps in *choices* and take `k` as the number of choices of the default
//!   (non-preemptive) schedule, measured once per run (so that iteration i still depends
//!   on (seed, i) alone).
//! * **Exhaustive** (`dpor/`): depth-first over the tree of choices with dynamic
//!   partial-order reduction (Source-DPOR with sleep sets, Abdulla et al., POPL 2014),
//!   so that each Mazurkiewicz trace runs about once; with a preemption bound (Coons et
//!   al., OOPSLA 2013), its alternatives filed by the preemptions they spend, and the
//!   levels sharing the executions (the fewest preemptions every other one, ...). Each
//!   execution replays a prefix (of the previous one, unbounded, with its deepest
//!   pending alternative; bounded, of the alternative's node), takes the alternative,
//!   then follows the default (no preemption) below it. The reduction only decides which alternatives to
//!   run: the choices an execution records (its token) are the simulator's, the same as
//!   under every other strategy, so random and PCT schedules, pinned tokens and replay
//!   are unchanged by it.
//! * **Plain depth-first** (`dfs.rs`): every alternative of every choice, optionally
//!   bounded in preemptions (Musuvathi & Qadeer, *Iterative Context Bounding*, PLDI
//!   2007). The exhaustive strategy with a worker model (`Checker::workers`: a worker's
//!   being taken and freed is shared state the reduction does not model) or with the
//!   reduction switched off (for tests and measurements).
//! * **Replay**: the choices of a schedule, then (when not strict) the default.
//!
//! Randomness is `rand_chacha` only, and iteration `i` is seeded from `(seed, i)` alone, so
//! any iteration replays without the ones before it.

mod dfs;
mod dpor;
mod pct;
mod random;
mod replay;

pub(crate) use self::dfs::DfsSched;
pub(crate) use self::dpor::DporSched;
pub(crate) use self::pct::PctSched;
pub(crate) use self::random::RandomSched;
pub(crate) use self::replay::ReplaySched;
pub(crate) use rand_chacha::ChaCha8Rng as SchedRng;

use super::exec::{ExecState, TaskId};
use super::report::Coverage;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// A strategy's state across the executions of one run.
pub(crate) trait Scheduler {
    /// Prepares execution number `iteration`; `false` when the strategy is exhausted.
    fn begin(&mut self, iteration: u64) -> bool;
    /// Picks an index into `runnable` (sorted by task id, at least two entries).
    /// `current` is the running task's index if it is runnable; `nth` the choice's rank.
    fn choose(
        &mut self,
        runnable: &[TaskId],
        current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String>;

    /// [`choose`](Self::choose), seeing the execution so far (its steps and segments):
    /// what a partial-order reduction needs. By default, `choose`.
    fn choose_in(
        &mut self,
        _state: &ExecState,
        runnable: &[TaskId],
        current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String> {
        self.choose(runnable, current, nth)
    }

    /// Picks which of the tasks blocked on an object (`waiting`, sorted) a
    /// `notify_one` wakes. By default, `choose` with no current task.
    fn choose_woken(
        &mut self,
        _state: &ExecState,
        waiting: &[TaskId],
        nth: usize,
    ) -> Result<usize, String> {
        self.choose(waiting, None, nth)
    }

    /// For a strategy whose every choice is uniform among the runnable tasks, drawn from
    /// one generator and nothing else (Random): that generator, so that an execution
    /// draws a plain point's choice itself, as `choose_in` would (`below(rng, n)`),
    /// without a call through the trait. `None` (the default): every choice goes
    /// through `choose_in`.
    fn uniform_rng(&mut self) -> Option<*mut ChaCha8Rng> {
        None
    }

    /// The execution begun by the last `begin` is over (`state` is its final state).
    fn end(&mut self, _state: &ExecState) {}

    /// What the run covered, once it stopped: `cut` when it stopped (iteration budget,
    /// `max_time`, first failure) while [`begin`](Scheduler::begin) would still have
    /// started another execution. Sampling strategies (and a replay: one schedule) say
    /// [`Coverage::Sampled`].
    fn coverage(&self, cut: bool) -> Coverage {
        let _ = cut;
        Coverage::Sampled
    }
    /// For progress reports: the estimated fraction of the search done after the last
    /// execution (in `(0, 1]`), or `None` for a strategy without an end. Decides nothing.
    fn done_fraction(&self) -> Option<f64> {
        None
    }
}

/// The default choice: keep running the current task, else the lowest id.
#[inline]
pub(crate) fn default_choice(current: Option<u32>) -> usize {
    current.map_or(0, |c| c as usize)
}

/// The random generator of iteration `i` of a run seeded with `seed`.
pub(crate) fn iteration_rng(seed: u64, i: u64) -> ChaCha8Rng {
    // SplitMix64 over (seed, i) fills the 32-byte ChaCha key: platform-independent.
    let mut x = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// Uniform in `0..n` (Lemire's multiply-shift; bias below 2^-32 for small n).
#[inline(always)]
pub(crate) fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    (((rng.next_u64() >> 32) * n as u64) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_keeps_the_current_task_else_the_lowest_id() {
        assert_eq!(default_choice(Some(2)), 2);
        assert_eq!(default_choice(None), 0);
    }

    #[test]
    fn iteration_generators_depend_on_seed_and_iteration_alone() {
        let draw = |seed, i| {
            let mut r = iteration_rng(seed, i);
            (0..4).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7, 3), draw(7, 3));
        assert_ne!(draw(7, 3), draw(7, 4));
        assert_ne!(draw(7, 3), draw(8, 3));
        // Pinned: the same on every platform and release (schedules depend on it).
        assert_eq!(draw(0, 0)[0], 0xbf94_d133_2d8e_e5e8);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = iteration_rng(1, 1);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let x = below(&mut r, 5);
            assert!(x < 5);
            seen[x] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
