//! A fixed simulator workload for instruction counts (wall-clock ratios on a shared
//! 2-core guest are noisy; instruction counts are not): benches/sim.rs's W3 (4 tasks × 3
//! racy read-then-write increments), 2000 executions, no shrinking.
//!
//! ```sh
//! cargo build --release -p forkwait --example profile_w3
//! valgrind --tool=callgrind target/release/examples/profile_w3
//! ```

use forkwait::sync::{Arc, Shared};
use forkwait::{Checker, fork, wait};
/// W3, as in benches/sim.rs.
fn fw_w3() {
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
fn main() {
    let r = Checker::new().iterations(2000).shrink(false).run(fw_w3);
    println!("{}", r.executions());
}
