//! The regression file (`forkwait-regressions/<test>.txt`) keeps each failing token once,
//! however many times the failing test runs (SPEC §2: "bare tokens, deduplicated").

use forkwait::Checker;

#[test]
fn a_failing_token_is_stored_once() {
    let name = "zz_regressions_dedupe_probe";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("forkwait-regressions")
        .join(format!("{name}.txt"));
    let _ = std::fs::remove_file(&path);
    for _ in 0..3 {
        let failed = std::panic::catch_unwind(|| {
            Checker::from_env()
                .name(name)
                .iterations(5)
                .check(|| -> () { panic!("always") })
        });
        assert!(failed.is_err());
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let tokens: Vec<&str> = text.lines().filter(|l| l.starts_with("fw")).collect();
    assert_eq!(
        tokens.len(),
        1,
        "the same token was stored repeatedly:\n{text}"
    );
}

/// A lost update through an atomic `load` + `store`: outcome 1 or 2 depending on the
/// schedule, and no other error (atomics do not race; their impure writes are warnings).
fn lost_update() -> usize {
    use forkwait::sync::Arc;
    use forkwait::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let n = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            forkwait::fork(move || n.store(n.load(SeqCst) + 1, SeqCst))
        })
        .collect();
    tasks.into_iter().for_each(forkwait::wait);
    n.load(SeqCst)
}

#[test]
fn a_nondeterminism_keeps_both_schedules_and_they_replay_the_divergence() {
    let name = "zz_regressions_nondeterminism_probe";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("forkwait-regressions")
        .join(format!("{name}.txt"));
    let _ = std::fs::remove_file(&path);
    let failed = std::panic::catch_unwind(|| {
        Checker::from_env()
            .name(name)
            .iterations(200)
            .check(lost_update)
    });
    assert!(failed.is_err());
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let tokens: Vec<&str> = text.lines().filter(|l| l.starts_with("fw")).collect();
    assert!(tokens.len() >= 2, "both schedules kept:\n{text}");
    assert!(text.contains("# Nondeterminism"), "{text}");
    let outcomes: std::collections::BTreeSet<String> = tokens
        .iter()
        .map(|t| {
            forkwait::replay(t, lost_update).unwrap().outcomes()[0]
                .value
                .clone()
        })
        .collect();
    assert_eq!(
        outcomes.len(),
        2,
        "the kept schedules diverge: {outcomes:?}"
    );
}
