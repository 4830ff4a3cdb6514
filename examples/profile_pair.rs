//! A fixed runtime workload for instruction counts (wall-clock ratios on a shared 2-core
//! guest are noisy; instruction counts are not): N fork+wait pairs on a
//! `Runtime::parallel(2)`, as `benches/runtime.rs`'s `fork_wait_pair`, or with `rayon`
//! as the argument, N `rayon::join` pairs on a 2-thread rayon pool; `fib` and `rayon-fib`
//! compute fib(N) with one fork (one join) per call, as `benches/runtime.rs`'s `fib25`;
//! `bursts` and `rayon-bursts` run N bursts of 2000 pairs, each after 2 ms of idleness
//! (so that the other worker has gone to sleep), and print the wall-clock time per pair
//! inside the bursts: the cost of waking a sleeping worker from the push path.
//!
//! ```sh
//! cargo build --release -p forkwait --example profile_pair
//! valgrind --tool=callgrind target/release/examples/profile_pair forkwait 200000
//! valgrind --tool=callgrind target/release/examples/profile_pair rayon 200000
//! ```
//!
//! Callgrind counts every thread; the idle worker's spinning and sleeping is part of the
//! total, so compare runs of two different N (the difference over the difference of N is
//! the cost of one pair).

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "forkwait".to_string());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let sum = match which.as_str() {
        "bursts" => forkwait::Runtime::parallel(2).run(|| {
            bursts(n, || {
                let f = forkwait::fork(|| black_box(1u64));
                black_box(0u64) + forkwait::wait(f)
            })
        }),
        "rayon-bursts" => rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("rayon pool")
            .install(|| {
                bursts(n, || {
                    let (a, b) = rayon::join(|| black_box(1u64), || black_box(0u64));
                    a + b
                })
            }),
        "fib" => forkwait::Runtime::parallel(2).run(|| fib(n)),
        "rayon-fib" => rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("rayon pool")
            .install(|| fib_rayon(n)),
        "rayon" => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .expect("rayon pool");
            pool.install(|| {
                let mut s = 0u64;
                for _ in 0..n {
                    let (a, b) = rayon::join(|| black_box(1u64), || black_box(2u64));
                    s += a + b;
                }
                s
            })
        }
        _ => forkwait::Runtime::parallel(2).run(|| {
            let mut s = 0u64;
            for _ in 0..n {
                let f = forkwait::fork(|| black_box(1u64));
                s += black_box(2u64);
                s += forkwait::wait(f);
            }
            s
        }),
    };
    println!("{which} {n} {sum}");
}

fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let a = forkwait::fork(move || fib(n - 1));
    let b = fib(n - 2);
    forkwait::wait(a) + b
}

fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

/// `n` bursts of 2000 pairs, each after 2 ms of sleep; prints the time per pair in bursts.
fn bursts(n: u64, pair: impl Fn() -> u64) -> u64 {
    const PAIRS: u32 = 2000;
    let mut busy = std::time::Duration::ZERO;
    let mut s = 0;
    for _ in 0..n {
        std::thread::sleep(std::time::Duration::from_millis(2));
        let start = std::time::Instant::now();
        for _ in 0..PAIRS {
            s += pair();
        }
        busy += start.elapsed();
    }
    let pairs = u32::try_from(n)
        .unwrap_or(u32::MAX)
        .saturating_mul(PAIRS)
        .max(1);
    println!("{:?} per pair in bursts", busy / pairs);
    s
}
