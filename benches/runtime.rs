//! Runtime benchmarks (issue 2): the cost of a fork+wait pair inside a pool against
//! `rayon::join` and `std::thread::spawn`, fib(25) with a fork per call, and the speedup of
//! a coarse tree-sum from one worker to two.
//!
//! Run with `cargo bench --bench runtime`; see BENCHMARKS.md. Every pool is built once per
//! variant, outside the measured region, and dropped before the next variant starts, so
//! only one pool's threads exist at a time.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use forkwait::{Runtime, fork, wait};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Fork+wait (or join) pairs per measured batch.
const PAIRS: u64 = 1000;
/// Thread spawn+join pairs per measured batch (each costs tens of microseconds).
const SPAWNS: u64 = 20;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, samples: usize, secs: u64) {
    group
        .sample_size(samples)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs));
}

fn rayon_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
}

fn fork_wait_pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("fork_wait_pair");
    configure(&mut group, 30, 3);

    group.throughput(Throughput::Elements(PAIRS));
    {
        let rt = Runtime::parallel(2);
        group.bench_function("forkwait", |b| {
            b.iter_custom(|iters| {
                rt.run(|| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        for _ in 0..PAIRS {
                            let f = fork(|| black_box(1u64));
                            black_box(2u64);
                            black_box(wait(f));
                        }
                    }
                    start.elapsed()
                })
            })
        });
    }
    {
        let pool = rayon_pool(2);
        group.bench_function("rayon_join", |b| {
            b.iter_custom(|iters| {
                pool.install(|| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        for _ in 0..PAIRS {
                            black_box(rayon::join(|| black_box(1u64), || black_box(2u64)));
                        }
                    }
                    start.elapsed()
                })
            })
        });
    }

    group.throughput(Throughput::Elements(SPAWNS));
    group.bench_function("thread_spawn_join", |b| {
        b.iter(|| {
            for _ in 0..SPAWNS {
                let h = std::thread::spawn(|| black_box(1u64));
                black_box(2u64);
                black_box(h.join().expect("thread"));
            }
        })
    });
    group.finish();
}

fn fib_seq(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_seq(n - 1) + fib_seq(n - 2)
    }
}

/// One fork per call, no sequential cutoff.
fn fib_forkwait(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let a = fork(move || fib_forkwait(n - 1));
    let b = fib_forkwait(n - 2);
    wait(a) + b
}

/// One `rayon::join` per call, no sequential cutoff.
fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

fn fib25(c: &mut Criterion) {
    const N: u64 = 25;
    assert_eq!(fib_seq(N), 75_025);
    let mut group = c.benchmark_group("fib25");
    configure(&mut group, 20, 3);
    for threads in [2usize, 1] {
        let rt = Runtime::parallel(threads);
        assert_eq!(rt.run(|| fib_forkwait(N)), 75_025);
        group.bench_function(format!("forkwait_parallel{threads}"), |b| {
            b.iter(|| rt.run(|| fib_forkwait(black_box(N))))
        });
    }
    {
        let pool = rayon_pool(2);
        assert_eq!(pool.install(|| fib_rayon(N)), 75_025);
        group.bench_function("rayon_join_2threads", |b| {
            b.iter(|| pool.install(|| fib_rayon(black_box(N))))
        });
    }
    group.bench_function("sequential", |b| b.iter(|| fib_seq(black_box(N))));
    group.finish();
}

/// 2^22 elements, split down to leaves of 2^16: 64 coarse leaves.
const TREE_LEN: usize = 1 << 22;
const LEAF_LEN: usize = 1 << 16;
/// Mixing rounds per element, so that a leaf is compute-bound rather than memory-bound.
const ROUNDS: u32 = 16;

#[inline]
fn mix(mut x: u64) -> u64 {
    for _ in 0..ROUNDS {
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 29);
    }
    x
}

fn leaf_sum(v: &[u64]) -> u64 {
    v.iter().fold(0u64, |acc, &x| acc.wrapping_add(mix(x)))
}

/// Sums `mix` over `data[lo..hi]`, forking the right half down to `LEAF_LEN` leaves.
fn tree_sum(data: Arc<Vec<u64>>, lo: usize, hi: usize) -> u64 {
    if hi - lo <= LEAF_LEN {
        return leaf_sum(&data[lo..hi]);
    }
    let mid = lo + (hi - lo) / 2;
    let right_data = data.clone();
    let right = fork(move || tree_sum(right_data, mid, hi));
    let left = tree_sum(data, lo, mid);
    left.wrapping_add(wait(right))
}

/// The same work split once into two halves on two plain threads: the speedup this
/// machine offers at the time, to put the pool's speedup in context.
fn std_threads_2(data: &[u64]) -> u64 {
    let (l, r) = data.split_at(data.len() / 2);
    std::thread::scope(|s| {
        let h = s.spawn(|| leaf_sum(r));
        leaf_sum(l).wrapping_add(h.join().expect("thread"))
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Speedups measured in alternation (1 worker, 2 workers, 1 thread, 2 threads, repeated),
/// so that a slow spell of the host hits both sides of each ratio. Printed, not
/// criterion-analysed.
fn interleaved_speedups(data: &Arc<Vec<u64>>, expected: u64) {
    const ROUNDS: usize = 15;
    let rt1 = Runtime::parallel(1);
    let rt2 = Runtime::parallel(2);
    let time = |f: &dyn Fn() -> u64| {
        let start = Instant::now();
        assert_eq!(black_box(f()), expected);
        start.elapsed().as_secs_f64()
    };
    let (mut pool, mut threads) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t1 = time(&|| rt1.run(|| tree_sum(data.clone(), 0, TREE_LEN)));
        let t2 = time(&|| rt2.run(|| tree_sum(data.clone(), 0, TREE_LEN)));
        let s1 = time(&|| leaf_sum(data));
        let s2 = time(&|| std_threads_2(data));
        pool.push(t1 / t2);
        threads.push(s1 / s2);
    }
    let (lo_p, hi_p) = (
        pool.iter().copied().fold(f64::INFINITY, f64::min),
        pool.iter().copied().fold(0.0, f64::max),
    );
    let (lo_t, hi_t) = (
        threads.iter().copied().fold(f64::INFINITY, f64::min),
        threads.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "tree_sum_speedup/interleaved ({ROUNDS} rounds): forkwait parallel(1)/parallel(2) \
         median {:.2}x (min {lo_p:.2}, max {hi_p:.2}); sequential/std_threads_2 median {:.2}x \
         (min {lo_t:.2}, max {hi_t:.2})",
        median(&mut pool),
        median(&mut threads),
    );
}

fn tree_sum_speedup(c: &mut Criterion) {
    let data: Arc<Vec<u64>> = Arc::new((0..TREE_LEN as u64).collect());
    let expected = leaf_sum(&data);
    interleaved_speedups(&data, expected);
    let mut group = c.benchmark_group("tree_sum_speedup");
    configure(&mut group, 20, 3);
    group.throughput(Throughput::Elements(TREE_LEN as u64));
    for threads in [1usize, 2] {
        let rt = Runtime::parallel(threads);
        let d = data.clone();
        assert_eq!(rt.run(|| tree_sum(d, 0, TREE_LEN)), expected);
        group.bench_function(format!("forkwait_parallel{threads}"), |b| {
            b.iter(|| {
                let d = data.clone();
                rt.run(|| tree_sum(d, 0, TREE_LEN))
            })
        });
    }
    group.bench_function("sequential", |b| b.iter(|| leaf_sum(black_box(&data))));
    group.bench_function("std_threads_2", |b| {
        b.iter(|| std_threads_2(black_box(&data)))
    });
    group.finish();
}

criterion_group!(benches, fork_wait_pair, fib25, tree_sum_speedup);
criterion_main!(benches);
