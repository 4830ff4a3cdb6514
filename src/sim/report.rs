//! What a run of the checker found: `Report`, `Finding`, `FindingKind`.

use std::fmt;

/// How much of the schedule space a run explored.
// Reported by `Report::coverage` (issue 11's coverage report, landing separately); the
// strategies say it through `Scheduler::coverage`.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Every behaviour was explored (exhaustive search with no bound, or a bound that
    /// never pruned a schedule).
    Complete,
    /// Every behaviour reachable within this many preemptions was explored, and the
    /// bound pruned some schedule.
    CompleteWithinBound(u32),
    /// The exhaustive search was stopped (by `iterations` or `max_time`) before it ended.
    Incomplete,
    /// Schedules were sampled (random, PCT, replay): no claim of completeness.
    Sampled,
}

/// The kind of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// Two schedules gave different outcomes.
    Nondeterminism,
    /// Two accesses to one location, at least one a write, unordered by happens-before.
    Race,
    /// A forked task wrote state it did not create.
    ImpureWrite,
    /// The program panicked in some schedule.
    Panic,
    /// A task panicked and its future was never waited: the error is silently lost.
    LostError,
    /// Unfinished tasks and none runnable.
    Deadlock,
    /// An execution exceeded `max_steps` (a livelock or an unbounded loop).
    StepLimit,
    /// Re-running a schedule did not take the same path.
    UncontrolledNondeterminism,
    /// A warning: a future was dropped without `wait`.
    UnwaitedFuture,
}

impl FindingKind {
    /// Whether findings of this kind are always only warnings (they do not fail `check`).
    /// A finding of another kind may still be a warning: see [`Finding::is_warning`].
    ///
    /// ```
    /// use forkwait::FindingKind;
    /// assert!(FindingKind::UnwaitedFuture.is_warning());
    /// assert!(!FindingKind::Deadlock.is_warning());
    /// ```
    pub fn is_warning(self) -> bool {
        matches!(self, FindingKind::UnwaitedFuture)
    }

    /// The verdict word of the model language for this kind (`# expect:` headers).
    ///
    /// Deprecated: the words belong to the model language, and are
    /// `forkwait_model::verdict(kind)` of the `forkwait-model` crate (this method gives the
    /// same words and stays for existing callers).
    ///
    /// ```
    /// #![allow(deprecated)]
    /// assert_eq!(forkwait::FindingKind::StepLimit.verdict(), Some("livelock"));
    /// ```
    #[deprecated(
        since = "0.1.0",
        note = "model-language words: use `forkwait_model::verdict(kind)` of the forkwait-model crate"
    )]
    pub fn verdict(self) -> Option<&'static str> {
        Some(match self {
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
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One thing the checker found, with what is needed to act on it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub(crate) kind: FindingKind,
    pub(crate) warning: bool,
    pub(crate) message: String,
    pub(crate) locations: Vec<String>,
    pub(crate) replay: Option<String>,
    pub(crate) other_replay: Option<String>,
    pub(crate) interleaving: String,
    pub(crate) task_tree: String,
}

impl Finding {
    /// The kind of finding.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| {
    ///     let f = forkwait::fork(|| -> () { panic!("lost") });
    ///     drop(f);
    /// });
    /// assert!(r.findings().iter().any(|f| f.kind() == forkwait::FindingKind::LostError));
    /// ```
    pub fn kind(&self) -> FindingKind {
        self.kind
    }

    /// Whether this finding is only a warning: it does not fail `check` nor count in
    /// [`Report::is_clean`]. `UnwaitedFuture` always is; an `ImpureWrite` through
    /// synchronization (a lock guard, an atomic, a channel) is unless
    /// [`Checker::strict_purity`](crate::Checker::strict_purity) is on.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| drop(forkwait::fork(|| 1)));
    /// assert!(r.findings()[0].is_warning());
    /// ```
    pub fn is_warning(&self) -> bool {
        self.warning
    }

    /// The replay token of the (shrunk) schedule that shows it.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| -> () { panic!("always") });
    /// assert!(r.findings()[0].replay().unwrap().starts_with("fw1:"));
    /// ```
    pub fn replay(&self) -> Option<&str> {
        self.replay.as_deref()
    }

    /// A one-line description.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| -> () { panic!("always") });
    /// assert!(r.findings()[0].message().contains("always"));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The source locations involved (`file:line:col`).
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| -> () { panic!("always") });
    /// assert!(r.findings()[0].locations()[0].contains(".rs:"));
    /// ```
    pub fn locations(&self) -> &[String] {
        &self.locations
    }

    /// For `Nondeterminism`: the token of the schedule that gave the other outcome.
    ///
    /// ```
    /// use forkwait::{Checker, FindingKind, sync::Mutex};
    /// use std::sync::Arc;
    /// let program = || {
    ///     let log = Arc::new(Mutex::new(Vec::new()));
    ///     let l = log.clone();
    ///     let t = forkwait::fork(move || l.lock().unwrap().push(1));
    ///     log.lock().unwrap().push(2);
    ///     forkwait::wait(t);
    ///     let v = log.lock().unwrap().clone();
    ///     v
    /// };
    /// let r = Checker::new().iterations(100).run(program);
    /// let f = r.findings().iter().find(|f| f.kind() == FindingKind::Nondeterminism).unwrap();
    /// // The two tokens replay the two different outcomes.
    /// let one = forkwait::replay(f.replay().unwrap(), program).unwrap();
    /// let other = forkwait::replay(f.other_replay().unwrap(), program).unwrap();
    /// assert_ne!(one.outcomes()[0].value, other.outcomes()[0].value);
    /// ```
    pub fn other_replay(&self) -> Option<&str> {
        self.other_replay.as_deref()
    }

    /// The interleaving of the shown schedule, a numbered step per line.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| -> () { panic!("x") });
    /// assert!(r.findings()[0].interleaving().contains("task 0"));
    /// ```
    pub fn interleaving(&self) -> &str {
        &self.interleaving
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.warning { "warning" } else { "error" };
        writeln!(f, "{level}[{}]: {}", self.kind, self.message)?;
        for l in &self.locations {
            writeln!(f, "  at {l}")?;
        }
        if !self.task_tree.is_empty() {
            writeln!(f, "  tasks:")?;
            for line in self.task_tree.lines() {
                writeln!(f, "    {line}")?;
            }
        }
        if !self.interleaving.is_empty() {
            writeln!(f, "  interleaving:")?;
            for line in self.interleaving.lines() {
                writeln!(f, "    {line}")?;
            }
        }
        if let Some(t) = &self.replay {
            writeln!(f, "  replay: {t}")?;
        }
        if let Some(t) = &self.other_replay {
            writeln!(f, "  other schedule: {t}")?;
        }
        Ok(())
    }
}

/// A distinct outcome (the `Debug` text of the closure's value, or its panic), how many
/// executions gave it, and a token that replays one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The outcome's `Debug` text (`panic: …` for a panic).
    pub value: String,
    /// How many executions gave it.
    pub count: u64,
    /// A replay token of one execution that gave it.
    pub replay: String,
}

/// The result of a checker run.
///
/// ```
/// let report = forkwait::Checker::new().iterations(50).run(|| {
///     let a = forkwait::fork(|| 1);
///     let b = forkwait::fork(|| 2);
///     forkwait::wait(a) + forkwait::wait(b)
/// });
/// assert!(report.is_clean());
/// assert_eq!(report.outcomes().len(), 1);
/// assert_eq!(report.outcomes()[0].value, "3");
/// assert_eq!(report.executions(), 50);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub(crate) executions: u64,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) header: String,
    pub(crate) reproduce: Option<String>,
}

impl Report {
    /// The number of executions (schedules) run.
    ///
    /// ```
    /// assert_eq!(forkwait::Checker::new().iterations(7).run(|| ()).executions(), 7);
    /// ```
    pub fn executions(&self) -> u64 {
        self.executions
    }

    /// Each distinct outcome, in order of first appearance.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| 5);
    /// assert_eq!(r.outcomes()[0].value, "5");
    /// ```
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// Everything found, warnings included.
    ///
    /// ```
    /// assert!(forkwait::Checker::new().run(|| ()).findings().is_empty());
    /// ```
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Whether nothing but warnings was found.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| drop(forkwait::fork(|| ())));
    /// assert!(r.is_clean()); // an unwaited future is only a warning
    /// assert_eq!(r.findings().len(), 1);
    /// ```
    pub fn is_clean(&self) -> bool {
        self.findings.iter().all(|f| f.warning)
    }

    /// Whether a finding of `kind` was made.
    ///
    /// ```
    /// let r = forkwait::Checker::new().run(|| -> () { panic!() });
    /// assert!(r.has(forkwait::FindingKind::Panic));
    /// ```
    pub fn has(&self, kind: FindingKind) -> bool {
        self.findings.iter().any(|f| f.kind == kind)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "forkwait: {}", self.header)?;
        writeln!(
            f,
            "{} executions, {} distinct outcome(s), {} finding(s)",
            self.executions,
            self.outcomes.len(),
            self.findings.len()
        )?;
        for o in &self.outcomes {
            writeln!(f, "  outcome {} x{}  ({})", o.value, o.count, o.replay)?;
        }
        for finding in &self.findings {
            writeln!(f)?;
            write!(f, "{finding}")?;
        }
        if let (Some(cmd), false) = (&self.reproduce, self.is_clean()) {
            writeln!(f)?;
            writeln!(f, "reproduce: {cmd}")?;
        }
        Ok(())
    }
}
