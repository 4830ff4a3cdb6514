//! [`with_schedule`]: an input strategy and a schedule in one value, shrunk in three
//! phases instead of a tuple's two.
//!
//! A tuple `(input, schedule())` shrinks the input to its end and then the schedule, and
//! `(schedule(), input)` the other way round; proptest's `TupleValueTree` never goes back
//! to an earlier part, and an input's value tree cannot be restarted once it has given up.
//! Either order leaves one way for a fixed schedule to hold a shrinking input above its
//! minimum (see the [module notes](super)): with the input first, a preemption that plays
//! no part in the failure (typically the main task's) stays while the input shrinks; with
//! the schedule first, a preemption is narrowed to one task while the input is still
//! large, and the input's values may then shrink so that only that task still fails.
//!
//! So the value tree here shrinks:
//!
//! 1. the schedule, by **removals only** (a preemption that plays no part goes; a
//!    preemption for every forked task stays for every forked task);
//! 2. the **input**, to its end, under that schedule;
//! 3. the **schedule** with every kind of candidate (narrowed to one task, nearer,
//!    earlier), under the shrunk input.

use super::{ScheduleConfig, ScheduleStrategy, ScheduleTree, schedule_with};
use crate::Schedule;
use ::proptest::strategy::{NewTree, Strategy, ValueTree};
use ::proptest::test_runner::TestRunner;

/// The values of `input` each paired with a schedule of [`schedule()`](super::schedule),
/// as `(input, schedule)`: what `(input, schedule())` generates, shrunk in three phases
/// (see [`WithScheduleTree`]) so that neither part holds the other above its minimum.
///
/// ```
/// use proptest::prelude::*;
/// proptest! {
///     #![proptest_config(ProptestConfig::with_cases(16))]
///     // #[test]
///     fn sums((xs, s) in forkwait::proptest::with_schedule(prop::collection::vec(0u64..9, 0..4)))
///     {
///         let got = s.run(|| {
///             let tasks: Vec<_> = xs.iter().map(|&x| forkwait::fork(move || x)).collect();
///             tasks.into_iter().map(forkwait::wait).sum::<u64>()
///         });
///         prop_assert_eq!(got, xs.iter().sum::<u64>());
///     }
/// }
/// # sums();
/// ```
pub fn with_schedule<S: Strategy>(input: S) -> WithSchedule<S> {
    WithSchedule {
        input,
        schedule: schedule_with(ScheduleConfig::default()),
    }
}

/// The strategy of [`with_schedule`].
///
/// ```
/// use forkwait::proptest::{ScheduleConfig, with_schedule};
/// let _pairs = with_schedule(0u32..10).schedule_config(ScheduleConfig::default().main_task(0));
/// ```
#[derive(Clone, Debug)]
pub struct WithSchedule<S> {
    input: S,
    schedule: ScheduleStrategy,
}

impl<S> WithSchedule<S> {
    /// The schedules generated as `config` says (the default: [`ScheduleConfig::default`]).
    ///
    /// ```
    /// use forkwait::proptest::{ScheduleConfig, with_schedule};
    /// use proptest::strategy::{Strategy, ValueTree};
    /// let mut runner = proptest::test_runner::TestRunner::deterministic();
    /// let config = ScheduleConfig::default().max_preemptions(0);
    /// let none = with_schedule(0u8..4).schedule_config(config);
    /// assert!(none.new_tree(&mut runner).unwrap().current().1.is_empty());
    /// ```
    pub fn schedule_config(mut self, config: ScheduleConfig) -> Self {
        self.schedule = schedule_with(config);
        self
    }
}

impl<S: Strategy> Strategy for WithSchedule<S> {
    type Tree = WithScheduleTree<S::Tree>;
    type Value = (S::Value, Schedule);

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let input = self.input.new_tree(runner)?;
        let mut schedule = self.schedule.new_tree(runner)?;
        schedule.set_removals_only(true);
        Ok(WithScheduleTree {
            input,
            schedule,
            phase: Phase::Removals,
            last: None,
        })
    }
}

/// Which part of a [`WithScheduleTree`] is shrinking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The schedule, by removals only.
    Removals,
    /// The input.
    Input,
    /// The schedule, by every kind of candidate.
    Schedule,
}

/// The value tree of [`WithSchedule`]: the schedule's removals, then the input, then the
/// rest of the schedule's shrink (see the notes of `with_schedule.rs`).
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let mut t = forkwait::proptest::with_schedule(5u32..10).new_tree(&mut runner).unwrap();
/// // Fails on every value: both parts shrink to their simplest.
/// while t.simplify() {}
/// let (x, s) = t.current();
/// assert_eq!((x, s.preemptions()), (5, 0));
/// ```
#[derive(Clone, Debug)]
pub struct WithScheduleTree<T> {
    input: T,
    schedule: ScheduleTree,
    phase: Phase,
    /// The part whose `simplify` made the current value (what `complicate` goes back on).
    last: Option<Phase>,
}

impl<T: ValueTree> ValueTree for WithScheduleTree<T> {
    type Value = (T::Value, Schedule);

    fn current(&self) -> Self::Value {
        (self.input.current(), self.schedule.current())
    }

    fn simplify(&mut self) -> bool {
        loop {
            let moved = match self.phase {
                Phase::Removals | Phase::Schedule => self.schedule.simplify(),
                Phase::Input => self.input.simplify(),
            };
            if moved {
                self.last = Some(self.phase);
                return true;
            }
            self.phase = match self.phase {
                Phase::Removals => Phase::Input,
                Phase::Input => {
                    self.schedule.set_removals_only(false);
                    Phase::Schedule
                }
                Phase::Schedule => return false,
            };
        }
    }

    fn complicate(&mut self) -> bool {
        match self.last {
            None => false,
            Some(Phase::Input) => {
                let more = self.input.complicate();
                if more {
                    self.phase = Phase::Input;
                } else {
                    self.last = None;
                }
                more
            }
            Some(phase) => {
                self.phase = phase;
                self.schedule.complicate()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::proptest::strategy::ValueTree;

    /// Shrinks `t` against `fails` as proptest's runner does; the last value.
    fn shrink<V: ValueTree>(mut t: V, fails: impl Fn(&V::Value) -> bool) -> V::Value {
        assert!(fails(&t.current()));
        if t.simplify() {
            loop {
                let more = if fails(&t.current()) {
                    t.simplify()
                } else {
                    t.complicate()
                };
                if !more {
                    break;
                }
            }
        }
        t.current()
    }

    #[test]
    fn a_preemption_that_plays_no_part_goes_before_the_input_shrinks() {
        let every = Schedule::EVERY_FORKED_TASK;
        // Fails when task 1 (or every forked task) is preempted at step 2, with an input
        // of at least 1, or of at least 5 while the main task is preempted too.
        let fails = |(x, s): &(u32, Schedule)| {
            let c = s.choices();
            let at_2 = c
                .chunks(3)
                .any(|p| (p[0] == 1 || p[0] == every) && p[1] == 2);
            let main = c.chunks(3).any(|p| p[0] == 0);
            at_2 && *x >= if main { 5 } else { 1 }
        };
        let start = || {
            let input = (0u32..100)
                .new_tree(&mut TestRunner::deterministic())
                .unwrap();
            (input, ScheduleTree::new(vec![[0, 3, 1], [every, 2, 2]]))
        };
        // As a tuple with the input first: the main task's preemption holds the input at 5.
        let (input, schedule) = start();
        let pair = ::proptest::tuple::TupleValueTree::new((input, schedule));
        let (x, s) = shrink(pair, fails);
        assert_eq!((x, s.choices()), (5, &[1, 2, 1][..]));
        // In three phases: the main task's preemption goes first, and the input gets to 1.
        let (input, mut schedule) = start();
        schedule.set_removals_only(true);
        let tree = WithScheduleTree {
            input,
            schedule,
            phase: Phase::Removals,
            last: None,
        };
        let (x, s) = shrink(tree, fails);
        assert_eq!((x, s.choices()), (1, &[1, 2, 1][..]));
    }
}
