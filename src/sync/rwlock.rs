//! `RwLock<T>`, shaped like `std::sync::RwLock`.

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

/// A reader-writer lock, with the API of [`std::sync::RwLock`].
///
/// Many readers or one writer. Under the simulator each acquisition is a scheduling
/// point; readers share the lock, a writer excludes everyone; a release happens-before the
/// next acquisition. Poisoning is std's: a writer that panics poisons the lock.
///
/// ```
/// use forkwait::sync::{Arc, RwLock};
/// use forkwait::{fork, wait};
///
/// let config = Arc::new(RwLock::new(vec![1, 2]));
/// let c = Arc::clone(&config);
/// let reader = fork(move || c.read().unwrap().len());
/// assert_eq!(wait(reader), 2);
/// config.write().unwrap().push(3);
/// assert_eq!(config.read().unwrap().len(), 3);
/// ```
pub struct RwLock<T: ?Sized> {
    obj: ObjCell,
    inner: std::sync::RwLock<T>,
}

/// Shared read access to an [`RwLock`]'s data, released when dropped.
///
/// ```
/// let l = forkwait::sync::RwLock::new(5);
/// let (a, b) = (l.read().unwrap(), l.read().unwrap());
/// assert_eq!(*a + *b, 10);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    guard: Option<std::sync::RwLockReadGuard<'a, T>>,
    sim: Option<(ObjId, Site)>,
}

/// Exclusive write access to an [`RwLock`]'s data, released when dropped.
///
/// ```
/// let l = forkwait::sync::RwLock::new(5);
/// *l.write().unwrap() += 1;
/// assert_eq!(*l.read().unwrap(), 6);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    lock: &'a RwLock<T>,
    guard: Option<std::sync::RwLockWriteGuard<'a, T>>,
    sim: GuardSim,
}

impl<T> RwLock<T> {
    /// A new unlocked `RwLock` (`const`, as std's; registered with the simulator on first
    /// use, as [`Mutex::new`](super::Mutex::new) is).
    ///
    /// ```
    /// static L: forkwait::sync::RwLock<u8> = forkwait::sync::RwLock::new(0);
    /// assert_eq!(*L.read().unwrap(), 0);
    /// ```
    #[inline]
    #[track_caller]
    pub const fn new(v: T) -> Self {
        RwLock {
            obj: ObjCell::new_lazy(Location::caller()),
            inner: std::sync::RwLock::new(v),
        }
    }

    /// A new `RwLock` of the given class (see [`StateClass`]).
    ///
    /// ```
    /// use forkwait::sync::{RwLock, StateClass};
    /// assert_eq!(RwLock::with_class(0, StateClass::Global).class(), StateClass::Global);
    /// ```
    #[inline]
    #[track_caller]
    pub fn with_class(v: T, class: StateClass) -> Self {
        RwLock {
            obj: ObjCell::new(ObjKind::RwLock, Location::caller(), class),
            inner: std::sync::RwLock::new(v),
        }
    }

    /// A new `RwLock` that is a module attribute.
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::attribute(0);
    /// assert_eq!(l.class(), forkwait::sync::StateClass::ModuleAttribute);
    /// ```
    #[inline]
    #[track_caller]
    pub fn attribute(v: T) -> Self {
        Self::with_class(v, StateClass::ModuleAttribute)
    }

    /// A new `RwLock` that is global state.
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::global(0);
    /// assert_eq!(l.class(), forkwait::sync::StateClass::Global);
    /// ```
    #[inline]
    #[track_caller]
    pub fn global(v: T) -> Self {
        Self::with_class(v, StateClass::Global)
    }

    /// An `RwLock` for a `static` (global state to the simulator).
    ///
    /// ```
    /// static L: forkwait::sync::RwLock<u8> = forkwait::sync::RwLock::new_static(1);
    /// assert_eq!(*L.read().unwrap(), 1);
    /// ```
    pub const fn new_static(v: T) -> Self {
        RwLock {
            obj: ObjCell::new_const(),
            inner: std::sync::RwLock::new(v),
        }
    }

    /// Consumes the lock and returns the data (`Err` if poisoned, with the data).
    ///
    /// ```
    /// assert_eq!(forkwait::sync::RwLock::new(2).into_inner().unwrap(), 2);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }

    /// Accepts impure writes to the protected data.
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::new(0).impurity_allowed();
    /// *l.write().unwrap() = 1;
    /// ```
    pub fn impurity_allowed(mut self) -> Self {
        self.obj.allow();
        self
    }
}

impl<T: ?Sized> RwLock<T> {
    /// The class of the protected data for the purity analysis.
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::new(());
    /// assert_eq!(l.class(), forkwait::sync::StateClass::Input);
    /// ```
    pub fn class(&self) -> StateClass {
        self.obj.class
    }

    /// Acquires shared read access, blocking while a writer holds the lock.
    ///
    /// # Errors
    ///
    /// `Err` with the guard if the lock is poisoned.
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::new(1);
    /// assert_eq!(*l.read().unwrap(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let site = Location::caller();
        let sim = self.sim_lock(true, site);
        let r = if sim.is_some() {
            self.inner.read()
        } else {
            match self.inner.try_read() {
                Ok(g) => Ok(g),
                Err(TryLockError::Poisoned(p)) => Err(p),
                Err(TryLockError::WouldBlock) => crate::runtime::blocking(|| self.inner.read()),
            }
        };
        map_result(r, |g| RwLockReadGuard {
            guard: Some(g),
            sim,
        })
    }

    /// Acquires exclusive write access, blocking while anyone holds the lock.
    ///
    /// # Errors
    ///
    /// `Err` with the guard if the lock is poisoned.
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::new(1);
    /// *l.write().unwrap() = 2;
    /// assert_eq!(*l.read().unwrap(), 2);
    /// ```
    #[inline]
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let site = Location::caller();
        let sim = self.sim_lock(false, site);
        let r = if sim.is_some() {
            self.inner.write()
        } else {
            match self.inner.try_write() {
                Ok(g) => Ok(g),
                Err(TryLockError::Poisoned(p)) => Err(p),
                Err(TryLockError::WouldBlock) => crate::runtime::blocking(|| self.inner.write()),
            }
        };
        map_result(r, |g| RwLockWriteGuard {
            lock: self,
            guard: Some(g),
            sim: GuardSim {
                held: sim,
                wrote: false,
            },
        })
    }

    /// Acquires read access if no writer holds the lock, without blocking.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if a writer holds it; `Poisoned` if poisoned (acquired all the same).
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::new(1);
    /// let w = l.write().unwrap();
    /// assert!(l.try_read().is_err());
    /// drop(w);
    /// assert!(l.try_read().is_ok());
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let sim = self
            .sim_try_lock(true, Location::caller())
            .map_err(|()| TryLockError::WouldBlock)?;
        map_try(self.inner.try_read(), |g| RwLockReadGuard {
            guard: Some(g),
            sim,
        })
    }

    /// Acquires write access if nobody holds the lock, without blocking.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it is held; `Poisoned` if poisoned (acquired all the same).
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::new(1);
    /// let r = l.read().unwrap();
    /// assert!(l.try_write().is_err());
    /// drop(r);
    /// assert!(l.try_write().is_ok());
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let sim = self
            .sim_try_lock(false, Location::caller())
            .map_err(|()| TryLockError::WouldBlock)?;
        map_try(self.inner.try_write(), |g| RwLockWriteGuard {
            lock: self,
            guard: Some(g),
            sim: GuardSim {
                held: sim,
                wrote: false,
            },
        })
    }

    /// Whether the lock is poisoned (a writer panicked while holding it).
    ///
    /// ```
    /// assert!(!forkwait::sync::RwLock::new(0).is_poisoned());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// Clears the poisoned state.
    ///
    /// ```
    /// let l = forkwait::sync::RwLock::new(0);
    /// l.clear_poison();
    /// assert!(!l.is_poisoned());
    /// ```
    pub fn clear_poison(&self) {
        self.inner.clear_poison()
    }

    /// A mutable reference to the data (the borrow is exclusive: no locking).
    ///
    /// ```
    /// let mut l = forkwait::sync::RwLock::new(0);
    /// *l.get_mut().unwrap() = 3;
    /// assert_eq!(*l.read().unwrap(), 3);
    /// ```
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    #[inline]
    fn sim_lock(&self, shared: bool, site: Site) -> Option<(ObjId, Site)> {
        if !simulated() {
            return None;
        }
        self.sim_lock_slow(shared, site)
    }

    #[cold]
    #[inline(never)]
    fn sim_lock_slow(&self, shared: bool, site: Site) -> Option<(ObjId, Site)> {
        let id = self.obj.resolve(ObjKind::RwLock, site);
        object::lock(id, shared, site);
        Some((id, site))
    }

    /// Under the simulator: `Err` if the lock cannot be taken now.
    fn sim_try_lock(&self, shared: bool, site: Site) -> Result<Option<(ObjId, Site)>, ()> {
        if !simulated() {
            return Ok(None);
        }
        let id = self.obj.resolve(ObjKind::RwLock, site);
        if object::try_lock(id, shared, site) {
            Ok(Some((id, site)))
        } else {
            Err(())
        }
    }
}

#[inline]
fn map_result<G, H>(r: LockResult<G>, wrap: impl FnOnce(G) -> H) -> LockResult<H> {
    match r {
        Ok(g) => Ok(wrap(g)),
        Err(p) => Err(PoisonError::new(wrap(p.into_inner()))),
    }
}

#[inline]
fn map_try<G, H>(r: TryLockResult<G>, wrap: impl FnOnce(G) -> H) -> TryLockResult<H> {
    match r {
        Ok(g) => Ok(wrap(g)),
        Err(TryLockError::Poisoned(p)) => Err(TryLockError::Poisoned(PoisonError::new(wrap(
            p.into_inner(),
        )))),
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        drop(self.guard.take());
        if let (Some((id, site)), true) = (self.sim, simulated()) {
            object::unlock(id, true, site);
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    /// Logged once per guard as a write of the protected data, for the purity analysis.
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.sim.borrow_mut();
        self.guard.as_mut().expect("guard present until drop")
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
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

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.inner.try_read() {
            Ok(g) => d.field("data", &&*g),
            Err(TryLockError::Poisoned(p)) => d.field("data", &&*p.into_inner()),
            Err(TryLockError::WouldBlock) => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.inner.is_poisoned())
            .finish_non_exhaustive()
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(v: T) -> Self {
        RwLock::new(v)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
