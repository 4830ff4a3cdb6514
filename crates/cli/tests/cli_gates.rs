//! Verdicts users can trust: a misspelt `# expect:` header or a nonsensical flag is an
//! error, `run` and `trace` never hang on a deadlock or a livelock, one malformed model does not hide
//! the others' verdicts, and a livelock's verdict is quick.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::{forkwait, stderr, stdout};

/// A directory of its own under the test's scratch directory, emptied.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_gates")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write model");
    p.to_string_lossy().into_owned()
}

const CLEAN: &str = "def main():\n    return wait(fork(len, [1, 2]))\n";

#[test]
fn a_misspelt_header_is_a_located_error_with_the_right_spelling() {
    let dir = scratch_dir("misspelt");
    // (header, column of the caret, what the hint must show)
    for (i, (header, col, fixed)) in [
        ("# expect deterministic", 9, "# expect: deterministic"),
        ("# Expect: deterministic", 3, "# expect: deterministic"),
        ("# expects: deterministic", 9, "# expect: deterministic"),
        (
            "#   EXPECT : deterministic, race",
            5,
            "# expect: deterministic, race",
        ),
        ("# expect : deterministic", 9, "# expect: deterministic"),
    ]
    .into_iter()
    .enumerate()
    {
        // A clean model: as an ordinary comment, the near miss would pass (exit 0).
        let text = format!("# A model.\n{header}\n{CLEAN}");
        let path = write(&dir, &format!("m{i}.fw"), &text);
        let o = forkwait(&["check", "--iterations", "5", &path]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{header}: {e}{}", stdout(&o));
        assert!(e.contains(&format!("--> {path}:2:{col}")), "{header}: {e}");
        assert!(e.contains("misspelled `# expect:` header"), "{e}");
        let caret = format!("  | {}^", " ".repeat(col - 1));
        assert!(e.contains(&caret), "{header}: {e}");
        assert!(
            e.contains(&format!("write it as `{fixed}`")),
            "{header}: {e}"
        );
        assert!(!e.contains("panicked"), "{e}");
    }
    // Also for `run`, `trace` and `replay`: the file is not a valid model.
    let path = write(&dir, "run.fw", &format!("# Expect: deterministic\n{CLEAN}"));
    assert_eq!(forkwait(&["run", &path]).status.code(), Some(2));
    // A prose comment that does not start with `expect` is fine, and so is a valid header.
    let path = write(
        &dir,
        "ok.fw",
        &format!("# we expect: nothing\n# expect: deterministic\n{CLEAN}"),
    );
    let o = forkwait(&["check", "--iterations", "5", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn an_unknown_verdict_names_the_allowed_words() {
    let dir = scratch_dir("unknown");
    let path = write(
        &dir,
        "m.fw",
        &format!("# expect: deterministic, panik\n{CLEAN}"),
    );
    let o = forkwait(&["check", "--iterations", "5", &path]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains(&format!("--> {path}:1:26")), "{e}");
    assert!(e.contains("unknown verdict `panik`"), "{e}");
    assert!(
        e.contains("deterministic, nondeterministic, impure, race, panic, deadlock, livelock"),
        "{e}"
    );
}

#[test]
fn nonsensical_numbers_are_usage_errors() {
    let m = "models/seed_function.fw";
    for args in [
        &["check", "--iterations", "0", m][..],
        &["check", "--strategy", "pct:0", m],
        &["check", "--strategy", "pct:x", m],
        &["check", "--strategy", "exhaustive:-1", m],
        &["check", "--seed", "x", m],
        &["check", "--seed", "-1", m],
        &["check", "--jobs", "0", m],
        &["check", "--workers", "0", m],
        &["check", "--wait", "sometimes", m],
        &["check", "--max-steps", "0", m],
        &["check", "--iterations", "99999999999999999999", m],
        &["replay", "--max-steps", "0", m, "fw1:AA"],
        &["replay", "--workers", "0", m, "fw1:AA"],
        &["run", "--threads", "0", m],
        &["run", "--timeout", "0", m],
        &["run", "--timeout", "x", m],
        &["run", "--mode", "sometimes", m],
        &["run", "--seed", "-3", "--mode", "sim", m],
    ] {
        let o = forkwait(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}{}", stdout(&o));
        assert!(e.starts_with("error:"), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
    let o = forkwait(&["check", "--iterations", "0", m]);
    assert!(stderr(&o).contains("--iterations"), "{}", stderr(&o));
    let o = forkwait(&["check", "--strategy", "pct:0", m]);
    assert!(stderr(&o).contains("PCT depth"), "{}", stderr(&o));
}

/// Runs `forkwait run` with a one-second timeout and checks that it stops well before the
/// harness's own limit, with exit status 1.
fn run_stuck(args: &[&str]) -> String {
    let started = Instant::now();
    let o = forkwait(&[&["run", "--timeout", "1"][..], args].concat());
    let e = stderr(&o);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{args:?} took {:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(1), "{args:?}: {e}{}", stdout(&o));
    assert!(!e.contains("panicked at"), "{args:?}: {e}");
    assert!(!e.contains("src/runtime"), "{args:?}: {e}");
    e
}

#[test]
fn run_reports_a_deadlock_in_model_lines_instead_of_hanging() {
    // Eager: `first` runs at its fork, inside `main`'s `with lock:`, and blocks on the lock.
    let e = run_stuck(&["--mode", "eager", "models/deadlock.fw"]);
    assert!(
        e.contains("error: no progress for 1 s (--timeout): a deadlock or a livelock"),
        "{e}"
    );
    assert!(
        e.contains("a task is at models/deadlock.fw:13:9  `with lock:`"),
        "{e}"
    );
    assert!(e.contains("a task is at models/deadlock.fw:27:22"), "{e}");
    // Parallel: the pool detects the cycle, or the tasks block until the timeout; either
    // way the tasks' `wait` lines are shown.
    for threads in ["1", "2", "4"] {
        let e = run_stuck(&[
            "--mode",
            "parallel",
            "--threads",
            threads,
            "models/deadlock.fw",
        ]);
        assert!(e.contains("deadlock"), "{e}");
        assert!(
            e.contains("models/deadlock.fw:20:12") || e.contains("models/deadlock.fw:23:12"),
            "{e}"
        );
    }
    // Sim: the checker's deadlock, with where each task is blocked.
    let o = forkwait(&["run", "--mode", "sim", "models/deadlock.fw"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("error[Deadlock]"), "{e}");
    assert!(
        e.contains("task 1 is blocked in `wait task 2` at models/deadlock.fw:20:12"),
        "{e}"
    );
    assert!(
        e.contains("task 2 is blocked in `wait task 1` at models/deadlock.fw:23:12"),
        "{e}"
    );
}

#[test]
fn run_stops_a_livelock_at_the_timeout() {
    for mode in ["eager", "parallel"] {
        let e = run_stuck(&["--mode", mode, "models/livelock.fw"]);
        assert!(e.contains("no progress for 1 s"), "{e}");
        assert!(
            e.contains("a task is at models/livelock.fw:10:9  `yield_now()`")
                || e.contains("a task is at models/livelock.fw:9:5"),
            "{e}"
        );
    }
    let o = forkwait(&["run", "--mode", "sim", "models/livelock.fw"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[StepLimit]"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("at models/livelock.fw:"),
        "{}",
        stderr(&o)
    );
    // A model that finishes is not affected by the watchdog.
    for mode in ["eager", "parallel"] {
        let o = forkwait(&["run", "--mode", mode, "models/fork_tree.fw"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), "1240\n");
    }
}

#[test]
fn trace_stops_a_deadlock_or_a_livelock_at_the_timeout() {
    // `trace` runs the model eagerly, as `run --mode eager` does: the same watchdog.
    for (model, at) in [
        (
            "models/deadlock.fw",
            "a task is at models/deadlock.fw:13:9  `with lock:`",
        ),
        ("models/livelock.fw", "a task is at models/livelock.fw:"),
    ] {
        for format in ["ir", "dot", "json"] {
            let started = Instant::now();
            let o = forkwait(&["trace", "--timeout", "1", "--format", format, model]);
            let e = stderr(&o);
            assert!(started.elapsed() < Duration::from_secs(30), "{model}");
            assert_eq!(o.status.code(), Some(1), "{model}: {e}{}", stdout(&o));
            assert!(
                e.contains("error: no progress for 1 s (--timeout): a deadlock or a livelock"),
                "{e}"
            );
            assert!(e.contains(at), "{e}");
            assert!(!e.contains("panicked at"), "{e}");
            assert!(stdout(&o).is_empty(), "no graph for a run that did not end");
        }
    }
    // The flag is validated like `run`'s, and a model that finishes is not affected.
    let o = forkwait(&["trace", "--timeout", "0", "models/fork_tree.fw"]);
    assert_eq!(o.status.code(), Some(2));
    let o = forkwait(&["trace", "--timeout", "5", "models/fork_tree.fw"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).ends_with("# main() returned 1240\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn run_in_parallel_mode_handles_a_fork_chain_1000_deep() {
    // Each task forks the next and waits for it: the chain nests on the pool's stacks
    // (a waiting worker runs the awaited task on top of itself). Workers with the default
    // 2 MiB stack stopped with a RecursionError after about 100 levels.
    let dir = scratch_dir("fork_chain");
    let m = write(
        &dir,
        "chain.fw",
        "def chain(n):\n    if n == 0:\n        return 0\n    return 1 + wait(fork(chain, n - 1))\n\n\
         def main():\n    return chain(1000)\n",
    );
    for threads in ["1", "2", "4"] {
        let o = forkwait(&["run", "--mode", "parallel", "--threads", threads, &m]);
        assert_eq!(o.status.code(), Some(0), "{threads}: {}", stderr(&o));
        assert_eq!(stdout(&o), "1000\n");
    }
}

#[test]
fn a_malformed_model_does_not_hide_the_others() {
    let dir = scratch_dir("mixed");
    let good = write(
        &dir,
        "a_good.fw",
        &format!("# expect: deterministic\n{CLEAN}"),
    );
    let bad = write(&dir, "b_bad.fw", "# expect: deterministic\ndef main(:\n");
    let wrong = write(&dir, "c_wrong.fw", &format!("# expect: race\n{CLEAN}"));
    let d = dir.to_string_lossy().into_owned();
    let o = forkwait(&["check", "--iterations", "20", &d]);
    let (out, e) = (stdout(&o), stderr(&o));
    // Bad input (2) wins over a mismatch (1).
    assert_eq!(o.status.code(), Some(2), "{out}{e}");
    assert!(e.contains(&format!("--> {bad}:2:9")), "{e}");
    let row = |p: &str| {
        out.lines()
            .find(|l| l.starts_with(p))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row(&good).ends_with("ok"), "{out}");
    assert!(
        row(&bad).contains(&format!("FAILED TO LOAD: error at {bad}:2:9")),
        "{out}"
    );
    assert!(row(&wrong).contains("MISMATCH: expected race"), "{out}");
    assert!(out.contains("1 failed to load"), "{out}");
    assert!(
        out.contains("1 did not get the verdicts it expects"),
        "{out}"
    );

    let o = forkwait(&["check", "--iterations", "20", "--json", &d]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let models = v["models"].as_array().expect("models");
    assert_eq!(models.len(), 3);
    assert_eq!(models[0]["path"], good.as_str());
    assert_eq!(models[0]["ok"], true);
    assert_eq!(models[0]["verdict"], serde_json::json!(["deterministic"]));
    assert_eq!(models[1]["path"], bad.as_str());
    assert_eq!(models[1]["ok"], false);
    assert_eq!(models[1]["verdict"], serde_json::json!([]));
    assert!(
        models[1]["error"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("{bad}:2:9: error:"))),
        "{}",
        models[1]
    );
    assert_eq!(models[2]["ok"], false);

    // Only well-formed models, one mismatching: 1.
    std::fs::remove_file(&bad).expect("rm");
    assert_eq!(
        forkwait(&["check", "--iterations", "20", &d]).status.code(),
        Some(1)
    );
}

#[test]
fn a_livelock_gets_its_verdict_without_running_the_whole_budget() {
    // Default settings: 1000 iterations of up to 20 000 steps.
    let o = forkwait(&["check", "--json", "models/livelock.fw"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let m = &v["models"][0];
    assert_eq!(
        m["verdict"],
        serde_json::json!(["deterministic", "livelock"])
    );
    assert_eq!(m["executions"], 20);
    assert_eq!(m["stopped_early"], true);
    let o = forkwait(&["check", "models/livelock.fw"]);
    assert!(
        stdout(&o).contains("note: stopped after 20 executions"),
        "{}",
        stdout(&o)
    );
    // A model that finishes runs the whole budget.
    let o = forkwait(&["check", "--json", "models/race.fw"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["models"][0]["executions"], 1000);
    assert_eq!(v["models"][0]["stopped_early"], false);
}
