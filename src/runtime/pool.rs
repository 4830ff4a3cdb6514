//! The parallel pool: worker threads with work-stealing deques, and helping waits.
//!
//! Design notes (read with `task.rs`):
//!
//! * **Queues.** Each worker owns a LIFO deque (`crossbeam-deque`); other workers steal
//!   from its far end. Threads outside the pool push into a shared injector. A queue entry
//!   is an `Arc<dyn Job>` that may already have been claimed by a waiter; it is skipped.
//! * **Helping.** A thread that waits on an unfinished future first claims the awaited
//!   task if it is still queued and runs it inline; otherwise it runs other queued work
//!   until the task is done; only when there is nothing to do does it sleep on the task.
//!   Nested fork/wait therefore never deadlocks, even on one thread.
//! * **Helping hazard.** A helping thread stacks the helped task on top of the waiting
//!   one. If the helped task then waits for a task that is suspended *below it on the same
//!   stack*, neither can ever finish; this is detected (`Header::runs_below_us`) and
//!   reported as a panic naming both fork sites rather than hanging. Only programs that
//!   pass futures between tasks can hit it (TorchScript's interpreter avoids it by
//!   suspending frames; the simulator's `WaitPolicy::Suspend` models that).
//! * **Sleeping.** One word holds `jobs_event << 16 | sleepers`. A pusher bumps the jobs
//!   event with a read-modify-write and learns the number of sleepers in the same step; a
//!   worker about to sleep adds itself with a CAS that fails if any job was pushed since it
//!   last looked. Both sides being RMWs on one word orders them without fences, so a push
//!   can never slip between a worker's last look and its sleep (model-checked in
//!   `tests/loom_pool.rs`).
//! * **Shutdown.** Dropping a `Runtime` sets `terminate` and wakes everyone; workers drain
//!   every queue first, so detached tasks still run to completion.

use super::facade::deque::{Injector, Steal, Stealer, Worker};
use super::facade::{AtomicBool, AtomicUsize, Condvar, Mutex, fw_thread_local, thread};
use super::task::Job;
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};

pub(crate) type JobRef = Arc<dyn Job>;

const SLEEPER_MASK: usize = 0xFFFF;
const JOB_EVENT: usize = 1 << 16;

pub(crate) struct Registry {
    injector: Injector<JobRef>,
    stealers: Vec<Stealer<JobRef>>,
    counters: AtomicUsize,
    sleep_lock: Mutex<()>,
    sleep_cv: Condvar,
    terminate: AtomicBool,
    threads: usize,
}

/// The per-thread state of a pool worker.
pub(crate) struct WorkerThread {
    registry: Arc<Registry>,
    index: usize,
    local: Worker<JobRef>,
    rng: Cell<u64>,
}

fw_thread_local! {
    static WORKER: Cell<*const WorkerThread> = const { Cell::new(std::ptr::null()) };
}

impl Registry {
    /// Starts a pool of `n` worker threads (at least 1).
    pub(crate) fn start(n: usize) -> (Arc<Registry>, Vec<thread::JoinHandle<()>>) {
        let n = n.clamp(1, SLEEPER_MASK);
        let locals: Vec<Worker<JobRef>> = (0..n).map(|_| Worker::new_lifo()).collect();
        let registry = Arc::new(Registry {
            injector: Injector::new(),
            stealers: locals.iter().map(|w| w.stealer()).collect(),
            counters: AtomicUsize::new(0),
            sleep_lock: Mutex::new(()),
            sleep_cv: Condvar::new(),
            terminate: AtomicBool::new(false),
            threads: n,
        });
        let handles = locals
            .into_iter()
            .enumerate()
            .map(|(index, local)| {
                let registry = registry.clone();
                super::facade::spawn_worker(format!("forkwait-{index}"), move || {
                    let worker = WorkerThread {
                        registry,
                        index,
                        local,
                        rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1)),
                    };
                    worker.main_loop();
                })
            })
            .collect();
        (registry, handles)
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Whether the current thread is one of this registry's workers.
    pub(crate) fn is_current(self: &Arc<Self>) -> bool {
        WorkerThread::with_current(|w| w.is_some_and(|w| Arc::ptr_eq(&w.registry, self)))
    }

    fn announce_job(&self) {
        let prev = self.counters.fetch_add(JOB_EVENT, SeqCst);
        if prev & SLEEPER_MASK != 0 {
            let _g = self.sleep_lock.lock().unwrap();
            self.sleep_cv.notify_one();
        }
    }

    /// Pushes a job from a thread that is not one of this pool's workers.
    pub(crate) fn inject(&self, job: JobRef) {
        self.injector.push(job);
        self.announce_job();
    }

    fn steal_from_injector(&self) -> Option<JobRef> {
        loop {
            match self.injector.steal() {
                Steal::Success(j) => return Some(j),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    /// Steals one job from any queue, starting at worker `start`.
    fn steal_any(&self, start: usize, skip: Option<usize>) -> Option<JobRef> {
        if let Some(j) = self.steal_from_injector() {
            return Some(j);
        }
        let n = self.stealers.len();
        for k in 0..n {
            let i = (start + k) % n;
            if Some(i) == skip {
                continue;
            }
            loop {
                match self.stealers[i].steal() {
                    Steal::Success(j) => return Some(j),
                    Steal::Empty => break,
                    Steal::Retry => continue,
                }
            }
        }
        None
    }

    /// Tells the workers to exit once every queue is empty, and wakes them.
    pub(crate) fn terminate(&self) {
        self.terminate.store(true, Release);
        self.counters.fetch_add(JOB_EVENT, SeqCst);
        let _g = self.sleep_lock.lock().unwrap();
        self.sleep_cv.notify_all();
    }
}

fn check_not_below_us(job: &dyn Job) {
    if job.header().runs_below_us() {
        panic!(
            "forkwait: deadlock: waiting on the task forked at {} from a task that this \
             same thread is running on top of it (a future was passed to a task that the \
             waiting thread picked up while helping); the simulator with \
             `WaitPolicy::Suspend` explores this program without the hazard",
            job.header().site
        );
    }
}

impl WorkerThread {
    fn with_current<R>(f: impl FnOnce(Option<&WorkerThread>) -> R) -> R {
        let p = WORKER.with(|c| c.get());
        // SAFETY: the pointer is set by `main_loop` to a `WorkerThread` on its own stack
        // and cleared before that frame ends; only this thread reads it.
        f(unsafe { p.as_ref() })
    }

    fn main_loop(self) {
        WORKER.with(|c| c.set(&self as *const WorkerThread));
        let _ctx = super::context::enter(super::context::Context::Pool);
        loop {
            if let Some(job) = self.find_work() {
                job.run_if_queued();
                continue;
            }
            if self.registry.terminate.load(Acquire) {
                if let Some(job) = self.find_work() {
                    job.run_if_queued();
                    continue;
                }
                break;
            }
            self.sleep();
        }
        WORKER.with(|c| c.set(std::ptr::null()));
    }

    fn next_rand(&self) -> usize {
        // xorshift64: only spreads steal attempts; no simulator decision depends on it.
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        x as usize
    }

    fn find_work(&self) -> Option<JobRef> {
        if let Some(j) = self.local.pop() {
            return Some(j);
        }
        let n = self.registry.stealers.len();
        self.registry
            .steal_any(self.next_rand() % n, Some(self.index))
    }

    /// Idles: spins briefly, then sleeps until a job is announced. Any job found on the
    /// way is run instead.
    fn sleep(&self) {
        let reg = &*self.registry;
        // Spinning only saves latency; under loom it would multiply the state space.
        const SPINS: usize = if cfg!(loom) { 0 } else { 32 };
        for _ in 0..SPINS {
            thread::yield_now();
            if let Some(j) = self.find_work() {
                j.run_if_queued();
                return;
            }
        }
        let guard = reg.sleep_lock.lock().unwrap();
        let seen = reg.counters.load(SeqCst);
        if let Some(j) = self.find_work() {
            drop(guard);
            j.run_if_queued();
            return;
        }
        if reg.terminate.load(Acquire) {
            return;
        }
        // Become a sleeper only if no job was announced since `seen`.
        if reg
            .counters
            .compare_exchange(seen, seen + 1, SeqCst, SeqCst)
            .is_err()
        {
            return;
        }
        let guard = reg.sleep_cv.wait(guard).unwrap();
        reg.counters.fetch_sub(1, SeqCst);
        drop(guard);
    }
}

/// Queues a job: on the current worker's own deque if this thread is a pool worker,
/// otherwise into the global pool's injector.
pub(crate) fn push(job: JobRef) {
    WorkerThread::with_current(|w| match w {
        Some(w) => {
            w.local.push(job);
            // Only wake a sleeper if there is one: this worker runs its own deque anyway
            // (at the latest when it waits), so skipping the RMW loses no job.
            if w.registry.counters.load(SeqCst) & SLEEPER_MASK != 0 {
                w.registry.announce_job();
            }
        }
        None => super::global_registry().inject(job),
    })
}

/// Waits until `job` is done: claims it if still queued, else helps the current thread's
/// pool (or the global pool) and finally sleeps.
pub(crate) fn wait_job(job: &dyn Job) {
    if job.header().is_done() {
        return;
    }
    // Fork-then-wait: the awaited task is usually the newest entry of this worker's own
    // deque. Pop it rather than claim it in place, so no dead entry is left behind (a
    // dead entry keeps the task's memory alive and misleads thieves).
    let popped = WorkerThread::with_current(|w| {
        let w = w?;
        let top = w.local.pop()?;
        if std::ptr::addr_eq(Arc::as_ptr(&top), job as *const dyn Job) {
            Some(top)
        } else {
            w.local.push(top); // the same position: LIFO pop then push
            None
        }
    });
    match popped {
        Some(top) => {
            top.run_if_queued();
        }
        // Otherwise claim it wherever it is queued.
        None => {
            if job.run_if_queued() {
                return;
            }
        }
    }
    // It runs elsewhere: help with other work meanwhile — a worker from its own pool,
    // an outside thread from the global pool (if one was ever started).
    WorkerThread::with_current(|w| match w {
        Some(w) => help_until_done(job, || w.find_work()),
        None => match super::started_global_registry() {
            Some(g) => help_until_done(job, || g.steal_any(0, None)),
            None => help_until_done(job, || None),
        },
    })
}

/// Runs work from `find` until `job` is done; sleeps on the job when there is none.
fn help_until_done(job: &dyn Job, mut find: impl FnMut() -> Option<JobRef>) {
    let header = job.header();
    while !header.is_done() {
        match find() {
            Some(j) => {
                j.run_if_queued();
            }
            None => {
                check_not_below_us(job);
                header.sleep_until_done();
            }
        }
    }
}
