//! The run loop: regression schedules, the strategy's iterations, stopping; `check` and
//! `replay`.

use super::Checker;
use super::findings::{Acc, PendingFinding};
use super::panic::{LAST_PANIC, install_panic_hook, take_last_panic};
use super::progress::ProgressClock;
use super::render::{render_steps, render_tree};
use super::shrink::finding_matches;
use crate::sim::Strategy;
use crate::sim::exec::{self, Abort, Config, Finished};
use crate::sim::persist::{Entry, RegressionFile};
use crate::sim::report::{Coverage, FindingKind, Report};
use crate::sim::sched::{DfsSched, DporSched, PctSched, RandomSched, ReplaySched, Scheduler};
use crate::sim::schedule::{Schedule, TokenError};
use std::cell::Cell;
use std::fmt::Debug;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

pub(super) struct RunResult {
    pub(super) outcome: Option<Result<String, (String, String)>>,
    pub(super) fin: Finished,
}

thread_local! {
    /// The buffer of the last execution's outcome text, for the next one to write into.
    static OUTCOME_BUF: Cell<String> = const { Cell::new(String::new()) };
}

impl Drop for RunResult {
    fn drop(&mut self) {
        if let Some(Ok(text)) = self.outcome.take() {
            let _ = OUTCOME_BUF.try_with(|b| b.set(text));
        }
    }
}

/// `v`'s `Debug` text, in the buffer of an earlier outcome.
fn outcome_text<T: Debug>(v: &T) -> String {
    use std::fmt::Write as _;
    let mut text = OUTCOME_BUF.try_with(|b| b.take()).unwrap_or_default();
    text.clear();
    // The unit value's text is "()" whatever the program: a closure that returns nothing
    // (most tests) does not pay the formatting machinery on every execution.
    if std::mem::size_of::<T>() == 0 && std::any::type_name::<T>() == "()" {
        text.push_str("()");
    } else {
        let _ = write!(text, "{v:?}");
    }
    text
}

impl Checker {
    pub(super) fn config(&self) -> Config {
        Config {
            max_steps: self.step_cap.unwrap_or(self.max_steps),
            workers: self.workers,
            policy: self.policy,
            stack_size: self.stack_size,
            log: self.log,
            deadline: self.deadline,
            watchdog: self.watchdog,
            track: self.reduced(),
        }
    }

    /// Whether this run's exhaustive search uses partial-order reduction (not with a
    /// worker model: a worker's being taken and freed is shared state the reduction does
    /// not model, so that search stays plain depth-first).
    fn reduced(&self) -> bool {
        self.reduction
            && self.workers.is_none()
            && matches!(self.strategy, Strategy::Exhaustive { .. })
    }

    pub(super) fn run_once<T: Debug>(
        &self,
        f: &dyn Fn() -> T,
        sched: &mut dyn Scheduler,
    ) -> RunResult {
        // A panic the program caught itself in an earlier execution is not "unwinding".
        LAST_PANIC.with(|p| p.borrow_mut().take());
        let mut outcome: Option<Result<String, (String, String)>> = None;
        let mut main = || {
            let r = std::panic::catch_unwind(AssertUnwindSafe(f));
            outcome = Some(match r {
                Ok(v) => Ok(outcome_text(&v)),
                // The harness unwinding an aborted execution: no outcome, no panic.
                Err(p) if exec::tearing_down_now() => std::panic::resume_unwind(p),
                Err(p) => Err(take_last_panic(&*p)),
            });
        };
        let fin = exec::run(&mut main, sched, &self.config(), self.main_site);
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
        self.at(std::panic::Location::caller()).explore(&f, false)
    }

    /// This checker for one run of the program handed to it at `site` (a run's own
    /// state — its deadline, a replay's step cap — lives in the copy, so that a `Checker`
    /// is `Sync` and may run programs from several threads at once).
    fn at(&self, site: &'static std::panic::Location<'static>) -> Checker {
        let mut c = self.clone();
        c.main_site = site;
        c
    }

    /// Runs the regression file's schedules into `acc` (a stale one is skipped, said on
    /// standard error).
    fn replay_regressions<T: Debug>(&self, f: &dyn Fn() -> T, acc: &mut Acc) {
        let Some(file) = self.regression_file() else {
            return;
        };
        for s in file.load() {
            let mut sched = ReplaySched::of(&s, true);
            sched.begin(0);
            let r = self.run_once(&f, &mut sched);
            if r.fin.state.path_hash() == s.fingerprint() {
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

    /// The strategy's scheduler (PCT measures its `k` on one default execution of `f`).
    fn scheduler<T: Debug>(&self, f: &dyn Fn() -> T) -> Box<dyn Scheduler> {
        match &self.strategy {
            Strategy::Random => Box::new(RandomSched::new(self.seed)),
            Strategy::Pct { depth } => {
                let mut pct = PctSched::new(self.seed, *depth);
                let mut probe = ReplaySched::new(Vec::new(), false);
                probe.begin(0);
                let k = self.run_once(&f, &mut probe).fin.state.choices.len();
                pct.set_k(k);
                Box::new(pct)
            }
            Strategy::Exhaustive { max_preemptions } if self.reduced() => {
                Box::new(DporSched::new(*max_preemptions))
            }
            Strategy::Exhaustive { max_preemptions } => Box::new(DfsSched::new(*max_preemptions)),
            Strategy::Replay(s) => Box::new(ReplaySched::of(s, true)),
        }
    }

    /// `check_determinism`: runs `r`'s schedule again; a different path is uncontrolled
    /// nondeterminism.
    fn rerun_for_determinism<T: Debug>(&self, f: &dyn Fn() -> T, r: &RunResult, acc: &mut Acc) {
        let mut again = ReplaySched::new(choices_of(&r.fin), true);
        again.begin(0);
        let r2 = self.run_once(&f, &mut again);
        if r2.fin.state.path_hash() != r.fin.state.path_hash()
            || r2.fin.state.choices != r.fin.state.choices
        {
            acc.push(
                FindingKind::UncontrolledNondeterminism,
                1,
                &|| schedule_of(&r.fin),
                || {
                    (
                        "re-running the same schedule took a different path: the program \
                         uses time, OS randomness, real threads or state outside forkwait"
                            .into(),
                        vec![],
                    )
                },
            );
        }
    }

    /// The run loop: regression schedules, then the strategy's iterations (all of them,
    /// or, with `stop_early`, up to the first execution with an error); then shrinking.
    pub(super) fn explore<T: Debug>(&mut self, f: &dyn Fn() -> T, stop_early: bool) -> Report {
        install_panic_hook();
        let mut acc = Acc::default();
        let started = Instant::now();
        self.deadline = self.max_time.map(|t| started + t);
        // Regression schedules first (they do not change the seeded exploration below:
        // iteration i still depends on (seed, i) alone).
        self.replay_regressions(f, &mut acc);
        let mut sched = self.scheduler(f);
        let iterations = match self.strategy {
            Strategy::Replay(_) => 1,
            // An exhaustive search is not cut by the default budget: it runs to its end
            // unless iterations (or max_time) were asked for.
            Strategy::Exhaustive { .. } if !self.iterations_set => u64::MAX,
            _ => self.iterations,
        };
        let (shard_k, shard_n) = self.shard.unwrap_or((0, 1));
        let mut i = 0u64;
        // Why the loop stopped, for the coverage: `None` while the scheduler has more.
        let mut stopped_by: Option<String> = None;
        let mut exhausted = false;
        let mut progress = ProgressClock::new(self.progress.as_ref());
        loop {
            if i >= iterations {
                stopped_by = Some(format!("the iteration budget ({iterations})"));
                break;
            }
            if self.max_time.is_some_and(|t| started.elapsed() >= t) {
                stopped_by = Some("max_time".into());
                break;
            }
            let this = i;
            i += 1;
            if this % shard_n != shard_k {
                continue;
            }
            if !sched.begin(this) {
                exhausted = true;
                break;
            }
            let r = self.run_once(&f, &mut *sched);
            sched.end(&r.fin.state);
            if self.check_determinism {
                self.rerun_for_determinism(f, &r, &mut acc);
            }
            acc.absorb(&r, self);
            progress.tick(acc.executions, iterations, &*sched);
            if stop_early && acc.findings.iter().any(|p| !p.warning) {
                stopped_by = Some("the first failing execution".into());
                break;
            }
        }
        // Cut only if the scheduler had another execution to give (a search whose last
        // schedule was also its budget's last, or its first failure, is complete). The
        // probe starts nothing: the run loop is over.
        let done = sched.done_fraction();
        let cut = !exhausted && stopped_by.is_some() && sched.begin(i);
        acc.coverage = sched.coverage(cut);
        acc.stopped_by = stopped_by.filter(|_| cut);
        progress.finish(acc.executions, iterations, done, cut);
        // Shrinking and illustrating are not cut by `max_time` (they are bounded by the
        // schedule's length).
        self.deadline = None;
        self.finish(acc, f)
    }

    pub(super) fn finish<T: Debug>(&mut self, mut acc: Acc, f: &dyn Fn() -> T) -> Report {
        // Shrink and illustrate every finding.
        let mut findings = std::mem::take(&mut acc.findings);
        for pf in &mut findings {
            let Some(schedule) = pf.schedule.clone() else {
                continue;
            };
            let target = pf.clone();
            // A finding cut by max_time is not shrunk (a shrinking run has no deadline)
            // and is illustrated up to the step where the deadline stopped it.
            self.step_cap = pf.cap;
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
            self.step_cap = None;
        }
        // An unnamed checker is named after where the program was handed to it.
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("the closure at {}", self.main_site));
        let mut report = Report {
            executions: acc.executions,
            outcomes: acc.outcomes,
            findings: findings
                .into_iter()
                .map(PendingFinding::into_finding)
                .collect(),
            header: match self.strategy {
                Strategy::Exhaustive { .. } if !self.iterations_set => format!(
                    "{name}: strategy {}, seed {}, no iteration limit",
                    self.strategy, self.seed
                ),
                _ => format!(
                    "{name}: strategy {}, seed {}, {} iterations",
                    self.strategy, self.seed, self.iterations
                ),
            },
            reproduce: None,
            coverage: acc.coverage,
            stopped_by: acc.stopped_by.take(),
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
    pub(super) fn regression_file(&self) -> Option<RegressionFile> {
        if !self.regressions {
            return None;
        }
        self.name.as_deref().map(RegressionFile::for_test)
    }

    /// Keeps the failing schedules of `report` in the regression file: each error's
    /// token, and both schedules of a `Nondeterminism`.
    pub(super) fn save_regressions(&self, report: &Report) {
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
    /// found anything that is not a warning. It stops at the first failing execution, so
    /// a failing report's [`coverage`](Report::coverage) is `Incomplete` (unless that was
    /// the last schedule); a passing exhaustive search that its budget cut says so on
    /// standard error.
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
        let mut c = self.at(std::panic::Location::caller());
        let report = match std::env::var("FORKWAIT_REPLAY") {
            // Exactly that schedule, under this checker's settings, step trace printed.
            Ok(token) if !token.trim().is_empty() => c
                .replay_at(&token, &f)
                .unwrap_or_else(|e| panic!("FORKWAIT_REPLAY: {e}")),
            // Stops at the first failing execution, then shrinks (as shuttle and
            // proptest do): a failing test fails fast. Its report's coverage is then
            // `Incomplete` unless that execution was the search's last.
            _ => c.explore(&f, true),
        };
        if !report.is_clean() {
            c.save_regressions(&report);
            panic!("{report}");
        }
        // A passing exhaustive search that its budget cut proves less than it seems to:
        // say so (a sampling strategy never claims completeness).
        if report.coverage() == Coverage::Incomplete {
            eprintln!(
                "forkwait: {}: the exhaustive search stopped after {} executions, before it \
                 was exhausted (coverage incomplete); raise `iterations` \
                 (FORKWAIT_ITERATIONS) or `max_time` for a complete search",
                self.name.as_deref().unwrap_or("check"),
                report.executions()
            );
        }
    }
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
        self.at(std::panic::Location::caller()).replay_at(token, &f)
    }

    /// [`replay`](Checker::replay) by this run's copy of the checker.
    fn replay_at<T: Debug>(
        &mut self,
        token: &str,
        f: &dyn Fn() -> T,
    ) -> Result<Report, TokenError> {
        install_panic_hook();
        let s = Schedule::from_token(token)?;
        // A relative schedule (a generated one) is followed by the default: any fits.
        let mut sched = ReplaySched::of(&s, true);
        sched.begin(0);
        let r = self.run_once(&f, &mut sched);
        if let Some(Abort::Stale(msg)) = &r.fin.state.abort {
            return Err(TokenError::new(msg.clone()));
        }
        if !s.is_relative() && r.fin.state.choices.len() != s.len() {
            return Err(TokenError::new(format!(
                "stale replay token: it has {} choices, the program made {} (the program \
                 changed since the token was made, or it is replayed with other settings)",
                s.len(),
                r.fin.state.choices.len()
            )));
        }
        if s.fingerprint() != 0 && s.fingerprint() != r.fin.state.path_hash() {
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

/// [`Schedule::run`]: `f` under exactly `schedule` (the default after its last choice),
/// with the default checker's settings; its value, or its panic resumed.
#[track_caller]
pub(crate) fn run_schedule<T>(schedule: &Schedule, f: impl FnOnce() -> T) -> T {
    install_panic_hook();
    LAST_PANIC.with(|p| p.borrow_mut().take());
    let checker = Checker::new();
    let mut sched = ReplaySched::of(schedule, false);
    sched.begin(0);
    let mut f = Some(f);
    let mut result: Option<std::thread::Result<T>> = None;
    let mut main = || {
        let Some(f) = f.take() else { return };
        match std::panic::catch_unwind(AssertUnwindSafe(f)) {
            // The harness unwinding an aborted execution: not the program's panic.
            Err(p) if exec::tearing_down_now() => std::panic::resume_unwind(p),
            r => result = Some(r),
        }
    };
    let fin = exec::run(
        &mut main,
        &mut sched,
        &checker.config(),
        std::panic::Location::caller(),
    );
    match result {
        Some(Ok(v)) => v,
        // The program's own panic, with its payload (a `wait` on a panicked task
        // re-raised it in the waiter).
        Some(Err(payload)) => std::panic::resume_unwind(payload),
        None => {
            let why = match &fin.state.abort {
                Some(Abort::Deadlock { .. }) => "it deadlocked".to_string(),
                Some(Abort::StepLimit) => "it reached the step limit".to_string(),
                Some(Abort::TimeLimit) => "it ran out of time".to_string(),
                Some(Abort::StackOverflow(_)) => "a task overflowed its stack".to_string(),
                Some(Abort::Stale(m) | Abort::Harness(m)) => m.clone(),
                None => "it did not finish".to_string(),
            };
            panic!(
                "forkwait: Schedule::run: the program returned no value under {}: {why} \
                 (run `forkwait::replay` with this token for the report)",
                schedule.to_token()
            )
        }
    }
}

pub(super) fn choices_of(fin: &Finished) -> Vec<u32> {
    fin.state.choices.iter().map(|c| c.index).collect()
}

pub(super) fn schedule_of(fin: &Finished) -> Schedule {
    Schedule::with_fingerprint(choices_of(fin), fin.state.path_hash())
}
