//! Driving one execution: the coroutine loop, and the teardown of an aborted one.

use super::*;
use crate::sim::coro;
use crate::sim::overflow;

/// The result of one execution (the checker reads the rest off the state). Dropping it
/// hands the execution's buffers back for the next execution on this thread.
pub(crate) struct Finished {
    pub state: ExecState,
}

/// Buffers kept between executions so that a run does not re-grow them every time.
#[derive(Default)]
struct Spare {
    tasks: Vec<TaskRec>,
    ready: Vec<TaskId>,
    steps: Vec<Step>,
    choices: Vec<Choice>,
    objects: Vec<ObjInfo>,
    scratch: Vec<TaskId>,
    wakeable: Vec<TaskId>,
    segs: Vec<Seg>,
    touches: Vec<(u32, ObjId, bool)>,
    wakes: Vec<(u32, TaskId)>,
}

thread_local! {
    static SPARE: RefCell<Spare> = RefCell::new(Spare::default());
}

impl Drop for Finished {
    fn drop(&mut self) {
        let s = &mut self.state;
        let mut spare = Spare {
            tasks: std::mem::take(&mut s.tasks),
            ready: std::mem::take(&mut s.ready),
            steps: std::mem::take(&mut s.steps),
            choices: std::mem::take(&mut s.choices),
            objects: std::mem::take(&mut s.objects),
            scratch: std::mem::take(&mut s.scratch),
            wakeable: std::mem::take(&mut s.wakeable),
            segs: std::mem::take(&mut s.segs),
            touches: std::mem::take(&mut s.touches),
            wakes: std::mem::take(&mut s.wakes),
        };
        spare.tasks.clear();
        spare.ready.clear();
        spare.steps.clear();
        spare.choices.clear();
        spare.objects.clear();
        spare.scratch.clear();
        spare.wakeable.clear();
        spare.segs.clear();
        spare.touches.clear();
        spare.wakes.clear();
        let _ = SPARE.try_with(|sp| *sp.borrow_mut() = spare);
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
    // SAFETY (lifetime erasure): the main body borrows `main`, which outlives this call;
    // every coroutine is finished or dropped before we return.
    let main_body: Box<dyn FnOnce() + '_> = Box::new(main);
    let main_body: Box<dyn FnOnce()> = unsafe { std::mem::transmute(main_body) };
    let sched_ptr: *mut (dyn Scheduler + '_) = sched;
    // SAFETY: as above; the scheduler outlives the execution.
    let sched_ptr: *mut dyn Scheduler = unsafe { std::mem::transmute(sched_ptr) };
    let spare = SPARE.with(|sp| std::mem::take(&mut *sp.borrow_mut()));
    let exec = Exec {
        state: RefCell::new(ExecState {
            tasks: spare.tasks,
            ready: spare.ready,
            current: 0,
            next: Some(0),
            steps: spare.steps,
            choices: spare.choices,
            accessed: false,
            objects: spare.objects,
            abort: None,
            path_hash: 0xcbf2_9ce4_8422_2325,
            epoch,
            busy: 0,
            cfg: cfg.clone(),
            sched: sched_ptr,
            tearing_down: false,
            scratch: spare.scratch,
            wakeable: spare.wakeable,
            watch: crate::sim::watchdog::begin(cfg.watchdog),
            segs: spare.segs,
            touches: spare.touches,
            wakes: spare.wakes,
        }),
    };
    {
        let mut s = exec.state.borrow_mut();
        s.new_task(None, main_site, main_body);
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
    drive(&exec);
    crate::sim::watchdog::finish(&exec.state.borrow().watch);
    teardown(&exec);
    CURRENT.with(|c| c.set(prev));
    Finished {
        state: exec.state.into_inner(),
    }
}

fn drive(exec: &Exec) {
    loop {
        let prepared = {
            let mut s = exec.state.borrow_mut();
            let Some(t) = s.next.take() else { break };
            s.current = t;
            let stack_size = s.cfg.stack_size;
            let rec = &mut s.tasks[t as usize];
            let take_worker = !rec.has_worker;
            rec.has_worker = true;
            let co = match rec.coro.take() {
                Some(co) => Ok(co),
                None => {
                    let body = rec.body.take().expect("forkwait: task started twice");
                    rec.phase = Phase::Ready;
                    match coro::take_stack(stack_size) {
                        // SAFETY: the body's borrows outlive the execution (`run`).
                        Ok(stack) => {
                            let (co, limit) = unsafe { coro::spawn(stack, task_entry(t, body)) };
                            rec.stack_limit = limit;
                            Ok(co)
                        }
                        Err(e) => Err(format!("could not map a task stack: {e}")),
                    }
                }
            };
            if take_worker {
                s.busy += 1;
            }
            match co {
                Ok(co) => (t, co, stack_size, s.tasks[t as usize].stack_limit),
                Err(msg) => {
                    s.abort.get_or_insert(Abort::Harness(msg));
                    break;
                }
            }
        };
        let (t, mut co, stack_size, limit) = prepared;
        IN_TASK.with(|c| c.set(true));
        overflow::enter(&co, limit);
        let finished = coro::resume(&mut co);
        let overflowed = overflow::leave();
        IN_TASK.with(|c| c.set(false));
        let mut s = exec.state.borrow_mut();
        if overflowed {
            coro::recycle(co, stack_size);
            s.tasks[t as usize].phase = Phase::Done;
            s.abort.get_or_insert(Abort::StackOverflow(t));
            s.next = None;
            continue;
        }
        if finished {
            coro::recycle(co, stack_size);
            s.on_task_end(t);
        } else {
            s.tasks[t as usize].coro = Some(co);
        }
        if s.abort.is_some() {
            s.next = None;
        }
    }
}

fn task_entry(t: TaskId, body: Box<dyn FnOnce()>) -> impl FnOnce(&TaskYielder) {
    move |y: &TaskYielder| {
        with(|s| s.tasks[t as usize].yielder = y as *const TaskYielder);
        if t != 0 {
            start_point(t);
        }
        body();
    }
}

fn teardown(exec: &Exec) {
    let (coros, bodies, stack_size) = {
        let mut s = exec.state.borrow_mut();
        s.tearing_down = true;
        let size = s.cfg.stack_size;
        let coros: Vec<Coro> = s.tasks.iter_mut().filter_map(|t| t.coro.take()).collect();
        let bodies: Vec<Box<dyn FnOnce()>> =
            s.tasks.iter_mut().filter_map(|t| t.body.take()).collect();
        (coros, bodies, size)
    };
    // Dropping a suspended coroutine unwinds its stack, running user destructors; they
    // may call back into the simulator, which is a no-op while tearing down.
    for mut co in coros {
        co.force_unwind();
        coro::recycle(co, stack_size);
    }
    drop(bodies);
}

/// A short text for a step's operation.
pub(crate) fn op_text(op: &Op) -> String {
    match *op {
        Op::Start => "start".into(),
        Op::Fork(t) => format!("fork -> task {t}"),
        Op::Wait(t) => format!("wait task {t}"),
        Op::End => "end".into(),
        Op::Access(o, k) => format!("{} #{o}", access_text(k)),
        Op::Yield => "yield_now".into(),
        Op::Joined(t) => format!("  (joined task {t})"),
        Op::Acquired(o) => format!("  (acquired #{o})"),
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
