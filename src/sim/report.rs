//! What a run of the checker found: `Report`, `Finding`, `FindingKind`, and how much of
//! the program's schedules the run covered (`Coverage`).

use std::fmt;

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

/// How much of a program's schedules a run explored: what a clean report proves.
///
/// Only [`Strategy::Exhaustive`](crate::Strategy::Exhaustive) can claim completeness. A
/// search that ran until its scheduler had nothing left is [`Complete`](Coverage::Complete)
/// (or [`CompleteWithinBound`](Coverage::CompleteWithinBound) when its preemption bound
/// left schedules out); one stopped before that — by the iteration budget, by `max_time`,
/// or by [`Checker::check`](crate::Checker::check) at the first failing execution — is
/// [`Incomplete`](Coverage::Incomplete). Random and PCT runs (and replays) are
/// [`Sampled`](Coverage::Sampled) however many executions they run.
///
/// An execution ended by a finding (a deadlock, the step limit) counts as explored: the
/// schedules that would have continued it do not exist or are that finding.
///
/// ```
/// use forkwait::{Checker, Coverage, Strategy};
/// let program = || {
///     let a = forkwait::fork(|| 1);
///     forkwait::wait(a) + 1
/// };
/// let all = Checker::new()
///     .strategy(Strategy::Exhaustive { max_preemptions: None })
///     .iterations(u64::MAX)
///     .run(program);
/// assert_eq!(all.coverage(), Coverage::Complete);
/// let sampled = Checker::new().iterations(10).run(program);
/// assert_eq!(sampled.coverage(), Coverage::Sampled);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Coverage {
    /// Every schedule of the program was explored.
    ///
    /// ```
    /// use forkwait::{Checker, Coverage, Strategy};
    /// let r = Checker::new()
    ///     .strategy(Strategy::Exhaustive { max_preemptions: None })
    ///     .run(|| 1);
    /// assert_eq!(r.coverage(), Coverage::Complete);
    /// ```
    Complete,
    /// Every schedule with at most `k` preemptions was explored, and the bound left some
    /// out (when it left none out the coverage is [`Complete`](Coverage::Complete)).
    ///
    /// ```
    /// use forkwait::{Checker, Coverage, Strategy, sync::Shared};
    /// use std::sync::Arc;
    /// let r = Checker::new()
    ///     .strategy(Strategy::Exhaustive { max_preemptions: Some(0) })
    ///     .run(|| {
    ///         let c = Arc::new(Shared::new(0));
    ///         let c2 = c.clone();
    ///         let t = forkwait::fork(move || c2.write(c2.read() + 1));
    ///         c.write(c.read() + 1);
    ///         forkwait::wait(t);
    ///     });
    /// assert_eq!(r.coverage(), Coverage::CompleteWithinBound(0));
    /// ```
    CompleteWithinBound(u32),
    /// The search stopped before its scheduler was exhausted: by the iteration budget,
    /// `max_time`, or at the first failing execution (`check`).
    ///
    /// ```
    /// use forkwait::{Checker, Coverage, Strategy, sync::Shared};
    /// use std::sync::Arc;
    /// let r = Checker::new()
    ///     .strategy(Strategy::Exhaustive { max_preemptions: None })
    ///     .iterations(2)
    ///     .run(|| {
    ///         let c = Arc::new(Shared::new(0));
    ///         let c2 = c.clone();
    ///         let t = forkwait::fork(move || c2.write(c2.read() + 1));
    ///         c.write(c.read() + 1);
    ///         forkwait::wait(t);
    ///     });
    /// assert_eq!(r.coverage(), Coverage::Incomplete);
    /// ```
    Incomplete,
    /// Schedules were sampled (random, PCT, a replay): no claim about the others.
    ///
    /// ```
    /// use forkwait::{Checker, Coverage, Strategy};
    /// let r = Checker::new().strategy(Strategy::Pct { depth: 2 }).iterations(5).run(|| 1);
    /// assert_eq!(r.coverage(), Coverage::Sampled);
    /// ```
    #[default]
    Sampled,
}

impl Coverage {
    /// Whether the run explored every schedule it set out to (every one, or every one
    /// within its preemption bound).
    ///
    /// ```
    /// use forkwait::Coverage;
    /// assert!(Coverage::Complete.is_complete());
    /// assert!(Coverage::CompleteWithinBound(2).is_complete());
    /// assert!(!Coverage::Incomplete.is_complete());
    /// assert!(!Coverage::Sampled.is_complete());
    /// ```
    pub fn is_complete(self) -> bool {
        matches!(self, Coverage::Complete | Coverage::CompleteWithinBound(_))
    }
}

impl fmt::Display for Coverage {
    /// `complete`, `complete within K preemptions`, `incomplete` or `sampled`.
    ///
    /// ```
    /// assert_eq!(forkwait::Coverage::CompleteWithinBound(1).to_string(),
    ///            "complete within 1 preemption");
    /// assert_eq!(forkwait::Coverage::Sampled.to_string(), "sampled");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Coverage::Complete => f.write_str("complete"),
            Coverage::CompleteWithinBound(k) => {
                let s = if *k == 1 { "" } else { "s" };
                write!(f, "complete within {k} preemption{s}")
            }
            Coverage::Incomplete => f.write_str("incomplete"),
            Coverage::Sampled => f.write_str("sampled"),
        }
    }
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
    pub(crate) coverage: Coverage,
    /// For an incomplete run: what stopped it (for the text).
    pub(crate) stopped_by: Option<String>,
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

    /// How much of the program's schedules the run explored (see [`Coverage`]): what a
    /// clean report proves. [`Checker::run`](crate::Checker::run) with
    /// `Strategy::Exhaustive` and enough iterations gives a complete search; `check`
    /// stops at the first failing execution, so a failing `check` is `Incomplete` unless
    /// that execution was the last schedule.
    ///
    /// ```
    /// use forkwait::{Checker, Coverage, Strategy};
    /// let exhaustive = Checker::new().strategy(Strategy::Exhaustive { max_preemptions: None });
    /// let r = exhaustive.clone().iterations(u64::MAX).run(|| forkwait::wait(forkwait::fork(|| 1)));
    /// assert_eq!(r.coverage(), Coverage::Complete);
    /// assert!(r.to_string().contains("coverage: complete"));
    /// ```
    pub fn coverage(&self) -> Coverage {
        self.coverage
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
        match (&self.coverage, &self.stopped_by) {
            (Coverage::Complete, _) => writeln!(f, "coverage: complete (every schedule)")?,
            (Coverage::CompleteWithinBound(k), _) => writeln!(
                f,
                "coverage: {} (every schedule with at most {k}; the bound left others out)",
                self.coverage
            )?,
            (Coverage::Incomplete, Some(why)) => writeln!(
                f,
                "coverage: incomplete (stopped by {why} before the search was exhausted)"
            )?,
            (Coverage::Incomplete, None) => writeln!(f, "coverage: incomplete")?,
            (Coverage::Sampled, _) => writeln!(f, "coverage: sampled")?,
        }
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
