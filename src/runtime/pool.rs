//! The parallel pool: worker threads with work-stealing deques, and helping waits.
//!
//! Design notes (read with `task.rs`):
//!
//! * **Queues.** Each worker owns a LIFO deque (`crossbeam-deque`); other workers steal
//!   from its far end. Threads outside the pool push into a shared injector. A queue entry
//!   is a [`JobRef`] (one reference to a task) that may already have been claimed by a
//!   waiter; it is skipped.
//! * **Fork then wait.** A fork on a worker takes its task's block from the worker's cache
//!   of free blocks (`cache.rs`) and pushes it on the worker's deque; a wait that pops it
//!   back runs it alone when the future and the popped entry are its only references
//!   (`task.rs`, "Running alone"): the common pair then costs no allocation and no atomic
//!   read-modify-write beyond the deque's own.
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
//! * **Sleeping.** One word holds `jobs_event << 32 | notified << 16 | sleepers`. A
//!   pusher bumps the jobs event with a read-modify-write and learns the number of sleepers
//!   in the same step; a worker about to sleep adds itself with a CAS that fails if any job
//!   was pushed since it last looked. Both sides being RMWs on one word orders them without
//!   fences, so a push can never slip between a worker's last look and its sleep
//!   (model-checked in `tests/loom_pool.rs`). `notified` counts wake-ups sent and not yet
//!   taken: a pusher notifies only while `sleepers > notified`, in the same CAS, and a
//!   sleeper that wakes (for whatever reason) takes itself and one notification off.
//!   Otherwise every push between a notification and the sleeper's waking up — tens of
//!   microseconds, hundreds of forks — sent another one, each a `futex` system call
//!   (measured: pairs forked in bursts after an idle spell cost 5-10x a steady pair).
//!   Rayon avoids the same storm by having the waker count the sleeper off.
//! * **Blocking in a task** (`pool_spares.rs`). A task that blocks its OS thread in a
//!   synchronization primitive (`forkwait::sync`'s condition variables, channels,
//!   barriers) calls [`blocking`] first. The worker is then counted as *blocked* for
//!   the duration, and the pool keeps `spares >= blocked`: if the count of threads that
//!   are not blocked would drop below the pool's size, a *spare* thread is started
//!   (otherwise a sleeper is woken), so that tasks queued behind the blocked one —
//!   typically the one that would wake it — still run. Spares steal from every queue,
//!   put their own forks into the injector, sleep like workers, and exit after
//!   `SPARE_KEEP_ALIVE` idle while surplus (`spares > blocked`), or at shutdown. At
//!   most `MAX_SPARES` spares exist per pool: past that bound a blocking task gets no
//!   compensation (a warning is printed once) and the pool may starve as without this
//!   mechanism. This only cures starvation: a real deadlock of the program (a receive
//!   nobody will ever send to) still hangs in parallel mode — with a spare thread
//!   idling next to it — and the simulator reports it as a `Deadlock`.
//! * **Stacks.** Every pool thread, worker or spare, gets the pool's stack size
//!   (`Runtime::parallel_with_stack`; the platform's default otherwise): a task may run
//!   on any of them, and helping stacks tasks on top of each other, so deep recursion
//!   (an interpreter's fork chain) needs it on all of them. The size is only reserved
//!   address space; the fork/wait paths never look at it.
//! * **Shutdown.** Dropping a `Runtime` sets `terminate` and wakes everyone; workers and
//!   spares drain every queue first, so detached tasks still run to completion, and the
//!   drop joins every worker and every spare. A task blocked forever (a real deadlock)
//!   therefore also blocks the drop, as it did before spares existed: no pool thread is
//!   ever detached.

use super::cache::BlockCache;
use super::facade::deque::{Injector, Steal, Stealer, Worker};
use super::facade::{AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex, fw_thread_local, thread};
use super::task::{self, Handle, Header, JobRef};
use std::cell::Cell;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use std::time::{Duration, Instant};

/// The `counters` word (see "Sleeping" above): sleepers in bits 0-15, notifications sent
/// and not yet taken in bits 16-31, the jobs event counter above (it wraps harmlessly).
const SLEEPER_MASK: u64 = 0xFFFF;
const NOTIFIED: u64 = 1 << 16;
const JOB_EVENT: u64 = 1 << 32;

/// Whether a job announced now should wake a sleeper: one sleeps that no notification
/// already on its way will wake.
#[inline]
fn wants_wake(counters: u64) -> bool {
    counters & SLEEPER_MASK > (counters / NOTIFIED) & SLEEPER_MASK
}

/// The `managed` word: `spares << 16 | blocked`. One word, so that a worker starting to
/// block and a spare deciding to retire are ordered by their CASes and never both act on
/// a stale count (which could leave `spares < blocked`, or retire a needed spare).
const BLOCKED_MASK: usize = 0xFFFF;
const SPARE: usize = 1 << 16;

/// The most spare threads a pool starts (see "Blocking in a task" above). Worker count plus
/// this bound fits the 16-bit sleeper and blocked counts.
pub(crate) const MAX_SPARES: usize = 256;

/// How long a surplus spare stays idle before it exits: reusing a spare is much cheaper
/// than starting a thread when tasks block and unblock in quick succession.
const SPARE_KEEP_ALIVE: Duration = Duration::from_secs(1);

pub(crate) struct Registry {
    injector: Injector<JobRef>,
    stealers: Vec<Stealer<JobRef>>,
    counters: AtomicU64,
    sleep_lock: Mutex<()>,
    sleep_cv: Condvar,
    terminate: AtomicBool,
    threads: usize,
    /// `spares << 16 | blocked` (see [`SPARE`]).
    managed: AtomicUsize,
    /// Spare threads not yet joined (finished ones are pruned when a spare starts).
    spare_handles: Mutex<Vec<thread::JoinHandle<()>>>,
    /// Whether the warning about reaching `MAX_SPARES` was printed.
    spare_bound_warned: AtomicBool,
    /// The stack size of every pool thread, workers and spares (`None`: the default).
    stack_size: Option<usize>,
}

/// The per-thread state of a pool worker.
pub(crate) struct WorkerThread {
    registry: Arc<Registry>,
    index: usize,
    /// The worker's own deque; `None` for a spare. A spare's forks go to the injector:
    /// the stealer list is fixed when the pool starts and read without a lock on every
    /// steal, so giving a short-lived spare a stealable deque would cost a lock (or an
    /// epoch scheme) on every worker's steal path, while a private deque would strand the
    /// spare's forks whenever the spare itself blocks. The injector is already stolen from
    /// by everyone; its cost (a shared FIFO, no LIFO locality) only applies to spares, and
    /// `wait` still claims an awaited task in place wherever it is queued.
    local: Option<Worker<JobRef>>,
    rng: Cell<u64>,
    /// Whether this thread is inside [`blocking`] (counted in `blocked` once).
    in_blocking: Cell<bool>,
    /// Free task blocks (see `cache.rs`); only this thread touches them.
    cache: BlockCache,
}

/// What a worker's `sleep` ended with.
#[derive(PartialEq, Eq)]
enum Slept {
    /// Found work, was woken, timed out, or the pool terminates: look for work again.
    Woken,
    /// A surplus spare left the pool (its `managed` count is already taken off).
    Retired,
}

fw_thread_local! {
    static WORKER: Cell<*const WorkerThread> = const { Cell::new(std::ptr::null()) };
}

impl Registry {
    /// Starts a pool of `n` worker threads (at least 1), each with a stack of
    /// `stack_size` bytes (`None`: the platform's default); spares get the same stack.
    pub(crate) fn start(
        n: usize,
        stack_size: Option<usize>,
    ) -> (Arc<Registry>, Vec<thread::JoinHandle<()>>) {
        let n = n.clamp(1, SLEEPER_MASK as usize - MAX_SPARES);
        let locals: Vec<Worker<JobRef>> = (0..n).map(|_| Worker::new_lifo()).collect();
        let registry = Arc::new(Registry {
            injector: Injector::new(),
            stealers: locals.iter().map(|w| w.stealer()).collect(),
            counters: AtomicU64::new(0),
            sleep_lock: Mutex::new(()),
            sleep_cv: Condvar::new(),
            terminate: AtomicBool::new(false),
            threads: n,
            managed: AtomicUsize::new(0),
            spare_handles: Mutex::new(Vec::new()),
            spare_bound_warned: AtomicBool::new(false),
            stack_size,
        });
        let handles = locals
            .into_iter()
            .enumerate()
            .map(|(index, local)| {
                let registry = registry.clone();
                super::facade::spawn_worker(format!("forkwait-{index}"), stack_size, move || {
                    let worker = WorkerThread {
                        registry,
                        index,
                        local: Some(local),
                        rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1)),
                        in_blocking: Cell::new(false),
                        cache: BlockCache::new(),
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
        let mut cur = self.counters.load(SeqCst);
        let wake = loop {
            let wake = wants_wake(cur);
            let new = cur.wrapping_add(JOB_EVENT) + if wake { NOTIFIED } else { 0 };
            match self.counters.compare_exchange(cur, new, SeqCst, SeqCst) {
                Ok(_) => break wake,
                Err(actual) => cur = actual,
            }
        };
        if wake {
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
        self.counters.fetch_add(JOB_EVENT, SeqCst); // wraps harmlessly
        let _g = self.sleep_lock.lock().unwrap();
        self.sleep_cv.notify_all();
    }
}

fn check_not_below_us(job: &Header) {
    if job.runs_below_us() {
        panic!(
            "forkwait: deadlock: waiting on the task forked at {} from a task that this \
             same thread is running on top of it (a future was passed to a task that the \
             waiting thread picked up while helping); the simulator with \
             `WaitPolicy::Suspend` explores this program without the hazard",
            job.site
        );
    }
}

impl WorkerThread {
    #[inline(always)]
    fn with_current<R>(f: impl FnOnce(Option<&WorkerThread>) -> R) -> R {
        let p = WORKER.with(|c| c.get());
        // SAFETY: the pointer is set by `main_loop` to a `WorkerThread` on its own stack
        // and cleared before that frame ends; only this thread reads it.
        f(unsafe { p.as_ref() })
    }

    fn main_loop(self) {
        WORKER.with(|c| c.set(&self as *const WorkerThread));
        let _ctx = crate::mode::enter(crate::mode::Context::Pool);
        // Since when a spare has found no work.
        let mut idle_since: Option<Instant> = None;
        loop {
            if let Some(job) = self.find_work() {
                idle_since = None;
                job.run_if_queued();
                continue;
            }
            if self.registry.terminate.load(Acquire) {
                if let Some(job) = self.find_work() {
                    job.run_if_queued();
                    continue;
                }
                if self.is_spare() {
                    self.registry.managed.fetch_sub(SPARE, SeqCst);
                }
                break;
            }
            let idle_for = if self.is_spare() {
                idle_since.get_or_insert_with(Instant::now).elapsed()
            } else {
                Duration::ZERO
            };
            if self.sleep(idle_for) == Slept::Retired {
                break;
            }
        }
        WORKER.with(|c| c.set(std::ptr::null()));
    }

    #[inline]
    fn is_spare(&self) -> bool {
        self.local.is_none()
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
        let n = self.registry.stealers.len();
        match &self.local {
            Some(local) => {
                if let Some(j) = local.pop() {
                    return Some(j);
                }
                self.registry
                    .steal_any(self.next_rand() % n, Some(self.index))
            }
            None => self.registry.steal_any(self.next_rand() % n, None),
        }
    }

    /// Idles: spins briefly, then sleeps until a job is announced. Any job found on the
    /// way is run instead. A spare (which has found no work for `idle_for`) sleeps at most
    /// until its keep-alive runs out, and leaves the pool once it has, if it is surplus.
    fn sleep(&self, idle_for: Duration) -> Slept {
        let reg = &*self.registry;
        // Spinning only saves latency; under loom it would multiply the state space.
        const SPINS: usize = if cfg!(loom) { 0 } else { 32 };
        for _ in 0..SPINS {
            thread::yield_now();
            if let Some(j) = self.find_work() {
                j.run_if_queued();
                return Slept::Woken;
            }
        }
        let guard = reg.sleep_lock.lock().unwrap();
        let seen = reg.counters.load(SeqCst);
        if let Some(j) = self.find_work() {
            drop(guard);
            j.run_if_queued();
            return Slept::Woken;
        }
        if reg.terminate.load(Acquire) {
            return Slept::Woken;
        }
        if self.is_spare() {
            // Retire only after looking for work (above, after `seen`). A job announced
            // since then either woke a sleeper, or found every thread awake; retiring
            // keeps `spares >= blocked`, so at least the pool's size of threads that are
            // not blocked remain to find it, as in a pool without spares. Under loom the
            // keep-alive is zero (its timed wait never times out), which also lets the
            // model explore retiring racing with a worker starting to block.
            if (idle_for >= SPARE_KEEP_ALIVE || cfg!(loom)) && reg.try_retire() {
                return Slept::Retired;
            }
        }
        // Become a sleeper only if no job was announced since `seen`.
        if reg
            .counters
            .compare_exchange(seen, seen + 1, SeqCst, SeqCst)
            .is_err()
        {
            return Slept::Woken;
        }
        let guard = if self.is_spare() {
            // At least a millisecond, so that a keep-alive just short of running out does
            // not spin through the sleep protocol.
            let left = SPARE_KEEP_ALIVE.saturating_sub(idle_for);
            let left = left.max(Duration::from_millis(1));
            reg.sleep_cv.wait_timeout(guard, left).unwrap().0
        } else {
            reg.sleep_cv.wait(guard).unwrap()
        };
        // No longer a sleeper, and one notification fewer on its way (ours, or one that
        // will find another sleeper awake already or wake it needlessly: at worst a
        // spare wake-up, never a lost one).
        let mut cur = reg.counters.load(SeqCst);
        loop {
            let taken = if cur & (SLEEPER_MASK * NOTIFIED) != 0 {
                NOTIFIED
            } else {
                0
            };
            match reg
                .counters
                .compare_exchange(cur, cur - 1 - taken, SeqCst, SeqCst)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        drop(guard);
        Slept::Woken
    }
}

/// Runs `f` with the current pool thread's block cache (`None` on other threads).
#[inline]
pub(crate) fn with_cache<R>(f: impl FnOnce(Option<&BlockCache>) -> R) -> R {
    WorkerThread::with_current(|w| f(w.map(|w| &w.cache)))
}

/// Forks `f` onto the current thread's pool: a new task on the current worker's own
/// deque if this thread is a pool worker, otherwise into the global pool's injector.
///
/// # Safety
///
/// As `task::new_queued`: if `F` or `T` borrows, the caller guarantees that the task is
/// `DONE` before anything it borrows goes away.
#[inline]
pub(crate) unsafe fn fork_unchecked<'a, F, T>(
    f: F,
    site: &'static Location<'static>,
) -> Handle<'a, T>
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    WorkerThread::with_current(|w| {
        // SAFETY: the caller's guarantee.
        let (handle, job) = unsafe { task::new_queued(f, site, w.map(|w| &w.cache)) };
        match w {
            Some(w) => w.push(job),
            None => super::global_registry().inject(job),
        }
        handle
    })
}

/// Forks `f` onto the current thread's pool (see [`fork_unchecked`]).
#[inline]
pub(crate) fn fork<F, T>(f: F, site: &'static Location<'static>) -> Handle<'static, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // SAFETY: `F` and `T` borrow nothing.
    unsafe { fork_unchecked(f, site) }
}

impl WorkerThread {
    /// Queues a job forked on this pool thread.
    #[inline]
    fn push(&self, job: JobRef) {
        match &self.local {
            Some(local) => {
                local.push(job);
                // Only wake a sleeper if one sleeps that no notification is already on its
                // way to: this worker runs its own deque anyway (at the latest when it
                // waits), so skipping the RMW loses no job.
                if wants_wake(self.registry.counters.load(SeqCst)) {
                    self.registry.announce_job();
                }
            }
            // A spare has no deque (see `WorkerThread::local`).
            None => self.registry.inject(job),
        }
    }
}

/// Pops the newest entry of this worker's own deque if it is the task `h`.
///
/// Fork-then-wait: the awaited task is usually the newest entry of this worker's own
/// deque. Popping it rather than claiming it in place leaves no dead entry behind (a dead
/// entry keeps the task's memory alive and misleads thieves).
#[inline]
fn pop_if_top(h: &Header) -> Option<JobRef> {
    WorkerThread::with_current(|w| {
        let local = w?.local.as_ref()?;
        let top = local.pop()?;
        if top.is(h) {
            Some(top)
        } else {
            local.push(top); // the same position: LIFO pop then push
            None
        }
    })
}

/// Waits until the task of `handle` is done and takes its result; the common case,
/// fork-then-wait on one worker, runs the task right here without any claim (see
/// "Running alone" in `task.rs`).
#[inline]
pub(crate) fn wait_owned<T>(mut handle: Handle<'_, T>) -> std::thread::Result<T> {
    if !handle.header().is_done() {
        if let Some(top) = pop_if_top(handle.header()) {
            match handle.run_popped(top) {
                Ok(r) => return r,
                Err(h) => handle = h,
            }
        }
        wait_job(handle.job());
    }
    handle.take()
}

/// Waits until `job` is done: claims it if still queued, else helps the current thread's
/// pool (or the global pool) and finally sleeps.
pub(crate) fn wait_job(job: &JobRef) {
    if job.header().is_done() {
        return;
    }
    match pop_if_top(job.header()) {
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
        Some(w) => help_until_done(job.header(), || w.find_work()),
        None => match super::started_global_registry() {
            Some(g) => help_until_done(job.header(), || g.steal_any(0, None)),
            None => help_until_done(job.header(), || None),
        },
    })
}

/// Runs work from `find` until `job` is done; sleeps on the job when there is none.
fn help_until_done(header: &Header, mut find: impl FnMut() -> Option<JobRef>) {
    while !header.is_done() {
        match find() {
            Some(j) => {
                j.run_if_queued();
            }
            None => {
                check_not_below_us(header);
                header.sleep_until_done();
            }
        }
    }
}

#[path = "pool_spares.rs"]
mod spares;
pub(crate) use self::spares::blocking;

#[cfg(all(test, not(loom)))]
#[path = "pool_tests.rs"]
mod tests;
