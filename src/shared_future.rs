//! `SharedFuture<T>`: a future that several tasks may wait, several times (PyTorch's
//! `torch.jit.Future` semantics).

use crate::future::{Repr, TaskPanic, payload_str};
use crate::runtime::task::Handle;
use std::fmt;
use std::panic::Location;
use std::sync::{Arc, OnceLock};

/// A future that any number of tasks may wait, any number of times, as a
/// `torch.jit.Future` may be: made by [`Future::shared`](crate::Future::shared).
///
/// Every waiter gets a clone of the value; a panic of the task reaches every waiter, with
/// its message (the payload itself is given to nobody: it cannot be cloned, so each waiter
/// gets a `String` payload holding the message). Clones are cheap (an `Arc`) and may be
/// moved into other tasks.
///
/// Under the simulator each `wait` is a scheduling point, and a waiter blocked on the task
/// is woken when it ends — whichever task waits, and however many do. On the pool a waiter
/// helps with queued work while it waits, as [`Future::wait`](crate::Future::wait) does.
///
/// ```
/// use forkwait::{fork, wait};
///
/// let config = fork(|| vec![1, 2, 3]).shared();
/// let (c1, c2) = (config.clone(), config.clone());
/// let a = fork(move || c1.wait().len());
/// let b = fork(move || c2.wait().iter().sum::<i32>());
/// assert_eq!((wait(a), wait(b)), (3, 6));
/// assert_eq!(config.wait(), vec![1, 2, 3]); // and once more
/// ```
pub struct SharedFuture<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    pending: Pending<T>,
    /// The task's value, or its panic message, once some waiter took it.
    result: OnceLock<Result<T, String>>,
}

/// How the task is waited for without consuming it.
enum Pending<T> {
    /// Eager and trace modes: it already ran (its result is in `result`); the trace node
    /// of its fork, for recording each wait.
    Ready(Option<usize>),
    Pool(Handle<'static, T>),
    Sim(crate::sim::SimFuture<T>),
}

fn message_of(p: Box<dyn std::any::Any + Send>) -> String {
    payload_str(&*p)
        .map(str::to_owned)
        .unwrap_or_else(|| "a forked task panicked (with a non-string payload)".to_string())
}

impl<T> SharedFuture<T> {
    pub(crate) fn from_repr(repr: Repr<'static, T>) -> Self {
        let result = OnceLock::new();
        let pending = match repr {
            Repr::Ready {
                result: mut slot,
                node,
                ..
            } => {
                if let Some(r) = slot.take() {
                    let _ = result.set(r.map_err(message_of));
                }
                Pending::Ready(node)
            }
            Repr::Pool(h) => Pending::Pool(h),
            Repr::Sim(f) => Pending::Sim(f),
        };
        SharedFuture {
            inner: Arc::new(Inner { pending, result }),
        }
    }

    /// Waits for the task (without taking its result) and returns the shared result.
    fn settle(&self, site: &'static Location<'static>) -> &Result<T, String> {
        match &self.inner.pending {
            Pending::Ready(node) => crate::runtime::trace::record_wait(*node, site),
            Pending::Pool(h) => crate::runtime::pool::wait_job(h.job()),
            Pending::Sim(f) => f.join_ref(site),
        }
        self.inner.result.get_or_init(|| match &self.inner.pending {
            Pending::Ready(_) => Err("forkwait: the result of an eager task is missing".into()),
            Pending::Pool(h) => h.take().map_err(message_of),
            Pending::Sim(f) => f.take_result().map_err(message_of),
        })
    }

    /// Waits for the task and returns a clone of its value.
    ///
    /// # Panics
    ///
    /// If the task panicked: every waiter panics, with the task's message as a `String`
    /// payload.
    ///
    /// ```
    /// let f = forkwait::fork(|| String::from("v")).shared();
    /// assert_eq!(f.wait(), "v");
    /// assert_eq!(f.wait(), "v");
    /// ```
    #[track_caller]
    pub fn wait(&self) -> T
    where
        T: Clone,
    {
        match self.try_wait() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p.into_payload()),
        }
    }

    /// Waits for the task and returns a clone of its value, or its panic.
    ///
    /// ```
    /// let f = forkwait::fork(|| -> u8 { panic!("bad") }).shared();
    /// let g = f.clone();
    /// assert_eq!(f.try_wait().unwrap_err().message(), Some("bad"));
    /// assert_eq!(g.try_wait().unwrap_err().message(), Some("bad"));
    /// ```
    #[track_caller]
    pub fn try_wait(&self) -> Result<T, TaskPanic>
    where
        T: Clone,
    {
        match self.settle(Location::caller()) {
            Ok(v) => Ok(v.clone()),
            Err(msg) => Err(TaskPanic::new(Box::new(msg.clone()))),
        }
    }

    /// Whether the task has finished (so `wait` would not block).
    ///
    /// ```
    /// let f = forkwait::Runtime::eager().run(|| forkwait::fork(|| 1).shared());
    /// assert!(f.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        if self.inner.result.get().is_some() {
            return true;
        }
        match &self.inner.pending {
            Pending::Ready(_) => true,
            Pending::Pool(h) => h.header().is_done(),
            Pending::Sim(f) => f.is_done(),
        }
    }
}

impl<T> Clone for SharedFuture<T> {
    fn clone(&self) -> Self {
        SharedFuture {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Drop for Inner<T> {
    /// The last clone is gone: if nobody ever waited, the task is detached, and a panic of
    /// it is reported as lost, as for a dropped [`Future`](crate::Future).
    fn drop(&mut self) {
        if self.result.get().is_some() {
            return;
        }
        match std::mem::replace(&mut self.pending, Pending::Ready(None)) {
            Pending::Ready(_) => {}
            Pending::Pool(h) => Repr::Pool(h).detach(),
            Pending::Sim(f) => Repr::Sim(f).detach(),
        }
    }
}

impl<T> std::panic::UnwindSafe for SharedFuture<T> {}
impl<T> std::panic::RefUnwindSafe for SharedFuture<T> {}

impl<T> fmt::Debug for SharedFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedFuture")
            .field("done", &self.is_done())
            .finish()
    }
}
