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

    /// Turns segment `k` of `s` into the next event: its clock, its footprint, the races
    /// it completes and the dependencies its clock joins.
    fn process(&mut self, s: &ExecState, k: usize) {
        let seg = s.segs[k];
        let t = seg.task;
        let me = k as u32;
        let (first, body_end, end) = seg_bounds(s, k);
        let mut clock = self.start_clock(t);
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
        self.add_steps(s, k, (first, body_end), fp_start, &mut fp, &mut joins);
        self.record_forks(s, me, first, end);
        self.add_touches(s, k, fp_start, &mut fp);
        let now = Building {
            task: t,
            me,
            clock: &clock,
        };
        self.find_races(&fp[fp_start..], &now, &mut joins);
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
        self.take_wakes(s, k);
    }

    /// The clock task `t`'s next event starts from: that of its last event, else that of
    /// the event that forked it, else empty.
    #[inline]
    fn start_clock(&self, t: TaskId) -> Vec<(TaskId, u32)> {
        match self.task_last[t as usize].or(self.creator[t as usize]) {
            Some(e) => self.events[e as usize].clock.clone(),
            None => Vec::new(),
        }
    }

    /// Adds to the footprint `fp[fp_start..]` the new accesses of segment `k`'s steps:
    /// the operation it performs first (announced at its task's last scheduling point),
    /// then those of its body `body.0..body.1`.
    #[inline]
    fn add_steps(
        &self,
        s: &ExecState,
        k: usize,
        body: (usize, usize),
        fp_start: usize,
        fp: &mut Vec<Access>,
        joins: &mut Vec<u32>,
    ) {
        if let Some(p) = s.segs[k].pending {
            if let Some(a) = self.access_of(s, k, body, s.steps[p as usize].op, joins) {
                push_new(fp, fp_start, a);
            }
        }
        for i in body.0..body.1 {
            if let Some(a) = self.access_of(s, k, body, s.steps[i].op, joins) {
                push_new(fp, fp_start, a);
            }
        }
    }

    /// The access step `op` of segment `k` adds to its footprint (none for a start, a
    /// fork, a yield, or a guard's borrow). A join also records the joined task's last
    /// event in `joins`.
    #[inline]
    fn access_of(
        &self,
        s: &ExecState,
        k: usize,
        body: (usize, usize),
        op: Op,
        joins: &mut Vec<u32>,
    ) -> Option<Access> {
        let (loc, mode) = match op {
            Op::Access(o, kind) => (Loc::Obj(o), self.object_mode(s, k, body, o, kind)?),
            Op::Acquired(o) => (Loc::Obj(o), Mode::Acquire),
            Op::Wait(u) => (Loc::Done(u), Mode::Read),
            Op::Joined(u) => {
                if let Some(e) = self.task_last.get(u as usize).copied().flatten() {
                    joins.push(e);
                }
                (Loc::Done(u), Mode::Read)
            }
            Op::End => (Loc::Done(s.segs[k].task), Mode::Write),
            Op::Start | Op::Fork(_) | Op::Yield => return None,
        };
        Some(Access { loc, mode })
    }

    /// How an access of `kind` to object `o` by segment `k` touches it (none for a lock
    /// guard's mutable borrow: the lock orders it).
    #[inline]
    fn object_mode(
        &self,
        s: &ExecState,
        k: usize,
        body: (usize, usize),
        o: ObjId,
        kind: AccessKind,
    ) -> Option<Mode> {
        Some(match (s.objects[o as usize].kind, kind) {
            (ObjKind::Shared, AccessKind::Read) => Mode::Read,
            (ObjKind::Shared, _) => Mode::Write,
            (ObjKind::Mutex | ObjKind::RwLock, AccessKind::Lock | AccessKind::LockShared) => {
                self.lock_mode(s, k, body, o)
            }
            (ObjKind::Mutex | ObjKind::RwLock, AccessKind::Unlock | AccessKind::UnlockShared) => {
                Mode::Release
            }
            // A guard's mutable borrow: ordered by the lock.
            (ObjKind::Mutex | ObjKind::RwLock, _) => return None,
            _ => Mode::Write,
        })
    }

    /// The mode of segment `k`'s lock attempt on `o`: a probe if it was a `try_lock` (its
    /// touch says so, whether it succeeded or not), an acquisition if the segment
    /// acquired `o` in its body or blocked, else a probe.
    fn lock_mode(&self, s: &ExecState, k: usize, body: (usize, usize), o: ObjId) -> Mode {
        let probed = s.touches[self.touch_cursor..]
            .iter()
            .take_while(|x| x.0 as usize <= k)
            .any(|x| x.0 as usize == k && x.1 == o && x.2);
        if probed {
            Mode::Probe
        } else if (body.0..body.1).any(|i| s.steps[i].op == Op::Acquired(o)) || s.segs[k].blocked {
            Mode::Acquire
        } else {
            Mode::Probe
        }
    }

    /// Records event `me` as the creator of the tasks forked by its steps `first..end`.
    #[inline]
    fn record_forks(&mut self, s: &ExecState, me: u32, first: usize, end: usize) {
        for step in &s.steps[first..end] {
            if let Op::Fork(c) = step.op {
                if let Some(slot) = self.creator.get_mut(c as usize) {
                    *slot = Some(me);
                }
            }
        }
    }

    /// Takes the silent touches of segments up to `k` (all of `k`'s: earlier ones were
    /// taken by their segments) and adds each as a write to the footprint `fp[fp_start..]`,
    /// except a `try_lock`'s (its attempt already has its mode).
    #[inline]
    fn add_touches(&mut self, s: &ExecState, k: usize, fp_start: usize, fp: &mut Vec<Access>) {
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
            push_new(fp, fp_start, a);
        }
    }

    /// Races and dependencies of the event being built, location by location of its
    /// footprint `fp`: races go to `self.races`, dependencies to `joins`, and each
    /// location's state records the new event.
    #[inline]
    fn find_races(&mut self, fp: &[Access], now: &Building<'_>, joins: &mut Vec<u32>) {
        for a in fp {
            let Loc::Obj(o) = a.loc else { continue };
            let mut st = std::mem::take(&mut self.locs[o as usize]);
            at_location(&self.events, &mut st, a.mode, now, &mut self.races, joins);
            self.locs[o as usize] = st;
        }
    }

    /// Takes the wakeups made by segments up to `k` into the woken tasks' `woken_by`.
    #[inline]
    fn take_wakes(&mut self, s: &ExecState, k: usize) {
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

/// The event being built: its task, its number, and its clock before wakeups and
/// dependencies (what races are checked against).
struct Building<'a> {
    task: TaskId,
    me: u32,
    clock: &'a [(TaskId, u32)],
}

/// Segment `k`'s steps: `(first, body_end, end)`, where the body `first..body_end` leaves
/// out an announcement that ends the segment (its next segment performs it).
#[inline]
fn seg_bounds(s: &ExecState, k: usize) -> (usize, usize, usize) {
    let seg = s.segs[k];
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
    (first, body_end, end)
}

/// Pushes `a` onto the footprint `fp[from..]` unless it is already there.
#[inline]
fn push_new(fp: &mut Vec<Access>, from: usize, a: Access) {
    if !fp[from..].contains(&a) {
        fp.push(a);
    }
}

/// Checks the event being built against an earlier access `e` to the same location: an
/// event of another task is a dependency, and a race if `now`'s clock has not seen it.
/// (`e` past the end of `events` is the event being built itself.)
#[inline]
fn check(
    events: &[Event],
    now: &Building<'_>,
    e: u32,
    races: &mut Vec<Race>,
    joins: &mut Vec<u32>,
) {
    let Some(ev) = events.get(e as usize) else {
        return; // this event itself
    };
    if ev.task != now.task {
        if get(now.clock, ev.task) < ev.seq {
            races.push(Race {
                first: e,
                second: now.me,
            });
        }
        joins.push(e);
    }
}

/// One access of mode `mode` by the event being built to a location in state `st`: checks
/// it against the location's earlier accesses that it depends on (see the dependence
/// rules above) and records it in `st`.
#[inline]
fn at_location(
    events: &[Event],
    st: &mut LocState,
    mode: Mode,
    now: &Building<'_>,
    races: &mut Vec<Race>,
    joins: &mut Vec<u32>,
) {
    let other = |e: u32| events.get(e as usize).is_some_and(|ev| ev.task != now.task);
    match mode {
        Mode::Read => {
            if let Some((w, _)) = st.last_w {
                check(events, now, w, races, joins);
            }
            st.reads.retain(|&r| other(r));
            st.reads.push(now.me);
        }
        Mode::Write => {
            for &r in &st.reads {
                check(events, now, r, races, joins);
            }
            if let Some((w, _)) = st.last_w {
                check(events, now, w, races, joins);
            }
            st.last_w = Some((now.me, Mode::Write));
            st.reads.clear();
        }
        Mode::Acquire | Mode::Probe => {
            if let Some((w, _)) = st.last_w {
                check(events, now, w, races, joins);
            }
            if let Some(r) = st.last_rel {
                if mode == Mode::Probe {
                    check(events, now, r, races, joins);
                } else if other(r) {
                    joins.push(r);
                }
            }
            st.last_w = Some((now.me, mode));
        }
        Mode::Release => {
            if let Some((w, Mode::Probe)) = st.last_w {
                check(events, now, w, races, joins);
            }
            st.last_rel = Some(now.me);
        }
    }
}
