//! Checking models against their `# expect:` headers: what `forkwait check` and the
//! corpus tests (`tests/models.rs`) both run.

use super::ast::VERDICTS;
use super::load::Model;
use forkwait::{Checker, FindingKind, Progress, Report, Strategy, WaitPolicy};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The stack of each simulated task of a model: room for [`MAX_CALL_DEPTH`] nested model
/// calls in an unoptimised build (measured: about 17 KiB of stack per model call in a
/// debug build, 1000 calls take 17 MiB; this is about twice that). Only the pages a task
/// touches are committed. A task that runs out anyway gets a located `RecursionError`.
///
/// [`MAX_CALL_DEPTH`]: super::interp::MAX_CALL_DEPTH
pub const MODEL_STACK_SIZE: usize = 32 << 20;

/// [`CheckOptions::iterations`] for no limit: the strategy's own end (an exhaustive search
/// runs until it has explored every schedule; a sampling strategy would never stop, so
/// give it a number).
///
/// ```
/// use forkwait::Strategy;
/// use forkwait_model::{CheckOptions, NO_ITERATION_LIMIT};
/// let o = CheckOptions {
///     strategy: Strategy::Exhaustive { max_preemptions: None },
///     iterations: NO_ITERATION_LIMIT,
///     ..CheckOptions::default()
/// };
/// let r = o.checker("m.fw").run(|| forkwait::wait(forkwait::fork(|| 1)));
/// assert_eq!(r.coverage(), forkwait::Coverage::Complete);
/// ```
pub const NO_ITERATION_LIMIT: u64 = u64::MAX;

/// The exploration settings of a model check (the `forkwait check` flags).
///
/// ```
/// let o = forkwait_model::CheckOptions::default();
/// assert_eq!((o.iterations, o.seed, o.max_steps), (1000, 0, 20_000));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// How schedules are explored (default: random).
    pub strategy: Strategy,
    /// Executions per model (default 1000; [`NO_ITERATION_LIMIT`]: none, for an
    /// exhaustive search that runs to its end).
    pub iterations: u64,
    /// The seed (default 0).
    pub seed: u64,
    /// The step limit of one execution, beyond which it is a livelock (default 20 000).
    pub max_steps: u64,
    /// The modelled worker pool size (default: unbounded).
    pub workers: Option<u32>,
    /// What a task blocked in `wait` does with its worker (default: suspend).
    pub wait: WaitPolicy,
    /// Run at most this many executions first (default 20, `0`: off): if every one of
    /// them runs into the step limit, the check stops there with that report (the verdict
    /// `livelock` is known, and each further execution would cost the whole `max_steps`);
    /// otherwise the full budget of `iterations` runs from iteration 0 (so the verdicts
    /// are those of a run without the probe).
    pub step_limit_probe: u64,
    /// Called now and then with the model's path and the run's [`Progress`] (default:
    /// none), for a progress display; it decides nothing.
    pub progress: Option<ProgressFn>,
}

/// A progress hook of [`CheckOptions::progress`]: called with the model's path and the
/// run's progress (see [`forkwait::Checker::on_progress`]). Two hooks are equal when they
/// are the same function object.
///
/// ```
/// use forkwait_model::{CheckOptions, Model, ProgressFn, check_model};
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = seen.clone();
/// let opts = CheckOptions {
///     iterations: 5,
///     progress: Some(ProgressFn(Arc::new(move |path: &str, p: &forkwait::Progress| {
///         s.lock().unwrap().push((path.to_string(), p.executions));
///     }))),
///     ..CheckOptions::default()
/// };
/// let m = Model::from_source("m.fw", "def main():\n    return 1\n").unwrap();
/// check_model(&m, &opts);
/// assert_eq!(seen.lock().unwrap().last().unwrap(), &("m.fw".to_string(), 5));
/// ```
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct ProgressFn(pub Arc<dyn Fn(&str, &Progress) + Send + Sync>);

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressFn(..)")
    }
}

impl PartialEq for ProgressFn {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ProgressFn {}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            strategy: Strategy::Random,
            iterations: 1000,
            seed: 0,
            max_steps: 20_000,
            workers: None,
            wait: WaitPolicy::Suspend,
            step_limit_probe: 20,
            progress: None,
        }
    }
}

impl CheckOptions {
    /// The checker these options configure, named `name`.
    ///
    /// ```
    /// let c = forkwait_model::CheckOptions::default().checker("m.fw");
    /// assert!(c.run(|| ()).is_clean());
    /// ```
    pub fn checker(&self, name: &str) -> Checker {
        let mut c = Checker::new().strategy(self.strategy.clone());
        if self.iterations != NO_ITERATION_LIMIT {
            c = c.iterations(self.iterations);
        }
        let mut c = c
            .seed(self.seed)
            .max_steps(self.max_steps)
            .wait_policy(self.wait)
            .stack_size(MODEL_STACK_SIZE)
            .name(name);
        if let Some(k) = self.workers {
            c = c.workers(k);
        }
        if let Some(hook) = &self.progress {
            let (hook, name) = (hook.0.clone(), name.to_string());
            c = c.on_progress(move |p| hook(&name, p));
        }
        c
    }

    /// The flags that reproduce the non-default worker settings and step limit, for
    /// replay commands (`""` with the defaults).
    ///
    /// ```
    /// let mut o = forkwait_model::CheckOptions::default();
    /// assert_eq!(o.replay_flags(), "");
    /// o.workers = Some(1);
    /// o.wait = forkwait::WaitPolicy::Block;
    /// assert_eq!(o.replay_flags(), " --workers 1 --wait block");
    /// ```
    pub fn replay_flags(&self) -> String {
        let mut s = String::new();
        if let Some(k) = self.workers {
            s.push_str(&format!(" --workers {k}"));
        }
        if self.wait == WaitPolicy::Block {
            s.push_str(" --wait block");
        }
        if self.max_steps != CheckOptions::default().max_steps {
            s.push_str(&format!(" --max-steps {}", self.max_steps));
        }
        s
    }
}

/// The verdict word of the model language (`# expect:` headers) for a finding of `kind`,
/// one of [`VERDICTS`]; `None` for a kind that is only ever a warning.
///
/// ```
/// use forkwait::FindingKind;
/// assert_eq!(forkwait_model::verdict(FindingKind::StepLimit), Some("livelock"));
/// assert_eq!(forkwait_model::verdict(FindingKind::UnwaitedFuture), None);
/// ```
pub fn verdict(kind: FindingKind) -> Option<&'static str> {
    Some(match kind {
        FindingKind::Nondeterminism => "nondeterministic",
        FindingKind::Race => "race",
        FindingKind::ImpureWrite => "impure",
        FindingKind::Panic | FindingKind::LostError => "panic",
        FindingKind::Deadlock => "deadlock",
        FindingKind::StepLimit => "livelock",
        FindingKind::UncontrolledNondeterminism => "nondeterministic",
        FindingKind::UnwaitedFuture => return None,
    })
}

/// The verdict words of a report: one of `deterministic` / `nondeterministic`, then the
/// verdict of every finding that is not a warning, in the order of
/// [`VERDICTS`], without duplicates.
///
/// ```
/// let r = forkwait::Checker::new().iterations(5).run(|| -> () { panic!("x") });
/// assert_eq!(forkwait_model::verdicts(&r), ["deterministic", "panic"]);
/// ```
pub fn verdicts(report: &Report) -> Vec<&'static str> {
    let found: Vec<&'static str> = report
        .findings()
        .iter()
        .filter(|f| !f.is_warning())
        .filter_map(|f| verdict(f.kind()))
        .collect();
    let nondet = report.has(FindingKind::Nondeterminism) || found.contains(&"nondeterministic");
    let first = if nondet {
        "nondeterministic"
    } else {
        "deterministic"
    };
    VERDICTS
        .iter()
        .copied()
        .filter(|v| *v == first || (found.contains(v) && *v != "deterministic"))
        .collect()
}

/// Whether a report satisfies a header: the same set of verdict words; without a header,
/// nothing but warnings may be found.
///
/// ```
/// let r = forkwait::Checker::new().iterations(5).run(|| 1);
/// assert!(forkwait_model::matches_expectation(None, &r));
/// assert!(forkwait_model::matches_expectation(Some(&["deterministic".into()]), &r));
/// assert!(!forkwait_model::matches_expectation(Some(&["panic".into()]), &r));
/// ```
pub fn matches_expectation(expected: Option<&[String]>, report: &Report) -> bool {
    match expected {
        None => report.is_clean(),
        Some(words) => {
            let got = verdicts(report);
            got.len() == words.len() && words.iter().all(|w| got.contains(&w.as_str()))
        }
    }
}

/// The result of checking one model.
#[derive(Clone, Debug)]
pub struct ModelCheck {
    /// The model's path.
    pub path: String,
    /// The checker's report.
    pub report: Report,
    /// The verdicts found (see [`verdicts`]).
    pub verdict: Vec<&'static str>,
    /// The verdicts of the `# expect:` header, if any.
    pub expected: Option<Vec<String>>,
    /// Whether the verdicts match the header (see [`matches_expectation`]).
    pub ok: bool,
    /// How long the check took (shown, never used in a decision).
    pub elapsed: Duration,
    /// Whether the check stopped after the [`CheckOptions::step_limit_probe`] executions
    /// because every one of them ran into the step limit.
    pub stopped_early: bool,
}

/// Explores `model` with `opts` and compares the verdicts with its header.
///
/// ```
/// use forkwait_model::{CheckOptions, Model, check_model};
/// let src = "# expect: deterministic\ndef main():\n    return wait(fork(len, [1, 2]))\n";
/// let m = Model::from_source("m.fw", src).unwrap();
/// let opts = CheckOptions { iterations: 20, ..CheckOptions::default() };
/// let c = check_model(&m, &opts);
/// assert!(c.ok);
/// assert_eq!(c.verdict, ["deterministic"]);
/// assert_eq!(c.report.outcomes()[0].value, "2");
/// ```
///
/// A model whose first [`CheckOptions::step_limit_probe`] executions all run into the
/// step limit is not explored further:
///
/// ```
/// use forkwait_model::{CheckOptions, Model, check_model};
/// let src = "# expect: deterministic, livelock\ndef main():\n    while True:\n        yield_now()\n";
/// let m = Model::from_source("spin.fw", src).unwrap();
/// let opts = CheckOptions { max_steps: 500, ..CheckOptions::default() };
/// let c = check_model(&m, &opts);
/// assert!(c.ok && c.stopped_early);
/// assert_eq!(c.report.executions(), 20);
/// ```
pub fn check_model(model: &Model, opts: &CheckOptions) -> ModelCheck {
    let started = Instant::now();
    let run = |o: &CheckOptions| o.checker(model.path()).run(|| model.run_main());
    let mut stopped_early = false;
    let probe = opts.step_limit_probe.min(opts.iterations);
    let report = if probe > 0 && probe < opts.iterations {
        let first = run(&CheckOptions {
            iterations: probe,
            ..opts.clone()
        });
        // No execution finished (no outcome) and the step limit was hit.
        if first.outcomes().is_empty() && first.has(FindingKind::StepLimit) {
            stopped_early = true;
            first
        } else {
            run(opts)
        }
    } else {
        run(opts)
    };
    let expected = model.expect().map(<[String]>::to_vec);
    ModelCheck {
        path: model.path().to_string(),
        verdict: verdicts(&report),
        ok: matches_expectation(expected.as_deref(), &report),
        expected,
        report,
        elapsed: started.elapsed(),
        stopped_early,
    }
}
