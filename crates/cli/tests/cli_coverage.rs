//! `forkwait check` says how much of each model's schedules it explored: the table's
//! `coverage` column and the JSON's `coverage` field, for every kind of coverage.

use std::path::{Path, PathBuf};

mod common;
use common::{forkwait, stderr, stdout};

/// A model file with `text` in the test's own scratch directory.
fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_coverage");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write model");
    p
}

/// Three forked tasks taking one lock: a handful of schedules (the orders of the
/// acquisitions: 6 for the reduced exhaustive search, some needing a preemption), one
/// outcome. (Pure forks would be a single schedule for the reduced search.)
const ONE_FORK: &str = "\
# expect: deterministic
def f(lock):
    with lock:
        x = 1
    return x

def main():
    lock = Lock()
    a = fork(f, lock)
    b = fork(f, lock)
    c = fork(f, lock)
    return wait(a) + wait(b) + wait(c)
";

/// Three forked tasks taking one lock three times each (1680 schedules for the reduced
/// exhaustive search).
const THREE_BY_THREE: &str = "\
def f(lock):
    for i in range(3):
        with lock:
            x = i
    return 1

def main():
    lock = Lock()
    a = fork(f, lock)
    b = fork(f, lock)
    c = fork(f, lock)
    return wait(a) + wait(b) + wait(c)
";

/// The model's `coverage` object of `forkwait check --json` with `args`.
fn coverage(path: &Path, args: &[&str]) -> serde_json::Value {
    let p = path.to_string_lossy();
    let o = forkwait(&[&["check", p.as_ref(), "--json"][..], args].concat());
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    v["models"][0]["coverage"].clone()
}

#[test]
fn json_coverage_for_every_kind() {
    let m = scratch("one_fork.fw", ONE_FORK);
    let all = ["--strategy", "exhaustive", "--iterations", "100000"];
    assert_eq!(
        coverage(&m, &all),
        serde_json::json!({"kind": "complete", "bound": null})
    );
    assert_eq!(
        coverage(
            &m,
            &["--strategy", "exhaustive:0", "--iterations", "100000"]
        ),
        serde_json::json!({"kind": "complete_within_bound", "bound": 0})
    );
    assert_eq!(
        coverage(&m, &["--strategy", "exhaustive", "--iterations", "2"]),
        serde_json::json!({"kind": "incomplete", "bound": null})
    );
    assert_eq!(
        coverage(&m, &["--iterations", "20"]),
        serde_json::json!({"kind": "sampled", "bound": null})
    );
}

#[test]
fn the_table_has_a_coverage_column_and_notes_a_cut_search() {
    let m = scratch("one_fork_table.fw", ONE_FORK);
    let p = m.to_string_lossy();
    let o = forkwait(&[
        "check",
        p.as_ref(),
        "--strategy",
        "exhaustive",
        "--iterations",
        "2",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    let header = out.lines().next().unwrap_or_default();
    assert!(header.contains("coverage"), "{header}");
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(row.contains(" incomplete "), "{row}");
    assert!(
        out.contains("raise --iterations for a complete search"),
        "{out}"
    );

    let o = forkwait(&["check", p.as_ref(), "--strategy", "exhaustive:0"]);
    let out = stdout(&o);
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(row.contains(" bound 0 "), "{row}");
    assert!(!out.contains("raise --iterations"), "{out}");
}

#[test]
fn an_exhaustive_check_without_iterations_runs_to_its_end() {
    // Three tasks taking one lock three times each: 9!/(3!3!3!) = 1680 orders of the
    // acquisitions, more than the sampling strategies' default budget of 1000. Without
    // --iterations the search is not cut by that budget: it is complete.
    let m = scratch("three_by_three.fw", THREE_BY_THREE);
    assert_eq!(
        coverage(&m, &["--strategy", "exhaustive"])["kind"],
        "complete"
    );
    assert_eq!(
        coverage(&m, &["--strategy", "exhaustive", "--iterations", "1000"])["kind"],
        "incomplete"
    );
}
