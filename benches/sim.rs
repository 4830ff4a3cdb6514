//! Simulator benchmarks against shuttle (issue 3).
//!
//! Run with `cargo bench --bench sim`; see BENCHMARKS.md. The binary does three things, in
//! this order:
//!
//! 1. **Executions to the first failure** (plain code, no timing): a lost-update program
//!    (2 tasks each read then write a counter once; the test asserts the final value is 2)
//!    under Random and PCT-3, seeds 0..20, in forkwait and in shuttle. Prints a table.
//! 2. **Throughput** (criterion): executions per second of W1 (fork 2 pure tasks, wait
//!    both), W3 (4 tasks × 3 racy read-then-write increments) and W4 (a task that forks 2
//!    and waits them), each written with forkwait and with shuttle's thread API, Random
//!    strategy on both sides, 1000 executions per measured iteration. Plus a
//!    decision-heavy workload (2 tasks × 500 `Shared::update`) for the cost per
//!    scheduling decision.
//! 3. **Summary**: reads criterion's estimates back and prints executions/s, the
//!    forkwait/shuttle ratios and the nanoseconds per scheduling decision.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use forkwait::sync::Shared;
use forkwait::{Checker, FindingKind, Schedule, Strategy, fork, wait};
use std::fmt::Debug;
use std::hint::black_box;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod workloads;
use workloads::{fw_w1, fw_w3, fw_w4, sh_w1, sh_w3, sh_w4};

/// Executions per measured criterion iteration for W1, W3, W4.
const N: u64 = 1000;
/// Executions per measured iteration for the decision-heavy workload.
const ND: u64 = 20;
/// `Shared::update` calls per task in the decision-heavy workload.
const UPDATES: usize = 500;
/// Seeds for executions-to-failure.
const SEEDS: u64 = 20;
/// Give up on a seed after this many executions.
const MAX_EXECS: u64 = 1000;

// ---------------------------------------------------------------------------------------
// Workloads, forkwait side.
// ---------------------------------------------------------------------------------------

/// Decision-heavy: 2 tasks × `UPDATES` one-step read-modify-writes, each on a cell the task
/// creates itself (so the checker has no race or impure write to report and shrink).
fn fw_decisions() -> u64 {
    let hs: Vec<_> = (0..2)
        .map(|_| {
            fork(|| {
                let c = Shared::new(0u64);
                for _ in 0..UPDATES {
                    c.update(|v| *v += 1);
                }
                c.read()
            })
        })
        .collect();
    hs.into_iter().map(wait).sum()
}

/// Scheduling points (steps) of one execution of `fw_decisions`, counted from the code:
/// main: 2 forks + 2 waits + its end; each task: start + `UPDATES` updates + 1 read + end.
/// Each calls the scheduler's `choose` once (a `wait` that blocks calls it once more, at
/// most 2 per execution, not counted).
const FW_DECISION_STEPS: u64 = 2 + 2 + 1 + 2 * (1 + UPDATES as u64 + 1 + 1);

/// The lost update: 2 tasks each read then write the counter once.
fn fw_lost_update() {
    let c = Arc::new(Shared::new(0usize));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let c = c.clone();
            fork(move || c.write(c.read() + 1))
        })
        .collect();
    for h in hs {
        wait(h);
    }
    assert_eq!(c.read(), 2, "lost update");
}

// ---------------------------------------------------------------------------------------
// Workloads, shuttle side.
// ---------------------------------------------------------------------------------------

fn sh_decisions() {
    use shuttle::sync::atomic::AtomicUsize;
    let hs: Vec<_> = (0..2)
        .map(|_| {
            shuttle::thread::spawn(|| {
                let c = AtomicUsize::new(0);
                for _ in 0..UPDATES {
                    c.fetch_add(1, Ordering::SeqCst);
                }
                c.load(Ordering::SeqCst)
            })
        })
        .collect();
    black_box(hs.into_iter().map(|h| h.join().unwrap()).sum::<usize>());
}

/// The lost-update program with shuttle threads; returns the final count (2 unless an
/// update was lost).
fn sh_lost_update_count() -> usize {
    use shuttle::sync::atomic::AtomicUsize;
    let c = shuttle::sync::Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let c = c.clone();
            shuttle::thread::spawn(move || {
                let v = c.load(Ordering::SeqCst);
                c.store(v + 1, Ordering::SeqCst);
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    c.load(Ordering::SeqCst)
}

fn sh_lost_update() {
    assert_eq!(sh_lost_update_count(), 2, "lost update");
}

// ---------------------------------------------------------------------------------------
// 1. Executions to the first failure.
// ---------------------------------------------------------------------------------------

/// forkwait: the 1-based index of the first failing iteration. Iteration i depends on
/// (seed, i) only, so shard i+1 of `MAX_EXECS` runs exactly iteration i of the run.
fn fw_first_failure(strategy: &Strategy, seed: u64) -> Option<u64> {
    (0..MAX_EXECS).find_map(|i| {
        let r = Checker::new()
            .strategy(strategy.clone())
            .seed(seed)
            .iterations(MAX_EXECS)
            .shard(i + 1, MAX_EXECS)
            .shrink(false)
            .run(fw_lost_update);
        r.has(FindingKind::Panic).then_some(i + 1)
    })
}

/// Cross-check of `fw_first_failure` with plain runs: `first` iterations fail, `first - 1`
/// do not.
fn fw_first_failure_consistent(strategy: &Strategy, seed: u64, first: u64) -> bool {
    let run = |n: u64| {
        Checker::new()
            .strategy(strategy.clone())
            .seed(seed)
            .iterations(n)
            .shrink(false)
            .run(fw_lost_update)
            .has(FindingKind::Panic)
    };
    run(first) && (first == 1 || !run(first - 1))
}

/// shuttle: executions (invocations of the test closure) up to and including the first
/// failing one; the runner stops there by panicking.
fn sh_first_failure(pct: bool, seed: u64) -> Option<u64> {
    let count = Arc::new(StdAtomicUsize::new(0));
    let c = count.clone();
    let f = move || {
        c.fetch_add(1, Ordering::Relaxed);
        sh_lost_update();
    };
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    let max = MAX_EXECS as usize;
    let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
        if pct {
            let s = shuttle::scheduler::PctScheduler::new_from_seed(seed, 3, max);
            shuttle::Runner::new(s, config).run(f)
        } else {
            let s = shuttle::scheduler::RandomScheduler::new_from_seed(seed, max);
            shuttle::Runner::new(s, config).run(f)
        }
    }));
    r.is_err().then(|| count.load(Ordering::Relaxed) as u64)
}

fn stats(v: &[Option<u64>]) -> String {
    let mut found: Vec<u64> = v.iter().flatten().copied().collect();
    found.sort_unstable();
    let missed = v.len() - found.len();
    if found.is_empty() {
        return format!("no failure in {MAX_EXECS} executions for any seed");
    }
    let n = found.len();
    let median = if missed > 0 {
        // Seeds that never failed count as larger than any that did.
        let mut all: Vec<f64> = found.iter().map(|&x| x as f64).collect();
        all.extend(std::iter::repeat_n(f64::INFINITY, missed));
        let m = all.len();
        if m % 2 == 1 {
            all[m / 2]
        } else {
            (all[m / 2 - 1] + all[m / 2]) / 2.0
        }
    } else if n % 2 == 1 {
        found[n / 2] as f64
    } else {
        (found[n / 2 - 1] + found[n / 2]) as f64 / 2.0
    };
    format!(
        "median {median}, min {}, max {}, mean {:.2}{}",
        found[0],
        found[n - 1],
        found.iter().sum::<u64>() as f64 / n as f64,
        if missed > 0 {
            format!(", {missed} seed(s) found nothing in {MAX_EXECS}")
        } else {
            String::new()
        }
    )
}

fn show(v: &[Option<u64>]) -> String {
    v.iter()
        .map(|x| x.map_or("-".to_string(), |x| x.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn executions_to_failure() {
    println!("== Executions to the first failure: lost update, seeds 0..{SEEDS} ==");
    println!(
        "forkwait: 1-based index of the first iteration whose run reports a Panic finding \
         (the PCT probe execution that measures k is not counted); shuttle: invocations of \
         the test closure until the runner panics (shuttle's PCT spends its first execution \
         on an oldest-task-first probe, and it is counted)."
    );
    // Both tools install their panic hooks on first use; do that now, then silence the
    // chain while shuttle's runs fail on purpose (its hook prints every failing schedule),
    // and put the same chain back afterwards.
    Checker::new().iterations(1).run(|| ());
    shuttle::check_random(|| {}, 1);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let mut rows = Vec::new();
    for (name, strategy, pct) in [
        ("Random", Strategy::Random, false),
        ("PCT-3", Strategy::Pct { depth: 3 }, true),
    ] {
        let fw: Vec<Option<u64>> = (0..SEEDS).map(|s| fw_first_failure(&strategy, s)).collect();
        let consistent = (0..SEEDS)
            .zip(&fw)
            .all(|(s, f)| f.is_none_or(|f| fw_first_failure_consistent(&strategy, s, f)));
        let sh: Vec<Option<u64>> = (0..SEEDS).map(|s| sh_first_failure(pct, s)).collect();
        rows.push((name, fw, consistent, sh));
    }
    let race_first = (0..SEEDS)
        .filter(|&s| {
            Checker::new()
                .seed(s)
                .iterations(1)
                .shrink(false)
                .run(fw_lost_update)
                .has(FindingKind::Race)
        })
        .count();
    let rates = failure_rates();
    std::panic::set_hook(hook);
    for (name, fw, consistent, sh) in &rows {
        println!("{name:<7} forkwait per seed: {}", show(fw));
        println!("{name:<7} forkwait: {}", stats(fw));
        println!(
            "{name:<7} forkwait cross-check with plain runs of 1..=first iterations: {consistent}"
        );
        println!("{name:<7} shuttle  per seed: {}", show(sh));
        println!("{name:<7} shuttle:  {}", stats(sh));
    }
    println!("(took {:.2} s)", started.elapsed().as_secs_f64());
    println!("{rates}");
    println!(
        "forkwait Random, seeds 0..{SEEDS}: the first execution already has a Race finding \
         (happens-before analysis, whatever the schedule) for {race_first} of {SEEDS} seeds\n"
    );
}

/// The lost update without the assertion, for shuttle: counts the executions that lose it.
static SH_LOST: StdAtomicUsize = StdAtomicUsize::new(0);

fn sh_lost_update_counted() {
    if sh_lost_update_count() != 2 {
        SH_LOST.fetch_add(1, Ordering::Relaxed);
    }
}

/// The share of executions that fail, over `RATE_EXECS` executions with seed 0: the
/// per-execution probability behind the executions-to-failure figures.
fn failure_rates() -> String {
    const RATE_EXECS: u64 = 10_000;
    let mut out = format!("Share of failing executions over {RATE_EXECS} executions, seed 0:\n");
    for (name, strategy, pct) in [
        ("Random", Strategy::Random, false),
        ("PCT-3", Strategy::Pct { depth: 3 }, true),
    ] {
        let r = Checker::new()
            .strategy(strategy)
            .seed(0)
            .iterations(RATE_EXECS)
            .shrink(false)
            .run(fw_lost_update);
        let failed: u64 = r
            .outcomes()
            .iter()
            .filter(|o| o.value.starts_with("panic:"))
            .map(|o| o.count)
            .sum();
        SH_LOST.store(0, Ordering::Relaxed);
        let n = RATE_EXECS as usize;
        if pct {
            let s = shuttle::scheduler::PctScheduler::new_from_seed(0, 3, n);
            shuttle::Runner::new(s, shuttle::Config::new()).run(sh_lost_update_counted);
        } else {
            let s = shuttle::scheduler::RandomScheduler::new_from_seed(0, n);
            shuttle::Runner::new(s, shuttle::Config::new()).run(sh_lost_update_counted);
        }
        let sh_failed = SH_LOST.load(Ordering::Relaxed);
        out += &format!(
            "{name:<7} forkwait {:.3} ({failed}/{RATE_EXECS}), shuttle {:.3} ({sh_failed}/{RATE_EXECS})\n",
            failed as f64 / RATE_EXECS as f64,
            sh_failed as f64 / RATE_EXECS as f64
        );
    }
    out
}

// ---------------------------------------------------------------------------------------
// 2. Throughput.
// ---------------------------------------------------------------------------------------

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
}

fn bench_forkwait<T: Debug>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, w: fn() -> T) {
    g.bench_function(name, |b| {
        b.iter(|| {
            let r = Checker::new().iterations(N).seed(0).run(w);
            assert_eq!(r.executions(), N);
            black_box(r)
        })
    });
}

fn bench_shuttle(g: &mut BenchmarkGroup<'_, WallTime>, w: fn()) {
    g.bench_function("shuttle", |b| {
        b.iter(|| shuttle::check_random_with_seed(w, 0, N as usize))
    });
}

fn throughput(c: &mut Criterion) {
    // What the checker reports on each workload (W3's racy increments may give race or
    // impure-write findings, which `run` shrinks once per run).
    for (name, r) in [
        ("W1", Checker::new().iterations(100).run(fw_w1)),
        ("W3", Checker::new().iterations(100).run(fw_w3)),
        ("W4", Checker::new().iterations(100).run(fw_w4)),
    ] {
        let kinds: Vec<String> = r.findings().iter().map(|f| f.kind().to_string()).collect();
        println!("{name}: findings over 100 executions: {kinds:?}");
    }

    let mut g = c.benchmark_group("sim_w1");
    configure(&mut g);
    g.throughput(Throughput::Elements(N));
    bench_forkwait(&mut g, "forkwait", fw_w1);
    bench_shuttle(&mut g, sh_w1);
    g.finish();

    let mut g = c.benchmark_group("sim_w3");
    configure(&mut g);
    g.throughput(Throughput::Elements(N));
    bench_forkwait(&mut g, "forkwait", fw_w3);
    bench_shuttle(&mut g, sh_w3);
    g.bench_function("forkwait_noshrink", |b| {
        b.iter(|| {
            let r = Checker::new()
                .iterations(N)
                .seed(0)
                .shrink(false)
                .run(fw_w3);
            assert_eq!(r.executions(), N);
            black_box(r)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sim_w4");
    configure(&mut g);
    g.throughput(Throughput::Elements(N));
    bench_forkwait(&mut g, "forkwait", fw_w4);
    bench_shuttle(&mut g, sh_w4);
    g.finish();

    let mut g = c.benchmark_group("sim_decisions");
    configure(&mut g);
    g.throughput(Throughput::Elements(ND));
    g.bench_function("forkwait", |b| {
        b.iter(|| {
            let r = Checker::new().iterations(ND).seed(0).run(fw_decisions);
            assert_eq!(r.executions(), ND);
            black_box(r)
        })
    });
    g.bench_function("shuttle", |b| {
        b.iter(|| shuttle::check_random_with_seed(sh_decisions, 0, ND as usize))
    });
    g.finish();
}

/// Choices (scheduling points with more than one runnable task) in each of the `ND`
/// executions the decision bench runs: iteration i alone is shard i+1 of `ND`, and the
/// length of its outcome's replay token is its number of choices.
fn fw_decision_choices() -> Vec<u64> {
    (0..ND)
        .map(|i| {
            let r = Checker::new()
                .iterations(ND)
                .seed(0)
                .shard(i + 1, ND)
                .run(fw_decisions);
            assert_eq!(r.executions(), 1);
            let o = &r.outcomes()[0];
            assert_eq!(o.value, (2 * UPDATES).to_string());
            Schedule::from_token(&o.replay).expect("token").len() as u64
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// 3. Summary from criterion's estimates.
// ---------------------------------------------------------------------------------------

fn criterion_dir() -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target")))
                .join("criterion")
        })
}

/// Criterion's median and mean time per measured iteration (ns), if the bench ran.
fn estimate(group: &str, function: &str) -> Option<(f64, f64)> {
    let p = criterion_dir()
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(p).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some((
        v["median"]["point_estimate"].as_f64()?,
        v["mean"]["point_estimate"].as_f64()?,
    ))
}

fn summary(choices: &[u64]) {
    println!(
        "\n== Summary (criterion medians; executions/s = executions per iteration / median) =="
    );
    println!(
        "{:<8} {:>16} {:>16} {:>10}   target",
        "workload", "forkwait exec/s", "shuttle exec/s", "ratio"
    );
    for (w, group) in [("W1", "sim_w1"), ("W3", "sim_w3"), ("W4", "sim_w4")] {
        let (Some((fw, _)), Some((sh, _))) =
            (estimate(group, "forkwait"), estimate(group, "shuttle"))
        else {
            println!("{w:<8} (not run)");
            continue;
        };
        let fw_rate = N as f64 / (fw * 1e-9);
        let sh_rate = N as f64 / (sh * 1e-9);
        let ratio = fw_rate / sh_rate;
        println!(
            "{w:<8} {fw_rate:>16.0} {sh_rate:>16.0} {ratio:>9.2}x   >= 4x: {}",
            if ratio >= 4.0 { "met" } else { "MISSED" }
        );
    }
    if let Some((t, _)) = estimate("sim_w3", "forkwait_noshrink") {
        println!(
            "W3 forkwait with .shrink(false) (findings not minimized): {:.0} exec/s",
            N as f64 / (t * 1e-9)
        );
    }
    let total_choices: u64 = choices.iter().sum();
    let steps = FW_DECISION_STEPS * ND;
    println!(
        "\nDecisions: one execution of 2 tasks x {UPDATES} Shared::update has \
         {FW_DECISION_STEPS} scheduling points (counted from the code: main 2 forks + 2 waits \
         + end, each task start + {UPDATES} updates + 1 read + end); the {ND} executions of a \
         measured iteration make {total_choices} choices with more than one runnable task \
         (measured: replay-token length of each iteration, min {} max {}).",
        choices.iter().min().unwrap_or(&0),
        choices.iter().max().unwrap_or(&0)
    );
    if let Some((t, _)) = estimate("sim_decisions", "forkwait") {
        let per_exec = t / ND as f64;
        let per_step = t / steps as f64;
        let per_choice = t / total_choices.max(1) as f64;
        println!(
            "forkwait: {per_exec:.0} ns per execution; {per_step:.1} ns per scheduling point \
             ({steps} per iteration); {per_choice:.1} ns per choice ({total_choices} per \
             iteration). Target <= 60 ns per decision: {}",
            if per_step <= 60.0 { "met" } else { "MISSED" }
        );
    }
    if let Some((t, _)) = estimate("sim_decisions", "shuttle") {
        println!(
            "shuttle, same workload (2 threads x {UPDATES} fetch_add on their own atomics): {:.0} ns \
             per execution",
            t / ND as f64
        );
    }
}

fn main() {
    executions_to_failure();
    let choices = fw_decision_choices();
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    c.final_summary();
    summary(&choices);
}
