//! The events of one execution as a partial-order reduction sees them: what each one
//! touched (its *footprint*), the happens-before order between them (vector clocks), and
//! the races (pairs of dependent events that a different schedule could reverse).
//!
//! # Events
//!
//! An event is one *segment* ([`Seg`]): what one task ran between two scheduling
//! decisions. Its footprint is the operation its task announced at its last scheduling
//! point (performed now, when the task runs again), the steps it logged without a
//! scheduling point (a release, an acquisition, a join, a task's end), and objects it
//! touched silently (a dropped channel end's notification, a timeout leaving a condvar).
//! The scheduling point that ends a segment belongs to its task's next segment.
//!
//! # Dependence (agrees with `hb.rs`)
//!
//! * a `Shared` cell: two reads commute; a read and a write, or two writes, do not. A
//!   models' list item or dict key is an object of its own, so distinct items commute;
//! * an atomic, condvar, channel, barrier or once cell: every two operations conflict
//!   (the simulator runs them sequentially consistent, and `hb.rs` orders them all);
//! * a lock: two acquisitions (or attempts) conflict. A release is ordered before the
//!   next acquisition (happens-before) but never *races* with it: the two are never
//!   enabled together (Flanagan & Godefroid's co-enabledness), the race that matters is
//!   between the two acquisitions. A `try_lock` (a *probe*: whether it succeeds depends
//!   on whether the lock is free) also races with releases, both ways;
//! * a task's end happens before the join that waits for it, and a wakeup (a release, a
//!   notification, an end) happens before the woken task's next event; neither is a race
//!   (a `wait` on an unfinished task only blocks: it is enabled by the end);
//! * a fork happens before the child's first event.
//!
//! A race is checked against the clock of the task *before* its wakeups (what it had
//! seen when it announced the operation), so that the acquisition of a lock that was
//! released to it still races with the previous holder's acquisition.

use crate::sim::exec::{AccessKind, ExecState, ObjId, ObjKind, Op, TaskId};

/// What an access touches: an object, or (for the sleep sets only) whether a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Loc {
    Obj(ObjId),
    Done(TaskId),
}

/// How an access touches its location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    Read,
    Write,
    /// A lock acquisition, or an attempt that blocked.
    Acquire,
    /// A lock release.
    Release,
    /// A lock attempt that failed without blocking (`try_lock`).
    Probe,
}

/// One entry of a footprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Access {
    pub loc: Loc,
    pub mode: Mode,
}

/// Whether two footprints (of different tasks) commute: no location that one of them
/// changes is touched by the other (conservative for locks: every two accesses conflict).
pub(super) fn independent(a: &[Access], b: &[Access]) -> bool {
    !a.iter().any(|x| {
        b.iter()
            .any(|y| x.loc == y.loc && !(x.mode == Mode::Read && y.mode == Mode::Read))
    })
}

/// One event of the execution.
pub(super) struct Event {
    pub task: TaskId,
    /// The choice (tree node) that picked it, if it was picked among several.
    pub node: Option<u32>,
    /// Its number among its task's events (1-based): its entry in its own clock.
    seq: u32,
    /// Its footprint: `Events::fps[fp.0..fp.1]`.
    fp: (u32, u32),
    /// Its vector clock: sparse, `(task, count)` sorted by task; missing entries are 0
    /// (a fork/wait program's clocks are small: 10 000 tasks must not cost 10 000
    /// entries per event).
    clock: Vec<(TaskId, u32)>,
}

/// A race: `first` and `second` (a later event of another task) are dependent and not
/// ordered by happens-before through other events.
#[derive(Clone, Copy, Debug)]
pub(super) struct Race {
    pub first: u32,
    pub second: u32,
}

#[derive(Default, Clone)]
struct LocState {
    /// The last write (or acquisition, or probe) and its mode.
    last_w: Option<(u32, Mode)>,
    /// Reads since then (one per task).
    reads: Vec<u32>,
    /// The last release of a lock.
    last_rel: Option<u32>,
}

/// The events of the current execution, built as its segments complete.
#[derive(Default)]
pub(super) struct Events {
    pub events: Vec<Event>,
    /// The footprints of the events, one after another.
    fps: Vec<Access>,
    /// Scratch: the events the one being built depends on.
    joins: Vec<u32>,
    task_last: Vec<Option<u32>>,
    creator: Vec<Option<u32>>,
    woken_by: Vec<Vec<u32>>,
    locs: Vec<LocState>,
    wake_cursor: usize,
    touch_cursor: usize,
    /// Races found and not yet taken by the scheduler.
    pub races: Vec<Race>,
}

fn get(c: &[(TaskId, u32)], t: TaskId) -> u32 {
    c.binary_search_by_key(&t, |e| e.0).map_or(0, |i| c[i].1)
}

fn set(c: &mut Vec<(TaskId, u32)>, t: TaskId, v: u32) {
    match c.binary_search_by_key(&t, |e| e.0) {
        Ok(i) => c[i].1 = v,
        Err(i) => c.insert(i, (t, v)),
    }
}

/// The pointwise maximum of `c` and `o`, into `c`.
fn join(c: &mut Vec<(TaskId, u32)>, o: &[(TaskId, u32)]) {
    for &(t, v) in o {
        match c.binary_search_by_key(&t, |e| e.0) {
            Ok(i) => c[i].1 = c[i].1.max(v),
            Err(i) => c.insert(i, (t, v)),
        }
    }
}

impl Events {
    pub(super) fn reset(&mut self) {
        self.events.clear();
        self.fps.clear();
        self.task_last.clear();
        self.creator.clear();
        self.woken_by.clear();
        self.locs.clear();
        self.wake_cursor = 0;
        self.touch_cursor = 0;
        self.races.clear();
    }

    /// Event `e`'s footprint.
    pub(super) fn fp(&self, e: usize) -> &[Access] {
        let (a, b) = self.events[e].fp;
        &self.fps[a as usize..b as usize]
    }

    /// Whether event `e` happens before (or is) event `j`.
    pub(super) fn hb(&self, e: u32, j: u32) -> bool {
        let e = &self.events[e as usize];
        self.saw(j, e.task, e.seq)
    }

    /// Whether event `j` has seen event number `seq` of task `t` (or a later one).
    pub(super) fn saw(&self, j: u32, t: TaskId, seq: u32) -> bool {
        get(&self.events[j as usize].clock, t) >= seq
    }

    /// Event `e`'s number among its task's events.
    pub(super) fn seq(&self, e: u32) -> u32 {
        self.events[e as usize].seq
    }

    /// Turns segments `events.len()..upto` of `s` (complete ones) into events.
    pub(super) fn catch_up(&mut self, s: &ExecState, upto: usize) {
        let n = s.tasks.len();
        if self.task_last.len() < n {
            self.task_last.resize(n, None);
            self.creator.resize(n, None);
            self.woken_by.resize(n, Vec::new());
        }
        if self.locs.len() < s.objects.len() {
            self.locs.resize(s.objects.len(), LocState::default());
        }
        while self.events.len() < upto.min(s.segs.len()) {
            self.process(s, self.events.len());
        }
    }

    fn process(&mut self, s: &ExecState, k: usize) {
        let seg = s.segs[k];
        let t = seg.task;
        let me = k as u32;
        let first = seg.first_step as usize;
        let end = s
            .segs
            .get(k + 1)
            .map_or(s.steps.len(), |n| n.first_step as usize);
        let body_end = if seg.ends_at_point && end > first {
            end - 1
        } else {
            end
        };
        let mut clock = match self.task_last[t as usize].or(self.creator[t as usize]) {
            Some(e) => self.events[e as usize].clock.clone(),
            None => Vec::new(),
        };
        let seq = get(&clock, t) + 1;
        set(&mut clock, t, seq);
        // Races are checked against `clock` as it is now (program order and creation);
        // wakeups and dependencies join it at the end.
        let mut joins = std::mem::take(&mut self.joins);
        joins.clear();
        joins.append(&mut self.woken_by[t as usize]);
        // The footprint, at the end of the arena.
        let fp_start = self.fps.len();
        let mut fp = std::mem::take(&mut self.fps);
        let acquired = |o: ObjId| (first..body_end).any(|i| s.steps[i].op == Op::Acquired(o));
        // A `try_lock`'s touch: its attempt is a probe (whether it succeeded or not).
        let probed = |o: ObjId| {
            s.touches[self.touch_cursor..]
                .iter()
                .take_while(|x| x.0 as usize <= k)
                .any(|x| x.0 as usize == k && x.1 == o && x.2)
        };
        let add = |op: Op, fp: &mut Vec<Access>, joins: &mut Vec<u32>| {
            let (loc, mode) = match op {
                Op::Access(o, kind) => {
                    let mode = match (s.objects[o as usize].kind, kind) {
                        (ObjKind::Shared, AccessKind::Read) => Mode::Read,
                        (ObjKind::Shared, _) => Mode::Write,
                        (
                            ObjKind::Mutex | ObjKind::RwLock,
                            AccessKind::Lock | AccessKind::LockShared,
                        ) => {
                            if probed(o) {
                                Mode::Probe
                            } else if acquired(o) || seg.blocked {
                                Mode::Acquire
                            } else {
                                Mode::Probe
                            }
                        }
                        (
                            ObjKind::Mutex | ObjKind::RwLock,
                            AccessKind::Unlock | AccessKind::UnlockShared,
                        ) => Mode::Release,
                        // A guard's mutable borrow: ordered by the lock.
                        (ObjKind::Mutex | ObjKind::RwLock, _) => return,
                        _ => Mode::Write,
                    };
                    (Loc::Obj(o), mode)
                }
                Op::Acquired(o) => (Loc::Obj(o), Mode::Acquire),
                Op::Wait(u) => (Loc::Done(u), Mode::Read),
                Op::Joined(u) => {
                    if let Some(e) = self.task_last.get(u as usize).copied().flatten() {
                        joins.push(e);
                    }
                    (Loc::Done(u), Mode::Read)
                }
                Op::End => (Loc::Done(t), Mode::Write),
                Op::Start | Op::Fork(_) | Op::Yield => return,
            };
            let a = Access { loc, mode };
            if !fp[fp_start..].contains(&a) {
                fp.push(a);
            }
        };
        if let Some(p) = seg.pending {
            add(s.steps[p as usize].op, &mut fp, &mut joins);
        }
        for i in first..body_end {
            add(s.steps[i].op, &mut fp, &mut joins);
        }
        for step in &s.steps[first..end] {
            if let Op::Fork(c) = step.op {
                if let Some(slot) = self.creator.get_mut(c as usize) {
                    *slot = Some(me);
                }
            }
        }
        while let Some(&(sg, o, probe)) = s.touches.get(self.touch_cursor) {
            if sg as usize > k {
                break;
            }
            self.touch_cursor += 1;
            if probe {
                continue; // the attempt's own mode
            }
            let a = Access {
                loc: Loc::Obj(o),
                mode: Mode::Write,
            };
            if !fp[fp_start..].contains(&a) {
                fp.push(a);
            }
        }
        // Races and dependencies, location by location.
        for a in &fp[fp_start..] {
            let Loc::Obj(o) = a.loc else { continue };
            let mut st = std::mem::take(&mut self.locs[o as usize]);
            let check = |e: u32, races: &mut Vec<Race>, joins: &mut Vec<u32>| {
                let Some(ev) = self.events.get(e as usize) else {
                    return; // this event itself
                };
                if ev.task != t {
                    if get(&clock, ev.task) < ev.seq {
                        races.push(Race {
                            first: e,
                            second: me,
                        });
                    }
                    joins.push(e);
                }
            };
            let races = &mut self.races;
            match a.mode {
                Mode::Read => {
                    if let Some((w, _)) = st.last_w {
                        check(w, races, &mut joins);
                    }
                    st.reads
                        .retain(|&r| self.events.get(r as usize).is_some_and(|e| e.task != t));
                    st.reads.push(me);
                }
                Mode::Write => {
                    for &r in &st.reads {
                        check(r, races, &mut joins);
                    }
                    if let Some((w, _)) = st.last_w {
                        check(w, races, &mut joins);
                    }
                    st.last_w = Some((me, Mode::Write));
                    st.reads.clear();
                }
                Mode::Acquire | Mode::Probe => {
                    if let Some((w, _)) = st.last_w {
                        check(w, races, &mut joins);
                    }
                    if let Some(r) = st.last_rel {
                        if a.mode == Mode::Probe {
                            check(r, races, &mut joins);
                        } else if self.events.get(r as usize).is_some_and(|e| e.task != t) {
                            joins.push(r);
                        }
                    }
                    st.last_w = Some((me, a.mode));
                }
                Mode::Release => {
                    if let Some((w, Mode::Probe)) = st.last_w {
                        check(w, races, &mut joins);
                    }
                    st.last_rel = Some(me);
                }
            }
            self.locs[o as usize] = st;
        }
        for &e in &joins {
            join(&mut clock, &self.events[e as usize].clock);
        }
        self.joins = joins;
        let fp_end = fp.len();
        self.fps = fp;
        self.events.push(Event {
            task: t,
            node: seg.choice,
            seq,
            fp: (fp_start as u32, fp_end as u32),
            clock,
        });
        self.task_last[t as usize] = Some(me);
        while let Some(&(sg, w)) = s.wakes.get(self.wake_cursor) {
            if sg as usize > k {
                break;
            }
            self.wake_cursor += 1;
            if let Some(v) = self.woken_by.get_mut(w as usize) {
                v.push(sg);
            }
        }
    }
}
