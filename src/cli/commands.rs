//! `forkwait run`, `forkwait replay` and `forkwait trace`.

use super::check::model_locations;
use super::{Format, Mode, ReplayArgs, RunArgs, TraceArgs, err, load, out};
use crate::model::{Diagnostic, Model, Print, Snapshot, Value};
use crate::{Report, Runtime};
use std::fmt::Write as _;

/// Prints a runtime error of `model` with its source line and caret; returns 1.
fn runtime_error(model: &Model, d: &Diagnostic) -> i32 {
    err(&format!("{}\n", d.render(model.source())));
    1
}

pub(super) fn run(a: &RunArgs) -> i32 {
    let model = match load(&a.file) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let result: Result<Snapshot, Diagnostic> = match a.mode {
        Mode::Eager => {
            let m = model.clone().with_print(Print::Stdout);
            Runtime::eager().run(|| m.try_run_main())
        }
        Mode::Parallel => {
            let m = model.clone().with_print(Print::Stdout);
            let threads = a.threads.map_or_else(
                || std::thread::available_parallelism().map_or(2, usize::from),
                |t| t as usize,
            );
            Runtime::parallel(threads).run(move || m.try_run_main())
        }
        Mode::Sim => {
            let m = model.clone().with_print(Print::FirstRun);
            let report = crate::model::CheckOptions {
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
    match result {
        Ok(v) => {
            out(&format!("{v:?}\n"));
            0
        }
        Err(d) => runtime_error(&model, &d),
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

pub(super) fn replay(a: &ReplayArgs) -> i32 {
    let model = match load(&a.file) {
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
    let model = match load(&a.file) {
        Ok(m) => m.with_print(Print::Stderr),
        Err(code) => return code,
    };
    let (result, graph) = crate::trace(|| model.try_run_main());
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
            let mut v = graph.to_json();
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
