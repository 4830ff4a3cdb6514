//! Workloads shared by `benches/sim.rs`, `benches/exhaustive.rs`, `examples/profile_w3.rs`
//! (instruction counts with callgrind), `examples/exhaustive_table.rs` and
//! `tests/exhaustive_reduction.rs`, so that all measure the same programs: forkwait's (`fw_*`) and shuttle's
//! (`sh_*`, shuttle's thread API and atomics).

// Each includer (bench, example, test) uses some of these.
#![allow(dead_code)]

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

/// W1 with shuttle threads.
pub fn sh_w1() {
    let a = shuttle::thread::spawn(|| black_box(1u64));
    let b = shuttle::thread::spawn(|| black_box(2u64));
    black_box(a.join().unwrap() + b.join().unwrap());
}

/// W3 with shuttle threads and a shuttle atomic (load, then store).
pub fn sh_w3() {
    use shuttle::sync::atomic::AtomicUsize;
    let c = shuttle::sync::Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            shuttle::thread::spawn(move || {
                for _ in 0..3 {
                    let v = c.load(std::sync::atomic::Ordering::SeqCst);
                    c.store(v + 1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

/// W4 with shuttle threads.
pub fn sh_w4() {
    let t = shuttle::thread::spawn(|| {
        let a = shuttle::thread::spawn(|| black_box(1u64));
        let b = shuttle::thread::spawn(|| black_box(2u64));
        a.join().unwrap() + b.join().unwrap()
    });
    black_box(t.join().unwrap());
}

/// `n` forks returning constants, no shared state (one trace).
pub fn pure_forks(n: usize) -> usize {
    let fs: Vec<_> = (0..n).map(|i| fork(move || i)).collect();
    fs.into_iter().map(wait).sum()
}

/// Two tasks, each writing only its own cell `k` times (one trace).
pub fn own_writes(k: usize) -> (usize, usize) {
    let a = Arc::new(Shared::new(0));
    let b = Arc::new(Shared::new(0));
    let (a2, b2) = (a.clone(), b.clone());
    let t = fork(move || (0..k).for_each(|i| a2.write(i)));
    let u = fork(move || (0..k).for_each(|i| b2.write(i)));
    wait(t);
    wait(u);
    (a.read(), b.read())
}
