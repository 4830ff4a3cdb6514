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
    value: Locked<T>,
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
            value: Locked::new(v),
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
            value: Locked::new(v),
        }
    }

    #[inline]
    fn touch(&self, kind: AccessKind, site: &'static Location<'static>) {
        if simulated() {
            self.obj.access_inline(ObjKind::Shared, kind, site);
        }
    }

    fn lock(&self) -> LockedGuard<'_, T> {
        self.value.lock()
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

/// The value of a [`Shared`]: a minimal lock around it, held only while the value is
/// cloned, replaced or updated. Not a synchronization the program sees (the simulator
/// orders nothing by it): it keeps a racy program memory-safe on the real runtime.
/// Cheaper than a `std::sync::Mutex` (no poisoning, which `Shared` ignored anyway); a
/// contended acquisition (only on the real runtime) spins, then yields its thread.
struct Locked<T> {
    locked: std::sync::atomic::AtomicBool,
    value: std::cell::UnsafeCell<T>,
}

// SAFETY: the value is only reached through a `LockedGuard`, and at most one guard exists
// at a time (`lock` sets `locked` by compare-and-swap, acquire; the guard clears it,
// release): the bounds of `std::sync::Mutex<T>`.
unsafe impl<T: Send> Sync for Locked<T> {}

// As `std::sync::Mutex`: a panic while the value is borrowed leaves it as the panicking
// code left it, which `Shared` always accepted (it ignored poisoning).
impl<T> std::panic::RefUnwindSafe for Locked<T> {}
impl<T> std::panic::UnwindSafe for Locked<T> {}

impl<T> Locked<T> {
    const fn new(v: T) -> Self {
        Locked {
            locked: std::sync::atomic::AtomicBool::new(false),
            value: std::cell::UnsafeCell::new(v),
        }
    }

    #[inline]
    fn lock(&self) -> LockedGuard<'_, T> {
        use std::sync::atomic::Ordering;
        let mut spins = 0u32;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        LockedGuard { cell: self }
    }
}

/// The one borrow of a [`Locked`] value.
struct LockedGuard<'a, T> {
    cell: &'a Locked<T>,
}

impl<T> std::ops::Deref for LockedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one (see `Locked`).
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> std::ops::DerefMut for LockedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard is the only one (see `Locked`).
        unsafe { &mut *self.cell.value.get() }
    }
}

impl<T> Drop for LockedGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.cell
            .locked
            .store(false, std::sync::atomic::Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::Shared;

    #[test]
    fn updates_from_real_threads_are_not_lost() {
        // Outside a simulation `Shared` is a plain locked cell: its lock alone must keep
        // concurrent read-modify-writes whole.
        let s = std::sync::Arc::new(Shared::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        s.update(|v| *v += 1);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(s.read(), 80_000);
    }

    #[test]
    fn a_panic_while_updating_leaves_the_cell_usable() {
        let s = Shared::new(vec![1]);
        let r = std::panic::catch_unwind(|| {
            s.update(|v| {
                v.push(2);
                panic!("boom");
            })
        });
        assert!(r.is_err());
        s.update(|v| v.push(3));
        assert_eq!(s.read(), vec![1, 2, 3]);
    }
}
