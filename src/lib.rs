//! # forkwait: fork/wait parallelism that can be tested deterministically
//!
//! [`fork`] starts a task and returns a [`Future`] at once; [`wait`] forces its completion
//! and returns the value. The model is `torch.jit.fork` / `torch.jit.wait`: forks nest
//! arbitrarily, arguments are the closure's captures (shared, not copied), a panic in a
//! task is raised at `wait`, and a future that is never waited still runs to completion.
//!
//! ```
//! use forkwait::{fork, wait};
//!
//! fn foo(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! fn bar(a: i64) -> i64 {
//!     // `torch.jit.fork(foo, a, b=2)`: arguments are the closure's captures.
//!     let fut: forkwait::Future<i64> = fork(move || foo(a, 2));
//!     wait(fut)
//! }
//!
//! assert_eq!(bar(2), 4);
//! ```
//!
//! ## Fork tasks execute nondeterministically
//!
//! Only *pure* functions should be forked: functions that modify neither their inputs, nor
//! module attributes, nor global state. The same code runs for real on a thread pool and,
//! in tests, under a seeded deterministic scheduler that explores interleavings.
//!
//! ## Execution modes
//!
//! Which runtime serves `fork`/`wait` is set by context, never by the code under test:
//!
//! | mode | how it runs | selected by |
//! |---|---|---|
//! | parallel (default) | a work-stealing pool; a worker that waits on an unfinished future runs other queued tasks, so nested forks never deadlock, even on one thread | default outside any context (pool sized by `FORKWAIT_THREADS`); [`Runtime::parallel`] |
//! | eager | `fork` runs the function at the fork point (plain-Python semantics) | [`Runtime::eager`] |
//! | trace | eager, and the fork/wait graph is recorded | [`trace()`] |
//! | simulated | deterministic, under a seeded scheduler | [`check`], [`Checker::run`], [`replay`] |
//!
//! ## Testing: the simulator
//!
//! ```
//! use forkwait::{Checker, FindingKind, fork, wait, sync::Shared};
//! use std::sync::Arc;
//!
//! // A lost update: two tasks read-then-write one counter.
//! let report = Checker::new().iterations(200).run(|| {
//!     let n = Arc::new(Shared::new(0));
//!     let tasks: Vec<_> = (0..2)
//!         .map(|_| {
//!             let n = n.clone();
//!             fork(move || n.write(n.read() + 1))
//!         })
//!         .collect();
//!     tasks.into_iter().for_each(wait);
//!     n.read()
//! });
//! assert!(report.has(FindingKind::Nondeterminism));
//! let values: Vec<&str> = report.outcomes().iter().map(|o| o.value.as_str()).collect();
//! assert!(values.contains(&"1") && values.contains(&"2"));
//! ```

#![deny(missing_docs)]

mod backend;
mod future;
pub mod fuzz;
pub mod hooks;
mod mode;
#[cfg(feature = "proptest")]
pub mod proptest;
mod runtime;
mod scope;
mod shared_future;
mod sim;
mod span;
mod state_class;
pub mod sync;
pub mod thread;

pub use crate::future::{Future, TaskPanic};
#[cfg(loom)]
#[doc(hidden)]
pub use crate::runtime::__blocking_for_tests;
pub use crate::runtime::trace::{Graph, Node, NodeKind, trace};
pub use crate::runtime::{Runtime, lost_panic_count};
pub use crate::scope::{Scope, ScopedFuture, scope};
pub use crate::shared_future::SharedFuture;
/// The tokens' format prefix (`fw1:`): an internal kept for compatibility, out of the docs.
#[doc(hidden)]
pub use crate::sim::TOKEN_PREFIX;
pub use crate::sim::{
    Checker, Coverage, Finding, FindingKind, Outcome, Progress, Report, Schedule, Strategy,
    TokenError, WaitPolicy, check, replay,
};

use std::panic::Location;

/// Creates a task running `f` and returns a reference to its result at once.
///
/// The value may not be computed yet: call [`wait`] (or [`Future::wait`]) to force
/// completion. Calls nest arbitrarily; positional and keyword arguments of the TorchScript
/// form are the closure's captures.
///
/// Outside any runtime the task runs on the global pool (started on first use, sized by
/// `FORKWAIT_THREADS` or the machine's parallelism); inside [`Runtime::run`],
/// [`trace()`] or the simulator it runs there.
///
/// # Panics
///
/// `fork` itself does not panic; a panic of `f` is caught and re-raised at `wait`.
///
/// ```
/// // Forking a "module" whose `forward` is the task, as `torch.jit.fork(self.mod, a, b=2)`.
/// struct AddMod;
/// impl AddMod {
///     fn forward(&self, a: i64, b: i64) -> i64 { a + b }
/// }
/// let m = std::sync::Arc::new(AddMod);
/// let m2 = m.clone();
/// let fut = forkwait::fork(move || m2.forward(2, 2));
/// assert_eq!(forkwait::wait(fut), m.forward(2, 2));
/// ```
#[track_caller]
pub fn fork<F, T>(f: F) -> Future<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Future::from_repr(backend::fork(f, Location::caller()))
}

/// Forces completion of `fut` and returns its value (the same as [`Future::wait`]).
///
/// # Panics
///
/// If the task panicked, its panic is resumed here with the original payload.
///
/// ```
/// let f = forkwait::fork(|| vec![1, 2, 3].into_iter().sum::<i32>());
/// assert_eq!(forkwait::wait(f), 6);
///
/// let g = forkwait::fork(|| -> i32 { panic!("bad input") });
/// let err = std::panic::catch_unwind(move || forkwait::wait(g)).unwrap_err();
/// assert_eq!(*err.downcast::<&str>().unwrap(), "bad input");
/// ```
#[inline]
#[track_caller]
pub fn wait<T>(fut: Future<T>) -> T {
    fut.wait()
}

/// An explicit scheduling point: under the simulator another task may run here; on the
/// pool it yields the OS thread; in eager mode it does nothing.
///
/// ```
/// let f = forkwait::fork(|| {
///     forkwait::yield_now();
///     1
/// });
/// assert_eq!(f.wait(), 1);
/// ```
#[track_caller]
pub fn yield_now() {
    backend::yield_now(Location::caller())
}

// Every Rust block of the README is compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
