//! Scheduling strategies.
//!
//! * **Random**: uniform among the runnable tasks at each choice.
//! * **PCT** — Burckhardt, Kothari, Musuvathi, Nagarakatte, *A Randomized Scheduler with
//!   Probabilistic Guarantees of Finding Bugs*, ASPLOS 2010. Each task gets a random
//!   distinct priority when it is created; the highest-priority runnable task always runs;
//!   at `depth - 1` change points drawn uniformly from the first `k` choices, the running
//!   task's priority drops below every initial one. For a program with `n` tasks and `k`
//!   steps, one run finds a bug of depth `d` with probability at least `1/(n·k^(d-1))`.
//!   We count steps in *choices* and take `k` as the number of choices of the default
//!   (non-preemptive) schedule, measured once per run (so that iteration i still depends
//!   on (seed, i) alone).
//! * **Exhaustive**: depth-first over the tree of choices, optionally bounded in
//!   preemptions (Musuvathi & Qadeer, *Iterative Context Bounding*, PLDI 2007). Each
//!   execution replays a prefix of the previous one with its last open choice advanced,
//!   then follows the default (no preemption) below it. Partial-order reduction slots in
//!   at `next_prefix`: it only has to skip choices whose alternatives are independent.
//! * **Replay**: the choices of a schedule, then (when not strict) the default.
//!
//! Randomness is `rand_chacha` only, and iteration `i` is seeded from `(seed, i)` alone, so
//! any iteration replays without the ones before it.

use super::exec::{Choice, TaskId};
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
#[inline]
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    (((rng.next_u64() >> 32) * n as u64) >> 32) as usize
}

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
}

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
}

impl DfsSched {
    pub(crate) fn new(max_preemptions: Option<u32>) -> Self {
        DfsSched {
            max_preemptions,
            prefix: Vec::new(),
            trail: Vec::new(),
            started: false,
            exhausted: false,
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
}

/// Replays a fixed list of choices.
pub(crate) struct ReplaySched {
    choices: Vec<u32>,
    /// When set, running out of choices or an index out of range is a stale schedule;
    /// otherwise the default choice is used (for shrinking).
    strict: bool,
}

impl ReplaySched {
    pub(crate) fn new(choices: Vec<u32>, strict: bool) -> Self {
        ReplaySched { choices, strict }
    }
}

impl Scheduler for ReplaySched {
    fn begin(&mut self, _iteration: u64) -> bool {
        true
    }
    fn choose(
        &mut self,
        runnable: &[TaskId],
        current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String> {
        match self.choices.get(nth) {
            Some(&i) if (i as usize) < runnable.len() => Ok(i as usize),
            Some(&i) if self.strict => Err(format!(
                "stale schedule: choice {} picks runnable task #{i} of {} (the program changed \
                 since the token was made)",
                nth + 1,
                runnable.len()
            )),
            None if self.strict => Err(format!(
                "stale schedule: the token has {} choices but the program needs more (the \
                 program changed since the token was made)",
                self.choices.len()
            )),
            _ => Ok(default_choice(current)),
        }
    }
}
