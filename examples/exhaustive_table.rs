//! The exhaustive strategy's executions on the programs of issue 11's table and on W3
//! (4 tasks × 3 racy increments) with preemption bounds 1 and 2: with partial-order
//! reduction (the default) and without (plain depth-first search, capped).
//!
//! ```sh
//! cargo run --release -p forkwait --example exhaustive_table
//! # one W3 search, for instruction counts:
//! cargo build --release -p forkwait --example exhaustive_table
//! valgrind --tool=callgrind target/release/examples/exhaustive_table w3 1 reduced
//! valgrind --tool=callgrind target/release/examples/exhaustive_table w3 1 plain
//! ```

use forkwait::sync::{Arc, Shared};
use forkwait::{Checker, Report, Strategy, fork, wait};
use std::time::{Duration, Instant};

#[path = "../benches/workloads/mod.rs"]
mod workloads;
use workloads::{own_writes, pure_forks};

fn lost_update() -> usize {
    let c = Arc::new(Shared::new(0));
    let ts: Vec<_> = (0..2)
        .map(|_| {
            let c = c.clone();
            fork(move || c.write(c.read() + 1))
        })
        .collect();
    ts.into_iter().for_each(wait);
    c.read()
}

fn measure(bound: Option<u32>, reduced: bool, cap: u64, f: impl Fn() + Sync) -> (Report, Duration) {
    let start = Instant::now();
    let mut c = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: bound,
        })
        .shrink(false)
        .partial_order_reduction(reduced)
        .max_time(Duration::from_secs(60));
    if !reduced {
        c = c.iterations(cap);
    }
    let r = c.run(f);
    (r, start.elapsed())
}

fn row(name: &str, bound: Option<u32>, f: impl Fn() + Sync + Copy) {
    let (r, t) = measure(bound, true, 0, f);
    let (p, pt) = measure(bound, false, 1_000_000, f);
    println!(
        "| {name} | {} | {} ({:.2} s) | {} ({:.2} s) |",
        bound.map_or("none".to_string(), |b| b.to_string()),
        r.executions(),
        t.as_secs_f64(),
        p.executions(),
        pt.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [w3, bound, how] = &args[..] {
        assert_eq!(w3, "w3", "usage: exhaustive_table [w3 BOUND reduced|plain]");
        let bound = bound.parse().expect("a bound");
        let (r, t) = measure(Some(bound), how == "reduced", 10_000_000, workloads::fw_w3);
        println!("{} executions in {:.2} s", r.executions(), t.as_secs_f64());
        return;
    }
    println!("| program | bound | reduced: executions (time) | plain DFS: executions (time) |");
    println!("|---|---|---|---|");
    row("two forks returning constants", None, || {
        pure_forks(2);
    });
    row("four such forks", None, || {
        pure_forks(4);
    });
    for k in 1..=3 {
        row(
            &format!("two tasks each writing only their own variable ×{k}"),
            None,
            move || {
                own_writes(k);
            },
        );
    }
    row("2-task lost update", None, || {
        lost_update();
    });
    for b in [1, 2] {
        row("W3: 4 tasks × 3 racy increments", Some(b), workloads::fw_w3);
    }
}
