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
