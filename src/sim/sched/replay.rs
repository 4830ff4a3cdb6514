//! Replay: the choices of a schedule, then (when not strict) the default.
//!
//! An absolute choice is an index into the runnable tasks; out of range (not strict) it
//! is the default. A relative schedule (generated ones) is a list of preemptions, triples
//! `(task, step, jump)`: at the `step`-th choice (from 0) at which task `task` is the one
//! running, run the `jump`-th runnable task after it, in id order, wrapping
//! (`(current + jump) % runnable`); every other choice is the default. So every relative
//! schedule is runnable, and it is never strict (it has no length to match).
use super::{Scheduler, default_choice};
use crate::sim::exec::TaskId;
use crate::sim::schedule::Schedule;

/// Replays a fixed list of choices.
pub(crate) struct ReplaySched {
    choices: Vec<u32>,
    /// When set, running out of choices or an index out of range is a stale schedule;
    /// otherwise the default choice is used (for shrinking).
    strict: bool,
    /// A relative schedule: `choices` are `(task, step, jump)` triples.
    relative: bool,
    /// Relative: how many choices each task (by id) has been running at so far.
    steps: Vec<u32>,
}

impl ReplaySched {
    pub(crate) fn new(choices: Vec<u32>, strict: bool) -> Self {
        ReplaySched {
            choices,
            strict,
            relative: false,
            steps: Vec::new(),
        }
    }

    /// Replays `s`, absolute or relative (a relative schedule is never strict).
    pub(crate) fn of(s: &Schedule, strict: bool) -> Self {
        ReplaySched {
            choices: s.choices().to_vec(),
            strict: strict && !s.is_relative(),
            relative: s.is_relative(),
            steps: Vec::new(),
        }
    }
}

impl Scheduler for ReplaySched {
    fn begin(&mut self, _iteration: u64) -> bool {
        self.steps.clear();
        true
    }
    fn choose(
        &mut self,
        runnable: &[TaskId],
        current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String> {
        if self.relative {
            let Some(c) = current else {
                return Ok(default_choice(None));
            };
            let task = runnable[c as usize] as usize;
            if self.steps.len() <= task {
                self.steps.resize(task + 1, 0);
            }
            let step = self.steps[task];
            self.steps[task] += 1;
            let jump = self
                .choices
                .chunks_exact(3)
                .find(|p| p[0] as usize == task && p[1] == step)
                .map_or(0, |p| p[2] as usize);
            return Ok((c as usize + jump % runnable.len()) % runnable.len());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_replay_refuses_a_schedule_that_does_not_fit() {
        let mut s = ReplaySched::new(vec![1, 2], true);
        assert_eq!(s.choose(&[0, 1], None, 0), Ok(1));
        assert!(s.choose(&[0, 1], None, 1).unwrap_err().contains("stale"));
        assert!(
            s.choose(&[0, 1], None, 2)
                .unwrap_err()
                .contains("needs more")
        );
    }

    #[test]
    fn lenient_replay_falls_back_to_the_default() {
        let mut s = ReplaySched::new(vec![1], false);
        assert_eq!(s.choose(&[0, 1], Some(0), 0), Ok(1));
        assert_eq!(s.choose(&[0, 1], Some(0), 1), Ok(0));
        assert_eq!(s.choose(&[0, 1, 2], Some(2), 2), Ok(2));
    }

    #[test]
    fn relative_preemptions_are_keyed_by_task_and_step() {
        // Task 2 at its step 1 jumps one ahead; task 0 at its step 0 jumps 7 (mod 3 = 1).
        let mut s = ReplaySched::of(&Schedule::relative(vec![2, 1, 1, 0, 0, 7]), true);
        s.begin(0);
        assert_eq!(s.choose(&[0, 1, 2], Some(2), 0), Ok(2)); // task 2, step 0: default
        assert_eq!(s.choose(&[0, 1, 2], Some(2), 1), Ok(0)); // task 2, step 1: wraps to #0
        assert_eq!(s.choose(&[0, 1, 2], None, 2), Ok(0)); // nothing running: lowest id
        assert_eq!(s.choose(&[0, 1, 2], Some(0), 3), Ok(1)); // task 0, step 0: 7 mod 3
        assert_eq!(s.choose(&[0, 1, 2], Some(0), 4), Ok(0)); // task 0, step 1: default
        // A new execution counts from 0 again.
        s.begin(1);
        assert_eq!(s.choose(&[0, 2], Some(0), 0), Ok(1));
    }
}
