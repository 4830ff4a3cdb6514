//! Instrumented shared state.
//!
//! Under the real runtime these types cost about what their `std` counterparts cost (one
//! thread-local read more). Under the simulator every operation is a scheduling point and
//! is logged with its task, kind, object and `#[track_caller]` source location; the
//! analyses of races and purity work on that log. State outside `forkwait::sync` is
//! invisible to the simulator: wrap what tasks share in these types to have it checked.
//!
//! ```
//! use forkwait::sync::{Shared, Mutex, AtomicUsize};
//! use std::sync::Arc;
//!
//! let hits = Arc::new(AtomicUsize::new(0));
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let (h, l) = (hits.clone(), log.clone());
//! let t = forkwait::fork(move || {
//!     h.fetch_add(1);
//!     l.lock().push("task");
//! });
//! forkwait::wait(t);
//! assert_eq!(hits.load(), 1);
//! assert_eq!(*log.lock(), vec!["task"]);
//! let cell = Shared::new(5);
//! cell.update(|v| *v += 1);
//! assert_eq!(cell.read(), 6);
//! ```

use crate::runtime::context::{self, Context};
use crate::sim::AccessKind;
use crate::sim::exec::{self, ObjId, ObjKind};
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};

/// How the purity analysis classifies a write to a piece of state by a forked task that
/// did not create it (see `ImpureWrite`).
///
/// ```
/// use forkwait::sync::{Shared, StateClass};
/// assert_eq!(Shared::new(0).class(), StateClass::Input);
/// assert_eq!(Shared::attribute(0).class(), StateClass::ModuleAttribute);
/// assert_eq!(Shared::global(0).class(), StateClass::Global);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum StateClass {
    /// Ordinary state: reached by a task through what it was handed (its captures).
    #[default]
    Input,
    /// A field of a module (a struct whose method is forked, like `nn.Module`).
    ModuleAttribute,
    /// Global state (a `static`, or anything created outside the simulated program).
    Global,
}

impl StateClass {
    /// The class's name in reports: `input`, `module-attribute` or `global`.
    ///
    /// ```
    /// assert_eq!(forkwait::sync::StateClass::ModuleAttribute.name(), "module-attribute");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            StateClass::Input => "input",
            StateClass::ModuleAttribute => "module-attribute",
            StateClass::Global => "global",
        }
    }
}

/// The identity of an instrumented object within the current execution: created inside an
/// execution it belongs to the creating task; otherwise (a `static`, or state made before
/// the execution) it is registered on first use as global state.
struct ObjCell {
    /// `epoch << 32 | (id + 1)`; 0 = not registered.
    packed: AtomicU64,
    class: StateClass,
    /// Impure writes to it are accepted (allow-listed).
    allowed: bool,
}

#[inline]
fn in_sim() -> bool {
    context::current() == Context::Sim
}

impl ObjCell {
    #[inline]
    fn new(kind: ObjKind, site: &'static Location<'static>, class: StateClass) -> Self {
        let packed = if in_sim() {
            exec::with(|s| {
                if s.tearing_down() {
                    return 0;
                }
                let id = s.new_object(kind, site, false, class);
                (s.epoch as u64) << 32 | (id as u64 + 1)
            })
        } else {
            0
        };
        ObjCell {
            packed: AtomicU64::new(packed),
            class,
            allowed: false,
        }
    }

    /// Marks the object's impure writes as accepted, in this execution too.
    fn allow(&mut self) {
        self.allowed = true;
        let p = *self.packed.get_mut();
        if p != 0 && in_sim() {
            exec::with(|s| {
                if p >> 32 == s.epoch as u64 {
                    if let Some(o) = s.objects.get_mut((p & 0xFFFF_FFFF) as usize - 1) {
                        o.allowed = true;
                    }
                }
            });
        }
    }

    const fn new_const() -> Self {
        ObjCell {
            packed: AtomicU64::new(0),
            class: StateClass::Global,
            allowed: false,
        }
    }

    /// The object's id in the current execution (registering it as global if it comes
    /// from outside the execution).
    fn id(
        &self,
        s: &mut exec::ExecState,
        kind: ObjKind,
        site: &'static Location<'static>,
    ) -> ObjId {
        let p = self.packed.load(Ordering::Relaxed);
        if p >> 32 == s.epoch as u64 && p != 0 {
            return (p & 0xFFFF_FFFF) as ObjId - 1;
        }
        let id = s.new_object(kind, site, true, StateClass::Global);
        s.objects[id as usize].allowed = self.allowed;
        self.packed
            .store((s.epoch as u64) << 32 | (id as u64 + 1), Ordering::Relaxed);
        id
    }

    /// An access to this object as a scheduling point: the object is resolved inside the
    /// point's own borrow of the execution state (one borrow per access, not two).
    #[inline]
    fn access(&self, obj: ObjKind, kind: AccessKind, site: &'static Location<'static>) {
        exec::point_with(|s| exec::Op::Access(self.id(s, obj, site), kind), site);
    }
}

/// A shared cell whose every read and write is visible to the simulator.
///
/// `update` is one atomic step (read-modify-write); `read` followed by `write` is two, so
/// another task can interleave between them — the classic lost update.
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
        if in_sim() {
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

/// A mutual-exclusion lock whose acquisitions and releases the simulator schedules.
///
/// Under the simulator a task that finds it held blocks; locking it again from the task
/// that holds it is a deadlock (reported, not a hang).
///
/// ```
/// let m = forkwait::sync::Mutex::new(0);
/// *m.lock() += 1;
/// assert_eq!(*m.lock(), 1);
/// ```
pub struct Mutex<T> {
    obj: ObjCell,
    inner: std::sync::Mutex<T>,
}

/// The guard of a locked [`Mutex`]; the lock is released when it is dropped.
///
/// ```
/// let m = forkwait::sync::Mutex::new(vec![1]);
/// let mut g = m.lock();
/// g.push(2);
/// drop(g);
/// assert_eq!(m.lock().len(), 2);
/// ```
pub struct MutexGuard<'a, T> {
    guard: Option<std::sync::MutexGuard<'a, T>>,
    sim: Option<(ObjId, &'static Location<'static>)>,
    /// Whether a mutable borrow was already logged as a write of the protected data.
    wrote: bool,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::new("v");
    /// assert_eq!(*m.lock(), "v");
    /// ```
    #[track_caller]
    pub fn new(v: T) -> Self {
        Self::with_class(v, StateClass::Input)
    }

    /// A new mutex of the given class (see [`StateClass`]).
    ///
    /// ```
    /// use forkwait::sync::{Mutex, StateClass};
    /// let m = Mutex::with_class(0, StateClass::ModuleAttribute);
    /// *m.lock() += 1;
    /// ```
    #[track_caller]
    pub fn with_class(v: T, class: StateClass) -> Self {
        Mutex {
            obj: ObjCell::new(ObjKind::Mutex, Location::caller(), class),
            inner: std::sync::Mutex::new(v),
        }
    }

    /// A mutex for a `static` (global state to the simulator).
    ///
    /// ```
    /// static M: forkwait::sync::Mutex<u8> = forkwait::sync::Mutex::new_static(0);
    /// *M.lock() = 1;
    /// ```
    pub const fn new_static(v: T) -> Self {
        Mutex {
            obj: ObjCell::new_const(),
            inner: std::sync::Mutex::new(v),
        }
    }

    /// Accepts impure writes to the protected data (see [`Shared::impurity_allowed`]).
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::new(0).impurity_allowed();
    /// *m.lock() += 1;
    /// ```
    pub fn impurity_allowed(mut self) -> Self {
        self.obj.allow();
        self
    }

    /// Acquires the lock, blocking (or, simulated, yielding) while another task holds it.
    ///
    /// ```
    /// let m = forkwait::sync::Mutex::new(1);
    /// assert_eq!(*m.lock(), 1);
    /// ```
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let sim = if in_sim() {
            let site = Location::caller();
            let id = exec::with(|s| self.obj.id(s, ObjKind::Mutex, site));
            exec::lock(id, site);
            Some((id, site))
        } else {
            None
        };
        MutexGuard {
            guard: Some(self.inner.lock().unwrap_or_else(|e| e.into_inner())),
            sim,
            wrote: false,
        }
    }
}

impl<T> std::ops::Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
    /// A mutable borrow of the protected data is logged (once per guard) as a write, for
    /// the purity analysis; it is not a scheduling point (the lock already orders it).
    fn deref_mut(&mut self) -> &mut T {
        if !self.wrote {
            self.wrote = true;
            if let (Some((id, site)), true) = (self.sim, in_sim()) {
                exec::log(exec::Op::Access(id, AccessKind::Write), site);
            }
        }
        self.guard.as_mut().expect("guard present until drop")
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.guard.take());
        if let Some((id, site)) = self.sim {
            if in_sim() {
                exec::unlock(id, site);
            }
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

macro_rules! atomic_int {
    ($(#[$doc:meta])* $name:ident, $std:ty, $t:ty) => {
        $(#[$doc])*
        pub struct $name {
            obj: ObjCell,
            v: $std,
        }

        impl $name {
            /// A new atomic holding `v`.
            #[track_caller]
            pub fn new(v: $t) -> Self {
                $name {
                    obj: ObjCell::new(ObjKind::Atomic, Location::caller(), StateClass::Input),
                    v: <$std>::new(v),
                }
            }

            /// An atomic for a `static` (global state to the simulator).
            pub const fn new_static(v: $t) -> Self {
                $name { obj: ObjCell::new_const(), v: <$std>::new(v) }
            }

            #[inline]
            fn touch(&self, kind: AccessKind, site: &'static Location<'static>) {
                if in_sim() {
                    self.obj.access(ObjKind::Atomic, kind, site);
                }
            }

            /// Loads the value (sequentially consistent).
            #[track_caller]
            pub fn load(&self) -> $t {
                self.touch(AccessKind::AtomicLoad, Location::caller());
                self.v.load(Ordering::SeqCst)
            }

            /// Stores a value.
            #[track_caller]
            pub fn store(&self, v: $t) {
                self.touch(AccessKind::AtomicStore, Location::caller());
                self.v.store(v, Ordering::SeqCst)
            }

            /// Stores a value, returning the previous one.
            #[track_caller]
            pub fn swap(&self, v: $t) -> $t {
                self.touch(AccessKind::AtomicRmw, Location::caller());
                self.v.swap(v, Ordering::SeqCst)
            }

            /// Stores `new` if the value is `current`; returns the previous value, as `Ok`
            /// if it was `current`.
            #[track_caller]
            pub fn compare_exchange(&self, current: $t, new: $t) -> Result<$t, $t> {
                self.touch(AccessKind::AtomicRmw, Location::caller());
                self.v.compare_exchange(current, new, Ordering::SeqCst, Ordering::SeqCst)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.v.load(Ordering::Relaxed)).finish()
            }
        }
    };
}

macro_rules! atomic_arith {
    ($name:ident, $t:ty) => {
        impl $name {
            /// Adds `v` (wrapping), returning the previous value.
            #[track_caller]
            pub fn fetch_add(&self, v: $t) -> $t {
                self.touch(AccessKind::AtomicRmw, Location::caller());
                self.v.fetch_add(v, Ordering::SeqCst)
            }

            /// Subtracts `v` (wrapping), returning the previous value.
            #[track_caller]
            pub fn fetch_sub(&self, v: $t) -> $t {
                self.touch(AccessKind::AtomicRmw, Location::caller());
                self.v.fetch_sub(v, Ordering::SeqCst)
            }
        }
    };
}

atomic_int!(
    /// An instrumented `AtomicUsize` (all operations sequentially consistent).
    ///
    /// ```
    /// let a = forkwait::sync::AtomicUsize::new(1);
    /// assert_eq!(a.fetch_add(2), 1);
    /// assert_eq!(a.fetch_sub(1), 3);
    /// assert_eq!(a.swap(7), 2);
    /// assert_eq!(a.compare_exchange(7, 8), Ok(7));
    /// a.store(0);
    /// assert_eq!(a.load(), 0);
    /// ```
    AtomicUsize,
    std::sync::atomic::AtomicUsize,
    usize
);
atomic_arith!(AtomicUsize, usize);
atomic_int!(
    /// An instrumented `AtomicI64` (all operations sequentially consistent).
    ///
    /// ```
    /// let a = forkwait::sync::AtomicI64::new(-1);
    /// assert_eq!(a.fetch_add(2), -1);
    /// assert_eq!(a.load(), 1);
    /// ```
    AtomicI64,
    std::sync::atomic::AtomicI64,
    i64
);
atomic_arith!(AtomicI64, i64);
atomic_int!(
    /// An instrumented `AtomicBool` (all operations sequentially consistent).
    ///
    /// ```
    /// let a = forkwait::sync::AtomicBool::new(false);
    /// assert_eq!(a.swap(true), false);
    /// assert!(a.load());
    /// ```
    AtomicBool,
    std::sync::atomic::AtomicBool,
    bool
);
