//! The exploration tree of the exhaustive search: the nodes (choices) of the current
//! execution and, with a preemption bound, every node that still has an option to
//! explore, with those options filed by the preemptions their schedules spend.
//!
//! # Unbounded: a stack
//!
//! Without a bound the search is the paper's depth-first recursion, run statelessly:
//! the tree is the current execution's path, a node is dropped when every option below
//! it has run, and the next execution takes the deepest pending option of the path
//! (sleep sets rely on that order: a sibling joins a node's sleep set only once
//! everything below it is explored).
//!
//! # Bounded: levels, interleaved
//!
//! With a bound `k`, the set of schedules the search must run is closed under one rule
//! (every race's alternative that stays within `k` preemptions is explored, see
//! `mod.rs`), and the order in which they run is free. Each pending option is filed in
//! the *level* of the preemptions its schedule has spent when it is taken (`cost`:
//! its node's preemptions before it, plus one if taking it preempts the running task),
//! and each execution starts from one option of one level (its node's ancestors
//! replayed, the option taken, defaults after it). An option is taken once and never
//! again, so no schedule runs twice.
//!
//! **Within a level, first found, first run**: a level is a queue, and the options one
//! execution adds join it the shallowest first. So, within a level, every alternative
//! that the first execution's races asked for runs before any that the executions they
//! led to asked for: a breadth-first order over "reversals away from the first
//! schedule". A
//! depth-first order (a stack) explores everything below the first alternative before
//! the second, and below the first alternative of `reorder_10` lie the 9! orders of its
//! setters.
//!
//! **Which level.** Strict rounds (every schedule of level 0, then of level 1, …) find
//! a bug with the fewest preemptions first, but a program whose tasks' conflicting
//! accesses can be ordered in many ways without preempting anyone has a level 0 larger
//! than any budget (SCTBench's `reorder_10`: the 9 setters' stores in every order, 9!
//! schedules) while its bug needs one preemption. So the levels share the executions
//! geometrically, as iterative deepening with a budget does: execution `n` (1-based)
//! goes to the `z`-th level that has work, `z` the number of trailing zeros of `n`
//! (the last one that has work if there are fewer), so the lowest level with work gets
//! every other execution, the next every fourth, and so on; a level with no work gives
//! its share to the levels above. A bug `p` executions deep in level 1 is reached within
//! about `4p` executions whatever the size of level 0, and a bug of level 0 within about
//! `2p`: the shallow levels still get most of the search, which is what the iterative
//! bound was for (a bound of 2 must not hide a one-preemption bug that a bound of 1
//! finds), without the cliff of a level 0 that never ends.
//! Measured on the SCTBench ports (executions to the first bug, bound 2, cap 10,000,
//! `FW_BENCH_TOOLS=fw,loom cargo bench --bench exhaustive -- sctbench`), in
//! `BENCHMARKS.md`.
//!
//! **Memory.** Nodes live in an arena; with a bound a node is kept while it or a node
//! below it has a pending option, and the arena is compacted to those (with their
//! ancestors) when it has doubled since the last compaction. A queue keeps the nodes of
//! every execution whose alternatives wait in it, a stack only those of the path it
//! is working below: on a large program (SCTBench's `twostage_100`, 101 tasks, each of
//! whose 100 context switches gets up to 100 alternatives) queues alone held 2.7 GB
//! after 10,000 executions (`examples/sct_one.rs`; the depth-first rounds before them
//! 21 MB). So the levels are queues while the tree holds fewer than [`QUEUE_NODES`]
//! nodes (2^17), and stacks after (`twostage_100`: 131 MB after 10,000 executions; W3
//! with a bound of 2 stays below the limit, 24 MB): the order changes, not what a
//! search run to its end guarantees.

use super::events::Access;
use crate::sim::exec::{ObjId, TaskId};

/// An option of a node not to be explored (yet).
pub(super) const NONE: u8 = 0;
/// An option to be explored.
pub(super) const PENDING: u8 = 1;
/// An option explored or being explored.
pub(super) const DONE: u8 = 2;
/// No node (the root's parent).
pub(super) const NO_NODE: u32 = u32::MAX;
/// Bounded: the levels are queues while the tree has fewer nodes than this, stacks
/// after (module docs, "Memory").
const QUEUE_NODES: usize = 1 << 17;

/// A pending option of a bounded search: node `id`'s option `x`, the node being choice
/// number `depth` of its executions.
#[derive(Clone, Copy)]
pub(super) struct Entry {
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
    /// Per option: `NONE`, `PENDING` or `DONE` (the backtrack set is PENDING ∪ DONE).
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

    /// The preemptions of a schedule that takes option `x` here.
    pub fn cost(&self, x: usize) -> u32 {
        self.pre_before + u32::from(!self.woken && self.current.is_some_and(|c| c as usize != x))
    }
}

/// The exploration tree: nodes in an arena, the current execution's path through them,
/// and (bounded) the pending options by level.
#[derive(Default)]
pub(super) struct Tree {
    /// The nodes: the current execution's and, with a bound, every one that has a
    /// pending option, or a descendant that has.
    pub arena: Vec<Node>,
    /// The current execution's nodes (ids in `arena`), one per choice, in order.
    pub path: Vec<u32>,
    /// Bounded: the pending options, by level, each in the order they were found.
    levels: Vec<std::collections::VecDeque<Entry>>,
    /// Bounded: the options the current execution made pending, filed at its end.
    added: Vec<(u32, Entry)>,
    /// Bounded: the arena's size after its last compaction.
    live: usize,
}

impl Tree {
    /// Unbounded: leaves the current path's last node, every option below it explored.
    pub(super) fn leave(&mut self) {
        let Some(id) = self.path.pop() else {
            return;
        };
        if id as usize + 1 == self.arena.len() {
            self.arena.pop();
        }
    }

    /// Bounded: files node `id`'s option `x` (choice number `depth`), now pending, in
    /// the level of its cost.
    pub(super) fn add(&mut self, id: u32, x: usize, depth: usize) {
        let level = self.arena[id as usize].cost(x);
        self.added.push((
            level,
            Entry {
                id,
                x: x as u32,
                depth: depth as u32,
            },
        ));
    }

    /// Bounded: the options the last execution made pending join their levels, the
    /// shallowest first.
    fn file(&mut self) {
        self.added.sort_by_key(|(_, e)| e.depth);
        for (level, e) in self.added.drain(..) {
            let level = level as usize;
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Default::default);
            }
            self.levels[level].push_back(e);
        }
    }

    /// Bounded: makes the path of execution number `n` (1-based, `n ≥ 2`): the oldest
    /// pending option of the level the interleaving gives `n` (module docs); false if no
    /// option is pending anywhere.
    pub(super) fn next_bounded(&mut self, n: u64) -> bool {
        self.path.clear();
        self.file();
        if self.arena.len() > 2 * self.live.max(2048) {
            self.compact();
        }
        let levels = &self.levels;
        let with_work = || (0..levels.len()).filter(|&l| !levels[l].is_empty());
        let z = n.trailing_zeros() as usize;
        let Some(level) = with_work().nth(z).or_else(|| with_work().next_back()) else {
            return false;
        };
        // A queue while the tree is small; a stack once it is large (module docs).
        let e = if self.arena.len() < QUEUE_NODES {
            self.levels[level].pop_front()
        } else {
            self.levels[level].pop_back()
        }
        .expect("a level with work");
        self.start_from(e);
        true
    }

    /// Makes option `e` the current path: its node's ancestors, each choosing the option
    /// that leads to it, and the option taken.
    fn start_from(&mut self, e: Entry) {
        self.arena[e.id as usize].state[e.x as usize] = DONE;
        let mut at = (e.id, e.x);
        loop {
            self.path.push(at.0);
            let n = &mut self.arena[at.0 as usize];
            n.chosen = at.1;
            if n.parent.0 == NO_NODE {
                break;
            }
            at = n.parent;
        }
        self.path.reverse();
    }

    /// Bounded: the pending options, all levels.
    pub(super) fn pending(&self) -> usize {
        self.levels.iter().map(|l| l.len()).sum::<usize>() + self.added.len()
    }

    /// Bounded, between executions: keeps only the nodes that have a pending option and
    /// their ancestors, renumbered.
    fn compact(&mut self) {
        let mut keep = vec![false; self.arena.len()];
        for l in &self.levels {
            for e in l {
                if self.arena[e.id as usize].state[e.x as usize] != PENDING {
                    continue;
                }
                let mut at = e.id;
                while at != NO_NODE && !keep[at as usize] {
                    keep[at as usize] = true;
                    at = self.arena[at as usize].parent.0;
                }
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
        self.live = self.arena.len();
        for l in &mut self.levels {
            l.retain_mut(|e| {
                e.id = map[e.id as usize];
                e.id != NO_NODE
            });
        }
    }
}
