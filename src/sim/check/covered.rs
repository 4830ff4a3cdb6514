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
//! This pass over the step log lists, without clocks, every key the analysis *could*
//! report for the execution — an over-approximation:
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
//! exactly the same, with or without this pass. A program with many distinct sites on one
//! run (more than [`MAX_SITES`] distinct accesses) is always analysed.

use super::findings::Acc;
use crate::sim::AccessKind;
use crate::sim::exec::{self, ExecState, ObjId, Op, TaskId, Where};
use crate::sim::report::FindingKind;

/// The most distinct accesses (object, site, kind, task) the pass tracks before giving up.
const MAX_SITES: usize = 32;

/// The pass's buffers, kept between executions.
#[derive(Default)]
pub(super) struct Candidates {
    /// The distinct accesses seen, packed (see [`pack`]). Each is examined once, however
    /// often it recurs.
    seen: Vec<(u64, u64)>,
    /// Distinct accesses to non-synchronizing objects: (object, site key, a write, the
    /// task that made them, or [`MANY`] if several did).
    sites: Vec<(ObjId, u64, bool, TaskId)>,
}

/// The size of `covered_by_findings`'s cache of recent accesses (a power of two).
const RECENT: usize = 32;

/// An access (object `o`, site identity `site`, a write, task `t`) as two words, compared
/// exactly; `None` for a task id too large to pack (the pass then gives up). The words
/// are never `(u64::MAX, u64::MAX)`, the cache's empty slot.
#[inline]
fn pack(o: ObjId, site: u64, write: bool, t: TaskId) -> Option<(u64, u64)> {
    (t < (1 << 31) - 1).then(|| (site, (o as u64) << 32 | (t as u64) << 1 | write as u64))
}

/// In [`Candidates::sites`]: the accesses were made by more than one task.
const MANY: TaskId = TaskId::MAX;

/// A cheap identity of a site: a Rust site's address (one `Location` per call site), an
/// interpreted position's key. Two identities may denote one site (the key decides).
fn site_id(w: &Where) -> u64 {
    match w {
        Where::Rust(l) => *l as *const std::panic::Location<'static> as u64,
        Where::Model(_) => w.key(),
    }
}

/// The key of an impure-write finding at the site with key `site_key`, of class `class`.
pub(super) fn impure_key(site_key: u64, class: crate::state_class::StateClass) -> u64 {
    exec::mix(site_key, class as u64)
}

impl Acc {
    /// Whether every race and impure write the analysis could find in `s` is already a
    /// finding (then the analysis is skipped: see the design note above).
    pub(super) fn analysis_covered(&mut self, s: &ExecState) -> bool {
        if self.findings.is_empty() {
            return false;
        }
        let mut cand = std::mem::take(&mut self.candidates);
        let covered = self.covered_by_findings(s, &mut cand);
        self.candidates = cand;
        covered
    }

    fn has(&self, kind: FindingKind, key: u64) -> bool {
        self.findings.iter().any(|f| f.kind == kind && f.key == key)
    }

    fn covered_by_findings(&self, s: &ExecState, cand: &mut Candidates) -> bool {
        cand.seen.clear();
        cand.sites.clear();
        let mut recent = [(u64::MAX, u64::MAX); RECENT];
        for step in &s.steps {
            let Op::Access(o, kind) = step.op else {
                continue;
            };
            // Lock operations synchronize and are never written to (see `hb::analyze`).
            if matches!(
                kind,
                AccessKind::Lock
                    | AccessKind::LockShared
                    | AccessKind::Unlock
                    | AccessKind::UnlockShared
            ) {
                continue;
            }
            let write = kind.is_write();
            let Some(e) = pack(o, site_id(&step.site), write, step.task) else {
                return false;
            };
            // A direct-mapped cache of recent entries spares most scans of `seen`.
            let slot = ((e.0 ^ e.1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59) as usize;
            if recent[slot % RECENT] == e {
                continue;
            }
            recent[slot % RECENT] = e;
            if cand.seen.contains(&e) {
                continue;
            }
            if cand.seen.len() == MAX_SITES {
                return false;
            }
            cand.seen.push(e);
            let info = &s.objects[o as usize];
            let site = step.site.key();
            if !info.kind.synchronizes() {
                match cand
                    .sites
                    .iter_mut()
                    .find(|x| (x.0, x.1, x.2) == (o, site, write))
                {
                    Some(x) if x.3 != step.task => x.3 = MANY,
                    Some(_) => {}
                    None => cand.sites.push((o, site, write, step.task)),
                }
            }
            if write {
                let class = if info.inferred_creator {
                    (step.task != 0 && !info.allowed).then_some(info.class)
                } else {
                    crate::sim::hb::impure_class(s, o, info.creator, step.task)
                };
                if let Some(class) = class {
                    if !self.has(FindingKind::ImpureWrite, impure_key(site, class)) {
                        return false;
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
                let one_task = if i == j {
                    t != MANY
                } else {
                    t == t2 && t != MANY
                };
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
