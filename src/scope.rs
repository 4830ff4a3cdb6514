//! Scoped forks: tasks that borrow from the enclosing stack frame.

use crate::backend::{self, Pending};
use crate::future::{Repr, TaskPanic};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, Location};
use std::sync::Mutex;

/// A scope for forks that borrow non-`'static` data; see [`scope`].
pub struct Scope<'env> {
    /// Every task forked in this scope, joined before `scope` returns (which is what
    /// makes the lifetime erasure of pool tasks sound).
    pending: Mutex<Vec<Pending<'env>>>,
    /// The first panic of an eager task whose future was dropped unwaited.
    dropped_panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
    /// Invariant in `'env`, like `std::thread::Scope`.
    _env: PhantomData<&'env mut &'env ()>,
}

/// The future of a task forked in a [`Scope`]; it cannot outlive the scope.
///
/// Dropping it does not detach the task: the scope still waits for it, and re-raises its
/// panic when the scope ends.
#[must_use = "the scope waits for the task anyway; wait it to get its value"]
pub struct ScopedFuture<'scope, T> {
    repr: Option<Repr<'scope, T>>,
    dropped_panic: &'scope Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

/// Runs `f` with a [`Scope`] whose forks may borrow from the caller's stack. Every task
/// forked in the scope has finished when `scope` returns.
///
/// # Panics
///
/// If `f` panics, or a task forked in the scope panicked and its future was not waited,
/// `scope` panics after every task has finished (with the first such payload; `f`'s own
/// panic takes precedence).
///
/// ```
/// let data = vec![1, 2, 3, 4];
/// let (left, right) = data.split_at(2);
/// let total = forkwait::scope(|s| {
///     let l = s.fork(|| left.iter().sum::<i32>());
///     let r = s.fork(|| right.iter().sum::<i32>());
///     s.wait(l) + s.wait(r)
/// });
/// assert_eq!(total, 10);
/// ```
#[track_caller]
pub fn scope<'env, F, R>(f: F) -> R
where
    F: for<'scope> FnOnce(&'scope Scope<'env>) -> R,
{
    let scope = Scope {
        pending: Mutex::new(Vec::new()),
        dropped_panic: Mutex::new(None),
        _env: PhantomData,
    };
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(&scope)));
    // (join_all is #[track_caller]: simulated joins are attributed to the `scope` call.)
    let first_panic = scope.join_all();
    match result {
        Err(p) => std::panic::resume_unwind(p),
        Ok(_) if first_panic.is_some() => std::panic::resume_unwind(first_panic.expect("checked")),
        Ok(v) => v,
    }
}

impl<'env> Scope<'env> {
    /// Forks `f`, which may borrow anything that outlives the scope.
    ///
    /// ```
    /// let mut counts = [0usize; 2];
    /// let words = ["fork", "wait", "scope"];
    /// forkwait::scope(|s| {
    ///     let (a, b) = counts.split_at_mut(1);
    ///     let fa = s.fork(|| a[0] = words.len());
    ///     let fb = s.fork(|| b[0] = words.iter().map(|w| w.len()).sum());
    ///     fa.wait();
    ///     fb.wait();
    /// });
    /// assert_eq!(counts, [3, 13]);
    /// ```
    #[track_caller]
    pub fn fork<'scope, F, T>(&'scope self, f: F) -> ScopedFuture<'scope, T>
    where
        F: FnOnce() -> T + Send + 'env,
        T: Send + 'env,
    {
        let site = Location::caller();
        // `scope` joins every pending task before it returns: what makes a pool task's
        // borrowing of 'env sound (see `backend::fork_scoped`).
        let (repr, pending) = backend::fork_scoped(f, site);
        if let Some(p) = pending {
            self.pending.lock().unwrap().push(p);
        }
        ScopedFuture {
            repr: Some(repr),
            dropped_panic: &self.dropped_panic,
        }
    }

    /// Waits a future of this scope: the same as [`ScopedFuture::wait`].
    ///
    /// # Panics
    ///
    /// Re-raises the task's panic with its original payload.
    ///
    /// ```
    /// let x = 20;
    /// let v = forkwait::scope(|s| {
    ///     let f = s.fork(|| x + 1);
    ///     s.wait(f) * 2
    /// });
    /// assert_eq!(v, 42);
    /// ```
    #[track_caller]
    pub fn wait<T>(&self, fut: ScopedFuture<'_, T>) -> T {
        fut.wait()
    }

    /// Waits for every pending task; returns the first panic nobody consumed.
    #[track_caller]
    fn join_all(&self) -> Option<Box<dyn std::any::Any + Send>> {
        let mut first = self.dropped_panic.lock().unwrap().take();
        let site = Location::caller();
        let mut joined = Vec::new();
        loop {
            // Tasks may fork more scoped tasks while we wait, so drain until empty.
            let batch = std::mem::take(&mut *self.pending.lock().unwrap());
            if batch.is_empty() {
                break;
            }
            for task in &batch {
                task.join(site);
            }
            joined.extend(batch);
        }
        // Every task is done, so every future is waited, dropped or leaked (a future moved
        // into a later task was waited there): what is left of the results is dealt with
        // now, and not when the last reference goes, which may be after `'env` ends.
        for task in &joined {
            if let Some(p) = task.take_leftover() {
                first.get_or_insert(p);
            }
        }
        first
    }
}

impl<'scope, T> ScopedFuture<'scope, T> {
    /// Forces completion and returns the task's value.
    ///
    /// # Panics
    ///
    /// Re-raises the task's panic with its original payload.
    ///
    /// ```
    /// let v = vec![1, 2, 3];
    /// let n = forkwait::scope(|s| s.fork(|| v.len()).wait());
    /// assert_eq!(n, 3);
    /// ```
    #[track_caller]
    pub fn wait(self) -> T {
        match self.try_wait() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p.into_payload()),
        }
    }

    /// Forces completion and returns the value or the task's panic.
    ///
    /// ```
    /// let r = forkwait::scope(|s| s.fork(|| -> () { panic!("no") }).try_wait());
    /// assert_eq!(r.unwrap_err().message(), Some("no"));
    /// ```
    #[track_caller]
    pub fn try_wait(mut self) -> Result<T, TaskPanic> {
        let site = Location::caller();
        let repr = self.repr.take().expect("forkwait: future already consumed");
        repr.join(site).map_err(TaskPanic::new)
    }

    /// Whether the task has finished.
    ///
    /// ```
    /// forkwait::scope(|s| {
    ///     let f = s.fork(|| 1);
    ///     let _ = f.is_done(); // may be either
    ///     assert_eq!(f.wait(), 1);
    /// });
    /// ```
    pub fn is_done(&self) -> bool {
        self.repr.as_ref().is_some_and(|r| r.is_done())
    }
}

impl<T> Drop for ScopedFuture<'_, T> {
    fn drop(&mut self) {
        // An eager result dropped unwaited: its panic is re-raised when the scope ends,
        // as a pool task's is.
        if let Some(Repr::Ready {
            result: Some(Err(p)),
            ..
        }) = self.repr.take()
        {
            self.dropped_panic.lock().unwrap().get_or_insert(p);
        }
    }
}

impl<T> std::fmt::Debug for ScopedFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedFuture")
            .field("done", &self.is_done())
            .finish()
    }
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}
