//! `quickcheck::Arbitrary` for [`Schedule`] (feature `quickcheck`).
//!
//! A generated schedule is [relative](Schedule::relative) (0 = keep running the current
//! task), up to `g.size()` choices, one in eight a preemption to one of the next three
//! tasks. quickcheck takes the first shrink candidate that still fails and shrinks it
//! again, so the candidates come simplest first: truncations (to nothing, to a half,
//! one choice shorter), then each preemption moved to the default (first to last), then
//! each choice above 1 moved to 1.

use super::schedule::Schedule;
use quickcheck::{Arbitrary, Gen};

impl Arbitrary for Schedule {
    fn arbitrary(g: &mut Gen) -> Schedule {
        let len = usize::arbitrary(g) % (g.size() + 1);
        let choices = (0..len)
            .map(|_| {
                if u8::arbitrary(g) % 8 == 0 {
                    1 + u32::arbitrary(g) % 3
                } else {
                    0
                }
            })
            .collect();
        Schedule::relative(choices)
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Schedule>> {
        let c = self.choices().to_vec();
        let make = {
            let relative = self.is_relative();
            move |v: Vec<u32>| {
                if relative {
                    Schedule::relative(v)
                } else {
                    Schedule::from_choices(v)
                }
            }
        };
        let n = c.len();
        let mut out: Vec<Vec<u32>> = Vec::new();
        // Truncations, shortest first.
        for keep in [0, n / 2, n.saturating_sub(1)] {
            if keep < n && out.last().is_none_or(|l| l.len() != keep) {
                out.push(c[..keep].to_vec());
            }
        }
        // Toward the default, then toward the next task.
        for i in 0..n {
            if c[i] != 0 {
                let mut v = c.clone();
                v[i] = 0;
                out.push(v);
            }
        }
        for i in 0..n {
            if c[i] > 1 {
                let mut v = c.clone();
                v[i] = 1;
                out.push(v);
            }
        }
        Box::new(out.into_iter().map(make))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_truncate_first_then_go_toward_the_default() {
        let s = Schedule::relative(vec![0, 2, 1, 3]);
        let shrunk: Vec<Vec<u32>> = s.shrink().map(|s| s.choices().to_vec()).collect();
        assert_eq!(
            shrunk,
            vec![
                vec![],
                vec![0, 2],
                vec![0, 2, 1],
                vec![0, 0, 1, 3],
                vec![0, 2, 0, 3],
                vec![0, 2, 1], // the last preemption moved to the default (trimmed)
                vec![0, 1, 1, 3],
                vec![0, 2, 1, 1],
            ]
        );
        assert!(s.shrink().all(|x| x.is_relative()));
        assert_eq!(Schedule::relative(vec![]).shrink().count(), 0);
    }

    #[test]
    fn generated_schedules_are_relative_and_bounded_by_the_size() {
        let mut g = Gen::from_size_and_seed(20, 7);
        let mut preemptions = 0;
        for _ in 0..100 {
            let s = Schedule::arbitrary(&mut g);
            assert!(s.is_relative() && s.len() <= 20);
            preemptions += s.preemptions();
        }
        assert!(preemptions > 0);
    }
}
