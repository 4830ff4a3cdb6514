//! Prints the full reports (outcomes with counts and tokens, findings with their
//! interleavings and task trees) of a set of programs × strategies × seeds, so that a
//! change to the simulator's hot path can be checked to leave schedules and findings
//! byte-identical: run it before and after, and `diff` the outputs.
//!
//! ```sh
//! cargo run --release --example verify_reports > after.txt
//! ```
//!
//! The `order` program's outcome is the interleaving of its tasks, so its outcome counts
//! pin the schedule of every execution, not only the ones a report names.

use forkwait::sync::atomic::{AtomicUsize, Ordering};
use forkwait::sync::{Arc, Mutex, Shared};
use forkwait::{Checker, Strategy, fork, wait};

#[path = "../benches/workloads/mod.rs"]
mod workloads;

/// Three tasks append their id twice each to a log: the outcome is the interleaving.
fn order() -> Vec<usize> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let hs: Vec<_> = (0..3)
        .map(|i| {
            let log = log.clone();
            fork(move || {
                for _ in 0..2 {
                    log.lock().unwrap().push(i);
                }
            })
        })
        .collect();
    hs.into_iter().for_each(wait);
    log.lock().unwrap().clone()
}

/// A lost update on a `Shared` cell (a race, an impure write, two outcomes).
fn lost_update() -> usize {
    let c = Arc::new(Shared::new(0usize));
    let (a, b) = (c.clone(), c.clone());
    let t = fork(move || a.write(a.read() + 1));
    let u = fork(move || b.write(b.read() + 1));
    wait(t);
    wait(u);
    c.read()
}

/// Atomics and a task's own state: no race; an impure write through an atomic (a warning).
fn atomics() -> usize {
    let n = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let n = n.clone();
            fork(move || {
                let own = Shared::new(1usize);
                own.write(own.read() + 1);
                n.fetch_add(own.read(), Ordering::SeqCst);
            })
        })
        .collect();
    hs.into_iter().for_each(wait);
    n.load(Ordering::SeqCst)
}

/// Global and module-attribute state written by tasks, one of them allow-listed.
fn classes() -> usize {
    let g = Arc::new(Shared::global(0usize));
    let m = Arc::new(Shared::attribute(0usize));
    let ok = Arc::new(Shared::new(0usize).impurity_allowed());
    let (g2, m2, ok2) = (g.clone(), m.clone(), ok.clone());
    let t = fork(move || {
        g2.write(1);
        m2.update(|v| *v += 1);
        ok2.write(3);
    });
    let u = fork(move || {
        let inner = Shared::new(0usize);
        let i2 = Arc::new(inner);
        let i3 = i2.clone();
        let k = fork(move || i3.write(5));
        wait(k);
        i2.read()
    });
    wait(t);
    wait(u) + g.read() + m.read() + ok.read()
}

fn main() {
    let strategies = [
        Strategy::Random,
        Strategy::Pct { depth: 2 },
        Strategy::Pct { depth: 3 },
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ];
    for seed in [0u64, 7, 123] {
        for s in &strategies {
            let c = || {
                Checker::new()
                    .strategy(s.clone())
                    .seed(seed)
                    .iterations(300)
            };
            println!("==== seed {seed} strategy {s}");
            println!("-- w1\n{}", c().run(workloads::fw_w1));
            println!("-- w3\n{}", c().run(workloads::fw_w3));
            println!("-- w4\n{}", c().run(workloads::fw_w4));
            println!("-- order\n{}", c().run(order));
            println!("-- lost_update\n{}", c().run(lost_update));
            println!("-- atomics\n{}", c().run(atomics));
            println!("-- classes\n{}", c().run(classes));
        }
    }
}
