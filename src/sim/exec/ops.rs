//! What tasks do at scheduling points: fork, wait, access, the locks, blocking on an
//! object and notifying it. Each is a step of the execution's log.

use super::*;
use crate::sim::overflow;

/// A scheduling point of the current task: records `op`, then lets the scheduler decide
/// who runs next (possibly suspending this task).
#[inline]
pub(crate) fn point(op: Op, site: Site) {
    point_with(|_| op, site)
}

/// [`point`], with the operation computed from the state inside the same borrow (an
/// access resolves its object there). `op` is not called while tearing down. Always
/// inlined: it is the body of every scheduling point (`ObjCell::access` above all), and
/// LLVM's choice to inline it or not otherwise flips with unrelated changes (±1k
/// instructions per W3 execution).
#[inline(always)]
pub(crate) fn point_with(op: impl FnOnce(&mut ExecState) -> Op, site: Site) {
    if let Some(y) = point_decide(op, site) {
        suspend(y);
    }
}

/// [`point_with`] without the suspension: the yielder to suspend through (with
/// [`suspend_task`](super::suspend_task)) if another task runs next. For a point whose
/// work is out of line but whose switch is inlined into its caller (`ObjCell::access`).
#[inline(always)]
pub(crate) fn point_decide(
    op: impl FnOnce(&mut ExecState) -> Op,
    site: Site,
) -> Option<*const TaskYielder> {
    with(|s| s.at_point(op, site))
}

impl ExecState {
    /// A scheduling point's work inside its borrow of the state: records `op` (computed
    /// here, not while tearing down) and decides who runs next; the yielder to suspend
    /// through if another task does.
    #[inline(always)]
    fn at_point(
        &mut self,
        op: impl FnOnce(&mut ExecState) -> Op,
        site: Site,
    ) -> Option<*const TaskYielder> {
        if self.tearing_down {
            return None;
        }
        if overflow::near_limit() {
            return Some(self.stack_exhausted());
        }
        let op = op(self);
        let at = self.here(site);
        self.record(op, at);
        self.after_point()
    }
}

/// The first step of a task, attributed to its fork site; `y` is its yielder. Returns
/// the yielder to suspend through if another task runs next (the task's entry suspends
/// in its own frame: see `coro.rs`).
pub(super) fn start_point(t: TaskId, y: *const TaskYielder) -> Option<*const TaskYielder> {
    with(|s| {
        s.tasks[t as usize].yielder = y;
        let at = s.tasks[t as usize].site;
        s.record(Op::Start, at);
        s.after_point()
    })
}

/// Records an access to instrumented state, as a scheduling point.
#[inline]
pub(crate) fn access(obj: ObjId, kind: AccessKind, site: Site) {
    point(Op::Access(obj, kind), site);
}

/// Blocks the current task on `b` until it is woken and scheduled again.
fn block(b: Block) {
    let y = with(|s| s.block_current(b));
    suspend(y);
}

impl ExecState {
    /// [`block`]'s work: blocks the current task on `b`, picks who runs next; the current
    /// task's yielder, to suspend through.
    fn block_current(&mut self, b: Block) -> *const TaskYielder {
        let cur = self.current;
        if let Some(seg) = self.segs.last_mut() {
            seg.blocked = true;
        }
        self.set_blocked(cur, b);
        if let Block::Wait(t) = b {
            self.tasks[t as usize].waiters.push(cur);
        }
        self.next = self.choose();
        self.tasks[cur as usize].yielder
    }
}

/// Forks a simulated task running `body`; returns its id and the execution's epoch. A
/// scheduling point (its work out of line, its switch in the caller's frame).
#[inline(always)]
pub(crate) fn fork(body: std::sync::Arc<dyn TaskBody>, site: Site) -> (TaskId, u32) {
    let (id, epoch, y) = fork_point(body, site);
    if let Some(y) = y {
        suspend(y);
    }
    (id, epoch)
}

/// [`fork`]'s work: the new task, the epoch, and the yielder to suspend through if
/// another task runs next.
#[inline(never)]
fn fork_point(
    body: std::sync::Arc<dyn TaskBody>,
    site: Site,
) -> (TaskId, u32, Option<*const TaskYielder>) {
    let (id, epoch) = with(|s| {
        let parent = s.current;
        (s.new_task(Some(parent), site, Some(body)), s.epoch)
    });
    let y = point_decide(|_| Op::Fork(id), site);
    (id, epoch, y)
}

/// Waits until task `t` is done. A scheduling point.
pub(crate) fn wait(t: TaskId, site: Site) {
    point(Op::Wait(t), site);
    joined(t, site);
}

/// [`wait`] for task `t` of the execution numbered `epoch` (a future's): `false`, having
/// done nothing, if the current execution is another one. The check and the point share
/// one borrow of the state. The work is out of line ([`wait_point`], [`join_or_block`]),
/// the switches in the caller's frame (see `coro.rs`).
#[inline(always)]
pub(crate) fn wait_in(t: TaskId, epoch: u32, site: Site) -> bool {
    match wait_point(t, epoch, site) {
        Err(()) => return false,
        Ok(Some(y)) => suspend(y),
        Ok(None) => {}
    }
    // `joined`, inlined.
    while let Some(y) = join_or_block(t, site) {
        suspend(y);
    }
    true
}

/// [`wait_in`]'s point: `Err` if the current execution is not `epoch`, else the yielder
/// to suspend through if another task runs next.
#[inline(never)]
fn wait_point(t: TaskId, epoch: u32, site: Site) -> Result<Option<*const TaskYielder>, ()> {
    with(|s| {
        if s.epoch != epoch {
            return Err(());
        }
        Ok(s.at_point(|_| Op::Wait(t), site))
    })
}

/// One round of [`joined`] in one borrow of the state: `None` if task `t` is done (the
/// join logged), else blocks the current task on it ([`block`]'s work) and returns the
/// yielder to suspend through.
#[inline(never)]
fn join_or_block(t: TaskId, site: Site) -> Option<*const TaskYielder> {
    with(|s| {
        if !s.tearing_down {
            if s.tasks[t as usize].phase != Phase::Done {
                return Some(s.block_current(Block::Wait(t)));
            }
            let at = s.here(site);
            s.record(Op::Joined(t), at);
        }
        s.tasks[t as usize].waited = true;
        None
    })
}

/// The rest of a wait on task `t` after its scheduling point: blocks until `t` is done,
/// then logs the join (not a scheduling point, in the same borrow as the test).
fn joined(t: TaskId, site: Site) {
    while let Some(y) = join_or_block(t, site) {
        suspend(y);
    }
}

/// Records a step that is not a scheduling point.
pub(crate) fn log(op: Op, site: Site) {
    with(|s| {
        if !s.tearing_down {
            let at = s.here(site);
            s.record(op, at);
        }
    });
}

/// Whether task `t` has finished.
pub(crate) fn is_done(t: TaskId) -> bool {
    with(|s| s.tasks[t as usize].phase == Phase::Done)
}

/// The future of task `t` was dropped without `wait`.
pub(crate) fn detach(t: TaskId) {
    with(|s| {
        // A future dropped by the harness unwinding an aborted execution was not dropped
        // by the program: no `UnwaitedFuture` or `LostError` from teardown.
        if !s.tearing_down {
            s.tasks[t as usize].detached = true;
        }
    });
}

/// Whether the current task can take lock `m` now (`shared`: for reading).
fn can_take(o: &ObjInfo, shared: bool) -> bool {
    o.owner.is_none() && (shared || o.readers.is_empty())
}

fn take(o: &mut ObjInfo, cur: TaskId, shared: bool) {
    if shared {
        o.readers.push(cur);
    } else {
        o.owner = Some(cur);
    }
}

/// Acquires lock `m` for the current task, exclusively or (`shared`) for reading,
/// blocking while it cannot. A re-entrant acquisition is a deadlock (a self-edge).
pub(crate) fn lock(m: ObjId, shared: bool, site: Site) {
    let kind = if shared {
        AccessKind::LockShared
    } else {
        AccessKind::Lock
    };
    access(m, kind, site);
    loop {
        let acquired = with(|s| {
            if s.tearing_down {
                return true;
            }
            let cur = s.current;
            let o = &mut s.objects[m as usize];
            if can_take(o, shared) {
                take(o, cur, shared);
                return true;
            }
            // Held (by us, re-entrantly, too: a self-edge `deadlock` reports). A release
            // empties the list, so a task is in it at most once.
            o.waiters.push(cur);
            false
        });
        if acquired {
            log(Op::Acquired(m), site);
            return;
        }
        block(Block::Lock(m));
    }
}

/// Tries to acquire lock `m` without blocking (a scheduling point either way).
pub(crate) fn try_lock(m: ObjId, shared: bool, site: Site) -> bool {
    let kind = if shared {
        AccessKind::LockShared
    } else {
        AccessKind::Lock
    };
    access(m, kind, site);
    let acquired = with(|s| {
        if s.tearing_down {
            return true;
        }
        s.touch(m, true);
        let cur = s.current;
        let o = &mut s.objects[m as usize];
        let ok = can_take(o, shared);
        if ok {
            take(o, cur, shared);
        }
        ok
    });
    if acquired {
        log(Op::Acquired(m), site);
    }
    acquired
}

/// Releases lock `m` (held exclusively, or `shared` by a reader) and wakes the tasks
/// waiting for it (not a choice point).
pub(crate) fn unlock(m: ObjId, shared: bool, site: Site) {
    with(|s| {
        if s.tearing_down {
            return;
        }
        let at = s.here(site);
        let kind = if shared {
            AccessKind::UnlockShared
        } else {
            AccessKind::Unlock
        };
        s.record(Op::Access(m, kind), at);
        let cur = s.current;
        let o = &mut s.objects[m as usize];
        if shared {
            if let Some(i) = o.readers.iter().position(|&r| r == cur) {
                o.readers.swap_remove(i);
            }
        } else {
            o.owner = None;
        }
        let waiters = std::mem::take(&mut o.waiters);
        for w in waiters {
            s.wake(w);
        }
    });
}

/// Blocks the current task on object `o` until [`notify`] wakes it or (as `how` allows)
/// the scheduler ends the block unnotified. Returns whether it was notified. Not a
/// scheduling point of its own: callers make the operation that decided to block one.
pub(crate) fn block_on(o: ObjId, how: Wakeable) -> bool {
    let blocked = with(|s| {
        if s.tearing_down {
            return false;
        }
        let cur = s.current;
        s.tasks[cur as usize].woke_unnotified = false;
        s.objects[o as usize].waiters.push(cur);
        true
    });
    if !blocked {
        return true;
    }
    block(Block::On(o, how));
    with(|s| {
        let cur = s.current as usize;
        !std::mem::take(&mut s.tasks[cur].woke_unnotified)
    })
}

/// Wakes the tasks blocked on object `o` (all of them, or one: which one is a scheduling
/// choice when several wait). Returns how many it woke. Not a scheduling point.
pub(crate) fn notify(o: ObjId, all: bool) -> usize {
    with(|s| {
        if s.tearing_down {
            return 0;
        }
        s.touch(o, false);
        let waiting = s.objects[o as usize].waiters.len();
        if waiting == 0 {
            return 0;
        }
        if all || waiting == 1 {
            let waiters = std::mem::take(&mut s.objects[o as usize].waiters);
            for w in waiters {
                s.wake(w);
            }
            return waiting;
        }
        let mut options = std::mem::take(&mut s.objects[o as usize].waiters);
        options.sort_unstable();
        // SAFETY: as in `choose`: the scheduler outlives the execution and is not used
        // re-entrantly.
        let sched = unsafe { &mut *s.sched };
        let i = match sched.choose_woken(s, &options, s.choices.len()) {
            Ok(i) => i,
            Err(msg) => {
                s.abort.get_or_insert(Abort::Stale(msg));
                0
            }
        };
        s.choices.push(Choice {
            index: i as u32,
            options: options.len() as u32,
            current: None,
        });
        let woken = options.remove(i);
        s.objects[o as usize].waiters = options;
        s.wake(woken);
        1
    })
}

/// Whether any task is blocked on object `o`.
pub(crate) fn has_waiters(o: ObjId) -> bool {
    with(|s| !s.objects[o as usize].waiters.is_empty())
}

/// What blocked task `t` waits for, for deadlock reports (`None` if it is not blocked).
pub(crate) fn blocked_on(s: &ExecState, t: TaskId) -> Option<String> {
    let Phase::Blocked(b) = s.tasks[t as usize].phase else {
        return None;
    };
    let obj = |o: ObjId| {
        let info = &s.objects[o as usize];
        format!("the {} created at {}", info.kind.name(), info.site)
    };
    Some(match b {
        Block::Wait(u) => format!("waits for task {u} to end"),
        Block::Lock(m) => {
            let info = &s.objects[m as usize];
            let holders: Vec<String> = info
                .owner
                .iter()
                .chain(info.readers.iter())
                .map(|h| format!("task {h}"))
                .collect();
            format!("waits to lock {} (held by {})", obj(m), holders.join(", "))
        }
        Block::On(o, _) => {
            let what = match s.objects[o as usize].kind {
                ObjKind::Condvar => "a notification on",
                ObjKind::Channel => "a message or room on",
                ObjKind::Barrier => "the other tasks at",
                _ => "",
            };
            format!("waits for {what} {}", obj(o))
        }
    })
}

/// Records a panic of the current task (called by its body wrapper).
pub(crate) fn note_panic(msg: String, at: String) {
    with(|s| {
        let cur = s.current as usize;
        s.tasks[cur].panic = Some(Box::new((msg, at)));
    });
}

/// Where a task of this execution first panicked with message `msg` (as the panic hook
/// recorded it), if one did.
pub(crate) fn panic_site(msg: &str) -> Option<String> {
    with(|s| {
        s.tasks
            .iter()
            .filter_map(|t| t.panic.as_deref())
            .find(|(m, _)| m == msg)
            .map(|(_, at)| at.clone())
    })
}

/// What the execution keeps for a partial-order reduction (`Config::track`).
impl ExecState {
    /// With `Config::track`: the current segment touched object `o` without a step
    /// (`probe`: tried to take the lock `o` without blocking).
    pub(crate) fn touch(&mut self, o: ObjId, probe: bool) {
        if self.cfg.track && !self.segs.is_empty() {
            let seg = self.segs.len() as u32 - 1;
            self.touches.push((seg, o, probe));
        }
    }

    /// Wakes blocked task `t` on behalf of the current task (a release, a notification,
    /// a task's end): `t`'s next segment happens after the current one.
    pub(crate) fn wake(&mut self, t: TaskId) {
        if self.cfg.track && !self.segs.is_empty() {
            let seg = self.segs.len() as u32 - 1;
            self.wakes.push((seg, t));
        }
        self.set_ready(t);
    }

    /// With `Config::track`: the current segment ends at a scheduling point whose step
    /// was just recorded (the current task performs it when it next runs).
    pub(super) fn note_point(&mut self) {
        if self.cfg.track {
            let cur = self.current as usize;
            self.tasks[cur].pending = Some(self.steps.len() as u32 - 1);
            if let Some(s) = self.segs.last_mut() {
                s.ends_at_point = true;
            }
        }
    }
}
