//! Instrumented shared state, shaped like [`std::sync`].
//!
//! Porting std code, or a loom or shuttle test, means changing the imports:
//! `std::sync` → `forkwait::sync` (and `thread::spawn` → [`fork`](crate::fork), `join` →
//! [`wait`](crate::wait), or [`forkwait::thread`](crate::thread), whose `spawn` returns a
//! `JoinHandle`). No `cfg` swap: the same types run
//!
//! * **on the real runtime** at about their std counterparts' cost (they *are* std's
//!   types, plus one thread-local read; a pool worker about to block in one first lets the
//!   pool compensate for the blocked thread, so blocking tasks never starve the pool);
//! * **under the simulator**, where every operation is a scheduling point, logged with its
//!   task, object and `#[track_caller]` location for the race and purity analyses, and
//!   blocking operations block the simulated task — so a lost wakeup or a receive nobody
//!   serves is a `Deadlock` finding that names what each task waits for.
//!
//! | std | here | under the simulator |
//! |---|---|---|
//! | `Mutex`, `MutexGuard` | [`Mutex`], [`MutexGuard`] | lock/unlock are scheduling points; poisoning as std |
//! | `RwLock` and guards | [`RwLock`], [`RwLockReadGuard`], [`RwLockWriteGuard`] | readers share, a writer excludes |
//! | `Condvar`, `WaitTimeoutResult` | [`Condvar`], [`WaitTimeoutResult`] | spurious wakeups, timeouts and which waiter `notify_one` wakes are scheduling choices |
//! | `atomic::*` | [`atomic`] | every ordering runs as `SeqCst` |
//! | `mpsc::*` | [`mpsc`] | a blocked receive or bounded send blocks the task |
//! | `Barrier`, `BarrierWaitResult` | [`Barrier`], [`BarrierWaitResult`] | built on `Mutex` + `Condvar` |
//! | `Once`, `OnceLock`, `LazyLock` | [`Once`], [`OnceLock`], [`LazyLock`] | initialization is a scheduling point |
//! | `Arc`, `Weak`, `LockResult`, `PoisonError`, `TryLockError`, `TryLockResult` | re-exported from std | — |
//!
//! Differences from std, each for a reason:
//!
//!
//! * Nothing about construction: every `new` is `const`, as std's, so statics port
//!   unchanged. Such state is registered with the simulator on its first use: created by
//!   the task on whose stack it lies, or — on the heap, or in a `static` — by the lowest
//!   common ancestor of the tasks that use it (the deepest creator consistent with the
//!   execution, so no false impure write; a write is missed only when the creator never
//!   touches the state and one task's subtree uses it alone). `with_class`, `attribute`
//!   and `global` record the creating task exactly, and `new_static` marks global state.
//! * `WaitTimeoutResult` and `BarrierWaitResult` are this module's own types (std's have
//!   no public constructor); their methods are std's.
//!
//! And forkwait's own additions: [`Shared<T>`], the plain *unsynchronized* cell (a step,
//! not a synchronization), and purity classes on every state-holding type
//! ([`StateClass`]; `with_class`, `attribute`, `global`, `impurity_allowed`). State outside
//! `forkwait::sync` is invisible to the simulator: wrap what tasks share in these types to
//! have it checked.
//!
//! ```
//! use forkwait::sync::atomic::{AtomicUsize, Ordering};
//! use forkwait::sync::{Arc, Mutex, Shared};
//!
//! let hits = Arc::new(AtomicUsize::new(0));
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let (h, l) = (hits.clone(), log.clone());
//! let t = forkwait::fork(move || {
//!     h.fetch_add(1, Ordering::SeqCst);
//!     l.lock().unwrap().push("task");
//! });
//! forkwait::wait(t);
//! assert_eq!(hits.load(Ordering::SeqCst), 1);
//! assert_eq!(*log.lock().unwrap(), vec!["task"]);
//! let cell = Shared::new(5);
//! cell.update(|v| *v += 1);
//! assert_eq!(cell.read(), 6);
//! ```

pub mod atomic;
mod barrier;
mod condvar;
mod guard;
pub mod mpsc;
mod mutex;
mod once;
mod rwlock;
mod shared;

pub use self::barrier::{Barrier, BarrierWaitResult};
pub use self::condvar::{Condvar, WaitTimeoutResult};
pub use self::mutex::{Mutex, MutexGuard};
pub use self::once::{LazyLock, Once, OnceLock};
pub use self::rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use self::shared::Shared;
pub use crate::state_class::StateClass;
pub use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult, Weak};
