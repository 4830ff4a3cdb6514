//! Helpers shared by the model language's test files: load a model, run its `main()` in
//! eager mode, check it under the simulator. Each file names its model (`file`), which
//! shows in located messages and findings.

#![allow(dead_code)] // each test file uses its own share

use forkwait::{FindingKind, Runtime};
use forkwait_model::{CheckOptions, Model, ModelCheck, check_model};

/// The model `file` with source `src`; a load error fails the test, rendered.
pub fn model(file: &str, src: &str) -> Model {
    Model::from_source(file, src).unwrap_or_else(|d| panic!("{}", d.render(src)))
}

/// `main()`'s result in eager mode, as its repr; a runtime error fails the test.
pub fn eval(file: &str, src: &str) -> String {
    let m = model(file, src);
    match Runtime::eager().run(|| m.try_run_main()) {
        Ok(v) => format!("{v:?}"),
        Err(d) => panic!("{}", d.render(src)),
    }
}

/// The load error of `src`, as `line:col: message`.
pub fn load_error(file: &str, src: &str) -> String {
    let Err(d) = Model::from_source(file, src) else {
        panic!("expected a load error");
    };
    format!("{}:{}: {}", d.line, d.col, d.message)
}

/// The runtime error of `main()` in eager mode, as `line:col: message`.
pub fn run_error(file: &str, src: &str) -> String {
    let m = model(file, src);
    let d = Runtime::eager()
        .run(|| m.try_run_main())
        .expect_err("a runtime error");
    format!("{}:{}: {}", d.line, d.col, d.message)
}

/// The model checked with `iterations` executions of the default strategy.
pub fn check(file: &str, src: &str, iterations: u64) -> ModelCheck {
    let opts = CheckOptions {
        iterations,
        ..CheckOptions::default()
    };
    check_model(&model(file, src), &opts)
}

/// The verdicts of [`check`], asserting that no execution panicked (a model error in a
/// correct test program would otherwise read as a verdict).
pub fn verdict(file: &str, src: &str, iterations: u64) -> Vec<&'static str> {
    let c = check(file, src, iterations);
    let panics = c
        .report
        .findings()
        .iter()
        .any(|f| f.kind() == FindingKind::Panic);
    assert!(!panics, "{}", c.report);
    c.verdict
}

/// The distinct outcomes (`main()`'s values) a check saw, in the report's order.
pub fn outcomes(c: &ModelCheck) -> Vec<&str> {
    c.report
        .outcomes()
        .iter()
        .map(|o| o.value.as_str())
        .collect()
}

/// `src` with each of its lines left out in turn (for "malformed input is an error, never
/// a panic" tests).
pub fn line_drops(src: &str) -> impl Iterator<Item = String> + '_ {
    let lines: Vec<&str> = src.lines().collect();
    (0..lines.len()).map(move |skip| {
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        kept.join("\n")
    })
}
