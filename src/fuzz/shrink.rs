//! Shrink candidates of a [`Program`]: greedy deletion, as in delta debugging (Zeller and
//! Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", TSE 2002). Each
//! candidate is the program with one statement removed somewhere in the tree (a fork
//! takes its whole subtree and the waits of its future; a scope its forks), or one of
//! its forked tasks alone. A candidate never loses the planted gadget, and never
//! drops the last wait of a plain fork whose subtree adds to the atomic counter (that
//! task would run on past the root's final load: a nondeterminism the shrinking made).

use super::{Program, Stmt, Task, has_atomic};
use std::sync::Arc;

impl Program {
    /// Every program that is this one with one statement removed (a fork with its
    /// subtree and the waits of its future), or one of its forked tasks alone, smallest
    /// first; for greedy shrinking. The planted gadget is never removed (nor a task holding it).
    ///
    /// ```
    /// let p = forkwait::fuzz::Program::generate(5, &Default::default());
    /// for q in p.shrink_candidates() {
    ///     assert!(q.size() < p.size());
    /// }
    /// ```
    pub fn shrink_candidates(&self) -> Vec<Program> {
        let mut out = Vec::new();
        // Any forked task as the whole program (its handed future, if any, is gone).
        let keep = self.plant.is_some();
        subtasks(&self.root.body, &mut |t| {
            if keep && !has_plant(&t.body) {
                return;
            }
            let mut t = t.clone();
            t.body.retain(|s| *s != Stmt::WaitArg);
            out.push(Program {
                root: Arc::new(t),
                plant: self.plant,
            })
        });
        candidates(&self.root.body, false, &mut |body| {
            out.push(Program {
                root: Arc::new(Task { body }),
                plant: self.plant,
            })
        });
        out.sort_by_key(|p| p.size());
        out
    }
}

/// Whether the gadget is in `body` or below.
fn has_plant(body: &[Stmt]) -> bool {
    body.iter().any(|s| match s {
        Stmt::Plant(_) => true,
        Stmt::Fork { task, .. } | Stmt::Detach(task) => has_plant(&task.body),
        Stmt::Scope(inner) => has_plant(inner),
        _ => false,
    })
}

/// Calls `emit` with every task forked below `body` (scoped forks included).
fn subtasks(body: &[Stmt], emit: &mut dyn FnMut(&Task)) {
    for s in body {
        match s {
            Stmt::Fork { task, .. } | Stmt::Detach(task) => {
                emit(task);
                subtasks(&task.body, emit);
            }
            Stmt::Scope(inner) => subtasks(inner, emit),
            _ => {}
        }
    }
}

/// Whether the wait at `i` may go: not the last wait of a plain fork (`scoped`: the
/// body is a scope's, which joins its forks anyway) whose subtree uses the atomic.
fn wait_removable(body: &[Stmt], i: usize, scoped: bool) -> bool {
    let Stmt::Wait(slot) = body[i] else {
        return true;
    };
    if scoped {
        return true;
    }
    let others = body
        .iter()
        .enumerate()
        .any(|(j, s)| j != i && *s == Stmt::Wait(slot));
    let atomic = body.iter().any(
        |s| matches!(s, Stmt::Fork { slot: k, task, .. } if *k == slot && has_atomic(&task.body)),
    );
    others || !atomic
}

/// Calls `emit` with every copy of `body` missing one statement somewhere in the tree
/// (`scoped`: `body` is a scope's).
fn candidates(body: &[Stmt], scoped: bool, emit: &mut dyn FnMut(Vec<Stmt>)) {
    for (i, s) in body.iter().enumerate() {
        let planted = match s {
            Stmt::Plant(_) => true,
            Stmt::Fork { task, .. } | Stmt::Detach(task) => has_plant(&task.body),
            Stmt::Scope(inner) => has_plant(inner),
            _ => false,
        };
        if planted || !wait_removable(body, i, scoped) {
            continue;
        }
        let mut b = body.to_vec();
        b.remove(i);
        if let Stmt::Fork { slot, .. } = s {
            let gone = *slot;
            b.retain(|x| !matches!(x, Stmt::Wait(w) if *w == gone));
            for x in &mut b {
                if let Stmt::Fork { pass, task, .. } = x {
                    if *pass == Some(gone) {
                        *pass = None;
                        let child = Arc::make_mut(task);
                        child.body.retain(|y| *y != Stmt::WaitArg);
                    }
                }
            }
        }
        emit(b);
    }
    for (i, s) in body.iter().enumerate() {
        match s {
            Stmt::Fork { slot, task, pass } => {
                let (slot, pass) = (*slot, *pass);
                candidates(&task.body, false, &mut |child| {
                    let mut b = body.to_vec();
                    b[i] = Stmt::Fork {
                        slot,
                        task: Arc::new(Task { body: child }),
                        pass,
                    };
                    emit(b);
                });
            }
            Stmt::Detach(task) => candidates(&task.body, false, &mut |child| {
                let mut b = body.to_vec();
                b[i] = Stmt::Detach(Arc::new(Task { body: child }));
                emit(b);
            }),
            Stmt::Scope(inner) => candidates(inner, true, &mut |inner| {
                let mut b = body.to_vec();
                b[i] = Stmt::Scope(inner);
                emit(b);
            }),
            _ => {}
        }
    }
}
