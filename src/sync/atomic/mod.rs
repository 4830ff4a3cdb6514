//! Atomic types, shaped like `std::sync::atomic`.
//!
//! Every type has std's methods with std's signatures, `Ordering` arguments included, and
//! forkwait's purity classes (`with_class`, `attribute`, `global`, `impurity_allowed`).
//!
//! # Memory model
//!
//! On the real runtime each operation is the std operation with the ordering given. Under
//! the simulator every operation is a scheduling point and runs **as if `SeqCst`**
//! (shuttle does the same): tasks interleave, but every load sees the latest store. So the
//! simulator finds every bug that some interleaving shows — lost updates through
//! `load`+`store`, check-then-act races, missed flags — but not bugs that need weak memory
//! (a `Relaxed` store seen late, a missing `Acquire`/`Release` pair, store buffering):
//! for those, model-check the code with loom, which explores the C11 memory model. An
//! invalid ordering (a `Release` load, say) panics as in std, in every mode.
//! `compare_exchange_weak` never fails spuriously under the simulator.
//!
//! For the race analysis atomics synchronize (each operation acquires and releases the
//! object), so an atomic is never a data race; a forked task writing an atomic it did not
//! create is an impure write through synchronization — a warning, unless purity is
//! strict.
//!
//! ```
//! use forkwait::sync::Arc;
//! use forkwait::sync::atomic::{AtomicUsize, Ordering};
//! use forkwait::{fork, wait};
//!
//! let hits = Arc::new(AtomicUsize::new(0));
//! let tasks: Vec<_> = (0..4)
//!     .map(|_| {
//!         let hits = Arc::clone(&hits);
//!         fork(move || hits.fetch_add(1, Ordering::Relaxed))
//!     })
//!     .collect();
//! tasks.into_iter().for_each(|t| drop(wait(t)));
//! assert_eq!(hits.load(Ordering::SeqCst), 4);
//! ```

use crate::backend::simulated;
use crate::sim::object::AccessKind;
use crate::sim::object::ObjCell;
use crate::sim::object::ObjKind;
use crate::state_class::StateClass;
use std::fmt;
use std::panic::Location;

pub use std::sync::atomic::{Ordering, compiler_fence};

mod ptr;
pub use self::ptr::AtomicPtr;

/// A memory fence, as [`std::sync::atomic::fence`]. Under the simulator every operation is
/// already sequentially consistent, so it only orders the real runtime's operations.
///
/// ```
/// forkwait::sync::atomic::fence(forkwait::sync::atomic::Ordering::SeqCst);
/// ```
pub fn fence(order: Ordering) {
    std::sync::atomic::fence(order)
}

macro_rules! atomic_common {
    ($(#[$doc:meta])* $name:ident, $t:ty, $example:literal) => {
        $(#[$doc])*
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use forkwait::sync::atomic::{", stringify!($name), ", Ordering::SeqCst};")]
        #[doc = concat!("let a = ", stringify!($name), "::new(", $example, ");")]
        #[doc = concat!("assert_eq!(a.load(SeqCst), ", $example, ");")]
        #[doc = concat!("assert_eq!(a.swap(", $example, ", SeqCst), ", $example, ");")]
        #[doc = concat!("assert_eq!(a.compare_exchange(", $example, ", ", $example, ", SeqCst, SeqCst), Ok(", $example, "));")]
        #[doc = concat!("assert_eq!(a.fetch_update(SeqCst, SeqCst, |v| Some(v)), Ok(", $example, "));")]
        #[doc = concat!("a.store(", $example, ", SeqCst);")]
        #[doc = concat!("assert_eq!(a.into_inner(), ", $example, ");")]
        #[doc = "```"]
        pub struct $name {
            obj: ObjCell,
            v: std::sync::atomic::$name,
        }

        impl $name {
            /// A new atomic holding `v` (`const`, as std's; registered with the simulator
            /// on first use, as `Mutex::new` is).
            #[inline]
            #[track_caller]
            pub const fn new(v: $t) -> Self {
                $name {
                    obj: ObjCell::new_lazy(Location::caller()),
                    v: std::sync::atomic::$name::new(v),
                }
            }

            /// A new atomic of the given purity class.
            #[inline]
            #[track_caller]
            pub fn with_class(v: $t, class: StateClass) -> Self {
                $name {
                    obj: ObjCell::new(ObjKind::Atomic, Location::caller(), class),
                    v: std::sync::atomic::$name::new(v),
                }
            }

            /// A new atomic that is a module attribute.
            #[inline]
            #[track_caller]
            pub fn attribute(v: $t) -> Self {
                Self::with_class(v, StateClass::ModuleAttribute)
            }

            /// A new atomic that is global state.
            #[inline]
            #[track_caller]
            pub fn global(v: $t) -> Self {
                Self::with_class(v, StateClass::Global)
            }

            /// An atomic for a `static` (global state to the simulator).
            pub const fn new_static(v: $t) -> Self {
                $name { obj: ObjCell::new_const(), v: std::sync::atomic::$name::new(v) }
            }

            /// Accepts impure writes to this atomic (a metrics counter, say).
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

            /// Loads the value.
            ///
            /// # Panics
            ///
            /// If `order` is `Release` or `AcqRel`, as std.
            #[inline]
            #[track_caller]
            pub fn load(&self, order: Ordering) -> $t {
                self.touch(AccessKind::AtomicLoad, Location::caller());
                self.v.load(order)
            }

            /// Stores a value.
            ///
            /// # Panics
            ///
            /// If `order` is `Acquire` or `AcqRel`, as std.
            #[inline]
            #[track_caller]
            pub fn store(&self, v: $t, order: Ordering) {
                self.touch(AccessKind::AtomicStore, Location::caller());
                self.v.store(v, order)
            }

            /// Stores a value, returning the previous one.
            #[inline]
            #[track_caller]
            pub fn swap(&self, v: $t, order: Ordering) -> $t {
                self.touch(AccessKind::AtomicRmw, Location::caller());
                self.v.swap(v, order)
            }

            /// Stores `new` if the value is `current`; returns the previous value, as `Ok`
            /// if it was `current`. A failed exchange is a load for the analyses.
            ///
            /// # Panics
            ///
            /// If `failure` is `Release` or `AcqRel`, as std.
            #[inline]
            #[track_caller]
            pub fn compare_exchange(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                self.touch_cas(current, Location::caller());
                self.v.compare_exchange(current, new, success, failure)
            }

            /// As [`compare_exchange`](Self::compare_exchange), but may fail spuriously on
            /// the real runtime (never under the simulator).
            #[inline]
            #[track_caller]
            pub fn compare_exchange_weak(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                self.touch_cas(current, Location::caller());
                if simulated() {
                    self.v.compare_exchange(current, new, success, failure)
                } else {
                    self.v.compare_exchange_weak(current, new, success, failure)
                }
            }

            #[inline]
            fn touch_cas(&self, current: $t, site: &'static Location<'static>) {
                if simulated() {
                    // One thread runs the simulation: the value cannot change between this
                    // peek and the exchange.
                    let hit = self.v.load(Ordering::Relaxed) == current;
                    let kind = if hit { AccessKind::AtomicRmw } else { AccessKind::AtomicLoad };
                    self.obj.access(ObjKind::Atomic, kind, site);
                }
            }

            /// Applies `f` to the value until it succeeds (one step under the simulator);
            /// `Err(previous)` if `f` returned `None`.
            #[inline]
            #[track_caller]
            pub fn fetch_update<F>(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: F,
            ) -> Result<$t, $t>
            where
                F: FnMut($t) -> Option<$t>,
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
            ) -> Result<$t, $t>
            where
                F: FnMut($t) -> Option<$t>,
            {
                self.touch(AccessKind::AtomicRmw, Location::caller());
                self.v.fetch_update(set_order, fetch_order, f)
            }

            /// Replaces the value by `f(value)`; returns the previous value.
            #[inline]
            #[track_caller]
            pub fn update<F>(&self, set_order: Ordering, fetch_order: Ordering, mut f: F) -> $t
            where
                F: FnMut($t) -> $t,
            {
                self.touch(AccessKind::AtomicRmw, Location::caller());
                match self.v.fetch_update(set_order, fetch_order, |v| Some(f(v))) {
                    Ok(v) | Err(v) => v,
                }
            }

            /// Consumes the atomic and returns the value.
            #[inline]
            pub fn into_inner(self) -> $t {
                self.v.into_inner()
            }

            /// A mutable reference to the value (the borrow is exclusive).
            #[inline]
            pub fn get_mut(&mut self) -> &mut $t {
                self.v.get_mut()
            }

            /// A raw pointer to the value, as std's `as_ptr` (accesses through it are
            /// invisible to the simulator).
            #[inline]
            pub const fn as_ptr(&self) -> *mut $t {
                self.v.as_ptr()
            }
        }

        impl Default for $name {
            #[track_caller]
            fn default() -> Self {
                Self::new(Default::default())
            }
        }

        impl From<$t> for $name {
            #[track_caller]
            fn from(v: $t) -> Self {
                Self::new(v)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.v.load(Ordering::Relaxed), f)
            }
        }
    };
}

macro_rules! atomic_rmw {
    ($name:ident, $t:ty, $($(#[$doc:meta])* $method:ident),* $(,)?) => {
        impl $name {
            $(
                $(#[$doc])*
                #[inline]
                #[track_caller]
                pub fn $method(&self, v: $t, order: Ordering) -> $t {
                    self.touch(AccessKind::AtomicRmw, Location::caller());
                    self.v.$method(v, order)
                }
            )*
        }
    };
}

macro_rules! atomic_int {
    ($name:ident, $t:ty) => {
        atomic_common!(
            #[doc = concat!("An instrumented `", stringify!($t), "` atomic, as [`std::sync::atomic::", stringify!($name), "`].")]
            $name, $t, "7"
        );
        atomic_rmw!(
            $name, $t,
            /// Adds (wrapping), returning the previous value.
            fetch_add,
            /// Subtracts (wrapping), returning the previous value.
            fetch_sub,
            /// Bitwise and, returning the previous value.
            fetch_and,
            /// Bitwise nand, returning the previous value.
            fetch_nand,
            /// Bitwise or, returning the previous value.
            fetch_or,
            /// Bitwise xor, returning the previous value.
            fetch_xor,
            /// Maximum, returning the previous value.
            fetch_max,
            /// Minimum, returning the previous value.
            fetch_min,
        );
    };
}

atomic_int!(AtomicU8, u8);
atomic_int!(AtomicU16, u16);
atomic_int!(AtomicU32, u32);
atomic_int!(AtomicU64, u64);
atomic_int!(AtomicUsize, usize);
atomic_int!(AtomicI8, i8);
atomic_int!(AtomicI16, i16);
atomic_int!(AtomicI32, i32);
atomic_int!(AtomicI64, i64);
atomic_int!(AtomicIsize, isize);

atomic_common!(
    /// An instrumented boolean atomic, as [`std::sync::atomic::AtomicBool`].
    AtomicBool,
    bool,
    "true"
);
atomic_rmw!(
    AtomicBool,
    bool,
    /// Logical and, returning the previous value.
    fetch_and,
    /// Logical nand, returning the previous value.
    fetch_nand,
    /// Logical or, returning the previous value.
    fetch_or,
    /// Logical xor, returning the previous value.
    fetch_xor,
);

impl AtomicBool {
    /// Logical not, returning the previous value.
    ///
    /// ```
    /// use forkwait::sync::atomic::{AtomicBool, Ordering::SeqCst};
    /// let a = AtomicBool::new(false);
    /// assert!(!a.fetch_not(SeqCst));
    /// assert!(a.load(SeqCst));
    /// ```
    #[inline]
    #[track_caller]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        self.touch(AccessKind::AtomicRmw, Location::caller());
        self.v.fetch_xor(true, order)
    }
}
