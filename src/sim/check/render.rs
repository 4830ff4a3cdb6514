//! Interleavings and task trees as text.

use super::run::RunResult;
use crate::sim::exec::{self, Abort, Finished, Op};
use std::fmt::Write as _;

pub(super) const MAX_SHOWN_STEPS: usize = 400;

pub(super) fn render_steps(r: &RunResult) -> String {
    let fin = &r.fin;
    let steps = &fin.state.steps;
    // Task 0's own end has no source line of its own: the closure returned, or panicked.
    let main_end = match &r.outcome {
        Some(Err((_, at))) => format!("(the closure under test panicked at {at})"),
        _ => "(the closure under test returned)".to_string(),
    };
    let mut out = String::new();
    let skip = steps.len().saturating_sub(MAX_SHOWN_STEPS);
    if skip > 0 {
        let _ = writeln!(out, "... {skip} earlier steps not shown ...");
    }
    // Each line as `writeln!(out, "{:>5}  task {:<3} {:<24} {site}", i + 1, st.task,
    // op_text(&st.op))` would write it, without the formatting machinery (a finding's
    // interleaving is rendered once per run, at the cost of a few executions).
    let mut field = String::new();
    const SPACES: &str = "                        "; // the widest field's width
    let pad = |out: &mut String, field: &str, width: usize, right: bool| {
        let fill = width.saturating_sub(field.chars().count());
        if !right {
            out.push_str(field);
        }
        out.push_str(&SPACES[..fill]);
        if right {
            out.push_str(field);
        }
    };
    for (i, st) in steps.iter().enumerate().skip(skip) {
        field.clear();
        exec::push_decimal(&mut field, i as u64 + 1);
        pad(&mut out, &field, 5, true);
        out.push_str("  task ");
        field.clear();
        exec::push_decimal(&mut field, st.task as u64);
        pad(&mut out, &field, 3, false);
        out.push(' ');
        field.clear();
        exec::push_op_text(&mut field, &st.op);
        pad(&mut out, &field, 24, false);
        out.push(' ');
        if st.task == 0 && st.op == Op::End {
            out.push_str(&main_end);
        } else if let exec::Where::Rust(l) = st.site {
            out.push_str(l.file());
            out.push(':');
            exec::push_decimal(&mut out, l.line() as u64);
            out.push(':');
            exec::push_decimal(&mut out, l.column() as u64);
        } else {
            let _ = write!(out, "{}", st.site);
        }
        out.push('\n');
    }
    let _ = match &fin.state.abort {
        Some(Abort::Deadlock { .. }) => writeln!(out, "  --  deadlock: no task can run"),
        Some(Abort::StepLimit) => writeln!(out, "  --  step limit reached"),
        Some(Abort::TimeLimit) => writeln!(out, "  --  max_time ran out"),
        Some(Abort::StackOverflow(t)) => writeln!(out, "  --  task {t} overflowed its stack"),
        Some(Abort::Stale(m)) | Some(Abort::Harness(m)) => writeln!(out, "  --  {m}"),
        None => Ok(()),
    };
    out
}

pub(super) fn render_tree(fin: &Finished) -> String {
    let tasks = &fin.state.tasks;
    // Children lists once: a walk that scanned every task per node would be quadratic.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    for (c, rec) in tasks.iter().enumerate() {
        if let Some(p) = rec.parent {
            children[p as usize].push(c);
        }
    }
    let mut out = String::new();
    let mut stack = if tasks.is_empty() {
        vec![]
    } else {
        vec![(0usize, 0usize)]
    };
    while let Some((t, depth)) = stack.pop() {
        let rec = &tasks[t];
        let what = if t == 0 {
            "main".to_string()
        } else {
            format!("forked at {}", rec.site)
        };
        let mut notes = Vec::new();
        if rec.panic.is_some() {
            notes.push("panicked");
        }
        if rec.detached && !rec.waited {
            notes.push("never waited");
        }
        if rec.phase != exec::Phase::Done {
            notes.push(match &fin.state.abort {
                Some(Abort::Deadlock { .. }) => "cut short by the deadlock",
                Some(Abort::StepLimit) => "cut short by the step limit",
                Some(Abort::TimeLimit) => "cut short by max_time",
                Some(Abort::StackOverflow(_)) => "cut short by the stack overflow",
                Some(_) => "cut short: the execution was abandoned",
                None => "unfinished",
            });
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", notes.join(", "))
        };
        let _ = writeln!(out, "{}task {t} {what}{notes}", "  ".repeat(depth));
        // Reversed, so that children come out in fork order.
        stack.extend(children[t].iter().rev().map(|&c| (c, depth + 1)));
    }
    out
}
