//! `forkwait fuzz`: generated programs, both forms, detection rates, shrunk
//! counterexamples that `forkwait check` reproduces.

mod common;

use common::{forkwait, stdout};

#[test]
fn pure_programs_run_clean() {
    let o = forkwait(&["fuzz", "--programs", "6", "--seed", "3"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("fuzz: 6 programs (seed 3"), "{text}");
    assert!(text.contains("programs/s"), "{text}");
    assert!(
        text.contains("pure") && text.contains("6/6 clean (100.0%)"),
        "{text}"
    );
}

#[test]
fn every_planted_bug_is_found() {
    for (kind, lines) in [
        (
            "impure",
            &["impure-input", "impure-module-attribute", "impure-global"][..],
        ),
        ("race", &["race"][..]),
        ("nondeterminism", &["nondeterminism"][..]),
        ("panic", &["panic", "lost-error"][..]),
        ("deadlock", &["deadlock"][..]),
    ] {
        let o = forkwait(&["fuzz", "--programs", "3", "--inject", kind, "--seed", "1"]);
        let text = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{kind}: {text}");
        for l in lines {
            let line = text.lines().find(|x| x.trim_start().starts_with(l));
            let line = line.unwrap_or_else(|| panic!("{kind}: no {l} line: {text}"));
            assert!(line.contains("detected (100.0%)"), "{kind}: {line}");
        }
    }
}

#[test]
fn generated_programs_have_scopes_and_atomics_and_bugs_in_them_are_found() {
    let o = forkwait(&[
        "fuzz",
        "--programs",
        "24",
        "--inject",
        "race",
        "--seed",
        "2",
        "--iterations",
        "300",
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("24/24 detected (100.0%)"), "{text}");
    let shapes = text
        .lines()
        .find_map(|l| l.trim().strip_prefix('('))
        .unwrap_or_else(|| panic!("no shapes line: {text}"));
    let n: Vec<u64> = shapes
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(n.len() == 2 && n[0] > 0 && n[1] > 0, "{text}");
}

#[test]
fn a_missed_bug_is_shrunk_and_written_as_a_model_that_check_reproduces() {
    let dir = std::env::temp_dir().join(format!("forkwait-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    // One execution per form is too few to meet the deadlock every time.
    let o = forkwait(&[
        "fuzz",
        "--programs",
        "4",
        "--inject",
        "deadlock",
        "--iterations",
        "1",
        "--out",
        d,
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("discrepancy in program"), "{text}");
    let mut reproduced = 0;
    for line in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("reproduce: forkwait "))
    {
        let args: Vec<&str> = line.split_whitespace().collect();
        let file = std::fs::read_to_string(args[1]).expect("the model was written");
        assert!(
            file.starts_with("# expect: deterministic, deadlock\n"),
            "{file}"
        );
        assert!(file.contains("# discrepancy: "), "{file}");
        let c = forkwait(&args);
        if file.contains("only the Rust form shows this") {
            assert_eq!(c.status.code(), Some(0), "{file}");
        } else {
            // The model misses the deadlock in that one execution: check fails.
            assert_eq!(c.status.code(), Some(1), "{file}\n{}", stdout(&c));
            reproduced += 1;
        }
    }
    assert!(reproduced > 0, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_usage_is_exit_2() {
    for args in [
        &["fuzz", "--programs", "0"][..],
        &["fuzz", "--inject", "bogus"][..],
        &["fuzz", "--programs", "3", "--time", "1"][..],
    ] {
        assert_eq!(forkwait(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn time_bounds_the_run() {
    let o = forkwait(&["fuzz", "--time", "1", "--iterations", "20"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains(" programs (seed 0, 20 executions per form)"),
        "{text}"
    );
}
