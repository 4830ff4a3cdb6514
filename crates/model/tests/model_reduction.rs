//! The exhaustive strategy's partial-order reduction on the `models/` corpus: where the
//! plain depth-first search finishes, the reduced search gets the same verdicts and the
//! same outcomes, in no more executions (list items, dict keys and attributes of a model
//! are separate locations, so disjoint ones commute).

use forkwait::Strategy;
use forkwait_model::{CheckOptions, Model, verdicts};
use std::path::{Path, PathBuf};

fn at_root() {
    std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .expect("the repository root exists");
}

fn corpus() -> Vec<PathBuf> {
    at_root();
    let mut out: Vec<PathBuf> = std::fs::read_dir("models")
        .expect("models/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "fw"))
        .collect();
    out.sort();
    out
}

#[test]
fn the_reduction_keeps_every_verdict_and_outcome_of_the_corpus() {
    const CAP: u64 = 1_000;
    let opts = CheckOptions {
        strategy: Strategy::Exhaustive {
            max_preemptions: None,
        },
        iterations: CAP,
        max_steps: 4000,
        ..CheckOptions::default()
    };
    let mut compared = 0;
    for f in corpus() {
        let m = Model::load(Path::new(&f)).unwrap_or_else(|e| panic!("{}", e.render()));
        let run = |reduced: bool| {
            opts.checker(m.path())
                .partial_order_reduction(reduced)
                .shrink(false)
                .run(|| m.run_main())
        };
        let plain = run(false);
        if plain.executions() >= CAP {
            continue;
        }
        let reduced = run(true);
        let values = |r: &forkwait::Report| {
            let mut v: Vec<String> = r.outcomes().iter().map(|o| o.value.clone()).collect();
            v.sort();
            v
        };
        let name = f.display();
        assert_eq!(verdicts(&reduced), verdicts(&plain), "{name}");
        assert_eq!(values(&reduced), values(&plain), "{name}");
        assert!(
            reduced.executions() <= plain.executions(),
            "{name}: {} > {}",
            reduced.executions(),
            plain.executions()
        );
        eprintln!(
            "{name}: {} executions reduced, {} plain",
            reduced.executions(),
            plain.executions()
        );
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} models compared");
}

/// Every model of the corpus, searched exhaustively with the reduction (to its end, no
/// iteration budget), gets the verdicts of its header.
#[test]
fn every_model_is_searched_to_its_end_and_gets_its_verdicts() {
    for f in corpus() {
        let m = Model::load(Path::new(&f)).unwrap_or_else(|e| panic!("{}", e.render()));
        // Not `CheckOptions::checker`, which sets an iteration budget.
        let r = forkwait::Checker::new()
            .strategy(Strategy::Exhaustive {
                max_preemptions: None,
            })
            .max_steps(4000)
            .shrink(false)
            .run(|| m.run_main());
        let name = f.display();
        eprintln!("{name}: {} executions", r.executions());
        assert!(
            forkwait_model::matches_expectation(m.expect(), &r),
            "{name}: {:?} vs {:?}",
            verdicts(&r),
            m.expect()
        );
    }
}
