//! Purity violations and races, proven by happens-before even when the outcome never
//! changes: each case with the bug (reported) and without (silent).

use forkwait::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use forkwait::sync::{Mutex, Shared};
use forkwait::{Checker, Finding, FindingKind, Report, fork, scope, wait};
use std::sync::Arc;

fn run<T: std::fmt::Debug>(f: impl Fn() -> T) -> Report {
    Checker::new().iterations(300).run(f)
}

fn only(r: &Report, kind: FindingKind) -> Vec<&Finding> {
    r.findings().iter().filter(|f| f.kind() == kind).collect()
}

#[test]
fn lost_update_is_a_race_an_impure_write_and_nondeterministic() {
    let r = run(|| {
        let c = Arc::new(Shared::new(0));
        let c2 = c.clone();
        let t = fork(move || c2.write(c2.read() + 1));
        c.write(c.read() + 1);
        wait(t);
        c.read()
    });
    assert!(r.has(FindingKind::Race), "{r}");
    assert!(r.has(FindingKind::ImpureWrite));
    assert!(r.has(FindingKind::Nondeterminism));
    // The race report names both accesses' source lines.
    let race = only(&r, FindingKind::Race)[0];
    assert_eq!(race.locations().len(), 2);
    assert!(race.locations().iter().all(|l| l.contains("purity.rs:")));
    assert_ne!(race.locations()[0], race.locations()[1]);
}

#[test]
fn same_value_double_write_is_racy_and_impure_but_deterministic() {
    let r = run(|| {
        let flag = Arc::new(Shared::new(false));
        let (a, b) = (flag.clone(), flag.clone());
        let ta = fork(move || a.write(true));
        let tb = fork(move || b.write(true));
        wait(ta);
        wait(tb);
        flag.read()
    });
    assert!(r.has(FindingKind::Race), "{r}");
    assert!(r.has(FindingKind::ImpureWrite));
    assert!(!r.has(FindingKind::Nondeterminism));
    assert_eq!(r.outcomes().len(), 1);
}

#[test]
fn appends_under_a_lock_are_impure_not_racy_and_nondeterministic() {
    let r = run(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let ts: Vec<_> = (0..2)
            .map(|i| {
                let l = log.clone();
                fork(move || l.lock().unwrap().push(i))
            })
            .collect();
        ts.into_iter().for_each(wait);
        log.lock().unwrap().clone()
    });
    assert!(r.has(FindingKind::ImpureWrite), "{r}");
    assert!(
        !r.has(FindingKind::Race),
        "lock-ordered accesses are never races: {r}"
    );
    assert!(r.has(FindingKind::Nondeterminism));
    let imp = only(&r, FindingKind::ImpureWrite)[0];
    assert!(imp.message().contains("(input)"), "{}", imp.message());
}

#[test]
fn mutating_a_handed_vec_read_after_wait_is_impure_input_only() {
    let r = run(|| {
        let v = Arc::new(Shared::new(vec![3, 1, 2]));
        let v2 = v.clone();
        let t = fork(move || v2.update(|xs| xs.sort()));
        wait(t);
        v.read()
    });
    assert!(r.has(FindingKind::ImpureWrite), "{r}");
    assert!(!r.has(FindingKind::Race), "ordered by wait: {r}");
    assert!(!r.has(FindingKind::Nondeterminism));
    let imp = only(&r, FindingKind::ImpureWrite)[0];
    assert!(imp.message().contains("(input)"));
    assert_eq!(
        imp.locations().len(),
        2,
        "the write and where the state was created"
    );
}

struct Model {
    calls: Shared<u32>,
    scale: u32,
}

impl Model {
    fn forward(&self, x: u32) -> u32 {
        self.calls.update(|c| *c += 1); // counts its own calls: a module attribute
        x * self.scale
    }
}

#[test]
fn a_module_counting_its_own_calls_is_module_attribute_impurity() {
    let r = run(|| {
        let m = Arc::new(Model {
            calls: Shared::attribute(0),
            scale: 3,
        });
        let m2 = m.clone();
        let t = fork(move || m2.forward(2));
        wait(t)
    });
    let imp = only(&r, FindingKind::ImpureWrite);
    assert_eq!(imp.len(), 1, "{r}");
    assert!(
        imp[0].message().contains("module-attribute"),
        "{}",
        imp[0].message()
    );
    assert!(!r.has(FindingKind::Nondeterminism));
}

static HITS: Shared<u64> = Shared::new_static(0);

#[test]
fn writing_a_static_is_global_impurity() {
    let r = run(|| {
        let t = fork(|| HITS.update(|h| *h += 1));
        wait(t);
    });
    let imp = only(&r, FindingKind::ImpureWrite);
    assert_eq!(imp.len(), 1, "{r}");
    assert!(
        imp[0].message().contains("(global)"),
        "{}",
        imp[0].message()
    );
    assert!(imp[0].message().contains("outside the program"));
}

fn tree(data: Arc<Vec<Shared<u64>>>, lo: usize, hi: usize) -> u64 {
    if hi - lo <= 2 {
        return data[lo..hi].iter().map(|c| c.read()).sum();
    }
    let mid = (lo + hi) / 2;
    let d = data.clone();
    let right = fork(move || tree(d, mid, hi));
    tree(data, lo, mid) + wait(right)
}

#[test]
fn pure_nested_fork_trees_over_read_only_data_are_clean() {
    let r = Checker::new().iterations(3000).run(|| {
        let data = Arc::new((1..=16u64).map(Shared::new).collect::<Vec<_>>());
        tree(data, 0, 16)
    });
    assert!(r.findings().is_empty(), "{r}");
    assert_eq!(r.executions(), 3000);
    assert_eq!(r.outcomes()[0].value, "136");
}

#[test]
fn state_created_in_a_task_and_mutated_by_its_children_is_clean() {
    let r = run(|| {
        let t = fork(|| {
            let acc = Arc::new(AtomicUsize::new(0));
            let own = Arc::new(Shared::new(Vec::new()));
            let kids: Vec<_> = (0..3)
                .map(|i| {
                    let (a, o) = (acc.clone(), own.clone());
                    fork(move || {
                        a.fetch_add(i, SeqCst);
                        o.update(|v| v.push(i));
                    })
                })
                .collect();
            kids.into_iter().for_each(wait);
            let mut v = own.read();
            v.sort();
            (acc.load(SeqCst), v)
        });
        wait(t)
    });
    assert!(!r.has(FindingKind::ImpureWrite), "{r}");
    // The children's updates are unordered with each other: racy, though pure.
    assert!(r.has(FindingKind::Race));
    assert!(!r.has(FindingKind::Nondeterminism));
}

#[test]
fn fork_and_wait_order_accesses() {
    // Parent writes before the fork, child writes, parent reads after the wait: no race.
    let r = run(|| {
        let c = Arc::new(Shared::new(0));
        c.write(1);
        let c2 = c.clone();
        let t = fork(move || {
            let mine = Shared::new(c2.read());
            mine.write(mine.read() + 1);
            mine.read()
        });
        let v = wait(t);
        c.write(v);
        c.read()
    });
    assert!(r.findings().is_empty(), "{r}");
}

#[test]
fn atomics_synchronize_and_are_never_races() {
    let r = run(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..3)
            .map(|_| {
                let n = n.clone();
                fork(move || {
                    n.fetch_add(1, SeqCst);
                })
            })
            .collect();
        ts.into_iter().for_each(wait);
        n.load(SeqCst)
    });
    assert!(!r.has(FindingKind::Race), "{r}");
    assert!(r.has(FindingKind::ImpureWrite)); // still the caller's counter
}

#[test]
fn accepted_impurity_by_object_and_by_site() {
    let program = || {
        let metric = Arc::new(Shared::new(0).impurity_allowed());
        let data = Arc::new(Shared::new(0));
        let (m, d) = (metric.clone(), data.clone());
        let t = fork(move || {
            m.update(|n| *n += 1);
            d.update(|n| *n += 1);
        });
        wait(t);
    };
    let r = run(program);
    let imp = only(&r, FindingKind::ImpureWrite);
    assert_eq!(imp.len(), 1, "only the data write: {r}");
    let by_site = Checker::new()
        .iterations(50)
        .allow_impure_at("purity.rs")
        .run(program);
    assert!(!by_site.has(FindingKind::ImpureWrite));
}

#[test]
fn one_finding_per_site_not_per_execution() {
    let r = Checker::new().iterations(500).run(|| {
        let c = Arc::new(Shared::new(0));
        let ts: Vec<_> = (0..3)
            .map(|_| {
                let c = c.clone();
                fork(move || c.update(|v| *v += 1))
            })
            .collect();
        ts.into_iter().for_each(wait);
    });
    assert_eq!(only(&r, FindingKind::ImpureWrite).len(), 1, "{r}");
    assert_eq!(only(&r, FindingKind::Race).len(), 1, "{r}");
}

#[test]
fn scoped_borrows_are_analyzed_too() {
    let r = run(|| {
        let cell = Shared::new(0);
        scope(|s| {
            let a = s.fork(|| cell.update(|v| *v += 1));
            s.wait(a);
        });
        cell.read()
    });
    assert!(r.has(FindingKind::ImpureWrite), "{r}");
    assert!(!r.has(FindingKind::Race));
}
