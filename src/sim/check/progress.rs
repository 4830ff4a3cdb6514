//! Progress reports of a long run: a hook the checker calls now and then with the
//! executions so far and, for an exhaustive search, an estimate of how many it will run.
//! The library draws nothing (it has no terminal dependency); the CLI draws a bar.
//!
//! The hook is called at most every [`PERIOD`] of wall-clock time, and once at the end.
//! The clock decides only *when to report*: no schedule depends on it.

use super::Checker;
use crate::sim::sched::Scheduler;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The least time between two progress reports.
pub(super) const PERIOD: Duration = Duration::from_millis(100);

/// A run's progress, as handed to the hook of [`Checker::on_progress`].
///
/// ```
/// use forkwait::{Checker, Progress, Strategy};
/// use std::sync::{Arc, Mutex};
/// let last: Arc<Mutex<Option<Progress>>> = Arc::default();
/// let l = last.clone();
/// let r = Checker::new()
///     .strategy(Strategy::Exhaustive { max_preemptions: None })
///     .on_progress(move |p| *l.lock().unwrap() = Some(*p))
///     .run(|| forkwait::wait(forkwait::fork(|| 1)));
/// let p = last.lock().unwrap().unwrap();
/// assert!(p.finished);
/// assert_eq!(p.executions, r.executions());
/// assert_eq!(p.estimated_total, Some(r.executions())); // a finished search knows
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Executions run so far.
    pub executions: u64,
    /// The run's iteration budget.
    pub budget: u64,
    /// For an exhaustive search: the estimated number of executions of the whole search
    /// (at least `executions`; from the position of the depth-first search, exact on a
    /// tree whose branching is uniform). `None` for sampling strategies.
    pub estimated_total: Option<u64>,
    /// Whether this is the run's last report (its exploration is over).
    pub finished: bool,
}

/// The hook, shareable between the clones of a checker.
#[derive(Clone)]
pub(super) struct ProgressHook(pub(super) Arc<dyn Fn(&Progress) + Send + Sync>);

// A checker moved into `catch_unwind` stays unwind-safe with a hook: the hook only
// observes (a panic inside it cannot leave the checker's own state broken).
impl std::panic::UnwindSafe for ProgressHook {}
impl std::panic::RefUnwindSafe for ProgressHook {}

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook(..)")
    }
}

/// Rate-limits the hook's calls over one run.
pub(super) struct ProgressClock<'a> {
    hook: Option<&'a ProgressHook>,
    last: Option<Instant>,
}

impl<'a> ProgressClock<'a> {
    pub(super) fn new(hook: Option<&'a ProgressHook>) -> Self {
        ProgressClock {
            hook,
            last: hook.map(|_| Instant::now()),
        }
    }

    /// Reports, if a hook is set and the period has passed.
    pub(super) fn tick(&mut self, executions: u64, budget: u64, sched: &dyn Scheduler) {
        if self.last.is_some_and(|t| t.elapsed() < PERIOD) {
            return;
        }
        self.last = Some(Instant::now());
        let estimated_total = sched
            .done_fraction()
            .map(|f| ((executions as f64 / f).round() as u64).max(executions));
        self.report(executions, budget, estimated_total, false);
    }

    /// The last report: `cut` when the search stopped with schedules left; `done` the
    /// scheduler's done fraction after the last execution.
    pub(super) fn finish(&mut self, executions: u64, budget: u64, done: Option<f64>, cut: bool) {
        let estimated_total = done.map(|f| {
            if cut {
                ((executions as f64 / f).round() as u64).max(executions)
            } else {
                executions
            }
        });
        self.report(executions, budget, estimated_total, true);
    }

    fn report(&self, executions: u64, budget: u64, estimated_total: Option<u64>, finished: bool) {
        if let Some(hook) = self.hook {
            (hook.0)(&Progress {
                executions,
                budget,
                estimated_total,
                finished,
            });
        }
    }
}

impl Checker {
    /// Calls `hook` with the run's [`Progress`] about ten times a second while it
    /// explores, and once when the exploration is over (before shrinking): for a
    /// progress bar. The hook decides nothing: schedules do not depend on it.
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
    /// let calls = Arc::new(AtomicU64::new(0));
    /// let c = calls.clone();
    /// forkwait::Checker::new()
    ///     .iterations(10)
    ///     .on_progress(move |p| { c.fetch_add(1, Ordering::Relaxed); assert!(p.executions <= 10); })
    ///     .run(|| ());
    /// assert!(calls.load(Ordering::Relaxed) >= 1);
    /// ```
    pub fn on_progress(mut self, hook: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressHook(Arc::new(hook)));
        self
    }
}
