//! Workloads shared by `benches/sim.rs` and `examples/profile_w3.rs` (instruction counts
//! with callgrind), so both measure the same program.

use forkwait::sync::{Arc, Shared};
use forkwait::{fork, wait};
use std::hint::black_box;

/// W1: fork 2 pure tasks, wait both.
pub fn fw_w1() -> u64 {
    let a = fork(|| black_box(1u64));
    let b = fork(|| black_box(2u64));
    wait(a) + wait(b)
}

/// W3: 4 tasks × 3 racy increments (read, then write: two scheduling points each). Returns
/// nothing, like the shuttle side, so the checker sees one outcome.
pub fn fw_w3() {
    let c = Arc::new(Shared::new(0usize));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            fork(move || {
                for _ in 0..3 {
                    c.write(c.read() + 1);
                }
            })
        })
        .collect();
    for h in hs {
        wait(h);
    }
}

/// W4: a task that forks 2 and waits them; main waits it.
pub fn fw_w4() -> u64 {
    let t = fork(|| {
        let a = fork(|| black_box(1u64));
        let b = fork(|| black_box(2u64));
        wait(a) + wait(b)
    });
    wait(t)
}
