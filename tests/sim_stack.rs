//! A simulated task that overflows its stack is a finding, not a crash of the test binary.

use forkwait::{Checker, FindingKind, fork, wait};

fn forking_recursion(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let pad = std::hint::black_box([n; 64]); // 512 bytes per level
    let f = fork(move || 1);
    wait(f) + forking_recursion(n - 1) + (pad[0] == u64::MAX) as u64
}

#[inline(never)]
fn plain_recursion(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let pad = std::hint::black_box([n; 64]);
    plain_recursion(n - 1) + (std::hint::black_box(pad)[1] == u64::MAX) as u64 + 1
}

fn overflow_finding(r: &forkwait::Report) -> bool {
    r.findings()
        .iter()
        .any(|f| f.kind() == FindingKind::Panic && f.message().contains("overflowed its stack"))
}

#[test]
fn recursion_through_scheduling_points_is_caught_before_the_guard_page() {
    let r = Checker::new()
        .iterations(3)
        .stack_size(256 * 1024)
        .run(|| wait(fork(|| forking_recursion(100_000))));
    assert!(overflow_finding(&r), "{r}");
    // The same code with room to spare is clean.
    let ok = Checker::new()
        .iterations(3)
        .stack_size(256 * 1024)
        .run(|| wait(fork(|| forking_recursion(20))));
    assert!(ok.is_clean(), "{ok}");
}

#[test]
fn plain_recursion_hitting_the_guard_page_is_reported_and_checking_goes_on() {
    let r = Checker::new()
        .iterations(5)
        .stack_size(256 * 1024)
        .shrink(false)
        .run(|| wait(fork(|| plain_recursion(1_000_000))));
    assert!(overflow_finding(&r), "{r}");
    assert_eq!(
        r.executions(),
        5,
        "every execution ran; the binary survived"
    );
    // And the stacks are reusable afterwards.
    let ok = Checker::new()
        .iterations(20)
        .stack_size(256 * 1024)
        .run(|| wait(fork(|| plain_recursion(10))));
    assert!(ok.is_clean(), "{ok}");
    assert_eq!(ok.outcomes()[0].value, "10");
}

#[test]
fn the_closure_under_test_is_protected_too() {
    let r = Checker::new()
        .iterations(2)
        .stack_size(256 * 1024)
        .shrink(false)
        .run(|| plain_recursion(1_000_000));
    assert!(overflow_finding(&r), "{r}");
}
