//! Replay: the choices of a schedule, then (when not strict) the default.
//!
//! An absolute choice is an index into the runnable tasks; out of range (not strict) it
//! is the default. A relative choice `k` (generated schedules) is the `k`-th runnable task
//! after the default, wrapping: `(default + k) % runnable`, so every relative schedule
//! is runnable; a relative schedule is never strict (it has no length to match).

use super::{Scheduler, default_choice};
use crate::sim::exec::TaskId;
use crate::sim::schedule::Schedule;

/// Replays a fixed list of choices.
pub(crate) struct ReplaySched {
    choices: Vec<u32>,
    /// When set, running out of choices or an index out of range is a stale schedule;
    /// otherwise the default choice is used (for shrinking).
    strict: bool,
    /// Choices relative to the default (see `Schedule::relative`).
    relative: bool,
}

impl ReplaySched {
    pub(crate) fn new(choices: Vec<u32>, strict: bool) -> Self {
        ReplaySched {
            choices,
            strict,
            relative: false,
        }
    }

    /// Replays `s`, absolute or relative (a relative schedule is never strict).
    pub(crate) fn of(s: &Schedule, strict: bool) -> Self {
        ReplaySched {
            choices: s.choices().to_vec(),
            strict: strict && !s.is_relative(),
            relative: s.is_relative(),
        }
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
        if self.relative {
            let d = default_choice(current);
            let k = self.choices.get(nth).map_or(0, |&k| k as usize);
            return Ok((d + k % runnable.len()) % runnable.len());
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
    fn relative_choices_count_from_the_default_and_wrap() {
        let mut s = ReplaySched::of(&Schedule::relative(vec![0, 1, 2, 7]), true);
        assert_eq!(s.choose(&[0, 1, 2], Some(1), 0), Ok(1)); // 0: keep running
        assert_eq!(s.choose(&[0, 1, 2], Some(2), 1), Ok(0)); // next after #2 wraps to #0
        assert_eq!(s.choose(&[0, 1, 2], None, 2), Ok(2)); // default #0, two after it
        assert_eq!(s.choose(&[0, 1, 2], Some(0), 3), Ok(1)); // 7 mod 3 = 1
        assert_eq!(s.choose(&[0, 1], Some(1), 4), Ok(1)); // past the end: the default
    }
}
