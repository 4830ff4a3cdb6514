//! One SCTBench port (`benches/sctbench/programs.rs`) under the exhaustive search with a
//! preemption bound of 2, as `tests/sctbench.rs` runs it: prints the executions to the
//! first bug (or `missed`). For trying changes to the search one port at a time, and for
//! measuring its memory:
//!
//! ```sh
//! cargo build --release -p forkwait --example sct_one
//! /usr/bin/time -f "%e s %M KB" target/release/examples/sct_one twostage_100 10000
//! ```
//!
//! Arguments: the port's name, the cap on executions (default 10,000).

#[allow(dead_code)]
mod fw {
    use forkwait::sync::atomic::Ordering::SeqCst;
    use forkwait::sync::atomic::{AtomicBool, AtomicI32};
    use forkwait::sync::{Arc, Condvar, Mutex};
    use forkwait::thread;
    include!("../benches/sctbench/programs.rs");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(p) = args
        .first()
        .and_then(|name| fw::PROGRAMS.iter().find(|p| p.name == name))
    else {
        let names: Vec<&str> = fw::PROGRAMS.iter().map(|p| p.name).collect();
        eprintln!("usage: sct_one PORT [CAP]; ports: {}", names.join(", "));
        std::process::exit(2);
    };
    let cap: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let checker = forkwait::Checker::new()
        .strategy(forkwait::Strategy::Exhaustive {
            max_preemptions: Some(2),
        })
        .iterations(cap)
        .shrink(false);
    let body = p.body;
    std::panic::set_hook(Box::new(|_| {}));
    match std::panic::catch_unwind(move || checker.check(body)) {
        Ok(()) => println!("missed"),
        Err(e) => {
            // The report's second line: `N executions, ...`.
            let report = e.downcast_ref::<String>().cloned().unwrap_or_default();
            let n = report.lines().nth(1).and_then(|l| l.split(' ').next());
            println!("{}", n.unwrap_or("?"));
        }
    }
}
