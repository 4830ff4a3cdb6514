//! `forkwait::check` and the environment: FORKWAIT_ITERATIONS, _SEED, _STRATEGY, _SHARD,
//! _LOG, _REPLAY, and the regression files. Each case re-runs this test binary as a child
//! process with the variables set only there (setting them here would race with the other
//! tests of this process).

use forkwait::{check, fork, wait};
use std::process::Command;
use std::sync::Arc;

mod common;
use common::lost_update;

fn two_tasks() -> u32 {
    let a = fork(|| 1);
    let b = fork(|| 2);
    wait(a) + wait(b)
}

#[test]
#[ignore = "run by the tests below, in a child process"]
fn probe_clean() {
    check(two_tasks);
}

/// Three tasks × three atomic increments: 9!/(3!·3!·3!) = 1680 orders of the increments
/// (Mazurkiewicz traces), one outcome.
fn many_traces() -> usize {
    use forkwait::sync::atomic::{AtomicUsize, Ordering};
    let n = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..3)
        .map(|_| {
            let n = n.clone();
            fork(move || {
                for _ in 0..3 {
                    n.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    ts.into_iter().for_each(wait);
    n.load(Ordering::SeqCst)
}

#[test]
#[ignore = "run by the tests below, in a child process"]
fn probe_many_traces() {
    check(many_traces);
}

#[test]
#[ignore = "run by the tests below, in a child process"]
fn probe_failing() {
    check(lost_update);
}

/// Runs one probe with `vars`; returns (success, stderr).
fn probe(name: &str, vars: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ]);
    // A clean slate: none of the caller's FORKWAIT_* variables reach the child.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("FORKWAIT_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

/// Executions seen in a FORKWAIT_LOG=1 run: every execution's first step is step 1.
fn executions(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("forkwait: step     1 "))
        .count()
}

#[test]
fn iterations_log_and_shard_come_from_the_environment() {
    let (ok, log) = probe(
        "probe_clean",
        &[("FORKWAIT_ITERATIONS", "3"), ("FORKWAIT_LOG", "1")],
    );
    assert!(ok, "{log}");
    assert_eq!(executions(&log), 3, "{log}");
    let (ok, log) = probe(
        "probe_clean",
        &[
            ("FORKWAIT_ITERATIONS", "6"),
            ("FORKWAIT_SHARD", "2/3"),
            ("FORKWAIT_LOG", "1"),
        ],
    );
    assert!(ok, "{log}");
    assert_eq!(
        executions(&log),
        2,
        "shard 2 of 3 runs 2 of 6 iterations: {log}"
    );
}

#[test]
fn seed_and_strategy_change_the_schedules() {
    let run = |seed: &str, strategy: &str| {
        let (ok, log) = probe(
            "probe_clean",
            &[
                ("FORKWAIT_ITERATIONS", "5"),
                ("FORKWAIT_SEED", seed),
                ("FORKWAIT_STRATEGY", strategy),
                ("FORKWAIT_LOG", "1"),
            ],
        );
        assert!(ok, "{log}");
        log.lines()
            .filter(|l| l.starts_with("forkwait: step"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run("1", "random"),
        run("1", "random"),
        "same seed, same schedules"
    );
    assert_ne!(run("1", "random"), run("2", "random"));
    let exhaustive = run("1", "exhaustive");
    assert!(!exhaustive.is_empty());
}

#[test]
fn an_exhaustive_search_is_not_cut_by_the_default_iterations() {
    let (ok, log) = probe(
        "probe_many_traces",
        &[("FORKWAIT_STRATEGY", "exhaustive"), ("FORKWAIT_LOG", "1")],
    );
    assert!(ok, "{log}");
    let n = executions(&log);
    assert!(n > 1000, "{n} executions: cut at the default 1000");
    // The 1680 traces, and one replay illustrating the warning (the tasks write the
    // caller's atomic).
    assert!(n <= 1681, "{n} executions: more than the 1680 traces");
    // An explicit budget still cuts it.
    let (ok, log) = probe(
        "probe_many_traces",
        &[
            ("FORKWAIT_STRATEGY", "exhaustive"),
            ("FORKWAIT_ITERATIONS", "10"),
            ("FORKWAIT_LOG", "1"),
        ],
    );
    assert!(ok, "{log}");
    assert_eq!(executions(&log), 10 + 1, "and the warning's illustration");
}

#[test]
fn bad_variables_are_clear_errors() {
    for (k, v, want) in [
        ("FORKWAIT_STRATEGY", "sideways", "FORKWAIT_STRATEGY"),
        ("FORKWAIT_SEED", "x", "FORKWAIT_SEED"),
        ("FORKWAIT_SHARD", "4/3", "FORKWAIT_SHARD"),
        ("FORKWAIT_REPLAY", "fw1:nope", "FORKWAIT_REPLAY"),
        // Each of these used to switch a gate off silently or run nothing.
        ("FORKWAIT_ITERATIONS", "0", "at least 1"),
        ("FORKWAIT_STRATEGY", "pct:0", "at least 1"),
        ("FORKWAIT_THREADS", "many", "FORKWAIT_THREADS"),
        ("FORKWAIT_PURITY", "loose", "FORKWAIT_PURITY"),
        ("FORKWAIT_ITERATION", "5", "unknown forkwait variable"),
    ] {
        let (ok, log) = probe("probe_clean", &[(k, v)]);
        assert!(!ok, "{k}={v} must fail");
        assert!(log.contains(want), "{k}={v}: {log}");
    }
}

#[test]
fn a_failure_prints_its_replay_line_which_replays_it_and_is_kept_as_a_regression() {
    let regressions = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("forkwait-regressions")
        .join("probe_failing.txt");
    let _ = std::fs::remove_file(&regressions);
    let (ok, log) = probe("probe_failing", &[("FORKWAIT_ITERATIONS", "200")]);
    assert!(!ok, "the lost update is found");
    let line = log
        .lines()
        .find(|l| l.contains("FORKWAIT_REPLAY="))
        .unwrap_or_else(|| panic!("no replay line in: {log}"));
    assert!(line.contains("cargo test probe_failing"), "{line}");
    let token = line
        .split("FORKWAIT_REPLAY=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let kept = std::fs::read_to_string(&regressions).expect("regression file written");
    assert!(kept.contains(&token), "{kept}");
    // Replaying the token alone reproduces the failure.
    let (ok, log) = probe("probe_failing", &[("FORKWAIT_REPLAY", &token)]);
    assert!(!ok, "{log}");
    assert!(
        log.contains("Nondeterminism") || log.contains("Race"),
        "{log}"
    );
    std::fs::remove_file(&regressions).unwrap();
    let _ = std::fs::remove_dir(regressions.parent().unwrap());
}
