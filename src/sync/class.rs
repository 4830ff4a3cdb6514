//! Purity classes, and the identity every instrumented object has in an execution.

use crate::mode::{self as context, Context};
use crate::sim::AccessKind;
use crate::sim::exec::{self, ObjId, ObjKind};
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

/// Whether the current thread runs under the simulator.
#[inline]
pub(crate) fn in_sim() -> bool {
    context::current() == Context::Sim
}

impl ObjCell {
    #[inline]
    pub(crate) fn new(kind: ObjKind, site: &'static Location<'static>, class: StateClass) -> Self {
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
    pub(crate) fn id(
        &self,
        s: &mut exec::ExecState,
        kind: ObjKind,
        site: &'static Location<'static>,
    ) -> ObjId {
        let p = self.packed.load(Ordering::Relaxed);
        if p >> 32 == s.epoch as u64 && p != 0 {
            return (p & 0xFFFF_FFFF) as ObjId - 1;
        }
        let id = match self.lazy_site {
            Some(made_at) => {
                let creator = s.stack_owner(self as *const ObjCell as usize);
                s.new_object_of(kind, made_at, creator, self.class)
            }
            None => s.new_object(kind, site, true, StateClass::Global),
        };
        s.objects[id as usize].allowed = self.allowed;
        self.packed
            .store((s.epoch as u64) << 32 | (id as u64 + 1), Ordering::Relaxed);
        id
    }

    /// An access to this object as a scheduling point: the object is resolved inside the
    /// point's own borrow of the execution state (one borrow per access, not two).
    // The simulator's path: kept out of line so that the real runtime's fast paths,
    // which only test `in_sim()`, stay small enough to inline.
    #[cold]
    #[inline(never)]
    pub(crate) fn access(&self, obj: ObjKind, kind: AccessKind, site: &'static Location<'static>) {
        exec::point_with(|s| exec::Op::Access(self.id(s, obj, site), kind), site);
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
                exec::Op::Access(i, kind)
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

/// What a lock guard (a `MutexGuard` or an `RwLockWriteGuard`) does about the simulator:
/// the lock's id and the acquiring site, and whether a mutable borrow was already logged.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GuardSim {
    /// The lock's id and the acquiring site, under the simulator.
    pub(crate) held: Option<(ObjId, &'static Location<'static>)>,
    /// A mutable borrow of the protected data was already logged as a write.
    pub(crate) wrote: bool,
}

impl GuardSim {
    /// A mutable borrow of the protected data: logged once per guard as a write, for the
    /// purity analysis (not a scheduling point: the lock already orders it).
    #[inline]
    pub(crate) fn borrow_mut(&mut self) {
        if !self.wrote {
            self.wrote = true;
            if let Some((id, site)) = self.held {
                if in_sim() {
                    exec::log(exec::Op::Access(id, AccessKind::Write), site);
                }
            }
        }
    }

    /// The simulator's release of an exclusively held lock: drops std's guard (`drop_std`)
    /// without leaving the lock poisoned by the harness's teardown (an unwinding that is
    /// not the program's), then records the release.
    #[cold]
    #[inline(never)]
    pub(crate) fn release(
        &self,
        drop_std: &mut dyn FnMut(),
        is_poisoned: &dyn Fn() -> bool,
        clear_poison: &dyn Fn(),
    ) {
        let teardown = exec::tearing_down_now();
        let poisoned_before = teardown && is_poisoned();
        drop_std();
        if teardown && !poisoned_before {
            clear_poison();
        }
        if let Some((id, site)) = self.held {
            if in_sim() {
                exec::unlock(id, false, site);
            }
        }
    }
}
