//! The Rust form of a [`Program`]: an interpreter of the value over `fork`, shared futures
//! and `sync`, in whatever mode the caller is in. Each gadget mirrors the model text that
//! `print.rs` writes for it.

use super::{Plant, Program, Stmt, Task, has_atomic};
use crate::state_class::StateClass;
use crate::sync::atomic::{AtomicI64, Ordering};
use crate::sync::{Mutex, Shared};
use crate::{ScopedFuture, SharedFuture, fork, yield_now};
use std::sync::Arc;

/// A module with a counted call, as the model's `PCounter` class.
struct Counter {
    calls: Shared<i64>,
}

/// What every task of a program shares: the lock and the atomic counter (a global, as
/// the model's top-level `counter`).
struct Ctx {
    lock: Mutex<()>,
    counter: AtomicI64,
}

impl Program {
    /// Runs the program through the Rust API (in the current mode) and returns the root's
    /// value (plus the atomic counter's, loaded at the end, if the program uses it). A
    /// planted panic propagates; a planted deadlock blocks (the simulator reports
    /// it; the real runtimes would hang, so run such programs under the simulator only).
    ///
    /// ```
    /// use forkwait::fuzz::{GenConfig, Plant, Program};
    /// let cfg = GenConfig { plant: Some(Plant::Race), ..GenConfig::default() };
    /// let p = Program::generate(2, &cfg);
    /// let r = forkwait::Checker::new().iterations(100).run(|| p.run());
    /// assert!(r.has(forkwait::FindingKind::Race));
    /// ```
    pub fn run(&self) -> i64 {
        let ctx = Arc::new(Ctx {
            lock: Mutex::new(()),
            counter: AtomicI64::global(0),
        });
        let acc = run_task(&self.root, &ctx, None);
        if has_atomic(&self.root.body) {
            acc + ctx.counter.load(Ordering::SeqCst)
        } else {
            acc
        }
    }
}

fn run_task(t: &Task, ctx: &Arc<Ctx>, arg: Option<SharedFuture<i64>>) -> i64 {
    let mut acc: i64 = 0;
    let mut slots: Vec<Option<SharedFuture<i64>>> = Vec::new();
    for s in &t.body {
        match s {
            Stmt::Fork { slot, task, pass } => {
                let handed = pass.and_then(|p| slots.get(p).cloned().flatten());
                let (task, ctx2) = (task.clone(), ctx.clone());
                let fut = fork(move || run_task(&task, &ctx2, handed)).shared();
                if slots.len() <= *slot {
                    slots.resize(*slot + 1, None);
                }
                slots[*slot] = Some(fut);
            }
            Stmt::Detach(task) => {
                let (task, ctx2) = (task.clone(), ctx.clone());
                drop(fork(move || run_task(&task, &ctx2, None)));
            }
            Stmt::Wait(slot) => {
                if let Some(Some(f)) = slots.get(*slot) {
                    acc += f.wait();
                }
            }
            Stmt::WaitArg => {
                if let Some(f) = &arg {
                    acc += f.wait();
                }
            }
            Stmt::Plant(p) => acc += gadget(*p),
            Stmt::Scope(inner) => acc += run_scope(inner, ctx),
            other => acc += simple(other, ctx),
        }
    }
    acc
}

/// A statement that neither forks nor waits: what it adds to `acc`.
fn simple(s: &Stmt, ctx: &Ctx) -> i64 {
    match s {
        Stmt::Add(k) => *k,
        Stmt::Locked(k) => {
            let _g = ctx.lock.lock().unwrap_or_else(|e| e.into_inner());
            *k
        }
        Stmt::Yield => {
            yield_now();
            0
        }
        Stmt::Atomic(k) => {
            ctx.counter.fetch_add(*k, Ordering::SeqCst);
            0
        }
        _ => 0,
    }
}

/// A [`Stmt::Scope`]: its forks borrow the statements and the context (no `Arc` clones:
/// the scope outlives them); each is waited at most once; the rest are dropped unwaited
/// and joined by the scope.
fn run_scope(body: &[Stmt], ctx: &Arc<Ctx>) -> i64 {
    crate::scope(|s| {
        let mut acc = 0;
        let mut slots: Vec<Option<ScopedFuture<'_, i64>>> = Vec::new();
        for st in body {
            match st {
                Stmt::Fork { slot, task, .. } => {
                    let fut = s.fork(move || run_task(task, ctx, None));
                    if slots.len() <= *slot {
                        slots.resize_with(*slot + 1, || None);
                    }
                    slots[*slot] = Some(fut);
                }
                Stmt::Wait(slot) => {
                    if let Some(f) = slots.get_mut(*slot).and_then(Option::take) {
                        acc += f.wait();
                    }
                }
                other => acc += simple(other, ctx),
            }
        }
        acc
    })
}

/// Runs the planted bug's gadget; its value is added to the task's.
fn gadget(p: Plant) -> i64 {
    match p {
        Plant::ImpureWrite(StateClass::ModuleAttribute) => {
            let c = Arc::new(Counter {
                calls: Shared::attribute(0),
            });
            let c2 = c.clone();
            let f = fork(move || {
                c2.calls.update(|v| *v += 1);
                1
            });
            f.wait() + c.calls.read()
        }
        Plant::ImpureWrite(class) => {
            let cell = Arc::new(Shared::with_class(0i64, class));
            let c2 = cell.clone();
            let f = fork(move || {
                c2.write(7);
                1
            });
            f.wait() + cell.read()
        }
        Plant::Race => {
            let cell = Arc::new(Shared::new(0i64));
            let c2 = cell.clone();
            let f = fork(move || c2.read());
            cell.write(1);
            f.wait();
            0
        }
        Plant::Nondeterminism => {
            let cell = Arc::new(Mutex::new(0i64));
            let c2 = cell.clone();
            let f = fork(move || *c2.lock().unwrap_or_else(|e| e.into_inner()));
            *cell.lock().unwrap_or_else(|e| e.into_inner()) = 1;
            f.wait()
        }
        Plant::LostError => {
            drop(fork(|| -> i64 { panic!("planted") }));
            0
        }
        Plant::Panic => fork(|| -> i64 { panic!("planted") }).wait(),
        Plant::Deadlock => {
            let a = Arc::new(Mutex::new(()));
            let b = Arc::new(Mutex::new(()));
            let (a2, b2) = (a.clone(), b.clone());
            let f = fork(move || {
                let _ga = a2.lock().unwrap_or_else(|e| e.into_inner());
                yield_now();
                let _gb = b2.lock().unwrap_or_else(|e| e.into_inner());
                1
            });
            {
                let _gb = b.lock().unwrap_or_else(|e| e.into_inner());
                yield_now();
                let _ga = a.lock().unwrap_or_else(|e| e.into_inner());
            }
            f.wait()
        }
    }
}
