//! The exploration tree of the exhaustive search: the nodes (choices) of the current
//! execution, and, with a preemption bound, the nodes that later rounds start from.
//!
//! # Rounds that do not repeat themselves
//!
//! A stateless search keeps only the current execution's path: a node is dropped when
//! every alternative below it has run. With a bound `k`, the rounds run bounds 0, 1, …,
//! k in turn; restarting each round from the root would run again every schedule of
//! the rounds before (round k's search contains round k−1's). Instead, a round keeps
//! the nodes at which its bound pruned an alternative that a race asked for (`WANTED`),
//! with their ancestors, and the next round starts from exactly those alternatives,
//! deepest first, as a depth-first search would reach them. A node whose alternatives
//! were explored keeps them `DONE`: an alternative explored with a lower bound is never
//! run again, and what its subtree pruned was recorded there and is run now. So the
//! set of executions at the end of round k is closed under the rule of the bounded
//! search (every race's alternative within the bound explored), as a fresh round k's
//! would be: only the order, and the defaults of the nodes made in earlier rounds,
//! differ, and the algorithm allows any. The last round records nothing.
//!
//! # The order of a round
//!
//! Deepest first, with one exception: the round's first group (its entries at the
//! deepest choice, often one per execution of the round before that met the same race)
//! each run one execution before anything below any of them is explored (`fresh`);
//! then the alternatives those executions added, deepest first, then the other entries,
//! each of these with everything below it as in any depth-first search. Equally deep
//! entries are equally good guesses, and a plain depth-first order would explore all of
//! the first one's subtree before trying the second: SCTBench's `stack` and `queue` are
//! mirror images (a pusher and a popper), whose bug is below one or the other of the
//! two such entries of round 1 (`stack` 14 → 4 executions, `queue` 3 either way; the
//! other ports one execution more at most). While the round is fresh, what a race adds
//! is recorded in `later` as well as marked pending, since the path is left at once.
//!
//! Memory: a node of the current round is dropped when it is left, unless it or a node
//! below it holds a wanted alternative (or, once a round's first group has run, it was
//! made before: `later` names such nodes); between rounds the tree is compacted to the
//! wanted nodes and their ancestors.

use super::events::Access;
use crate::sim::exec::{ObjId, TaskId};

/// An option of a node not to be explored (yet).
pub(super) const NONE: u8 = 0;
/// An option to be explored.
pub(super) const PENDING: u8 = 1;
/// An option explored or being explored.
pub(super) const DONE: u8 = 2;
/// An option a race asked for that this round's bound pruned: the next round's work.
pub(super) const WANTED: u8 = 3;
/// No node (the root's parent).
pub(super) const NO_NODE: u32 = u32::MAX;

/// An option that a round's bound pruned: node `id`'s option `x`, the node being choice
/// number `depth` of its executions.
#[derive(Clone, Copy)]
pub(super) struct Wanted {
    pub id: u32,
    pub x: u32,
    pub depth: u32,
}

/// One choice of the current execution: a node of the exploration tree.
pub(super) struct Node {
    /// The node before this one and the option that led here (`NO_NODE` at the root).
    pub parent: (u32, u32),
    pub options: Vec<TaskId>,
    pub current: Option<u32>,
    /// A `notify_one` choice (which waiter wakes), not a scheduling one.
    pub woken: bool,
    /// The option taken, while the node is on the current path.
    pub chosen: u32,
    /// Preemptions of the choices before this one.
    pub pre_before: u32,
    /// Per option: `NONE`, `PENDING`, `DONE` or `WANTED` (the backtrack set is PENDING ∪
    /// DONE).
    pub state: Vec<u8>,
    /// Tasks whose next event needs no exploring here, with that event's footprint.
    pub sleep: Vec<(TaskId, Vec<Access>)>,
    /// Options explored before the chosen one, with the footprint of their event.
    pub explored: Vec<(TaskId, Vec<Access>)>,
    /// The footprint of the chosen option's event in this execution.
    pub chosen_fp: Vec<Access>,
    /// Blocked tasks that could wake here unnotified, with the object they wait on.
    pub wakeables: Vec<(TaskId, ObjId)>,
}

impl Node {
    pub fn is_preemption(&self) -> bool {
        !self.woken && self.current.is_some_and(|c| c != self.chosen)
    }

    pub fn chosen_task(&self) -> TaskId {
        self.options[self.chosen as usize]
    }
}

/// The exploration tree: nodes in an arena, the current execution's path through them,
/// and the alternatives pruned for the next round.
#[derive(Default)]
pub(super) struct Tree {
    /// The nodes: the current execution's and, with a bound, those kept for later rounds.
    pub arena: Vec<Node>,
    /// The current execution's nodes (ids in `arena`), one per choice, in order.
    pub path: Vec<u32>,
    /// The alternatives this round's bound pruned, recorded for the next round (not in
    /// the last round).
    pub wanted: Vec<Wanted>,
    /// This round's entries of `wanted` still to start from (the last one first).
    pub todo: Vec<Wanted>,
    /// The nodes kept from earlier rounds (`arena[..kept]`: `todo` names them).
    pub kept: usize,
    /// The round is running one execution from each entry of its first group (the
    /// entries of `todo` at the deepest choice), before exploring below any of them.
    pub fresh: bool,
    /// The alternatives added while `fresh`, for after it.
    pub later: Vec<Wanted>,
    /// The alternatives the first group's executions added, still to explore (the last
    /// first).
    pub below: Vec<Wanted>,
    /// The depth of the round's first group.
    pub group: Option<u32>,
}

impl Tree {
    /// Leaves the current path's last node, every alternative below it explored.
    pub(super) fn leave(&mut self) {
        let Some(id) = self.path.pop() else {
            return;
        };
        // A node of this round made after every other one has no descendant left: unless
        // a later round needs it, drop it (the unbounded search always does: a stack).
        // The nodes kept from earlier rounds stay until the next round.
        let i = id as usize;
        if i + 1 == self.arena.len() && i >= self.kept && !self.arena[i].state.contains(&WANTED) {
            self.arena.pop();
        }
    }

    /// The next execution when no option on the current path is pending: while the round
    /// is fresh, one from each entry of its first group; then the alternatives those
    /// executions added, deepest first; then the other entries of `todo`, deepest first
    /// (each of these two with everything below it, as the path's own options are).
    pub(super) fn next_start(&mut self) -> bool {
        self.path.clear();
        if self.fresh {
            while self
                .todo
                .last()
                .is_some_and(|w| Some(w.depth) == self.group)
            {
                let mut one = vec![self.todo.pop().expect("checked")];
                if Self::start_from(&mut one, &mut self.arena, &mut self.path) {
                    return true;
                }
            }
            self.fresh = false;
            // The nodes named in `below`: never dropped in this round.
            self.kept = self.arena.len();
            self.below = std::mem::take(&mut self.later);
            self.below.sort_by_key(|w| w.depth);
        }
        Self::start_from(&mut self.below, &mut self.arena, &mut self.path)
            || Self::start_from(&mut self.todo, &mut self.arena, &mut self.path)
    }

    /// Records an alternative added while the round is fresh.
    pub(super) fn added(&mut self, id: u32, x: usize, depth: usize) {
        if self.fresh {
            self.later.push(Wanted {
                id,
                x: x as u32,
                depth: depth as u32,
            });
        }
    }

    /// The last entry of `list` that is still to explore, made the current path (its
    /// ancestors, each choosing the option that leads to it); false if none.
    fn start_from(list: &mut Vec<Wanted>, arena: &mut [Node], path: &mut Vec<u32>) -> bool {
        while let Some(Wanted { id, x, .. }) = list.pop() {
            if arena[id as usize].state[x as usize] != PENDING {
                continue; // explored since, from another entry
            }
            arena[id as usize].state[x as usize] = DONE;
            let mut at = (id, x);
            loop {
                path.push(at.0);
                let n = &mut arena[at.0 as usize];
                n.chosen = at.1;
                if n.parent.0 == NO_NODE {
                    break;
                }
                at = n.parent;
            }
            path.reverse();
            return true;
        }
        false
    }

    /// Starts the next round: keeps only the nodes on the way to a wanted
    /// option, renumbered, and makes every wanted option pending.
    pub(super) fn next_round(&mut self) {
        self.path.clear();
        let mut keep = vec![false; self.arena.len()];
        for &Wanted { id, .. } in &self.wanted {
            let mut at = id;
            while at != NO_NODE && !keep[at as usize] {
                keep[at as usize] = true;
                at = self.arena[at as usize].parent.0;
            }
        }
        let mut map = vec![NO_NODE; self.arena.len()];
        let mut kept = Vec::new();
        for (i, (n, k)) in std::mem::take(&mut self.arena)
            .into_iter()
            .zip(keep)
            .enumerate()
        {
            if k {
                map[i] = kept.len() as u32;
                kept.push(n);
            }
        }
        for n in &mut kept {
            if n.parent.0 != NO_NODE {
                n.parent.0 = map[n.parent.0 as usize];
            }
        }
        self.arena = kept;
        self.kept = self.arena.len();
        self.todo = std::mem::take(&mut self.wanted);
        for w in &mut self.todo {
            w.id = map[w.id as usize];
            self.arena[w.id as usize].state[w.x as usize] = PENDING;
        }
        // The deepest first (as a depth-first search backtracks; among equals, the last
        // one met): `pop` takes the last.
        self.todo.sort_by_key(|w| w.depth);
        self.fresh = true;
        self.group = self.todo.last().map(|w| w.depth);
    }
}
