//! `forkwait::fuzz`: random fork/wait programs for differential testing of the harness
//! itself (and of anything else that runs fork/wait code).
//!
//! A [`Program`] is a value: a tree of [`Task`]s whose bodies are lists of [`Stmt`]s
//! (add a constant, fork a child, wait a future, detach a task, take a lock, yield, open a
//! [`scope`](crate::scope), add to an atomic counter), over which at most one
//! [`Plant`]ed bug is placed. The same value
//!
//! * **runs through the Rust API** ([`Program::run`]: an interpreter calling
//!   [`fork`](crate::fork), [`SharedFuture::wait`](crate::SharedFuture::wait) and
//!   [`sync`](crate::sync)), in any mode (eager, parallel, traced, simulated), and
//! * **prints as a `.fw` model** ([`Program::to_model`]) that `forkwait check` runs the
//!   same way: the same forks, waits, locks and planted bug, so both forms get the same
//!   verdicts.
//!
//! A task's value is an integer: the sum of its constants and of the values of the
//! futures it waits. A pure program therefore has one outcome in every mode and
//! schedule; a planted bug is found with a known [`FindingKind`] (see
//! [`Plant::expected`]).
//!
//! # Design notes
//!
//! * Every future is turned into a [`SharedFuture`](crate::SharedFuture) at once, so a
//!   slot may be waited several times and also handed to one later-forked sibling (the
//!   model language's futures behave that way natively). Futures only flow to tasks forked
//!   *after* them, so a pure program cannot deadlock.
//! * Each forking task waits every future it stored before it returns; a
//!   [`Stmt::Detach`]ed task's future is dropped at once (legal: it still runs to the end,
//!   an `UnwaitedFuture` warning), and its value is lost, so no gadget goes below one.
//! * What is generated is only what both forms express identically. The model's
//!   variables are all instrumented (the Rust form's locals are plain), which adds
//!   scheduling points to the model form but changes no verdict.
//! * **Scopes.** A [`Stmt::Scope`] runs its forks inside [`scope`](crate::scope)
//!   (borrowing the statements and the shared context: no `Arc` clone); some are waited
//!   inside (their values added to `acc`), the others are dropped unwaited and joined by
//!   the scope's end, *their values lost* — as a detached task's, but deterministic,
//!   since the join orders them before what follows. The model language has no scope:
//!   the `.fw` form is the same program with an explicit `wait(s{n}_{slot})` (value
//!   dropped) where the scope joins, so both forms have every task waited, and neither
//!   reports an `UnwaitedFuture` (the simulator counts a scope's join as a wait). The
//!   trace graph has a wait edge only for the explicit waits. Scoped forks are never
//!   handed to a sibling and are waited at most once ([`ScopedFuture`](crate::ScopedFuture)
//!   is not shared); no gadget is planted below one.
//! * **Atomics.** One program-wide counter, an
//!   [`AtomicI64::global`](crate::sync::atomic::AtomicI64::global) (the model's top-level
//!   `counter = AtomicInt(0)`): tasks [`Stmt::Atomic`] `fetch_add` into it, the root
//!   `load`s it at the end and adds it to its value. Addition commutes and every adding
//!   task is joined before the load, so a pure program stays deterministic; for that, no
//!   atomic is generated below a [`Stmt::Detach`] (and shrinking never drops the last
//!   wait of a fork whose subtree adds). A forked add is an impure write through
//!   synchronization: a warning by default (so no verdict changes), an error under
//!   strict purity, in both forms.
//! * Generation is seeded with `rand_chacha` only: a `(seed, index)` pair is the program.
//! * Shrinking ([`Program::shrink_candidates`], `shrink.rs`) is greedy deletion, as in
//!   delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing
//!   Input", TSE 2002): each candidate is the program with one statement (a fork takes its
//!   whole subtree, a scope its forks) removed, with dangling waits of the removed
//!   futures dropped too.

mod print;
mod run;
mod shrink;

use crate::sim::FindingKind;
use crate::state_class::StateClass;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use std::fmt;
use std::sync::Arc;

/// A bug planted in a program: a small self-contained gadget inside one task's body.
///
/// ```
/// use forkwait::fuzz::Plant;
/// assert_eq!(Plant::Race.name(), "race");
/// assert_eq!(Plant::from_name("deadlock"), Some(Plant::Deadlock));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plant {
    /// A forked task writes state of the given class that it did not create (its input,
    /// a module attribute, a global). The input gadget is always planted in the root: a
    /// forked task's own state is its children's too (see `docs/purity.md`).
    ImpureWrite(StateClass),
    /// A task reads a location its parent writes, unordered: a data race.
    Race,
    /// A task reads, under a lock, a box its parent writes under the same lock: the
    /// outcome depends on who locks first.
    Nondeterminism,
    /// A task fails and its future is never waited.
    LostError,
    /// A task fails and its future is waited: the error reaches the root.
    Panic,
    /// Two tasks take two locks in opposite orders.
    Deadlock,
}

impl Plant {
    /// Every plant, in a fixed order.
    ///
    /// ```
    /// assert_eq!(forkwait::fuzz::Plant::ALL.len(), 8);
    /// ```
    pub const ALL: [Plant; 8] = [
        Plant::ImpureWrite(StateClass::Input),
        Plant::ImpureWrite(StateClass::ModuleAttribute),
        Plant::ImpureWrite(StateClass::Global),
        Plant::Race,
        Plant::Nondeterminism,
        Plant::LostError,
        Plant::Panic,
        Plant::Deadlock,
    ];

    /// A short name: `impure-input`, `impure-module-attribute`, `impure-global`, `race`,
    /// `nondeterminism`, `lost-error`, `panic`, `deadlock`.
    ///
    /// ```
    /// use forkwait::{fuzz::Plant, sync::StateClass};
    /// assert_eq!(Plant::ImpureWrite(StateClass::Global).name(), "impure-global");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Plant::ImpureWrite(StateClass::Input) => "impure-input",
            Plant::ImpureWrite(StateClass::ModuleAttribute) => "impure-module-attribute",
            Plant::ImpureWrite(StateClass::Global) => "impure-global",
            Plant::Race => "race",
            Plant::Nondeterminism => "nondeterminism",
            Plant::LostError => "lost-error",
            Plant::Panic => "panic",
            Plant::Deadlock => "deadlock",
        }
    }

    /// The plant named `name` (see [`Plant::name`]).
    ///
    /// ```
    /// assert_eq!(forkwait::fuzz::Plant::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Plant> {
        Plant::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The finding kind that must be reported for this plant (an error, not a warning).
    ///
    /// ```
    /// use forkwait::{FindingKind, fuzz::Plant};
    /// assert_eq!(Plant::LostError.expected(), FindingKind::LostError);
    /// ```
    pub fn expected(self) -> FindingKind {
        match self {
            Plant::ImpureWrite(_) => FindingKind::ImpureWrite,
            Plant::Race => FindingKind::Race,
            Plant::Nondeterminism => FindingKind::Nondeterminism,
            Plant::LostError => FindingKind::LostError,
            Plant::Panic => FindingKind::Panic,
            Plant::Deadlock => FindingKind::Deadlock,
        }
    }

    /// The exact verdict words (of the model language's `# expect:` headers) a program
    /// with this plant gets; `None` is the plant-free program's.
    ///
    /// ```
    /// use forkwait::fuzz::Plant;
    /// assert_eq!(Plant::verdicts(None), ["deterministic"]);
    /// assert_eq!(Plant::verdicts(Some(Plant::Race)), ["deterministic", "race"]);
    /// ```
    pub fn verdicts(plant: Option<Plant>) -> &'static [&'static str] {
        match plant {
            None => &["deterministic"],
            Some(Plant::ImpureWrite(_)) => &["deterministic", "impure"],
            Some(Plant::Race) => &["deterministic", "race"],
            Some(Plant::Nondeterminism) => &["nondeterministic"],
            Some(Plant::LostError | Plant::Panic) => &["deterministic", "panic"],
            Some(Plant::Deadlock) => &["deterministic", "deadlock"],
        }
    }
}

impl fmt::Display for Plant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One statement of a task's body. `acc` is the task's running value.
///
/// ```
/// use forkwait::fuzz::{Program, Stmt, Task};
/// use std::sync::Arc;
/// let child = Arc::new(Task { body: vec![Stmt::Add(2), Stmt::Yield] });
/// let root = Task {
///     body: vec![
///         Stmt::Fork { slot: 0, task: child, pass: None },
///         Stmt::Locked(1),
///         Stmt::Wait(0),
///         Stmt::Wait(0), // a shared future: waited twice
///     ],
/// };
/// let p = Program { root: Arc::new(root), plant: None };
/// assert_eq!(forkwait::Runtime::eager().run(|| p.run()), 5);
/// assert!(p.to_model().contains("f0 = fork(t1, None)"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stmt {
    /// `acc += k`.
    Add(i64),
    /// `slot = fork(task, pass)`: fork a child, handing it the future of slot `pass` (a
    /// slot of this task forked earlier) if any.
    Fork {
        /// The slot the future is stored in (unique within the body).
        slot: usize,
        /// The child.
        task: Arc<Task>,
        /// An earlier slot whose future the child receives.
        pass: Option<usize>,
    },
    /// `acc += wait(slot)`.
    Wait(usize),
    /// `fork(task)` with the future dropped at once: the task still runs to completion,
    /// and its value is lost (an `UnwaitedFuture` warning). The gadget is never planted
    /// below one.
    Detach(Arc<Task>),
    /// `acc += wait(arg)`: wait the future this task was handed (nothing if none).
    WaitArg,
    /// `with lock: acc += k` (one program-wide lock).
    Locked(i64),
    /// `yield_now()`.
    Yield,
    /// The planted bug's gadget.
    Plant(Plant),
    /// `forkwait::scope(|s| ...)` over these statements: its forks are scoped (slots
    /// numbered apart from the body's, never handed on), each waited at most once in it,
    /// and the forks it does not wait are joined when the scope ends, their values
    /// dropped (the model form waits them there without adding). Inside: only `Fork`
    /// (with `pass: None`), `Wait`, `Add`, `Locked`, `Yield` and `Atomic`.
    Scope(Vec<Stmt>),
    /// `counter.fetch_add(k)` on the one program-wide atomic counter, which the root
    /// loads at the end (its value is added to the program's). Commutative, so it keeps
    /// a pure program deterministic; a forked task's add is an impure write *through
    /// synchronization* (a warning by default). Never generated below a `Detach`.
    Atomic(i64),
}

/// A task: the body of the root or of a forked function.
///
/// ```
/// let t = forkwait::fuzz::Task::default();
/// let p = forkwait::fuzz::Program { root: std::sync::Arc::new(t), plant: None };
/// assert_eq!(p.run(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Task {
    /// The statements, in order.
    pub body: Vec<Stmt>,
}

/// A random fork/wait program; see the [module docs](self).
///
/// ```
/// use forkwait::fuzz::{GenConfig, Program};
/// let p = Program::generate(7, &GenConfig::default());
/// // The same value in every mode and schedule: it is pure.
/// let eager = forkwait::Runtime::eager().run(|| p.run());
/// assert_eq!(forkwait::Runtime::parallel(2).run(|| p.run()), eager);
/// let report = forkwait::Checker::new().iterations(50).run(|| p.run());
/// assert!(report.is_clean(), "{report}");
/// assert_eq!(report.outcomes()[0].value, eager.to_string());
/// assert!(p.to_model().contains("def main():"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The root task (run by the caller: `main` in the model).
    pub root: Arc<Task>,
    /// The bug planted, if any (its gadget is one [`Stmt::Plant`] in the tree).
    pub plant: Option<Plant>,
}

/// The generator's settings.
///
/// ```
/// let c = forkwait::fuzz::GenConfig::default();
/// assert!(c.max_tasks >= 2 && c.plant.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// The most tasks (forks) in a program.
    pub max_tasks: usize,
    /// The deepest fork nesting.
    pub max_depth: usize,
    /// The most statements of a body (before the final waits).
    pub max_body: usize,
    /// The bug to plant, if any.
    pub plant: Option<Plant>,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            max_tasks: 8,
            max_depth: 3,
            max_body: 5,
            plant: None,
        }
    }
}

struct Gen {
    rng: ChaCha8Rng,
    tasks: usize,
    /// Whether the task being generated is below a `Detach` (no atomics there: the
    /// root's final load would race with them).
    detached: bool,
}

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        (((self.rng.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    fn task(&mut self, cfg: &GenConfig, depth: usize, has_arg: bool) -> Task {
        let mut body = Vec::new();
        let mut slots = Vec::new();
        let mut waited = Vec::new();
        if has_arg && self.below(2) == 0 {
            body.push(Stmt::WaitArg);
        }
        let n = 1 + self.below(cfg.max_body);
        for _ in 0..n {
            let fork_ok = depth < cfg.max_depth && self.tasks < cfg.max_tasks;
            match self.below(10) {
                0 if fork_ok && self.below(3) == 0 => {
                    self.tasks += 1;
                    let was = std::mem::replace(&mut self.detached, true);
                    let child = self.task(cfg, depth + 1, false);
                    self.detached = was;
                    body.push(Stmt::Detach(Arc::new(child)));
                }
                0..=3 if fork_ok => {
                    self.tasks += 1;
                    let pass = if !slots.is_empty() && self.below(3) == 0 {
                        Some(slots[self.below(slots.len())])
                    } else {
                        None
                    };
                    let child = self.task(cfg, depth + 1, pass.is_some());
                    let slot = slots.len();
                    slots.push(slot);
                    body.push(Stmt::Fork {
                        slot,
                        task: Arc::new(child),
                        pass,
                    });
                }
                4 | 5 if !slots.is_empty() => {
                    let s = slots[self.below(slots.len())];
                    waited.push(s);
                    body.push(Stmt::Wait(s));
                }
                6 => body.push(Stmt::Locked(self.below(10) as i64)),
                7 => body.push(Stmt::Yield),
                8 if fork_ok && self.below(3) == 0 => body.push(self.scope(cfg, depth)),
                9 if !self.detached && self.below(3) == 0 => {
                    body.push(Stmt::Atomic(1 + self.below(9) as i64))
                }
                _ => body.push(Stmt::Add(self.below(100) as i64)),
            }
        }
        if has_arg && !body.contains(&Stmt::WaitArg) && self.below(2) == 0 {
            body.push(Stmt::WaitArg);
        }
        for s in slots {
            if !waited.contains(&s) {
                body.push(Stmt::Wait(s));
            }
        }
        Task { body }
    }

    /// A `Stmt::Scope`: one to three scoped forks among a few other statements; some
    /// forks waited inside, the rest left to the scope's join.
    fn scope(&mut self, cfg: &GenConfig, depth: usize) -> Stmt {
        let mut body = Vec::new();
        let mut open = Vec::new();
        let mut slots = 0;
        let n = 1 + self.below(4);
        for i in 0..n {
            let fork_ok = self.tasks < cfg.max_tasks && slots < 3;
            match self.below(6) {
                _ if i == 0 || (fork_ok && self.below(2) == 0) => {
                    self.tasks += 1;
                    let child = self.task(cfg, depth + 1, false);
                    body.push(Stmt::Fork {
                        slot: slots,
                        task: Arc::new(child),
                        pass: None,
                    });
                    open.push(slots);
                    slots += 1;
                }
                0 | 1 if !open.is_empty() => {
                    let s = open.remove(self.below(open.len()));
                    body.push(Stmt::Wait(s));
                }
                2 if !self.detached => body.push(Stmt::Atomic(1 + self.below(9) as i64)),
                3 => body.push(Stmt::Locked(self.below(10) as i64)),
                4 => body.push(Stmt::Yield),
                _ => body.push(Stmt::Add(self.below(100) as i64)),
            }
        }
        // Each still open fork: waited at the end of the scope, or joined implicitly.
        for s in open {
            if self.below(2) == 0 {
                body.push(Stmt::Wait(s));
            }
        }
        Stmt::Scope(body)
    }
}

impl Program {
    /// The program of `seed` under `cfg`: the same value for the same arguments on every
    /// platform.
    ///
    /// ```
    /// use forkwait::fuzz::{GenConfig, Plant, Program};
    /// let cfg = GenConfig { plant: Some(Plant::Race), ..GenConfig::default() };
    /// assert_eq!(Program::generate(3, &cfg), Program::generate(3, &cfg));
    /// assert_eq!(Program::generate(3, &cfg).plant, Some(Plant::Race));
    /// ```
    pub fn generate(seed: u64, cfg: &GenConfig) -> Program {
        let mut g = Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            tasks: 0,
            detached: false,
        };
        let mut root = g.task(cfg, 0, false);
        if let Some(plant) = cfg.plant {
            let n = count_waited(&root);
            // An input belongs to the task that created it and its descendants
            // (`docs/purity.md`): a write is impure only to the caller's input, so that
            // gadget goes into the root (the caller); the others go anywhere.
            let target = match plant {
                Plant::ImpureWrite(StateClass::Input) => 0,
                _ => g.below(n),
            };
            let at = g.below(1 + 2 * cfg.max_body);
            plant_at(&mut root, &mut { target }, at, plant);
        }
        Program {
            root: Arc::new(root),
            plant: cfg.plant,
        }
    }

    /// The number of tasks (the root and every fork of the tree; the plant's gadgets not
    /// counted).
    ///
    /// ```
    /// let p = forkwait::fuzz::Program::generate(1, &Default::default());
    /// assert!(p.tasks() >= 1);
    /// ```
    pub fn tasks(&self) -> usize {
        count_tasks(&self.root)
    }

    /// The number of [`Stmt::Scope`]s and of [`Stmt::Atomic`] adds in the whole tree (what
    /// the generated programs cover, for reports).
    ///
    /// ```
    /// use forkwait::fuzz::{Program, Stmt, Task};
    /// let root = Task { body: vec![Stmt::Scope(vec![Stmt::Atomic(2)]), Stmt::Atomic(1)] };
    /// let p = Program { root: std::sync::Arc::new(root), plant: None };
    /// assert_eq!(p.scopes_and_atomics(), (1, 2));
    /// assert_eq!(p.run(), 3);
    /// ```
    pub fn scopes_and_atomics(&self) -> (usize, usize) {
        fn count(body: &[Stmt]) -> (usize, usize) {
            body.iter().fold((0, 0), |(s, a), st| {
                let (ds, da) = match st {
                    Stmt::Atomic(_) => (0, 1),
                    Stmt::Fork { task, .. } | Stmt::Detach(task) => count(&task.body),
                    Stmt::Scope(inner) => {
                        let (s2, a2) = count(inner);
                        (1 + s2, a2)
                    }
                    _ => (0, 0),
                };
                (s + ds, a + da)
            })
        }
        count(&self.root.body)
    }

    /// The number of statements in the whole tree (a measure of size for shrinking).
    ///
    /// ```
    /// let p = forkwait::fuzz::Program::generate(1, &Default::default());
    /// assert!(p.size() >= 1);
    /// ```
    pub fn size(&self) -> usize {
        fn size(t: &Task) -> usize {
            t.body
                .iter()
                .map(|s| match s {
                    Stmt::Fork { task, .. } | Stmt::Detach(task) => 1 + size(task),
                    Stmt::Scope(inner) => {
                        1 + size(&Task {
                            body: inner.clone(),
                        })
                    }
                    _ => 1,
                })
                .sum()
        }
        size(&self.root)
    }
}

fn count_tasks(t: &Task) -> usize {
    1 + t
        .body
        .iter()
        .map(|s| match s {
            Stmt::Fork { task, .. } | Stmt::Detach(task) => count_tasks(task),
            Stmt::Scope(inner) => {
                count_tasks(&Task {
                    body: inner.clone(),
                }) - 1
            }
            _ => 0,
        })
        .sum::<usize>()
}

/// The tasks whose value reaches the root (none below a [`Stmt::Detach`]): where a
/// gadget may go (numbered in preorder as `plant_at` walks them).
fn count_waited(t: &Task) -> usize {
    1 + t
        .body
        .iter()
        .map(|s| match s {
            Stmt::Fork { task, .. } => count_waited(task),
            _ => 0,
        })
        .sum::<usize>()
}

/// Puts the gadget into task number `target` (preorder) at position `at` (clamped).
fn plant_at(t: &mut Task, target: &mut usize, at: usize, plant: Plant) -> bool {
    if *target == 0 {
        let at = at.min(t.body.len());
        t.body.insert(at, Stmt::Plant(plant));
        return true;
    }
    *target -= 1;
    for s in &mut t.body {
        if let Stmt::Fork { task, .. } = s {
            let child = Arc::make_mut(task);
            if plant_at(child, target, at, plant) {
                return true;
            }
        }
    }
    false
}

/// Whether any statement of `body`, or below it, is a [`Stmt::Atomic`].
fn has_atomic(body: &[Stmt]) -> bool {
    body.iter().any(|s| match s {
        Stmt::Atomic(_) => true,
        Stmt::Fork { task, .. } | Stmt::Detach(task) => has_atomic(&task.body),
        Stmt::Scope(inner) => has_atomic(inner),
        _ => false,
    })
}
