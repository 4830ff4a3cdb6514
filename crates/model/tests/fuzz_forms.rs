//! The two forms of a generated program (`forkwait::fuzz`): the Rust form run by the
//! checker and its `.fw` model checked by `check_model` get the same verdicts, which are
//! the plant's (`Plant::verdicts`), and a pure program has the same outcome in both.

use forkwait::Checker;
use forkwait::fuzz::{GenConfig, Plant, Program};
use forkwait_model::{CheckOptions, Model, check_model, verdicts};

/// Both forms' verdicts and outcomes of program `p` under `iterations` executions each.
fn forms(
    p: &Program,
    iterations: u64,
) -> (
    Vec<&'static str>,
    Vec<&'static str>,
    Vec<String>,
    Vec<String>,
) {
    let rust = Checker::new().iterations(iterations).run(|| p.run());
    let src = p.to_model();
    let model = Model::from_source("gen.fw", &src).unwrap_or_else(|e| panic!("{e}\n{src}"));
    let m = check_model(
        &model,
        &CheckOptions {
            iterations,
            ..CheckOptions::default()
        },
    );
    let outs = |r: &forkwait::Report| {
        r.outcomes()
            .iter()
            .map(|o| o.value.clone())
            .collect::<Vec<_>>()
    };
    (
        verdicts(&rust),
        m.verdict.clone(),
        outs(&rust),
        outs(&m.report),
    )
}

#[test]
fn pure_programs_agree_in_both_forms() {
    let (mut scoped, mut joined, mut counted) = (0, 0, 0);
    for seed in 0..24 {
        let p = Program::generate(seed, &GenConfig::default());
        let src = p.to_model();
        // A scope prints as forks `s{n}_{slot}`, and its implicit join as a bare wait.
        scoped += usize::from(src.contains(" = fork(") && src.contains("    s0_0 = fork("));
        joined += usize::from(src.contains("    wait(s"));
        counted += usize::from(src.contains("counter.fetch_add("));
        let (rv, mv, ro, mo) = forms(&p, 60);
        assert_eq!(rv, ["deterministic"], "seed {seed}\n{}", p.to_model());
        assert_eq!(mv, rv, "seed {seed}\n{}", p.to_model());
        assert_eq!(ro.len(), 1, "seed {seed}");
        assert_eq!(ro, mo, "seed {seed}\n{}", p.to_model());
    }
    // The seeds cover scopes (some joining a fork implicitly) and the atomic counter.
    assert!(
        scoped > 0 && joined > 0 && counted > 0,
        "{scoped} {joined} {counted}"
    );
}

#[test]
fn planted_programs_agree_in_both_forms() {
    for (i, plant) in Plant::ALL.into_iter().enumerate() {
        for seed in 0..3 {
            let cfg = GenConfig {
                plant: Some(plant),
                ..GenConfig::default()
            };
            let p = Program::generate(seed * 31 + i as u64, &cfg);
            let (rv, mv, _, _) = forms(&p, 1000);
            assert_eq!(
                rv,
                Plant::verdicts(Some(plant)),
                "{plant} seed {seed} (rust)\n{}",
                p.to_model()
            );
            assert_eq!(mv, rv, "{plant} seed {seed} (model)\n{}", p.to_model());
        }
    }
}
