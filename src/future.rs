//! `Future<T>`: the handle `fork` returns, and `TaskPanic`.

use crate::runtime::task::{Handle, Payload};
use std::fmt;
use std::panic::Location;

/// A reference to the result of a forked task.
///
/// The value may not be computed yet; [`wait`](Future::wait) forces completion and returns
/// it. A `Future` is `Send`: it may be moved into another task and waited there. Dropping
/// it *detaches* the task, which still runs to completion; a panic in a detached task is
/// reported as lost (see [`runtime::lost_panic_count`](crate::runtime::lost_panic_count)
/// and, under the simulator, the `LostError` finding).
///
/// ```
/// let fut: forkwait::Future<i64> = forkwait::fork(|| 6 * 7);
/// // ... do other work while the task runs ...
/// assert_eq!(fut.wait(), 42);
/// ```
#[must_use = "a future that is never waited detaches its task, and loses its panics"]
pub struct Future<T> {
    repr: Option<Repr<'static, T>>,
}

/// How a future reaches its result: shared by [`Future`] and
/// [`ScopedFuture`](crate::ScopedFuture).
pub(crate) enum Repr<'a, T> {
    /// Eager and trace modes: the task already ran.
    Ready {
        result: Option<std::thread::Result<T>>,
        site: &'static Location<'static>,
        node: Option<usize>,
    },
    /// A task of a pool.
    Pool(Handle<'a, T>),
    /// A task of the simulator.
    Sim(crate::sim::SimFuture<T>),
}

impl<'a, T> Repr<'a, T> {
    pub(crate) fn is_done(&self) -> bool {
        match self {
            Repr::Ready { .. } => true,
            Repr::Pool(h) => h.header().is_done(),
            Repr::Sim(f) => f.is_done(),
        }
    }

    /// Forces completion and takes the result; `site` is where the program waits.
    #[inline]
    pub(crate) fn join(self, site: &'static Location<'static>) -> std::thread::Result<T> {
        match self {
            Repr::Ready {
                mut result, node, ..
            } => {
                crate::runtime::trace::record_wait(node, site);
                result.take().expect("forkwait: result taken twice")
            }
            Repr::Pool(h) => crate::runtime::pool::wait_owned(h),
            Repr::Sim(f) => f.join(site),
        }
    }

    /// The future is dropped unwaited: report a panic that nobody will ever see.
    pub(crate) fn detach(self) {
        match self {
            Repr::Ready {
                result: Some(Err(p)),
                site,
                ..
            } => crate::runtime::report_lost_panic(site, &*p),
            Repr::Ready { .. } => {}
            Repr::Pool(h) => {
                if let Some(p) = h.detach() {
                    crate::runtime::report_lost_panic(h.header().site, &*p);
                }
            }
            // The simulator reports it as a `LostError` finding.
            Repr::Sim(f) => f.detach(),
        }
    }
}

impl<T> Future<T> {
    pub(crate) fn from_repr(repr: Repr<'static, T>) -> Self {
        Future { repr: Some(repr) }
    }

    /// Consumes the future for its representation. (Its `Drop`, which would only find
    /// the `None` left behind, is skipped: that saves a call on every `wait`.)
    #[inline]
    fn into_repr(self) -> Repr<'static, T> {
        let mut this = std::mem::ManuallyDrop::new(self);
        this.repr.take().expect("forkwait: future already consumed")
    }

    /// Forces completion of the task and returns its value. While it waits, the calling
    /// thread runs the awaited task itself if it has not started, or other queued tasks.
    ///
    /// # Panics
    ///
    /// If the task panicked, the panic is resumed here with its original payload (in every
    /// mode, so that modes can be compared). Use [`try_wait`](Future::try_wait) to get it
    /// as a value instead.
    ///
    /// ```
    /// let f = forkwait::fork(|| "hello".len());
    /// assert_eq!(f.wait(), 5);
    /// ```
    // Inlined (as are `try_wait` and `Repr::join`): a simulated wait then switches tasks
    // in the caller's frame (see `sim/coro.rs`).
    #[inline]
    #[track_caller]
    pub fn wait(self) -> T {
        match self.try_wait() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p.into_payload()),
        }
    }

    /// Forces completion and returns the task's value, or its panic as a [`TaskPanic`].
    ///
    /// ```
    /// let f = forkwait::fork(|| -> u8 { panic!("boom") });
    /// let err = f.try_wait().unwrap_err();
    /// assert_eq!(err.message(), Some("boom"));
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_wait(self) -> Result<T, TaskPanic> {
        let site = Location::caller();
        self.into_repr().join(site).map_err(TaskPanic::new)
    }

    /// Turns this future into a [`SharedFuture`](crate::SharedFuture), which any number
    /// of tasks may wait, any number of times (as a `torch.jit.Future` may be).
    ///
    /// ```
    /// let f = forkwait::fork(|| 21).shared();
    /// let g = f.clone();
    /// let t = forkwait::fork(move || g.wait() * 2);
    /// assert_eq!(forkwait::wait(t), 42);
    /// assert_eq!(f.wait(), 21);
    /// ```
    pub fn shared(self) -> crate::SharedFuture<T> {
        crate::SharedFuture::from_repr(self.into_repr())
    }

    /// Whether the task has finished (so `wait` would not block).
    ///
    /// ```
    /// let f = forkwait::Runtime::eager().run(|| forkwait::fork(|| 1));
    /// assert!(f.is_done());
    /// assert_eq!(f.wait(), 1);
    /// ```
    pub fn is_done(&self) -> bool {
        self.repr.as_ref().is_some_and(|r| r.is_done())
    }
}

impl<T> Drop for Future<T> {
    fn drop(&mut self) {
        if let Some(r) = self.repr.take() {
            r.detach();
        }
    }
}

// A future's shared state is atomic and stays consistent if a waiter unwinds (the result
// is either still in the task or already moved out), like `std::thread::JoinHandle`'s.
impl<T> std::panic::UnwindSafe for Future<T> {}
impl<T> std::panic::RefUnwindSafe for Future<T> {}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Future")
            .field("done", &self.is_done())
            .finish()
    }
}

/// The panic of a forked task, as returned by [`Future::try_wait`].
///
/// ```
/// let p = forkwait::fork(|| -> () { std::panic::panic_any(7u32) }).try_wait().unwrap_err();
/// assert_eq!(p.payload().downcast_ref::<u32>(), Some(&7));
/// assert_eq!(p.message(), None);
/// ```
pub struct TaskPanic {
    payload: Payload,
}

impl TaskPanic {
    pub(crate) fn new(payload: Payload) -> Self {
        TaskPanic { payload }
    }

    /// The panic payload, as `std::panic::catch_unwind` would return it.
    ///
    /// ```
    /// let p = forkwait::fork(|| -> () { panic!("x") }).try_wait().unwrap_err();
    /// assert_eq!(p.payload().downcast_ref::<&str>(), Some(&"x"));
    /// ```
    pub fn payload(&self) -> &(dyn std::any::Any + Send) {
        &*self.payload
    }

    /// The payload, to resume it with `std::panic::resume_unwind`.
    ///
    /// ```
    /// let p = forkwait::fork(|| -> () { panic!("x") }).try_wait().unwrap_err();
    /// let payload = p.into_payload();
    /// assert!(payload.is::<&str>());
    /// ```
    pub fn into_payload(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.payload
    }

    /// The panic message, when the payload is a `&str` or a `String`.
    ///
    /// ```
    /// let p = forkwait::fork(|| -> () { panic!("n = {}", 3) }).try_wait().unwrap_err();
    /// assert_eq!(p.message(), Some("n = 3"));
    /// ```
    pub fn message(&self) -> Option<&str> {
        payload_str(&*self.payload)
    }
}

pub(crate) fn payload_str(p: &(dyn std::any::Any + Send)) -> Option<&str> {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(|s| s.as_str()))
}

/// The message of a panic payload, or a placeholder naming that it is not text.
pub(crate) fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    match payload_str(p) {
        Some(s) => format!("{s:?}"),
        None => "a non-string payload".to_string(),
    }
}

impl fmt::Debug for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskPanic")
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task panicked: {}", payload_text(&*self.payload))
    }
}

impl std::error::Error for TaskPanic {}
