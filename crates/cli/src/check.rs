//! `forkwait check`: explore models, print the verdict table and the findings (or JSON).

use super::{CheckArgs, err, out};
use forkwait::{Coverage, Finding, Progress, Strategy};
use forkwait_model::{CheckOptions, Model, ModelCheck, ProgressFn, check_model};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The most interleaving steps shown per finding (the replay command shows them all).
const SHOWN_STEPS: usize = 40;

/// Every `.fw` and `.py` file below `dir`, recursively.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "fw" || e == "py") {
            files.push(path);
        }
    }
    Ok(())
}

/// The model files named by `paths` (directories expanded), sorted by path, without
/// duplicates.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = files.len();
            walk(p, &mut files).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            if files.len() == before {
                return Err(format!("no .fw or .py model files in {}", p.display()));
            }
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn options(a: &CheckArgs) -> CheckOptions {
    CheckOptions {
        strategy: a.strategy.clone(),
        iterations: a.iterations.unwrap_or(match a.strategy {
            // An exhaustive search is not cut by a budget nobody asked for.
            Strategy::Exhaustive { .. } => forkwait_model::NO_ITERATION_LIMIT,
            _ => CheckOptions::default().iterations,
        }),
        seed: a.seed,
        ..a.sim.options()
    }
}

/// Checks every model on `jobs` threads; results in the order of `models`.
fn check_all(models: &[Model], opts: &CheckOptions, jobs: usize) -> Vec<ModelCheck> {
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(models.len() as u64);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} checking [{bar:30}] {pos}/{len} {wide_msg}",
        );
        if let Ok(style) = style {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    // A long search shows its executions so far and, for an exhaustive one, an estimate
    // of what remains (the library computes it; the bar only draws it).
    let mut opts = opts.clone();
    if let Some(b) = &bar {
        let b = b.clone();
        opts.progress = Some(ProgressFn(Arc::new(move |path: &str, p: &Progress| {
            b.set_message(progress_text(path, p));
        })));
    }
    let opts = &opts;
    let slots: Vec<Mutex<Option<ModelCheck>>> = models.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(model) = models.get(i) else { break };
            if let Some(b) = &bar {
                b.set_message(model.path());
            }
            let result = check_model(model, opts);
            *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
    };
    if jobs <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..jobs.min(models.len()) {
                s.spawn(work);
            }
        });
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    slots
        .into_iter()
        .filter_map(|s| s.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// The progress bar's message for a model being checked: `N executions`, for an
/// exhaustive search `N of ~T executions (~R left)`, then the path (numbers first: a
/// narrow terminal cuts the end).
fn progress_text(path: &str, p: &Progress) -> String {
    match p.estimated_total {
        Some(t) if !p.finished => format!(
            "{} of ~{t} executions (~{} left): {path}",
            p.executions,
            t.saturating_sub(p.executions)
        ),
        _ => format!("{} executions: {path}", p.executions),
    }
}

/// The table's short word for a coverage (the JSON has the variant and its bound).
fn coverage_word(c: Coverage) -> String {
    match c {
        Coverage::CompleteWithinBound(k) => format!("bound {k}"),
        other => other.to_string(),
    }
}

/// The JSON value of a coverage: `{"kind": "complete" | "complete_within_bound" |
/// "incomplete" | "sampled", "bound": k or null}`.
fn coverage_json(c: Coverage) -> serde_json::Value {
    let (kind, bound) = match c {
        Coverage::Complete => ("complete", None),
        Coverage::CompleteWithinBound(k) => ("complete_within_bound", Some(k)),
        Coverage::Incomplete => ("incomplete", None),
        _ => ("sampled", None),
    };
    serde_json::json!({ "kind": kind, "bound": bound })
}

pub(super) fn command(a: &CheckArgs) -> i32 {
    let files = match collect(&a.paths) {
        Ok(f) => f,
        Err(e) => {
            err(&format!("error: {e}\n"));
            return 2;
        }
    };
    // A model that fails to load gets its located error (on stderr, now) and a row; the
    // others are still checked, so one malformed file hides nobody's verdicts.
    let mut models = Vec::new();
    let mut failed: Vec<(usize, Failed)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match Model::load_entry(f, &a.entry) {
            Ok(m) => models.push(m),
            Err(e) => {
                err(&format!("{}\n\n", e.render()));
                let path = f.to_string_lossy().replace('\\', "/");
                failed.push((
                    i,
                    Failed {
                        path,
                        error: e.to_string(),
                    },
                ));
            }
        }
    }
    let opts = options(a);
    let checked = check_all(&models, &opts, a.jobs as usize);
    // Back in path order.
    let mut rows: Vec<Row> = checked.into_iter().map(Row::Checked).collect();
    for (i, f) in failed {
        rows.insert(i, Row::Failed(f));
    }
    if a.json {
        out(&format!("{:#}\n", json(&rows)));
    } else {
        out(&table(&rows));
        let results: Vec<ModelCheck> = rows
            .iter()
            .filter_map(|r| match r {
                Row::Checked(c) => Some(c.clone()),
                Row::Failed(_) => None,
            })
            .collect();
        out(&findings(&results, &opts, &a.entry));
    }
    // Bad input (2) wins over a verdict mismatch (1).
    if rows.iter().any(|r| matches!(r, Row::Failed(_))) {
        2
    } else if rows.iter().all(Row::ok) {
        0
    } else {
        1
    }
}

/// A model file that could not be loaded.
struct Failed {
    path: String,
    /// `file:line:col: error: message` (or the read error).
    error: String,
}

/// One row of the table (and one model of the JSON document).
enum Row {
    Checked(ModelCheck),
    Failed(Failed),
}

impl Row {
    fn path(&self) -> &str {
        match self {
            Row::Checked(c) => &c.path,
            Row::Failed(f) => &f.path,
        }
    }

    fn ok(&self) -> bool {
        matches!(self, Row::Checked(c) if c.ok)
    }
}

/// The locations of a finding that are in the model (not in the interpreter), plus the
/// model location quoted in its message (a runtime error's).
pub(crate) fn model_locations(f: &Finding, path: &str) -> Vec<String> {
    let mut locs: Vec<String> = f
        .locations()
        .iter()
        .filter(|l| l.starts_with(path))
        .cloned()
        .collect();
    let mut rest = f.message();
    while let Some(i) = rest.find(path) {
        let tail = &rest[i + path.len()..];
        let mut parts = tail.splitn(3, ':');
        if let (Some(""), Some(line), Some(after)) = (parts.next(), parts.next(), parts.next()) {
            let col: String = after.chars().take_while(char::is_ascii_digit).collect();
            if line.parse::<u32>().is_ok() && !col.is_empty() {
                let loc = format!("{path}:{line}:{col}");
                if !locs.contains(&loc) {
                    locs.push(loc);
                }
            }
        }
        rest = tail;
    }
    locs
}

fn list(words: &[impl AsRef<str>]) -> String {
    words
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The results table: a line per model (its verdicts, executions, outcomes, coverage,
/// time and result), then the notes and the summary line.
fn table(rows: &[Row]) -> String {
    let w = rows
        .iter()
        .map(|r| r.path().len())
        .chain([5])
        .max()
        .unwrap_or(5);
    let vw = rows
        .iter()
        .filter_map(|r| match r {
            Row::Checked(c) => Some(list(&c.verdict).len()),
            Row::Failed(_) => None,
        })
        .chain([8])
        .max()
        .unwrap_or(8);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<w$}  {:<vw$}  {:>10}  {:>8}  {:<10}  {:>7}  result",
        "model", "verdicts", "executions", "outcomes", "coverage", "time"
    );
    for r in rows {
        match r {
            Row::Checked(c) => checked_line(&mut s, c, w, vw),
            Row::Failed(f) => failed_line(&mut s, f, w, vw),
        }
    }
    table_footer(&mut s, rows);
    s
}

/// The table's line of a model that failed to load (columns `w` and `vw` wide): where
/// the error is (the full error is printed above the table and in the JSON).
fn failed_line(s: &mut String, f: &Failed, w: usize, vw: usize) {
    let at = f.error.split_once(": error: ").map_or("", |(at, _)| at);
    let status = if at.is_empty() {
        "FAILED TO LOAD: cannot read the file".to_string()
    } else {
        format!("FAILED TO LOAD: error at {at}")
    };
    let _ = writeln!(
        s,
        "{:<w$}  {:<vw$}  {:>10}  {:>8}  {:<10}  {:>7}  {status}",
        f.path, "-", "-", "-", "-", "-"
    );
}

/// The table's line of a checked model (columns `w` and `vw` wide).
fn checked_line(s: &mut String, r: &ModelCheck, w: usize, vw: usize) {
    let status = match (&r.expected, r.ok) {
        (_, true) => "ok".to_string(),
        (Some(e), false) => format!("MISMATCH: expected {}", list(e)),
        (None, false) => "FAILED: no `# expect:` header, but findings".to_string(),
    };
    let _ = writeln!(
        s,
        "{:<w$}  {:<vw$}  {:>10}  {:>8}  {:<10}  {:>6.2}s  {status}",
        r.path,
        list(&r.verdict),
        r.report.executions(),
        r.report.outcomes().len(),
        coverage_word(r.report.coverage()),
        r.elapsed.as_secs_f64(),
    );
}

/// The end of the table: a note naming the models whose search was cut short, and the
/// summary line (every model as expected, or those that failed to load or did not get
/// their verdicts).
fn table_footer(s: &mut String, rows: &[Row]) {
    let unloaded: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(r, Row::Failed(_)))
        .map(Row::path)
        .collect();
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(r, Row::Checked(c) if !c.ok))
        .map(Row::path)
        .collect();
    let n = rows.len();
    let models = if n == 1 { "model" } else { "models" };
    let cut: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(r, Row::Checked(c) if c.report.coverage() == Coverage::Incomplete))
        .map(Row::path)
        .collect();
    if !cut.is_empty() {
        let _ = writeln!(
            s,
            "\nnote: the exhaustive search stopped before it was exhausted (coverage \
             incomplete) for: {}; raise --iterations for a complete search",
            cut.join(", ")
        );
    }
    if failed.is_empty() && unloaded.is_empty() {
        let _ = writeln!(s, "\n{n} {models}: every one got the verdicts it expects");
    } else {
        let mut parts = Vec::new();
        if !unloaded.is_empty() {
            parts.push(format!(
                "{} failed to load (see the errors above): {}",
                unloaded.len(),
                unloaded.join(", ")
            ));
        }
        if !failed.is_empty() {
            parts.push(format!(
                "{} did not get the verdicts it expects: {}",
                failed.len(),
                failed.join(", ")
            ));
        }
        let _ = writeln!(s, "\n{n} {models}: {}", parts.join("; "));
    }
}

fn findings(results: &[ModelCheck], opts: &CheckOptions, entry: &str) -> String {
    let mut flags = opts.replay_flags();
    if entry != "main" {
        flags.push_str(&format!(" --entry {entry}"));
    }
    let mut s = String::new();
    for r in results.iter().filter(|r| !r.report.findings().is_empty()) {
        let _ = writeln!(s, "\n== {} ==", r.path);
        if r.stopped_early {
            let _ = writeln!(
                s,
                "note: stopped after {} executions: every one ran into the step limit ({} \
                 steps), so the verdict is `livelock` without exploring further",
                r.report.executions(),
                opts.max_steps
            );
        }
        if r.report.outcomes().len() > 1 {
            let outs: Vec<String> = r
                .report
                .outcomes()
                .iter()
                .map(|o| format!("{} (x{})", o.value, o.count))
                .collect();
            let _ = writeln!(s, "outcomes: {}", outs.join(", "));
        }
        for f in r.report.findings() {
            let level = if f.is_warning() { "warning" } else { "error" };
            let _ = writeln!(s, "{level}[{}]: {}", f.kind(), f.message());
            for l in model_locations(f, &r.path) {
                let _ = writeln!(s, "  at {l}");
            }
            if f.is_warning() {
                continue;
            }
            let steps: Vec<&str> = f.interleaving().lines().collect();
            if !steps.is_empty() {
                let skip = steps.len().saturating_sub(SHOWN_STEPS);
                if skip > 0 {
                    let _ = writeln!(s, "  interleaving (the last {SHOWN_STEPS} lines):");
                } else {
                    let _ = writeln!(s, "  interleaving:");
                }
                for line in &steps[skip..] {
                    let _ = writeln!(s, "    {line}");
                }
            }
            // A step-limit schedule replays only under the same limit.
            let mut flags = flags.clone();
            if f.kind() == forkwait::FindingKind::StepLimit && !flags.contains("--max-steps") {
                flags.push_str(&format!(" --max-steps {}", opts.max_steps));
            }
            if let Some(t) = f.replay() {
                let _ = writeln!(s, "  replay: forkwait replay {} {t}{flags}", r.path);
            }
            if let Some(t) = f.other_replay() {
                let _ = writeln!(s, "  other outcome: forkwait replay {} {t}{flags}", r.path);
            }
        }
    }
    s
}

fn json(rows: &[Row]) -> serde_json::Value {
    let models: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let r = match r {
                Row::Checked(c) => c,
                Row::Failed(f) => {
                    return serde_json::json!({
                        "path": f.path,
                        "verdict": [],
                        "expected": null,
                        "ok": false,
                        "error": f.error,
                        "executions": 0,
                        "coverage": null,
                        "outcomes": [],
                        "findings": [],
                    });
                }
            };
            let outcomes: Vec<serde_json::Value> = r
                .report
                .outcomes()
                .iter()
                .map(
                    |o| serde_json::json!({"value": o.value, "count": o.count, "replay": o.replay}),
                )
                .collect();
            let findings: Vec<serde_json::Value> = r
                .report
                .findings()
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "kind": f.kind().to_string(),
                        "verdict": if f.is_warning() { None } else { forkwait_model::verdict(f.kind()) },
                        "message": f.message(),
                        "locations": model_locations(f, &r.path),
                        "replay": f.replay(),
                        "other_replay": f.other_replay(),
                    })
                })
                .collect();
            serde_json::json!({
                "path": r.path,
                "verdict": r.verdict,
                "expected": r.expected,
                "ok": r.ok,
                "executions": r.report.executions(),
                "coverage": coverage_json(r.report.coverage()),
                "stopped_early": r.stopped_early,
                "outcomes": outcomes,
                "findings": findings,
            })
        })
        .collect();
    serde_json::json!({ "models": models })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_text_shows_the_estimate_of_an_exhaustive_search_until_it_ends() {
        let p = Progress {
            executions: 250,
            budget: 1000,
            estimated_total: Some(1000),
            finished: false,
        };
        assert_eq!(
            progress_text("m.fw", &p),
            "250 of ~1000 executions (~750 left): m.fw"
        );
        let done = Progress {
            finished: true,
            ..p
        };
        assert_eq!(progress_text("m.fw", &done), "250 executions: m.fw");
        let sampled = Progress {
            estimated_total: None,
            ..p
        };
        assert_eq!(progress_text("m.fw", &sampled), "250 executions: m.fw");
    }
}
