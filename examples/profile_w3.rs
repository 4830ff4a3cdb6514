//! Fixed simulator workloads for instruction counts (wall-clock ratios on a shared 2-core
//! guest are noisy; instruction counts are not): benches/sim.rs's W1 (fork 2 pure tasks,
//! wait both), W3 (4 tasks × 3 racy read-then-write increments) and W4 (a task that forks
//! 2 and waits them), each as the bench runs it (`Checker::new().seed(0)`, Random).
//!
//! Arguments: the workload (`w1`, `w3`, `w4`, or `w0`: an empty closure, the fixed cost
//! of an execution; `sh1`, `sh3`, `sh4`: shuttle's side, as the bench runs it; default
//! `w3`), the number of executions
//! (default 2000), and `shrink` to shrink findings as the bench's `forkwait` rows do
//! (without it, no shrinking, as the bench's `forkwait_noshrink` row).
//!
//! ```sh
//! cargo build --release -p forkwait --example profile_w3
//! valgrind --tool=callgrind target/release/examples/profile_w3          # W3, 2000, no shrink
//! valgrind --tool=callgrind target/release/examples/profile_w3 w1 2000
//! ```

use forkwait::Checker;

#[path = "../benches/workloads/mod.rs"]
mod workloads;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workload = args.first().map_or("w3", String::as_str);
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let shrink = args.iter().any(|a| a == "shrink");
    // Shuttle's side of the same workloads, as the bench runs it (Random, seed 0).
    let shuttle: Option<fn()> = match workload {
        "sh1" => Some(workloads::sh_w1),
        "sh3" => Some(workloads::sh_w3),
        "sh4" => Some(workloads::sh_w4),
        _ => None,
    };
    if let Some(w) = shuttle {
        shuttle::check_random_with_seed(w, 0, n as usize);
        println!("{n} shuttle executions");
        return;
    }
    let c = Checker::new().iterations(n).seed(0).shrink(shrink);
    let r = match workload {
        "w0" => c.run(|| ()),
        "w1" => c.run(workloads::fw_w1),
        "w3" => c.run(workloads::fw_w3),
        "w4" => c.run(workloads::fw_w4),
        other => {
            eprintln!("unknown workload {other:?}: expected w0, w1, w3, w4, sh1, sh3 or sh4");
            std::process::exit(2);
        }
    };
    println!(
        "{} executions, {} findings",
        r.executions(),
        r.findings().len()
    );
}
