//! One execution turned into findings and outcomes.

use super::Checker;
use super::run::{RunResult, schedule_of};
use crate::sim::exec::{self, Abort, Op, TaskId};
use crate::sim::report::{Coverage, Finding, FindingKind, Outcome};
use crate::sim::schedule::Schedule;

#[derive(Clone)]
pub(super) struct PendingFinding {
    pub(super) kind: FindingKind,
    /// For an execution cut by `max_time`: the steps it had taken.
    pub(super) cap: Option<u64>,
    /// Only a warning (it does not fail `check`).
    pub(super) warning: bool,
    /// Deduplication key: one finding per (kind, key) per run.
    pub(super) key: u64,
    pub(super) message: String,
    pub(super) locations: Vec<String>,
    pub(super) schedule: Option<Schedule>,
    pub(super) other: Option<Schedule>,
    pub(super) replay: Option<String>,
    pub(super) interleaving: String,
    pub(super) task_tree: String,
}

impl PendingFinding {
    pub(super) fn into_finding(self) -> Finding {
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
pub(super) struct Acc {
    pub(super) executions: u64,
    pub(super) outcomes: Vec<Outcome>,
    pub(super) findings: Vec<PendingFinding>,
    /// The analysis of the last execution (kept for its buffers).
    analysis: crate::sim::hb::Analysis,
    /// The buffer of `analysis_covered` (`covered.rs`).
    pub(super) candidates: super::covered::Candidates,
    /// What the run covered (set when its loop stops; a replay is `Sampled`).
    pub(super) coverage: Coverage,
    /// For an incomplete run: what stopped it.
    pub(super) stopped_by: Option<String>,
    /// A probe (shrinking's test of a replay, `shrink.rs`): only the kinds and keys of
    /// the findings matter, so no message, location, schedule or outcome is built.
    pub(super) keys_only: bool,
}

pub(super) fn str_key(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| exec::mix(h, b as u64))
}

impl Acc {
    /// An empty accumulator for a probe (see `keys_only`).
    pub(super) fn probe() -> Acc {
        Acc {
            keys_only: true,
            ..Acc::default()
        }
    }

    /// Records a finding unless one of the same kind and key exists. The message,
    /// locations and schedule are built only for a new finding: the same finding shows
    /// up in most executions, and formatting it each time would dominate the run.
    pub(super) fn push(
        &mut self,
        kind: FindingKind,
        key: u64,
        schedule: &dyn Fn() -> Schedule,
        make: impl FnOnce() -> (String, Vec<String>),
    ) {
        self.push_as(kind, kind.is_warning(), key, schedule, make)
    }

    /// [`push`](Acc::push) for an execution cut by `max_time` after `steps` steps.
    pub(super) fn push_capped(
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
    pub(super) fn push_as(
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
        if self.keys_only {
            self.findings.push(PendingFinding {
                kind,
                cap: None,
                warning,
                key,
                message: String::new(),
                locations: Vec::new(),
                schedule: None,
                other: None,
                replay: None,
                interleaving: String::new(),
                task_tree: String::new(),
            });
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

    /// Turns one execution into findings and an outcome.
    pub(super) fn absorb(&mut self, r: &RunResult, c: &Checker) {
        self.executions += 1;
        let s = &r.fin.state;
        let schedule: &dyn Fn() -> Schedule = &|| schedule_of(&r.fin);
        self.abort_finding(s, c, schedule);
        self.lost_futures(s, schedule);
        self.analysis_findings(s, c, schedule);
        if s.abort.is_none() {
            self.outcome(r, schedule);
        }
    }

    /// What stopped an aborted execution: a deadlock, a limit, a stack overflow, or the
    /// program behaving differently outside the harness's control.
    fn abort_finding(&mut self, s: &exec::ExecState, c: &Checker, schedule: &dyn Fn() -> Schedule) {
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
                self.push(FindingKind::Deadlock, key, schedule, || {
                    cycle_message(s, cycle)
                });
            }
            Some(Abort::Deadlock { starved, .. }) => {
                self.push(FindingKind::Deadlock, 2, schedule, || {
                    starvation_message(s, starved)
                });
            }
            Some(Abort::TimeLimit) => self.push_capped(
                FindingKind::StepLimit,
                4,
                schedule,
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
            Some(Abort::StepLimit) => self.push(FindingKind::StepLimit, 3, schedule, || {
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
                self.push(FindingKind::Panic, task_key(*t), schedule, || {
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
                schedule,
                || (msg.clone(), vec![]),
            ),
            None => {}
        }
    }

    /// Futures nobody waited, and the errors they lose. In an execution that ran to its
    /// end, a task nobody waited is lost whether its future was dropped or
    /// `mem::forget`-ed (or leaked); in an aborted one, only what the program itself
    /// dropped (the teardown drops the rest).
    fn lost_futures(&mut self, s: &exec::ExecState, schedule: &dyn Fn() -> Schedule) {
        let completed = s.abort.is_none();
        for (i, t) in s.tasks.iter().enumerate().skip(1) {
            if (t.detached || completed) && !t.waited {
                if let Some((msg, at)) = t.panic.as_deref() {
                    let key = exec::mix(t.site.key(), str_key(msg));
                    self.push(FindingKind::LostError, key, schedule, || {
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
                self.push(FindingKind::UnwaitedFuture, t.site.key(), schedule, || {
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
    }

    /// Races and impure writes, from the happens-before analysis of the step log.
    fn analysis_findings(
        &mut self,
        s: &exec::ExecState,
        c: &Checker,
        schedule: &dyn Fn() -> Schedule,
    ) {
        if c.analysis && s.accessed && self.analysis_covered(s) {
            return; // every finding it could report is reported already
        }
        let mut analysis = std::mem::take(&mut self.analysis);
        if c.analysis {
            crate::sim::hb::analyze(s, &mut analysis);
        } else {
            analysis.races.clear();
            analysis.impure.clear();
        }
        for race in &analysis.races {
            self.push(FindingKind::Race, race.key, schedule, || {
                let step = |seen: &crate::sim::hb::Seen| s.steps[seen.step as usize];
                let (a, b) = (step(&race.first), step(&race.second));
                let kind = |st: &exec::Step| match st.op {
                    Op::Access(_, k) => k,
                    _ => crate::sim::AccessKind::Read,
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
            let key = super::covered::impure_key(imp.site_key, imp.class);
            let allowed = || {
                let at = imp.site.to_string();
                c.allowed_sites.iter().any(|a| at.contains(a.as_str()))
            };
            if !c.allowed_sites.is_empty() && allowed() {
                continue;
            }
            let through_sync = s.objects[imp.obj as usize].kind.is_sync();
            let warning = through_sync && !c.strict_purity;
            self.push_as(FindingKind::ImpureWrite, warning, key, schedule, || {
                let obj = &s.objects[imp.obj as usize];
                let owner = match imp.creator {
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
        self.analysis = analysis;
    }

    /// The outcome of an execution that ran to its end (its value, or its panic as a
    /// finding), and `Nondeterminism` when it differs from an earlier one.
    fn outcome(&mut self, r: &RunResult, schedule: &dyn Fn() -> Schedule) {
        let value: std::borrow::Cow<'_, str> = match &r.outcome {
            Some(Ok(v)) => v.as_str().into(),
            Some(Err((msg, at))) => {
                let key = exec::mix(str_key(msg), str_key(at));
                self.push(FindingKind::Panic, key, schedule, || {
                    (format!("the program panicked: {msg}"), vec![at.clone()])
                });
                format!("panic: {msg}").into()
            }
            None => return,
        };
        if self.keys_only {
            return; // outcomes, and the nondeterminism they show, are not probed
        }
        let is_panic = matches!(r.outcome, Some(Err(_)));
        match self.outcomes.iter_mut().find(|o| o.value == *value) {
            Some(o) => o.count += 1,
            None => {
                let first_value = self
                    .outcomes
                    .iter()
                    .find(|o| !o.value.starts_with("panic: "))
                    .map(|o| (o.value.clone(), o.replay.clone()));
                let schedule = schedule();
                self.outcomes.push(Outcome {
                    value: value.to_string(),
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

/// Where task `t` was forked, for reports.
fn task_site(s: &exec::ExecState, t: TaskId) -> String {
    if t == 0 {
        "the closure under test".to_string()
    } else {
        s.tasks[t as usize].site.to_string()
    }
}

/// A deadlock with a wait-for cycle: its message and locations.
fn cycle_message(s: &exec::ExecState, cycle: &[TaskId]) -> (String, Vec<String>) {
    let parts: Vec<String> = cycle
        .iter()
        .map(|&t| format!("task {t} (forked at {})", task_site(s, t)))
        .collect();
    (
        format!(
            "wait-for cycle: {} -> back to the first; {}",
            parts.join(" -> "),
            blocked_tasks(s)
        ),
        cycle.iter().map(|&t| task_site(s, t)).collect(),
    )
}

/// A deadlock without a cycle: ready tasks starved of a worker, or (none starved) every
/// unfinished task waiting for something no task will ever do (a notification, a
/// message).
fn starvation_message(s: &exec::ExecState, starved: &[TaskId]) -> (String, Vec<String>) {
    if starved.is_empty() {
        return (
            format!("no task can run: {}", blocked_tasks(s)),
            blocked_sites(s),
        );
    }
    let holders: Vec<String> = s
        .tasks
        .iter()
        .enumerate()
        .filter(|(i, t)| *i != 0 && matches!(t.phase, exec::Phase::Blocked(_)))
        .map(|(i, t)| format!("task {i} (forked at {})", t.site))
        .collect();
    (
        format!(
            "starvation: every worker is held by a blocked task ({}), while {} ready task(s) \
             wait for a worker; {}",
            holders.join(", "),
            starved.len(),
            blocked_tasks(s)
        ),
        starved.iter().map(|&t| task_site(s, t)).collect(),
    )
}

/// Every blocked task and what it waits for, for deadlock reports.
pub(super) fn blocked_tasks(s: &exec::ExecState) -> String {
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
pub(super) fn blocked_sites(s: &exec::ExecState) -> Vec<String> {
    (0..s.tasks.len() as TaskId)
        .filter(|&t| exec::blocked_on(s, t).is_some())
        .filter_map(|t| s.steps.iter().rev().find(|st| st.task == t))
        .map(|st| st.site.to_string())
        .collect()
}

pub(super) fn kind_text(k: crate::sim::AccessKind) -> &'static str {
    use crate::sim::AccessKind::*;
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
