//! The simulator's interface to instrumented objects: all that [`crate::sync`] uses of it.
//!
//! An object (a mutex, an atomic, a channel, a `Shared` cell, …) is known to an execution
//! by an [`ObjId`], which its [`ObjCell`] resolves (registering the object on first use).
//! Its operations are scheduling points ([`ObjCell::access`]), lock operations
//! ([`lock`], [`try_lock`], [`unlock`]), blocking on it until notified ([`block_on`],
//! [`notify`]) and writes logged for the purity analysis without a point ([`log_write`]).
//! `sync` never sees the execution's state.

pub(crate) use super::exec::{AccessKind, ObjId, ObjKind, Wakeable};
pub(crate) use super::exec::{
    block_on, has_waiters, lock, notify, tearing_down_now, try_lock, unlock,
};

use super::coro::TaskYielder;
use super::exec::{self, ExecState, Op};
use crate::backend::simulated;
use crate::state_class::StateClass;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};

/// Logs a write to `id` at `site` for the purity analysis, without a scheduling point (an
/// access the object's lock already orders).
pub(crate) fn log_write(id: ObjId, site: &'static Location<'static>) {
    exec::log(Op::Access(id, AccessKind::Write), site);
}

/// The identity of an instrumented object within the current execution: created inside an
/// execution it belongs to the creating task; otherwise (a `static`, or state made before
/// the execution) it is registered on first use as global state.
pub(crate) struct ObjCell {
    /// `epoch << 32 | (id + 1)`; 0 = not registered.
    packed: AtomicU64,
    pub(crate) class: StateClass,
    /// Impure writes to it are accepted (allow-listed).
    allowed: bool,
    /// Made by a `const fn new` (std's signature), which can register nothing: where it
    /// was created. Its first use in an execution registers it as `class` state, created
    /// by the task on whose stack it lies; on the heap its creator is inferred after the
    /// execution (see `hb.rs`). `None`: a `new_static` (global), or registered eagerly at
    /// creation.
    lazy_site: Option<&'static Location<'static>>,
}

impl ObjCell {
    #[inline]
    pub(crate) fn new(kind: ObjKind, site: &'static Location<'static>, class: StateClass) -> Self {
        let packed = if simulated() {
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
            lazy_site: None,
        }
    }

    /// For a `const fn new` made at `site` (see `lazy_site`).
    pub(crate) const fn new_lazy(site: &'static Location<'static>) -> Self {
        ObjCell {
            packed: AtomicU64::new(0),
            class: StateClass::Input,
            allowed: false,
            lazy_site: Some(site),
        }
    }

    /// Marks the object's impure writes as accepted, in this execution too.
    pub(crate) fn allow(&mut self) {
        self.allowed = true;
        let p = *self.packed.get_mut();
        if p != 0 && simulated() {
            exec::with(|s| {
                if p >> 32 == s.epoch as u64 {
                    s.allow_object((p & 0xFFFF_FFFF) as ObjId - 1);
                }
            });
        }
    }

    pub(crate) const fn new_const() -> Self {
        ObjCell {
            packed: AtomicU64::new(0),
            class: StateClass::Global,
            allowed: false,
            lazy_site: None,
        }
    }

    /// [`new_const`](Self::new_const), its impure writes accepted (a primitive's own
    /// bookkeeping, which is not the program's state).
    pub(crate) const fn new_const_allowed() -> Self {
        ObjCell {
            packed: AtomicU64::new(0),
            class: StateClass::Global,
            allowed: true,
            lazy_site: None,
        }
    }

    /// The object's id in the current execution (registering it on first use: a
    /// `const`-made object as described at `lazy_site`, any other one that comes from
    /// outside the execution as global).
    #[inline(always)]
    pub(crate) fn id(
        &self,
        s: &mut ExecState,
        kind: ObjKind,
        site: &'static Location<'static>,
    ) -> ObjId {
        let p = self.packed.load(Ordering::Relaxed);
        if p >> 32 == s.epoch as u64 && p != 0 {
            return (p & 0xFFFF_FFFF) as ObjId - 1;
        }
        self.register(s, kind, site)
    }

    /// [`id`](Self::id)'s first use of the object in this execution.
    #[cold]
    #[inline(never)]
    fn register(
        &self,
        s: &mut ExecState,
        kind: ObjKind,
        site: &'static Location<'static>,
    ) -> ObjId {
        let id = match self.lazy_site {
            Some(made_at) => {
                let creator = s.stack_owner(self as *const ObjCell as usize);
                s.new_object_of(kind, made_at, creator, self.class)
            }
            None => s.new_object(kind, site, true, StateClass::Global),
        };
        if self.allowed {
            s.allow_object(id);
        }
        self.packed
            .store((s.epoch as u64) << 32 | (id as u64 + 1), Ordering::Relaxed);
        id
    }

    /// An access to this object as a scheduling point: the object is resolved inside the
    /// point's own borrow of the execution state (one borrow per access, not two).
    // The simulator's path: kept out of line so that the real runtime's fast paths,
    // which only test `simulated()`, stay small enough to inline.
    #[cold]
    #[inline(never)]
    pub(crate) fn access(&self, obj: ObjKind, kind: AccessKind, site: &'static Location<'static>) {
        self.access_inline(obj, kind, site);
    }

    /// [`access`](Self::access) with only the switch to the execution loop inlined into
    /// the caller; the point's work is [`access_point`](Self::access_point), out of line.
    /// A task resumed here then returns from no frame older than its suspension before it
    /// next suspends: its returns stay paired with its calls, which the CPU's return
    /// predictor needs (a suspension inside a callee costs two mispredicted returns per
    /// resume, ≈ 15–20 ns; see `coro.rs`). For `Shared`, whose accesses are most of a
    /// racy program's points; the other primitives keep their real-runtime fast paths
    /// small with [`access`](Self::access).
    #[inline(always)]
    pub(crate) fn access_inline(
        &self,
        obj: ObjKind,
        kind: AccessKind,
        site: &'static Location<'static>,
    ) {
        if let Some(y) = self.access_point(obj, kind, site) {
            exec::suspend_task(y);
        }
    }

    /// [`access`](Self::access)'s point: records it and decides who runs next; the yielder
    /// to suspend through if another task does.
    // The simulator's path: kept out of line so that the real runtime's fast paths,
    // which only test `simulated()`, stay small enough to inline. Not `#[cold]`: a
    // call after a cold call is cold too, and LLVM would not inline the switch there.
    #[inline(never)]
    fn access_point(
        &self,
        obj: ObjKind,
        kind: AccessKind,
        site: &'static Location<'static>,
    ) -> Option<*const TaskYielder> {
        exec::point_decide(|s| Op::Access(self.id(s, obj, site), kind), site)
    }

    /// [`access`](Self::access), returning the object's id (for an operation that may
    /// then block on the object or notify it).
    #[cold]
    #[inline(never)]
    pub(crate) fn access_id(
        &self,
        obj: ObjKind,
        kind: AccessKind,
        site: &'static Location<'static>,
    ) -> ObjId {
        let mut id = None;
        exec::point_with(
            |s| {
                let i = self.id(s, obj, site);
                id = Some(i);
                Op::Access(i, kind)
            },
            site,
        );
        // While tearing down, the point does nothing (nor resolves the object).
        id.unwrap_or_else(|| self.resolve(obj, site))
    }

    /// The object's id in the current execution (simulator only).
    #[cold]
    #[inline(never)]
    pub(crate) fn resolve(&self, obj: ObjKind, site: &'static Location<'static>) -> ObjId {
        exec::with(|s| self.id(s, obj, site))
    }
}
