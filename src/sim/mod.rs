//! The deterministic simulator and checker.
//!
//! The same `fork`/`wait` code runs under a seeded scheduler. Tasks are coroutines on one
//! OS thread (`coro.rs`); an execution (`exec/`) runs the closure under test as task 0
//! and stops every task at each *scheduling point* — fork, wait, task end, an access to
//! [`crate::sync`] state, a lock operation, [`yield_now`](crate::yield_now) — where a
//! strategy (`sched/`) picks who runs next. The list of choices is a [`Schedule`],
//! printable as a one-line token (`schedule.rs`) that [`replay`] runs again exactly. The
//! checker (`check/`) runs many executions, compares their outcomes, and reports
//! [`Finding`]s (`report.rs`), each shrunk to a minimal schedule. Instrumented `sync`
//! objects see only `object.rs`, the narrow interface to an execution's objects.
//!
//! ```
//! use forkwait::{check, fork, wait};
//! // Passes: a pure program gives one outcome under every schedule.
//! check(|| {
//!     let a = fork(|| 2);
//!     let b = fork(|| 3);
//!     wait(a) * wait(b)
//! });
//! ```

mod check;
pub(crate) mod coro;
mod exec;
mod hb;
pub(crate) mod object;
mod overflow;
mod persist;
#[cfg(feature = "quickcheck")]
mod quickcheck;
mod report;
mod sched;
mod schedule;
mod watchdog;

pub use self::check::{Checker, Progress, replay};
pub(crate) use self::exec::AccessKind;
pub use self::report::{Coverage, Finding, FindingKind, Outcome, Report};
pub use self::schedule::{Schedule, TOKEN_PREFIX, TokenError};

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

/// How the checker explores schedules.
///
/// ```
/// let s: forkwait::Strategy = "pct:3".parse().unwrap();
/// assert_eq!(s, forkwait::Strategy::Pct { depth: 3 });
/// assert_eq!(s.to_string(), "pct:3");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Uniform among the runnable tasks at each choice.
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) for bugs of
    /// depth `depth`.
    Pct {
        /// The bug depth targeted (number of ordering constraints).
        depth: u32,
    },
    /// Depth-first over the schedules, with dynamic partial-order reduction: schedules
    /// that only reorder independent operations (accesses to different locations, two
    /// reads, forks and ends of tasks that share nothing) run once. With a bound, the
    /// schedules with fewer preemptions get most of the executions (those with none
    /// every other one, those with one every fourth, …), so that a bug needing fewer
    /// preemptions is found first, and a bug needing one is not hidden behind every
    /// order of the tasks that needs none. It runs to its end unless
    /// [`Checker::iterations`] or [`Checker::max_time`] was set. (With
    /// [`Checker::workers`] it is a plain depth-first search over every schedule.)
    Exhaustive {
        /// The most preemptions per schedule (`None`: unbounded).
        max_preemptions: Option<u32>,
    },
    /// Exactly one schedule.
    Replay(Schedule),
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Random => f.write_str("random"),
            Strategy::Pct { depth } => write!(f, "pct:{depth}"),
            Strategy::Exhaustive {
                max_preemptions: None,
            } => f.write_str("exhaustive"),
            Strategy::Exhaustive {
                max_preemptions: Some(k),
            } => write!(f, "exhaustive:{k}"),
            Strategy::Replay(s) => write!(f, "replay:{}", s.to_token()),
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;

    /// `random`, `pct`, `pct:D`, `exhaustive`, `exhaustive:K` (K preemptions).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let num = |a: &str| {
            a.parse::<u32>()
                .map_err(|_| format!("{s:?}: `{a}` is not a number"))
        };
        match (name, arg) {
            ("random", None) => Ok(Strategy::Random),
            ("pct", None) => Ok(Strategy::Pct { depth: 3 }),
            ("pct", Some(a)) => match num(a)? {
                0 => Err(format!("{s:?}: the PCT depth must be at least 1")),
                depth => Ok(Strategy::Pct { depth }),
            },
            ("exhaustive", None) => Ok(Strategy::Exhaustive {
                max_preemptions: None,
            }),
            ("exhaustive", Some(a)) => Ok(Strategy::Exhaustive {
                max_preemptions: Some(num(a)?),
            }),
            ("replay", Some(t)) => Schedule::from_token(t)
                .map(Strategy::Replay)
                .map_err(|e| e.to_string()),
            _ => Err(format!(
                "unknown strategy {s:?}: expected random, pct:D, exhaustive or exhaustive:K"
            )),
        }
    }
}

/// What a task blocked in `wait` does with its worker (see [`Checker::workers`]).
///
/// ```
/// assert_eq!(forkwait::WaitPolicy::default(), forkwait::WaitPolicy::Suspend);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WaitPolicy {
    /// The waiting task frees its worker (TorchScript's interpreter suspends the frame).
    #[default]
    Suspend,
    /// The waiting task holds its worker (PyTorch's Static Runtime blocks the thread), so
    /// nested forks on a small pool can starve.
    Block,
}

/// Checks `f` under the simulator with the settings of the environment
/// ([`Checker::from_env`]) and panics with the report on any finding that is not a warning.
///
/// # Panics
///
/// With the full report: each finding, its task tree and interleaving, and the line that
/// reproduces it: `FORKWAIT_REPLAY=<token> cargo test <test name>`.
///
/// ```
/// forkwait::check(|| {
///     let f = forkwait::fork(|| "pure");
///     forkwait::wait(f).len()
/// });
/// ```
#[track_caller]
pub fn check<T: fmt::Debug>(f: impl Fn() -> T) {
    Checker::from_env().check(f)
}

/// A forked task's body until it runs, then its result: one allocation per fork, shared
/// by the task (its body in the execution's task table) and its future.
///
/// Who may touch `slot` is decided by `state` alone: a side moves the state out of
/// [`BODY`](cell::BODY) or [`DONE`](cell::DONE) by one compare-and-swap, and then owns the
/// slot until it stores the next state (release). No lock, no poisoning: the cell changes
/// hands three times per task (run, finish, take), on the simulator's one thread in
/// practice, but soundly from any.
struct TaskCell<F, T> {
    state: std::sync::atomic::AtomicU8,
    slot: std::cell::UnsafeCell<CellState<F, T>>,
}

mod cell {
    /// The slot holds the body, not started.
    pub(super) const BODY: u8 = 0;
    /// The body is running (the runner owns the slot, which is empty).
    pub(super) const RUNNING: u8 = 1;
    /// The slot holds the result.
    pub(super) const DONE: u8 = 2;
    /// One side is moving the contents out (it owns the slot).
    pub(super) const BUSY: u8 = 3;
    /// The result was taken or the body discarded: nothing left.
    pub(super) const EMPTY: u8 = 4;
}

// SAFETY: the slot is only touched by the side that moved `state` away from `BODY` or
// `DONE` (a compare-and-swap, acquire) until it publishes the next state (release), so
// at most one thread uses it at a time; what moves between threads is `F` and the
// result, hence the bounds (a `Mutex<CellState<F, T>>` has the same ones).
unsafe impl<F: Send, T: Send> Sync for TaskCell<F, T> {}
// SAFETY: as above: the cell owns an `F` or a result, both `Send`.
unsafe impl<F: Send, T: Send> Send for TaskCell<F, T> {}

enum CellState<F, T> {
    /// Not started.
    Body(F),
    Done(std::thread::Result<T>),
    /// Running, taken or discarded.
    Taken,
}

impl<F, T> TaskCell<F, T> {
    fn new(f: F) -> Self {
        TaskCell {
            state: std::sync::atomic::AtomicU8::new(cell::BODY),
            slot: std::cell::UnsafeCell::new(CellState::Body(f)),
        }
    }

    /// Moves the state from `from` to `to` if it is `from`: then the caller owns the slot.
    #[inline]
    fn claim(&self, from: u8, to: u8) -> bool {
        use std::sync::atomic::Ordering;
        self.state
            .compare_exchange(from, to, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the slot's contents (the caller owns the slot: see [`claim`](Self::claim)).
    ///
    /// # Safety
    ///
    /// The caller moved the state to `RUNNING` or `BUSY` and has not published another.
    #[inline]
    unsafe fn take_slot(&self) -> CellState<F, T> {
        // SAFETY: forwarded: the caller owns the slot.
        unsafe { std::mem::replace(&mut *self.slot.get(), CellState::Taken) }
    }

    /// Publishes `state` after the owner filled or emptied the slot.
    #[inline]
    fn publish(&self, state: u8) {
        self.state
            .store(state, std::sync::atomic::Ordering::Release);
    }
}

impl<F: FnOnce() -> T, T> exec::TaskBody for TaskCell<F, T> {
    fn run(&self) {
        if !self.claim(cell::BODY, cell::RUNNING) {
            return;
        }
        // SAFETY: we moved the state to `RUNNING`; nobody else moves it from there.
        let CellState::Body(f) = (unsafe { self.take_slot() }) else {
            return;
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        if let Err(p) = &r {
            // The harness unwinding an aborted execution's task: not the program's panic,
            // and the unwind must reach the coroutine's base.
            if exec::tearing_down_now() {
                let Err(p) = r else { unreachable!() };
                std::panic::resume_unwind(p);
            }
            let (msg, at) = check::take_last_panic(&**p);
            exec::note_panic(msg, at);
        }
        // SAFETY: the state is still `RUNNING` (ours): the slot is ours to fill.
        unsafe { *self.slot.get() = CellState::Done(r) };
        self.publish(cell::DONE);
    }

    fn discard(&self) {
        if !self.claim(cell::BODY, cell::BUSY) {
            return;
        }
        // SAFETY: we moved the state to `BUSY`.
        let old = unsafe { self.take_slot() };
        self.publish(cell::EMPTY);
        drop(old); // the body's captures, after the cell is consistent again
    }
}

/// What a future sees of its task's cell: the result.
trait ResultSlot<T>: Send + Sync {
    /// The result, if the task finished and nobody took it yet.
    fn take(&self) -> Option<std::thread::Result<T>>;
}

impl<F: Send, T: Send> ResultSlot<T> for TaskCell<F, T> {
    fn take(&self) -> Option<std::thread::Result<T>> {
        if !self.claim(cell::DONE, cell::BUSY) {
            return None;
        }
        // SAFETY: we moved the state to `BUSY`.
        let old = unsafe { self.take_slot() };
        self.publish(cell::EMPTY);
        match old {
            CellState::Done(r) => Some(r),
            _ => None,
        }
    }
}

/// A future of a simulated task.
pub(crate) struct SimFuture<T> {
    task: exec::TaskId,
    epoch: u32,
    slot: Arc<dyn ResultSlot<T>>,
}

/// Forks `f` as a simulated task.
#[inline]
pub(crate) fn fork<'a, F, T>(f: F, site: &'static Location<'static>) -> SimFuture<T>
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    let cell = Arc::new(TaskCell::new(f));
    let body: Arc<dyn exec::TaskBody + 'a> = cell.clone();
    let slot: Arc<dyn ResultSlot<T> + 'a> = cell;
    // SAFETY: a simulated task never outlives its execution: `exec::run` drives every task
    // or discards its body before it returns, and scoped forks are joined by their scope
    // first; after that the cell holds no `F`, only the result, whose type the future
    // keeps.
    let body: Arc<dyn exec::TaskBody> = unsafe { std::mem::transmute(body) };
    // SAFETY: as above.
    let slot: Arc<dyn ResultSlot<T>> = unsafe { std::mem::transmute(slot) };
    let (task, epoch) = exec::fork(body, site);
    SimFuture { task, epoch, slot }
}

fn current_epoch() -> u32 {
    exec::with(|s| s.epoch)
}

impl<T> SimFuture<T> {
    /// A second handle on the same task (for scopes).
    pub(crate) fn handle(&self) -> SimFuture<T> {
        SimFuture {
            task: self.task,
            epoch: self.epoch,
            slot: self.slot.clone(),
        }
    }

    fn live(&self) -> bool {
        crate::mode::current() == crate::mode::Context::Sim && current_epoch() == self.epoch
    }

    pub(crate) fn is_done(&self) -> bool {
        self.live() && exec::is_done(self.task)
    }

    #[inline]
    pub(crate) fn join(self, site: &'static Location<'static>) -> std::thread::Result<T> {
        // `live`, with the epoch checked inside the wait's own borrow of the state.
        assert!(
            crate::mode::current() == crate::mode::Context::Sim
                && exec::wait_in(self.task, self.epoch, site),
            "forkwait: a future of a simulated execution was waited outside it"
        );
        self.slot.take().unwrap_or_else(|| {
            // Only while tearing down an aborted execution.
            std::panic::resume_unwind(Box::new("forkwait: execution aborted"))
        })
    }

    /// Takes the result after [`join_ref`](Self::join_ref) (shared futures: once).
    pub(crate) fn take_result(&self) -> std::thread::Result<T> {
        self.slot.take().unwrap_or_else(|| {
            // Only while tearing down an aborted execution.
            std::panic::resume_unwind(Box::new("forkwait: execution aborted"))
        })
    }

    pub(crate) fn detach(self) {
        if self.live() {
            exec::detach(self.task);
        }
    }

    /// Waits without taking the result (scopes).
    pub(crate) fn join_ref(&self, site: &'static Location<'static>) {
        if self.live() {
            exec::wait(self.task, site);
        }
    }

    /// The result if it is an unconsumed panic.
    /// What is left of the result once the scope's tasks are done: its panic; a value
    /// nobody waited is dropped now (it may borrow the scope's `'env`).
    pub(crate) fn take_leftover(&self) -> Option<Box<dyn std::any::Any + Send>> {
        self.slot.take().and_then(Result::err)
    }
}

/// A scheduling point for `yield_now`.
pub(crate) fn yield_now(site: &'static Location<'static>) {
    exec::point(exec::Op::Yield, site);
}

/// Sets (or, `None`, forgets) the interpreted-source position of the current task.
pub(crate) fn set_span(span: Option<crate::span::SourceSpan>) {
    exec::with(|s| s.set_span(span))
}
