//! Whether the race and purity analysis of an execution can add a finding at all.
//!
//! # Design note
//!
//! The checker reports one finding per (kind, key): a race's key is its pair of sites, an
//! impure write's its site and state class (see `findings.rs`). A program with a race
//! shows the same race in most executions, so after the first few every race and impure
//! write the analysis finds is already reported, and the analysis (vector clocks over the
//! whole step log, `hb.rs`) is pure cost.
//!
//! This test lists, without clocks, every key the analysis *could* report for the
//! execution — an over-approximation — from the execution's distinct accesses (each
//! (object, site, write) with the set of tasks that made it, collected as the accesses
//! were recorded: `exec/accesses.rs`), not from the step log:
//!
//! * a race needs two accesses by different tasks to one non-synchronizing object, one of
//!   them a write: every pair (write site, any site of an access to the same object) is a
//!   candidate, whatever the ordering, unless one task alone made both (a site paired
//!   with itself is a candidate only if two tasks used it);
//! * an impure write needs a write by a forked task: each such write whose object the
//!   task does not own (the analysis's own rule, [`crate::sim::hb::impure_class`]; for an
//!   object whose creator the analysis infers, every write by a forked task) is a
//!   candidate.
//!
//! If every candidate is already a finding of this run, the analysis could only push
//! findings that `Acc::push` would drop as duplicates, so it is skipped: the findings are
//! exactly the same, with or without this test. An execution whose accesses the table
//! could not hold (many distinct sites, task ids of 64 and more) is always analysed.

use super::findings::Acc;
use crate::sim::exec::{self, AccessEntry, ExecState, ObjId};
use crate::sim::report::FindingKind;

/// The test's buffer, kept between executions.
#[derive(Default)]
pub(super) struct Candidates {
    /// Distinct accesses to non-synchronizing objects: (object, site key, a write, the
    /// tasks that made them as a bit set).
    sites: Vec<(ObjId, u64, bool, u64)>,
}

/// The key of an impure-write finding at the site with key `site_key`, of class `class`.
pub(super) fn impure_key(site_key: u64, class: crate::state_class::StateClass) -> u64 {
    exec::mix(site_key, class as u64)
}

/// The tasks of a bit set, in increasing order.
fn tasks_of(mut set: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (set != 0).then(|| {
            let t = set.trailing_zeros();
            set &= set - 1;
            t
        })
    })
}

impl Acc {
    /// Whether every race and impure write the analysis could find in `s` is already a
    /// finding (then the analysis is skipped: see the design note above).
    pub(super) fn analysis_covered(&mut self, s: &ExecState) -> bool {
        if self.findings.is_empty() {
            return false;
        }
        let Some(entries) = s.accesses.entries() else {
            return false;
        };
        let mut cand = std::mem::take(&mut self.candidates);
        let covered = self.covered_by_findings(s, entries, &mut cand);
        self.candidates = cand;
        covered
    }

    fn has(&self, kind: FindingKind, key: u64) -> bool {
        self.findings.iter().any(|f| f.kind == kind && f.key == key)
    }

    fn covered_by_findings(
        &self,
        s: &ExecState,
        entries: &[AccessEntry],
        cand: &mut Candidates,
    ) -> bool {
        cand.sites.clear();
        for e in entries {
            let o = e.obj;
            let info = &s.objects[o as usize];
            let site = e.site.key();
            if !info.kind.synchronizes() {
                // Two identities may denote one site: merged by key, as the analysis
                // keys its races.
                match cand
                    .sites
                    .iter_mut()
                    .find(|x| (x.0, x.1, x.2) == (o, site, e.write))
                {
                    Some(x) => x.3 |= e.tasks,
                    None => cand.sites.push((o, site, e.write, e.tasks)),
                }
            }
            if e.write {
                // The tasks of one write site mostly share a class: each key once.
                let mut checked = None;
                for t in tasks_of(e.tasks) {
                    let class = if info.inferred_creator {
                        (t != 0 && !info.allowed).then_some(info.class)
                    } else {
                        crate::sim::hb::impure_class(s, o, info.creator, t)
                    };
                    if let Some(class) = class {
                        let key = impure_key(site, class);
                        if checked != Some(key) && !self.has(FindingKind::ImpureWrite, key) {
                            return false;
                        }
                        checked = Some(key);
                    }
                }
            }
        }
        // A race is two accesses by different tasks, one a write: a pair of accesses made
        // by one and the same task alone (a site with itself, unless several tasks used
        // it) cannot be one.
        for (i, &(o, w, write, t)) in cand.sites.iter().enumerate() {
            if !write {
                continue;
            }
            for (j, &(o2, x, _, t2)) in cand.sites.iter().enumerate() {
                let one = t.count_ones() == 1;
                let one_task = if i == j { one } else { t == t2 && one };
                if o2 != o || one_task {
                    continue;
                }
                if !self.has(FindingKind::Race, crate::sim::hb::pair_key(w, x)) {
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::tasks_of;

    #[test]
    fn a_task_set_lists_its_tasks_in_order() {
        assert_eq!(tasks_of(0b1011_0000).collect::<Vec<_>>(), vec![4, 5, 7]);
        assert_eq!(tasks_of(1 << 63).collect::<Vec<_>>(), vec![63]);
        assert_eq!(tasks_of(0).count(), 0);
    }
}
