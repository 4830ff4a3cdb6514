//! `Mutex<T>`, shaped like `std::sync::Mutex`.

use super::guard::GuardSim;
use crate::backend::simulated;
use crate::sim::object::ObjCell;
use crate::sim::object::{self, ObjId, ObjKind};
use crate::state_class::StateClass;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

type Site = &'static Location<'static>;

/// A mutual-exclusion lock, with the API of [`std::sync::Mutex`].
///
/// On the real runtime it is a `std::sync::Mutex` (a contended `lock` on a pool worker
/// first lets the pool compensate for the blocked thread). Under the simulator the
/// acquisition is a scheduling point, a task that finds the lock held blocks until it is
/// released, and a release happens-before the next acquisition; a task locking a mutex it
/// already holds is a `Deadlock` finding (std would hang or panic).
///
/// Poisoning is std's: a task that panics while holding the guard poisons the mutex, and
/// later `lock` calls return `Err(PoisonError)` whose
/// [`into_inner`](std::sync::PoisonError::into_inner) still gives the guard.
///
/// ```
/// use forkwait::sync::{Arc, Mutex};
/// use forkwait::{fork, wait};
///
/// let total = Arc::new(Mutex::new(0));
/// let tasks: Vec<_> = (1..=3)
///     .map(|i| {
///         let total = Arc::clone(&total);
///         fork(move || *total.lock().unwrap() += i)
///     })
///     .collect();
/// tasks.into_iter().for_each(wait);
/// assert_eq!(*total.lock().unwrap(), 6);
/// ```
pub struct Mutex<T: ?Sized> {
    pub(super) obj: ObjCell,
    pub(super) inner: std::sync::Mutex<T>,
}

/// The guard of a locked [`Mutex`]; the lock is released when it is dropped.
///
/// ```
/// let m = forkwait::sync::Mutex::new(vec![1]);
/// let mut g = m.lock().unwrap();
/// g.push(2);
/// drop(g);
/// assert_eq!(m.lock().unwrap().len(), 2);
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    pub(super) lock: &'a Mutex<T>,
    /// `None` only while a condition variable waits with the lock released.
    pub(super) guard: Option<std::sync::MutexGuard<'a, T>>,
    pub(super) sim: GuardSim,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex (`const`, as std's: it may initialize a `static`).
    ///
    /// Under the simulator it is registered on its first use in an execution: as state
    /// of the task on whose stack it lies, else of the caller (task 0) — so a forked task
    /// writing through it is an impure write (a warning: see
    /// [`Checker::strict_purity`](crate::Checker::strict_purity)). A mutex that is a
    /// module attribute or a global says so with [`Mutex::attribute`] or
    /// [`Mutex::global`].
    ///
    /// ```
    /// static M: forkwait::sync::Mutex<u32> = forkwait::sync::Mutex::new(0);
    /// *M.lock().unwrap() += 1;
    /// let m = forkwait::sync::Mutex::new("v");
    /// assert_eq!(*m.lock().unwrap(), "v");
    /// ```
    #[inline]
    #[track_caller]
    pub const fn new(v: T) -> Self {
        Mutex {
            obj: ObjCell::new_lazy(Location::caller()),
            inner: std::sync::Mutex::new(v),
        }
    }

    /// A new mutex of the given class (see [`StateClass`]).
    ///
    /// ```
    /// use forkwait::sync::{Mutex, StateClass};
    /// let m = Mutex::with_class(0, StateClass::ModuleAttribute);
    /// *m.lock().unwrap() += 1;
    /// assert_eq!(m.class(), StateClass::ModuleAttribute);
    /// ```
    #[inline]
    #[track_caller]
    pub fn with_class(v: T, class: StateClass) -> Self {
        Mutex {
            obj: ObjCell::new(ObjKind::Mutex, Location::caller(), class),
            inner: std::sync::Mutex::new(v),
        }
    }

    /// A new mutex that is a module attribute (a field of a struct whose methods are
    /// forked).
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::attribute(0);
    /// assert_eq!(m.class(), forkwait::sync::StateClass::ModuleAttribute);
    /// ```
    #[inline]
    #[track_caller]
    pub fn attribute(v: T) -> Self {
        Self::with_class(v, StateClass::ModuleAttribute)
    }

    /// A new mutex that is global state.
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::global(0);
    /// assert_eq!(m.class(), forkwait::sync::StateClass::Global);
    /// ```
    #[inline]
    #[track_caller]
    pub fn global(v: T) -> Self {
        Self::with_class(v, StateClass::Global)
    }

    /// A mutex for a `static` (global state to the simulator).
    ///
    /// ```
    /// static M: forkwait::sync::Mutex<u8> = forkwait::sync::Mutex::new_static(0);
    /// *M.lock().unwrap() = 1;
    /// ```
    pub const fn new_static(v: T) -> Self {
        Mutex {
            obj: ObjCell::new_const(),
            inner: std::sync::Mutex::new(v),
        }
    }

    /// [`new_static`](Mutex::new_static) for a primitive's own bookkeeping (impure writes
    /// to it accepted).
    pub(super) const fn new_static_allowed(v: T) -> Self {
        Mutex {
            obj: ObjCell::new_const_allowed(),
            inner: std::sync::Mutex::new(v),
        }
    }

    /// Consumes the mutex and returns the data (`Err` if it is poisoned, with the data).
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::new(3);
    /// assert_eq!(m.into_inner().unwrap(), 3);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Accepts impure writes to the protected data (a metrics counter, say): the purity
    /// analysis stays silent about it.
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::new(0).impurity_allowed();
    /// *m.lock().unwrap() += 1;
    /// ```
    pub fn impurity_allowed(mut self) -> Self
    where
        T: Sized,
    {
        self.obj.allow();
        self
    }

    /// The class of the protected data for the purity analysis.
    ///
    /// ```
    /// use forkwait::sync::{Mutex, StateClass};
    /// assert_eq!(Mutex::new(()).class(), StateClass::Input);
    /// ```
    pub fn class(&self) -> StateClass {
        self.obj.class
    }

    /// Acquires the lock, blocking the task while another task holds it.
    ///
    /// # Errors
    ///
    /// If a task panicked while holding the lock, the mutex is poisoned and this returns
    /// `Err` — the lock is acquired all the same, and the error's
    /// [`into_inner`](std::sync::PoisonError::into_inner) gives the guard.
    ///
    /// # Panics
    ///
    /// On the real runtime, locking a mutex the current thread already holds may panic or
    /// deadlock, as with std. Under the simulator it is reported as a `Deadlock` finding.
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::new(1);
    /// assert_eq!(*m.lock().unwrap(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.lock_at(Location::caller())
    }

    /// [`lock`](Mutex::lock), attributed to `site`.
    #[inline]
    pub(super) fn lock_at(&self, site: Site) -> LockResult<MutexGuard<'_, T>> {
        // Under the simulator the acquisition is a scheduling point first; then std's
        // lock is free (or poisoned). Neither slow path returns a guard, so the fast
        // path's guard stays in registers (merging it with a guard returned by an
        // out-of-line call put it through memory: 3.5x std's cost).
        let sim = if simulated() {
            Some(self.sim_acquire(site))
        } else {
            None
        };
        loop {
            match self.inner.try_lock() {
                Ok(g) => return Ok(self.wrap(g, sim)),
                Err(TryLockError::Poisoned(p)) => {
                    return Err(PoisonError::new(self.wrap(p.into_inner(), sim)));
                }
                Err(TryLockError::WouldBlock) => self.wait_unlocked(),
            }
        }
    }

    /// The simulator's acquisition: a scheduling point, blocking while another task
    /// holds the lock.
    #[cold]
    #[inline(never)]
    fn sim_acquire(&self, site: Site) -> (ObjId, Site) {
        let id = self.obj.resolve(ObjKind::Mutex, site);
        object::lock(id, false, site);
        (id, site)
    }

    /// The real runtime's slow path: blocks (letting the pool compensate) until the lock
    /// was free once; the caller then tries again.
    #[cold]
    #[inline(never)]
    fn wait_unlocked(&self) {
        crate::runtime::blocking(|| drop(self.inner.lock()));
    }

    /// Acquires the lock if it is free, without blocking.
    ///
    /// # Errors
    ///
    /// `TryLockError::WouldBlock` if another task holds it; `TryLockError::Poisoned` if it
    /// is poisoned (acquired all the same).
    ///
    /// ```
    /// use std::sync::TryLockError;
    /// let m = forkwait::sync::Mutex::new(0);
    /// let g = m.try_lock().unwrap();
    /// assert!(matches!(m.try_lock(), Err(TryLockError::WouldBlock)));
    /// drop(g);
    /// assert!(m.try_lock().is_ok());
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let site = Location::caller();
        let sim = if simulated() {
            let id = self.obj.resolve(ObjKind::Mutex, site);
            if !object::try_lock(id, false, site) {
                return Err(TryLockError::WouldBlock);
            }
            Some((id, site))
        } else {
            None
        };
        match self.inner.try_lock() {
            Ok(g) => Ok(self.wrap(g, sim)),
            Err(TryLockError::Poisoned(p)) => Err(TryLockError::Poisoned(PoisonError::new(
                self.wrap(p.into_inner(), sim),
            ))),
            Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
        }
    }

    /// Whether the mutex is poisoned (a task panicked while holding it).
    ///
    /// ```
    /// let m = std::sync::Arc::new(forkwait::sync::Mutex::new(0));
    /// let m2 = m.clone();
    /// let f = forkwait::fork(move || {
    ///     let _g = m2.lock().unwrap();
    ///     panic!("while holding the lock");
    /// });
    /// assert!(f.try_wait().is_err());
    /// assert!(m.is_poisoned());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// Clears the poisoned state.
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::new(0);
    /// m.clear_poison();
    /// assert!(!m.is_poisoned());
    /// ```
    pub fn clear_poison(&self) {
        self.inner.clear_poison()
    }

    /// A mutable reference to the data (no locking needed: the borrow is exclusive).
    ///
    /// ```
    /// let mut m = forkwait::sync::Mutex::new(0);
    /// *m.get_mut().unwrap() = 5;
    /// assert_eq!(*m.lock().unwrap(), 5);
    /// ```
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    #[inline]
    fn wrap<'a>(
        &'a self,
        g: std::sync::MutexGuard<'a, T>,
        sim: Option<(ObjId, Site)>,
    ) -> MutexGuard<'a, T> {
        MutexGuard::from_parts(
            self,
            g,
            GuardSim {
                held: sim,
                wrote: false,
            },
        )
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    #[inline]
    pub(super) fn from_parts(
        lock: &'a Mutex<T>,
        g: std::sync::MutexGuard<'a, T>,
        sim: GuardSim,
    ) -> Self {
        MutexGuard {
            lock,
            guard: Some(g),
            sim,
        }
    }

    /// The data, without logging a write (for conditions evaluated by a condvar wait).
    pub(super) fn data_unlogged(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard present until drop")
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    /// A mutable borrow of the protected data is logged (once per guard) as a write, for
    /// the purity analysis; it is not a scheduling point (the lock already orders it).
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.sim.borrow_mut();
        self.guard.as_mut().expect("guard present until drop")
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if self.sim.held.is_some() {
            let inner = &self.lock.inner;
            let guard = &mut self.guard;
            self.sim
                .release(&mut || drop(guard.take()), &|| inner.is_poisoned(), &|| {
                    inner.clear_poison()
                });
        } else {
            drop(self.guard.take());
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Like std: peek without blocking and without a scheduling point.
        let mut d = f.debug_struct("Mutex");
        match self.inner.try_lock() {
            Ok(g) => d.field("data", &&*g),
            Err(TryLockError::Poisoned(p)) => d.field("data", &&*p.into_inner()),
            Err(TryLockError::WouldBlock) => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.inner.is_poisoned())
            .finish_non_exhaustive()
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(v: T) -> Self {
        Mutex::new(v)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
