//! The vocabulary of an execution: tasks, objects, operations, steps, choices, and why an
//! execution ends early.

use super::{ObjId, Site, TaskId, mix};
use crate::sim::WaitPolicy;
use crate::sim::coro::TaskYielder;
use crate::span::SourceSpan;

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

    pub(crate) fn line_col(&self) -> (u32, u32) {
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
pub(crate) const MAX_SPURIOUS_WAKEUPS: u32 = 1;
/// How many timeouts the scheduler may choose for one task in one execution while other
/// tasks can run (with nothing else to run a timeout always expires).
pub(crate) const MAX_EARLY_TIMEOUTS: u32 = 2;

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
    pub class: crate::state_class::StateClass,
    /// Writes to it are accepted impurity (allow-listed by the program).
    pub allowed: bool,
    /// The holder of a mutex, or the writer holding an rwlock.
    pub(crate) owner: Option<TaskId>,
    /// The readers holding an rwlock.
    pub(crate) readers: Vec<TaskId>,
    /// Tasks blocked on it (on the lock, or for a notification).
    pub(crate) waiters: Vec<TaskId>,
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

/// A forked task's body, shared with its future (see `sim::fork`): run once by the
/// task's coroutine, or discarded by the teardown if the task never started.
pub(crate) trait TaskBody {
    /// Runs the body (once; later calls do nothing).
    fn run(&self);
    /// Drops the body if it never ran.
    fn discard(&self);
}

pub(crate) struct TaskRec {
    pub phase: Phase,
    pub parent: Option<TaskId>,
    /// Where it was forked.
    pub site: Where,
    /// The interpreted-source position it is at, if an interpreter set one.
    pub(crate) span: Option<SourceSpan>,
    pub(crate) has_worker: bool,
    pub(crate) body: Option<std::sync::Arc<dyn TaskBody>>,
    pub(crate) stack_limit: usize,
    pub(crate) yielder: *const TaskYielder,
    pub(crate) waiters: Vec<TaskId>,
    /// Its result was consumed by `wait`.
    pub waited: bool,
    /// Its future was dropped without `wait`.
    pub detached: bool,
    /// The panic message and site, if it panicked (boxed: rare, and the record is moved
    /// on every fork).
    pub panic: Option<Box<(String, String)>>,
    /// Its last block on an object ended without a notification (a timeout or a
    /// spurious wakeup chosen by the scheduler).
    pub(crate) woke_unnotified: bool,
    /// How many of its blocks ended so (see `MAX_SPURIOUS_WAKEUPS`).
    pub(crate) unnotified_wakes: u32,
    /// With `Config::track`: the step that announced the operation it performs when it
    /// next runs (the last scheduling point it reached).
    pub(crate) pending: Option<u32>,
}

/// With `Config::track` (for partial-order reduction): one *segment* of the execution,
/// what one task ran between two scheduling decisions. Its steps are
/// `steps[first_step..]` up to the next segment's `first_step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seg {
    pub first_step: u32,
    pub task: TaskId,
    /// The choice that picked it (`None`: it was the only task that could run).
    pub choice: Option<u32>,
    /// The step that announced the operation it performs first (its task's last
    /// scheduling point), if any.
    pub pending: Option<u32>,
    /// It ended at a scheduling point: its last step is an announcement, performed by
    /// its task's next segment.
    pub ends_at_point: bool,
    /// It ended with its task blocking.
    pub blocked: bool,
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
    /// Keep the segments, wakeups and silent notifications a partial-order reduction
    /// needs ([`Seg`]; off for the other strategies: it costs a push per decision).
    pub track: bool,
}

/// How often (in steps) an execution looks at the clock when it has a deadline.
pub(crate) const DEADLINE_EVERY: usize = 256;
