//! A fixed simulator workload for instruction counts (wall-clock ratios on a shared
//! 2-core guest are noisy; instruction counts are not): benches/sim.rs's W3 (4 tasks × 3
//! racy read-then-write increments), 2000 executions, no shrinking.
//!
//! ```sh
//! cargo build --release -p forkwait --example profile_w3
//! valgrind --tool=callgrind target/release/examples/profile_w3
//! ```

use forkwait::Checker;

#[path = "../benches/workloads/mod.rs"]
mod workloads;

fn main() {
    let r = Checker::new()
        .iterations(2000)
        .shrink(false)
        .run(workloads::fw_w3);
    println!("{}", r.executions());
}
