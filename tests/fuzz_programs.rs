//! Differential properties of generated programs (`forkwait::fuzz`): a pure program has
//! one outcome in eager, parallel, traced and every explored simulated schedule; a
//! planted bug is reported with its kind (and class) within the default budget.

use forkwait::fuzz::{GenConfig, Plant, Program, Stmt, Task};
use forkwait::sync::StateClass;
use forkwait::{Checker, FindingKind, Runtime, Strategy};

fn forks(t: &Task) -> usize {
    t.body
        .iter()
        .map(|s| match s {
            Stmt::Fork { task, .. } | Stmt::Detach(task) => 1 + forks(task),
            Stmt::Scope(inner) => forks(&Task {
                body: inner.clone(),
            }),
            _ => 0,
        })
        .sum()
}

/// The waits the program makes (every `Wait` of a stored future, every `WaitArg` of a
/// task handed one).
fn waits(t: &Task, has_arg: bool) -> usize {
    t.body
        .iter()
        .map(|s| match s {
            Stmt::Wait(_) => 1,
            Stmt::WaitArg => usize::from(has_arg),
            Stmt::Fork { task, pass, .. } => waits(task, pass.is_some()),
            Stmt::Detach(task) => waits(task, false),
            // A scoped fork's explicit wait is a wait of the graph; the scope's join of
            // the others is not.
            Stmt::Scope(inner) => inner
                .iter()
                .map(|s| match s {
                    Stmt::Fork { task, .. } => waits(task, false),
                    Stmt::Wait(_) => 1,
                    _ => 0,
                })
                .sum(),
            _ => 0,
        })
        .sum()
}

/// The scopes of the tree, and how many of them join a fork implicitly (one they never
/// wait).
fn scopes(t: &Task) -> (usize, usize) {
    let mut n = (0, 0);
    for s in &t.body {
        let sub = match s {
            Stmt::Fork { task, .. } | Stmt::Detach(task) => scopes(task),
            Stmt::Scope(inner) => {
                let implicit = inner.iter().any(
                    |f| matches!(f, Stmt::Fork { slot, .. } if !inner.contains(&Stmt::Wait(*slot))),
                );
                let below = scopes(&Task {
                    body: inner.clone(),
                });
                (1 + below.0, usize::from(implicit) + below.1)
            }
            _ => (0, 0),
        };
        n = (n.0 + sub.0, n.1 + sub.1);
    }
    n
}

fn atomics(t: &Task) -> usize {
    t.body
        .iter()
        .map(|s| match s {
            Stmt::Atomic(_) => 1,
            Stmt::Fork { task, .. } | Stmt::Detach(task) => atomics(task),
            Stmt::Scope(inner) => atomics(&Task {
                body: inner.clone(),
            }),
            _ => 0,
        })
        .sum()
}

fn detaches(t: &Task) -> bool {
    t.body.iter().any(|s| match s {
        Stmt::Detach(_) => true,
        Stmt::Fork { task, .. } => detaches(task),
        Stmt::Scope(inner) => detaches(&Task {
            body: inner.clone(),
        }),
        _ => false,
    })
}

#[test]
fn a_pure_program_has_one_outcome_in_every_mode() {
    let cfg = GenConfig::default();
    let (mut passed, mut detached, mut scoped, mut joined, mut counted) = (0, 0, 0, 0, 0);
    for seed in 0..30 {
        let p = Program::generate(seed, &cfg);
        let eager = Runtime::eager().run(|| p.run());
        let parallel = Runtime::parallel(2).run(|| p.run());
        assert_eq!(parallel, eager, "seed {seed}: {p:?}");
        let (traced, graph) = forkwait::trace(|| p.run());
        assert_eq!(traced, eager, "seed {seed}");
        assert_eq!(graph.forks(), forks(&p.root), "seed {seed}");
        assert_eq!(graph.waits(), waits(&p.root, false), "seed {seed}");
        passed +=
            usize::from(p.root.body.iter().any(
                |s| matches!(s, Stmt::Fork { task, .. } if task.body.contains(&Stmt::WaitArg)),
            ));
        detached += usize::from(detaches(&p.root));
        let (sc, implicit) = scopes(&p.root);
        scoped += usize::from(sc > 0);
        joined += usize::from(implicit > 0);
        counted += usize::from(atomics(&p.root) > 0);
        // The same graph on a second trace.
        assert_eq!(forkwait::trace(|| p.run()).1, graph, "seed {seed}");
        for strategy in [Strategy::Random, Strategy::Pct { depth: 3 }] {
            let r = Checker::new()
                .strategy(strategy.clone())
                .iterations(60)
                .seed(seed)
                .run(|| p.run());
            assert!(r.is_clean(), "seed {seed} {strategy:?}: {r}");
            // A scoped future the scope joins is not an unwaited one (only a detached
            // task's is), and the atomic adds are warnings at most.
            if !detaches(&p.root) {
                assert!(!r.has(FindingKind::UnwaitedFuture), "seed {seed}: {r}");
            }
            let outcomes: Vec<&str> = r.outcomes().iter().map(|o| o.value.as_str()).collect();
            assert_eq!(outcomes, [eager.to_string()], "seed {seed} {strategy:?}");
        }
    }
    // The cases cover futures handed to a sibling and detached tasks.
    assert!(passed > 0 && detached > 0, "{passed} {detached}");
    // ... and scopes (some joining a fork implicitly) and the atomic counter.
    assert!(
        scoped >= 3 && joined > 0 && counted >= 3,
        "{scoped} {joined} {counted}"
    );
}

#[test]
fn a_small_pure_program_has_one_outcome_in_all_its_schedules() {
    let cfg = GenConfig {
        max_tasks: 3,
        max_depth: 2,
        max_body: 3,
        plant: None,
    };
    for seed in 0..10 {
        let p = Program::generate(seed, &cfg);
        let eager = Runtime::eager().run(|| p.run());
        let r = Checker::new()
            .strategy(Strategy::Exhaustive {
                max_preemptions: Some(2),
            })
            .iterations(2000)
            .run(|| p.run());
        assert!(r.is_clean(), "seed {seed}: {r}");
        assert_eq!(r.outcomes().len(), 1, "seed {seed}: {r}");
        assert_eq!(r.outcomes()[0].value, eager.to_string());
    }
}

#[test]
fn every_planted_bug_is_reported_with_its_kind_and_class() {
    for plant in Plant::ALL {
        let cfg = GenConfig {
            plant: Some(plant),
            ..GenConfig::default()
        };
        for seed in 0..4 {
            let p = Program::generate(seed, &cfg);
            let r = Checker::new().seed(seed).run(|| p.run());
            let found: Vec<_> = r
                .findings()
                .iter()
                .filter(|f| !f.is_warning() && f.kind() == plant.expected())
                .collect();
            assert!(
                !found.is_empty(),
                "{plant} seed {seed}: {r}\n{}",
                p.to_model()
            );
            if let Plant::ImpureWrite(class) = plant {
                let tag = format!("impure write ({})", class.name());
                assert!(
                    found.iter().any(|f| f.message().contains(&tag)),
                    "{plant} seed {seed}: {r}"
                );
            }
            // Nothing but the plant's own verdicts: no other kind of error.
            for f in r.findings().iter().filter(|f| !f.is_warning()) {
                let ok = f.kind() == plant.expected()
                    || (plant == Plant::Panic && f.kind() == FindingKind::Panic);
                assert!(ok, "{plant} seed {seed}: unexpected {:?}: {r}", f.kind());
            }
        }
    }
}

#[test]
fn the_input_plant_is_in_the_callers_task() {
    let cfg = GenConfig {
        plant: Some(Plant::ImpureWrite(StateClass::Input)),
        ..GenConfig::default()
    };
    for seed in 0..10 {
        let p = Program::generate(seed, &cfg);
        assert!(p.root.body.iter().any(|s| matches!(s, Stmt::Plant(_))));
    }
}

#[test]
fn shrinking_candidates_are_smaller_valid_programs() {
    let cfg = GenConfig {
        plant: Some(Plant::Race),
        ..GenConfig::default()
    };
    let p = Program::generate(11, &cfg);
    let cands = p.shrink_candidates();
    assert!(!cands.is_empty());
    for q in &cands {
        assert!(q.size() < p.size());
        // Still a race, still printable and still pure apart from the plant.
        let r = Checker::new().iterations(200).run(|| q.run());
        assert!(r.has(FindingKind::Race), "{q:?}");
    }
    // Greedy shrinking reaches the bare gadget.
    let mut cur = p;
    while let Some(next) = cur.shrink_candidates().into_iter().find(|q| {
        Checker::new()
            .iterations(200)
            .run(|| q.run())
            .has(FindingKind::Race)
    }) {
        cur = next;
    }
    assert_eq!(cur.root.body, [Stmt::Plant(Plant::Race)]);
}
