//! A pool task: one allocation holding the closure, its result and a state word.
//!
//! # The state word
//!
//! ```text
//!   bit 0..1  phase: QUEUED -> RUNNING -> DONE   (only ever advances)
//!   bit 2     WAITING   a thread sleeps until DONE (completion must unpark it)
//!   bit 3     DETACHED  the future was dropped unwaited (a panic is then "lost")
//! ```
//!
//! A task sits in some queue *and* is referenced by its future. Whoever moves the phase
//! from `QUEUED` to `RUNNING` with a CAS — a worker that popped it, or a waiter that wants
//! its value — runs it; a queue entry whose CAS fails is simply skipped. That is how a
//! waiter "prefers the awaited task itself if it is still queued" in O(1), wherever the
//! task is in whichever queue.
//!
//! The closure cell is touched only by the thread that won the claim; the result cell is
//! written by the runner before `DONE` is published (release) and read by whoever observes
//! `DONE` (acquire): the single waiter, or — when the future was dropped — whichever of
//! the completer and the dropper sets its bit second (see [`Header::detach`]).

use super::facade::{AtomicUsize, Mutex, UnsafeCell, thread};
use std::any::Any;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Arc;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

pub(crate) const QUEUED: usize = 0;
pub(crate) const RUNNING: usize = 1;
pub(crate) const DONE: usize = 2;
const PHASE: usize = 0b11;
const WAITING: usize = 1 << 2;
const DETACHED: usize = 1 << 3;

/// The payload of a panic, as `std::panic::catch_unwind` returns it.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

/// The type-erased part of a task: what queues, waiters and scopes need.
pub(crate) struct Header {
    state: AtomicUsize,
    waiters: Mutex<Vec<thread::Thread>>,
    /// Identity of the thread running the task (see `current_thread_id`), 0 if none.
    runner: AtomicUsize,
    pub(crate) site: &'static Location<'static>,
}

impl Header {
    fn new(site: &'static Location<'static>) -> Self {
        Header {
            state: AtomicUsize::new(QUEUED),
            waiters: Mutex::new(Vec::new()),
            runner: AtomicUsize::new(0),
            site,
        }
    }

    #[inline]
    pub(crate) fn phase(&self) -> usize {
        self.state.load(Acquire) & PHASE
    }

    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.phase() == DONE
    }

    /// Whether the thread running this task is the current one (so the task is suspended
    /// below us on this very stack, and waiting for it here can never finish).
    pub(crate) fn runs_below_us(&self) -> bool {
        self.phase() == RUNNING && self.runner.load(Relaxed) == current_thread_id()
    }

    /// Blocks the current thread until the task is done. The caller has already helped as
    /// much as it could; this is the slow path.
    pub(crate) fn sleep_until_done(&self) {
        {
            let mut ws = self.waiters.lock().unwrap();
            if self.is_done() {
                return;
            }
            ws.push(thread::current());
            let prev = self.state.fetch_or(WAITING, AcqRel);
            if prev & PHASE == DONE {
                return;
            }
        }
        while !self.is_done() {
            thread::park();
        }
    }

    /// Publishes `DONE` and wakes sleeping waiters. Returns the previous state bits.
    fn complete(&self) -> usize {
        // RUNNING (1) -> DONE (2); the flag bits above the phase are untouched.
        let prev = self.state.fetch_add(DONE - RUNNING, AcqRel);
        debug_assert_eq!(prev & PHASE, RUNNING);
        if prev & WAITING != 0 {
            let mut ws = self.waiters.lock().unwrap();
            for w in ws.drain(..) {
                w.unpark();
            }
        }
        prev
    }
}

/// A queued unit of work.
pub(crate) trait Job: Send + Sync {
    fn header(&self) -> &Header;
    /// Runs the task if this call wins the claim; returns whether it ran.
    fn run_if_queued(&self) -> bool;
    /// After `DONE`, with no future left to consume it: takes a panic payload if the
    /// result is an unconsumed panic (used by scopes).
    fn take_unclaimed_panic(&self) -> Option<Payload>;
}

/// A job whose result can be taken as a `T`.
pub(crate) trait Handle<T>: Job {
    fn as_job(&self) -> &dyn Job;
    /// Takes the result. Precondition: `DONE` was observed and nobody took it yet.
    fn take(&self) -> std::thread::Result<T>;
    /// Marks the future dropped. Returns a panic payload the caller must report as lost,
    /// if the task already finished with a panic.
    fn detach(&self) -> Option<Payload>;
}

pub(crate) struct Task<F, T> {
    header: Header,
    func: UnsafeCell<Option<F>>,
    result: UnsafeCell<Option<std::thread::Result<T>>>,
}

// SAFETY: `func` is accessed only by the single thread that wins the QUEUED->RUNNING CAS;
// `result` is written by that thread before the release `fetch_or(DONE)` and read only
// after an acquire load observes DONE, by the one consumer the state bits designate (the
// owner of the future, the scope after every future is gone, or the one of completer and
// dropper that sets its bit second). `F: Send` and `T: Send` make moving them across that
// hand-off sound.
unsafe impl<F: Send, T: Send> Sync for Task<F, T> {}

impl<F, T> Task<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    pub(crate) fn new(f: F, site: &'static Location<'static>) -> Arc<Self> {
        Arc::new(Task {
            header: Header::new(site),
            func: UnsafeCell::new(Some(f)),
            result: UnsafeCell::new(None),
        })
    }

    /// QUEUED -> RUNNING, keeping the flag bits (a waiter may already sleep on it, or the
    /// future may have been dropped, while the task is still queued).
    fn claim(&self) -> bool {
        let mut cur = self.header.state.load(Relaxed);
        while cur & PHASE == QUEUED {
            match self
                .header
                .state
                .compare_exchange_weak(cur, cur | RUNNING, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
        false
    }

    fn execute(&self) {
        // Only the claiming thread writes `runner` (a task runs once): plain stores.
        self.header.runner.store(current_thread_id(), Relaxed);
        // SAFETY: we won the claim (see the `Sync` impl); nobody else touches `func`.
        let f = self.func.with_mut(|p| unsafe { (*p).take() });
        let f = f.expect("forkwait: task claimed twice");
        let r = panic::catch_unwind(AssertUnwindSafe(f));
        // SAFETY: only the runner writes `result`, before DONE is published.
        self.result.with_mut(|p| unsafe { *p = Some(r) });
        self.header.runner.store(0, Relaxed);
        let prev = self.header.complete();
        if prev & DETACHED != 0 {
            // The future was dropped before we finished: we are the last to look.
            if let Some(payload) = self.take_if_panic() {
                // `&*payload`: the payload itself, not the box (whose downcast to a
                // message would fail).
                super::report_lost_panic(self.header.site, &*payload);
            }
        }
    }

    fn take_if_panic(&self) -> Option<Payload> {
        // SAFETY: called only by the designated last consumer after DONE (see `Sync`).
        self.result.with_mut(|p| unsafe {
            match (*p).take() {
                Some(Err(payload)) => Some(payload),
                other => {
                    *p = other;
                    None
                }
            }
        })
    }
}

impl<F, T> Job for Task<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    #[inline]
    fn header(&self) -> &Header {
        &self.header
    }

    fn run_if_queued(&self) -> bool {
        if self.claim() {
            self.execute();
            true
        } else {
            false
        }
    }

    fn take_unclaimed_panic(&self) -> Option<Payload> {
        // A result consumed by `wait` has left the slot: nothing to take then.
        self.take_if_panic()
    }
}

impl<F, T> Handle<T> for Task<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    fn as_job(&self) -> &dyn Job {
        self
    }

    fn take(&self) -> std::thread::Result<T> {
        debug_assert!(self.header.is_done());
        // SAFETY: DONE observed with acquire by the future's owner, the only consumer.
        self.result
            .with_mut(|p| unsafe { (*p).take() })
            .expect("forkwait: task result taken twice")
    }

    fn detach(&self) -> Option<Payload> {
        let prev = self.header.state.fetch_or(DETACHED, AcqRel);
        if prev & PHASE == DONE {
            // The task finished first: we are the last to look.
            self.take_if_panic()
        } else {
            None
        }
    }
}

/// A small integer naming the current thread, stable for its lifetime and never 0.
pub(crate) fn current_thread_id() -> usize {
    super::facade::fw_thread_local! {
        static ID: u8 = const { 0 };
    }
    ID.with(|b| b as *const u8 as usize)
}
