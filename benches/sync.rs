//! `forkwait::sync` under the real runtime against its `std` counterparts, same run.
//!
//! Outside the simulator each operation is the `std` operation plus one thread-local read
//! (which runtime serves this thread); this measures what that costs.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::atomic::Ordering;

fn sync_vs_std(c: &mut Criterion) {
    let mut g = c.benchmark_group("sync_vs_std");
    g.sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));

    let shared = forkwait::sync::Shared::new(0u64);
    g.bench_function("Shared::update", |b| {
        b.iter(|| shared.update(|v| *v = black_box(*v + 1)))
    });
    let std_mutex = std::sync::Mutex::new(0u64);
    g.bench_function("std Mutex lock+modify", |b| {
        b.iter(|| {
            let mut v = std_mutex.lock().unwrap();
            *v = black_box(*v + 1);
        })
    });

    let fw_mutex = forkwait::sync::Mutex::new(0u64);
    g.bench_function("sync::Mutex lock+modify", |b| {
        b.iter(|| {
            let mut v = fw_mutex.lock().unwrap();
            *v = black_box(*v + 1);
        })
    });

    let fw_atomic = forkwait::sync::atomic::AtomicUsize::new(0);
    g.bench_function("sync::AtomicUsize::fetch_add", |b| {
        b.iter(|| black_box(fw_atomic.fetch_add(1, Ordering::SeqCst)))
    });
    let std_atomic = std::sync::atomic::AtomicUsize::new(0);
    g.bench_function("std AtomicUsize::fetch_add", |b| {
        b.iter(|| black_box(std_atomic.fetch_add(1, Ordering::SeqCst)))
    });
    g.finish();
}

criterion_group!(benches, sync_vs_std);
criterion_main!(benches);
