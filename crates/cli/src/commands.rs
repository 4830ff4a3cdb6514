//! `forkwait run`, `forkwait replay` and `forkwait trace`.

use super::check::model_locations;
use super::{Format, Mode, ReplayArgs, RunArgs, TraceArgs, WatchArgs, err, load, out};
use forkwait::hooks::SourceSpan;
use forkwait::{Report, Runtime};
use forkwait_model::{Diagnostic, Model, Print, Value};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::time::Duration;

/// Prints a runtime error of `model` with its source line and caret; returns 1.
fn runtime_error(model: &Model, d: &Diagnostic) -> i32 {
    err(&format!("{}\n", d.render(model.source())));
    1
}

pub(super) fn run(a: &RunArgs) -> i32 {
    let model = match load(&a.file, &a.entry) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let threads = match a.mode {
        Mode::Eager => 0,
        Mode::Parallel => a.threads.map_or_else(
            || std::thread::available_parallelism().map_or(2, usize::from),
            |t| t as usize,
        ),
        Mode::Sim => {
            let m = model.clone().with_print(Print::FirstRun);
            let report = forkwait_model::CheckOptions {
                seed: a.seed,
                iterations: 1,
                ..Default::default()
            }
            .checker(model.path())
            .shrink(false)
            .run(|| m.run_main());
            return sim_result(&model, &report);
        }
    };
    let m = model.clone().with_print(Print::Stdout);
    let job = move || {
        if threads == 0 {
            Runtime::eager().run(|| m.try_run_main())
        } else {
            // Forked tasks nest on the pool's stacks (a waiting worker runs other tasks on
            // top of the waiting one): room for deep fork chains, as in eager mode.
            Runtime::parallel_with_stack(threads, forkwait_model::POOL_STACK_SIZE)
                .run(move || m.try_run_main())
        }
    };
    match watched(a.watch, job) {
        Ok(Ok(v)) => {
            out(&format!("{v:?}\n"));
            0
        }
        Ok(Err(d)) => runtime_error(&model, &d),
        Err(u) => unfinished(&model, a.watch, u),
    }
}

/// The stack of the thread that runs a model in eager and parallel mode: eager forks
/// nest on it.
const RUN_STACK_SIZE: usize = 64 << 20;

/// Why a watched run did not return.
enum Unfinished {
    /// The pool detected a wait on a task below the waiter on its own thread.
    Hazard {
        message: String,
        at: Option<SourceSpan>,
        live: Vec<SourceSpan>,
    },
    /// The timeout passed first; where the running tasks are.
    Stuck { live: Vec<SourceSpan> },
    /// The runner thread ended without a result (a panic outside the model).
    Lost(String),
}

/// What the runner thread and the panic hook tell the watching thread.
enum Event {
    /// The job returned (its value is the runner thread's result).
    Done,
    /// The pool reported a helping hazard (see [`Unfinished::Hazard`]).
    Hazard(Unfinished),
}

/// Where the panic hook reports a deadlock the pool detected (see [`super::install_quiet_hook`]).
static HAZARD: Mutex<Option<Sender<Event>>> = Mutex::new(None);

/// The message prefix of the pool's helping-hazard panic (`src/runtime/pool.rs`).
pub(super) const HAZARD_PREFIX: &str = "forkwait: deadlock: waiting on the task forked at";

/// Called by the panic hook on the panicking thread when the pool reports a deadlock: the
/// thread's source position is the model's `wait`. Returns whether a run is watching.
pub(super) fn report_hazard(message: &str) -> bool {
    let tx = HAZARD.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let Some(tx) = tx else { return false };
    let at = forkwait::hooks::current_span();
    let live = forkwait::hooks::live_spans();
    let message = message.to_string();
    tx.send(Event::Hazard(Unfinished::Hazard { message, at, live }))
        .is_ok()
}

/// Runs `job` (which runs a model's `main()`: eagerly, on a pool, traced) on a thread of
/// its own, and waits at most `--timeout` for it. A stuck program's threads cannot be
/// stopped: they keep running until the process exits (the `forkwait` binary exits right
/// after). Used by every command that runs a model on real threads; report the
/// [`Unfinished`] cases with [`unfinished`].
fn watched<R: Send + 'static>(
    watch: WatchArgs,
    job: impl FnOnce() -> R + Send + 'static,
) -> Result<R, Unfinished> {
    forkwait::hooks::publish_spans();
    let (tx, rx) = std::sync::mpsc::channel();
    *HAZARD.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx.clone());
    let runner = std::thread::Builder::new()
        .name("forkwait-run".into())
        .stack_size(RUN_STACK_SIZE)
        .spawn(move || {
            let r = job();
            let _ = tx.send(Event::Done);
            r
        });
    let lost =
        |p: Box<dyn std::any::Any + Send>| Unfinished::Lost(forkwait::hooks::payload_text(&*p));
    let result = match runner {
        Err(e) => Err(Unfinished::Lost(format!("cannot start a thread: {e}"))),
        Ok(handle) => match rx.recv_timeout(Duration::from_secs(watch.timeout)) {
            // The runner returns right after sending `Done`.
            Ok(Event::Done) => handle.join().map_err(lost),
            Ok(Event::Hazard(u)) => Err(u),
            Err(RecvTimeoutError::Timeout) => Err(Unfinished::Stuck {
                live: forkwait::hooks::live_spans(),
            }),
            Err(RecvTimeoutError::Disconnected) => Err(match handle.join() {
                Err(p) => lost(p),
                Ok(_) => Unfinished::Lost("the run ended without a result".to_string()),
            }),
        },
    };
    *HAZARD.lock().unwrap_or_else(|e| e.into_inner()) = None;
    result
}

/// Reports a watched run of `model` that did not return; the exit status.
fn unfinished(model: &Model, watch: WatchArgs, u: Unfinished) -> i32 {
    match u {
        Unfinished::Hazard { message, at, live } => {
            let mut s = String::from(
                "error: deadlock: a task waits for a task that can only finish after it (a \
                 wait-for cycle through futures)\n",
            );
            if let Some(at) = at {
                let _ = writeln!(s, "  the wait that cannot finish: {}", position(model, at));
            }
            tasks_at(&mut s, model, &live);
            let _ = writeln!(
                s,
                "  = note: `forkwait check {}` shows the cycle and a replayable schedule\n  \
                 = note: the runtime's message: {message}",
                model.path()
            );
            err(&s);
            1
        }
        Unfinished::Stuck { live } => {
            let mut s = format!(
                "error: no progress for {} s (--timeout): a deadlock or a livelock\n",
                watch.timeout
            );
            tasks_at(&mut s, model, &live);
            let _ = writeln!(
                s,
                "  = note: `forkwait check {}` finds deadlocks and livelocks with a \
                 replayable schedule; raise --timeout if the model is only slow",
                model.path()
            );
            err(&s);
            1
        }
        Unfinished::Lost(message) => {
            err(&format!("error: internal error: {message}\n"));
            2
        }
    }
}

/// `file:line:col` and the model's source line there.
fn position(model: &Model, at: SourceSpan) -> String {
    let line = model
        .source()
        .lines()
        .nth((at.line as usize).saturating_sub(1))
        .unwrap_or("")
        .trim();
    format!("{at}  `{line}`")
}

/// The positions of the running tasks, as `  a task is at ...` lines.
fn tasks_at(s: &mut String, model: &Model, live: &[SourceSpan]) {
    let mine: Vec<&SourceSpan> = live.iter().filter(|p| p.file == model.path()).collect();
    if mine.is_empty() {
        s.push_str("  (no task is at a model line)\n");
    }
    for p in mine {
        let _ = writeln!(s, "  a task is at {}", position(model, *p));
    }
}

/// Prints the outcome of a one-schedule report, or its findings; the exit status.
fn sim_result(model: &Model, report: &Report) -> i32 {
    let mut code = 0;
    for f in report.findings().iter().filter(|f| !f.is_warning()) {
        let mut s = format!("error[{}]: {}\n", f.kind(), f.message());
        for l in model_locations(f, model.path()) {
            let _ = writeln!(s, "  at {l}");
        }
        if f.kind() == forkwait::FindingKind::Deadlock {
            for (task, op, at) in blocked_tasks(f.interleaving(), model.path()) {
                let line = at
                    .rsplit(':')
                    .nth(1)
                    .and_then(|l| l.parse::<usize>().ok())
                    .and_then(|l| model.source().lines().nth(l.saturating_sub(1)))
                    .unwrap_or("")
                    .trim();
                let _ = writeln!(s, "  task {task} is blocked in `{op}` at {at}  `{line}`");
            }
        }
        err(&s);
        code = 1;
    }
    if let Some(o) = report
        .outcomes()
        .iter()
        .find(|o| !o.value.starts_with("panic: "))
    {
        out(&format!("{}\n", o.value));
    }
    code
}

/// The tasks of a deadlocked interleaving that did not end: each one's id, last operation
/// and its model position (`file:line:col`), from the interleaving's step lines
/// (`    21  task 1   wait task 2              models/deadlock.fw:20:12`).
fn blocked_tasks(interleaving: &str, path: &str) -> Vec<(String, String, String)> {
    let mut last: Vec<(String, String, String)> = Vec::new();
    for line in interleaving.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [index, "task", task, rest @ ..] = &words[..] else {
            continue;
        };
        if index.parse::<u64>().is_err() || rest.is_empty() {
            continue;
        }
        let (op, at) = match rest.split_last() {
            Some((at, op)) if at.starts_with(path) => (op.join(" "), (*at).to_string()),
            _ => (rest.join(" "), String::new()),
        };
        last.retain(|(t, _, _)| t != task);
        last.push(((*task).to_string(), op, at));
    }
    last.retain(|(_, op, at)| op != "end" && !at.is_empty());
    last.sort_by_key(|(t, _, _)| t.parse::<u64>().unwrap_or(u64::MAX));
    last
}

pub(super) fn replay(a: &ReplayArgs) -> i32 {
    let model = match load(&a.file, &a.entry) {
        Ok(m) => m.with_print(Print::FirstRun),
        Err(code) => return code,
    };
    let token = a.token.trim();
    // Replayed under the settings of `check` (workers, wait policy, step limit, stack
    // size): a token only fits the settings it was found with. `Checker::replay` prints
    // the interleaving step by step.
    let checker = a.sim.options().checker(model.path());
    match checker.replay(token, || model.run_main()) {
        Ok(r) => replay_result(&model, &r),
        Err(e) => {
            err(&format!("error: {e}\n"));
            2
        }
    }
}

/// Prints the findings and the outcome of a replayed schedule; the exit status.
fn replay_result(model: &Model, report: &Report) -> i32 {
    let mut code = 0;
    for f in report.findings() {
        let level = if f.is_warning() {
            "warning"
        } else {
            code = 1;
            "error"
        };
        let mut s = format!("{level}[{}]: {}\n", f.kind(), f.message());
        for l in model_locations(f, model.path()) {
            let _ = writeln!(s, "  at {l}");
        }
        out(&s);
    }
    match report.outcomes().first() {
        Some(o) => out(&format!("outcome: {}\n", o.value)),
        None => out("outcome: none (the execution did not finish)\n"),
    }
    code
}

/// The IR names the task result type by its Rust path; show the model's `Value`.
fn tidy(text: &str) -> String {
    text.replace(std::any::type_name::<Value>(), "Value")
}

pub(super) fn trace(a: &TraceArgs) -> i32 {
    let model = match load(&a.file, &a.entry) {
        Ok(m) => m.with_print(Print::Stderr),
        Err(code) => return code,
    };
    let m = model.clone();
    let (result, graph) = match watched(a.watch, move || forkwait::trace(|| m.try_run_main())) {
        Ok(traced) => traced,
        Err(u) => return unfinished(&model, a.watch, u),
    };
    match a.format {
        Format::Ir => {
            let mut s = tidy(&graph.to_string());
            if let Ok(v) = &result {
                let _ = writeln!(s, "# main() returned {v:?}");
            }
            out(&s);
        }
        Format::Dot => out(&tidy(&graph.to_dot())),
        Format::Json => {
            let mut v: serde_json::Value =
                serde_json::from_str(&graph.to_json()).expect("the graph is valid JSON");
            if let Some(nodes) = v.get_mut("nodes").and_then(|n| n.as_array_mut()) {
                for n in nodes {
                    if let Some(t) = n.get_mut("type") {
                        if let Some(text) = t.as_str() {
                            *t = serde_json::Value::String(tidy(text));
                        }
                    }
                }
            }
            if let (Ok(r), Some(obj)) = (&result, v.as_object_mut()) {
                obj.insert("result".into(), format!("{r:?}").into());
            }
            out(&format!("{v:#}\n"));
        }
    }
    match result {
        Ok(_) => 0,
        Err(d) => runtime_error(&model, &d),
    }
}
