//! The value tree of schedules: [`ScheduleTree`] and its shrink candidates (fewer
//! preemptions, then one task, nearer jumps, earlier steps; see the module notes of
//! [`forkwait::proptest`](super)).

use super::ScheduleConfig;
use crate::Schedule;
use ::proptest::strategy::ValueTree;

/// The value tree of [`ScheduleStrategy`](super::ScheduleStrategy): shrinks toward fewer
/// preemptions, then preemptions of one task, then nearer, then earlier ones (see the
/// module notes).
///
/// ```
/// use forkwait::proptest::ScheduleTree;
/// use proptest::strategy::ValueTree;
/// let mut t = ScheduleTree::new(vec![[1, 4, 2], [2, 0, 1]]);
/// assert_eq!(t.current().choices(), &[1, 4, 2, 2, 0, 1]);
/// assert!(t.simplify()); // first: the first preemption goes
/// assert_eq!(t.current().choices(), &[2, 0, 1]);
/// ```
#[derive(Clone, Debug)]
pub struct ScheduleTree {
    /// The value being tried.
    current: Vec<[u32; 3]>,
    /// The last value that failed (what `complicate` returns to).
    base: Vec<[u32; 3]>,
    /// The simpler candidates than `base`, in the order they are tried.
    candidates: Vec<Vec<[u32; 3]>>,
    /// The next candidate to try.
    next: usize,
    /// An every-task preemption narrows to one of the tasks `1..max_task`.
    pub(super) max_task: u32,
    /// Only removals are candidates (the first phase of
    /// [`with_schedule`](super::with_schedule)'s shrink).
    removals_only: bool,
}

impl ScheduleTree {
    /// A tree whose first value is the relative schedule of these `(task, step, jump)`
    /// preemptions (those with a jump of 0 change nothing and are dropped).
    ///
    /// ```
    /// use proptest::strategy::ValueTree;
    /// let t = forkwait::proptest::ScheduleTree::new(vec![[1, 0, 0], [0, 2, 1]]);
    /// assert_eq!(t.current().choices(), &[0, 2, 1]);
    /// ```
    pub fn new(mut preemptions: Vec<[u32; 3]>) -> Self {
        preemptions.retain(|p| p[2] != 0);
        let max_task = ScheduleConfig::default().max_task;
        ScheduleTree {
            candidates: candidates(&preemptions, max_task, false),
            current: preemptions.clone(),
            base: preemptions,
            next: 0,
            max_task,
            removals_only: false,
        }
    }

    /// From now on, only removals (`true`) or every kind of candidate (`false`), counted
    /// from the last failing value. Called between two shrinks of the tree, when its
    /// current value is that failing one.
    pub(super) fn set_removals_only(&mut self, on: bool) {
        self.removals_only = on;
        self.current = self.base.clone();
        self.candidates = candidates(&self.base, self.max_task, on);
        self.next = 0;
    }

    /// Moves `current` to the next untried candidate, if any.
    fn advance(&mut self) -> bool {
        if self.next > self.candidates.len() {
            return false;
        }
        match self.candidates.get(self.next) {
            Some(c) => {
                self.current = c.clone();
                self.next += 1;
                true
            }
            None => false,
        }
    }
}

/// The schedules simpler than `base`, simplest kind first. Each lowers, lexicographically,
/// (number of preemptions, number of every-task ones, sum of jumps, sum of steps, sum of
/// tasks): shrinking ends.
fn candidates(base: &[[u32; 3]], max_task: u32, removals_only: bool) -> Vec<Vec<[u32; 3]>> {
    let mut out = Vec::new();
    for i in 0..base.len() {
        let mut c = base.to_vec();
        c.remove(i);
        out.push(c);
    }
    if removals_only {
        return out;
    }
    let mut with = |i: usize, field: usize, v: u32| {
        let mut c = base.to_vec();
        c[i][field] = v;
        out.push(c);
    };
    for (i, p) in base.iter().enumerate() {
        if p[0] == Schedule::EVERY_FORKED_TASK {
            for task in 1..max_task {
                with(i, 0, task);
            }
        }
    }
    for (i, p) in base.iter().enumerate() {
        if p[2] > 1 {
            with(i, 2, 1);
        }
    }
    for (i, p) in base.iter().enumerate() {
        if p[1] > 0 {
            with(i, 1, 0);
        }
        if p[1] > 1 {
            with(i, 1, p[1] - 1);
        }
    }
    for (i, p) in base.iter().enumerate() {
        if p[0] > 0 && p[0] != Schedule::EVERY_FORKED_TASK {
            with(i, 0, p[0] - 1);
        }
    }
    out
}

impl ValueTree for ScheduleTree {
    type Value = Schedule;

    fn current(&self) -> Schedule {
        Schedule::relative(self.current.iter().flatten().copied().collect())
    }

    /// The current value failed: it is the new base; try something simpler.
    fn simplify(&mut self) -> bool {
        if self.current != self.base {
            self.base = self.current.clone();
            self.candidates = candidates(&self.base, self.max_task, self.removals_only);
            self.next = 0;
        }
        self.advance()
    }

    /// The current value passed: back to the last failing one, and on to the next
    /// candidate. With none left it stays on the failing one and still says `true`: a
    /// `false` would end proptest's whole shrink (a tuple's later parts included), while
    /// this way the runner tests the failing value once more, and `simplify` then says
    /// `false`, which moves a tuple on to its next part.
    fn complicate(&mut self) -> bool {
        self.current = self.base.clone();
        if !self.advance() {
            // Once only: the next `simplify` finds nothing either.
            self.next = self.candidates.len() + 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shrinks `start` against `fails` as proptest's runner does.
    fn shrink(start: Vec<[u32; 3]>, fails: impl Fn(&[u32]) -> bool) -> Vec<u32> {
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
        t.current().choices().to_vec()
    }

    #[test]
    fn shrinks_to_the_one_preemption_that_matters_then_earlier() {
        // Fails when task 2 is preempted at a step >= 3.
        let fails = |c: &[u32]| c.chunks(3).any(|p| p[0] == 2 && p[1] >= 3);
        let got = shrink(vec![[1, 5, 2], [2, 9, 3], [0, 1, 1], [2, 4, 1]], fails);
        assert_eq!(got, vec![2, 3, 1]);
        // Fails with at least two preemptions: two stay, as early and near as can be.
        let got = shrink(vec![[3, 2, 2], [1, 7, 3], [4, 0, 1]], |c| c.len() >= 6);
        assert_eq!(got, vec![0, 0, 1, 0, 0, 1]);
    }

    #[test]
    fn nothing_is_simpler_than_no_preemption() {
        let mut t = ScheduleTree::new(vec![]);
        assert!(!t.simplify());
        assert!(t.current().is_empty());
    }

    #[test]
    fn an_every_task_preemption_narrows_to_the_first_task_that_still_fails() {
        let every = Schedule::EVERY_FORKED_TASK;
        // Fails when task 3 or every task is preempted at step 2.
        let fails = |c: &[u32]| {
            c.chunks(3)
                .any(|p| (p[0] == 3 || p[0] == every) && p[1] == 2)
        };
        let got = shrink(vec![[0, 5, 1], [every, 4, 2], [every, 2, 3]], fails);
        assert_eq!(got, vec![3, 2, 1]);
        // Nothing narrower fails: it stays for every task.
        let only_every = |c: &[u32]| c.chunks(3).any(|p| p[0] == every);
        let got = shrink(vec![[every, 7, 3], [1, 1, 1]], only_every);
        assert_eq!(got, vec![every, 0, 1]);
    }
}
