//! One simulated execution: the task table, the runnable set, scheduling points, and the
//! step and access logs. This file holds the execution's state; `decide.rs` the
//! scheduling decision; `ops.rs` the operations tasks perform at scheduling points (fork,
//! wait, locks, blocking on objects, notifications); `run.rs` the loop that drives an
//! execution and tears it down.
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
//! # What a partial-order reduction sees
//!
//! With `Config::track` (the exhaustive strategy) the execution also keeps its
//! *segments* ([`Seg`]: what one task ran between two scheduling decisions, and which
//! choice started it), the wakeups (which segment woke which task) and the objects a
//! segment touched without a step (a dropped channel end's notification, a timeout, a
//! `try_lock`). None of it changes the steps, the choices or the path hash: a token
//! replays the same under every strategy.
//!
//! # Teardown
//!
//! An execution that ends early (deadlock, step limit, stale schedule) drops its suspended
//! coroutines, which unwinds their stacks; while that happens every simulator operation is
//! a no-op (`tearing_down`), so destructors of user state run without scheduling.

mod accesses;
mod decide;
mod ops;
mod run;
mod types;

pub(crate) use self::accesses::AccessEntry;
pub(crate) use self::ops::*;
pub(crate) use self::run::{Finished, op_text, push_decimal, push_op_text, run};
pub(crate) use self::types::*;

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
    /// The distinct plain accesses so far, for the analysis-skip test (`accesses.rs`).
    pub(crate) accesses: accesses::AccessSet,
    pub objects: Vec<ObjInfo>,
    pub abort: Option<Abort>,
    pub epoch: u32,
    busy: u32,
    cfg: Config,
    /// The configuration allows the plain-point fast path of `choose` (no worker limit,
    /// no tracking, no deadline): set at the start of each execution.
    plain_cfg: bool,
    /// The most steps before the step limit ends the execution (`usize::MAX`: none).
    step_cap: usize,
    sched: *mut dyn Scheduler,
    /// The scheduler's generator if its every choice is a uniform draw from it
    /// ([`Scheduler::uniform_rng`]), else null: a plain point then draws directly.
    rng: *mut crate::sim::sched::SchedRng,
    tearing_down: bool,
    scratch: Vec<TaskId>,
    /// Blocked tasks that may wake without a notification (timeouts, spurious wakeups).
    wakeable: Vec<TaskId>,
    /// What the watchdog sees of this execution.
    watch: std::sync::Arc<crate::sim::watchdog::Slot>,
    /// With `Config::track`: the segments of the execution, in order.
    pub(crate) segs: Vec<Seg>,
    /// With `Config::track`: objects a segment touched without a step (a notification
    /// by a dropped channel end, a timeout leaving the waiters), and whether the touch
    /// was a `try_lock` (its outcome depends on whether the lock was free): (segment,
    /// object, probe).
    pub(crate) touches: Vec<(u32, ObjId, bool)>,
    /// With `Config::track`: wakeups, (the waking segment, the task woken).
    pub(crate) wakes: Vec<(u32, TaskId)>,
    /// The tasks' coroutines, by task id (`None`: not started, or finished). Owned by the
    /// execution loop in `run.rs` while it runs (it takes them out of the state), so that
    /// resuming one borrows nothing and moves nothing; kept here between executions.
    coros: Vec<Option<Coro>>,
    /// Emptied `waiters` lists of earlier executions' tasks, for new tasks to reuse.
    spare_lists: Vec<Vec<TaskId>>,
    /// The closure under test (task 0's body) until task 0 starts.
    main: Option<*mut dyn FnMut()>,
}

/// The execution the current thread is simulating. The state is boxed so that it is
/// reused, buffers and all, by the thread's next execution (see `run.rs`).
pub(crate) struct Exec {
    pub(crate) state: RefCell<Box<ExecState>>,
}

thread_local! {
    static CURRENT: Cell<*const Exec> = const { Cell::new(std::ptr::null()) };
}

/// Whether the current code runs inside a simulated task (not in the harness): its panics
/// are the program's. The execution loop notes it around every resume (`overflow.rs`).
pub(crate) fn in_task() -> bool {
    crate::sim::overflow::in_task()
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

/// [`suspend`], always inlined into its caller: for a yielder a point returned
/// ([`point_decide`]), the current task's own.
#[inline(always)]
pub(crate) fn suspend_task(y: *const TaskYielder) {
    // SAFETY: as in `suspend`: `y` is the running task's yielder (a point returns no
    // other), which lives on this coroutine's stack while it runs.
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

    /// Accepts impure writes to object `id` (allow-listed by its owner).
    pub(crate) fn allow_object(&mut self, id: ObjId) {
        if let Some(o) = self.objects.get_mut(id as usize) {
            o.allowed = true;
        }
    }

    /// Sets the interpreted-source position of the current task.
    pub(crate) fn set_span(&mut self, span: Option<SourceSpan>) {
        let cur = self.current as usize;
        if let Some(t) = self.tasks.get_mut(cur) {
            t.span = span;
        }
    }

    fn new_task(
        &mut self,
        parent: Option<TaskId>,
        site: Site,
        body: Option<std::sync::Arc<dyn TaskBody>>,
    ) -> TaskId {
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
            body,
            stack_limit: 0,
            yielder: std::ptr::null(),
            waiters: self.spare_lists.pop().unwrap_or_default(),
            waited: false,
            detached: false,
            panic: None,
            woke_unnotified: false,
            unnotified_wakes: 0,
            pending: None,
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
        class: crate::state_class::StateClass,
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
        class: crate::state_class::StateClass,
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

    // Always inlined: the body of every scheduling point, and small without the log.
    #[inline(always)]
    fn record(&mut self, op: Op, site: Where) {
        if let Op::Access(o, kind) = op {
            self.accessed = true;
            self.accesses.note(o, kind, &site, self.current);
        }
        let step = Step {
            task: self.current,
            op,
            site,
        };
        self.watch.note(self.current, &site);
        if self.cfg.log {
            self.log_step(&step);
        }
        self.steps.push(step);
    }

    #[cold]
    #[inline(never)]
    fn log_step(&self, step: &Step) {
        eprintln!(
            "forkwait: step {:>5}  task {:>3}  {:<22} {}",
            self.steps.len() + 1,
            step.task,
            op_text(&step.op),
            step.site
        );
    }

    /// The execution's path fingerprint: a hash of every step's task, operation and
    /// source line and column, in order (what a schedule's token carries, so that a replay
    /// can tell a stale schedule). Computed from the step log when asked (rarely: a new
    /// outcome or finding, a replay), not at every step.
    pub(crate) fn path_hash(&self) -> u64 {
        self.steps.iter().fold(0xcbf2_9ce4_8422_2325, |h, step| {
            let code = match step.op {
                Op::Start => 1,
                Op::Fork(t) => 2 | (t as u64) << 8,
                Op::Wait(t) => 3 | (t as u64) << 8,
                Op::End => 4,
                Op::Access(o, k) => 5 | (k as u64) << 4 | (o as u64) << 8,
                Op::Yield => 6,
                Op::Joined(t) => 7 | (t as u64) << 8,
                Op::Acquired(o) => 8 | (o as u64) << 8,
            };
            // Start and End are identified by the task (whose fork site the Fork step
            // hashed); task 0's site is wherever the checker was called, which must not
            // matter.
            let (line, col) = match step.op {
                Op::Start | Op::End => (0, 0),
                _ => step.site.line_col(),
            };
            mix(
                h,
                code ^ (step.task as u64) << 40 ^ (line as u64) << 20 ^ col as u64,
            )
        })
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
    /// suspend through if the current task must stop running now. Always inlined into
    /// the points (with `record` and `choose`'s fast path: one short path per point).
    #[inline(always)]
    fn after_point(&mut self) -> Option<*const TaskYielder> {
        let cur = self.current;
        self.note_point();
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
        // The list goes back to the task emptied, its buffer kept (reused by a later
        // execution's task: see `clear` in `run.rs`).
        let mut waiters = std::mem::take(&mut self.tasks[t as usize].waiters);
        for &w in &waiters {
            self.wake(w);
        }
        waiters.clear();
        self.tasks[t as usize].waiters = waiters;
        let at = match self.tasks[t as usize].span {
            Some(span) => Where::Model(span),
            None => self.tasks[t as usize].site,
        };
        self.record(Op::End, at);
        self.next = self.choose();
    }
}
