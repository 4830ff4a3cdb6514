//! `Barrier`, shaped like `std::sync::Barrier`.

use super::condvar::Condvar;
use super::mutex::Mutex;
use crate::sim::object::ObjKind;
use std::fmt;
use std::panic::Location;

/// A barrier: `n` tasks call [`wait`](Barrier::wait) and all continue once the last one
/// arrives, as [`std::sync::Barrier`]. It is reusable.
///
/// It is built on this module's `Mutex` and `Condvar` (the classic generation-counting
/// barrier), so it runs on the pool and under the simulator alike. Under the simulator a
/// task waiting at a barrier that the remaining tasks can never reach is part of a
/// `Deadlock` finding that names the barrier. On the pool, tasks blocked at a barrier
/// hold their threads: the pool compensates with spare threads, so a barrier of more
/// tasks than threads still completes.
///
/// ```
/// use forkwait::sync::{Arc, Barrier};
/// use forkwait::{fork, wait};
///
/// let barrier = Arc::new(Barrier::new(3));
/// let tasks: Vec<_> = (0..3)
///     .map(|_| {
///         let b = Arc::clone(&barrier);
///         fork(move || b.wait().is_leader())
///     })
///     .collect();
/// let leaders = tasks.into_iter().map(wait).filter(|&l| l).count();
/// assert_eq!(leaders, 1);
/// ```
pub struct Barrier {
    state: Mutex<BarrierState>,
    cvar: Condvar,
    n: usize,
}

struct BarrierState {
    count: usize,
    generation: u64,
}

/// What [`Barrier::wait`] returns: whether this task was the barrier's leader (std's
/// `BarrierWaitResult`, which has no public constructor).
///
/// ```
/// let b = forkwait::sync::Barrier::new(1);
/// assert!(b.wait().is_leader());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the one chosen as leader (exactly one per generation).
    ///
    /// ```
    /// assert!(forkwait::sync::Barrier::new(1).wait().is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for `n` tasks (`0` and `1` never block); `const`, as std's.
    ///
    /// ```
    /// let b = forkwait::sync::Barrier::new(0);
    /// assert!(b.wait().is_leader());
    /// ```
    #[track_caller]
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            // The barrier's own bookkeeping is not the program's state: no purity finding.
            state: Mutex::new_static_allowed(BarrierState {
                count: 0,
                generation: 0,
            }),
            cvar: Condvar::of_kind(ObjKind::Barrier, Location::caller()),
            n,
        }
    }

    /// A barrier for a `static` (std's `Barrier::new` is `const`; this one is too).
    ///
    /// ```
    /// static B: forkwait::sync::Barrier = forkwait::sync::Barrier::new_static(1);
    /// assert!(B.wait().is_leader());
    /// ```
    pub const fn new_static(n: usize) -> Barrier {
        Barrier {
            state: Mutex::new_static_allowed(BarrierState {
                count: 0,
                generation: 0,
            }),
            cvar: Condvar::of_kind_static(ObjKind::Barrier),
            n,
        }
    }

    /// Blocks until `n` tasks have called `wait`; exactly one of them gets a result whose
    /// [`is_leader`](BarrierWaitResult::is_leader) is true.
    ///
    /// ```
    /// let b = forkwait::sync::Barrier::new(1);
    /// assert!(b.wait().is_leader());
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait(&self) -> BarrierWaitResult {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let generation = st.generation;
        st.count += 1;
        if st.count < self.n {
            let _st = self
                .cvar
                .wait_while(st, |s| s.generation == generation)
                .unwrap_or_else(|p| p.into_inner());
            BarrierWaitResult(false)
        } else {
            st.count = 0;
            st.generation = st.generation.wrapping_add(1);
            drop(st);
            self.cvar.notify_all();
            BarrierWaitResult(true)
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}
