//! Workloads shared by `benches/sim.rs` and `examples/profile_w3.rs` (instruction counts
//! with callgrind), so both measure the same program.

use forkwait::sync::{Arc, Shared};
use forkwait::{fork, wait};

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
