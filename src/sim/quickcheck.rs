//! `quickcheck::Arbitrary` for [`Schedule`] (feature `quickcheck`).
//!
//! A generated schedule is [relative](Schedule::relative): up to three preemptions
//! `(task, step, jump)`, at one of the first `g.size()` choices of one of the first eight
//! tasks, to one of the next three other tasks (see the module notes of `schedule.rs` for
//! why preemptions are keyed by task and step). quickcheck takes the first shrink
//! candidate that still fails and shrinks it again, so the candidates come simplest first:
//! truncations (no preemption, the first half, all but the last), then each preemption
//! removed (moved to the default), then, for each preemption, its jump moved to 1, its
//! step to 0 or one lower, its task one lower.
//!
//! quickcheck shrinks a property's arguments in order, trying every shrink of the first
//! before any of the second, and again after each success. So put the schedule first:
//! with the input first, its elements shrink (toward zero) under a preemption of a late
//! task before the schedule moves, and then no earlier task's preemption fails on them.
//! On the lost-update sum of `tests/props.rs` over 200 seeds: two elements and one
//! preemption in 198 runs with the schedule first, 50 with the input first. (Unlike
//! `forkwait::proptest`, generation keeps to one-task preemptions, whose task bound
//! this module's tests hold it to. A preemption for
//! [every forked task](Schedule::EVERY_FORKED_TASK), as in a token from proptest, shrinks
//! to one task, 1 to 7, instead of one lower.)
//!
//! An absolute schedule (a recorded one) shrinks by truncation only: its choices have no
//! default to move toward without running the program.

use super::schedule::Schedule;
use quickcheck::{Arbitrary, Gen};

impl Arbitrary for Schedule {
    fn arbitrary(g: &mut Gen) -> Schedule {
        let count = usize::arbitrary(g) % 4;
        let steps = g.size().max(1) as u32;
        let choices = (0..count)
            .flat_map(|_| {
                [
                    u32::arbitrary(g) % 8,
                    u32::arbitrary(g) % steps,
                    1 + u32::arbitrary(g) % 3,
                ]
            })
            .collect();
        Schedule::relative(choices)
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Schedule>> {
        let c = self.choices().to_vec();
        if !self.is_relative() {
            let n = c.len();
            let cuts: Vec<Schedule> = [0, n / 2, n.saturating_sub(1)]
                .into_iter()
                .filter(|&k| k < n)
                .map(|k| Schedule::from_choices(c[..k].to_vec()))
                .collect();
            return Box::new(cuts.into_iter());
        }
        let p: Vec<[u32; 3]> = c.chunks_exact(3).map(|t| [t[0], t[1], t[2]]).collect();
        let n = p.len();
        let mut out: Vec<Vec<[u32; 3]>> = Vec::new();
        // Truncations, shortest first.
        for keep in [0, n / 2, n.saturating_sub(1)] {
            if keep < n && out.last().is_none_or(|l| l.len() != keep) {
                out.push(p[..keep].to_vec());
            }
        }
        // Each preemption to the default (removed), unless a truncation did that already.
        for i in 0..n.saturating_sub(1) {
            let mut v = p.clone();
            v.remove(i);
            out.push(v);
        }
        // Nearer jumps, earlier steps, earlier tasks.
        let mut with = |i: usize, field: usize, v: u32| {
            let mut c = p.clone();
            c[i][field] = v;
            out.push(c);
        };
        for (i, t) in p.iter().enumerate() {
            if t[2] > 1 {
                with(i, 2, 1);
            }
            if t[1] > 0 {
                with(i, 1, 0);
            }
            if t[1] > 1 {
                with(i, 1, t[1] - 1);
            }
            if t[0] == Schedule::EVERY_FORKED_TASK {
                for task in 1..8 {
                    with(i, 0, task);
                }
            } else if t[0] > 0 {
                with(i, 0, t[0] - 1);
            }
        }
        Box::new(
            out.into_iter()
                .map(|v| Schedule::relative(v.into_iter().flatten().collect())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_truncate_first_then_go_toward_the_default() {
        let s = Schedule::relative(vec![1, 4, 2, 2, 0, 1, 0, 3, 1]);
        let shrunk: Vec<Vec<u32>> = s.shrink().map(|s| s.choices().to_vec()).collect();
        assert_eq!(
            shrunk,
            vec![
                vec![],
                vec![1, 4, 2],
                vec![1, 4, 2, 2, 0, 1],
                vec![2, 0, 1, 0, 3, 1],
                vec![1, 4, 2, 0, 3, 1],
                vec![1, 4, 1, 2, 0, 1, 0, 3, 1],
                vec![1, 0, 2, 2, 0, 1, 0, 3, 1],
                vec![1, 3, 2, 2, 0, 1, 0, 3, 1],
                vec![0, 4, 2, 2, 0, 1, 0, 3, 1],
                vec![1, 4, 2, 1, 0, 1, 0, 3, 1],
                vec![1, 4, 2, 2, 0, 1, 0, 0, 1],
                vec![1, 4, 2, 2, 0, 1, 0, 2, 1],
            ]
        );
        assert!(s.shrink().all(|x| x.is_relative()));
        assert_eq!(Schedule::relative(vec![]).shrink().count(), 0);
        // An absolute schedule is only cut.
        let a: Vec<Vec<u32>> = Schedule::from_choices(vec![1, 0, 2, 1])
            .shrink()
            .map(|s| s.choices().to_vec())
            .collect();
        assert_eq!(a, vec![vec![], vec![1, 0], vec![1, 0, 2]]);
    }

    #[test]
    fn an_every_task_preemption_shrinks_to_one_task() {
        let every = Schedule::EVERY_FORKED_TASK;
        let s = Schedule::relative(vec![every, 0, 1]);
        let tasks: Vec<u32> = s.shrink().skip(1).map(|s| s.choices()[0]).collect();
        assert_eq!(tasks, (1..8).collect::<Vec<_>>());
    }

    #[test]
    fn generated_schedules_are_relative_and_bounded_by_the_size() {
        let mut g = Gen::from_size_and_seed(20, 7);
        let mut preemptions = 0;
        for _ in 0..100 {
            let s = Schedule::arbitrary(&mut g);
            assert!(s.is_relative() && s.preemptions() <= 3);
            assert!(s.choices().chunks(3).all(|p| p[0] < 8 && p[1] < 20));
            preemptions += s.preemptions();
        }
        assert!(preemptions > 0);
    }
}
