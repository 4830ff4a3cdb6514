//! What a lock guard does about the simulator (shared by `Mutex` and `RwLock`).

use crate::backend::simulated;
use crate::sim::object::{self, ObjId};
use std::panic::Location;

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
                if simulated() {
                    object::log_write(id, site);
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
        let teardown = object::tearing_down_now();
        let poisoned_before = teardown && is_poisoned();
        drop_std();
        if teardown && !poisoned_before {
            clear_poison();
        }
        if let Some((id, site)) = self.held {
            if simulated() {
                object::unlock(id, false, site);
            }
        }
    }
}
