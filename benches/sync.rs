//! `forkwait::sync` under the real runtime against its `std` counterparts (issue 8): each
//! primitive, uncontended, from inside a pool task, in the same run.
//!
//! Run with `cargo bench --bench sync`; see BENCHMARKS.md ("forkwait::sync against std").
//! Each row is a criterion group `sync_vs_std/<primitive>` with two functions, `forkwait`
//! and `std`, measured one after the other with the same settings, so the ratio of their
//! medians is the figure that matters.
//!
//! # How the measurement is taken, and why it is sound
//!
//! The target is the cost *on the pool*: a `forkwait::sync` operation first reads a
//! thread-local (which runtime serves this thread) and, on a pool worker, takes the std
//! path. So the timed loop has to run on a pool worker, with the context a real task
//! sees. Each variant uses [`criterion::Bencher::iter_custom`]: for a batch of `iters`
//! iterations the closure hands the whole loop to `Runtime::parallel(1).run`, and the
//! *worker* reads the clock just before and just after the loop and returns the elapsed
//! time. So
//!
//! * every timed operation executes on a pool worker, in `Context::Pool` (not on
//!   criterion's thread, where the mode would be the outside-any-runtime default);
//! * the cost of `run` itself (injecting the job, waking the worker, waking the caller
//!   again) is outside the timed region — it is paid once per batch, not per iteration,
//!   and is not what is being compared;
//! * criterion still chooses `iters` and does its statistics as usual (`iter_custom` only
//!   replaces who holds the stopwatch), and the caller thread sleeps in `run` while the
//!   worker measures, so it does not compete for the 2 cores;
//! * state that cannot cross threads (an `mpsc::Receiver` is not `Sync`) is built on the
//!   worker at the start of each batch, outside the timed loop; everything else is built
//!   once, before the group.
//!
//! Calling criterion's own `iter` inside `run` would also time only the loop, but it
//! would need the `&mut Bencher` to move to the worker; `iter_custom` says what is timed.
//!
//! Both variants of a row run the same loop body with the same orderings, and pass the
//! object through `black_box` each iteration so that neither loop can be hoisted or folded
//! (the `black_box` also makes the forkwait side re-read its thread-local every
//! iteration, as real code does). Uncontended: one task, one worker, nobody else touches
//! the object.

use criterion::{Criterion, criterion_group, criterion_main};
use forkwait::Runtime;
use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Runs `op` `iters` times, passing each result through `black_box`, and returns the
/// elapsed wall time (called on the pool worker).
#[inline(always)]
fn timed<R>(iters: u64, mut op: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(op());
    }
    start.elapsed()
}

/// One row: `sync_vs_std/<primitive>/forkwait` and `sync_vs_std/<primitive>/std`, each
/// batch timed on `rt`'s worker (see the module docs).
fn row(
    c: &mut Criterion,
    rt: &Runtime,
    primitive: &str,
    forkwait: impl Fn(u64) -> Duration + Sync,
    std: impl Fn(u64) -> Duration + Sync,
) {
    let mut g = c.benchmark_group(format!("sync_vs_std/{primitive}"));
    g.sample_size(25)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("forkwait", |b| b.iter_custom(|n| rt.run(|| forkwait(n))));
    g.bench_function("std", |b| b.iter_custom(|n| rt.run(|| std(n))));
    g.finish();
}

fn sync_vs_std(c: &mut Criterion) {
    use forkwait::sync as fw;
    let rt = Runtime::parallel(1);

    // Shared::update has no std type of its own: it is a std Mutex inside, so it is
    // compared with a std Mutex lock+modify+unlock.
    let (shared, std_m) = (fw::Shared::new(0u64), std::sync::Mutex::new(0u64));
    row(
        c,
        &rt,
        "Shared::update",
        |n| timed(n, || black_box(&shared).update(|v| *v = black_box(*v + 1))),
        |n| {
            timed(n, || {
                let mut v = black_box(&std_m).lock().unwrap();
                *v = black_box(*v + 1);
            })
        },
    );

    let fw_m = fw::Mutex::new(0u64);
    row(
        c,
        &rt,
        "Mutex::lock+modify+unlock",
        |n| {
            timed(n, || {
                let mut v = black_box(&fw_m).lock().unwrap();
                *v = black_box(*v + 1);
            })
        },
        |n| {
            timed(n, || {
                let mut v = black_box(&std_m).lock().unwrap();
                *v = black_box(*v + 1);
            })
        },
    );

    let (fw_rw, std_rw) = (fw::RwLock::new(0u64), std::sync::RwLock::new(0u64));
    row(
        c,
        &rt,
        "RwLock::read",
        |n| timed(n, || *black_box(&fw_rw).read().unwrap()),
        |n| timed(n, || *black_box(&std_rw).read().unwrap()),
    );
    row(
        c,
        &rt,
        "RwLock::write",
        |n| {
            timed(n, || {
                let mut v = black_box(&fw_rw).write().unwrap();
                *v = black_box(*v + 1);
            })
        },
        |n| {
            timed(n, || {
                let mut v = black_box(&std_rw).write().unwrap();
                *v = black_box(*v + 1);
            })
        },
    );

    let (fw_cv, std_cv) = (fw::Condvar::new(), std::sync::Condvar::new());
    row(
        c,
        &rt,
        "Condvar::notify_one (no waiter)",
        |n| timed(n, || black_box(&fw_cv).notify_one()),
        |n| timed(n, || black_box(&std_cv).notify_one()),
    );

    // Orderings: the cheapest that real code uses for each operation (on x86-64 an
    // Acquire load and a Release store are plain moves, so the check is most visible
    // there); read-modify-writes are `lock`-prefixed whatever the ordering.
    let fw_a = fw::atomic::AtomicUsize::new(0);
    let std_a = std::sync::atomic::AtomicUsize::new(0);
    row(
        c,
        &rt,
        "AtomicUsize::load",
        |n| timed(n, || black_box(&fw_a).load(Ordering::Acquire)),
        |n| timed(n, || black_box(&std_a).load(Ordering::Acquire)),
    );
    row(
        c,
        &rt,
        "AtomicUsize::fetch_add",
        |n| timed(n, || black_box(&fw_a).fetch_add(1, Ordering::SeqCst)),
        |n| timed(n, || black_box(&std_a).fetch_add(1, Ordering::SeqCst)),
    );
    // A compare_exchange that always succeeds: it expects the value the previous one left.
    row(
        c,
        &rt,
        "AtomicUsize::compare_exchange",
        |n| {
            let a = &fw_a;
            let mut cur = a.load(Ordering::Relaxed);
            timed(n, || {
                cur = match black_box(a).compare_exchange(
                    cur,
                    cur.wrapping_add(1),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(v) => v.wrapping_add(1),
                    Err(v) => v,
                }
            })
        },
        |n| {
            let a = &std_a;
            let mut cur = a.load(Ordering::Relaxed);
            timed(n, || {
                cur = match black_box(a).compare_exchange(
                    cur,
                    cur.wrapping_add(1),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(v) => v.wrapping_add(1),
                    Err(v) => v,
                }
            })
        },
    );

    let fw_b = fw::atomic::AtomicBool::new(false);
    let std_b = std::sync::atomic::AtomicBool::new(false);
    row(
        c,
        &rt,
        "AtomicBool::store",
        |n| {
            timed(n, || {
                black_box(&fw_b).store(black_box(true), Ordering::Release)
            })
        },
        |n| {
            timed(n, || {
                black_box(&std_b).store(black_box(true), Ordering::Release)
            })
        },
    );

    // Channels: a Receiver is not Sync, so each batch builds its channel on the worker,
    // outside the timed loop. One send and one receive per iteration (never blocks).
    row(
        c,
        &rt,
        "mpsc::channel send+recv",
        |n| {
            let (tx, rx) = fw::mpsc::channel::<u64>();
            timed(n, || {
                black_box(&tx).send(black_box(1)).unwrap();
                black_box(&rx).recv().unwrap()
            })
        },
        |n| {
            let (tx, rx) = std::sync::mpsc::channel::<u64>();
            timed(n, || {
                black_box(&tx).send(black_box(1)).unwrap();
                black_box(&rx).recv().unwrap()
            })
        },
    );
    row(
        c,
        &rt,
        "mpsc::sync_channel(1) send+recv",
        |n| {
            let (tx, rx) = fw::mpsc::sync_channel::<u64>(1);
            timed(n, || {
                black_box(&tx).send(black_box(1)).unwrap();
                black_box(&rx).recv().unwrap()
            })
        },
        |n| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<u64>(1);
            timed(n, || {
                black_box(&tx).send(black_box(1)).unwrap();
                black_box(&rx).recv().unwrap()
            })
        },
    );

    let (fw_bar, std_bar) = (fw::Barrier::new(1), std::sync::Barrier::new(1));
    row(
        c,
        &rt,
        "Barrier::new(1).wait",
        |n| timed(n, || black_box(&fw_bar).wait().is_leader()),
        |n| timed(n, || black_box(&std_bar).wait().is_leader()),
    );

    let (fw_once, std_once) = (fw::OnceLock::new(), std::sync::OnceLock::new());
    fw_once.set(7u64).unwrap();
    std_once.set(7u64).unwrap();
    row(
        c,
        &rt,
        "OnceLock::get (initialized)",
        |n| timed(n, || black_box(&fw_once).get()),
        |n| timed(n, || black_box(&std_once).get()),
    );

    let fw_lazy = fw::LazyLock::new(|| 7u64);
    let std_lazy = std::sync::LazyLock::new(|| 7u64);
    let _ = (*fw_lazy, *std_lazy); // initialized before measuring
    row(
        c,
        &rt,
        "LazyLock::deref (initialized)",
        |n| timed(n, || **black_box(&fw_lazy)),
        |n| timed(n, || **black_box(&std_lazy)),
    );
}

criterion_group!(benches, sync_vs_std);
criterion_main!(benches);
