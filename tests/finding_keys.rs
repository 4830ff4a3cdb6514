//! Findings are deduplicated by key (a race by its pair of sites), and the race/purity
//! analysis of an execution is skipped when every key it could report is already a
//! finding (`src/sim/check/covered.rs`). These tests pin that neither loses a finding.

use forkwait::sync::atomic::{AtomicUsize, Ordering};
use forkwait::sync::{Arc, Shared};
use forkwait::{Checker, FindingKind, Report, Strategy, fork, wait};

/// The location pairs of a report's races, each pair sorted.
fn race_sites(r: &Report) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = r
        .findings()
        .iter()
        .filter(|f| f.kind() == FindingKind::Race)
        .map(|f| {
            let mut l = f.locations().to_vec();
            l.sort();
            l
        })
        .collect();
    v.sort();
    v
}

/// Two tasks each read a counter, then write it plus one (their own sites: R1, W1 and
/// R2, W2).
fn two_task_lost_update() -> usize {
    let c = Arc::new(Shared::new(0usize));
    let (a, b) = (c.clone(), c.clone());
    let t = fork(move || a.write(a.read() + 1));
    let u = fork(move || b.write(b.read() + 1));
    wait(t);
    wait(u);
    c.read()
}

#[test]
fn each_pair_of_racing_sites_is_its_own_finding() {
    // {W1, W2}, {R1, W2} and {R2, W1}. With a pair key that XOR-ed the two site keys,
    // {R1, W2} and {R2, W1} collided in some processes (it depended on the address of the
    // file name), and one of the two races went unreported.
    for strategy in [Strategy::Random, Strategy::Pct { depth: 2 }] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .seed(0)
            .iterations(300)
            .run(two_task_lost_update);
        let races = race_sites(&r);
        assert_eq!(races.len(), 3, "{strategy}: {races:?}\n{r}");
        let distinct: std::collections::BTreeSet<_> = races.iter().collect();
        assert_eq!(distinct.len(), 3, "{strategy}: {races:?}");
    }
}

/// Both tasks write `x` at one site (a race every execution reports); task 2 reads `y`,
/// which task 1 writes, only when it runs before task 1 has set the flag: a race that
/// only some schedules show, after the executions that reported everything else.
fn late_race() -> usize {
    let x = Arc::new(Shared::new(0usize));
    let y = Arc::new(Shared::new(0usize));
    let flag = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..2)
        .map(|i| {
            let (x, y, flag) = (x.clone(), y.clone(), flag.clone());
            fork(move || {
                x.write(i);
                if i == 0 {
                    y.write(1);
                    flag.store(1, Ordering::SeqCst);
                    0
                } else if flag.load(Ordering::SeqCst) == 0 {
                    y.read()
                } else {
                    0
                }
            })
        })
        .collect();
    hs.into_iter().map(wait).sum()
}

#[test]
fn a_race_only_some_schedules_show_is_found_after_the_others() {
    // The default schedule runs task 1 to its end first: task 2 sees the flag set and
    // never reads `y`. Those executions can only report what is already reported (the
    // race on `x` and the impure writes), so their analysis is skipped; an execution
    // where task 2 reads `y` early must still be analysed.
    let strategies = [
        Strategy::Random,
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ];
    for strategy in strategies {
        let r = Checker::new()
            .strategy(strategy.clone())
            .seed(3)
            .iterations(200)
            .run(late_race);
        let races = race_sites(&r);
        assert_eq!(races.len(), 2, "{strategy}: {races:?}\n{r}");
        assert!(
            r.findings()
                .iter()
                .any(|f| f.kind() == FindingKind::Race && f.message().contains("reads")),
            "{strategy}: the read of y is one of the races\n{r}"
        );
    }
}
