//! `forkwait check`: explore models, print the verdict table and the findings (or JSON).

use super::{CheckArgs, err, load, out};
use crate::Finding;
use crate::model::{CheckOptions, Model, ModelCheck, check_model};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The most interleaving steps shown per finding (the replay command shows them all).
const SHOWN_STEPS: usize = 40;

/// Every `.fw` file below `dir`, recursively.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "fw") {
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
                return Err(format!("no .fw model files in {}", p.display()));
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
        iterations: a.iterations,
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

pub(super) fn command(a: &CheckArgs) -> i32 {
    let files = match collect(&a.paths) {
        Ok(f) => f,
        Err(e) => {
            err(&format!("error: {e}\n"));
            return 2;
        }
    };
    let mut models = Vec::new();
    let mut bad = false;
    for f in &files {
        match load(f) {
            Ok(m) => models.push(m),
            Err(_) => bad = true,
        }
    }
    if bad {
        return 2;
    }
    let opts = options(a);
    let results = check_all(&models, &opts, a.jobs as usize);
    if a.json {
        out(&format!("{:#}\n", json(&results)));
    } else {
        out(&table(&results));
        out(&findings(&results, &opts));
    }
    if results.iter().all(|r| r.ok) { 0 } else { 1 }
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

fn table(results: &[ModelCheck]) -> String {
    let w = results
        .iter()
        .map(|r| r.path.len())
        .chain([5])
        .max()
        .unwrap_or(5);
    let vw = results
        .iter()
        .map(|r| list(&r.verdict).len())
        .chain([8])
        .max()
        .unwrap_or(8);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<w$}  {:<vw$}  {:>10}  {:>8}  {:>7}  result",
        "model", "verdicts", "executions", "outcomes", "time"
    );
    for r in results {
        let status = match (&r.expected, r.ok) {
            (_, true) => "ok".to_string(),
            (Some(e), false) => format!("MISMATCH: expected {}", list(e)),
            (None, false) => "FAILED: no `# expect:` header, but findings".to_string(),
        };
        let _ = writeln!(
            s,
            "{:<w$}  {:<vw$}  {:>10}  {:>8}  {:>6.2}s  {status}",
            r.path,
            list(&r.verdict),
            r.report.executions(),
            r.report.outcomes().len(),
            r.elapsed.as_secs_f64(),
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.path.as_str())
        .collect();
    let n = results.len();
    let models = if n == 1 { "model" } else { "models" };
    if failed.is_empty() {
        let _ = writeln!(s, "\n{n} {models}: every one got the verdicts it expects");
    } else {
        let _ = writeln!(
            s,
            "\n{n} {models}: {} did not get the verdicts it expects: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    s
}

fn findings(results: &[ModelCheck], opts: &CheckOptions) -> String {
    let flags = opts.replay_flags();
    let mut s = String::new();
    for r in results.iter().filter(|r| !r.report.findings().is_empty()) {
        let _ = writeln!(s, "\n== {} ==", r.path);
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
            if f.kind() == crate::FindingKind::StepLimit && !flags.contains("--max-steps") {
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

fn json(results: &[ModelCheck]) -> serde_json::Value {
    let models: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
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
                        "verdict": if f.is_warning() { None } else { f.kind().verdict() },
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
                "outcomes": outcomes,
                "findings": findings,
            })
        })
        .collect();
    serde_json::json!({ "models": models })
}
