//! The distinct accesses of an execution, kept as they are recorded, for the test that
//! skips the race and purity analysis when it cannot add a finding (`check/covered.rs`).
//!
//! # Design note
//!
//! That test needs, for every object, each distinct (site, read or write) of its plain
//! accesses and the set of tasks that made it; nothing about order or count. Collecting it
//! from the step log after the execution meant a pass over every step with a dedupe on
//! each access. Here each recorded access folds itself into a short table instead: one
//! entry per (object, site identity, write), with the tasks as a bit set. A program's
//! accesses mostly repeat a few sites, so the table stays a handful of entries and an
//! access costs a short scan and an `or`; the test then reads the table, not the log.
//!
//! The table is exact for what it holds. It gives up (`overflow`) rather than lose
//! anything: beyond [`MAX_ENTRIES`] entries or for a task id of 64 or more, after which
//! the test always lets the analysis run.

use super::{AccessKind, ObjId, TaskId, Where};

/// The most entries the table keeps before giving up.
pub(crate) const MAX_ENTRIES: usize = 32;

/// One distinct (object, site, write) of the execution's plain accesses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AccessEntry {
    pub obj: ObjId,
    pub write: bool,
    /// The site's identity ([`site_id`]).
    pub site_id: u64,
    pub site: Where,
    /// Bit `t` set: task `t` made such an access.
    pub tasks: u64,
}

/// The distinct accesses of one execution (see the design note).
#[derive(Default)]
pub(crate) struct AccessSet {
    entries: Vec<AccessEntry>,
    overflow: bool,
}

/// A cheap identity of a site: a Rust site's address (one `Location` per call site), an
/// interpreted position's key. Two identities may denote one site (the key decides).
#[inline(always)]
fn site_id(w: &Where) -> u64 {
    match w {
        Where::Rust(l) => *l as *const std::panic::Location<'static> as u64,
        Where::Model(_) => w.key(),
    }
}

impl AccessSet {
    /// Notes task `task`'s access `kind` to object `o` at `site`. Lock operations
    /// synchronize and are never written to (see `hb::analyze`): not noted.
    #[inline(always)]
    pub(crate) fn note(&mut self, o: ObjId, kind: AccessKind, site: &Where, task: TaskId) {
        if matches!(
            kind,
            AccessKind::Lock
                | AccessKind::LockShared
                | AccessKind::Unlock
                | AccessKind::UnlockShared
        ) {
            return;
        }
        let write = kind.is_write();
        let id = site_id(site);
        if task >= 64 {
            self.overflow = true;
            return;
        }
        let bit = 1u64 << task;
        for e in &mut self.entries {
            if e.site_id == id && e.obj == o && e.write == write {
                e.tasks |= bit;
                return;
            }
        }
        self.add(AccessEntry {
            obj: o,
            write,
            site_id: id,
            site: *site,
            tasks: bit,
        });
    }

    #[cold]
    #[inline(never)]
    fn add(&mut self, e: AccessEntry) {
        if self.entries.len() == MAX_ENTRIES {
            self.overflow = true;
        } else {
            self.entries.push(e);
        }
    }

    /// The entries, or `None` if the table gave up.
    pub(crate) fn entries(&self) -> Option<&[AccessEntry]> {
        (!self.overflow).then_some(&self.entries)
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.overflow = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn site() -> Where {
        Where::Rust(std::panic::Location::caller())
    }

    #[test]
    fn repeated_accesses_fold_into_one_entry_per_site_and_kind() {
        let (r, w) = (site(), site());
        let mut set = AccessSet::default();
        for t in 1..4 {
            set.note(0, AccessKind::Read, &r, t);
            set.note(0, AccessKind::Write, &w, t);
            set.note(0, AccessKind::Read, &r, t);
        }
        set.note(0, AccessKind::Lock, &r, 5);
        set.note(1, AccessKind::Read, &r, 0);
        let e = set.entries().unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].obj, e[0].write, e[0].tasks), (0, false, 0b1110));
        assert_eq!((e[1].obj, e[1].write, e[1].tasks), (0, true, 0b1110));
        assert_eq!((e[2].obj, e[2].write, e[2].tasks), (1, false, 0b1));
        set.clear();
        assert_eq!(set.entries().unwrap().len(), 0);
    }

    #[test]
    fn it_gives_up_rather_than_lose_an_access() {
        let mut set = AccessSet::default();
        set.note(0, AccessKind::Write, &site(), 64);
        assert!(set.entries().is_none());
        set.clear();
        for o in 0..=MAX_ENTRIES as ObjId {
            set.note(o, AccessKind::Read, &site(), 1);
        }
        assert!(set.entries().is_none());
    }
}
