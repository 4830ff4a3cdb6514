//! `std::thread`-shaped spawning on top of [`fork`](crate::fork), for ports of std, loom
//! and shuttle code that spawn threads and join them.
//!
//! `forkwait::thread::spawn(f)` is `fork(f)` wrapped in a [`JoinHandle`] whose
//! [`join`](JoinHandle::join) returns `std::thread::Result<T>` (the task's panic payload
//! as `Err`), so `thread::spawn(..).join().unwrap()` ports by changing the import. A task
//! is not an OS thread: thread-locals, names and `thread::current()` are the pool
//! worker's (or, under the simulator, the simulator's).
//!
//! ```
//! use forkwait::sync::{Arc, Mutex};
//! use forkwait::thread;
//!
//! let data = Arc::new(Mutex::new(0));
//! let handles: Vec<_> = (0..3)
//!     .map(|_| {
//!         let data = Arc::clone(&data);
//!         thread::spawn(move || *data.lock().unwrap() += 1)
//!     })
//!     .collect();
//! for h in handles {
//!     h.join().unwrap();
//! }
//! assert_eq!(*data.lock().unwrap(), 3);
//! ```

use crate::Future;

/// Starts a task running `f`, as [`std::thread::spawn`] starts a thread.
///
/// ```
/// let h = forkwait::thread::spawn(|| 6 * 7);
/// assert_eq!(h.join().unwrap(), 42);
/// ```
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    JoinHandle(crate::fork(f))
}

/// A handle to a task started by [`spawn`]; dropping it detaches the task (which still
/// runs to completion, as a detached thread does).
///
/// ```
/// let h = forkwait::thread::spawn(|| -> u8 { panic!("oops") });
/// assert!(h.join().is_err());
/// ```
#[must_use = "dropping a JoinHandle detaches its task"]
pub struct JoinHandle<T>(Future<T>);

impl<T> JoinHandle<T> {
    /// Waits for the task and returns its value, or its panic payload as `Err`.
    ///
    /// # Errors
    ///
    /// The task's panic payload, if it panicked.
    ///
    /// ```
    /// let h = forkwait::thread::spawn(|| "done");
    /// assert_eq!(h.join().unwrap(), "done");
    /// ```
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.0.try_wait().map_err(|p| p.into_payload())
    }

    /// Whether the task has finished.
    ///
    /// ```
    /// let h = forkwait::thread::spawn(|| 1);
    /// let _ = h.is_finished();
    /// assert_eq!(h.join().unwrap(), 1);
    /// ```
    pub fn is_finished(&self) -> bool {
        self.0.is_done()
    }

    /// The underlying future.
    ///
    /// ```
    /// let h = forkwait::thread::spawn(|| 2);
    /// assert_eq!(forkwait::wait(h.into_future()), 2);
    /// ```
    pub fn into_future(self) -> Future<T> {
        self.0
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// Scoped tasks, as [`std::thread::scope`]: every task spawned in the scope is joined
/// before `scope` returns, so tasks may borrow what outlives the scope. Built on
/// [`forkwait::scope`](crate::scope).
///
/// One difference from std: a spawned closure may borrow what lives *outside* the scope
/// call (`'env`), not locals created inside the scope closure itself.
///
/// # Panics
///
/// If a task panicked and its handle was not joined, `scope` panics after joining every
/// task, as std's does.
///
/// ```
/// let mut counts = [0usize; 2];
/// let words = ["fork", "wait", "scope"];
/// forkwait::thread::scope(|s| {
///     let (a, b) = counts.split_at_mut(1);
///     s.spawn(|| a[0] = words.len());
///     let h = s.spawn(|| words.iter().map(|w| w.len()).sum::<usize>());
///     b[0] = h.join().unwrap();
/// });
/// assert_eq!(counts, [3, 13]);
/// ```
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    crate::scope(|inner| f(&Scope { inner }))
}

/// The scope of [`scope`], as `std::thread::Scope`.
///
/// ```
/// forkwait::thread::scope(|s| {
///     let h = s.spawn(|| 1 + 1);
///     assert_eq!(h.join().unwrap(), 2);
/// });
/// ```
pub struct Scope<'scope, 'env: 'scope> {
    inner: &'scope crate::Scope<'env>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a task in the scope, as `std::thread::Scope::spawn`.
    ///
    /// ```
    /// let v = vec![1, 2, 3];
    /// let total = forkwait::thread::scope(|s| s.spawn(|| v.iter().sum::<i32>()).join());
    /// assert_eq!(total.unwrap(), 6);
    /// ```
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'env,
        T: Send + 'env,
    {
        ScopedJoinHandle(self.inner.fork(f))
    }
}

impl std::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

/// A handle to a task spawned in a [`scope`], as `std::thread::ScopedJoinHandle`.
///
/// ```
/// forkwait::thread::scope(|s| {
///     let h = s.spawn(|| -> u8 { panic!("no") });
///     assert!(h.join().is_err());
/// });
/// ```
#[must_use = "an unjoined scoped task is joined when the scope ends"]
pub struct ScopedJoinHandle<'scope, T>(crate::ScopedFuture<'scope, T>);

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the task and returns its value, or its panic payload as `Err`.
    ///
    /// # Errors
    ///
    /// The task's panic payload, if it panicked.
    ///
    /// ```
    /// forkwait::thread::scope(|s| assert_eq!(s.spawn(|| 5).join().unwrap(), 5));
    /// ```
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.0.try_wait().map_err(|p| p.into_payload())
    }

    /// Whether the task has finished.
    ///
    /// ```
    /// forkwait::thread::scope(|s| {
    ///     let h = s.spawn(|| 1);
    ///     let _ = h.is_finished();
    ///     h.join().unwrap();
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.0.is_done()
    }
}

impl<T> std::fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}

/// An explicit scheduling point, as [`std::thread::yield_now`] (see
/// [`forkwait::yield_now`](crate::yield_now)).
///
/// ```
/// forkwait::thread::yield_now();
/// ```
#[track_caller]
pub fn yield_now() {
    crate::yield_now()
}
