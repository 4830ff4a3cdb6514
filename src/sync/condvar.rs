//! `Condvar`, shaped like `std::sync::Condvar`.

use super::guard::GuardSim;
use super::mutex::MutexGuard;
use crate::backend::simulated;
use crate::sim::object::AccessKind;
use crate::sim::object::ObjCell;
use crate::sim::object::{self, ObjKind, Wakeable};
use std::fmt;
use std::panic::Location;
use std::sync::{LockResult, PoisonError};
use std::time::Duration;

/// A condition variable, with the API of [`std::sync::Condvar`].
///
/// On the real runtime it is a `std::sync::Condvar` (a pool worker that waits first lets
/// the pool compensate for its blocked thread). Under the simulator:
///
/// * `wait` releases the mutex and blocks the task in one step, until a `notify_one` or
///   `notify_all` wakes it; it then re-acquires the mutex (a scheduling point);
/// * **spurious wakeups** are scheduling choices: while another task can run, the
///   scheduler may wake a waiter unnotified — so a `wait` not in a loop that re-checks its
///   condition is a bug the checker can find (use [`wait_while`](Condvar::wait_while));
/// * **timeouts** are scheduling choices too: a `wait_timeout` may time out at any point,
///   and does when nothing else can run (time passes);
/// * which waiter `notify_one` wakes is a scheduling choice;
/// * a waiter that no task can ever notify is part of a `Deadlock` finding that names
///   the condvar.
///
/// ```
/// use forkwait::sync::{Arc, Condvar, Mutex};
/// use forkwait::{fork, wait};
///
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = Arc::clone(&pair);
/// let t = fork(move || {
///     let (lock, cvar) = &*pair2;
///     *lock.lock().unwrap() = true;
///     cvar.notify_one();
/// });
/// let (lock, cvar) = &*pair;
/// let started = cvar.wait_while(lock.lock().unwrap(), |started| !*started).unwrap();
/// assert!(*started);
/// drop(started);
/// wait(t);
/// ```
pub struct Condvar {
    obj: ObjCell,
    kind: ObjKind,
    inner: std::sync::Condvar,
}

/// Whether a timed wait on a [`Condvar`] ended because its time ran out (std's
/// `WaitTimeoutResult`, which has no public constructor).
///
/// ```
/// use forkwait::sync::{Condvar, Mutex};
/// use std::time::Duration;
/// let (m, c) = (Mutex::new(()), Condvar::new());
/// let (_g, r) = c.wait_timeout(m.lock().unwrap(), Duration::from_millis(1)).unwrap();
/// assert!(r.timed_out());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because the timeout elapsed.
    ///
    /// ```
    /// # use forkwait::sync::{Condvar, Mutex};
    /// # let (m, c) = (Mutex::new(()), Condvar::new());
    /// let (_g, r) = c.wait_timeout(m.lock().unwrap(), std::time::Duration::ZERO).unwrap();
    /// assert!(r.timed_out());
    /// ```
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A new condition variable (`const`, as std's).
    ///
    /// ```
    /// static CV: forkwait::sync::Condvar = forkwait::sync::Condvar::new();
    /// CV.notify_all(); // nobody waits: nothing happens
    /// ```
    #[inline]
    #[track_caller]
    pub const fn new() -> Condvar {
        Self::of_kind(ObjKind::Condvar, Location::caller())
    }

    /// A condition variable for a `static` (std's `Condvar::new` is `const`; this one is
    /// too, and the condvar is then global state to the simulator).
    ///
    /// ```
    /// use forkwait::sync::{Condvar, Mutex};
    /// static READY: Mutex<bool> = Mutex::new_static(false);
    /// static CV: Condvar = Condvar::new_static();
    /// *READY.lock().unwrap() = true;
    /// CV.notify_all();
    /// ```
    pub const fn new_static() -> Condvar {
        Self::of_kind_static(ObjKind::Condvar)
    }

    pub(super) const fn of_kind_static(kind: ObjKind) -> Condvar {
        Condvar {
            obj: ObjCell::new_const(),
            kind,
            inner: std::sync::Condvar::new(),
        }
    }

    /// A condvar that reports itself as `kind` (a barrier's) in deadlock reports.
    pub(super) const fn of_kind(kind: ObjKind, site: &'static Location<'static>) -> Condvar {
        Condvar {
            obj: ObjCell::new_lazy(site),
            kind,
            inner: std::sync::Condvar::new(),
        }
    }

    /// Releases `guard`'s mutex and blocks until notified, then re-acquires the mutex.
    /// May also wake spuriously: re-check the condition in a loop, or use
    /// [`wait_while`](Condvar::wait_while).
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned when it is re-acquired, `Err` with the guard.
    ///
    /// ```
    /// use forkwait::sync::{Arc, Condvar, Mutex};
    /// let pair = Arc::new((Mutex::new(0), Condvar::new()));
    /// let p = pair.clone();
    /// let t = forkwait::fork(move || {
    ///     *p.0.lock().unwrap() = 1;
    ///     p.1.notify_all();
    /// });
    /// let mut n = pair.0.lock().unwrap();
    /// while *n == 0 {
    ///     n = pair.1.wait(n).unwrap();
    /// }
    /// drop(n);
    /// forkwait::wait(t);
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let site = Location::caller();
        if simulated() {
            self.sim_wait(guard, Wakeable::Spurious, site)
                .map(|(g, _)| g)
                .map_err(|p| PoisonError::new(p.into_inner().0))
        } else {
            let (lock, g, rest) = take_std(guard);
            let r = crate::runtime::blocking(|| self.inner.wait(g));
            rewrap(lock, r, rest)
        }
    }

    /// Blocks while `condition` returns `true` for the protected data (re-checked after
    /// every wakeup, so spurious wakeups are handled).
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned when it is re-acquired, `Err` with the guard.
    ///
    /// ```
    /// use forkwait::sync::{Arc, Condvar, Mutex};
    /// let pair = Arc::new((Mutex::new(true), Condvar::new()));
    /// let p = pair.clone();
    /// let t = forkwait::fork(move || {
    ///     *p.0.lock().unwrap() = false;
    ///     p.1.notify_one();
    /// });
    /// let g = pair.1.wait_while(pair.0.lock().unwrap(), |pending| *pending).unwrap();
    /// assert!(!*g);
    /// drop(g);
    /// forkwait::wait(t);
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        let site = Location::caller();
        while condition(guard.data_unlogged()) {
            guard = if simulated() {
                match self.sim_wait(guard, Wakeable::Spurious, site) {
                    Ok((g, _)) => g,
                    Err(p) => return Err(PoisonError::new(p.into_inner().0)),
                }
            } else {
                let (lock, g, rest) = take_std(guard);
                let r = crate::runtime::blocking(|| self.inner.wait(g));
                rewrap(lock, r, rest)?
            };
        }
        Ok(guard)
    }

    /// Like [`wait`](Condvar::wait), but gives up after `dur`. Under the simulator the
    /// timeout is a scheduling choice: it may expire at any point of the other tasks'
    /// progress, and does when nothing else can run.
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned when it is re-acquired, `Err` with the guard and result.
    ///
    /// ```
    /// use forkwait::sync::{Condvar, Mutex};
    /// use std::time::Duration;
    /// let (m, c) = (Mutex::new(()), Condvar::new());
    /// let (_g, r) = c.wait_timeout(m.lock().unwrap(), Duration::from_millis(1)).unwrap();
    /// assert!(r.timed_out()); // nobody notifies
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let site = Location::caller();
        if simulated() {
            return self.sim_wait(guard, Wakeable::Timeout, site);
        }
        let (lock, g, rest) = take_std(guard);
        let r = crate::runtime::blocking(|| self.inner.wait_timeout(g, dur));
        let (r, timed_out) = match r {
            Ok((g, t)) => (Ok(g), t.timed_out()),
            Err(p) => {
                let (g, t) = p.into_inner();
                (Err(PoisonError::new(g)), t.timed_out())
            }
        };
        match rewrap(lock, r, rest) {
            Ok(g) => Ok((g, WaitTimeoutResult(timed_out))),
            Err(p) => Err(PoisonError::new((
                p.into_inner(),
                WaitTimeoutResult(timed_out),
            ))),
        }
    }

    /// Blocks while `condition` holds, for at most `dur`; the result says whether the
    /// time ran out with the condition still true.
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned when it is re-acquired, `Err` with the guard and result.
    ///
    /// ```
    /// use forkwait::sync::{Condvar, Mutex};
    /// use std::time::Duration;
    /// let (m, c) = (Mutex::new(0), Condvar::new());
    /// let (g, r) = c
    ///     .wait_timeout_while(m.lock().unwrap(), Duration::from_millis(1), |n| *n == 0)
    ///     .unwrap();
    /// assert!(r.timed_out() && *g == 0);
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let site = Location::caller();
        if !simulated() {
            let (lock, g, rest) = take_std(guard);
            let r = crate::runtime::blocking(|| self.inner.wait_timeout_while(g, dur, condition));
            let (r, timed_out) = match r {
                Ok((g, t)) => (Ok(g), t.timed_out()),
                Err(p) => {
                    let (g, t) = p.into_inner();
                    (Err(PoisonError::new(g)), t.timed_out())
                }
            };
            return match rewrap(lock, r, rest) {
                Ok(g) => Ok((g, WaitTimeoutResult(timed_out))),
                Err(p) => Err(PoisonError::new((
                    p.into_inner(),
                    WaitTimeoutResult(timed_out),
                ))),
            };
        }
        loop {
            if !condition(guard.data_unlogged()) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let (g, r) = self.sim_wait(guard, Wakeable::Timeout, site)?;
            guard = g;
            if r.timed_out() {
                // The whole duration has elapsed: a last look at the condition.
                let still = condition(guard.data_unlogged());
                return Ok((guard, WaitTimeoutResult(still)));
            }
        }
    }

    /// Wakes one task waiting on this condvar (under the simulator, which one is a
    /// scheduling choice).
    ///
    /// ```
    /// forkwait::sync::Condvar::new().notify_one();
    /// ```
    #[inline]
    #[track_caller]
    pub fn notify_one(&self) {
        if simulated() {
            self.sim_notify(false, Location::caller());
        } else {
            self.inner.notify_one();
        }
    }

    /// Wakes every task waiting on this condvar.
    ///
    /// ```
    /// forkwait::sync::Condvar::new().notify_all();
    /// ```
    #[inline]
    #[track_caller]
    pub fn notify_all(&self) {
        if simulated() {
            self.sim_notify(true, Location::caller());
        } else {
            self.inner.notify_all();
        }
    }

    fn sim_notify(&self, all: bool, site: &'static Location<'static>) {
        let id = self.obj.access_id(self.kind, AccessKind::Notify, site);
        object::notify(id, all);
    }

    /// The simulated wait: a scheduling point, then release-and-block as one step, then
    /// the re-acquisition.
    #[allow(clippy::type_complexity)]
    fn sim_wait<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        how: Wakeable,
        site: &'static Location<'static>,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let id = self.obj.access_id(self.kind, AccessKind::Wait, site);
        let lock = guard.lock;
        drop(guard);
        let notified = object::block_on(id, how);
        let timed_out = WaitTimeoutResult(how == Wakeable::Timeout && !notified);
        match lock.lock_at(site) {
            Ok(g) => Ok((g, timed_out)),
            Err(p) => Err(PoisonError::new((p.into_inner(), timed_out))),
        }
    }
}

/// What a guard keeps besides std's guard while a real condvar holds the latter.
type Rest = GuardSim;

fn take_std<'a, T>(
    mut guard: MutexGuard<'a, T>,
) -> (&'a super::Mutex<T>, std::sync::MutexGuard<'a, T>, Rest) {
    let g = guard.guard.take().expect("guard present until drop");
    let rest = std::mem::take(&mut guard.sim);
    (guard.lock, g, rest)
}

fn rewrap<'a, T>(
    lock: &'a super::Mutex<T>,
    r: LockResult<std::sync::MutexGuard<'a, T>>,
    rest: Rest,
) -> LockResult<MutexGuard<'a, T>> {
    let make = |g| MutexGuard::from_parts(lock, g, rest);
    match r {
        Ok(g) => Ok(make(g)),
        Err(p) => Err(PoisonError::new(make(p.into_inner()))),
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Self {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
