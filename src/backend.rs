//! The backend serving this thread, for every mode-dependent operation of the API: which
//! one is `mode.rs`'s switch (eager, trace, the pool, the simulator); what each does for
//! a fork, a yield and an interpreter's source position is here, and only here. (Futures
//! carry their backend in `future::Repr`; `sync` asks `mode` whether it is simulated.)

use crate::future::Repr;
use crate::mode::{self as context, Context};
use crate::runtime::task::Task;
use crate::span::SourceSpan;
use crate::{runtime, sim};
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
            let task = Task::new(f, site);
            runtime::pool::push(task.clone());
            Repr::Pool(task)
        }
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
        Context::Sim => sim::exec::with(|s| s.set_span(span)),
        _ => runtime::trace::set_span(span),
    }
}
