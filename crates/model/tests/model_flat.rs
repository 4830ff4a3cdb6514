//! Flat expressions of any length: a chain of binary operators of one precedence
//! (`1 + 2 + ... + 10000`, `a and b and ...`) is one flat node, parsed, resolved,
//! evaluated and dropped by loops, so its length costs no nesting and no stack. Truly
//! nested input (parentheses, prefix operators) is still a located "nested too deeply"
//! error. Before flat chains, every test here but the last was rejected at load time as
//! "expression nested too deeply".

use forkwait::Runtime;
use forkwait_model::{CheckOptions, Diagnostic, Model, Snapshot, check_model};

const N: usize = 10_000;

fn model(src: &str) -> Model {
    Model::from_source("flat.fw", src).unwrap_or_else(|d| panic!("{}", d.render(src)))
}

/// `main()`'s result (or error) in eager mode, in parallel mode and under the simulator
/// (one schedule, as `forkwait run --mode sim` and `check` run it); all three must agree.
fn run_everywhere(m: &Model) -> Result<String, String> {
    let show = |r: Result<Snapshot, Diagnostic>| match r {
        Ok(v) => Ok(format!("{v:?}")),
        Err(d) => Err(d.to_string()),
    };
    let eager = show(Runtime::eager().run(|| m.try_run_main()));
    let parallel = show(Runtime::parallel(2).run(|| m.try_run_main()));
    assert_eq!(eager, parallel, "eager vs parallel");
    let check = check_model(
        m,
        &CheckOptions {
            iterations: 3,
            ..CheckOptions::default()
        },
    );
    match &eager {
        Ok(v) => {
            assert!(check.report.is_clean(), "{}", check.report);
            assert_eq!(&check.report.outcomes()[0].value, v, "simulator");
        }
        Err(e) => {
            let r = &check.report;
            assert!(!r.findings().is_empty(), "{r}");
            assert!(r.findings()[0].message().contains(e.as_str()), "{r}");
        }
    }
    eager
}

/// `def main():` with `body` lines, then `return (` the operands joined by `op`, one per
/// line, `)` — so operand `i` (0-based) is on line `first_line + i`.
fn chain_model(prelude: &str, operands: &[String], op: &str) -> (String, u32) {
    let mut src = String::from("def main():\n");
    for l in prelude.lines() {
        src.push_str(&format!("    {l}\n"));
    }
    let first_line = src.lines().count() as u32 + 2;
    src.push_str("    return (\n");
    src.push_str(&operands.join(&format!(" {op}\n")));
    src.push_str("\n    )\n");
    (src, first_line)
}

#[test]
fn a_10000_term_sum_parses_checks_and_runs_in_every_mode() {
    let terms: Vec<String> = (1..=N).map(|i| i.to_string()).collect();
    let src = format!("def main():\n    return {}\n", terms.join(" + "));
    let t = std::time::Instant::now();
    let m = model(&src);
    let loaded = t.elapsed();
    let check = check_model(
        &m,
        &CheckOptions {
            iterations: 100,
            ..CheckOptions::default()
        },
    );
    let total = t.elapsed();
    eprintln!("10 000-term sum: load {loaded:?}, load + check (100 schedules) {total:?}");
    assert!(check.ok, "{}", check.report);
    assert_eq!(check.verdict, ["deterministic"]);
    let want = (N * (N + 1) / 2).to_string();
    assert_eq!(run_everywhere(&m), Ok(want));
}

#[test]
fn mixed_chains_are_left_associative_and_evaluated_left_to_right() {
    // 100000 - 1 - 2 - ... - 9999 + ... : subtraction chains must fold to the left.
    let mut terms = vec!["100000000".to_string()];
    terms.extend((1..N).map(|i| i.to_string()));
    let src = format!(
        "def main():\n    return [{}, 2 ** 20 {}, 7 * 6 // 4 % 5 * 3]\n",
        terms.join(" - "),
        " // 2".repeat(19),
    );
    let want = 100_000_000 - (N * (N - 1) / 2) as i64;
    assert_eq!(run_everywhere(&model(&src)), Ok(format!("[{want}, 2, 0]")));

    // Operands are evaluated left to right, once each, even in a long chain (2000 calls:
    // each is a few simulator steps, and an execution has 20 000).
    const CALLS: usize = 2_000;
    let operands: Vec<String> = (0..CALLS).map(|i| format!("f(log, {i})")).collect();
    let (src, _) = chain_model("log = []", &operands, "-");
    let src = format!(
        "def f(log, i):\n    log.append(i)\n    return i\n\n{}",
        src.replace("return (", "x = (").replace(
            "\n    )\n",
            "\n    )\n    return [x, log == list(range(2000)), len(log)]\n"
        )
    );
    let want = -((CALLS * (CALLS - 1) / 2) as i64);
    assert_eq!(
        run_everywhere(&model(&src)),
        Ok(format!("[{want}, True, {CALLS}]"))
    );
}

#[test]
fn a_10000_term_and_chain_short_circuits_in_every_mode() {
    // All truthy: `and` yields the last operand.
    let mut operands: Vec<String> = (1..=N).map(|i| format!("t + {i}")).collect();
    let (src, _) = chain_model("t = 0", &operands, "and");
    assert_eq!(run_everywhere(&model(&src)), Ok(N.to_string()));

    // A falsy operand in the middle stops the chain: nothing after it runs (the next
    // operand would append to the log; the one after that would fail).
    operands[N / 2] = "log".to_string();
    operands[N / 2 + 1] = "log.append(1)".to_string();
    operands[N / 2 + 2] = "1 // zero".to_string();
    let (src, _) = chain_model("log = []\nzero = 0\nt = 0", &operands, "and");
    let src = src
        .replace("return (", "x = (")
        .replace("\n    )\n", "\n    )\n    return [x, log]\n");
    assert_eq!(run_everywhere(&model(&src)), Ok("[[], []]".to_string()));

    // `or` yields the first truthy operand and stops there.
    let mut operands: Vec<String> = (0..N).map(|_| "t".to_string()).collect();
    operands[N - 2] = "'found'".to_string();
    operands[N - 1] = "1 // t".to_string();
    let (src, _) = chain_model("t = 0", &operands, "or");
    assert_eq!(run_everywhere(&model(&src)), Ok("'found'".to_string()));
}

#[test]
fn an_error_in_the_5000th_operand_points_at_it() {
    let at = 4_999; // 0-based: the 5000th operand
    // A runtime error of the operator before it (`int + str`): located at that `+`.
    let mut operands: Vec<String> = (0..N).map(|_| "one".to_string()).collect();
    operands[at] = "s".to_string();
    let (src, first) = chain_model("one = 1\ns = 'a'", &operands, "+");
    let line = first + at as u32 - 1; // the `+` ends the previous operand's line
    let err = run_everywhere(&model(&src)).unwrap_err();
    assert_eq!(
        err,
        format!("flat.fw:{line}:5: error: unsupported operand type(s) for +: 'int' and 'str'")
    );

    // A runtime error inside the operand: located in it.
    operands[at] = "d['missing']".to_string();
    let (src, first) = chain_model("one = 1\nd = {}", &operands, "+");
    let err = run_everywhere(&model(&src)).unwrap_err();
    let line = first + at as u32;
    assert!(err.starts_with(&format!("flat.fw:{line}:")), "{err}");

    // A load-time error (an unknown name) in the 5000th operand of an `or` chain.
    operands[at] = "nowhere".to_string();
    let (src, first) = chain_model("one = 1", &operands, "or");
    let d = Model::from_source("flat.fw", &src).expect_err("unknown name");
    assert_eq!((d.line, d.col), (first + at as u32, 1), "{d}");
    assert_eq!(d.message, "name 'nowhere' is not defined");

    // A literal type error in the first link of a long chain is still found at load.
    let src = format!("def main():\n    return 1 + 'a'{}\n", " + 1".repeat(N));
    let d = Model::from_source("flat.fw", &src).expect_err("int + str");
    assert_eq!((d.line, d.col), (2, 14), "{d}");
}

#[test]
fn truly_nested_expressions_are_still_a_located_error() {
    let shapes = [
        format!("{}1{}", "(".repeat(N), ")".repeat(N)),
        format!("{}1{}", "-(".repeat(N), ")".repeat(N)),
        format!("{}1", "-".repeat(N)),
        format!("{}1", "not ".repeat(N)),
        format!("[{}1{}]", "[".repeat(N), "]".repeat(N)),
        format!("1{}", " + (1".repeat(N) + &")".repeat(N)),
    ];
    for e in shapes {
        let src = format!("def main():\n    return {e}\n");
        let d = Model::from_source("deep.fw", &src).expect_err("too deep");
        assert!(d.message.contains("too deeply"), "{d}");
        assert_eq!(d.line, 2, "{d}");
    }
}
