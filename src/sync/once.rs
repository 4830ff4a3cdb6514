//! `OnceLock` and `LazyLock`, shaped like std's.

use crate::backend::simulated;
use crate::sim::object::AccessKind;
use crate::sim::object::ObjCell;
use crate::sim::object::{self, ObjKind, Wakeable};
use std::fmt;
use std::ops::Deref;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// A cell written at most once, as [`std::sync::OnceLock`].
///
/// `new` is `const`, so it can live in a `static` (it is then global state to the
/// simulator). Under the simulator reading it and initializing it are scheduling points;
/// a task that finds another task initializing it blocks until the value is there (as
/// std's `get_or_init` does), and the initialization happens-before every read that
/// sees it. On the pool, a thread that must wait for another's initialization lets the
/// pool compensate for it.
///
/// ```
/// use forkwait::sync::OnceLock;
/// use forkwait::{fork, wait};
///
/// static CONFIG: OnceLock<String> = OnceLock::new();
/// let t = fork(|| CONFIG.get_or_init(|| "from a task".to_string()).len());
/// let here = CONFIG.get_or_init(|| "from a task".to_string()).len();
/// assert_eq!(wait(t), here);
/// ```
pub struct OnceLock<T> {
    obj: ObjCell,
    inner: std::sync::OnceLock<T>,
    /// Under the simulator: a task is running the initializer.
    busy: AtomicBool,
}

impl<T> OnceLock<T> {
    /// A new empty cell.
    ///
    /// ```
    /// let c: forkwait::sync::OnceLock<u8> = forkwait::sync::OnceLock::new();
    /// assert!(c.get().is_none());
    /// ```
    pub const fn new() -> OnceLock<T> {
        OnceLock {
            obj: ObjCell::new_const(),
            inner: std::sync::OnceLock::new(),
            busy: AtomicBool::new(false),
        }
    }

    #[inline]
    fn touch(&self, kind: AccessKind, site: &'static Location<'static>) {
        if simulated() {
            self.obj.access(ObjKind::Once, kind, site);
        }
    }

    /// The value, if it is initialized (never blocks).
    ///
    /// ```
    /// let c = forkwait::sync::OnceLock::new();
    /// assert_eq!(c.get(), None);
    /// c.set(1).unwrap();
    /// assert_eq!(c.get(), Some(&1));
    /// ```
    #[inline]
    #[track_caller]
    pub fn get(&self) -> Option<&T> {
        self.touch(AccessKind::Read, Location::caller());
        self.inner.get()
    }

    /// A mutable reference to the value, if initialized (the borrow is exclusive).
    ///
    /// ```
    /// let mut c = forkwait::sync::OnceLock::new();
    /// c.set(1).unwrap();
    /// *c.get_mut().unwrap() += 1;
    /// assert_eq!(c.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.inner.get_mut()
    }

    /// Sets the value if the cell is empty.
    ///
    /// # Errors
    ///
    /// `Err(value)` if it was already initialized.
    ///
    /// ```
    /// let c = forkwait::sync::OnceLock::new();
    /// assert_eq!(c.set(1), Ok(()));
    /// assert_eq!(c.set(2), Err(2));
    /// ```
    #[inline]
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        self.get_or_init_at(
            || value.take().expect("initializer runs once"),
            Location::caller(),
        );
        match value {
            None => Ok(()),
            Some(v) => Err(v),
        }
    }

    /// The value, initializing it with `f` if the cell is empty. Several tasks may call
    /// it at once: one runs `f`, the others wait for its value.
    ///
    /// # Panics
    ///
    /// If `f` panics, the panic propagates and the cell stays empty (another caller may
    /// initialize it later), as with std.
    ///
    /// ```
    /// let c = forkwait::sync::OnceLock::new();
    /// assert_eq!(*c.get_or_init(|| 5), 5);
    /// assert_eq!(*c.get_or_init(|| 6), 5);
    /// ```
    #[inline]
    #[track_caller]
    pub fn get_or_init<F>(&self, f: F) -> &T
    where
        F: FnOnce() -> T,
    {
        self.get_or_init_at(f, Location::caller())
    }

    #[inline]
    fn get_or_init_at<F>(&self, f: F, site: &'static Location<'static>) -> &T
    where
        F: FnOnce() -> T,
    {
        if !simulated() {
            if let Some(v) = self.inner.get() {
                return v;
            }
        }
        self.init_slow(f, site)
    }

    /// Not initialized yet, or under the simulator.
    #[cold]
    #[inline(never)]
    fn init_slow<F>(&self, f: F, site: &'static Location<'static>) -> &T
    where
        F: FnOnce() -> T,
    {
        if !simulated() {
            return crate::runtime::blocking(|| self.inner.get_or_init(f));
        }
        let mut f = Some(f);
        loop {
            let id = self.obj.access_id(ObjKind::Once, AccessKind::Read, site);
            if let Some(v) = self.inner.get() {
                return v;
            }
            if !self.busy.swap(true, Relaxed) {
                // This task initializes; whoever blocked meanwhile is woken at the end,
                // also if `f` panics (then the cell stays empty).
                struct Done<'a, T>(&'a OnceLock<T>, &'static Location<'static>);
                impl<T> Drop for Done<'_, T> {
                    #[inline]
                    fn drop(&mut self) {
                        self.0.busy.store(false, Relaxed);
                        if simulated() {
                            object::notify(self.0.obj.resolve(ObjKind::Once, self.1), true);
                        }
                    }
                }
                let done = Done(self, site);
                let v = (f.take().expect("initializer runs once"))();
                self.obj.access(ObjKind::Once, AccessKind::Write, site);
                let r = self.inner.get_or_init(|| v);
                drop(done);
                return r;
            }
            object::block_on(id, Wakeable::Notified);
        }
    }

    /// Consumes the cell and returns its value, if any.
    ///
    /// ```
    /// let c = forkwait::sync::OnceLock::new();
    /// c.set("v").unwrap();
    /// assert_eq!(c.into_inner(), Some("v"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.inner.into_inner()
    }

    /// Takes the value out, leaving the cell empty (the borrow is exclusive).
    ///
    /// ```
    /// let mut c = forkwait::sync::OnceLock::new();
    /// c.set(3).unwrap();
    /// assert_eq!(c.take(), Some(3));
    /// assert!(c.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        self.inner.take()
    }
}

impl<T> Default for OnceLock<T> {
    fn default() -> Self {
        OnceLock::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    fn from(v: T) -> Self {
        OnceLock {
            obj: ObjCell::new_const(),
            inner: std::sync::OnceLock::from(v),
            busy: AtomicBool::new(false),
        }
    }
}

impl<T: Clone> Clone for OnceLock<T> {
    fn clone(&self) -> Self {
        match self.inner.get() {
            Some(v) => OnceLock::from(v.clone()),
            None => OnceLock::new(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("OnceLock");
        match self.inner.get() {
            Some(v) => d.field(v),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}

/// A value computed on first use, as [`std::sync::LazyLock`]; built on [`OnceLock`], so
/// its initialization is seen by the simulator the same way.
///
/// ```
/// use forkwait::sync::LazyLock;
/// static SQUARES: LazyLock<Vec<u32>> = LazyLock::new(|| (0..4).map(|i| i * i).collect());
/// let t = forkwait::fork(|| SQUARES[3]);
/// assert_eq!(forkwait::wait(t), 9);
/// assert_eq!(LazyLock::force(&SQUARES).len(), 4);
/// ```
pub struct LazyLock<T, F = fn() -> T> {
    once: OnceLock<T>,
    init: std::sync::Mutex<Option<F>>,
}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    /// A lazy value computed by `f` on first use.
    ///
    /// ```
    /// let l = forkwait::sync::LazyLock::new(|| 2 + 2);
    /// assert_eq!(*l, 4);
    /// ```
    pub const fn new(f: F) -> LazyLock<T, F> {
        LazyLock {
            once: OnceLock::new(),
            init: std::sync::Mutex::new(Some(f)),
        }
    }

    /// Forces the evaluation and returns the value.
    ///
    /// # Panics
    ///
    /// If the initializer panicked before (the value can then never be computed), as std.
    ///
    /// ```
    /// let l = forkwait::sync::LazyLock::new(|| "x");
    /// assert_eq!(*forkwait::sync::LazyLock::force(&l), "x");
    /// ```
    #[inline]
    #[track_caller]
    pub fn force(this: &LazyLock<T, F>) -> &T {
        this.once.get_or_init_at(
            || {
                let f = this
                    .init
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .expect("LazyLock instance has previously been poisoned");
                f()
            },
            Location::caller(),
        )
    }
}

impl<T, F: FnOnce() -> T> Deref for LazyLock<T, F> {
    type Target = T;
    #[track_caller]
    #[inline]
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T: fmt::Debug, F> fmt::Debug for LazyLock<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("LazyLock");
        match self.once.inner.get() {
            Some(v) => d.field(v),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}

/// A one-time initialization, as [`std::sync::Once`], built on [`OnceLock`] (so under the
/// simulator `call_once` is a scheduling point and a task that finds another one running
/// the closure blocks until it is done). `call_once_force` and `OnceState` are not
/// provided: a closure that panicked leaves the `Once` not completed, and a later
/// `call_once` runs again (std's would panic, the `Once` being poisoned).
///
/// ```
/// use forkwait::sync::Once;
/// static INIT: Once = Once::new();
/// let mut runs = 0;
/// INIT.call_once(|| runs += 1);
/// INIT.call_once(|| runs += 1);
/// assert_eq!(runs, 1);
/// assert!(INIT.is_completed());
/// ```
pub struct Once {
    done: OnceLock<()>,
}

impl Once {
    /// A new `Once` (`const`, for statics).
    ///
    /// ```
    /// assert!(!forkwait::sync::Once::new().is_completed());
    /// ```
    pub const fn new() -> Once {
        Once {
            done: OnceLock::new(),
        }
    }

    /// Runs `f` if no call has completed yet; otherwise (or once another task's call
    /// completes) returns without running it.
    ///
    /// ```
    /// let once = forkwait::sync::Once::new();
    /// once.call_once(|| println!("once"));
    /// ```
    #[inline]
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        self.done.get_or_init_at(f, Location::caller());
    }

    /// Whether a call has completed.
    ///
    /// ```
    /// let once = forkwait::sync::Once::new();
    /// once.call_once(|| ());
    /// assert!(once.is_completed());
    /// ```
    #[inline]
    #[track_caller]
    pub fn is_completed(&self) -> bool {
        self.done.get().is_some()
    }
}

impl Default for Once {
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once").finish_non_exhaustive()
    }
}
