//! One simulated execution: the task table, the runnable set, scheduling points, and the
//! step and access logs. This file holds the execution's state and the scheduling
//! decision; `ops.rs` the operations tasks perform at scheduling points (fork, wait,
//! locks, blocking on objects, notifications); `run.rs` the loop that drives an execution
//! and tears it down.
//!
//! # How an execution runs
//!
//! The checker calls [`run`]: task 0 is the closure under test. Every task is a coroutine
//! (see `coro.rs`). A task runs until its next *scheduling point* — fork, wait, task end,
//! an instrumented access, a lock operation, `yield_now` — where it records a [`Step`] and
//! asks [`ExecState::choose`] who runs next. Only a point with more than one runnable task
//! is a *choice*, recorded in [`ExecState::choices`]; the list of choices is the schedule.
//! If the chosen task is not the current one, the current task suspends back to the loop
//! in [`run`], which resumes the chosen one. A task that blocks (a wait on an unfinished
//! task, a held lock) leaves the runnable set until it is woken.
//!
//! # Worker model
//!
//! With `workers = Some(k)`, a forked task needs one of k workers to start and keeps it
//! until it ends; a task blocked in `wait` keeps it under [`WaitPolicy::Block`] (PyTorch's
//! Static Runtime) and frees it under [`WaitPolicy::Suspend`] (the TorchScript
//! interpreter). Task 0 is the caller's own thread and needs no worker. A state where
//! tasks are unfinished and none can run is a deadlock: a wait-for cycle, or starvation.
//!
//! # Teardown
//!
//! An execution that ends early (deadlock, step limit, stale schedule) drops its suspended
//! coroutines, which unwinds their stacks; while that happens every simulator operation is
//! a no-op (`tearing_down`), so destructors of user state run without scheduling.

mod ops;
mod run;

pub(crate) use self::ops::*;
pub(crate) use self::run::{Finished, op_text, run};

use super::coro::{Coro, TaskYielder};
use super::sched::Scheduler;
use crate::sim::WaitPolicy;
use std::cell::{Cell, RefCell};
use std::panic::Location;

/// A task's index in its execution (0 = the closure under test).
pub(crate) type TaskId = u32;
/// An instrumented object's index in its execution.
pub(crate) type ObjId = u32;

type Site = &'static Location<'static>;

pub use crate::span::SourceSpan;

/// Where an operation happened: a Rust call site, or a position of an interpreted model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Where {
    Rust(Site),
    Model(SourceSpan),
}

impl Where {
    /// A cheap identity for deduplicating findings (no allocation).
    pub(crate) fn key(&self) -> u64 {
        let (file, line, col) = match self {
            Where::Rust(l) => (l.file().as_ptr() as u64, l.line(), l.column()),
            Where::Model(s) => (s.file.as_ptr() as u64, s.line, s.col),
        };
        mix(mix(file, line as u64), col as u64)
    }

    fn line_col(&self) -> (u32, u32) {
        match self {
            Where::Rust(l) => (l.line(), l.column()),
            Where::Model(s) => (s.line, s.col),
        }
    }
}

impl std::fmt::Display for Where {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Where::Rust(l) => write!(f, "{l}"),
            Where::Model(s) => write!(f, "{s}"),
        }
    }
}

/// What a blocked task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// The end of a task (`wait`).
    Wait(TaskId),
    /// A lock held by another task (a `Mutex`, or an `RwLock` held for writing or, by a
    /// writer, for reading).
    Lock(ObjId),
    /// A notification on an object that has no owner (a condvar, a channel, a barrier, a
    /// once cell), which may also end otherwise (see [`Wakeable`]).
    On(ObjId, Wakeable),
}

/// How many spurious wakeups the scheduler may choose for one task in one execution.
const MAX_SPURIOUS_WAKEUPS: u32 = 1;
/// How many timeouts the scheduler may choose for one task in one execution while other
/// tasks can run (with nothing else to run a timeout always expires).
const MAX_EARLY_TIMEOUTS: u32 = 2;

/// How a task blocked on an object ([`Block::On`]) may wake without a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wakeable {
    /// Only a notification wakes it.
    Notified,
    /// Its timeout may expire: the scheduler may pick it at any choice (a timeout is a
    /// scheduling choice), and must when nothing else can run (time passes).
    Timeout,
    /// A spurious wakeup may end it, as a scheduling choice while another task can run
    /// (never as the only option: a waiter nobody can notify is a deadlock).
    Spurious,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    NotStarted,
    Ready,
    Blocked(Block),
    Done,
}

/// The kind of an access to instrumented state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    /// A plain read (`Shared::read`).
    Read,
    /// A plain write (`Shared::write`).
    Write,
    /// A read-modify-write as one step (`Shared::update`).
    Update,
    /// An atomic load.
    AtomicLoad,
    /// An atomic store.
    AtomicStore,
    /// An atomic read-modify-write.
    AtomicRmw,
    /// A lock acquisition (a mutex, or an `RwLock` for writing).
    Lock,
    /// A lock release.
    Unlock,
    /// An `RwLock` acquisition for reading.
    LockShared,
    /// An `RwLock` release by a reader.
    UnlockShared,
    /// A message sent on a channel.
    Send,
    /// A message taken from a channel (or an attempt to).
    Recv,
    /// A condition-variable notification.
    Notify,
    /// A wait on a condition variable or a barrier, or on a once cell's initialization.
    Wait,
}

impl AccessKind {
    /// Whether the access changes the state.
    pub fn is_write(self) -> bool {
        !matches!(
            self,
            AccessKind::Read
                | AccessKind::AtomicLoad
                | AccessKind::LockShared
                | AccessKind::UnlockShared
                | AccessKind::Notify
                | AccessKind::Wait
        )
    }
}

/// An operation at a scheduling point (or a logged non-choice event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Start,
    Fork(TaskId),
    Wait(TaskId),
    End,
    Access(ObjId, AccessKind),
    Yield,
    /// Not a scheduling point: a wait on the task returned (its whole run happened before).
    Joined(TaskId),
    /// Not a scheduling point: the mutex was acquired (the attempt was `Access(_, Lock)`).
    Acquired(ObjId),
}

/// One step of the interleaving.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    pub task: TaskId,
    pub op: Op,
    pub site: Where,
}

/// The kind of an instrumented object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjKind {
    Shared,
    Mutex,
    Atomic,
    RwLock,
    Condvar,
    Channel,
    Barrier,
    Once,
}

impl ObjKind {
    /// What the object is, for reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ObjKind::Shared => "shared cell",
            ObjKind::Mutex => "mutex",
            ObjKind::Atomic => "atomic",
            ObjKind::RwLock => "rwlock",
            ObjKind::Condvar => "condvar",
            ObjKind::Channel => "channel",
            ObjKind::Barrier => "barrier",
            ObjKind::Once => "once cell",
        }
    }

    /// Whether every operation on it synchronizes (acquires and releases the object, as a
    /// sequentially consistent atomic does): its accesses are never races themselves.
    pub(crate) fn synchronizes(self) -> bool {
        !matches!(self, ObjKind::Shared | ObjKind::Mutex | ObjKind::RwLock)
    }

    /// Whether writes through it are synchronized sharing (a lock guard, an atomic, a
    /// channel): an impure write through it is a warning unless purity is strict.
    pub(crate) fn is_sync(self) -> bool {
        !matches!(self, ObjKind::Shared)
    }
}

pub(crate) struct ObjInfo {
    /// The task that created it; `None` for state created outside the execution (global).
    pub creator: Option<TaskId>,
    /// Made by a `const fn` and not found on a task's stack: its creator is inferred by
    /// the analysis (the lowest common ancestor of the tasks that used it).
    pub inferred_creator: bool,
    pub site: Where,
    pub kind: ObjKind,
    pub class: crate::sync::StateClass,
    /// Writes to it are accepted impurity (allow-listed by the program).
    pub allowed: bool,
    /// The holder of a mutex, or the writer holding an rwlock.
    owner: Option<TaskId>,
    /// The readers holding an rwlock.
    readers: Vec<TaskId>,
    /// Tasks blocked on it (on the lock, or for a notification).
    waiters: Vec<TaskId>,
}

/// One scheduling choice: `index` into `options` runnable tasks (sorted by id);
/// `current` is the running task's index among them if it was still runnable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Choice {
    pub index: u32,
    pub options: u32,
    pub current: Option<u32>,
}

impl Choice {
    /// Whether this choice switched away from a task that could have continued.
    pub fn is_preemption(&self) -> bool {
        self.current.is_some_and(|c| c != self.index)
    }
}

/// Why an execution ended early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Abort {
    /// Unfinished tasks, none runnable: `cycle` is the wait-for cycle (task, what it waits
    /// at), empty for starvation; `starved` the ready tasks that had no worker.
    Deadlock {
        cycle: Vec<TaskId>,
        starved: Vec<TaskId>,
    },
    StepLimit,
    /// The run's `max_time` ran out during the execution.
    TimeLimit,
    /// The schedule did not fit the program (replay of a stale or foreign token).
    Stale(String),
    /// The task overflowed its stack.
    StackOverflow(TaskId),
    /// The harness could not go on (e.g. no memory for a task stack).
    Harness(String),
}

pub(crate) struct TaskRec {
    pub phase: Phase,
    pub parent: Option<TaskId>,
    /// Where it was forked.
    pub site: Where,
    /// The interpreted-source position it is at, if an interpreter set one.
    span: Option<SourceSpan>,
    has_worker: bool,
    body: Option<Box<dyn FnOnce()>>,
    coro: Option<Coro>,
    stack_limit: usize,
    yielder: *const TaskYielder,
    waiters: Vec<TaskId>,
    /// Its result was consumed by `wait`.
    pub waited: bool,
    /// Its future was dropped without `wait`.
    pub detached: bool,
    /// The panic message and site, if it panicked.
    pub panic: Option<(String, String)>,
    /// Its last block on an object ended without a notification (a timeout or a
    /// spurious wakeup chosen by the scheduler).
    woke_unnotified: bool,
    /// How many of its blocks ended so (see `MAX_SPURIOUS_WAKEUPS`).
    unnotified_wakes: u32,
}

/// The configuration of one execution.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub max_steps: u64,
    pub workers: Option<u32>,
    pub policy: WaitPolicy,
    pub stack_size: usize,
    pub log: bool,
    /// When the run's `max_time` runs out: the execution then ends at its next
    /// scheduling point (checked every [`DEADLINE_EVERY`] steps, to keep the clock off the
    /// hot path).
    pub deadline: Option<std::time::Instant>,
    /// After how long without a scheduling point the watchdog names the stuck task.
    pub watchdog: Option<std::time::Duration>,
}

/// How often (in steps) an execution looks at the clock when it has a deadline.
const DEADLINE_EVERY: usize = 256;

pub(crate) struct ExecState {
    pub tasks: Vec<TaskRec>,
    /// Tasks that are `NotStarted` or `Ready`, sorted by id.
    ready: Vec<TaskId>,
    pub current: TaskId,
    next: Option<TaskId>,
    pub steps: Vec<Step>,
    pub choices: Vec<Choice>,
    /// Whether any instrumented state was accessed (else the analyses are skipped).
    pub accessed: bool,
    pub objects: Vec<ObjInfo>,
    pub abort: Option<Abort>,
    pub path_hash: u64,
    pub epoch: u32,
    busy: u32,
    cfg: Config,
    sched: *mut dyn Scheduler,
    tearing_down: bool,
    scratch: Vec<TaskId>,
    /// Blocked tasks that may wake without a notification (timeouts, spurious wakeups).
    wakeable: Vec<TaskId>,
    /// What the watchdog sees of this execution.
    watch: std::sync::Arc<crate::sim::watchdog::Slot>,
}

/// The execution the current thread is simulating.
pub(crate) struct Exec {
    pub(crate) state: RefCell<ExecState>,
}

thread_local! {
    static CURRENT: Cell<*const Exec> = const { Cell::new(std::ptr::null()) };
    /// Whether a simulated task's coroutine is running (its panics are the program's).
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current code runs inside a simulated task (not in the harness).
pub(crate) fn in_task() -> bool {
    IN_TASK.with(|c| c.get())
}

static EPOCH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// Runs `f` on the current execution's state.
///
/// # Panics
///
/// Outside an execution (callers check the context first).
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&mut ExecState) -> R) -> R {
    let p = CURRENT.with(|c| c.get());
    assert!(
        !p.is_null(),
        "forkwait: simulator operation outside a simulation"
    );
    // SAFETY: `run` sets the pointer to an `Exec` on its own stack frame for exactly the
    // duration of the execution and clears it before returning; only this thread uses it.
    let exec = unsafe { &*p };
    f(&mut exec.state.borrow_mut())
}

/// The interpreted-source span of the current task, if any (usable from a panic hook:
/// never panics, even if the state is borrowed).
pub(crate) fn current_span() -> Option<SourceSpan> {
    let p = CURRENT.with(|c| c.get());
    if p.is_null() {
        return None;
    }
    // SAFETY: as in `with`.
    let exec = unsafe { &*p };
    let s = exec.state.try_borrow().ok()?;
    s.tasks.get(s.current as usize).and_then(|t| t.span)
}

/// Whether the current execution is being torn down (its suspended tasks are being
/// unwound by the harness): an unwind caught now is the harness's, never the program's.
pub(crate) fn tearing_down_now() -> bool {
    let p = CURRENT.with(|c| c.get());
    if p.is_null() {
        return false;
    }
    // SAFETY: as in `with`.
    let exec = unsafe { &*p };
    exec.state
        .try_borrow()
        .map(|s| s.tearing_down)
        .unwrap_or(false)
}

/// Suspends the current task (its yielder) back to the execution loop.
#[inline]
fn suspend(y: *const TaskYielder) {
    // SAFETY: the yielder lives on the suspended coroutine's own stack for as long as the
    // coroutine runs, and we are running on that coroutine now.
    unsafe { (*y).suspend(()) }
}

#[inline]
pub(crate) fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x0100_0000_01b3).rotate_left(23)
}

impl ExecState {
    pub(crate) fn tearing_down(&self) -> bool {
        self.tearing_down
    }

    /// Where the current task is: its interpreted-source span if it has one, else `site`.
    #[inline]
    fn here(&self, site: Site) -> Where {
        match self.tasks.get(self.current as usize).and_then(|t| t.span) {
            Some(span) => Where::Model(span),
            None => Where::Rust(site),
        }
    }

    /// Sets the interpreted-source position of the current task.
    pub(crate) fn set_span(&mut self, span: Option<SourceSpan>) {
        let cur = self.current as usize;
        if let Some(t) = self.tasks.get_mut(cur) {
            t.span = span;
        }
    }

    fn new_task(&mut self, parent: Option<TaskId>, site: Site, body: Box<dyn FnOnce()>) -> TaskId {
        let id = self.tasks.len() as TaskId;
        let site = if parent.is_some() {
            self.here(site)
        } else {
            Where::Rust(site)
        };
        self.tasks.push(TaskRec {
            phase: Phase::NotStarted,
            parent,
            site,
            span: None,
            has_worker: parent.is_none(),
            body: Some(body),
            coro: None,
            stack_limit: 0,
            yielder: std::ptr::null(),
            waiters: Vec::new(),
            waited: false,
            detached: false,
            panic: None,
            woke_unnotified: false,
            unnotified_wakes: 0,
        });
        self.ready.push(id); // ids only grow: stays sorted
        id
    }

    /// Registers a new instrumented object created by the current task (or `None`:
    /// created outside the execution).
    pub(crate) fn new_object(
        &mut self,
        kind: ObjKind,
        site: Site,
        global: bool,
        class: crate::sync::StateClass,
    ) -> ObjId {
        let id = self.objects.len() as ObjId;
        let site = self.here(site);
        self.objects.push(ObjInfo {
            creator: if global { None } else { Some(self.current) },
            inferred_creator: false,
            site,
            kind,
            class,
            allowed: false,
            owner: None,
            readers: Vec::new(),
            waiters: Vec::new(),
        });
        id
    }

    /// Registers an object made by a `const fn` on its first use, at the Rust `site` where
    /// it was made: created by `creator` if known (it lies on that task's stack), else to
    /// be inferred by the analysis.
    pub(crate) fn new_object_of(
        &mut self,
        kind: ObjKind,
        site: Site,
        creator: Option<TaskId>,
        class: crate::sync::StateClass,
    ) -> ObjId {
        let id = self.new_object(kind, site, false, class);
        let o = &mut self.objects[id as usize];
        o.creator = Some(creator.unwrap_or(0));
        o.inferred_creator = creator.is_none();
        o.site = Where::Rust(site);
        id
    }

    /// The task on whose coroutine stack `addr` lies, if any.
    pub(crate) fn stack_owner(&self, addr: usize) -> Option<TaskId> {
        let size = self.cfg.stack_size;
        self.tasks
            .iter()
            .position(|t| {
                // A finished task's stack may serve a later task: only live ones count.
                t.phase != Phase::Done
                    && t.stack_limit != 0
                    && addr >= t.stack_limit
                    && addr - t.stack_limit < size
            })
            .map(|i| i as TaskId)
    }

    fn record(&mut self, op: Op, site: Where) {
        if matches!(op, Op::Access(..)) {
            self.accessed = true;
        }
        let step = Step {
            task: self.current,
            op,
            site,
        };
        self.watch.note(self.current, &site);
        if self.cfg.log {
            eprintln!(
                "forkwait: step {:>5}  task {:>3}  {:<22} {}",
                self.steps.len() + 1,
                step.task,
                op_text(&step.op),
                site
            );
        }
        let code = match op {
            Op::Start => 1,
            Op::Fork(t) => 2 | (t as u64) << 8,
            Op::Wait(t) => 3 | (t as u64) << 8,
            Op::End => 4,
            Op::Access(o, k) => 5 | (k as u64) << 4 | (o as u64) << 8,
            Op::Yield => 6,
            Op::Joined(t) => 7 | (t as u64) << 8,
            Op::Acquired(o) => 8 | (o as u64) << 8,
        };
        // Start and End are identified by the task (whose fork site the Fork step hashed);
        // task 0's site is wherever the checker was called, which must not matter.
        let (line, col) = match op {
            Op::Start | Op::End => (0, 0),
            _ => site.line_col(),
        };
        self.path_hash = mix(
            self.path_hash,
            code ^ (self.current as u64) << 40 ^ (line as u64) << 20 ^ col as u64,
        );
        self.steps.push(step);
    }

    fn runnable(&self, out: &mut Vec<TaskId>) {
        out.clear();
        let free = self.cfg.workers.is_none_or(|k| self.busy < k);
        match self.cfg.workers {
            None => out.extend_from_slice(&self.ready),
            Some(_) => {
                out.extend(
                    self.ready
                        .iter()
                        .copied()
                        .filter(|&t| free || self.tasks[t as usize].has_worker),
                );
            }
        }
        if self.wakeable.is_empty() {
            return;
        }
        // Blocked tasks whose timeout may expire now, or that may wake spuriously while
        // another task can run, are options too (choosing one wakes it unnotified).
        let others = !out.is_empty();
        let before = out.len();
        for &t in &self.wakeable {
            let rec = &self.tasks[t as usize];
            let Phase::Blocked(Block::On(_, how)) = rec.phase else {
                continue;
            };
            // Bounded per task and execution, so that a correct retry loop (`while !cond
            // { wait }`, `loop { recv_timeout }`) is not driven into a livelock by a
            // strategy that keeps picking the same task: one spurious wakeup and two
            // early timeouts are enough to show a missing re-check. A timeout with nothing
            // else to run always expires (time passes).
            let early = rec.unnotified_wakes;
            let can = match how {
                Wakeable::Timeout => !others || early < MAX_EARLY_TIMEOUTS,
                Wakeable::Spurious => others && early < MAX_SPURIOUS_WAKEUPS,
                Wakeable::Notified => false,
            };
            if can && (free || rec.has_worker) {
                out.push(t);
            }
        }
        if out.len() != before {
            out.sort_unstable();
        }
    }

    /// Picks the task to run next, recording a choice when there is one. `None` when no
    /// task can run (finished, or a deadlock: then `abort` is set).
    fn choose(&mut self) -> Option<TaskId> {
        if self.cfg.max_steps > 0 && self.steps.len() as u64 > self.cfg.max_steps {
            self.abort.get_or_insert(Abort::StepLimit);
            return None;
        }
        if let Some(d) = self.cfg.deadline {
            if self.steps.len() % DEADLINE_EVERY == 0 && std::time::Instant::now() >= d {
                self.abort.get_or_insert(Abort::TimeLimit);
                return None;
            }
        }
        let mut runnable = std::mem::take(&mut self.scratch);
        self.runnable(&mut runnable);
        let picked = match runnable.len() {
            0 => {
                if self.tasks.iter().any(|t| t.phase != Phase::Done) {
                    let abort = self.deadlock();
                    self.abort.get_or_insert(abort);
                }
                None
            }
            1 => Some(runnable[0]),
            n => {
                // A task that just blocked is not preempted by switching away from it
                // (it may still be an option, if wakeable: a timeout that expires at once).
                let running = self.wakeable.is_empty()
                    || !matches!(
                        self.tasks.get(self.current as usize).map(|t| t.phase),
                        Some(Phase::Blocked(_))
                    );
                let current = runnable
                    .binary_search(&self.current)
                    .ok()
                    .filter(|_| running)
                    .map(|i| i as u32);
                // SAFETY: the scheduler outlives the execution (see `run`) and is used
                // only from this thread, never re-entrantly.
                let sched = unsafe { &mut *self.sched };
                match sched.choose(&runnable, current, self.choices.len()) {
                    Ok(i) => {
                        self.choices.push(Choice {
                            index: i as u32,
                            options: n as u32,
                            current,
                        });
                        Some(runnable[i])
                    }
                    Err(msg) => {
                        self.abort.get_or_insert(Abort::Stale(msg));
                        None
                    }
                }
            }
        };
        self.scratch = runnable;
        if let Some(t) = picked {
            if let Phase::Blocked(Block::On(o, _)) = self.tasks[t as usize].phase {
                // A timeout expired, or a spurious wakeup: it leaves the object's waiters.
                self.objects[o as usize].waiters.retain(|&w| w != t);
                self.tasks[t as usize].woke_unnotified = true;
                self.tasks[t as usize].unnotified_wakes += 1;
                self.set_ready(t);
            }
        }
        picked
    }

    fn deadlock(&self) -> Abort {
        // Follow wait-for edges from each blocked task; a revisit closes a cycle.
        let next_of = |t: TaskId| -> Option<TaskId> {
            match self.tasks[t as usize].phase {
                Phase::Blocked(Block::Wait(u)) => Some(u),
                Phase::Blocked(Block::Lock(m)) => {
                    let o = &self.objects[m as usize];
                    o.owner
                        .or_else(|| o.readers.iter().copied().find(|&r| r != t))
                }
                _ => None,
            }
        };
        for start in 0..self.tasks.len() as TaskId {
            if !matches!(self.tasks[start as usize].phase, Phase::Blocked(_)) {
                continue;
            }
            let mut path = vec![start];
            let mut t = start;
            while let Some(u) = next_of(t) {
                if let Some(pos) = path.iter().position(|&p| p == u) {
                    return Abort::Deadlock {
                        cycle: path[pos..].to_vec(),
                        starved: Vec::new(),
                    };
                }
                path.push(u);
                t = u;
            }
        }
        let starved = self
            .ready
            .iter()
            .copied()
            .filter(|&t| !self.tasks[t as usize].has_worker)
            .collect();
        Abort::Deadlock {
            cycle: Vec::new(),
            starved,
        }
    }

    fn set_ready(&mut self, t: TaskId) {
        let rec = &mut self.tasks[t as usize];
        if let Phase::Blocked(b) = rec.phase {
            rec.phase = Phase::Ready;
            if matches!(b, Block::On(_, w) if w != Wakeable::Notified) {
                self.wakeable.retain(|&w| w != t);
            }
            if let Err(i) = self.ready.binary_search(&t) {
                self.ready.insert(i, t);
            }
        }
    }

    fn set_blocked(&mut self, t: TaskId, b: Block) {
        if let Ok(i) = self.ready.binary_search(&t) {
            self.ready.remove(i);
        }
        let policy = self.cfg.policy;
        if matches!(b, Block::On(_, w) if w != Wakeable::Notified) {
            self.wakeable.push(t);
        }
        let rec = &mut self.tasks[t as usize];
        rec.phase = Phase::Blocked(b);
        if matches!(b, Block::Wait(_)) && policy == WaitPolicy::Suspend && t != 0 && rec.has_worker
        {
            rec.has_worker = false;
            self.busy -= 1;
        }
    }

    /// The current task is about to run out of stack: end the execution with a finding
    /// (the task is suspended for good; teardown unwinds it). Returns its yielder.
    fn stack_exhausted(&mut self) -> *const TaskYielder {
        let cur = self.current;
        self.abort.get_or_insert(Abort::StackOverflow(cur));
        self.next = None;
        self.tasks[cur as usize].yielder
    }

    /// After `op` by the current task: picks who runs next. Returns the yielder to
    /// suspend through if the current task must stop running now.
    fn after_point(&mut self) -> Option<*const TaskYielder> {
        let cur = self.current;
        let next = self.choose();
        if next == Some(cur) {
            return None;
        }
        self.next = next;
        Some(self.tasks[cur as usize].yielder)
    }

    fn on_task_end(&mut self, t: TaskId) {
        if let Ok(i) = self.ready.binary_search(&t) {
            self.ready.remove(i);
        }
        let rec = &mut self.tasks[t as usize];
        rec.phase = Phase::Done;
        if rec.has_worker && t != 0 {
            rec.has_worker = false;
            self.busy -= 1;
        }
        let waiters = std::mem::take(&mut self.tasks[t as usize].waiters);
        for w in waiters {
            self.set_ready(w);
        }
        let at = match self.tasks[t as usize].span {
            Some(span) => Where::Model(span),
            None => self.tasks[t as usize].site,
        };
        self.record(Op::End, at);
        self.next = self.choose();
    }
}
