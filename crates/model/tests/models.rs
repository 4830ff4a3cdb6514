//! The `models/` corpus as a regression suite: every model must get exactly the verdicts
//! of its `# expect:` header, through the same code path as `forkwait check`
//! (`forkwait_model::check_model`). Plus what the headers cannot say: the starvation
//! model under a blocking one-worker pool, the purity classes, model lines in findings,
//! and the determinism of a check.

use forkwait::FindingKind;
use forkwait::{Strategy, WaitPolicy};
use forkwait_model::{CheckOptions, Model, ModelCheck, check_model};
use std::path::{Path, PathBuf};

// Models are loaded by relative paths (`models/...`) from the repository root, as
// `forkwait check models` does there.

/// Makes the repository root (where `models/` is) the current directory. Every test sets
/// the same directory, so tests running at once do not disturb each other.
fn at_root() {
    std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .expect("the repository root exists");
}

/// Modest settings for `cargo test` (the CLI default is 1000 iterations and 20 000 steps;
/// every header holds there too). The step limit is lower so that the livelock model,
/// which runs into it in every execution, stays cheap in an unoptimised build.
fn opts() -> CheckOptions {
    CheckOptions {
        iterations: 300,
        max_steps: 4000,
        ..CheckOptions::default()
    }
}

fn corpus() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("models/ exists") {
            let p = e.expect("readable entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "fw" || x == "py") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    // Relative paths, as the command line shows them.
    at_root();
    walk(Path::new("models"), &mut out);
    out.sort();
    out
}

fn model(name: &str) -> Model {
    at_root();
    let path = Path::new("models").join(name);
    Model::load(&path).unwrap_or_else(|e| panic!("{}", e.render()))
}

fn describe(c: &ModelCheck) -> String {
    format!(
        "{}: got {:?}, expected {:?}\n{}",
        c.path, c.verdict, c.expected, c.report
    )
}

#[test]
fn every_model_gets_the_verdicts_of_its_header() {
    let files = corpus();
    assert!(files.len() >= 12, "the corpus has {} models", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let m = Model::load(f).unwrap_or_else(|e| panic!("{}", e.render()));
        assert!(
            m.expect().is_some(),
            "{} has no `# expect:` header",
            f.display()
        );
        let c = check_model(&m, &opts());
        if !c.ok {
            failures.push(describe(&c));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_corpus_covers_every_verdict() {
    let mut seen: Vec<String> = Vec::new();
    for f in corpus() {
        let m = Model::load(&f).expect("loads");
        seen.extend(m.expect().unwrap_or_default().iter().cloned());
    }
    for v in forkwait_model::VERDICTS {
        assert!(seen.iter().any(|s| s == v), "no model expects `{v}`");
    }
}

#[test]
fn nested_forks_starve_a_blocking_one_worker_pool() {
    let m = model("starvation/nested_pool.fw");
    let default = check_model(&m, &opts());
    assert!(
        default.ok && default.report.is_clean(),
        "{}",
        describe(&default)
    );
    let blocked = CheckOptions {
        workers: Some(1),
        wait: WaitPolicy::Block,
        ..opts()
    };
    let c = check_model(&m, &blocked);
    assert_eq!(c.verdict, ["deterministic", "deadlock"], "{}", describe(&c));
    let f = &c.report.findings()[0];
    assert!(f.message().contains("starvation"), "{}", f.message());
    // Two workers are enough for a nesting depth of two.
    let two = CheckOptions {
        workers: Some(2),
        ..blocked
    };
    assert!(check_model(&m, &two).report.is_clean());
}

#[test]
fn impure_writes_are_classified_by_what_they_mutate() {
    for (name, class) in [
        ("impure_input.fw", "(input)"),
        ("impure_attribute.fw", "(module-attribute)"),
        ("impure_global.fw", "(global)"),
        ("lock_append.fw", "(input)"),
    ] {
        let c = check_model(&model(name), &opts());
        let impure: Vec<&str> = c
            .report
            .findings()
            .iter()
            .filter(|f| f.kind() == FindingKind::ImpureWrite)
            .map(|f| f.message())
            .collect();
        assert!(!impure.is_empty(), "{}", describe(&c));
        assert!(
            impure.iter().all(|m| m.contains(class)),
            "{name}: {impure:?}"
        );
    }
    // A pure fork (reading a module attribute is not a write) is not impure.
    let c = check_model(&model("seed_module.fw"), &opts());
    assert!(c.report.is_clean(), "{}", describe(&c));
}

#[test]
fn findings_show_model_lines() {
    let c = check_model(&model("panic.fw"), &opts());
    let f = c
        .report
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Panic)
        .expect("a panic finding");
    assert!(
        f.message()
            .contains("models/panic.fw:6:14: error: unsupported operand type(s) for +"),
        "{}",
        f.message()
    );
    // The forks (lines 9 and 10) and waits (line 11) of the model, not interpreter lines.
    let steps = f.interleaving();
    assert!(steps.contains("fork -> task 1") && steps.contains("models/panic.fw:9:10"));
    assert!(steps.contains("models/panic.fw:11:"), "{steps}");
    assert!(!steps.contains("src/model"), "{steps}");
    assert!(!steps.contains("crates/model"), "{steps}");

    let lost = check_model(&model("lost_error.fw"), &opts());
    let f = lost
        .report
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::LostError)
        .expect("a lost error");
    assert!(f.message().contains("assertion failed: negative input"));
    assert!(f.message().contains("models/lost_error.fw:10:5"));

    let dl = check_model(&model("deadlock.fw"), &opts());
    let f = &dl.report.findings()[0];
    assert_eq!(f.kind(), FindingKind::Deadlock);
    assert!(f.message().contains("wait-for cycle"), "{}", f.message());
    assert!(
        f.locations()
            .iter()
            .all(|l| l.starts_with("models/deadlock.fw:"))
    );
}

#[test]
fn a_check_is_deterministic() {
    let m = model("impure_global.fw");
    let o = CheckOptions {
        iterations: 100,
        seed: 7,
        ..opts()
    };
    let (a, b) = (check_model(&m, &o), check_model(&m, &o));
    let key = |c: &ModelCheck| {
        let outs: Vec<_> = c.report.outcomes().to_vec();
        let finds: Vec<_> = c
            .report
            .findings()
            .iter()
            .map(|f| (f.kind(), f.replay().map(str::to_owned)))
            .collect();
        (outs, finds)
    };
    assert_eq!(key(&a), key(&b));
    // The lost update is found: outcomes 1 and 2.
    let values: Vec<&str> = a
        .report
        .outcomes()
        .iter()
        .map(|o| o.value.as_str())
        .collect();
    assert!(values.contains(&"1") && values.contains(&"2"), "{values:?}");
}

#[test]
fn exhaustive_and_pct_strategies_agree_with_the_headers() {
    for name in [
        "impure_global.fw",
        "nondeterministic.fw",
        "seed_function.fw",
    ] {
        for strategy in [
            Strategy::Exhaustive {
                max_preemptions: None,
            },
            Strategy::Pct { depth: 3 },
        ] {
            let o = CheckOptions {
                strategy: strategy.clone(),
                iterations: 200,
                ..opts()
            };
            let c = check_model(&model(name), &o);
            assert!(c.ok, "{strategy}: {}", describe(&c));
        }
    }
}

#[test]
fn a_model_without_header_passes_only_when_clean() {
    let clean = Model::from_source("clean.fw", "def main():\n    return wait(fork(abs, -3))\n")
        .expect("valid");
    assert!(check_model(&clean, &opts()).ok);
    let bad = Model::from_source("bad.fw", "def main():\n    assert False\n").expect("valid");
    let c = check_model(&bad, &opts());
    assert!(!c.ok);
    assert_eq!(c.verdict, ["deterministic", "panic"]);
}
