//! Replay: the choices of a schedule, then (when not strict) the default.
//!
//! An absolute choice is an index into the runnable tasks; out of range (not strict) it
//! is the default. A relative schedule (generated ones) is a list of preemptions, triples
//! `(task, step, jump)`: at the `step`-th choice (from 0) at which task `task` (or any
//! forked task, for [`Schedule::EVERY_FORKED_TASK`]) is the one running, run the
//! `jump`-th of the *other* runnable tasks after it, in id order, wrapping among them
//! (`jump_target`); every other choice is the default. An every-task preemption skips the
//! tasks that one stopped and that have not run since (`paused`). So every relative
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
    /// Relative: for each task (by id), whether an every-task preemption stopped it and it
    /// has not run since.
    paused: Vec<bool>,
}

impl ReplaySched {
    pub(crate) fn new(choices: Vec<u32>, strict: bool) -> Self {
        ReplaySched {
            choices,
            strict,
            relative: false,
            steps: Vec::new(),
            paused: Vec::new(),
        }
    }

    /// Replays `s`, absolute or relative (a relative schedule is never strict).
    pub(crate) fn of(s: &Schedule, strict: bool) -> Self {
        ReplaySched {
            choices: s.choices().to_vec(),
            strict: strict && !s.is_relative(),
            relative: s.is_relative(),
            steps: Vec::new(),
            paused: Vec::new(),
        }
    }
}

/// The runnable task (an index into `runnable`) that `jump` picks after the running one,
/// `runnable[current]`: the `jump`-th, counting only the `eligible` other tasks in id order
/// after it and wrapping among them. A jump of 0, or no eligible task, keeps the current
/// one; so any jump preempts whenever an eligible task can run (a preemption still
/// preempts when the program has fewer tasks than when it was generated).
fn jump_target(
    runnable: &[TaskId],
    current: usize,
    jump: usize,
    eligible: impl Fn(TaskId) -> bool,
) -> usize {
    let n = runnable.len();
    let others: Vec<usize> = (1..n)
        .map(|k| (current + k) % n)
        .filter(|&i| eligible(runnable[i]))
        .collect();
    if jump == 0 || others.is_empty() {
        return current;
    }
    others[(jump - 1) % others.len()]
}

impl ReplaySched {
    /// A relative schedule's choice (see the module notes): the preemption of the running
    /// task at its current step, if one is listed; else the default.
    fn choose_relative(&mut self, runnable: &[TaskId], current: Option<u32>) -> usize {
        let chosen = match current {
            None => default_choice(None),
            Some(c) => {
                let task = runnable[c as usize] as usize;
                if self.steps.len() <= task {
                    self.steps.resize(task + 1, 0);
                    self.paused.resize(task + 1, false);
                }
                let step = self.steps[task];
                self.steps[task] += 1;
                let every = |p: &[u32]| p[0] == Schedule::EVERY_FORKED_TASK && task != 0;
                let rule = self
                    .choices
                    .chunks_exact(3)
                    .find(|p| (every(p) || p[0] as usize == task) && p[1] == step);
                match rule {
                    None => c as usize,
                    Some(p) if every(p) => {
                        // Not to a task an every-task preemption stopped: on two tasks it
                        // is then one preemption, not a back and forth (module notes).
                        let paused = &self.paused;
                        let target = jump_target(runnable, c as usize, p[2] as usize, |t| {
                            !paused.get(t as usize).copied().unwrap_or(false)
                        });
                        self.paused[task] = target != c as usize;
                        target
                    }
                    Some(p) => jump_target(runnable, c as usize, p[2] as usize, |_| true),
                }
            }
        };
        let running = runnable.get(chosen).map_or(usize::MAX, |&t| t as usize);
        if let Some(p) = self.paused.get_mut(running) {
            *p = false;
        }
        chosen
    }
}

impl Scheduler for ReplaySched {
    fn begin(&mut self, _iteration: u64) -> bool {
        self.steps.clear();
        self.paused.clear();
        true
    }
    fn choose(
        &mut self,
        runnable: &[TaskId],
        current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String> {
        if self.relative {
            return Ok(self.choose_relative(runnable, current));
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
        // Task 2 at its step 1 jumps one ahead; task 0 at its step 0 jumps 7 (the 7th of
        // the two others, wrapping: the first).
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

    #[test]
    fn a_jump_never_lands_on_the_running_task_while_another_can_run() {
        let all = |_: TaskId| true;
        // Jumps 1, 2, 3 from #1 of three: #2, #0, #2 again (the others wrap, not #1).
        let got: Vec<usize> = (0..=4)
            .map(|j| jump_target(&[0, 1, 2], 1, j, all))
            .collect();
        assert_eq!(got, vec![1, 2, 0, 2, 0]);
        // Of two runnable tasks any jump is the other one; alone, the task keeps running.
        assert!((1..50).all(|j| jump_target(&[3, 5], 0, j, all) == 1));
        assert!((1..50).all(|j| jump_target(&[3, 5], 1, j, all) == 0));
        assert_eq!(jump_target(&[4], 0, 5, all), 0);
        // Tasks that are not eligible are skipped; none eligible: no preemption.
        assert_eq!(jump_target(&[0, 1, 2], 0, 1, |t| t != 1), 2);
        assert_eq!(jump_target(&[0, 1, 2], 0, 1, |t| t == 0), 0);
    }

    #[test]
    fn an_every_task_preemption_applies_to_each_forked_task_at_that_step() {
        let every = Schedule::EVERY_FORKED_TASK;
        let mut s = ReplaySched::of(&Schedule::relative(vec![every, 1, 1, 2, 0, 2]), true);
        s.begin(0);
        let run = |s: &mut ReplaySched, runnable: &[TaskId], current| {
            s.choose(runnable, Some(current), 0).unwrap()
        };
        assert_eq!(run(&mut s, &[0, 1, 2, 3], 0), 0); // task 0, step 0
        assert_eq!(run(&mut s, &[0, 1, 2, 3], 0), 0); // task 0, step 1: not a forked task
        assert_eq!(s.choose(&[1, 2, 3], None, 0), Ok(0)); // task 0 blocks: task 1
        assert_eq!(run(&mut s, &[1, 2, 3], 0), 0); // task 1, step 0
        assert_eq!(run(&mut s, &[1, 2, 3], 0), 1); // task 1, step 1: every task, to task 2
        // Task 2, step 0: its own preemption, two tasks on: task 1 (which it may).
        assert_eq!(run(&mut s, &[1, 2, 3], 1), 0);
        assert_eq!(run(&mut s, &[1, 2, 3], 0), 0); // task 1, step 2: default; it ends
        assert_eq!(s.choose(&[2, 3], None, 0), Ok(0)); // task 2
        assert_eq!(run(&mut s, &[2, 3], 0), 1); // task 2, step 1: every task, to task 3
        assert_eq!(run(&mut s, &[2, 3], 1), 1); // task 3, step 0
        // Task 3, step 1: every task, but task 2, the only other, was stopped by it.
        assert_eq!(run(&mut s, &[2, 3], 1), 1);
        // A new execution forgets who was stopped.
        s.begin(1);
        assert_eq!(run(&mut s, &[2, 3], 1), 1);
        assert_eq!(run(&mut s, &[2, 3], 1), 0);
    }
}
