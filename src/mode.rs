//! Which backend serves `fork`/`wait` on this thread: the one switch between the
//! runtime (pool, eager, trace) and the simulator, below both (neither names the other).
//!
//! The code under test never names a runtime: `Runtime::run`, `trace` and the simulator
//! set this thread-local for the extent of a call (restored on exit, also by unwinding),
//! and the free functions dispatch on it. Each mode keeps its own state in its own
//! thread-local; this is only the switch.

use crate::runtime::facade::fw_thread_local;
use std::cell::Cell;

/// The execution mode of the current thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// Outside any runtime: the lazily started global pool.
    Default,
    /// On a worker of a pool (the pool is found through the worker's thread-local).
    Pool,
    /// Fork runs the function at the fork point.
    Eager,
    /// Eager, and fork/wait are recorded into the current trace graph.
    Trace,
    /// Under the deterministic simulator.
    #[allow(dead_code)] // entered by the simulator (src/sim)
    Sim,
}

fw_thread_local! {
    static CURRENT: Cell<Context> = const { Cell::new(Context::Default) };
}

/// The current thread's mode.
#[inline]
pub(crate) fn current() -> Context {
    CURRENT.with(|c| c.get())
}

/// Restores the previous mode when dropped.
pub(crate) struct Guard {
    prev: Context,
}

/// Sets the current thread's mode until the guard is dropped.
pub(crate) fn enter(ctx: Context) -> Guard {
    let prev = CURRENT.with(|c| c.replace(ctx));
    Guard { prev }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let prev = self.prev;
        CURRENT.with(|c| c.set(prev));
    }
}
