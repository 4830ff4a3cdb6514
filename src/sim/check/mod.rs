//! The checker: runs a closure under many schedules and turns what happened into findings.
//!
//! One idea per file: the builder is here; `env.rs` reads the `FORKWAIT_*` variables;
//! `panic.rs` is the panic hook that keeps simulated panics quiet and records them;
//! `run.rs` is the run loop (regressions first, the strategy's iterations, stopping,
//! `check` and `replay`); `findings.rs` turns one execution into findings; `shrink.rs`
//! minimizes a failing schedule; `render.rs` prints interleavings and task trees; the
//! regression files are `../persist.rs`.

mod covered;
mod env;
mod findings;
mod panic;
mod progress;
mod render;
mod run;
mod shrink;

pub(crate) use self::panic::take_last_panic;
pub use self::progress::Progress;
pub use self::run::replay;
pub(crate) use self::run::run_schedule;

use super::{Strategy, WaitPolicy};
use std::time::{Duration, Instant};

/// Configures and runs the deterministic simulator.
///
/// ```
/// use forkwait::{Checker, FindingKind, Strategy, sync::Shared};
/// use std::sync::Arc;
///
/// let report = Checker::new()
///     .strategy(Strategy::Pct { depth: 2 })
///     .iterations(200)
///     .seed(42)
///     .run(|| {
///         let counter = Arc::new(Shared::new(0));
///         let c = counter.clone();
///         let t = forkwait::fork(move || c.write(c.read() + 1)); // lost update
///         counter.write(counter.read() + 1);
///         forkwait::wait(t);
///         counter.read()
///     });
/// assert!(report.has(FindingKind::Nondeterminism));
/// ```
#[derive(Clone, Debug)]
pub struct Checker {
    strategy: Strategy,
    iterations: u64,
    /// `iterations` was set (by the builder or `FORKWAIT_ITERATIONS`): otherwise an
    /// exhaustive search runs to its end.
    iterations_set: bool,
    /// Partial-order reduction in the exhaustive strategy (off: plain depth-first).
    reduction: bool,
    seed: u64,
    max_steps: u64,
    max_time: Option<Duration>,
    workers: Option<u32>,
    policy: WaitPolicy,
    check_determinism: bool,
    stack_size: usize,
    shard: Option<(u64, u64)>,
    shrink: bool,
    log: bool,
    name: Option<String>,
    regressions: bool,
    allowed_sites: Vec<String>,
    analysis: bool,
    strict_purity: bool,
    /// Where the program under test was handed to the checker (task 0's site).
    main_site: &'static std::panic::Location<'static>,
    /// While a run explores: when its `max_time` runs out.
    deadline: Option<Instant>,
    watchdog: Option<Duration>,
    /// While a finding cut by `max_time` is illustrated: the steps it took (its replay
    /// stops there instead of running on without a deadline).
    step_cap: Option<u64>,
    /// Called with the run's progress now and then (see [`Checker::on_progress`]).
    progress: Option<progress::ProgressHook>,
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

impl Checker {
    /// A checker with the defaults: `Strategy::Random`, 1000 iterations, seed 0, a step
    /// limit of 100 000, unbounded workers, `WaitPolicy::Suspend`.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| forkwait::wait(forkwait::fork(|| 1)));
    /// assert!(r.is_clean());
    /// ```
    #[track_caller]
    pub fn new() -> Self {
        Checker {
            strategy: Strategy::Random,
            iterations: 1000,
            iterations_set: false,
            reduction: true,
            seed: 0,
            max_steps: 100_000,
            max_time: None,
            workers: None,
            policy: WaitPolicy::Suspend,
            check_determinism: false,
            stack_size: 256 * 1024,
            shard: None,
            shrink: true,
            log: false,
            name: None,
            regressions: false,
            allowed_sites: Vec::new(),
            strict_purity: false,
            analysis: true,
            main_site: std::panic::Location::caller(),
            deadline: None,
            watchdog: Some(Duration::from_secs(10)),
            step_cap: None,
            progress: None,
        }
    }

    /// The exploration strategy.
    ///
    /// ```
    /// let r = forkwait::Checker::new()
    ///     .strategy(forkwait::Strategy::Exhaustive { max_preemptions: None })
    ///     .run(|| forkwait::wait(forkwait::fork(|| 1)));
    /// assert!(r.executions() >= 1);
    /// ```
    pub fn strategy(mut self, s: Strategy) -> Self {
        self.strategy = s;
        self
    }

    /// How many executions to run (exhaustive search stops earlier when done). The
    /// default is 1000 for the random and PCT strategies; an exhaustive search runs to
    /// its end unless this (or `FORKWAIT_ITERATIONS`, or [`max_time`](Self::max_time))
    /// is set.
    ///
    /// ```
    /// assert_eq!(forkwait::Checker::new().iterations(3).run(|| ()).executions(), 3);
    /// ```
    pub fn iterations(mut self, n: u64) -> Self {
        self.iterations = n;
        self.iterations_set = true;
        self
    }

    /// Whether the exhaustive strategy uses partial-order reduction (default on). Off,
    /// it is a plain depth-first search over every choice: for tests of the reduction
    /// and for measurements, not for use.
    ///
    /// ```
    /// use forkwait::{Checker, Strategy};
    /// let c = Checker::new().strategy(Strategy::Exhaustive { max_preemptions: None });
    /// let two_pure_forks = || {
    ///     let (a, b) = (forkwait::fork(|| 1), forkwait::fork(|| 2));
    ///     forkwait::wait(a) + forkwait::wait(b)
    /// };
    /// assert_eq!(c.clone().run(two_pure_forks).executions(), 1);
    /// assert!(c.partial_order_reduction(false).run(two_pure_forks).executions() > 1);
    /// ```
    #[doc(hidden)]
    pub fn partial_order_reduction(mut self, on: bool) -> Self {
        self.reduction = on;
        self
    }

    /// The seed; iteration i depends on (seed, i) only.
    ///
    /// ```
    /// let r = forkwait::Checker::new().seed(7).iterations(5).run(|| ());
    /// assert_eq!(r.executions(), 5);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The most steps one execution may take before it is a `StepLimit` finding.
    ///
    /// ```
    /// use forkwait::sync::atomic::{AtomicBool, Ordering};
    /// let r = forkwait::Checker::new().max_steps(1000).iterations(1).run(|| {
    ///     let flag = AtomicBool::new(false);
    ///     while !flag.load(Ordering::Acquire) {} // nobody ever sets it
    /// });
    /// assert!(r.has(forkwait::FindingKind::StepLimit));
    /// ```
    pub fn max_steps(mut self, n: u64) -> Self {
        self.max_steps = n;
        self
    }

    /// A wall-clock budget for the whole run: exploration stops when it is spent (so the
    /// number of executions then depends on the machine; each one stays deterministic).
    /// An execution still running when it is spent ends at its next scheduling point,
    /// with a `StepLimit` finding saying so — so one endless execution cannot hang the
    /// run. (Code that reaches no scheduling point cannot be interrupted; the watchdog
    /// names it.)
    ///
    /// ```
    /// use std::time::Duration;
    /// let r = forkwait::Checker::new()
    ///     .iterations(u64::MAX)
    ///     .max_time(Duration::from_millis(20))
    ///     .run(|| ());
    /// assert!(r.executions() > 0);
    ///
    /// // One endless execution (no step limit): ended by max_time.
    /// let endless = forkwait::Checker::new()
    ///     .max_steps(0)
    ///     .max_time(Duration::from_millis(50))
    ///     .run(|| loop { forkwait::yield_now() });
    /// assert!(endless.has(forkwait::FindingKind::StepLimit));
    /// ```
    pub fn max_time(mut self, d: Duration) -> Self {
        self.max_time = Some(d);
        self
    }

    /// Models a pool of `k` workers: a forked task needs a free worker to start.
    ///
    /// ```
    /// use forkwait::{Checker, WaitPolicy, FindingKind, fork, wait};
    /// let nested = || wait(fork(|| wait(fork(|| 1))));
    /// let blocked = Checker::new().workers(1).wait_policy(WaitPolicy::Block).run(nested);
    /// assert!(blocked.has(FindingKind::Deadlock)); // starvation, as in pytorch#109782
    /// let suspended = Checker::new().workers(1).wait_policy(WaitPolicy::Suspend).run(nested);
    /// assert!(suspended.is_clean());
    /// ```
    pub fn workers(mut self, k: u32) -> Self {
        self.workers = Some(k.max(1));
        self
    }

    /// Whether a task blocked in `wait` holds its worker (see [`WaitPolicy`]).
    ///
    /// ```
    /// let c = forkwait::Checker::new().wait_policy(forkwait::WaitPolicy::Block);
    /// assert!(c.run(|| ()).is_clean());
    /// ```
    pub fn wait_policy(mut self, p: WaitPolicy) -> Self {
        self.policy = p;
        self
    }

    /// Runs every schedule twice and reports `UncontrolledNondeterminism` when the two
    /// runs take different paths.
    ///
    /// ```
    /// let r = forkwait::Checker::new().check_determinism(true).iterations(10)
    ///     .run(|| forkwait::wait(forkwait::fork(|| 2)));
    /// assert!(r.is_clean());
    /// ```
    pub fn check_determinism(mut self, on: bool) -> Self {
        self.check_determinism = on;
        self
    }

    /// The stack size of each simulated task (default 256 KiB). A task that comes within a
    /// safety margin of the end (24 KiB, 96 KiB in debug builds) at a scheduling point,
    /// or hits the guard page, is reported as overflowing its stack. Sizes below the
    /// margin plus 64 KiB are raised to that.
    ///
    /// ```
    /// let r = forkwait::Checker::new().stack_size(1 << 20).run(|| ());
    /// assert!(r.is_clean());
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        // Below margin + 64 KiB every task would count as overflowing.
        self.stack_size = bytes.max(super::overflow::MIN_STACK);
        self
    }

    /// Runs only shard `k` of `n` (1-based): the iterations i with i mod n = k-1. The
    /// shards of one seed together run exactly the iterations of the whole run.
    ///
    /// # Panics
    ///
    /// Unless 1 <= k <= n.
    ///
    /// ```
    /// let r = forkwait::Checker::new().iterations(10).shard(1, 2).run(|| ());
    /// assert_eq!(r.executions(), 5);
    /// ```
    pub fn shard(mut self, k: u64, n: u64) -> Self {
        assert!(1 <= k && k <= n, "shard {k}/{n}: need 1 <= k <= n");
        self.shard = Some((k - 1, n));
        self
    }

    /// Accepts impure writes made at source locations containing `site` (a file name, or
    /// `file:line`): e.g. a metrics counter the program bumps on purpose. To accept a
    /// whole object instead, build it with `impurity_allowed()` (see
    /// [`Shared::impurity_allowed`](crate::sync::Shared::impurity_allowed)).
    ///
    /// ```
    /// use forkwait::{Checker, FindingKind, sync::Shared};
    /// use std::sync::Arc;
    /// let program = || {
    ///     let hits = Arc::new(Shared::new(0));
    ///     let h = hits.clone();
    ///     forkwait::wait(forkwait::fork(move || h.update(|n| *n += 1)));
    /// };
    /// assert!(Checker::new().run(program).has(FindingKind::ImpureWrite));
    /// let r = Checker::new().allow_impure_at(file!()).run(program);
    /// assert!(!r.has(FindingKind::ImpureWrite));
    /// ```
    pub fn allow_impure_at(mut self, site: impl Into<String>) -> Self {
        self.allowed_sites.push(site.into());
        self
    }

    /// After how long without a scheduling point the watchdog prints which task is stuck
    /// and where its last scheduling point was (default 10 s; `None`: never). Code that
    /// reaches no scheduling point — a blocking call the simulator cannot see, a loop over
    /// uninstrumented state — cannot be interrupted; the watchdog turns a silent hang into
    /// a message. It decides nothing: schedules and findings do not depend on it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let r = forkwait::Checker::new()
    ///     .watchdog(Some(Duration::from_secs(30)))
    ///     .run(|| forkwait::wait(forkwait::fork(|| 1)));
    /// assert!(r.is_clean());
    /// ```
    pub fn watchdog(mut self, period: Option<Duration>) -> Self {
        self.watchdog = period;
        self
    }

    /// Makes every impure write an error (TorchScript's rule: a forked function must be
    /// pure). By default an impure write *through synchronization* — a `Mutex` or
    /// `RwLock` guard, an atomic, a channel, a once cell — is a warning, since
    /// synchronized sharing in Rust is deliberate; an impure write to unsynchronized state
    /// (`Shared`, every model variable) is an error either way. Also set by
    /// `FORKWAIT_PURITY=strict` in [`Checker::from_env`].
    ///
    /// ```
    /// use forkwait::{Checker, FindingKind};
    /// use forkwait::sync::{Arc, Mutex};
    /// let program = || {
    ///     let m = Arc::new(Mutex::new(0));
    ///     let m2 = m.clone();
    ///     forkwait::wait(forkwait::fork(move || *m2.lock().unwrap() += 1));
    ///     *m.lock().unwrap()
    /// };
    /// let relaxed = Checker::new().run(program);
    /// assert!(relaxed.is_clean() && relaxed.has(FindingKind::ImpureWrite)); // a warning
    /// assert!(!Checker::new().strict_purity(true).run(program).is_clean());
    /// ```
    pub fn strict_purity(mut self, on: bool) -> Self {
        self.strict_purity = on;
        self
    }

    /// Whether the happens-before analysis (races, impure writes) runs on each execution
    /// (default on). Off, only outcome-level findings remain: useful to measure its cost.
    ///
    /// ```
    /// use forkwait::{Checker, FindingKind, sync::Shared};
    /// use std::sync::Arc;
    /// let program = || {
    ///     let c = Arc::new(Shared::new(0));
    ///     let c2 = c.clone();
    ///     forkwait::wait(forkwait::fork(move || c2.write(1)));
    /// };
    /// assert!(Checker::new().run(program).has(FindingKind::ImpureWrite));
    /// assert!(Checker::new().analysis(false).run(program).is_clean());
    /// ```
    pub fn analysis(mut self, on: bool) -> Self {
        self.analysis = on;
        self
    }

    /// Whether failing schedules are minimized before they are reported (default on).
    ///
    /// ```
    /// let r = forkwait::Checker::new().shrink(false).run(|| ());
    /// assert!(r.is_clean());
    /// ```
    pub fn shrink(mut self, on: bool) -> Self {
        self.shrink = on;
        self
    }

    /// Names the run (for the report and the regression file).
    ///
    /// ```
    /// let r = forkwait::Checker::new().name("my_test").run(|| ());
    /// assert!(r.to_string().contains("my_test"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Whether failing tokens are kept in `forkwait-regressions/<name>.txt` and replayed
    /// first on later runs (on for [`from_env`](Checker::from_env)).
    ///
    /// ```
    /// let r = forkwait::Checker::new().regressions(false).run(|| ());
    /// assert!(r.is_clean());
    /// ```
    pub fn regressions(mut self, on: bool) -> Self {
        self.regressions = on;
        self
    }
}
