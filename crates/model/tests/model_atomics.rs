//! `AtomicInt(v)`: the model language's atomic integer (`fetch_add`, `load`, `store`) over
//! the library's instrumented `AtomicI64`. Its operations are scheduling points and
//! synchronize: a lost update through `load`/`store` is race-free but nondeterministic,
//! `fetch_add` counts are deterministic, and a forked task's `fetch_add` on its caller's
//! atomic is an impure write through synchronization: a warning by default (not the
//! `impure` verdict), an error under strict purity.

use forkwait::{Checker, FindingKind, Runtime};
use forkwait_model::{CheckOptions, Model, check_model, verdicts};

fn model(src: &str) -> Model {
    Model::from_source("t.fw", src).unwrap_or_else(|d| panic!("{}", d.render(src)))
}

const LOST_UPDATE: &str = "\
def bump(a):
    v = a.load()
    a.store(v + 1)
    return 0

def main():
    a = AtomicInt(0)
    f = fork(bump, a)
    g = fork(bump, a)
    wait(f)
    wait(g)
    return a.load()
";

const COUNTS: &str = "\
counter = AtomicInt(5)

def add(k):
    counter.fetch_add(k)
    return k

def main():
    fs = [fork(add, k) for k in range(1, 4)]
    total = sum([wait(f) for f in fs])
    return total * 100 + counter.load()
";

#[test]
fn a_lost_update_is_race_free_but_nondeterministic() {
    let m = model(LOST_UPDATE);
    let r = Checker::new().iterations(500).run(|| m.run_main());
    assert!(!r.has(FindingKind::Race), "{r}");
    assert!(r.has(FindingKind::Nondeterminism), "{r}");
    let mut outs: Vec<&str> = r.outcomes().iter().map(|o| o.value.as_str()).collect();
    outs.sort_unstable();
    assert_eq!(outs, ["1", "2"], "{r}");
    // The forked stores are impure writes through synchronization: warnings only.
    let impure: Vec<_> = r
        .findings()
        .iter()
        .filter(|f| f.kind() == FindingKind::ImpureWrite)
        .collect();
    assert!(
        !impure.is_empty() && impure.iter().all(|f| f.is_warning()),
        "{r}"
    );
    assert_eq!(verdicts(&r), ["nondeterministic"]);
}

#[test]
fn fetch_add_counts_are_deterministic() {
    let m = model(COUNTS);
    let eager = Runtime::eager()
        .run(|| m.try_run_main())
        .map(|v| format!("{v:?}"));
    assert_eq!(eager.as_deref().ok(), Some("611"));
    let par = Runtime::parallel(2)
        .run(|| m.try_run_main())
        .map(|v| format!("{v:?}"));
    assert_eq!(par.as_deref().ok(), Some("611"));
    let r = Checker::new().iterations(300).run(|| m.run_main());
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.outcomes().len(), 1, "{r}");
    assert_eq!(r.outcomes()[0].value, "611");
    assert!(!r.has(FindingKind::Race), "{r}");
}

#[test]
fn a_forked_fetch_add_is_not_an_impure_verdict_by_default() {
    let m = model(COUNTS);
    let c = check_model(
        &m,
        &CheckOptions {
            iterations: 100,
            ..CheckOptions::default()
        },
    );
    assert_eq!(c.verdict, ["deterministic"], "{}", c.report);
    // It is seen (a warning), and strict purity makes it an error.
    assert!(
        c.report
            .findings()
            .iter()
            .any(|f| f.kind() == FindingKind::ImpureWrite && f.is_warning()),
        "{}",
        c.report
    );
    let strict = Checker::new()
        .iterations(100)
        .strict_purity(true)
        .run(|| m.run_main());
    assert_eq!(verdicts(&strict), ["deterministic", "impure"], "{strict}");
}

#[test]
fn bad_atomic_calls_are_errors_not_panics() {
    for (src, msg) in [
        (
            "def main():\n    return AtomicInt('x')\n",
            "expects an integer",
        ),
        (
            "def main():\n    a = AtomicInt()\n    return a.fetch_add()\n",
            "fetch_add",
        ),
        (
            "def main():\n    a = AtomicInt()\n    return a.swap(1)\n",
            "no attribute 'swap'",
        ),
    ] {
        let m = model(src);
        let e = Runtime::eager().run(|| m.try_run_main());
        let d = e.err().unwrap_or_else(|| panic!("no error: {src}"));
        assert!(d.render(src).contains(msg), "{}", d.render(src));
    }
    // A wrong argument count is found when the model loads.
    let src = "def main():\n    return AtomicInt(1, 2)\n";
    let Err(d) = Model::from_source("t.fw", src) else {
        panic!("no load error: {src}");
    };
    assert!(
        d.render(src)
            .contains("AtomicInt() takes at most 1 argument")
    );
    // A fresh atomic starts at its value (0 by default); store returns None.
    let m =
        model("def main():\n    a = AtomicInt()\n    b = a.store(4)\n    return (a.load(), b)\n");
    let v = Runtime::eager()
        .run(|| m.try_run_main())
        .map(|v| format!("{v:?}"));
    assert_eq!(v.as_deref().ok(), Some("(4, None)"));
}
