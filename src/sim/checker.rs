//! The checker: runs a closure under many schedules and turns what happened into findings.

use super::exec::{self, Abort, Config, Finished, Op, TaskId};
use super::persist::{Entry, RegressionFile};
use super::report::{Finding, FindingKind, Outcome, Report};
use super::schedule::{Schedule, TokenError};
use super::scheduler::{DfsSched, PctSched, RandomSched, ReplaySched, Scheduler};
use super::{Strategy, WaitPolicy};
use std::cell::RefCell;
use std::fmt::{Debug, Write as _};
use std::panic::AssertUnwindSafe;
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
    main_site: std::cell::Cell<&'static std::panic::Location<'static>>,
    /// While a run explores: when its `max_time` runs out.
    deadline: std::cell::Cell<Option<Instant>>,
    watchdog: Option<Duration>,
    /// While a finding cut by `max_time` is illustrated: the steps it took (its replay
    /// stops there instead of running on without a deadline).
    step_cap: std::cell::Cell<Option<u64>>,
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

thread_local! {
    /// The message and location of the last panic on this thread while simulating.
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps panics inside simulated tasks quiet — the
/// report shows them — and records their message and location.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if crate::runtime::context::current() == crate::runtime::context::Context::Sim
                && exec::in_task()
            {
                let msg = crate::future::payload_text(info.payload());
                // An interpreted program's position, if the task set one, else Rust's.
                let at = exec::current_span()
                    .map(|s| s.to_string())
                    .or_else(|| info.location().map(|l| l.to_string()))
                    .unwrap_or_else(|| "?".into());
                // A panic while another one unwinds (a destructor panicking) makes Rust
                // abort the process right after this hook: say where, since the report
                // will never be printed.
                let first = LAST_PANIC.with(|p| p.borrow().clone());
                if first.is_some() || exec::tearing_down_now() {
                    let during = match &first {
                        Some((m, a)) => format!("the panic {m} at {a}"),
                        None => "the harness unwinding an aborted execution".to_string(),
                    };
                    eprintln!(
                        "forkwait: a simulated task panicked with {msg} at {at} while \
                         {during} was unwinding (a destructor that panics): Rust aborts the \
                         process now"
                    );
                }
                LAST_PANIC.with(|p| *p.borrow_mut() = Some((msg, at)));
            } else {
                prev(info);
            }
        }));
    });
}

/// Takes the message and location recorded by the panic hook for the last panic.
pub(crate) fn take_last_panic() -> (String, String) {
    LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| ("a panic".into(), "?".into()))
}

struct RunResult {
    outcome: Option<Result<String, (String, String)>>,
    fin: Finished,
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
            main_site: std::cell::Cell::new(std::panic::Location::caller()),
            deadline: std::cell::Cell::new(None),
            watchdog: Some(Duration::from_secs(10)),
            step_cap: std::cell::Cell::new(None),
        }
    }

    /// A checker configured from the environment, as [`check`](crate::check) uses:
    /// `FORKWAIT_SEED`, `FORKWAIT_ITERATIONS`, `FORKWAIT_STRATEGY` (`random`, `pct:3`,
    /// `exhaustive`, `exhaustive:2`), `FORKWAIT_SHARD=k/n` (1-based: shard k of n takes
    /// the iterations i with i mod n = k-1), `FORKWAIT_LOG=1`. It is named after the
    /// current thread (the test's name under `cargo test`) and keeps regression files.
    ///
    /// # Panics
    ///
    /// On a malformed variable, with a message naming it.
    ///
    /// ```
    /// let c = forkwait::Checker::from_env();
    /// assert!(c.run(|| ()).is_clean());
    /// ```
    pub fn from_env() -> Self {
        let mut c = Checker::new();
        c.regressions = true;
        c.name = std::thread::current().name().map(str::to_owned);
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        // A misspelt variable would silently switch a setting off: refuse it.
        let mut unknown: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| k.starts_with("FORKWAIT_") && !KNOWN_VARS.contains(&k.as_str()))
            .collect();
        unknown.sort();
        if let Some(k) = unknown.first() {
            panic!(
                "{k}: unknown forkwait variable (known: {})",
                KNOWN_VARS.join(", ")
            );
        }
        if let Some(v) = var("FORKWAIT_THREADS") {
            if !v.trim().parse::<usize>().is_ok_and(|n| n > 0) {
                panic!("FORKWAIT_THREADS={v:?}: expected a number of threads, at least 1");
            }
        }
        if let Some(v) = var("FORKWAIT_SEED") {
            c.seed = v
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("FORKWAIT_SEED={v:?}: expected an integer"));
        }
        if let Some(v) = var("FORKWAIT_ITERATIONS") {
            c.iterations = match v.trim().parse() {
                Ok(n) if n > 0 => n,
                _ => {
                    panic!("FORKWAIT_ITERATIONS={v:?}: expected a number of iterations, at least 1")
                }
            };
        }
        if let Some(v) = var("FORKWAIT_STRATEGY") {
            c.strategy = v
                .parse()
                .unwrap_or_else(|e| panic!("FORKWAIT_STRATEGY: {e}"));
        }
        if let Some(v) = var("FORKWAIT_SHARD") {
            c.shard = Some(parse_shard(&v).unwrap_or_else(|e| panic!("FORKWAIT_SHARD: {e}")));
        }
        if var("FORKWAIT_LOG").is_some_and(|v| v != "0") {
            c.log = true;
        }
        if let Some(v) = var("FORKWAIT_PURITY") {
            c.strict_purity = match v.trim() {
                "strict" => true,
                "default" => false,
                other => panic!("FORKWAIT_PURITY={other:?}: expected `strict` or `default`"),
            };
        }
        c
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

    /// How many executions to run (exhaustive search stops earlier when done).
    ///
    /// ```
    /// assert_eq!(forkwait::Checker::new().iterations(3).run(|| ()).executions(), 3);
    /// ```
    pub fn iterations(mut self, n: u64) -> Self {
        self.iterations = n;
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

    fn config(&self) -> Config {
        Config {
            max_steps: self.step_cap.get().unwrap_or(self.max_steps),
            workers: self.workers,
            policy: self.policy,
            stack_size: self.stack_size,
            log: self.log,
            deadline: self.deadline.get(),
            watchdog: self.watchdog,
        }
    }

    fn run_once<T: Debug>(&self, f: &dyn Fn() -> T, sched: &mut dyn Scheduler) -> RunResult {
        // A panic the program caught itself in an earlier execution is not "unwinding".
        LAST_PANIC.with(|p| p.borrow_mut().take());
        let mut outcome: Option<Result<String, (String, String)>> = None;
        let mut main = || {
            let r = std::panic::catch_unwind(AssertUnwindSafe(f));
            outcome = Some(match r {
                Ok(v) => Ok(format!("{v:?}")),
                // The harness unwinding an aborted execution: no outcome, no panic.
                Err(p) if exec::tearing_down_now() => std::panic::resume_unwind(p),
                Err(_) => Err(take_last_panic()),
            });
        };
        let fin = exec::run(&mut main, sched, &self.config(), self.main_site.get());
        RunResult { outcome, fin }
    }

    /// Explores schedules of `f` and reports what it found.
    ///
    /// `f` is run once per schedule; its value (`Debug` text) is the outcome. Every
    /// `fork`, `wait`, `scope`, `yield_now` and `forkwait::sync` operation inside it is
    /// simulated.
    ///
    /// ```
    /// use forkwait::{Checker, FindingKind, sync::Mutex};
    /// use std::sync::Arc;
    /// let report = Checker::new().iterations(100).run(|| {
    ///     let log = Arc::new(Mutex::new(Vec::new()));
    ///     let l = log.clone();
    ///     let t = forkwait::fork(move || l.lock().unwrap().push("task"));
    ///     log.lock().unwrap().push("main");
    ///     forkwait::wait(t);
    ///     let v = log.lock().unwrap().clone();
    ///     v
    /// });
    /// assert!(report.has(FindingKind::Nondeterminism)); // the order of the appends
    /// assert_eq!(report.outcomes().len(), 2);
    /// ```
    #[track_caller]
    pub fn run<T: Debug>(&self, f: impl Fn() -> T) -> Report {
        self.main_site.set(std::panic::Location::caller());
        self.explore(&f, false)
    }

    /// The run loop: regression schedules, then the strategy's iterations (all of them,
    /// or, with `stop_early`, up to the first execution with an error); then shrinking.
    fn explore<T: Debug>(&self, f: &dyn Fn() -> T, stop_early: bool) -> Report {
        install_panic_hook();
        let mut acc = Acc::default();
        let started = Instant::now();
        self.deadline.set(self.max_time.map(|t| started + t));
        // Regression schedules first (they do not change the seeded exploration below:
        // iteration i still depends on (seed, i) alone).
        if let Some(file) = self.regression_file() {
            for s in file.load() {
                let mut sched = ReplaySched::new(s.choices().to_vec(), true);
                sched.begin(0);
                let r = self.run_once(&f, &mut sched);
                if r.fin.state.path_hash == s.fingerprint() {
                    acc.absorb(&r, self);
                } else {
                    eprintln!(
                        "forkwait: regression schedule {} no longer fits the program \
                         (stale; skipped)",
                        s.to_token()
                    );
                }
            }
        }
        let mut sched: Box<dyn Scheduler> = match &self.strategy {
            Strategy::Random => Box::new(RandomSched::new(self.seed)),
            Strategy::Pct { depth } => {
                let mut pct = PctSched::new(self.seed, *depth);
                let mut probe = ReplaySched::new(Vec::new(), false);
                probe.begin(0);
                let k = self.run_once(&f, &mut probe).fin.state.choices.len();
                pct.set_k(k);
                Box::new(pct)
            }
            Strategy::Exhaustive { max_preemptions } => Box::new(DfsSched::new(*max_preemptions)),
            Strategy::Replay(s) => Box::new(ReplaySched::new(s.choices().to_vec(), true)),
        };
        let iterations = match self.strategy {
            Strategy::Replay(_) => 1,
            _ => self.iterations,
        };
        let (shard_k, shard_n) = self.shard.unwrap_or((0, 1));
        let mut i = 0u64;
        while i < iterations {
            if self.max_time.is_some_and(|t| started.elapsed() >= t) {
                break;
            }
            let this = i;
            i += 1;
            if this % shard_n != shard_k {
                continue;
            }
            if !sched.begin(this) {
                break;
            }
            let r = self.run_once(&f, &mut *sched);
            if self.check_determinism {
                let mut again = ReplaySched::new(choices_of(&r.fin), true);
                again.begin(0);
                let r2 = self.run_once(&f, &mut again);
                if r2.fin.state.path_hash != r.fin.state.path_hash
                    || r2.fin.state.choices != r.fin.state.choices
                {
                    acc.push(
                        FindingKind::UncontrolledNondeterminism,
                        1,
                        &|| schedule_of(&r.fin),
                        || {
                            (
                                "re-running the same schedule took a different path: the \
                                 program uses time, OS randomness, real threads or state \
                                 outside forkwait"
                                    .into(),
                                vec![],
                            )
                        },
                    );
                }
            }
            acc.absorb(&r, self);
            if stop_early && acc.findings.iter().any(|p| !p.warning) {
                break;
            }
        }
        // Shrinking and illustrating are not cut by `max_time` (they are bounded by the
        // schedule's length).
        self.deadline.set(None);
        self.finish(acc, f)
    }

    fn finish<T: Debug>(&self, mut acc: Acc, f: &dyn Fn() -> T) -> Report {
        // Shrink and illustrate every finding.
        let mut findings = std::mem::take(&mut acc.findings);
        for pf in &mut findings {
            let Some(schedule) = pf.schedule.clone() else {
                continue;
            };
            let target = pf.clone();
            // A finding cut by max_time is not shrunk (a shrinking run has no deadline)
            // and is illustrated up to the step where the deadline stopped it.
            self.step_cap.set(pf.cap);
            let shrunk = if self.shrink && !pf.warning && pf.cap.is_none() {
                self.shrink_schedule(f, schedule, &|r: &RunResult| {
                    finding_matches(r, &target, &acc, self)
                })
            } else {
                schedule
            };
            let mut sched = ReplaySched::new(shrunk.choices().to_vec(), false);
            sched.begin(0);
            let r = self.run_once(f, &mut sched);
            pf.replay = Some(schedule_of(&r.fin).to_token());
            pf.interleaving = render_steps(&r);
            pf.task_tree = render_tree(&r.fin);
            self.step_cap.set(None);
        }
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| "forkwait::check".into());
        let mut report = Report {
            executions: acc.executions,
            outcomes: acc.outcomes,
            findings: findings
                .into_iter()
                .map(PendingFinding::into_finding)
                .collect(),
            header: format!(
                "{name}: strategy {}, seed {}, {} iterations",
                self.strategy, self.seed, self.iterations
            ),
            reproduce: None,
        };
        report.findings.sort_by_key(|f| (f.warning, f.kind));
        if let Some(first) = report.findings.iter().find(|f| !f.warning) {
            if let Some(t) = &first.replay {
                let test = self.name.as_deref().unwrap_or("<test name>");
                report.reproduce = Some(format!("FORKWAIT_REPLAY={t} cargo test {test}"));
            }
        }
        report
    }

    /// Minimizes a failing schedule: first fewer preemptions, then shorter.
    fn shrink_schedule<T: Debug>(
        &self,
        f: &dyn Fn() -> T,
        schedule: Schedule,
        still_fails: &dyn Fn(&RunResult) -> bool,
    ) -> Schedule {
        let mut budget = 300u32;
        let mut try_run = |choices: &[u32]| -> Option<Vec<u32>> {
            if budget == 0 {
                return None;
            }
            budget -= 1;
            let mut sched = ReplaySched::new(choices.to_vec(), false);
            sched.begin(0);
            let r = self.run_once(f, &mut sched);
            still_fails(&r).then(|| choices_of(&r.fin))
        };
        let mut best: Vec<u32> = schedule.choices().to_vec();
        // Fewer preemptions: replace each choice by "keep running the current task".
        let mut cur = {
            let mut sched = ReplaySched::new(best.clone(), false);
            sched.begin(0);
            let r = self.run_once(f, &mut sched);
            r.fin.state.choices.clone()
        };
        let mut i = 0;
        while i < cur.len() {
            if cur[i].is_preemption() {
                let mut cand: Vec<u32> = cur.iter().map(|c| c.index).collect();
                cand[i] = cur[i].current.expect("a preemption has a current task");
                cand.truncate(i + 1);
                if let Some(found) = try_run(&cand) {
                    best = found;
                    let mut sched = ReplaySched::new(best.clone(), false);
                    sched.begin(0);
                    cur = self.run_once(f, &mut sched).fin.state.choices.clone();
                }
            }
            i += 1;
        }
        // Shorter: the shortest prefix that still fails with default choices after it.
        let (mut lo, mut hi) = (0usize, best.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match try_run(&best[..mid]) {
                Some(_) => hi = mid,
                None => lo = mid + 1,
            }
        }
        if hi < best.len() {
            if let Some(found) = try_run(&best[..hi]) {
                best = found;
            }
        }
        Schedule::from_choices(best)
    }

    fn regression_file(&self) -> Option<RegressionFile> {
        if !self.regressions {
            return None;
        }
        self.name.as_deref().map(RegressionFile::for_test)
    }

    /// Keeps the failing schedules of `report` in the regression file: each error's
    /// token, and both schedules of a `Nondeterminism`.
    fn save_regressions(&self, report: &Report) {
        let Some(file) = self.regression_file() else {
            return;
        };
        let entries: Vec<Entry> = report
            .findings()
            .iter()
            .filter(|f| !f.warning)
            .map(|f| Entry {
                comment: format!("{}: {}", f.kind, f.message),
                tokens: f
                    .replay
                    .iter()
                    .chain(f.other_replay.iter())
                    .cloned()
                    .collect(),
            })
            .collect();
        file.save(&entries);
    }

    /// Runs the checker (honouring `FORKWAIT_REPLAY`) and panics with the report if it
    /// found anything that is not a warning.
    ///
    /// # Panics
    ///
    /// With the full report (findings, interleavings, replay command) on a finding.
    ///
    /// ```
    /// forkwait::Checker::new().iterations(20).check(|| {
    ///     let f = forkwait::fork(|| 21);
    ///     forkwait::wait(f) * 2
    /// });
    /// ```
    #[track_caller]
    pub fn check<T: Debug>(&self, f: impl Fn() -> T) {
        self.main_site.set(std::panic::Location::caller());
        let report = match std::env::var("FORKWAIT_REPLAY") {
            // Exactly that schedule, under this checker's settings, step trace printed.
            Ok(token) if !token.trim().is_empty() => self
                .replay(&token, &f)
                .unwrap_or_else(|e| panic!("FORKWAIT_REPLAY: {e}")),
            // Stops at the first failing execution, then shrinks (as shuttle and
            // proptest do): a failing test fails fast.
            _ => self.explore(&f, true),
        };
        if !report.is_clean() {
            self.save_regressions(&report);
            panic!("{report}");
        }
    }
}

/// Every environment variable forkwait reads.
const KNOWN_VARS: [&str; 8] = [
    "FORKWAIT_SEED",
    "FORKWAIT_ITERATIONS",
    "FORKWAIT_STRATEGY",
    "FORKWAIT_SHARD",
    "FORKWAIT_LOG",
    "FORKWAIT_REPLAY",
    "FORKWAIT_PURITY",
    "FORKWAIT_THREADS",
];

fn parse_shard(v: &str) -> Result<(u64, u64), String> {
    let (k, n) = v
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("{v:?}: expected k/n, e.g. 1/4"))?;
    let k: u64 = k.parse().map_err(|_| format!("{v:?}: k is not a number"))?;
    let n: u64 = n.parse().map_err(|_| format!("{v:?}: n is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{v:?}: need 1 <= k <= n"));
    }
    Ok((k - 1, n))
}

/// Replays exactly one schedule of `f`, prints its interleaving step by step to standard
/// error, and returns the report of that one execution.
///
/// # Errors
///
/// A malformed, corrupt or stale token (the program changed since the token was made) is
/// a [`TokenError`], never a panic of the harness.
///
/// ```
/// let program = || {
///     let a = forkwait::fork(|| 1);
///     let b = forkwait::fork(|| 2);
///     forkwait::wait(a) + forkwait::wait(b)
/// };
/// let report = forkwait::Checker::new().iterations(1).run(program);
/// let token = report.outcomes()[0].replay.clone();
/// let again = forkwait::replay(&token, program).unwrap();
/// assert_eq!(again.outcomes()[0].value, "3");
/// assert!(forkwait::replay("fw1:garbage", program).is_err());
/// ```
#[track_caller]
pub fn replay<T: Debug>(token: &str, f: impl Fn() -> T) -> Result<Report, TokenError> {
    Checker::new().replay(token, f)
}

impl Checker {
    /// Replays exactly one schedule of `f` under this checker's settings (workers, wait
    /// policy, step limit, stack size: a token must be replayed with the settings it was
    /// found with), prints its interleaving to standard error, and returns the report of
    /// that execution (its findings unshrunk, so the token stays the one given).
    ///
    /// # Errors
    ///
    /// A malformed, corrupt or stale token is a [`TokenError`].
    ///
    /// ```
    /// use forkwait::{Checker, WaitPolicy, FindingKind, fork, wait};
    /// let nested = || wait(fork(|| wait(fork(|| 1))));
    /// let c = Checker::new().workers(1).wait_policy(WaitPolicy::Block);
    /// let found = c.run(nested);
    /// let token = found.findings()[0].replay().unwrap().to_string();
    /// let again = c.replay(&token, nested).unwrap();
    /// assert!(again.has(FindingKind::Deadlock));
    /// ```
    #[track_caller]
    pub fn replay<T: Debug>(&self, token: &str, f: impl Fn() -> T) -> Result<Report, TokenError> {
        self.main_site.set(std::panic::Location::caller());
        install_panic_hook();
        let s = Schedule::from_token(token)?;
        let mut sched = ReplaySched::new(s.choices().to_vec(), true);
        sched.begin(0);
        let r = self.run_once(&f, &mut sched);
        if let Some(Abort::Stale(msg)) = &r.fin.state.abort {
            return Err(TokenError::new(msg.clone()));
        }
        if r.fin.state.choices.len() != s.len() {
            return Err(TokenError::new(format!(
                "stale replay token: it has {} choices, the program made {} (the program \
                 changed since the token was made, or it is replayed with other settings)",
                s.len(),
                r.fin.state.choices.len()
            )));
        }
        if s.fingerprint() != 0 && s.fingerprint() != r.fin.state.path_hash {
            return Err(TokenError::new(
                "stale replay token: the program took a different path than when the token \
                 was made (it changed, it is nondeterministic outside the harness, or it is \
                 replayed with other settings)",
            ));
        }
        eprint!("{}", render_steps(&r));
        let mut acc = Acc::default();
        acc.absorb(&r, self);
        Ok(self.clone().shrink(false).finish(acc, &f))
    }
}

fn choices_of(fin: &Finished) -> Vec<u32> {
    fin.state.choices.iter().map(|c| c.index).collect()
}

fn schedule_of(fin: &Finished) -> Schedule {
    Schedule::with_fingerprint(choices_of(fin), fin.state.path_hash)
}

#[derive(Clone)]
struct PendingFinding {
    kind: FindingKind,
    /// For an execution cut by `max_time`: the steps it had taken.
    cap: Option<u64>,
    /// Only a warning (it does not fail `check`).
    warning: bool,
    /// Deduplication key: one finding per (kind, key) per run.
    key: u64,
    message: String,
    locations: Vec<String>,
    schedule: Option<Schedule>,
    other: Option<Schedule>,
    replay: Option<String>,
    interleaving: String,
    task_tree: String,
}

impl PendingFinding {
    fn into_finding(self) -> Finding {
        Finding {
            kind: self.kind,
            warning: self.warning,
            message: self.message,
            locations: self.locations,
            replay: self.replay,
            other_replay: self.other.map(|s| s.to_token()),
            interleaving: self.interleaving,
            task_tree: self.task_tree,
        }
    }
}

/// Findings and outcomes accumulated over a run.
#[derive(Default)]
struct Acc {
    executions: u64,
    outcomes: Vec<Outcome>,
    findings: Vec<PendingFinding>,
}

fn str_key(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| exec::mix(h, b as u64))
}

impl Acc {
    /// Records a finding unless one of the same kind and key exists. The message,
    /// locations and schedule are built only for a new finding: the same finding shows
    /// up in most executions, and formatting it each time would dominate the run.
    fn push(
        &mut self,
        kind: FindingKind,
        key: u64,
        schedule: &dyn Fn() -> Schedule,
        make: impl FnOnce() -> (String, Vec<String>),
    ) {
        self.push_as(kind, kind.is_warning(), key, schedule, make)
    }

    /// [`push`](Acc::push) for an execution cut by `max_time` after `steps` steps.
    fn push_capped(
        &mut self,
        kind: FindingKind,
        key: u64,
        schedule: &dyn Fn() -> Schedule,
        steps: u64,
        make: impl FnOnce() -> (String, Vec<String>),
    ) {
        let before = self.findings.len();
        self.push(kind, key, schedule, make);
        if self.findings.len() > before {
            if let Some(f) = self.findings.last_mut() {
                f.cap = Some(steps);
            }
        }
    }

    /// [`push`](Acc::push) with an explicit severity.
    fn push_as(
        &mut self,
        kind: FindingKind,
        warning: bool,
        key: u64,
        schedule: &dyn Fn() -> Schedule,
        make: impl FnOnce() -> (String, Vec<String>),
    ) {
        if self.findings.iter().any(|f| f.kind == kind && f.key == key) {
            return;
        }
        let (message, locations) = make();
        self.findings.push(PendingFinding {
            kind,
            cap: None,
            warning,
            key,
            message,
            locations,
            schedule: Some(schedule()),
            other: None,
            replay: None,
            interleaving: String::new(),
            task_tree: String::new(),
        });
    }

    fn absorb(&mut self, r: &RunResult, c: &Checker) {
        self.executions += 1;
        let s = &r.fin.state;
        let schedule = || schedule_of(&r.fin);
        let site = |t: TaskId| {
            if t == 0 {
                "the closure under test".to_string()
            } else {
                s.tasks[t as usize].site.to_string()
            }
        };
        let task_key = |t: TaskId| s.tasks[t as usize].site.key() ^ t as u64;
        match &s.abort {
            Some(Abort::Deadlock { cycle, .. }) if !cycle.is_empty() => {
                let key = cycle
                    .iter()
                    .fold(1, |h, &t| exec::mix(h, s.tasks[t as usize].site.key()));
                self.push(FindingKind::Deadlock, key, &schedule, || {
                    let parts: Vec<String> = cycle
                        .iter()
                        .map(|&t| format!("task {t} (forked at {})", site(t)))
                        .collect();
                    (
                        format!(
                            "wait-for cycle: {} -> back to the first; {}",
                            parts.join(" -> "),
                            blocked_tasks(s)
                        ),
                        cycle.iter().map(|&t| site(t)).collect(),
                    )
                });
            }
            Some(Abort::Deadlock { starved, .. }) => {
                self.push(FindingKind::Deadlock, 2, &schedule, || {
                    let holders: Vec<String> = s
                        .tasks
                        .iter()
                        .enumerate()
                        .filter(|(i, t)| *i != 0 && matches!(t.phase, exec::Phase::Blocked(_)))
                        .map(|(i, t)| format!("task {i} (forked at {})", t.site))
                        .collect();
                    if starved.is_empty() {
                        // Nobody is starved of a worker: every unfinished task waits for
                        // something no task will ever do (a notification, a message).
                        return (
                            format!("no task can run: {}", blocked_tasks(s)),
                            blocked_sites(s),
                        );
                    }
                    (
                        format!(
                            "starvation: every worker is held by a blocked task ({}), while \
                             {} ready task(s) wait for a worker; {}",
                            holders.join(", "),
                            starved.len(),
                            blocked_tasks(s)
                        ),
                        starved.iter().map(|&t| site(t)).collect(),
                    )
                });
            }
            Some(Abort::TimeLimit) => self.push_capped(
                FindingKind::StepLimit,
                4,
                &schedule,
                s.steps.len() as u64,
                || {
                    (
                        format!(
                            "the run's max_time ran out inside one execution, after {} steps \
                         (a livelock, an unbounded loop, or a very long execution)",
                            s.steps.len()
                        ),
                        vec![
                            s.steps
                                .last()
                                .map(|st| st.site.to_string())
                                .unwrap_or_default(),
                        ],
                    )
                },
            ),
            Some(Abort::StepLimit) => self.push(FindingKind::StepLimit, 3, &schedule, || {
                (
                    format!(
                        "an execution exceeded {} steps (a livelock or an unbounded loop)",
                        s.steps.len().saturating_sub(1)
                    ),
                    vec![
                        s.steps
                            .last()
                            .map(|st| st.site.to_string())
                            .unwrap_or_default(),
                    ],
                )
            }),
            Some(Abort::StackOverflow(t)) => {
                self.push(FindingKind::Panic, task_key(*t), &schedule, || {
                    (
                        format!(
                            "task {t} (forked at {}) overflowed its stack of {} bytes (raise it \
                             with `Checker::stack_size`, or look for unbounded recursion)",
                            site(*t),
                            c.stack_size
                        ),
                        vec![site(*t)],
                    )
                })
            }
            Some(Abort::Stale(msg)) | Some(Abort::Harness(msg)) => self.push(
                FindingKind::UncontrolledNondeterminism,
                str_key(msg),
                &schedule,
                || (msg.clone(), vec![]),
            ),
            None => {}
        }
        // An execution that ran to its end: a task nobody waited is lost, whether its
        // future was dropped or `mem::forget`-ed (or leaked). An aborted one: only what
        // the program itself dropped (the teardown drops the rest).
        let completed = s.abort.is_none();
        for (i, t) in s.tasks.iter().enumerate().skip(1) {
            if (t.detached || completed) && !t.waited {
                if let Some((msg, at)) = &t.panic {
                    let key = exec::mix(t.site.key(), str_key(msg));
                    self.push(FindingKind::LostError, key, &schedule, || {
                        (
                            format!(
                                "task {i} forked at {} panicked ({msg}) and its future was \
                                 never waited: the error is lost",
                                t.site
                            ),
                            vec![t.site.to_string(), at.clone()],
                        )
                    });
                }
                self.push(FindingKind::UnwaitedFuture, t.site.key(), &schedule, || {
                    let how = if t.detached {
                        "was dropped without wait"
                    } else {
                        "was never waited (it was forgotten or leaked)"
                    };
                    (
                        format!("the future of the task forked at {} {how}", t.site),
                        vec![t.site.to_string()],
                    )
                });
            }
        }
        let analysis = if c.analysis {
            super::hb::analyze(s)
        } else {
            Default::default()
        };
        for race in &analysis.races {
            let step = |seen: &super::hb::Seen| s.steps[seen.step as usize];
            let (a, b) = (step(&race.first), step(&race.second));
            let (ka, kb) = (a.site.key(), b.site.key());
            let key = exec::mix(ka.min(kb), ka.max(kb));
            self.push(FindingKind::Race, key, &schedule, || {
                let kind = |st: &exec::Step| match st.op {
                    Op::Access(_, k) => k,
                    _ => super::AccessKind::Read,
                };
                let obj = &s.objects[race.obj as usize];
                (
                    format!(
                        "data race on the state created at {}: task {} {} at {} and task {} {} \
                         at {} are not ordered by fork/wait, a lock or an atomic",
                        obj.site,
                        a.task,
                        kind_text(kind(&a)),
                        a.site,
                        b.task,
                        kind_text(kind(&b)),
                        b.site
                    ),
                    vec![a.site.to_string(), b.site.to_string()],
                )
            });
        }
        for imp in &analysis.impure {
            let key = exec::mix(imp.site.key(), imp.class as u64);
            let allowed = || {
                let at = imp.site.to_string();
                c.allowed_sites.iter().any(|a| at.contains(a.as_str()))
            };
            if !c.allowed_sites.is_empty() && allowed() {
                continue;
            }
            let through_sync = s.objects[imp.obj as usize].kind.is_sync();
            let warning = through_sync && !c.strict_purity;
            self.push_as(FindingKind::ImpureWrite, warning, key, &schedule, || {
                let obj = &s.objects[imp.obj as usize];
                let owner = match obj.creator {
                    None => "outside the program".to_string(),
                    Some(0) => "the caller (task 0)".to_string(),
                    Some(t) => format!("task {t}"),
                };
                (
                    format!(
                        "impure write ({}): task {} (forked at {}) writes state created at {} \
                         by {owner}, which it does not own",
                        imp.class.name(),
                        imp.task,
                        s.tasks[imp.task as usize].site,
                        obj.site
                    ),
                    vec![imp.site.to_string(), obj.site.to_string()],
                )
            });
        }
        if s.abort.is_some() {
            return;
        }
        let value = match &r.outcome {
            Some(Ok(v)) => v.clone(),
            Some(Err((msg, at))) => {
                let key = exec::mix(str_key(msg), str_key(at));
                self.push(FindingKind::Panic, key, &schedule, || {
                    (format!("the program panicked: {msg}"), vec![at.clone()])
                });
                format!("panic: {msg}")
            }
            None => return,
        };
        let is_panic = matches!(r.outcome, Some(Err(_)));
        match self.outcomes.iter_mut().find(|o| o.value == value) {
            Some(o) => o.count += 1,
            None => {
                let first_value = self
                    .outcomes
                    .iter()
                    .find(|o| !o.value.starts_with("panic: "))
                    .map(|o| (o.value.clone(), o.replay.clone()));
                let schedule = schedule();
                self.outcomes.push(Outcome {
                    value: value.clone(),
                    count: 1,
                    replay: schedule.to_token(),
                });
                if let (Some((first, first_token)), false) = (first_value, is_panic) {
                    if !self
                        .findings
                        .iter()
                        .any(|f| f.kind == FindingKind::Nondeterminism)
                    {
                        self.findings.push(PendingFinding {
                            kind: FindingKind::Nondeterminism,
                            cap: None,
                            warning: false,
                            key: 0,
                            message: format!(
                                "two schedules gave different outcomes: {first} and {value}"
                            ),
                            locations: vec![],
                            schedule: Some(schedule),
                            other: Schedule::from_token(&first_token).ok(),
                            replay: None,
                            interleaving: String::new(),
                            task_tree: String::new(),
                        });
                    }
                }
            }
        }
    }
}

/// Every blocked task and what it waits for, for deadlock reports.
fn blocked_tasks(s: &exec::ExecState) -> String {
    let parts: Vec<String> = (0..s.tasks.len() as TaskId)
        .filter_map(|t| {
            let what = exec::blocked_on(s, t)?;
            let who = if t == 0 {
                "task 0 (the closure under test)".to_string()
            } else {
                format!("task {t} (forked at {})", s.tasks[t as usize].site)
            };
            Some(format!("{who} {what}"))
        })
        .collect();
    format!("blocked: {}", parts.join("; "))
}

/// Where each blocked task is blocked (its last step).
fn blocked_sites(s: &exec::ExecState) -> Vec<String> {
    (0..s.tasks.len() as TaskId)
        .filter(|&t| exec::blocked_on(s, t).is_some())
        .filter_map(|t| s.steps.iter().rev().find(|st| st.task == t))
        .map(|st| st.site.to_string())
        .collect()
}

fn kind_text(k: super::AccessKind) -> &'static str {
    use super::AccessKind::*;
    match k {
        Read => "reads",
        Write => "writes",
        Update => "updates",
        AtomicLoad | AtomicStore | AtomicRmw => "atomically accesses",
        Lock => "locks",
        Unlock => "unlocks",
        LockShared => "read-locks",
        UnlockShared => "read-unlocks",
        Send => "sends on",
        Recv => "receives from",
        Notify => "notifies",
        Wait => "waits on",
    }
}

/// Whether a run shows the same finding again (for shrinking).
fn finding_matches(r: &RunResult, target: &PendingFinding, acc: &Acc, checker: &Checker) -> bool {
    let mut probe = Acc::default();
    if target.kind == FindingKind::Nondeterminism {
        // It must give an outcome other than the first one seen.
        let first = acc
            .outcomes
            .iter()
            .find(|o| !o.value.starts_with("panic: "));
        return match (&r.outcome, first) {
            (Some(Ok(v)), Some(first)) => r.fin.state.abort.is_none() && *v != first.value,
            _ => false,
        };
    }
    probe.absorb(r, checker);
    probe
        .findings
        .iter()
        .any(|f| f.kind == target.kind && f.key == target.key)
}

const MAX_SHOWN_STEPS: usize = 400;

fn render_steps(r: &RunResult) -> String {
    let fin = &r.fin;
    let steps = &fin.state.steps;
    // Task 0's own end has no source line of its own: the closure returned, or panicked.
    let main_end = match &r.outcome {
        Some(Err((_, at))) => format!("(the closure under test panicked at {at})"),
        _ => "(the closure under test returned)".to_string(),
    };
    let mut out = String::new();
    let skip = steps.len().saturating_sub(MAX_SHOWN_STEPS);
    if skip > 0 {
        let _ = writeln!(out, "... {skip} earlier steps not shown ...");
    }
    for (i, st) in steps.iter().enumerate().skip(skip) {
        let site = if st.task == 0 && st.op == Op::End {
            main_end.clone()
        } else {
            st.site.to_string()
        };
        let _ = writeln!(
            out,
            "{:>5}  task {:<3} {:<24} {site}",
            i + 1,
            st.task,
            exec::op_text(&st.op),
        );
    }
    let _ = match &fin.state.abort {
        Some(Abort::Deadlock { .. }) => writeln!(out, "  --  deadlock: no task can run"),
        Some(Abort::StepLimit) => writeln!(out, "  --  step limit reached"),
        Some(Abort::TimeLimit) => writeln!(out, "  --  max_time ran out"),
        Some(Abort::StackOverflow(t)) => writeln!(out, "  --  task {t} overflowed its stack"),
        Some(Abort::Stale(m)) | Some(Abort::Harness(m)) => writeln!(out, "  --  {m}"),
        None => Ok(()),
    };
    out
}

fn render_tree(fin: &Finished) -> String {
    let tasks = &fin.state.tasks;
    // Children lists once: a walk that scanned every task per node would be quadratic.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    for (c, rec) in tasks.iter().enumerate() {
        if let Some(p) = rec.parent {
            children[p as usize].push(c);
        }
    }
    let mut out = String::new();
    let mut stack = if tasks.is_empty() {
        vec![]
    } else {
        vec![(0usize, 0usize)]
    };
    while let Some((t, depth)) = stack.pop() {
        let rec = &tasks[t];
        let what = if t == 0 {
            "main".to_string()
        } else {
            format!("forked at {}", rec.site)
        };
        let mut notes = Vec::new();
        if rec.panic.is_some() {
            notes.push("panicked");
        }
        if rec.detached && !rec.waited {
            notes.push("never waited");
        }
        if rec.phase != exec::Phase::Done {
            notes.push(match &fin.state.abort {
                Some(Abort::Deadlock { .. }) => "cut short by the deadlock",
                Some(Abort::StepLimit) => "cut short by the step limit",
                Some(Abort::TimeLimit) => "cut short by max_time",
                Some(Abort::StackOverflow(_)) => "cut short by the stack overflow",
                Some(_) => "cut short: the execution was abandoned",
                None => "unfinished",
            });
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", notes.join(", "))
        };
        let _ = writeln!(out, "{}task {t} {what}{notes}", "  ".repeat(depth));
        // Reversed, so that children come out in fork order.
        stack.extend(children[t].iter().rev().map(|&c| (c, depth + 1)));
    }
    out
}
