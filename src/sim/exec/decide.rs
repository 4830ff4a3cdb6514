//! The scheduling decision: who runs at a scheduling point (the runnable set, the
//! strategy's choice among it, a deadlock when nobody can run). A plain point — no worker
//! limit, no wakeable blocked task, no tracking, no deadline — is decided by
//! [`ExecState::choose`]'s few instructions on the ready list in place; the rest by
//! `choose_full`.

use super::*;

impl ExecState {
    // Only with a worker limit or wakeable blocked tasks (else `choose` uses `ready`).
    #[inline(never)]
    fn runnable(&self, out: &mut Vec<TaskId>) {
        out.clear();
        let free = self.cfg.workers.is_none_or(|k| self.busy < k);
        match self.cfg.workers {
            None => out.extend_from_slice(&self.ready),
            Some(_) => {
                out.extend(
                    self.ready
                        .iter()
                        .copied()
                        .filter(|&t| free || self.tasks[t as usize].has_worker),
                );
            }
        }
        if self.wakeable.is_empty() {
            return;
        }
        // Blocked tasks whose timeout may expire now, or that may wake spuriously while
        // another task can run, are options too (choosing one wakes it unnotified).
        let others = !out.is_empty();
        let before = out.len();
        for &t in &self.wakeable {
            let rec = &self.tasks[t as usize];
            let Phase::Blocked(Block::On(_, how)) = rec.phase else {
                continue;
            };
            // Bounded per task and execution, so that a correct retry loop (`while !cond
            // { wait }`, `loop { recv_timeout }`) is not driven into a livelock by a
            // strategy that keeps picking the same task: one spurious wakeup and two
            // early timeouts are enough to show a missing re-check. A timeout with nothing
            // else to run always expires (time passes).
            let early = rec.unnotified_wakes;
            let can = match how {
                Wakeable::Timeout => !others || early < MAX_EARLY_TIMEOUTS,
                Wakeable::Spurious => others && early < MAX_SPURIOUS_WAKEUPS,
                Wakeable::Notified => false,
            };
            if can && (free || rec.has_worker) {
                out.push(t);
            }
        }
        if out.len() != before {
            out.sort_unstable();
        }
    }

    /// Picks the task to run next, recording a choice when there is one. `None` when no
    /// task can run (finished, or a deadlock: then `abort` is set).
    ///
    /// The common case — no worker limit, no wakeable blocked task, no tracking, no
    /// deadline, under the step limit, some task ready — is decided here, on `ready` in
    /// place (a ready task is never blocked, and the running task, if ready, is running);
    /// everything else in [`choose_full`](Self::choose_full), which decides the same.
    #[inline(always)]
    pub(super) fn choose(&mut self) -> Option<TaskId> {
        let n = self.ready.len();
        let plain = n > 0
            && self.plain_cfg
            && self.wakeable.is_empty()
            && self.steps.len() <= self.step_cap;
        if !plain {
            return self.choose_full();
        }
        if n == 1 {
            return Some(self.ready[0]);
        }
        let found = if n <= 8 {
            self.ready.iter().position(|&t| t == self.current)
        } else {
            self.ready.binary_search(&self.current).ok()
        };
        let current = found.map(|i| i as u32);
        if !self.rng.is_null() {
            // A uniform strategy (Random): the draw its `choose_in` would make.
            // SAFETY: `rng` is a field of the scheduler, which outlives the execution and
            // is not in use while a task decides (see `begin` in `run.rs`).
            let i = crate::sim::sched::below(unsafe { &mut *self.rng }, n);
            self.choices.push(Choice {
                index: i as u32,
                options: n as u32,
                current,
            });
            return Some(self.ready[i]);
        }
        // SAFETY: as in `choose_full`.
        let sched = unsafe { &mut *self.sched };
        match sched.choose_in(self, &self.ready, current, self.choices.len()) {
            Ok(i) => {
                self.choices.push(Choice {
                    index: i as u32,
                    options: n as u32,
                    current,
                });
                Some(self.ready[i])
            }
            Err(msg) => {
                self.abort.get_or_insert(Abort::Stale(msg));
                None
            }
        }
    }

    /// [`choose`](Self::choose) in general.
    #[inline(never)]
    fn choose_full(&mut self) -> Option<TaskId> {
        if self.cfg.max_steps > 0 && self.steps.len() as u64 > self.cfg.max_steps {
            self.abort.get_or_insert(Abort::StepLimit);
            return None;
        }
        if let Some(d) = self.cfg.deadline {
            if self.steps.len() % DEADLINE_EVERY == 0 && std::time::Instant::now() >= d {
                self.abort.get_or_insert(Abort::TimeLimit);
                return None;
            }
        }
        // Without a worker limit or wakeable blocked tasks the runnable set is exactly
        // `ready`: it is used in place (a field borrow, disjoint from the ones below),
        // not copied at every scheduling point.
        let direct = self.cfg.workers.is_none() && self.wakeable.is_empty();
        let mut scratch = Vec::new();
        if !direct {
            scratch = std::mem::take(&mut self.scratch);
            self.runnable(&mut scratch);
        }
        let runnable: &[TaskId] = if direct { &self.ready } else { &scratch };
        let n_options = runnable.len();
        let picked = match runnable.len() {
            0 => {
                if self.tasks.iter().any(|t| t.phase != Phase::Done) {
                    let abort = self.deadlock();
                    self.abort.get_or_insert(abort);
                }
                None
            }
            1 => Some(runnable[0]),
            n => {
                // A task that just blocked is not preempted by switching away from it
                // (it may still be an option, if wakeable: a timeout that expires at once).
                let running = self.wakeable.is_empty()
                    || !matches!(
                        self.tasks.get(self.current as usize).map(|t| t.phase),
                        Some(Phase::Blocked(_))
                    );
                // Ids are distinct: a scan finds what the binary search would, cheaper on
                // the few runnable tasks of most points.
                let found = if n <= 8 {
                    runnable.iter().position(|&t| t == self.current)
                } else {
                    runnable.binary_search(&self.current).ok()
                };
                let current = found.filter(|_| running).map(|i| i as u32);
                // SAFETY: the scheduler outlives the execution (see `run`) and is used
                // only from this thread, never re-entrantly.
                let sched = unsafe { &mut *self.sched };
                match sched.choose_in(self, runnable, current, self.choices.len()) {
                    Ok(i) => {
                        self.choices.push(Choice {
                            index: i as u32,
                            options: n as u32,
                            current,
                        });
                        Some(runnable[i])
                    }
                    Err(msg) => {
                        self.abort.get_or_insert(Abort::Stale(msg));
                        None
                    }
                }
            }
        };
        if !direct {
            self.scratch = scratch;
        }
        if let (Some(t), true) = (picked, self.cfg.track) {
            let choice = (n_options > 1).then(|| self.choices.len() as u32 - 1);
            let pending = self.tasks[t as usize].pending.take();
            self.segs.push(Seg {
                first_step: self.steps.len() as u32,
                task: t,
                choice,
                pending,
                ends_at_point: false,
                blocked: false,
            });
        }
        if let Some(t) = picked {
            if let Phase::Blocked(Block::On(o, _)) = self.tasks[t as usize].phase {
                self.touch(o, false);
                self.wake_unnotified(t, o);
            }
        }
        picked
    }

    /// A timeout expired, or a spurious wakeup: the chosen blocked task `t` leaves the
    /// waiters of object `o`.
    #[cold]
    #[inline(never)]
    fn wake_unnotified(&mut self, t: TaskId, o: ObjId) {
        self.objects[o as usize].waiters.retain(|&w| w != t);
        self.tasks[t as usize].woke_unnotified = true;
        self.tasks[t as usize].unnotified_wakes += 1;
        self.set_ready(t);
    }

    #[cold]
    #[inline(never)]
    fn deadlock(&self) -> Abort {
        // Follow wait-for edges from each blocked task; a revisit closes a cycle.
        let next_of = |t: TaskId| -> Option<TaskId> {
            match self.tasks[t as usize].phase {
                Phase::Blocked(Block::Wait(u)) => Some(u),
                Phase::Blocked(Block::Lock(m)) => {
                    let o = &self.objects[m as usize];
                    o.owner
                        .or_else(|| o.readers.iter().copied().find(|&r| r != t))
                }
                _ => None,
            }
        };
        for start in 0..self.tasks.len() as TaskId {
            if !matches!(self.tasks[start as usize].phase, Phase::Blocked(_)) {
                continue;
            }
            let mut path = vec![start];
            let mut t = start;
            while let Some(u) = next_of(t) {
                if let Some(pos) = path.iter().position(|&p| p == u) {
                    return Abort::Deadlock {
                        cycle: path[pos..].to_vec(),
                        starved: Vec::new(),
                    };
                }
                path.push(u);
                t = u;
            }
        }
        let starved = self
            .ready
            .iter()
            .copied()
            .filter(|&t| !self.tasks[t as usize].has_worker)
            .collect();
        Abort::Deadlock {
            cycle: Vec::new(),
            starved,
        }
    }
}
