//! One `Checker` may be shared between threads: it is `Send + Sync`, and runs made from
//! several threads at once report what the same runs report one after the other (a run's
//! own state — the program's site, its deadline, a replay's step cap — is the run's).

use forkwait::{Checker, FindingKind, fork, wait};
use std::time::Duration;

mod common;
use common::lost_update;

fn pure() -> u64 {
    let a = fork(|| 20);
    let b = fork(|| 22);
    wait(a) + wait(b)
}

#[test]
fn a_checker_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Checker>();
}

#[test]
fn runs_from_two_threads_at_once_report_what_sequential_runs_do() {
    let checker = Checker::new()
        .iterations(200)
        .seed(7)
        .max_time(Duration::from_secs(60));
    // A report's first line names the call site of `run`; the rest is the run's.
    let split = |r: forkwait::Report| {
        let text = r.to_string();
        let (head, body) = text.split_once('\n').expect("a header line");
        (head.to_string(), body.to_string())
    };
    let alone = (split(checker.run(lost_update)), split(checker.run(pure)));
    let (racy_line, pure_line) = (line!() + 2, line!() + 3);
    let together = std::thread::scope(|s| {
        let a = s.spawn(|| split(checker.run(lost_update)));
        let b = s.spawn(|| split(checker.run(pure)));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(together.0.1, alone.0.1);
    assert_eq!(together.1.1, alone.1.1);
    // Each concurrent run is named after its own call site, not the other's.
    assert!(
        together
            .0
            .0
            .contains(&format!("checker_shared.rs:{racy_line}:"))
    );
    assert!(
        together
            .1
            .0
            .contains(&format!("checker_shared.rs:{pure_line}:"))
    );
    let racy_report = checker.run(lost_update);
    assert!(racy_report.has(FindingKind::Race));
    assert!(checker.run(pure).is_clean());
}
