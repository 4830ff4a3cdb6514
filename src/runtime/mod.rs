//! The real runtime: a parallel pool, eager mode and tracing.
//!
//! Code calls the free functions [`fork`](crate::fork) and [`wait`](crate::wait); *which*
//! runtime serves them is set by context (see [`Runtime::run`], [`trace`](crate::trace)
//! and the simulator), never by changing the code under test.
//!
//! | mode | how it runs | selected by |
//! |---|---|---|
//! | parallel (default) | a work-stealing pool; a waiting worker runs other work | default; [`Runtime::parallel`]; `FORKWAIT_THREADS` |
//! | eager | `fork` runs the function at the fork point | [`Runtime::eager`] |
//! | trace | eager, recording the fork/wait graph | [`trace`](crate::trace) |

mod cache;
pub(crate) mod facade;
pub(crate) mod pool;
pub(crate) mod task;
pub mod trace;

use self::pool::Registry;
pub(crate) use self::pool::blocking;
use crate::mode::{self as context, Context};
use std::any::Any;
use std::panic::Location;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// A runtime to run fork/wait code in: a parallel pool or eager execution.
///
/// ```
/// use forkwait::{fork, wait, Runtime};
///
/// fn sum(v: &[u64]) -> u64 {
///     if v.len() <= 2 {
///         return v.iter().sum();
///     }
///     let (a, b) = v.split_at(v.len() / 2);
///     let b = b.to_vec();
///     let right = fork(move || sum(&b));
///     sum(a) + wait(right)
/// }
///
/// let data: Vec<u64> = (1..=100).collect();
/// let parallel = Runtime::parallel(2).run(|| sum(&data));
/// let eager = Runtime::eager().run(|| sum(&data));
/// assert_eq!(parallel, 5050);
/// assert_eq!(parallel, eager);
/// ```
pub struct Runtime {
    kind: Kind,
}

enum Kind {
    Eager,
    Pool {
        registry: Arc<Registry>,
        handles: Vec<facade::thread::JoinHandle<()>>,
    },
}

impl Runtime {
    /// A pool of `threads` worker threads (at least one). Its threads stop when the
    /// `Runtime` is dropped, after running every queued task (detached ones included).
    ///
    /// ```
    /// let rt = forkwait::Runtime::parallel(1);
    /// // Nested forks never deadlock, even on one thread: a waiting worker runs the
    /// // awaited task itself.
    /// let v = rt.run(|| {
    ///     let outer = forkwait::fork(|| {
    ///         let inner = forkwait::fork(|| 20);
    ///         forkwait::wait(inner) + 1
    ///     });
    ///     forkwait::wait(outer) * 2
    /// });
    /// assert_eq!(v, 42);
    /// ```
    pub fn parallel(threads: usize) -> Runtime {
        Runtime::pool(threads, None)
    }

    /// Like [`parallel`](Runtime::parallel), but every pool thread (the `threads` workers
    /// and any spare thread started while a task blocks) has a stack of `stack_size`
    /// bytes instead of the platform's default (2 MiB for Rust threads). Deeply recursive
    /// tasks need it: a task runs on a worker's stack, and a worker that waits runs other
    /// tasks on top of the waiting one. On 64-bit systems the stack is reserved address
    /// space, committed only as it is used, so hundreds of MiB per thread are cheap. The
    /// size is rounded up by the OS to its minimum and page size.
    ///
    /// ```
    /// use forkwait::{fork, wait, Runtime};
    ///
    /// // A chain of 10 000 tasks, each waiting for the next: on one worker, each nested
    /// // wait runs the awaited task on top of the waiting one.
    /// fn chain(n: u32) -> u32 {
    ///     if n == 0 {
    ///         return 0;
    ///     }
    ///     1 + wait(fork(move || chain(n - 1)))
    /// }
    ///
    /// let rt = Runtime::parallel_with_stack(1, 256 << 20);
    /// assert_eq!(rt.run(|| chain(10_000)), 10_000);
    /// ```
    pub fn parallel_with_stack(threads: usize, stack_size: usize) -> Runtime {
        Runtime::pool(threads, Some(stack_size))
    }

    fn pool(threads: usize, stack_size: Option<usize>) -> Runtime {
        let (registry, handles) = Registry::start(threads, stack_size);
        Runtime {
            kind: Kind::Pool { registry, handles },
        }
    }

    /// Eager execution: `fork` runs the function right there, sequentially, as plain
    /// Python does. Panics are still delivered at `wait`.
    ///
    /// ```
    /// let order = std::sync::Mutex::new(Vec::new());
    /// forkwait::Runtime::eager().run(|| {
    ///     let f = forkwait::fork(|| 1);
    ///     order.lock().unwrap().push("after fork");
    ///     assert!(f.is_done()); // it already ran
    ///     forkwait::wait(f)
    /// });
    /// ```
    pub fn eager() -> Runtime {
        Runtime { kind: Kind::Eager }
    }

    /// The number of worker threads (1 for eager).
    ///
    /// ```
    /// assert_eq!(forkwait::Runtime::parallel(3).threads(), 3);
    /// ```
    pub fn threads(&self) -> usize {
        match &self.kind {
            Kind::Eager => 1,
            Kind::Pool { registry, .. } => registry.threads(),
        }
    }

    /// Runs `f` in this runtime and returns its value: on one of the pool's workers (the
    /// calling thread blocks), or on the calling thread in eager mode.
    ///
    /// # Panics
    ///
    /// If `f` panics, the panic is resumed on the calling thread with its payload.
    ///
    /// ```
    /// let rt = forkwait::Runtime::parallel(2);
    /// let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     rt.run(|| -> i32 { panic!("inside") })
    /// }));
    /// assert_eq!(*r.unwrap_err().downcast::<&str>().unwrap(), "inside");
    /// ```
    #[track_caller]
    pub fn run<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        match &self.kind {
            Kind::Eager => {
                let _g = context::enter(Context::Eager);
                f()
            }
            Kind::Pool { registry, .. } => {
                if registry.is_current() {
                    let _g = context::enter(Context::Pool);
                    return f();
                }
                // SAFETY: the task may borrow from our caller's frame. We block below
                // until it is DONE, and the pool drops its queue entry without touching
                // the closure once claimed; so nothing reachable through it is used after
                // this function returns. (An outside thread has no block cache.)
                let (task, job) = unsafe { task::new_queued(f, Location::caller(), None) };
                registry.inject(job);
                // A worker of another pool blocks here: let its pool compensate, since
                // the task may need work queued behind us there.
                blocking(|| task.header().sleep_until_done());
                match task.take() {
                    Ok(v) => v,
                    Err(p) => std::panic::resume_unwind(p),
                }
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Kind::Pool { registry, handles } = &mut self.kind {
            registry.terminate();
            for h in handles.drain(..) {
                let _ = h.join();
            }
            // Spares start only from pool threads; with every worker joined, the spares
            // (and any spare they started) are the last pool threads.
            registry.join_spares();
        }
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Eager => f.write_str("Runtime::eager()"),
            Kind::Pool { registry, .. } => write!(f, "Runtime::parallel({})", registry.threads()),
        }
    }
}

static GLOBAL: OnceLock<Arc<Registry>> = OnceLock::new();

/// The global pool, if some `fork` already started it.
pub(crate) fn started_global_registry() -> Option<&'static Arc<Registry>> {
    GLOBAL.get()
}

/// The pool used by `fork` outside any runtime, started on first use with
/// `FORKWAIT_THREADS` threads (default: the machine's available parallelism).
pub(crate) fn global_registry() -> &'static Arc<Registry> {
    GLOBAL.get_or_init(|| {
        let n = std::env::var("FORKWAIT_THREADS")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|s| match s.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                // Validated like every FORKWAIT_* variable: a clear error, not ignored.
                _ => panic!("FORKWAIT_THREADS={s:?}: expected a number of threads, at least 1"),
            })
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            });
        // The global pool's threads live for the rest of the process.
        let (registry, handles) = Registry::start(n, None);
        std::mem::forget(handles);
        registry
    })
}

/// Internal, for the loom models in `tests/loom_*.rs` only (built with `--cfg loom`):
/// the crate's `runtime::blocking`, which `forkwait::sync` calls before blocking a thread.
/// Not part of the API.
#[cfg(loom)]
#[doc(hidden)]
pub fn __blocking_for_tests<R>(f: impl FnOnce() -> R) -> R {
    blocking(f)
}

static LOST_PANICS: AtomicU64 = AtomicU64::new(0);

/// The number of panics, since the process started, in tasks whose future was dropped
/// without being waited (in the real runtime: parallel or eager).
///
/// Each one has also been printed once to standard error, naming the task's fork site.
///
/// ```
/// let before = forkwait::lost_panic_count();
/// forkwait::Runtime::eager().run(|| {
///     drop(forkwait::fork(|| -> () { panic!("nobody waits for me") }));
/// });
/// assert_eq!(forkwait::lost_panic_count(), before + 1);
/// ```
pub fn lost_panic_count() -> u64 {
    LOST_PANICS.load(Ordering::Relaxed)
}

pub(crate) fn report_lost_panic(site: &Location<'static>, payload: &(dyn Any + Send)) {
    LOST_PANICS.fetch_add(1, Ordering::Relaxed);
    eprintln!(
        "forkwait: warning: the task forked at {site} panicked ({}) and its future was \
         dropped without `wait`; the panic is lost",
        crate::future::payload_text(payload)
    );
}
