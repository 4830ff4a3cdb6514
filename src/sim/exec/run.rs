//! Driving one execution: the coroutine loop, and the teardown of an aborted one.

use super::*;
use crate::sim::coro;
use crate::sim::overflow;
use std::mem::ManuallyDrop;

/// The result of one execution (the checker reads the rest off the state). Dropping it
/// hands the execution's state, with its buffers, back for the next execution on this
/// thread.
pub(crate) struct Finished {
    pub state: ManuallyDrop<Box<ExecState>>,
}

thread_local! {
    /// The state of this thread's last execution, emptied, for the next one to reuse: an
    /// execution then allocates none of its tables, and moves no state around.
    static SPARE: Cell<Option<Box<ExecState>>> = const { Cell::new(None) };
}

impl Drop for Finished {
    fn drop(&mut self) {
        // SAFETY: `state` is not used after this (we are dropping `self`).
        let mut s = unsafe { ManuallyDrop::take(&mut self.state) };
        s.clear();
        let _ = SPARE.try_with(|sp| sp.set(Some(s)));
    }
}

impl ExecState {
    /// A state with no buffers yet.
    fn empty(cfg: &Config, sched: *mut dyn Scheduler) -> Box<ExecState> {
        Box::new(ExecState {
            tasks: Vec::new(),
            ready: Vec::new(),
            current: 0,
            next: None,
            steps: Vec::new(),
            choices: Vec::new(),
            accessed: false,
            accesses: Default::default(),
            objects: Vec::new(),
            abort: None,
            epoch: 0,
            busy: 0,
            cfg: cfg.clone(),
            plain_cfg: false,
            step_cap: usize::MAX,
            sched,
            rng: std::ptr::null_mut(),
            tearing_down: false,
            scratch: Vec::new(),
            wakeable: Vec::new(),
            watch: crate::sim::watchdog::begin(None),
            segs: Vec::new(),
            touches: Vec::new(),
            wakes: Vec::new(),
            coros: Vec::new(),
            spare_lists: Vec::new(),
            main: None,
        })
    }

    /// Empties the tables after an execution, keeping their buffers (and the tasks'
    /// `waiters` lists) for the next one.
    fn clear(&mut self) {
        for t in &mut self.tasks {
            if t.waiters.capacity() != 0 {
                let mut list = std::mem::take(&mut t.waiters);
                list.clear();
                self.spare_lists.push(list);
            }
        }
        self.tasks.clear();
        self.ready.clear();
        self.steps.clear();
        self.accesses.clear();
        self.choices.clear();
        self.objects.clear();
        self.scratch.clear();
        self.wakeable.clear();
        self.segs.clear();
        self.touches.clear();
        self.wakes.clear();
        self.abort = None;
        self.main = None;
    }

    /// Prepares an emptied state for execution number `epoch`.
    fn begin(&mut self, epoch: u32, cfg: &Config, sched: *mut dyn Scheduler) {
        self.current = 0;
        self.next = Some(0);
        self.accessed = false;
        self.abort = None;
        self.epoch = epoch;
        self.busy = 0;
        self.cfg = cfg.clone();
        self.plain_cfg = cfg.workers.is_none() && !cfg.track && cfg.deadline.is_none();
        self.step_cap = match cfg.max_steps {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        self.sched = sched;
        // SAFETY: the scheduler outlives the execution and is used only from this thread;
        // the generator it hands out is one of its fields, valid as long as it is.
        self.rng = unsafe { (*sched).uniform_rng() }.unwrap_or(std::ptr::null_mut());
        self.tearing_down = false;
        self.watch = crate::sim::watchdog::begin(cfg.watchdog);
    }
}

/// Runs one execution of `main` under `sched`.
pub(crate) fn run(
    main: &mut dyn FnMut(),
    sched: &mut dyn Scheduler,
    cfg: &Config,
    main_site: Site,
) -> Finished {
    let epoch = EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let main_ptr: *mut (dyn FnMut() + '_) = main;
    // SAFETY (lifetime erasure): `main` outlives this call, and every coroutine is
    // finished or dropped before we return.
    let main_ptr: *mut dyn FnMut() = unsafe { std::mem::transmute(main_ptr) };
    let sched_ptr: *mut (dyn Scheduler + '_) = sched;
    // SAFETY: as above; the scheduler outlives the execution.
    let sched_ptr: *mut dyn Scheduler = unsafe { std::mem::transmute(sched_ptr) };
    let mut state = SPARE
        .with(|sp| sp.take())
        .unwrap_or_else(|| ExecState::empty(cfg, sched_ptr));
    state.begin(epoch, cfg, sched_ptr);
    state.main = Some(main_ptr);
    let mut coros = std::mem::take(&mut state.coros);
    let exec = Exec {
        state: RefCell::new(state),
    };
    {
        let mut s = exec.state.borrow_mut();
        s.new_task(None, main_site, None);
        if cfg.track {
            s.segs.push(Seg {
                first_step: 0,
                task: 0,
                choice: None,
                pending: None,
                ends_at_point: false,
                blocked: false,
            });
        }
    }
    let prev = CURRENT.with(|c| c.replace(&exec as *const Exec));
    let _ctx = crate::mode::enter(crate::mode::Context::Sim);
    drive(&exec, &mut coros);
    crate::sim::watchdog::finish(&exec.state.borrow().watch);
    teardown(&exec, &mut coros);
    CURRENT.with(|c| c.set(prev));
    let mut state = exec.state.into_inner();
    // Every entry is `None` again (finished, or unwound by the teardown): the list keeps
    // its length for the next execution.
    state.coros = coros;
    Finished {
        state: ManuallyDrop::new(state),
    }
}

/// Resumes the chosen task until no task is chosen. `coros` holds the tasks' coroutines
/// by task id (this loop alone creates, resumes and finishes them).
fn drive(exec: &Exec, coros: &mut Vec<Option<Coro>>) {
    loop {
        let (t, stack_size, limit) = {
            let mut guard = exec.state.borrow_mut();
            let s: &mut ExecState = &mut guard;
            let Some(t) = s.next.take() else { break };
            s.current = t;
            let stack_size = s.cfg.stack_size;
            let ti = t as usize;
            if coros.len() <= ti {
                coros.resize_with(ti + 1, || None);
            }
            let rec = &mut s.tasks[ti];
            let take_worker = !rec.has_worker;
            rec.has_worker = true;
            let mut failed = None;
            if coros[ti].is_none() {
                let body = if ti == 0 {
                    s.main.take().map(Body::Main)
                } else {
                    rec.body.take().map(Body::Task)
                };
                let body = body.expect("forkwait: task started twice");
                rec.phase = Phase::Ready;
                match coro::take_stack(stack_size) {
                    // SAFETY: the body's borrows outlive the execution (`run`).
                    Ok(stack) => {
                        let (co, limit) = unsafe { coro::spawn(stack, task_entry(t, body)) };
                        rec.stack_limit = limit;
                        coros[ti] = Some(co);
                    }
                    Err(e) => failed = Some(format!("could not map a task stack: {e}")),
                }
            }
            if take_worker {
                s.busy += 1;
            }
            if let Some(msg) = failed {
                s.abort.get_or_insert(Abort::Harness(msg));
                break;
            }
            (t, stack_size, s.tasks[ti].stack_limit)
        };
        let Some(co) = coros[t as usize].as_mut() else {
            break;
        };
        overflow::enter(co, limit);
        let finished = coro::resume(co);
        let overflowed = overflow::leave();
        let mut s = exec.state.borrow_mut();
        if overflowed {
            if let Some(co) = coros[t as usize].take() {
                coro::recycle(co, stack_size);
            }
            s.tasks[t as usize].phase = Phase::Done;
            s.abort.get_or_insert(Abort::StackOverflow(t));
            s.next = None;
            continue;
        }
        if finished {
            if let Some(co) = coros[t as usize].take() {
                coro::recycle(co, stack_size);
            }
            s.on_task_end(t);
        }
        if s.abort.is_some() {
            s.next = None;
        }
    }
}

/// What a task runs: the closure under test (borrowed for the execution), or a forked
/// task's body.
enum Body {
    Main(*mut dyn FnMut()),
    Task(std::sync::Arc<dyn TaskBody>),
}

fn task_entry(t: TaskId, body: Body) -> impl FnOnce(&TaskYielder) {
    move |y: &TaskYielder| {
        let y = y as *const TaskYielder;
        if t == 0 {
            with(|s| s.tasks[0].yielder = y);
        } else if let Some(y) = start_point(t, y) {
            // In this frame, not `start_point`'s (see `coro.rs`).
            suspend(y);
        }
        match body {
            // SAFETY: `run` keeps the closure under test alive and unaliased for the
            // whole execution; only task 0 calls it, once.
            Body::Main(main) => unsafe { (*main)() },
            Body::Task(body) => body.run(),
        }
    }
}

fn teardown(exec: &Exec, coros: &mut [Option<Coro>]) {
    let (bodies, stack_size) = {
        let mut s = exec.state.borrow_mut();
        s.tearing_down = true;
        let size = s.cfg.stack_size;
        let bodies: Vec<std::sync::Arc<dyn TaskBody>> =
            s.tasks.iter_mut().filter_map(|t| t.body.take()).collect();
        (bodies, size)
    };
    // Dropping a suspended coroutine unwinds its stack, running user destructors; they
    // may call back into the simulator, which is a no-op while tearing down.
    for co in coros.iter_mut() {
        if let Some(mut co) = co.take() {
            co.force_unwind();
            coro::recycle(co, stack_size);
        }
    }
    // The bodies of tasks that never started (their futures may still hold them).
    for body in bodies {
        body.discard();
    }
}

/// A short text for a step's operation.
pub(crate) fn op_text(op: &Op) -> String {
    let mut out = String::new();
    push_op_text(&mut out, op);
    out
}

/// Appends [`op_text`]'s text to `out` (no formatting machinery: an interleaving renders
/// one per step).
pub(crate) fn push_op_text(out: &mut String, op: &Op) {
    let (text, n) = match *op {
        Op::Start => ("start", None),
        Op::Fork(t) => ("fork -> task ", Some(t)),
        Op::Wait(t) => ("wait task ", Some(t)),
        Op::End => ("end", None),
        Op::Access(o, k) => {
            out.push_str(access_text(k));
            (" #", Some(o))
        }
        Op::Yield => ("yield_now", None),
        Op::Joined(t) => ("  (joined task ", Some(t)),
        Op::Acquired(o) => ("  (acquired #", Some(o)),
    };
    out.push_str(text);
    if let Some(n) = n {
        push_decimal(out, n as u64);
    }
    if matches!(op, Op::Joined(_) | Op::Acquired(_)) {
        out.push(')');
    }
}

/// Appends `n` in decimal (as `{n}` would).
pub(crate) fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

fn access_text(k: AccessKind) -> &'static str {
    match k {
        AccessKind::Read => "read",
        AccessKind::Write => "write",
        AccessKind::Update => "update",
        AccessKind::AtomicLoad => "atomic load",
        AccessKind::AtomicStore => "atomic store",
        AccessKind::AtomicRmw => "atomic rmw",
        AccessKind::Lock => "lock",
        AccessKind::Unlock => "unlock",
        AccessKind::LockShared => "read-lock",
        AccessKind::UnlockShared => "read-unlock",
        AccessKind::Send => "send",
        AccessKind::Recv => "recv",
        AccessKind::Notify => "notify",
        AccessKind::Wait => "wait on",
    }
}
