//! `Shared<T>`: the plain, unsynchronized cell.

use crate::backend::simulated;
use crate::sim::object::AccessKind;
use crate::sim::object::ObjCell;
use crate::sim::object::ObjKind;
use crate::state_class::StateClass;
use std::fmt;
use std::panic::Location;

/// A shared cell whose every read and write is visible to the simulator.
///
/// `update` is one step (read-modify-write); `read` followed by `write` is two, so another
/// task can interleave between them — the classic lost update. A step is not a
/// synchronization: two `update`s by tasks that fork/wait does not order are a data race
/// (`Race`), even though neither loses the other's write. Use a [`Mutex`](super::Mutex)
/// or an [atomic](super::atomic) to share state on purpose.
///
/// ```
/// use forkwait::sync::Shared;
/// let s = Shared::new(vec![1]);
/// s.update(|v| v.push(2));
/// assert_eq!(s.read(), vec![1, 2]);
/// s.write(vec![]);
/// assert!(s.read().is_empty());
/// ```
pub struct Shared<T> {
    obj: ObjCell,
    value: std::sync::Mutex<T>,
}

impl<T> Shared<T> {
    /// A new cell holding `v`, owned by the task that creates it.
    ///
    /// ```
    /// let s = forkwait::sync::Shared::new(1);
    /// assert_eq!(s.read(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn new(v: T) -> Self {
        Self::with_class(v, StateClass::Input)
    }

    /// A new cell that is a module attribute (a field of a struct whose methods are
    /// forked): a forked task writing it is reported as `module-attribute` impurity.
    ///
    /// ```
    /// struct Counter { calls: forkwait::sync::Shared<u32> }
    /// let m = Counter { calls: forkwait::sync::Shared::attribute(0) };
    /// m.calls.update(|c| *c += 1);
    /// assert_eq!(m.calls.read(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn attribute(v: T) -> Self {
        Self::with_class(v, StateClass::ModuleAttribute)
    }

    /// A new cell that is global state (a forked task writing it is `global` impurity).
    ///
    /// ```
    /// let g = forkwait::sync::Shared::global(0);
    /// g.write(1);
    /// assert_eq!(g.read(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn global(v: T) -> Self {
        Self::with_class(v, StateClass::Global)
    }

    /// A new cell of the given class.
    ///
    /// ```
    /// use forkwait::sync::{Shared, StateClass};
    /// assert_eq!(Shared::with_class(1, StateClass::Global).class(), StateClass::Global);
    /// ```
    #[inline]
    #[track_caller]
    pub fn with_class(v: T, class: StateClass) -> Self {
        Shared {
            obj: ObjCell::new(ObjKind::Shared, Location::caller(), class),
            value: std::sync::Mutex::new(v),
        }
    }

    /// Accepts impure writes to this cell (e.g. a metrics counter): the purity analysis
    /// stays silent about it; races on it are still reported.
    ///
    /// ```
    /// use forkwait::{Checker, FindingKind, sync::Shared};
    /// use std::sync::Arc;
    /// let r = Checker::new().run(|| {
    ///     let metric = Arc::new(Shared::new(0).impurity_allowed());
    ///     let m = metric.clone();
    ///     forkwait::wait(forkwait::fork(move || m.update(|n| *n += 1)));
    /// });
    /// assert!(r.is_clean());
    /// ```
    pub fn impurity_allowed(mut self) -> Self {
        self.obj.allow();
        self
    }

    /// The class of this state for the purity analysis.
    ///
    /// ```
    /// assert_eq!(forkwait::sync::Shared::new(()).class(), forkwait::sync::StateClass::Input);
    /// ```
    pub fn class(&self) -> StateClass {
        self.obj.class
    }

    /// A cell for a `static`: always global state to the simulator.
    ///
    /// ```
    /// static COUNT: forkwait::sync::Shared<u32> = forkwait::sync::Shared::new_static(0);
    /// COUNT.update(|c| *c += 1);
    /// assert!(COUNT.read() >= 1);
    /// ```
    pub const fn new_static(v: T) -> Self {
        Shared {
            obj: ObjCell::new_const(),
            value: std::sync::Mutex::new(v),
        }
    }

    #[inline]
    fn touch(&self, kind: AccessKind, site: &'static Location<'static>) {
        if simulated() {
            self.obj.access(ObjKind::Shared, kind, site);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.value.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the value (a clone).
    ///
    /// ```
    /// assert_eq!(forkwait::sync::Shared::new("x").read(), "x");
    /// ```
    #[inline]
    #[track_caller]
    pub fn read(&self) -> T
    where
        T: Clone,
    {
        self.touch(AccessKind::Read, Location::caller());
        self.lock().clone()
    }

    /// Replaces the value.
    ///
    /// ```
    /// let s = forkwait::sync::Shared::new(1);
    /// s.write(2);
    /// assert_eq!(s.read(), 2);
    /// ```
    #[inline]
    #[track_caller]
    pub fn write(&self, v: T) {
        self.touch(AccessKind::Write, Location::caller());
        *self.lock() = v;
    }

    /// Reads and modifies the value as one step; returns what `f` returns.
    ///
    /// ```
    /// let s = forkwait::sync::Shared::new(10);
    /// let old = s.update(|v| { let o = *v; *v += 1; o });
    /// assert_eq!((old, s.read()), (10, 11));
    /// ```
    #[inline]
    #[track_caller]
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.touch(AccessKind::Update, Location::caller());
        f(&mut self.lock())
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Shared").field(&*self.lock()).finish()
    }
}
