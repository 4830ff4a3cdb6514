//! SCTBench's `reorder_N` with its two shared variables behind mutexes instead of
//! `SeqCst` atomics, on forkwait and loom (preemption bound 2, as the SCTBench table of
//! `benches/exhaustive.rs`): executions to the first bug.
//!
//! With atomics loom finds `reorder_3` and `reorder_4` in 2 executions: loom models
//! `SeqCst` more weakly than sequential consistency (a load may read an older store,
//! tokio-rs/loom#180), so its second execution reads `b`'s initial value after `a`'s new
//! one *in the first interleaving*. forkwait's simulator is sequentially consistent:
//! the bug needs another interleaving, two race reversals away from the first one.
//! Behind mutexes every access is sequentially consistent in both tools, and the count
//! is the interleaving search's alone.
//!
//! ```sh
//! cargo run --release -p forkwait --example reorder_sc -- 2 loom   # reorder_3
//! cargo run --release -p forkwait --example reorder_sc -- 2 fw
//! ```
//!
//! Arguments: the number of setters (`reorder_N` has `N - 1`), and `loom` or `fw`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Executions loom ran (its closure is called once per execution).
static LOOM_RUNS: AtomicU64 = AtomicU64::new(0);

macro_rules! reorder {
    ($name:ident, $sync:path, $spawn:path) => {
        /// `setters` tasks write `a = 1` then `b = -1`; one checker reads both.
        fn $name(setters: usize) {
            use $sync::{Arc, Mutex};
            let a = Arc::new(Mutex::new(0));
            let b = Arc::new(Mutex::new(0));
            let mut hs = Vec::new();
            for _ in 0..setters {
                let (a, b) = (a.clone(), b.clone());
                hs.push($spawn(move || {
                    *a.lock().unwrap() = 1;
                    *b.lock().unwrap() = -1;
                }));
            }
            hs.push($spawn(move || {
                let x = *a.lock().unwrap();
                let y = *b.lock().unwrap();
                assert!(
                    (x == 0 && y == 0) || (x == 1 && y == -1),
                    "a = {x}, b = {y}"
                );
            }));
            for h in hs {
                h.join().unwrap();
            }
        }
    };
}

reorder!(on_loom, loom::sync, loom::thread::spawn);
reorder!(on_forkwait, forkwait::sync, forkwait::thread::spawn);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(setters), Some(tool)) = (args.first().and_then(|a| a.parse().ok()), args.get(1))
    else {
        eprintln!("usage: reorder_sc SETTERS loom|fw");
        std::process::exit(2);
    };
    std::panic::set_hook(Box::new(|_| {}));
    match tool.as_str() {
        "loom" => {
            let mut b = loom::model::Builder::new();
            b.preemption_bound = Some(2);
            let found = std::panic::catch_unwind(move || {
                b.check(move || {
                    LOOM_RUNS.fetch_add(1, Relaxed);
                    on_loom(setters)
                })
            })
            .is_err();
            let n = LOOM_RUNS.load(Relaxed);
            println!(
                "loom: {} after {n} executions",
                if found { "found" } else { "missed" }
            );
        }
        _ => {
            let c = forkwait::Checker::new()
                .strategy(forkwait::Strategy::Exhaustive {
                    max_preemptions: Some(2),
                })
                .iterations(10_000)
                .shrink(false);
            let r = std::panic::catch_unwind(move || c.check(move || on_forkwait(setters)));
            let report = r.err().and_then(|e| e.downcast_ref::<String>().cloned());
            let line = report.as_deref().and_then(|t| t.lines().nth(1));
            println!(
                "forkwait: {}",
                line.unwrap_or("missed within 10,000 executions")
            );
        }
    }
}
