//! Schedules as proptest inputs (feature `proptest`).
//!
//! [`schedule()`] is a [`Strategy`] whose values are [relative](Schedule::relative)
//! schedules: choice 0 keeps running the current task, choice `k > 0` switches to the
//! `k`-th runnable task after it. Composed with any input strategy in `proptest!`, a
//! failing property shrinks its input *and* its interleaving, and the shrunk schedule's
//! `Debug` form is its replay token (so proptest's failure report and its regression
//! file's comment carry a token that [`replay`](crate::replay) runs).
//!
//! # Shrinking
//!
//! The value tree ([`ScheduleTree`]) shrinks, in this order, as long as the property keeps
//! failing:
//!
//! 1. **fewer preemptions**: each nonzero choice, first to last, is set to 0 (the default);
//! 2. **simpler preemptions**: each remaining choice above 1 is set to 1 (the next task);
//! 3. **shorter**: each choice is removed (the later ones move one choice earlier).
//!
//! Trailing zeros are always dropped (they change nothing), so a schedule with one
//! preemption at the `n`-th choice ends as `n - 1` zeros and one nonzero choice. This is
//! the order of Musuvathi and Qadeer's context bounding (*Iterative Context Bounding for
//! Systematic Testing of Multithreaded Programs*, PLDI 2007): most bugs need few
//! preemptions, and a schedule with fewer is easier to read.
//!
//! ```
//! use forkwait::Schedule;
//! use proptest::prelude::*;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(16))]
//!     #[test]
//!     fn fork_wait_sums(xs in proptest::collection::vec(0u64..100, 0..4),
//!                       s in forkwait::proptest::schedule()) {
//!         let got = s.run(|| {
//!             let tasks: Vec<_> = xs.iter().map(|&x| forkwait::fork(move || x)).collect();
//!             tasks.into_iter().map(forkwait::wait).sum::<u64>()
//!         });
//!         prop_assert_eq!(got, xs.iter().sum::<u64>());
//!     }
//! }
//! # fork_wait_sums();
//! ```

use crate::Schedule;
use ::proptest::strategy::{NewTree, Strategy, ValueTree};
use ::proptest::test_runner::TestRunner;
use ::proptest::prelude::RngCore as _;

/// How [`schedule_with`] generates schedules: up to `max_len` choices, each a preemption
/// (a nonzero choice) with probability `preemption_density`, switching to one of the next
/// `max_jump` runnable tasks.
///
/// ```
/// let config = forkwait::proptest::ScheduleConfig::default()
///     .max_len(32)
///     .preemption_density(0.05);
/// assert_eq!(config.get_max_len(), 32);
/// let _strategy = forkwait::proptest::schedule_with(config);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduleConfig {
    max_len: usize,
    density: f64,
    max_jump: u32,
}

impl Default for ScheduleConfig {
    /// 64 choices at most, a preemption at one choice in eight, to one of the next three
    /// tasks.
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default();
    /// assert_eq!((c.get_max_len(), c.get_preemption_density()), (64, 0.125));
    /// ```
    fn default() -> Self {
        ScheduleConfig {
            max_len: 64,
            density: 0.125,
            max_jump: 3,
        }
    }
}

impl ScheduleConfig {
    /// At most `n` choices (the default follows them); a length is drawn in `0..=n`.
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().max_len(8);
    /// assert_eq!(c.get_max_len(), 8);
    /// ```
    pub fn max_len(mut self, n: usize) -> Self {
        self.max_len = n;
        self
    }

    /// The probability that a choice is a preemption, clamped to `0.0..=1.0` (NaN: 0).
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().preemption_density(2.0);
    /// assert_eq!(c.get_preemption_density(), 1.0);
    /// ```
    pub fn preemption_density(mut self, p: f64) -> Self {
        self.density = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self
    }

    /// A preemption switches to one of the next `k` runnable tasks (at least 1).
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().max_jump(0);
    /// assert_eq!(c.get_max_jump(), 1);
    /// ```
    pub fn max_jump(mut self, k: u32) -> Self {
        self.max_jump = k.max(1);
        self
    }

    /// The maximum length.
    ///
    /// ```
    /// assert_eq!(forkwait::proptest::ScheduleConfig::default().get_max_len(), 64);
    /// ```
    pub fn get_max_len(&self) -> usize {
        self.max_len
    }

    /// The preemption density.
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default();
    /// assert!(c.get_preemption_density() > 0.0);
    /// ```
    pub fn get_preemption_density(&self) -> f64 {
        self.density
    }

    /// The maximum jump of a preemption.
    ///
    /// ```
    /// assert_eq!(forkwait::proptest::ScheduleConfig::default().get_max_jump(), 3);
    /// ```
    pub fn get_max_jump(&self) -> u32 {
        self.max_jump
    }
}

/// The strategy of schedules with the default [`ScheduleConfig`].
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let s = forkwait::proptest::schedule().new_tree(&mut runner).unwrap().current();
/// assert!(s.is_relative() && s.len() <= 64);
/// ```
pub fn schedule() -> ScheduleStrategy {
    schedule_with(ScheduleConfig::default())
}

/// The strategy of schedules generated as `config` says.
///
/// ```
/// use forkwait::proptest::{ScheduleConfig, schedule_with};
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let none = schedule_with(ScheduleConfig::default().preemption_density(0.0));
/// assert!(none.new_tree(&mut runner).unwrap().current().is_empty());
/// ```
pub fn schedule_with(config: ScheduleConfig) -> ScheduleStrategy {
    ScheduleStrategy { config }
}

/// A [`Strategy`] of [`Schedule`]s (see the [module notes](self)).
///
/// ```
/// use proptest::strategy::Strategy;
/// let pairs = (proptest::collection::vec(0u8..10, 0..5), forkwait::proptest::schedule());
/// let _ = pairs.prop_map(|(xs, s)| (xs.len(), s.preemptions()));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ScheduleStrategy {
    config: ScheduleConfig,
}

impl Strategy for ScheduleStrategy {
    type Tree = ScheduleTree;
    type Value = Schedule;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let c = &self.config;
        let rng = runner.rng();
        let len = (rng.next_u64() % (c.max_len as u64 + 1)) as usize;
        // A 53-bit uniform in [0, 1), compared with the density.
        let unit = |r: u64| (r >> 11) as f64 / (1u64 << 53) as f64;
        let choices = (0..len)
            .map(|_| {
                if unit(rng.next_u64()) < c.density {
                    1 + (rng.next_u64() % c.max_jump as u64) as u32
                } else {
                    0
                }
            })
            .collect();
        Ok(ScheduleTree::new(choices))
    }
}

/// What the tree tries next (see the module notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Zero,
    Lower,
    Remove,
    Done,
}

/// The value tree of [`ScheduleStrategy`]: shrinks toward fewer preemptions, then shorter.
///
/// ```
/// use forkwait::proptest::ScheduleTree;
/// use proptest::strategy::ValueTree;
/// let mut t = ScheduleTree::new(vec![0, 2, 0, 1]);
/// assert_eq!(t.current().choices(), &[0, 2, 0, 1]);
/// assert!(t.simplify()); // first: the preemption at choice 2 goes
/// assert_eq!(t.current().choices(), &[0, 0, 0, 1]);
/// ```
#[derive(Clone, Debug)]
pub struct ScheduleTree {
    /// The value being tried.
    current: Vec<u32>,
    /// The last value that failed (what `complicate` returns to).
    base: Vec<u32>,
    phase: Phase,
    /// The next position the phase looks at.
    cursor: usize,
}

impl ScheduleTree {
    /// A tree whose first value is the relative schedule `choices`.
    ///
    /// ```
    /// use proptest::strategy::ValueTree;
    /// let t = forkwait::proptest::ScheduleTree::new(vec![1, 0, 0]);
    /// assert_eq!(t.current().choices(), &[1]);
    /// ```
    pub fn new(choices: Vec<u32>) -> Self {
        let choices = trim(choices);
        ScheduleTree {
            current: choices.clone(),
            base: choices,
            phase: Phase::Zero,
            cursor: 0,
        }
    }

    /// Moves `current` to the next candidate simpler than `base`, if any.
    fn advance(&mut self) -> bool {
        loop {
            let b = &self.base;
            let i = self.cursor;
            let candidate = match self.phase {
                Phase::Done => return false,
                _ if i >= b.len() => {
                    self.phase = match self.phase {
                        Phase::Zero => Phase::Lower,
                        Phase::Lower => Phase::Remove,
                        _ => Phase::Done,
                    };
                    self.cursor = 0;
                    continue;
                }
                Phase::Zero if b[i] != 0 => {
                    let mut c = b.clone();
                    c[i] = 0;
                    Some(c)
                }
                Phase::Lower if b[i] > 1 => {
                    let mut c = b.clone();
                    c[i] = 1;
                    Some(c)
                }
                Phase::Remove => {
                    let mut c = b.clone();
                    c.remove(i);
                    Some(c)
                }
                _ => None,
            };
            self.cursor += 1;
            if let Some(c) = candidate {
                self.current = trim(c);
                return true;
            }
        }
    }
}

impl ValueTree for ScheduleTree {
    type Value = Schedule;

    fn current(&self) -> Schedule {
        Schedule::relative(self.current.clone())
    }

    /// The current value failed: it is the new base; try something simpler.
    fn simplify(&mut self) -> bool {
        if self.current != self.base {
            self.base = self.current.clone();
            // A removal that kept failing: the next choice moved to the same position.
            if self.phase == Phase::Remove {
                self.cursor -= 1;
            }
        }
        self.advance()
    }

    /// The current value passed: back to the last failing one, and try the next candidate.
    fn complicate(&mut self) -> bool {
        self.current = self.base.clone();
        self.advance()
    }
}

/// `choices` without its trailing zeros (relative: they change nothing).
fn trim(mut choices: Vec<u32>) -> Vec<u32> {
    while choices.last() == Some(&0) {
        choices.pop();
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shrinks `start` against `fails` as proptest's runner does.
    fn shrink(start: Vec<u32>, fails: impl Fn(&[u32]) -> bool) -> Vec<u32> {
        let mut t = ScheduleTree::new(start);
        assert!(fails(t.current().choices()));
        if t.simplify() {
            loop {
                let more = if fails(t.current().choices()) {
                    t.simplify()
                } else {
                    t.complicate()
                };
                if !more {
                    break;
                }
            }
        }
        t.base.clone()
    }

    #[test]
    fn shrinks_to_the_one_preemption_that_matters_then_shorter() {
        // Fails when some choice at position >= 3 is nonzero.
        let got = shrink(vec![2, 0, 3, 1, 0, 2, 1], |c| c.iter().skip(3).any(|&x| x != 0));
        assert_eq!(got, vec![0, 0, 0, 1]);
        // Fails when there are two preemptions anywhere: removal makes it short.
        let got = shrink(vec![0, 3, 0, 0, 2, 0, 1], |c| {
            c.iter().filter(|&&x| x != 0).count() >= 2
        });
        assert_eq!(got, vec![1, 1]);
    }

    #[test]
    fn a_passing_start_is_not_shrunk_and_nothing_is_simpler_than_empty() {
        let mut t = ScheduleTree::new(vec![]);
        assert!(!t.simplify());
        assert!(t.current().is_empty());
    }

    #[test]
    fn generation_respects_the_config() {
        let mut runner = TestRunner::deterministic();
        let strategy = schedule_with(ScheduleConfig::default().max_len(10).max_jump(2));
        let mut preempted = 0;
        for _ in 0..200 {
            let s = strategy.new_tree(&mut runner).unwrap().current();
            assert!(s.is_relative() && s.len() <= 10);
            assert!(s.choices().iter().all(|&c| c <= 2));
            preempted += s.preemptions();
        }
        assert!(preempted > 0);
    }
}
