//! Schedules as proptest inputs (feature `proptest`).
//!
//! [`schedule()`] is a [`Strategy`] whose values are [relative](Schedule::relative)
//! schedules: a few preemptions, each "at the `step`-th choice of a task, run the
//! `jump`-th other runnable task after it", the default (keep running) everywhere else.
//! The task of a generated preemption is, by default, *every forked task*
//! ([`Schedule::EVERY_FORKED_TASK`]) or, for 8% of them, the main task. Composed with any
//! input strategy in `proptest!`, in either order, a failing property shrinks its input
//! *and* its interleaving, and the shrunk schedule's `Debug` form is its replay token (so
//! proptest's failure report and its regression file's comment carry a token that
//! [`replay`](crate::replay) and [`Schedule::from_token`] take).
//!
//! # Why every forked task
//!
//! proptest shrinks the parts of a tuple one after the other, never together: its
//! `TupleValueTree` simplifies part 0 until that part gives up, then part 1, and it never
//! goes back to an earlier part. So with the input first (`(vec(..), schedule())`, the
//! natural way to write it) the schedule stays fixed while the input shrinks, and only
//! then is simplified itself; no value tree of schedules can change that. A fixed
//! schedule must therefore keep failing while the input loses elements, and tasks with
//! them:
//!
//! - Preemptions are keyed by task and step rather than by their position in the whole
//!   execution, so that one keeps its meaning when another task disappears.
//! - "Task 5 at its step 2" is gone once the input has fewer than five elements, so the
//!   input could not shrink below that (minimal in 3 of 20 runner seeds, with a
//!   lost-update sum). "Every forked task at its step 2" is there as long as two tasks
//!   are; the schedule's own shrink narrows it to the one task that matters.
//! - A jump counts the *other* runnable tasks, wrapping among them, so it preempts
//!   whenever another task can run however few there are; and an every-task preemption
//!   never switches to a task that one stopped (until that one ran again), so on two
//!   tasks it is one preemption, not a back and forth that a shrinking input could come
//!   to need (the values shrink too).
//! - The main task is not among "every forked task": its steps are the program's
//!   skeleton (one fork per element) and move when the input shrinks. Its preemptions are
//!   still generated ([`ScheduleConfig::main_task`]), since only they let a forked task
//!   run before the main one goes on; such a preemption can pin a shrinking input above
//!   its minimum, which is why they are few.
//! - [`with_schedule`]`(input)` is the same pair with a shrink of three phases (the
//!   schedule's removals, the input, the rest of the schedule's shrink), which a tuple
//!   cannot do: no preemption that plays no part stays while the input shrinks. Plain
//!   tuples work without it; it only closes the last gap.
//!
//! Measured with the lost-update sum of `tests/props.rs` (`shrink_quality_over_seeds`,
//! 200 runner seeds, 256 cases): shrunk to two elements and one preemption of one task in
//! 200/200 runs with the schedule first and 196/200 with the input first (200/200 with
//! `main_task(0)`, 193/200 with `main_task(12)`), and 200/200 by [`with_schedule`] (also
//! with `main_task(12)`); with one-task preemptions only (`every_task(0)`), 199/200 and
//! 53/200. The bug is found after about 18 cases (32 with one-task preemptions). And a
//! bug that needs the main task preempted
//! (`main_task_bug_over_seeds`) is found in 98 of 100 runs (88 with `main_task(6)`, 99
//! with `main_task(12)`, none with `main_task(0)`).
//!
//! # Shrinking
//!
//! The value tree ([`ScheduleTree`]) shrinks, in this order, as long as the property keeps
//! failing (restarting from the first kind after each success):
//!
//! 1. **fewer preemptions**: each preemption is removed (moved to the default);
//! 2. **one task**: a preemption for every forked task becomes one for task 1, else 2,
//!    and so on (the first that still fails);
//! 3. **nearer jumps**: each jump above 1 becomes 1 (the next task);
//! 4. **earlier**: each step goes to 0, then one lower; each task to the one before.
//!
//! This is the order of Musuvathi and Qadeer's context bounding (*Iterative Context
//! Bounding for Systematic Testing of Multithreaded Programs*, PLDI 2007): most bugs need
//! few preemptions, and a schedule with fewer is easier to read.
//!
//! ```
//! use forkwait::Schedule;
//! use proptest::prelude::*;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(16))]
//!     // #[test]
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

mod tree;
mod with_schedule;

pub use self::tree::ScheduleTree;
pub use self::with_schedule::{WithSchedule, WithScheduleTree, with_schedule};

use crate::Schedule;
use ::proptest::prelude::RngCore as _;
use ::proptest::strategy::{NewTree, Strategy};
use ::proptest::test_runner::TestRunner;

/// How [`schedule_with`] generates schedules: up to `max_preemptions` preemptions (the
/// schedule's length), each at a step drawn in `0..max_step`, jumping to one of the next
/// `max_jump` other runnable tasks, and for a task chosen so: the main task (task 0) for
/// `main_task` percent of them; of the others, `every_task` percent are for
/// [every forked task](Schedule::EVERY_FORKED_TASK), the rest for one forked task drawn in
/// `1..max_task`. The density of preemptions is thus about `max_preemptions / 2` per
/// `max_step` choices of a task.
///
/// ```
/// let config = forkwait::proptest::ScheduleConfig::default()
///     .max_preemptions(2)
///     .max_step(32);
/// assert_eq!(config.get_max_preemptions(), 2);
/// let _strategy = forkwait::proptest::schedule_with(config);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleConfig {
    max_preemptions: usize,
    max_task: u32,
    max_step: u32,
    max_jump: u32,
    every_task: u32,
    main_task: u32,
}

impl Default for ScheduleConfig {
    /// At most 3 preemptions, among the first 16 choices of a task, to one of the next 3
    /// tasks; 8% of them the main task's, the others for every forked task (narrowed, when
    /// shrinking, to one of the tasks `1..8`).
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default();
    /// assert_eq!((c.get_max_preemptions(), c.get_max_task(), c.get_max_step()), (3, 8, 16));
    /// ```
    fn default() -> Self {
        ScheduleConfig {
            max_preemptions: 3,
            max_task: 8,
            max_step: 16,
            max_jump: 3,
            every_task: 100,
            main_task: 8,
        }
    }
}

impl ScheduleConfig {
    /// At most `n` preemptions; a number is drawn in `0..=n`.
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().max_preemptions(8);
    /// assert_eq!(c.get_max_preemptions(), 8);
    /// ```
    pub fn max_preemptions(mut self, n: usize) -> Self {
        self.max_preemptions = n;
        self
    }

    /// Preemptions of one task go to tasks `0..n` (0 is the main task; at least 1; with 1,
    /// every preemption is the main task's), and a preemption for every forked task
    /// narrows, when shrinking, to one of the tasks `1..n`.
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().max_task(0);
    /// assert_eq!(c.get_max_task(), 1);
    /// ```
    pub fn max_task(mut self, n: u32) -> Self {
        self.max_task = n.max(1);
        self
    }

    /// Preemptions happen at a task's choices `0..n` (at least 1): a smaller window makes
    /// them denser.
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().max_step(4);
    /// assert_eq!(c.get_max_step(), 4);
    /// ```
    pub fn max_step(mut self, n: u32) -> Self {
        self.max_step = n.max(1);
        self
    }

    /// A preemption switches to one of the next `k` other runnable tasks (at least 1).
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().max_jump(0);
    /// assert_eq!(c.get_max_jump(), 1);
    /// ```
    pub fn max_jump(mut self, k: u32) -> Self {
        self.max_jump = k.max(1);
        self
    }

    /// The share, in percent (at most 100), of the generated preemptions of forked tasks
    /// that are for [every forked task](Schedule::EVERY_FORKED_TASK) rather than for one
    /// drawn in `1..max_task`. Those survive the input's shrinking (see the
    /// [module notes](self)); the shrink narrows each to one task.
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().every_task(150);
    /// assert_eq!(c.get_every_task(), 100);
    /// ```
    pub fn every_task(mut self, percent: u32) -> Self {
        self.every_task = percent.min(100);
        self
    }

    /// The share, in percent (at most 100), of generated preemptions that are the main
    /// task's (task 0). Those are what lets a forked task run before the main one goes
    /// on; but the main task's steps move when the input shrinks (one fork per element),
    /// so a preemption of it can pin a shrinking input at a larger size (see the
    /// [module notes](self)).
    ///
    /// ```
    /// let c = forkwait::proptest::ScheduleConfig::default().main_task(0);
    /// assert_eq!(c.get_main_task(), 0);
    /// ```
    pub fn main_task(mut self, percent: u32) -> Self {
        self.main_task = percent.min(100);
        self
    }

    /// The share, in percent, of generated preemptions that are the main task's.
    ///
    /// ```
    /// assert_eq!(forkwait::proptest::ScheduleConfig::default().get_main_task(), 8);
    /// ```
    pub fn get_main_task(&self) -> u32 {
        self.main_task
    }

    /// The share, in percent, of the generated preemptions of forked tasks that are for
    /// every forked task.
    ///
    /// ```
    /// assert_eq!(forkwait::proptest::ScheduleConfig::default().get_every_task(), 100);
    /// ```
    pub fn get_every_task(&self) -> u32 {
        self.every_task
    }

    /// The maximum number of preemptions.
    ///
    /// ```
    /// assert_eq!(forkwait::proptest::ScheduleConfig::default().get_max_preemptions(), 3);
    /// ```
    pub fn get_max_preemptions(&self) -> usize {
        self.max_preemptions
    }

    /// The number of tasks preemptions go to.
    ///
    /// ```
    /// assert_eq!(forkwait::proptest::ScheduleConfig::default().get_max_task(), 8);
    /// ```
    pub fn get_max_task(&self) -> u32 {
        self.max_task
    }

    /// The window of a task's choices preemptions happen in.
    ///
    /// ```
    /// assert_eq!(forkwait::proptest::ScheduleConfig::default().get_max_step(), 16);
    /// ```
    pub fn get_max_step(&self) -> u32 {
        self.max_step
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
/// assert!(s.is_relative() && s.preemptions() <= 3);
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
/// let none = schedule_with(ScheduleConfig::default().max_preemptions(0));
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
        let mut below = |n: u64| rng.next_u64() % n;
        let count = below(c.max_preemptions as u64 + 1) as usize;
        let preemptions = (0..count)
            .map(|_| {
                let task = if below(100) < c.main_task as u64 || c.max_task < 2 {
                    0
                } else if below(100) < c.every_task as u64 {
                    Schedule::EVERY_FORKED_TASK
                } else {
                    1 + below(c.max_task as u64 - 1) as u32
                };
                [
                    task,
                    below(c.max_step as u64) as u32,
                    1 + below(c.max_jump as u64) as u32,
                ]
            })
            .collect();
        let mut tree = ScheduleTree::new(preemptions);
        tree.max_task = c.max_task;
        Ok(tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::proptest::strategy::ValueTree;

    #[test]
    fn generation_respects_the_config() {
        let mut runner = TestRunner::deterministic();
        // One task per preemption (every-task ones are tested below).
        let config = ScheduleConfig::default()
            .max_preemptions(4)
            .max_task(3)
            .max_step(5)
            .max_jump(2)
            .every_task(0);
        let strategy = schedule_with(config);
        let mut total = 0;
        for _ in 0..200 {
            let s = strategy.new_tree(&mut runner).unwrap().current();
            assert!(s.is_relative() && s.preemptions() <= 4);
            for p in s.choices().chunks(3) {
                assert!(p[0] < 3 && p[1] < 5 && (1..=2).contains(&p[2]), "{p:?}");
            }
            total += s.preemptions();
        }
        assert!(total > 200, "about two preemptions a schedule: {total}");
    }

    #[test]
    fn by_default_a_forked_task_preemption_is_for_every_forked_task() {
        let mut runner = TestRunner::deterministic();
        let (mut every, mut main) = (0, 0);
        for _ in 0..200 {
            let s = schedule().new_tree(&mut runner).unwrap().current();
            for p in s.choices().chunks(3) {
                match p[0] {
                    Schedule::EVERY_FORKED_TASK => every += 1,
                    0 => main += 1,
                    t => panic!("one forked task, {t}, in a generated schedule"),
                }
            }
        }
        // About one in twelve preemptions is the main task's (8%).
        assert!(
            every > 200 && main > 8 && main < every / 4,
            "{every} {main}"
        );
        // Half and half.
        let half = schedule_with(ScheduleConfig::default().every_task(50));
        let forked: Vec<u32> = (0..200)
            .flat_map(|_| {
                half.new_tree(&mut runner)
                    .unwrap()
                    .current()
                    .choices()
                    .to_vec()
            })
            .step_by(3)
            .filter(|&t| t != 0)
            .collect();
        let every = forked
            .iter()
            .filter(|&&t| t == Schedule::EVERY_FORKED_TASK)
            .count();
        assert!(
            every * 3 > forked.len() && every * 3 < 2 * forked.len(),
            "{every}"
        );
    }
}
