//! Happens-before analysis of one execution: data races and impure writes.
//!
//! # Happens-before
//!
//! Vector clocks per task, with the edges of fork/wait programs:
//!
//! * **fork**: the parent's past happens before the child (the child starts with a copy
//!   of the parent's clock, then the parent ticks);
//! * **wait**: the child's whole run happens before the waiter's next step
//!   ([`Op::Joined`]);
//! * **locks**: a release happens before the next acquisition ([`Op::Acquired`]);
//! * **locks**: an `RwLock` release (by the writer or a reader) is joined into the lock's
//!   clock, which the next acquisition (for reading or writing) acquires;
//! * **atomics and the other synchronizing objects** (condvars, channels, barriers, once
//!   cells): every operation on such an object acquires and releases it (the simulator
//!   runs every atomic as `SeqCst`), so they are never races themselves. For channels this
//!   over-approximates: a send is ordered after every earlier operation on the channel,
//!   not only after the receive it pairs with, so a race hidden behind such an ordering
//!   is missed (never reported falsely).
//!
//! # FastTrack
//!
//! Race detection follows FastTrack — Flanagan & Freund, *FastTrack: Efficient and
//! Precise Dynamic Race Detection*, PLDI 2009. A location keeps the *epoch* `c@t` of its
//! last write and, for reads, one epoch until reads by tasks unordered with each other
//! make it *read-shared*, when it keeps a vector clock of reads. Same-epoch accesses are
//! O(1), and so is almost every other access. Vector clocks are sparse (sorted
//! `(task, clock)` pairs): a fork/wait program's clocks are mostly small, so an execution
//! with 10 000 tasks does not pay 10 000² clock entries.
//!
//! The analysis walks the step log after the execution; it runs only when the execution
//! accessed instrumented state, and when it could report a race or impure write the run
//! has not reported yet (the checker's `check/covered.rs` decides, without clocks).
//!
//! # Purity
//!
//! A write by forked task `w` to an object is *impure* unless the object is of class
//! `Input` and was created by a forked task that is `w` itself or one of its ancestors
//! (state belongs to the task that created it and its descendants; a module attribute or
//! a global is nobody's own, whoever created it), or it was allow-listed. State created by the closure under test (task 0 — the
//! caller: inputs and module attributes) or outside the execution (globals) is never a
//! forked task's own. The finding is classified by the object's
//! [`StateClass`](crate::state_class::StateClass), global for state from outside the execution.

use super::AccessKind;
use super::exec::{ExecState, ObjId, Op, TaskId, Where};

use crate::state_class::StateClass;

/// A sparse vector clock: `(task, clock)` sorted by task; absent entries are 0.
#[derive(Clone, Debug, Default)]
struct Vc(Vec<(TaskId, u32)>);

impl Vc {
    fn get(&self, t: TaskId) -> u32 {
        match self.0.binary_search_by_key(&t, |e| e.0) {
            Ok(i) => self.0[i].1,
            Err(_) => 0,
        }
    }

    fn set(&mut self, t: TaskId, c: u32) {
        match self.0.binary_search_by_key(&t, |e| e.0) {
            Ok(i) => self.0[i].1 = c,
            Err(i) => self.0.insert(i, (t, c)),
        }
    }

    fn tick(&mut self, t: TaskId) {
        let c = self.get(t);
        self.set(t, c + 1);
    }

    /// Pointwise maximum with `o`, in place (no allocation unless `self` grows).
    fn join(&mut self, o: &Vc) {
        for &(t, c) in &o.0 {
            match self.0.binary_search_by_key(&t, |e| e.0) {
                Ok(i) => {
                    if self.0[i].1 < c {
                        self.0[i].1 = c;
                    }
                }
                Err(i) => self.0.insert(i, (t, c)),
            }
        }
    }

    /// Becomes a copy of `o`, reusing this clock's buffer.
    fn assign(&mut self, o: &Vc) {
        self.0.clear();
        self.0.extend_from_slice(&o.0);
    }
}

/// An access as remembered by a location: its epoch (`clock@task`) and its step (for the
/// kind and site, looked up only when a race is reported). 12 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    pub task: TaskId,
    clock: u32,
    pub step: u32,
}

impl Seen {
    fn before(&self, vc: &Vc) -> bool {
        self.clock <= vc.get(self.task)
    }
}

#[derive(Default)]
struct Loc {
    write: Option<Seen>,
    /// One read epoch, or (read-shared) the last read of each task.
    reads: Vec<Seen>,
}

/// Two unordered accesses to one location, at least one a write.
#[derive(Clone, Debug)]
pub(crate) struct Race {
    pub obj: ObjId,
    pub first: Seen,
    pub second: Seen,
    /// The pair of sites, unordered (see [`race_key`]); set when `analyze` returns.
    pub key: u64,
}

/// The identity of a race for reports: its two sites, in either order. An execution
/// reports one race per key (the first), as the checker reports one per run.
fn race_key(s: &ExecState, r: &Race) -> u64 {
    let ka = s.steps[r.first.step as usize].site.key();
    let kb = s.steps[r.second.step as usize].site.key();
    pair_key(ka, kb)
}

/// The key of a race between accesses at the sites with keys `ka` and `kb` ([`Where::key`]),
/// in either order. The two keys are mixed in turn, not XOR-ed together: with `a ^ b`
/// the pairs {R1, W2} and {R2, W1} of two tasks' read and write sites collided whenever
/// `R1 ^ W1 == R2 ^ W2`, which for sites one line apart depends on where the loader put
/// the file name (so a race went unreported in some processes and not in others).
pub(crate) fn pair_key(ka: u64, kb: u64) -> u64 {
    use super::exec::mix;
    mix(mix(0x9e37_79b9_7f4a_7c15, ka.min(kb)), ka.max(kb))
}

/// A write by a forked task to state it does not own. An execution reports one per site
/// and class (the first), as the checker reports one per run.
#[derive(Clone, Debug)]
pub(crate) struct Impure {
    pub obj: ObjId,
    pub task: TaskId,
    pub site: Where,
    /// `site.key()`.
    pub site_key: u64,
    pub class: StateClass,
    /// Who created the object (`None`: outside the execution).
    pub creator: Option<TaskId>,
}

/// What the analysis found in one execution.
#[derive(Default)]
pub(crate) struct Analysis {
    pub races: Vec<Race>,
    pub impure: Vec<Impure>,
}

fn is_ancestor_or_self(s: &ExecState, anc: TaskId, mut t: TaskId) -> bool {
    loop {
        if t == anc {
            return true;
        }
        match s.tasks[t as usize].parent {
            Some(p) => t = p,
            None => return false,
        }
    }
}

/// The lowest common ancestor of tasks `a` and `b` (`depth` of every task given).
fn lca(s: &ExecState, depth: &[u32], mut a: TaskId, mut b: TaskId) -> TaskId {
    let up = |t: TaskId| s.tasks[t as usize].parent.unwrap_or(0);
    while depth[a as usize] > depth[b as usize] {
        a = up(a);
    }
    while depth[b as usize] > depth[a as usize] {
        b = up(b);
    }
    while a != b {
        a = up(a);
        b = up(b);
    }
    a
}

/// The creators of objects whose creator is inferred (made by a `const fn new` on the
/// heap): the lowest common ancestor of every task that used the object. The real
/// creator is an ancestor of each user (state reaches a task only through what its
/// ancestors hand it), so this is the deepest creator consistent with the execution:
/// it never reports a write as impure that another consistent creator would accept (no
/// false alarm); it misses an impure write when the creator never touched the object and
/// one task's subtree used it alone.
fn inferred_creators(s: &ExecState) -> Option<Vec<Option<TaskId>>> {
    if !s.objects.iter().any(|o| o.inferred_creator) {
        return None;
    }
    let mut depth = vec![0u32; s.tasks.len()];
    for (i, t) in s.tasks.iter().enumerate() {
        // Parents have smaller ids: their depth is known.
        depth[i] = t.parent.map_or(0, |p| depth[p as usize] + 1);
    }
    let mut users: Vec<Option<TaskId>> = vec![None; s.objects.len()];
    for step in &s.steps {
        let o = match step.op {
            Op::Access(o, _) | Op::Acquired(o) => o,
            _ => continue,
        };
        if !s.objects[o as usize].inferred_creator {
            continue;
        }
        let u = &mut users[o as usize];
        *u = Some(match *u {
            None => step.task,
            Some(prev) => lca(s, &depth, prev, step.task),
        });
    }
    Some(users)
}

/// Runs the happens-before, race and purity analyses over an execution's step log, into
/// `out` (emptied first; the caller keeps it between executions, so that its lists are
/// not grown again every time).
pub(crate) fn analyze(s: &ExecState, out: &mut Analysis) {
    out.races.clear();
    out.impure.clear();
    if !s.accessed {
        return;
    }
    let inferred = inferred_creators(s);
    let creator_of = |o: ObjId| match &inferred {
        Some(c) if s.objects[o as usize].inferred_creator => c[o as usize].or(Some(0)),
        _ => s.objects[o as usize].creator,
    };
    // The tables are kept between executions on this thread (their clocks' buffers too):
    // an execution of a program that shares state must not pay an allocation per task,
    // object and synchronization.
    let mut tables = TABLES.with(|t| std::mem::take(&mut *t.borrow_mut()));
    tables.reset(s.tasks.len(), s.objects.len());
    let Tables {
        vc,
        sync,
        synced,
        locs,
    } = &mut tables;
    if let Some(v) = vc.get_mut(0) {
        v.set(0, 1);
    }

    for (idx, step) in s.steps.iter().enumerate() {
        let t = step.task;
        match step.op {
            Op::Fork(child) => {
                let (parent, kid) = two(vc, t, child);
                kid.assign(parent);
                kid.set(child, 1);
                parent.tick(t);
            }
            Op::Joined(child) => {
                let (waiter, done) = two(vc, t, child);
                waiter.join(done);
            }
            Op::Acquired(m) => {
                if synced[m as usize] {
                    vc[t as usize].join(&sync[m as usize]);
                }
            }
            Op::Access(m, AccessKind::Unlock | AccessKind::UnlockShared) => {
                // Joined, not replaced: readers of an rwlock release it in any order. (A
                // mutex's holder already acquired the last release, so join = replace.)
                if synced[m as usize] {
                    sync[m as usize].join(&vc[t as usize]);
                } else {
                    sync[m as usize].assign(&vc[t as usize]);
                    synced[m as usize] = true;
                }
                vc[t as usize].tick(t);
            }
            // The attempt; `Acquired` synchronizes.
            Op::Access(_, AccessKind::Lock | AccessKind::LockShared) => {}
            Op::Access(o, kind) if s.objects[o as usize].kind.synchronizes() => {
                // Acquire, then release: the object's clock becomes the task's (which
                // now includes it).
                if synced[o as usize] {
                    vc[t as usize].join(&sync[o as usize]);
                }
                sync[o as usize].assign(&vc[t as usize]);
                synced[o as usize] = true;
                vc[t as usize].tick(t);
                if kind.is_write() {
                    check_purity(s, out, o, creator_of(o), t, step.site);
                }
            }
            Op::Access(o, kind) => {
                let seen = Seen {
                    task: t,
                    clock: vc[t as usize].get(t),
                    step: idx as u32,
                };
                access(&mut locs[o as usize], &vc[t as usize], seen, kind, o, out);
                if kind.is_write() {
                    check_purity(s, out, o, creator_of(o), t, step.site);
                }
            }
            Op::Start | Op::End | Op::Wait(_) | Op::Yield => {}
        }
    }
    TABLES.with(|t| *t.borrow_mut() = tables);
    // One race per pair of sites, the first (in order).
    let mut kept = 0;
    for i in 0..out.races.len() {
        let key = race_key(s, &out.races[i]);
        out.races[i].key = key;
        if !out.races[..kept].iter().any(|r| r.key == key) {
            out.races.swap(kept, i);
            kept += 1;
        }
    }
    out.races.truncate(kept);
}

/// The analysis's tables, kept between executions (see `analyze`).
#[derive(Default)]
struct Tables {
    /// Each task's clock.
    vc: Vec<Vc>,
    /// Each synchronizing object's clock (meaningful where `synced`).
    sync: Vec<Vc>,
    synced: Vec<bool>,
    /// Each location's FastTrack state.
    locs: Vec<Loc>,
}

impl Tables {
    /// Sized for an execution of `tasks` tasks and `objects` objects, every entry empty
    /// (buffers kept).
    fn reset(&mut self, tasks: usize, objects: usize) {
        fn fit<T: Default>(v: &mut Vec<T>, n: usize, clear: impl Fn(&mut T)) {
            v.truncate(n);
            v.iter_mut().for_each(clear);
            v.resize_with(n, T::default);
        }
        fit(&mut self.vc, tasks, |c| c.0.clear());
        fit(&mut self.sync, objects, |c| c.0.clear());
        self.synced.clear();
        self.synced.resize(objects, false);
        fit(&mut self.locs, objects, |l| {
            l.write = None;
            l.reads.clear();
        });
    }
}

thread_local! {
    static TABLES: std::cell::RefCell<Tables> = std::cell::RefCell::new(Tables::default());
}

/// Mutable references to two distinct task clocks.
fn two(vc: &mut [Vc], a: TaskId, b: TaskId) -> (&mut Vc, &mut Vc) {
    let (a, b) = (a as usize, b as usize);
    assert_ne!(a, b, "a task does not fork or join itself");
    if a < b {
        let (lo, hi) = vc.split_at_mut(b);
        (&mut lo[a], &mut hi[0])
    } else {
        let (lo, hi) = vc.split_at_mut(a);
        (&mut hi[0], &mut lo[b])
    }
}

/// FastTrack's read and write rules for one non-synchronizing access.
fn access(loc: &mut Loc, now: &Vc, seen: Seen, kind: AccessKind, obj: ObjId, out: &mut Analysis) {
    let reads = matches!(kind, AccessKind::Read | AccessKind::Update);
    let writes = kind.is_write();
    let same_epoch = |e: &Seen| e.task == seen.task && e.clock == seen.clock;
    // Same-epoch fast paths (FastTrack's common case): nothing synchronized since this
    // task's last access of the same kind, so nothing new can be learned.
    if writes && loc.write.as_ref().is_some_and(same_epoch) {
        if let Some(w) = &mut loc.write {
            w.step = seen.step;
        }
        return;
    }
    if !writes && loc.reads.len() == 1 && same_epoch(&loc.reads[0]) {
        return;
    }
    if let Some(w) = loc.write {
        if w.task != seen.task && !w.before(now) {
            out.races.push(Race {
                obj,
                first: w,
                second: seen,
                key: 0,
            });
        }
    }
    if writes {
        for r in &loc.reads {
            if r.task != seen.task && !r.before(now) {
                out.races.push(Race {
                    obj,
                    first: *r,
                    second: seen,
                    key: 0,
                });
            }
        }
        loc.write = Some(seen);
        loc.reads.clear();
    } else if reads {
        // Reads ordered before this one are subsumed by it; unordered ones stay
        // (the location is then read-shared).
        if loc.reads.len() == 1 && loc.reads[0].before(now) {
            loc.reads[0] = seen;
        } else {
            loc.reads.retain(|r| r.task != seen.task && !r.before(now));
            loc.reads.push(seen);
        }
    }
}

/// The class of task `t`'s write to object `o` (created by `creator`) if the write is
/// impure, `None` if it is not (the caller's own write, the task's own state, an
/// allow-listed object).
pub(crate) fn impure_class(
    s: &ExecState,
    o: ObjId,
    creator: Option<TaskId>,
    t: TaskId,
) -> Option<StateClass> {
    if t == 0 {
        return None; // the closure under test is the caller, not a forked task
    }
    let info = &s.objects[o as usize];
    if creator == Some(t) && info.class == StateClass::Input {
        return None; // its own state: the common case, no ancestry walk
    }
    let own = match creator {
        Some(0) | None => false,
        Some(c) => info.class == StateClass::Input && is_ancestor_or_self(s, c, t),
    };
    if own || info.allowed {
        return None;
    }
    Some(match creator {
        None => StateClass::Global,
        Some(_) => info.class,
    })
}

fn check_purity(
    s: &ExecState,
    out: &mut Analysis,
    o: ObjId,
    creator: Option<TaskId>,
    t: TaskId,
    site: Where,
) {
    let Some(class) = impure_class(s, o, creator, t) else {
        return;
    };
    let site_key = site.key();
    if out
        .impure
        .iter()
        .any(|i| i.site_key == site_key && i.class == class)
    {
        return;
    }
    out.impure.push(Impure {
        obj: o,
        task: t,
        site,
        site_key,
        class,
        creator,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vc(pairs: &[(TaskId, u32)]) -> Vc {
        Vc(pairs.to_vec())
    }

    #[test]
    fn join_is_the_pointwise_maximum_and_stays_sorted() {
        let mut a = vc(&[(0, 3), (2, 1), (5, 4)]);
        a.join(&vc(&[(1, 2), (2, 7), (6, 1)]));
        assert_eq!(a.0, vec![(0, 3), (1, 2), (2, 7), (5, 4), (6, 1)]);
        let before = a.0.clone();
        a.join(&Vc::default());
        assert_eq!(a.0, before);
        assert_eq!(a.get(4), 0);
        a.tick(4);
        assert_eq!(a.get(4), 1);
    }

    /// Task `task` (whose vector clock is `clock`) accesses `loc` at step `step`.
    fn touch(
        loc: &mut Loc,
        out: &mut Analysis,
        clock: &[(TaskId, u32)],
        task: TaskId,
        step: u32,
        kind: AccessKind,
    ) {
        let now = vc(clock);
        let seen = Seen {
            task,
            clock: now.get(task),
            step,
        };
        access(loc, &now, seen, kind, 0, out);
    }

    #[test]
    fn unordered_writes_race_and_ordered_ones_do_not() {
        let mut out = Analysis::default();
        let mut loc = Loc::default();
        // Task 1 writes at clock 1; task 2, which has seen nothing of task 1, writes.
        touch(&mut loc, &mut out, &[(1, 1)], 1, 0, AccessKind::Write);
        touch(&mut loc, &mut out, &[(2, 1)], 2, 1, AccessKind::Write);
        assert_eq!(out.races.len(), 1);
        // Task 3 has seen task 2's write (its clock knows 2@1): no race.
        touch(
            &mut loc,
            &mut out,
            &[(2, 1), (3, 1)],
            3,
            2,
            AccessKind::Write,
        );
        assert_eq!(out.races.len(), 1);
    }

    #[test]
    fn concurrent_reads_share_and_a_later_unordered_write_races_with_both() {
        let mut out = Analysis::default();
        let mut loc = Loc::default();
        touch(&mut loc, &mut out, &[(1, 1)], 1, 0, AccessKind::Read);
        touch(&mut loc, &mut out, &[(2, 1)], 2, 1, AccessKind::Read);
        assert!(out.races.is_empty(), "reads commute");
        assert_eq!(loc.reads.len(), 2, "read-shared");
        touch(&mut loc, &mut out, &[(3, 1)], 3, 2, AccessKind::Write);
        assert_eq!(out.races.len(), 2);
    }

    #[test]
    fn same_epoch_accesses_take_the_fast_path_without_findings() {
        let mut out = Analysis::default();
        let mut loc = Loc::default();
        for step in 0..5 {
            touch(&mut loc, &mut out, &[(1, 1)], 1, step, AccessKind::Write);
        }
        assert!(out.races.is_empty());
        assert_eq!(
            loc.write.map(|w| w.step),
            Some(4),
            "the last write is remembered"
        );
    }
}
