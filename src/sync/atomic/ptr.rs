//! `AtomicPtr`: generic over its pointee, so written out rather than by the integer
//! types' macro (the same operations, the same scheduling points).

use super::Ordering;
use crate::backend::simulated;
use crate::sim::object::{AccessKind, ObjCell, ObjKind};
use crate::state_class::StateClass;
use std::fmt;
use std::panic::Location;

/// An instrumented raw-pointer atomic, as [`std::sync::atomic::AtomicPtr`].
///
/// ```
/// use forkwait::sync::atomic::{AtomicPtr, Ordering::SeqCst};
/// let mut x = 5;
/// let p = AtomicPtr::new(std::ptr::null_mut());
/// assert!(p.swap(&mut x, SeqCst).is_null());
/// // SAFETY: the pointer is `&mut x`, still live.
/// assert_eq!(unsafe { *p.load(SeqCst) }, 5);
/// ```
pub struct AtomicPtr<T> {
    obj: ObjCell,
    v: std::sync::atomic::AtomicPtr<T>,
}

impl<T> AtomicPtr<T> {
    /// A new atomic pointer (`const`, as std's).
    #[inline]
    #[track_caller]
    pub const fn new(p: *mut T) -> Self {
        AtomicPtr {
            obj: ObjCell::new_lazy(Location::caller()),
            v: std::sync::atomic::AtomicPtr::new(p),
        }
    }

    /// A new atomic pointer of the given purity class.
    #[inline]
    #[track_caller]
    pub fn with_class(p: *mut T, class: StateClass) -> Self {
        AtomicPtr {
            obj: ObjCell::new(ObjKind::Atomic, Location::caller(), class),
            v: std::sync::atomic::AtomicPtr::new(p),
        }
    }

    /// A new atomic pointer that is a module attribute.
    #[inline]
    #[track_caller]
    pub fn attribute(p: *mut T) -> Self {
        Self::with_class(p, StateClass::ModuleAttribute)
    }

    /// A new atomic pointer that is global state.
    #[inline]
    #[track_caller]
    pub fn global(p: *mut T) -> Self {
        Self::with_class(p, StateClass::Global)
    }

    /// An atomic pointer for a `static`.
    pub const fn new_static(p: *mut T) -> Self {
        AtomicPtr {
            obj: ObjCell::new_const(),
            v: std::sync::atomic::AtomicPtr::new(p),
        }
    }

    /// Accepts impure writes to this atomic.
    #[inline]
    pub fn impurity_allowed(mut self) -> Self {
        self.obj.allow();
        self
    }

    /// The purity class of this atomic.
    #[inline]
    pub fn class(&self) -> StateClass {
        self.obj.class
    }

    #[inline]
    fn touch(&self, kind: AccessKind, site: &'static Location<'static>) {
        if simulated() {
            self.obj.access(ObjKind::Atomic, kind, site);
        }
    }

    /// Loads the pointer.
    #[inline]
    #[track_caller]
    pub fn load(&self, order: Ordering) -> *mut T {
        self.touch(AccessKind::AtomicLoad, Location::caller());
        self.v.load(order)
    }

    /// Stores a pointer.
    #[inline]
    #[track_caller]
    pub fn store(&self, p: *mut T, order: Ordering) {
        self.touch(AccessKind::AtomicStore, Location::caller());
        self.v.store(p, order)
    }

    /// Stores a pointer, returning the previous one.
    #[inline]
    #[track_caller]
    pub fn swap(&self, p: *mut T, order: Ordering) -> *mut T {
        self.touch(AccessKind::AtomicRmw, Location::caller());
        self.v.swap(p, order)
    }

    /// Stores `new` if the pointer is `current`.
    #[inline]
    #[track_caller]
    pub fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.touch_cas(current, Location::caller());
        self.v.compare_exchange(current, new, success, failure)
    }

    /// As `compare_exchange`; may fail spuriously on the real runtime only.
    #[inline]
    #[track_caller]
    pub fn compare_exchange_weak(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.touch_cas(current, Location::caller());
        if simulated() {
            self.v.compare_exchange(current, new, success, failure)
        } else {
            self.v.compare_exchange_weak(current, new, success, failure)
        }
    }

    fn touch_cas(&self, current: *mut T, site: &'static Location<'static>) {
        if simulated() {
            let hit = self.v.load(Ordering::Relaxed) == current;
            let kind = if hit {
                AccessKind::AtomicRmw
            } else {
                AccessKind::AtomicLoad
            };
            self.obj.access(ObjKind::Atomic, kind, site);
        }
    }

    /// Applies `f` until it succeeds; `Err(previous)` if it returned `None`.
    #[inline]
    #[track_caller]
    pub fn fetch_update<F>(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        f: F,
    ) -> Result<*mut T, *mut T>
    where
        F: FnMut(*mut T) -> Option<*mut T>,
    {
        self.touch(AccessKind::AtomicRmw, Location::caller());
        self.v.fetch_update(set_order, fetch_order, f)
    }

    /// `fetch_update` under its newer std name.
    #[inline]
    #[track_caller]
    pub fn try_update<F>(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        f: F,
    ) -> Result<*mut T, *mut T>
    where
        F: FnMut(*mut T) -> Option<*mut T>,
    {
        self.touch(AccessKind::AtomicRmw, Location::caller());
        self.v.fetch_update(set_order, fetch_order, f)
    }

    /// Replaces the pointer by `f(pointer)`; returns the previous one.
    #[inline]
    #[track_caller]
    pub fn update<F>(&self, set_order: Ordering, fetch_order: Ordering, mut f: F) -> *mut T
    where
        F: FnMut(*mut T) -> *mut T,
    {
        self.touch(AccessKind::AtomicRmw, Location::caller());
        match self.v.fetch_update(set_order, fetch_order, |p| Some(f(p))) {
            Ok(p) | Err(p) => p,
        }
    }

    /// Offsets the pointer by `n` elements (wrapping), returning the previous pointer.
    #[inline]
    #[track_caller]
    pub fn fetch_ptr_add(&self, n: usize, order: Ordering) -> *mut T {
        self.rmw_ptr(order, |p| p.wrapping_add(n))
    }

    /// Offsets the pointer back by `n` elements (wrapping), returning the previous one.
    #[inline]
    #[track_caller]
    pub fn fetch_ptr_sub(&self, n: usize, order: Ordering) -> *mut T {
        self.rmw_ptr(order, |p| p.wrapping_sub(n))
    }

    /// Offsets the pointer by `n` bytes (wrapping), returning the previous pointer.
    #[inline]
    #[track_caller]
    pub fn fetch_byte_add(&self, n: usize, order: Ordering) -> *mut T {
        self.rmw_ptr(order, |p| p.wrapping_byte_add(n))
    }

    /// Offsets the pointer back by `n` bytes (wrapping), returning the previous pointer.
    #[inline]
    #[track_caller]
    pub fn fetch_byte_sub(&self, n: usize, order: Ordering) -> *mut T {
        self.rmw_ptr(order, |p| p.wrapping_byte_sub(n))
    }

    /// Bitwise or on the address (provenance kept), returning the previous pointer.
    #[inline]
    #[track_caller]
    pub fn fetch_or(&self, bits: usize, order: Ordering) -> *mut T {
        self.rmw_ptr(order, |p| p.map_addr(|a| a | bits))
    }

    /// Bitwise and on the address (provenance kept), returning the previous pointer.
    #[inline]
    #[track_caller]
    pub fn fetch_and(&self, bits: usize, order: Ordering) -> *mut T {
        self.rmw_ptr(order, |p| p.map_addr(|a| a & bits))
    }

    /// Bitwise xor on the address (provenance kept), returning the previous pointer.
    #[inline]
    #[track_caller]
    pub fn fetch_xor(&self, bits: usize, order: Ordering) -> *mut T {
        self.rmw_ptr(order, |p| p.map_addr(|a| a ^ bits))
    }

    #[track_caller]
    fn rmw_ptr(&self, order: Ordering, f: impl Fn(*mut T) -> *mut T) -> *mut T {
        self.touch(AccessKind::AtomicRmw, Location::caller());
        let fetch = match order {
            Ordering::Release => Ordering::Relaxed,
            Ordering::AcqRel => Ordering::Acquire,
            o => o,
        };
        match self.v.fetch_update(order, fetch, |p| Some(f(p))) {
            Ok(p) | Err(p) => p,
        }
    }

    /// Consumes the atomic and returns the pointer.
    #[inline]
    pub fn into_inner(self) -> *mut T {
        self.v.into_inner()
    }

    /// A mutable reference to the pointer (the borrow is exclusive).
    #[inline]
    pub fn get_mut(&mut self) -> &mut *mut T {
        self.v.get_mut()
    }

    /// A raw pointer to the atomic's pointer (accesses through it are invisible to the
    /// simulator).
    #[inline]
    pub const fn as_ptr(&self) -> *mut *mut T {
        self.v.as_ptr()
    }
}

impl<T> Default for AtomicPtr<T> {
    #[track_caller]
    fn default() -> Self {
        Self::new(std::ptr::null_mut())
    }
}

impl<T> From<*mut T> for AtomicPtr<T> {
    #[track_caller]
    fn from(p: *mut T) -> Self {
        Self::new(p)
    }
}

impl<T> fmt::Debug for AtomicPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.v.load(Ordering::Relaxed), f)
    }
}
