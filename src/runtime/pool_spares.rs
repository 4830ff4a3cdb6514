//! Managed blocking: the pool's spare threads for tasks blocked in synchronization
//! primitives (see "Blocking in a task" in `pool.rs`, whose child module this is: the
//! `managed` word, the spares' start, retirement and joining, and [`blocking`]).

use super::{BLOCKED_MASK, MAX_SPARES, Registry, SPARE, WorkerThread};
use crate::runtime::cache::BlockCache;
use crate::runtime::facade;
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;

impl Registry {
    /// After `terminate` and after every worker was joined: joins every spare. A spare
    /// starts only from a pool thread that is inside `blocking`, and its handle is stored
    /// before that thread goes on; so once the list stays empty after joining what it
    /// held, no pool thread is left.
    pub(crate) fn join_spares(&self) {
        loop {
            let handles = std::mem::take(&mut *self.spare_handles.lock().unwrap());
            if handles.is_empty() {
                return;
            }
            for h in handles {
                let _ = h.join();
            }
        }
    }

    /// The number of live spare threads (counted until they decide to exit).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn spares(&self) -> usize {
        self.managed.load(SeqCst) / SPARE
    }

    /// The number of pool threads currently inside `blocking`.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn blocked(&self) -> usize {
        self.managed.load(SeqCst) & BLOCKED_MASK
    }

    /// Counts one more blocked thread and returns whether a spare must be started for it
    /// (already counted), keeping `spares >= blocked` up to `MAX_SPARES`.
    fn enter_blocked(&self) -> bool {
        let mut cur = self.managed.load(SeqCst);
        loop {
            let blocked = cur & BLOCKED_MASK;
            let spares = cur / SPARE;
            // After this thread blocks, `n + spares - (blocked + 1)` threads can run
            // queued work; that is below `n` exactly when `spares <= blocked`.
            let needed = spares <= blocked;
            let start = needed && spares < MAX_SPARES;
            let new = cur + 1 + if start { SPARE } else { 0 };
            match self.managed.compare_exchange(cur, new, SeqCst, SeqCst) {
                Ok(_) => {
                    if needed && !start && !self.spare_bound_warned.swap(true, SeqCst) {
                        eprintln!(
                            "forkwait: warning: {MAX_SPARES} spare threads are running for                              tasks blocked in synchronization primitives; further blocked                              tasks get no compensating thread and the pool may starve"
                        );
                    }
                    return start;
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// A spare that found no work: leaves the pool if it is surplus (`spares > blocked`).
    pub(super) fn try_retire(&self) -> bool {
        let mut cur = self.managed.load(SeqCst);
        loop {
            if cur / SPARE <= cur & BLOCKED_MASK {
                return false;
            }
            match self
                .managed
                .compare_exchange(cur, cur - SPARE, SeqCst, SeqCst)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Starts a spare thread (already counted in `managed`).
    fn start_spare(self: &Arc<Self>) {
        let registry = self.clone();
        let seed = self.managed.load(SeqCst) as u64;
        let name = "forkwait-spare".to_string();
        let spawned = facade::try_spawn(name, self.stack_size, move || {
            let spare = WorkerThread {
                registry,
                index: usize::MAX,
                local: None,
                rng: Cell::new(0xD1B5_4A32_D192_ED03 ^ seed),
                in_blocking: Cell::new(false),
                cache: BlockCache::new(),
            };
            spare.main_loop();
        });
        match spawned {
            Ok(handle) => {
                let mut handles = self.spare_handles.lock().unwrap();
                // Spares that retired are gone: drop their handles, so that a long-lived
                // pool does not accumulate them. (Loom's handles cannot tell; there are
                // few of them in a model.)
                #[cfg(not(loom))]
                handles.retain(|h| !h.is_finished());
                handles.push(handle);
            }
            Err(e) => {
                // No compensation then: undo the count, and wake a sleeper at least.
                self.managed.fetch_sub(SPARE, SeqCst);
                if !self.spare_bound_warned.swap(true, SeqCst) {
                    eprintln!(
                        "forkwait: warning: could not start a spare thread for a blocked                          task ({e}); the pool may starve"
                    );
                }
                self.announce_job();
            }
        }
    }
}

/// Releases a pool thread's `blocked` count when `blocking` ends (also by unwinding).
struct BlockedGuard {
    registry: Arc<Registry>,
}

impl Drop for BlockedGuard {
    fn drop(&mut self) {
        // A spare made surplus by this stays idle for its keep-alive, then retires: no
        // wake-up needed here.
        self.registry.managed.fetch_sub(1, SeqCst);
        WorkerThread::with_current(|w| {
            if let Some(w) = w {
                w.in_blocking.set(false);
            }
        });
    }
}

/// Runs `f`, which may block the current OS thread in a synchronization primitive.
///
/// On a pool thread (context `Pool`), the pool first makes sure that queued tasks keep
/// running while this thread is blocked: it counts the thread as blocked and starts a
/// spare thread if fewer than the pool's size of threads could otherwise run work, or
/// wakes a sleeping one (see "Blocking in a task" above). Elsewhere it just runs `f`.
///
/// Costs a thread-local read outside a pool; on a pool thread a few atomic operations,
/// plus starting a thread when no idle spare is left. Callers only use it after a
/// non-blocking attempt failed.
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    if crate::mode::current() != crate::mode::Context::Pool {
        return f();
    }
    let guard = WorkerThread::with_current(|w| {
        let w = w?;
        if w.in_blocking.replace(true) {
            // Already counted (a task run while helping inside `f` blocks again).
            return None;
        }
        let registry = &w.registry;
        if registry.enter_blocked() {
            registry.start_spare();
        } else {
            // Enough threads exist, but some may sleep: queued work (the blocked
            // thread's own deque included) must be found by one of them.
            registry.announce_job();
        }
        Some(BlockedGuard {
            registry: registry.clone(),
        })
    });
    let r = f();
    drop(guard);
    r
}
