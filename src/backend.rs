//! The backend serving this thread, for every mode-dependent operation of the API: which
//! one is `mode.rs`'s switch (eager, trace, the pool, the simulator); what each does for
//! a fork (plain or scoped), a yield, an interpreter's source position, and whether `sync`
//! takes its simulated path, is here and only here. (A future, once made, carries its
//! backend in `future::Repr`.)

use crate::future::Repr;
use crate::mode::{self as context, Context};
use crate::runtime::task::JobRef;
use crate::span::SourceSpan;
use crate::{runtime, sim};
use std::any::Any;
use std::panic::{AssertUnwindSafe, Location};

type Site = &'static Location<'static>;

/// Forks `f` on this thread's backend.
#[inline]
pub(crate) fn fork<F, T>(f: F, site: Site) -> Repr<'static, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match context::current() {
        Context::Eager | Context::Trace => fork_ready(f, site),
        Context::Sim => Repr::Sim(sim::fork(f, site)),
        Context::Pool | Context::Default => {
            // The thread that runs the task (a worker, or a waiter helping) gets back its
            // source position (`set_source_span`) when the task ends.
            let f = move || {
                let _span = runtime::trace::enter_task();
                f()
            };
            Repr::Pool(runtime::pool::fork(f, site))
        }
    }
}

/// Forks `f`, which may borrow for `'env`, on this thread's backend: its future, and what
/// the scope must join before `'env` ends (`None`: the task already ran, eagerly).
pub(crate) fn fork_scoped<'env, F, T>(f: F, site: Site) -> (Repr<'env, T>, Option<Pending<'env>>)
where
    F: FnOnce() -> T + Send + 'env,
    T: Send + 'env,
{
    match context::current() {
        Context::Eager | Context::Trace => (fork_ready(f, site), None),
        Context::Sim => {
            let fut = sim::fork(f, site);
            let pending = Pending::Sim(Box::new(fut.handle()));
            (Repr::Sim(fut), Some(pending))
        }
        Context::Pool | Context::Default => {
            // SAFETY: a `Pending` is joined before `'env` ends (`Scope`'s contract: `scope`
            // joins every pending job before it returns, and 'env outlives the scope); so
            // nothing the task borrows is freed while the task may still run or hold its
            // result.
            let task = unsafe { runtime::pool::fork_unchecked(f, site) };
            let pending = Pending::Pool(task.job().clone());
            (Repr::Pool(task), Some(pending))
        }
    }
}

/// A scoped task to join before its scope ends: on the pool, or simulated.
pub(crate) enum Pending<'env> {
    Pool(JobRef),
    Sim(Box<dyn SimJoin + 'env>),
}

impl Pending<'_> {
    /// Waits for the task (at `site`, the scope's end).
    pub(crate) fn join(&self, site: Site) {
        match self {
            Pending::Pool(job) => runtime::pool::wait_job(job),
            Pending::Sim(h) => h.join(site),
        }
    }

    /// Once every task of the scope is done: what is left of its result. Its panic, if
    /// it panicked and nobody waited its future; a value nobody waited is dropped now,
    /// inside the scope (it may borrow `'env`).
    pub(crate) fn take_leftover(&self) -> Option<Box<dyn Any + Send>> {
        match self {
            Pending::Pool(job) => job.take_leftover(),
            Pending::Sim(h) => h.take_leftover(),
        }
    }
}

/// Joins a simulated scoped task without its type.
pub(crate) trait SimJoin {
    fn join(&self, site: Site);
    fn take_leftover(&self) -> Option<Box<dyn Any + Send>>;
}

impl<T> SimJoin for sim::SimFuture<T> {
    fn join(&self, site: Site) {
        self.join_ref(site)
    }
    fn take_leftover(&self) -> Option<Box<dyn Any + Send>> {
        sim::SimFuture::take_leftover(self)
    }
}

/// Eager and trace modes: runs `f` now, catching its panic for `wait`.
pub(crate) fn fork_ready<'a, F, T>(f: F, site: &'static Location<'static>) -> Repr<'a, T>
where
    F: FnOnce() -> T,
{
    let run = || {
        let _span = runtime::trace::enter_task();
        std::panic::catch_unwind(AssertUnwindSafe(f))
    };
    let (result, node) = if context::current() == Context::Trace {
        let (r, id) = runtime::trace::record_fork(site, std::any::type_name::<T>(), run);
        (r, Some(id))
    } else {
        (run(), None)
    };
    Repr::Ready {
        result: Some(result),
        site,
        node,
    }
}

/// An explicit scheduling point on this thread's backend.
#[inline]
pub(crate) fn yield_now(site: Site) {
    match context::current() {
        Context::Eager | Context::Trace => {}
        Context::Sim => sim::yield_now(site),
        Context::Pool | Context::Default => std::thread::yield_now(),
    }
}

/// Sets (or, `None`, forgets) the interpreted-source position of the current task.
pub(crate) fn set_span(span: Option<SourceSpan>) {
    match context::current() {
        Context::Sim => sim::set_span(span),
        _ => runtime::trace::set_span(span),
    }
}

/// The backend serving this thread, as [`crate::hooks::mode`] shows it.
pub(crate) fn mode() -> crate::hooks::Mode {
    use crate::hooks::Mode;
    match context::current() {
        Context::Default | Context::Pool => Mode::Parallel,
        Context::Eager => Mode::Eager,
        Context::Trace => Mode::Trace,
        Context::Sim => Mode::Simulator,
    }
}

/// Whether instrumented `sync` objects take their simulated path on this thread.
#[inline]
pub(crate) fn simulated() -> bool {
    context::current() == Context::Sim
}
