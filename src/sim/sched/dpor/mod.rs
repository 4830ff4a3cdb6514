//! Exhaustive search with dynamic partial-order reduction: source sets and sleep sets,
//! optionally under a preemption bound whose levels share the executions.
//!
//! # The algorithm
//!
//! Source-DPOR — Abdulla, Aronis, Jonsson, Sagonas, *Optimal Dynamic Partial Order
//! Reduction*, POPL 2014, Algorithm 1 (and *Source Sets: A Foundation for Optimal
//! Dynamic Partial Order Reduction*, JACM 2017) — run statelessly, one execution at a
//! time, as the other strategies are: the exploration tree is the list of [`Node`]s of
//! the current execution (one per choice), each with its backtrack set (`state`) and
//! its sleep set. The mapping to the paper's Algorithm 1:
//!
//! * line 2 (`Explore(E, Sleep)`: pick some `p ∈ enabled(s[E]) \ Sleep`): a new node in
//!   `choose_in` takes the default (keep running the current task, else the lowest or
//!   the highest id, see below)
//!   unless it sleeps; its backtrack set starts as `{p}`;
//! * lines 5–9 (for each race `e ⋖ e'` of the execution: `E' = pre(E, e)`,
//!   `v = notdep(e, E).e'`; if `I[E'](v) ∩ backtrack(E') = ∅`, add some initial of `v`):
//!   `on_race`, over the races that `events.rs` finds as segments complete (the paper
//!   checks the races of the next event; a stateless explorer checks those of every
//!   event of the finished prefix, the same set);
//! * lines 10–12 (`Sleep' = {q ∈ Sleep | E ⊨ p ◇ q}`, recurse, add `p` to `Sleep`):
//!   `sleep_for_new` (a new node's sleep set: its parent's sleep set and explored
//!   siblings, less those dependent with what ran since), `advance` (the next pending
//!   task of the deepest node that is not asleep; the explored one joins `explored`).
//!
//! Events are segments of the execution (see `events.rs` for the dependence relation).
//! The initials of `v` are the tasks whose first event in `v` has no predecessor in `v`
//! (by the events' vector clocks). Where no initial could run at `E'` (a race the
//! dependence approximation cannot reverse) every task that could run there is added
//! (Flanagan & Godefroid, POPL 2005): conservative, never unsound.
//!
//! Only real choices: a choice whose alternatives touch nothing the chosen event touches
//! is never revisited, so a pure task (fork → start → end → wait) adds no execution:
//! two pure forks are explored in one.
//!
//! A `notify_one` choosing among several waiters is a data choice, explored fully. A
//! task blocked with a timeout (or a possible spurious wakeup) that could run at a
//! choice is added there when the event chosen conflicts with its object (`wakeables`).
//!
//! # Bounded and iterative
//!
//! Preemption bounding combined with the reduction after Coons, Musuvathi, McKinley,
//! *Bounded Partial-Order Reduction*, OOPSLA 2013 (and loom): a task is added at a node
//! only if the schedule stays within the bound, and, conservatively, also at earlier
//! nodes where the running task changed (it blocked or ended, so that switching there
//! costs no preemption, or it was preempted). Coons et al. and loom add it at the latest
//! such node; here at every one, which the property test showed necessary (two tasks
//! whose blocking and wakeups made one outcome reachable within a bound of 2 only
//! through an earlier switch). A bound that pruned nothing leaves the search complete.
//! Two parts of the unbounded algorithm are not used with a bound, because each
//! assumes that an alternative explored once is explored with everything below it, which
//! a bound breaks (an alternative explored with one preemption spent may reach a reversal
//! only beyond the bound): sleep sets (Coons et al. discuss the same), and source sets'
//! "any one initial is enough" (lines 7–9): with a bound a race adds the racing task if
//! it can run at `E'`, else every task that can, as Flanagan & Godefroid's DPOR (which
//! bounded POR extends) does. The property test found the second: three tasks, a
//! `try_lock` and a nested fork, one outcome missed within a bound of 1.
//!
//! Without sleep sets the bounded search's result does not depend on the order in which
//! its alternatives run, and the order is chosen for finding bugs soon: iterative
//! context bounding (Musuvathi & Qadeer, PLDI 2007) with the levels sharing the
//! executions instead of running one after the other. Every alternative is filed in the
//! level of the preemptions its schedule spends; the lowest level with work gets every
//! other execution, the next every fourth, and so on, and each level runs its
//! alternatives in the order they were found (`tree.rs`, "Bounded: levels,
//! interleaved"). Strict rounds (all of level 0 first) would let a program whose tasks
//! can be ordered in many ways without preemptions hide a one-preemption bug behind
//! thousands of executions (SCTBench's `reorder_10`: 9! orders of its setters; found
//! in 8 executions now, missed within 10,000 by rounds); a depth-first order inside a
//! level explores every reversal below the first alternative before trying the second
//! (`reorder_10` again: missed within 10,000 with the levels shared but each a stack).
//!
//! # The default schedule
//!
//! A new node runs the current task on (no preemption). Where the current task blocked
//! or ended, the unbounded search and the bounded search's first execution take the
//! lowest id (the seeded strategies' default), every later execution of the bounded
//! search the runnable task with the *highest* id (the newest fork). The algorithm is
//! correct with any choice (line 2 picks "some" `p`), but the choice decides which
//! races the first executions show and so how soon a bug is reached. With the lowest
//! id, a checker forked after `n` writers runs after all of them: its reads race only
//! with the last writer's writes, and the schedule that puts the check between the
//! *first* writer's two writes (SCTBench's `reorder_N`, one preemption) is reached only
//! after the writers' own races have been reversed. With the newest first, the checker
//! runs first and its reads race with the first writer directly. The first execution
//! keeps the lowest id: a bug that the most ordinary schedule shows is found at once
//! (`lazy01`: with the newest first everywhere, 1 → 7 executions). Measured with the
//! levels shared (executions to the first bug, bound 2, cap 10,000; `cargo bench
//! --bench exhaustive -- sctbench`), the lowest id everywhere against this default:
//! account 11 → 2, reorder_3 22 → 8, reorder_5 124 → 8, reorder_10 484 → 8,
//! reorder_20 1,804 → 8, token_ring 2 → 48, the others equal; W3 (4 tasks × 3 racy
//! increments) with bound 2: 37,950 → 22,318 executions.
//!
//! The execution's choices stay the simulator's (every point with several runnable
//! tasks): the reduction only decides which alternatives to run, so every execution's
//! token replays under [`Strategy::Replay`](crate::Strategy::Replay) as any other.

mod events;
mod tree;

use self::events::{Access, Events, Loc, Race, independent};
use self::tree::{DONE, NO_NODE, NONE, Node, PENDING, Tree};
use super::{Scheduler, default_choice};
use crate::sim::exec::{Block, ExecState, Phase, TaskId};
use crate::sim::report::Coverage;

/// Exhaustive search with Source-DPOR and sleep sets, optionally preemption bounded.
pub(crate) struct DporSched {
    /// The preemption bound (`None`: unbounded).
    bound: Option<u32>,
    /// The exploration tree: the current execution's path, and (bounded) the pending
    /// options by level (`tree.rs`).
    t: Tree,
    ev: Events,
    /// The node whose interval the last processed event is in, and the interval's first
    /// event.
    interval: Option<(usize, usize)>,
    started: bool,
    /// Executions begun.
    runs: u64,
    exhausted: bool,
    /// The bound pruned some schedule.
    pruned: bool,
}

impl DporSched {
    pub(crate) fn new(max_preemptions: Option<u32>) -> Self {
        DporSched {
            bound: max_preemptions,
            t: Tree::default(),
            ev: Events::default(),
            interval: None,
            started: false,
            runs: 0,
            exhausted: false,
            pruned: false,
        }
    }

    fn sleep_sets(&self) -> bool {
        self.bound.is_none()
    }

    /// Moves to the next execution's path (false when the search is exhausted): the
    /// next pending option of the deepest node that has one (Algorithm 1, line 4's
    /// loop, unwound), or with a bound the one the levels' interleaving gives
    /// (`tree.rs`).
    fn advance(&mut self) -> bool {
        if self.bound.is_some() {
            return self.t.next_bounded(self.runs + 1);
        }
        loop {
            let Some(&id) = self.t.path.last() else {
                return false;
            };
            let node = &mut self.t.arena[id as usize];
            if !node.woken {
                let fp = std::mem::take(&mut node.chosen_fp);
                node.explored.push((node.chosen_task(), fp));
            }
            let next = (0..node.options.len()).find(|&x| {
                node.state[x] == PENDING && !node.sleep.iter().any(|(q, _)| *q == node.options[x])
            });
            if let Some(x) = next {
                node.state[x] = DONE;
                node.chosen = x as u32;
                return true;
            }
            self.t.leave();
        }
    }

    fn node(&self, i: usize) -> &Node {
        &self.t.arena[self.t.path[i] as usize]
    }

    /// Adds task `q` to node `i`'s backtrack set if the bound allows; with a bound, also
    /// at the earlier nodes where the running task changed (Coons et al. add it at the
    /// latest one; every one, here: the simulator's blocking and wakeups make more
    /// schedules reach a reversal only through an earlier switch).
    fn add(&mut self, i: usize, q: TaskId) {
        if !self.add_one(i, q) {
            self.pruned = true;
        }
        if self.bound.is_some() {
            // A context switch: the running task blocked or ended (switching there costs
            // nothing), or was preempted, or another task ran than at the node before.
            let mut prev: Option<usize> = None;
            let mut switches = Vec::new();
            for j in 0..i {
                let n = self.node(j);
                if n.woken {
                    continue;
                }
                if n.current.is_none_or(|c| c != n.chosen)
                    || prev.is_none_or(|p| self.node(p).chosen_task() != n.chosen_task())
                {
                    switches.push(j);
                }
                prev = Some(j);
            }
            // Only a help to the search within the bound: not exploring them out of
            // bound prunes nothing the unbounded search would need.
            for j in switches {
                self.add_one(j, q);
            }
        }
    }

    /// Adds `q` at node `i` if the bound allows; false if the bound prevented it.
    fn add_one(&mut self, i: usize, q: TaskId) -> bool {
        let id = self.t.path[i];
        let node = &mut self.t.arena[id as usize];
        let Ok(x) = node.options.binary_search(&q) else {
            return true;
        };
        if node.state[x] != NONE {
            return true;
        }
        if self.bound.is_some_and(|b| node.cost(x) > b) {
            return false;
        }
        node.state[x] = PENDING;
        if self.bound.is_some() {
            self.t.add(id, x, i);
        }
        true
    }

    /// Algorithm 1, lines 5–9, for one race.
    fn on_race(&mut self, r: Race) {
        let Some(i) = self.ev.events[r.first as usize].node else {
            return; // nothing else could run there: not reversible
        };
        let i = i as usize;
        if i >= self.t.path.len() || self.node(i).woken {
            return;
        }
        // v = notdep(e, E).e'; its initials: the tasks whose first event in v has no
        // predecessor in v. A task's events in v follow its first one there, so an event
        // of v precedes j iff j has seen the first event in v of that event's task.
        let mut first_in_v: Vec<(TaskId, u32)> = Vec::new();
        let mut initials: Vec<TaskId> = Vec::new();
        for j in r.first + 1..=r.second {
            if j != r.second && self.ev.hb(r.first, j) {
                continue;
            }
            let p = self.ev.events[j as usize].task;
            if first_in_v.iter().any(|&(q, _)| q == p) {
                continue;
            }
            if !first_in_v.iter().any(|&(q, seq)| self.ev.saw(j, q, seq)) {
                initials.push(p);
            }
            first_in_v.push((p, self.ev.seq(j)));
        }
        let second = self.ev.events[r.second as usize].task;
        if self.bound.is_some() {
            // Bounded: Flanagan & Godefroid's choice, as bounded POR (Coons et al.) is
            // built on: the racing task if it can run there, else every task that can.
            // Any one initial (a source set) is not enough: the one already chosen may
            // lead to the reversal only through schedules beyond the bound.
            let node = self.node(i);
            let all: Vec<TaskId> = if node.options.binary_search(&second).is_ok() {
                vec![second]
            } else {
                node.options.clone()
            };
            for q in all {
                self.add(i, q);
            }
            return;
        }
        let node = self.node(i);
        let mut cands: Vec<TaskId> = initials
            .iter()
            .copied()
            .filter(|q| node.options.binary_search(q).is_ok())
            .collect();
        if cands.is_empty() {
            cands = node.options.clone();
        }
        let has = |q: &TaskId| {
            node.options
                .binary_search(q)
                .is_ok_and(|x| node.state[x] != NONE)
        };
        if cands.iter().any(has) {
            return;
        }
        let pick = if cands.contains(&second) {
            second
        } else {
            cands[0]
        };
        self.add(i, pick);
    }

    /// Brings the events up to segment `upto` and acts on what they show: the chosen
    /// events' footprints, conflicts with wakeable tasks, races.
    fn catch_up(&mut self, s: &ExecState, upto: usize) {
        let sleep_sets = self.sleep_sets();
        let from = self.ev.events.len();
        self.ev.catch_up(s, upto);
        for k in from..self.ev.events.len() {
            let (task, node) = {
                let e = &self.ev.events[k];
                (e.task, e.node)
            };
            if let Some(i) = node {
                let i = i as usize;
                self.interval = Some((i, k));
                // The chosen event is the same in every execution through this node (the
                // program is deterministic): kept once, for the sleep sets.
                if i < self.t.path.len() {
                    let n = &mut self.t.arena[self.t.path[i] as usize];
                    if sleep_sets && n.chosen_task() == task && n.chosen_fp.is_empty() {
                        n.chosen_fp = self.ev.fp(k).to_vec();
                    }
                }
            }
            if let Some((i, _)) = self.interval {
                let hits: Vec<TaskId> = self.t.path.get(i).map_or(Vec::new(), |&id| {
                    let n = &self.t.arena[id as usize];
                    n.wakeables
                        .iter()
                        .filter(|(q, o)| {
                            *q != task && self.ev.fp(k).iter().any(|a| a.loc == Loc::Obj(*o))
                        })
                        .map(|(q, _)| *q)
                        .collect()
                });
                for q in hits {
                    self.add(i, q);
                }
            }
        }
        for r in std::mem::take(&mut self.ev.races) {
            self.on_race(r);
        }
    }

    /// The sleep set of a new node with `runnable` tasks (Algorithm 1, line 10): the
    /// parent's sleeping and explored tasks that did not run since and whose next event
    /// commutes with everything that ran since.
    fn sleep_for_new(&self, runnable: &[TaskId]) -> Vec<(TaskId, Vec<Access>)> {
        let Some(&parent) = self.t.path.last() else {
            return Vec::new();
        };
        let parent = &self.t.arena[parent as usize];
        let Some((i, start)) = self.interval else {
            return Vec::new();
        };
        if parent.woken || i + 1 != self.t.path.len() {
            return Vec::new();
        }
        let since = start..self.ev.events.len();
        parent
            .sleep
            .iter()
            .chain(parent.explored.iter())
            .filter(|(q, fp)| {
                runnable.binary_search(q).is_ok()
                    && since
                        .clone()
                        .all(|e| self.ev.events[e].task != *q && independent(self.ev.fp(e), fp))
            })
            .cloned()
            .collect()
    }

    fn new_node(&mut self, options: &[TaskId], current: Option<u32>, woken: bool, chosen: u32) {
        let parent = self
            .t
            .path
            .last()
            .map_or((NO_NODE, 0), |&p| (p, self.t.arena[p as usize].chosen));
        let pre_before = self.t.path.last().map_or(0, |&p| {
            let p = &self.t.arena[p as usize];
            p.pre_before + u32::from(p.is_preemption())
        });
        let mut state = vec![if woken { PENDING } else { NONE }; options.len()];
        state[chosen as usize] = DONE;
        let (id, depth) = (self.t.arena.len() as u32, self.t.path.len());
        self.t.path.push(id);
        self.t.arena.push(Node {
            parent,
            options: options.to_vec(),
            current,
            woken,
            chosen,
            pre_before,
            state,
            sleep: Vec::new(),
            explored: Vec::new(),
            chosen_fp: Vec::new(),
            wakeables: Vec::new(),
        });
        if woken && self.bound.is_some() {
            // A data choice: every waiter is explored.
            for x in (0..options.len()).filter(|&x| x != chosen as usize) {
                self.t.add(id, x, depth);
            }
        }
    }

    fn replayed(
        &self,
        nth: usize,
        options: &[TaskId],
        current: Option<u32>,
        woken: bool,
    ) -> Option<Result<usize, String>> {
        let n = &self.t.arena[*self.t.path.get(nth)? as usize];
        Some(
            if n.woken == woken && n.options == options && n.current == current {
                Ok(n.chosen as usize)
            } else {
                Err(
                    "the program made different choices when replayed (it is nondeterministic \
                 outside the harness)"
                        .into(),
                )
            },
        )
    }
}

impl Scheduler for DporSched {
    fn begin(&mut self, _iteration: u64) -> bool {
        if self.exhausted {
            return false;
        }
        let go = if !self.started {
            self.started = true;
            true
        } else {
            self.advance()
        };
        self.ev.reset();
        self.interval = None;
        self.exhausted = !go;
        self.runs += u64::from(go);
        go
    }

    fn choose(
        &mut self,
        runnable: &[TaskId],
        current: Option<u32>,
        _nth: usize,
    ) -> Result<usize, String> {
        // Only reached without the execution's state (unit tests of other strategies).
        Ok(default_choice(current).min(runnable.len().saturating_sub(1)))
    }

    fn choose_in(
        &mut self,
        s: &ExecState,
        runnable: &[TaskId],
        current: Option<u32>,
        nth: usize,
    ) -> Result<usize, String> {
        self.catch_up(s, s.segs.len());
        if let Some(r) = self.replayed(nth, runnable, current, false) {
            return r;
        }
        let sleep = if self.sleep_sets() {
            self.sleep_for_new(runnable)
        } else {
            Vec::new()
        };
        let asleep = |q: TaskId| sleep.iter().any(|(x, _)| *x == q);
        // The default: keep running the current task (no preemption), else the lowest id
        // (unbounded, and the first execution) or the newest runnable task (see "The
        // default schedule" above).
        let hi = self.bound.is_some() && self.runs > 1;
        let def = if hi {
            current.map_or(runnable.len() - 1, |c| c as usize)
        } else {
            default_choice(current)
        };
        let chosen = if !asleep(runnable[def]) {
            def
        } else {
            (0..runnable.len())
                .find(|&i| !asleep(runnable[i]))
                .unwrap_or(def)
        };
        self.new_node(runnable, current, false, chosen as u32);
        let id = *self.t.path.last().expect("just pushed");
        let node = &mut self.t.arena[id as usize];
        node.sleep = sleep;
        node.wakeables = runnable
            .iter()
            .filter_map(|&q| match s.tasks[q as usize].phase {
                Phase::Blocked(Block::On(o, _)) => Some((q, o)),
                _ => None,
            })
            .collect();
        Ok(chosen)
    }

    fn choose_woken(
        &mut self,
        s: &ExecState,
        waiting: &[TaskId],
        nth: usize,
    ) -> Result<usize, String> {
        // The current segment is still running: only the ones before it are complete.
        self.catch_up(s, s.segs.len().saturating_sub(1));
        if let Some(r) = self.replayed(nth, waiting, None, true) {
            return r;
        }
        self.new_node(waiting, None, true, 0);
        Ok(0)
    }

    fn end(&mut self, s: &ExecState) {
        self.catch_up(s, s.segs.len());
    }

    fn done_fraction(&self) -> Option<f64> {
        if self.bound.is_some() {
            // Bounded: each pending option is at least one more execution (rough: the
            // options grow as races show up).
            let pending = self.t.pending() as f64;
            let runs = self.runs as f64;
            return Some((runs / (runs + pending)).clamp(f64::MIN_POSITIVE, 1.0));
        }
        // As the plain search's estimate (Knuth's path estimate, see `dfs.rs`), over the
        // backtrack sets known so far (they grow as races show up, so the estimate is
        // rough).
        let mut done = 0.0;
        let mut weight = 1.0;
        for &id in &self.t.path {
            let n = &self.t.arena[id as usize];
            let known = n
                .state
                .iter()
                .filter(|&&x| x == PENDING || x == DONE)
                .count()
                .max(1);
            let finished = n.state.iter().filter(|&&x| x == DONE).count().max(1) - 1;
            done += weight * finished as f64 / known as f64;
            weight /= known as f64;
        }
        Some((done + weight).clamp(f64::MIN_POSITIVE, 1.0))
    }

    fn coverage(&self, cut: bool) -> Coverage {
        match self.bound {
            _ if cut || !self.exhausted => Coverage::Incomplete,
            Some(b) if self.pruned => Coverage::CompleteWithinBound(b),
            _ => Coverage::Complete,
        }
    }
}

#[cfg(test)]
mod tests;
