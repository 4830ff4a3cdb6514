//! The cost of the happens-before analysis (races, purity) per instrumented access.
//!
//! The same workload is checked with the analysis on and off in one run; the difference
//! divided by the number of accesses is the analysis cost per access. The workload: two
//! forked tasks each doing `ACCESSES / 2` `Shared::update`s on their own cell and reading
//! a shared one (so the analysis sees both same-epoch fast paths and cross-task checks).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use forkwait::sync::Shared;
use forkwait::{Checker, fork, wait};
use std::sync::Arc;

const ACCESSES: u64 = 1000;
const EXECUTIONS: u64 = 20;

fn workload() -> u64 {
    let shared = Arc::new(Shared::new(7u64));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let s = shared.clone();
            fork(move || {
                let own = Shared::new(0u64);
                for _ in 0..ACCESSES / 4 {
                    own.update(|v| *v += 1);
                    let x = s.read();
                    own.update(|v| *v += x);
                }
                own.read()
            })
        })
        .collect();
    tasks.into_iter().map(wait).sum()
}

fn analysis_cost(c: &mut Criterion) {
    let mut g = c.benchmark_group("analysis_per_access");
    g.sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    // Throughput in accesses, so criterion prints time per access.
    g.throughput(Throughput::Elements(ACCESSES * EXECUTIONS));
    for on in [true, false] {
        let name = if on { "analysis_on" } else { "analysis_off" };
        g.bench_function(name, |b| {
            b.iter(|| {
                Checker::new()
                    .iterations(EXECUTIONS)
                    .shrink(false)
                    .analysis(on)
                    .run(workload)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, analysis_cost);
criterion_main!(benches);
