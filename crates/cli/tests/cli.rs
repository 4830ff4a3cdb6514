//! The `forkwait` binary: `check`, `replay`, `run`, `trace`, exit statuses and errors.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{forkwait, stderr, stdout};

/// Quick settings (the livelock model runs into the step limit in every execution).
const QUICK: [&str; 4] = ["--iterations", "100", "--max-steps", "4000"];

/// A model file with `text` in the test's own scratch directory.
fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write model");
    p
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn check_models_passes_with_a_table() {
    let o = forkwait(&[&["check", "models"][..], &QUICK].concat());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    let header = out.lines().next().unwrap_or_default();
    for col in [
        "model",
        "verdicts",
        "executions",
        "outcomes",
        "time",
        "result",
    ] {
        assert!(header.contains(col), "{header}");
    }
    for line in [
        "models/seed_function.fw",
        "models/impure_global.fw",
        "models/starvation/nested_pool.fw",
    ] {
        let row = out
            .lines()
            .find(|l| l.starts_with(line))
            .unwrap_or_default();
        assert!(row.ends_with("ok"), "{row}");
    }
    assert!(out.contains("nondeterministic, impure, race"));
    assert!(out.contains("every one got the verdicts it expects"));
    // Findings come with their interleaving and the replay command.
    assert!(out.contains("== models/race.fw =="));
    assert!(out.contains("interleaving:"));
    assert!(out.contains("replay: forkwait replay models/race.fw fw1:"));
}

#[test]
fn jobs_do_not_change_the_output() {
    let one = forkwait(&[&["check", "models", "--json"][..], &QUICK].concat());
    let two = forkwait(&[&["check", "models", "--json", "--jobs", "3"][..], &QUICK].concat());
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(json(&one), json(&two));
    let paths: Vec<String> = json(&one)["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["path"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(paths.len() >= 12);
}

#[test]
fn json_document_has_the_documented_fields() {
    let o = forkwait(&[&["check", "models/impure_global.fw", "--json"][..], &QUICK].concat());
    assert_eq!(o.status.code(), Some(0));
    let m = &json(&o)["models"][0];
    assert_eq!(m["path"], "models/impure_global.fw");
    assert_eq!(
        m["verdict"],
        serde_json::json!(["nondeterministic", "impure", "race"])
    );
    assert_eq!(m["expected"], m["verdict"]);
    assert_eq!(m["ok"], true);
    assert_eq!(m["executions"], 100);
    let outcomes = m["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 2);
    for out in outcomes {
        assert!(out["value"].is_string() && out["count"].is_u64());
        assert!(
            out["replay"]
                .as_str()
                .is_some_and(|t| t.starts_with("fw1:"))
        );
    }
    let findings = m["findings"].as_array().expect("findings");
    let kinds: Vec<&str> = findings.iter().filter_map(|f| f["kind"].as_str()).collect();
    assert!(
        kinds.contains(&"Nondeterminism") && kinds.contains(&"Race"),
        "{kinds:?}"
    );
    for f in findings {
        assert!(f["message"].is_string());
        assert!(f["locations"].is_array());
        assert!(f["replay"].as_str().is_some_and(|t| t.starts_with("fw1:")));
    }
}

#[test]
fn a_mismatch_exits_1() {
    let p = scratch(
        "wrong_header.fw",
        "# expect: deterministic\nn = 0\ndef bump():\n    global n\n    n = n + 1\n\
         def main():\n    a = fork(bump)\n    b = fork(bump)\n    wait(a)\n    wait(b)\n    return n\n",
    );
    let path = p.to_str().expect("utf-8 path");
    let o = forkwait(&["check", path, "--iterations", "200"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("MISMATCH: expected deterministic"));
}

#[test]
fn a_malformed_model_exits_2_with_a_caret() {
    let p = scratch(
        "broken.fw",
        "def main():\n    x = 1\n    if x == 1\n        return x\n",
    );
    let path = p.to_str().expect("utf-8 path");
    let o = forkwait(&["check", path]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("error: expected ':' after the condition"),
        "{err}"
    );
    assert!(err.contains(&format!("--> {path}:3:14")), "{err}");
    assert!(
        err.contains("3 |     if x == 1\n  |              ^"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // Static errors too: an unknown name, a wrong argument count, a type error.
    for (src, at, msg) in [
        (
            "def main():\n    return undefined_thing\n",
            ":2:12",
            "name 'undefined_thing' is not defined",
        ),
        (
            "def foo(a, b):\n    return a\ndef main():\n    return wait(fork(foo, 1, 2, 3))\n",
            ":4:22",
            "foo() takes 2 positional arguments but 3 were given",
        ),
        (
            "def main():\n    return 1 + \"a\"\n",
            ":2:14",
            "unsupported operand type(s) for +: 'int' and 'str'",
        ),
        (
            "def main():\n    return 3(4)\n",
            ":2:12",
            "'int' object is not callable",
        ),
        ("def helper():\n    pass\n", ":1:1", "no `main()` function"),
    ] {
        let p = scratch("static.fw", src);
        let path = p.to_str().expect("utf-8 path");
        for cmd in ["check", "run", "trace"] {
            let o = forkwait(&[cmd, path]);
            assert_eq!(o.status.code(), Some(2), "{cmd} {src}");
            let err = stderr(&o);
            assert!(err.contains(&format!("{path}{at}")), "{err}");
            assert!(err.contains(msg) && err.contains('^'), "{err}");
        }
    }
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["check"][..],
        &["check", "--frobnicate", "models"],
        &["check", "--strategy", "bogus", "models"],
        &["check", "--iterations", "many", "models"],
        &["check", "--workers", "0", "models"],
        &["check", "--wait", "sometimes", "models"],
        &["check", "no/such/dir"],
        &["run", "models/seed_function.fw", "--mode", "quantum"],
        &["trace", "models/seed_function.fw", "--format", "svg"],
        &["replay", "models/seed_function.fw"],
        &["frobnicate"],
    ] {
        let o = forkwait(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?}");
    }
    assert_eq!(forkwait(&["--help"]).status.code(), Some(0));
}

#[test]
fn replay_reproduces_an_outcome_from_the_json() {
    let o = forkwait(&[
        "check",
        "models/lock_append.fw",
        "--json",
        "--iterations",
        "100",
    ]);
    let doc = json(&o);
    let outcomes = doc["models"][0]["outcomes"]
        .as_array()
        .expect("outcomes")
        .clone();
    assert_eq!(outcomes.len(), 2, "both orders of the appends");
    for out in outcomes {
        let token = out["replay"].as_str().expect("token");
        let r = forkwait(&["replay", "models/lock_append.fw", token]);
        let text = stdout(&r);
        let value = out["value"].as_str().expect("value");
        assert!(text.contains(&format!("outcome: {value}")), "{text}");
        // The impure appends are in every schedule: exit 1, and the steps on stderr.
        assert_eq!(r.status.code(), Some(1));
        assert!(text.contains("error[ImpureWrite]"));
        assert!(stderr(&r).contains("models/lock_append.fw:7:9"));
    }
}

#[test]
fn replay_of_a_finding_token_shows_the_finding() {
    let o = forkwait(&["check", "models/panic.fw", "--json", "--iterations", "20"]);
    let doc = json(&o);
    let token = doc["models"][0]["findings"][0]["replay"]
        .as_str()
        .expect("token");
    let r = forkwait(&["replay", "models/panic.fw", token]);
    assert_eq!(r.status.code(), Some(1));
    assert!(stdout(&r).contains("error[Panic]"));
    assert!(stdout(&r).contains("at models/panic.fw:6:14"));

    // With the worker settings `check` printed in its replay command.
    let flags = ["--workers", "1", "--wait", "block"];
    let o = forkwait(
        &[
            &[
                "check",
                "models/starvation/nested_pool.fw",
                "--iterations",
                "20",
            ][..],
            &flags,
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let cmd = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: forkwait "))
        .expect("a replay command");
    assert!(cmd.ends_with("--workers 1 --wait block"), "{cmd}");
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let r = forkwait(&args);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        stdout(&r).contains("error[Deadlock]: starvation"),
        "{}",
        stdout(&r)
    );
}

#[test]
fn a_corrupt_token_exits_2() {
    for token in [
        "fw1:garbage",
        "fw1:AAAA",
        "nonsense",
        "fw9:AAAAAAAAAAAAAAAA",
    ] {
        let r = forkwait(&["replay", "models/seed_function.fw", token]);
        assert_eq!(r.status.code(), Some(2), "{token}");
        let err = stderr(&r);
        assert!(err.starts_with("error: ") && err.contains("token"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn trace_prints_fork_and_wait_with_model_lines() {
    let o = forkwait(&["trace", "models/seed_function.fw"]);
    assert_eq!(o.status.code(), Some(0));
    let ir = stdout(&o);
    assert!(
        ir.contains("prim::fork") && ir.contains("aten::wait"),
        "{ir}"
    );
    assert!(ir.contains("# models/seed_function.fw:9:11"), "{ir}");
    assert!(ir.contains("# models/seed_function.fw:10:12"), "{ir}");
    assert!(ir.contains("Future[Value]"), "{ir}");

    let o = forkwait(&["trace", "models/seed_module.fw"]);
    let ir = stdout(&o);
    assert!(
        ir.contains("prim::fork") && ir.contains("models/seed_module.fw:15:15"),
        "{ir}"
    );
    assert!(ir.contains("# main() returned 4"), "{ir}");

    // Nested forks nest their subgraphs.
    let o = forkwait(&["trace", "models/fork_tree.fw"]);
    let ir = stdout(&o);
    assert_eq!(ir.matches("prim::fork").count(), 14, "{ir}");
    assert_eq!(ir.matches("aten::wait").count(), 14, "{ir}");
    assert!(
        ir.contains("      block"),
        "nested blocks are indented: {ir}"
    );

    let dot = stdout(&forkwait(&[
        "trace",
        "models/seed_function.fw",
        "--format",
        "dot",
    ]));
    assert!(dot.starts_with("digraph forkwait {") && dot.contains("seed_function.fw:9:11"));
    let o = forkwait(&["trace", "models/seed_function.fw", "--format", "json"]);
    let v = json(&o);
    assert_eq!(v["nodes"][0]["op"], "prim::fork");
    assert_eq!(v["nodes"][1]["op"], "aten::wait");
    assert_eq!(v["result"], "4");
}

#[test]
fn run_modes_agree_on_a_pure_model() {
    let mut results = Vec::new();
    for mode in ["eager", "parallel", "sim"] {
        let o = forkwait(&["run", "models/fork_tree.fw", "--mode", mode]);
        assert_eq!(o.status.code(), Some(0), "{mode}: {}", stderr(&o));
        results.push(stdout(&o));
    }
    assert_eq!(results[0], "1240\n");
    assert!(results.iter().all(|r| *r == results[0]), "{results:?}");
    let o = forkwait(&[
        "run",
        "models/seed_module.fw",
        "--mode",
        "parallel",
        "--threads",
        "1",
    ]);
    assert_eq!(stdout(&o), "4\n");
}

#[test]
fn run_reports_a_runtime_error_with_its_location() {
    let o = forkwait(&["run", "models/panic.fw"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("--> models/panic.fw:6:14"), "{err}");
    assert!(
        err.contains("6 |     return a + b") && err.contains('^'),
        "{err}"
    );
    assert!(
        err.contains("re-raised by `wait` at models/panic.fw:11:23"),
        "{err}"
    );
    assert!(!err.contains("panicked at"), "{err}");

    let p = scratch(
        "printing.fw",
        "def main():\n    print('hello', 1, [2])\n    return None\n",
    );
    let o = forkwait(&["run", p.to_str().expect("utf-8 path")]);
    assert_eq!(stdout(&o), "hello 1 [2]\nNone\n");
}

#[test]
fn replay_works_for_a_deeply_recursive_model() {
    // Deeper than the library's default task stack: replay runs it with the model stack.
    let p = scratch(
        "deep.fw",
        "def f(n):\n    if n == 0:\n        return 0\n    return 1 + f(n - 1)\n\n\
         def main():\n    return wait(fork(f, 60))\n",
    );
    let path = p.to_str().expect("utf-8 path");
    let o = forkwait(&["check", path, "--json", "--iterations", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let doc = json(&o);
    let token = doc["models"][0]["outcomes"][0]["replay"]
        .as_str()
        .expect("token");
    let r = forkwait(&["replay", path, token]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(stdout(&r), "outcome: 60\n");
}
