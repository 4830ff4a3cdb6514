//! Exhaustive exploration against loom 0.7 and shuttle 0.9 (issue 11): how many
//! executions each tool's systematic search runs, and how long it takes.
//!
//! Run with `cargo bench --bench exhaustive` (about ten minutes: the W3 rows and the
//! searches that do not finish run into their caps; `FW_BENCH_SECS=5` shortens the time
//! cap for a trial run). It prints two Markdown tables (see BENCHMARKS.md):
//!
//! 1. **Search size**: the executions of a complete search, or how far each tool got
//!    within its cap, for programs with a known number of distinct behaviours: two and
//!    four forks returning constants, two tasks each writing only their own variable ×1,
//!    ×2, ×3, the 2-task lost update, and W3 (4 tasks × 3 racy read-then-write
//!    increments) with preemption bounds 1 and 2. forkwait runs
//!    `Strategy::Exhaustive { max_preemptions }`, loom `model::Builder` with
//!    `preemption_bound`, shuttle `DfsScheduler` (which has no preemption bound: its
//!    rows are unbounded). Each run is capped at [`SECS`] seconds.
//! 2. **SCTBench**: the 23 `CS.*` ports of `benches/sctbench`, each tool stopping at the
//!    first failing execution (forkwait's `check`, `loom::model`, shuttle's runner), bound
//!    2, capped at [`SCT_CAP`] executions: the executions to the first bug, or a miss.
//!    loom runs at most 5 threads (the main thread included): larger ports are `n/a`.
//!
//! Executions are counted the same way for the three tools: a counter incremented by the
//! closure under test (forkwait's own count, `Report::executions`, is the same number
//! and is what is shown for it).

use forkwait::{Checker, Coverage, Strategy};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod sctbench;
mod workloads;

/// The time cap of one search (seconds; `FW_BENCH_SECS` overrides it).
const SECS: u64 = 60;
/// The execution cap of one SCTBench search.
const SCT_CAP: u64 = 10_000;

/// Executions of the tool's closure under test, across one search.
static RUNS: AtomicU64 = AtomicU64::new(0);

fn secs() -> Duration {
    let s = std::env::var("FW_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SECS);
    Duration::from_secs(s)
}

/// One tool's search of one program.
struct Search {
    executions: u64,
    time: Duration,
    /// `Some(true)`: the search finished; `Some(false)`: a cap stopped it; `None`: the
    /// tool cannot run the program.
    finished: Option<bool>,
}

impl Search {
    fn cell(&self) -> String {
        match self.finished {
            None => "n/a".into(),
            Some(done) => format!(
                "{}{} ({})",
                thousands(self.executions),
                if done { "" } else { "+ (cut)" },
                duration(self.time)
            ),
        }
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

// ---------------------------------------------------------------------------------------
// The three tools' searches.
// ---------------------------------------------------------------------------------------

/// forkwait's exhaustive search of `f` (unbounded when `bound` is `None`), to its end or
/// the time cap.
fn fw_search(f: fn(), bound: Option<u32>) -> Search {
    let t = Instant::now();
    let r = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: bound,
        })
        .iterations(u64::MAX)
        .max_time(secs())
        .shrink(false)
        .run(f);
    Search {
        executions: r.executions(),
        time: t.elapsed(),
        finished: Some(r.coverage().is_complete()),
    }
}

/// loom's search of `f` (`bound`: its preemption bound), to its end or the time cap.
fn loom_search(f: fn(), bound: Option<usize>, threads: usize) -> Search {
    if threads > loom::MAX_THREADS {
        return Search {
            executions: 0,
            time: Duration::ZERO,
            finished: None,
        };
    }
    let mut b = loom::model::Builder::new();
    b.preemption_bound = bound;
    b.max_duration = Some(secs());
    b.max_branches = 100_000;
    // loom looks at its caps only every `checkpoint_interval` executions (20,000 by
    // default): every execution, so that the caps are the same as the other tools'.
    b.checkpoint_interval = 1;
    RUNS.store(0, Ordering::Relaxed);
    let t = Instant::now();
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        b.check(move || {
            RUNS.fetch_add(1, Ordering::Relaxed);
            f()
        })
    }));
    let time = t.elapsed();
    Search {
        executions: RUNS.load(Ordering::Relaxed),
        time,
        finished: Some(time < secs()),
    }
}

/// Runs a shuttle search with the panic hook it installs removed afterwards (left in
/// place, it would report the other tools' panics as shuttle failures); whether it
/// failed.
fn quiet_shuttle(run: impl FnOnce()) -> bool {
    let saved = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let failed = std::panic::catch_unwind(AssertUnwindSafe(run)).is_err();
    std::panic::set_hook(saved);
    failed
}

/// shuttle's DFS of `f` (it has no preemption bound), to its end or the time cap.
fn shuttle_search(f: fn()) -> Search {
    let mut config = shuttle::Config::default();
    config.max_time = Some(secs());
    config.failure_persistence = shuttle::FailurePersistence::None;
    let runner = shuttle::Runner::new(shuttle::scheduler::DfsScheduler::new(None, false), config);
    RUNS.store(0, Ordering::Relaxed);
    let t = Instant::now();
    quiet_shuttle(|| {
        runner.run(move || {
            RUNS.fetch_add(1, Ordering::Relaxed);
            f()
        });
    });
    let time = t.elapsed();
    Search {
        executions: RUNS.load(Ordering::Relaxed),
        time,
        finished: Some(time < secs()),
    }
}

// ---------------------------------------------------------------------------------------
// The programs of the first table, once per tool (same shape: spawn, then join).
// ---------------------------------------------------------------------------------------

macro_rules! search_programs {
    ($m:ident, $spawn:path, $arc:path, $atomic:path) => {
        mod $m {
            use std::hint::black_box;
            type Counter = $atomic;
            use std::sync::atomic::Ordering::SeqCst;

            /// `n` forks returning constants, waited.
            pub fn pure(n: usize) {
                let hs: Vec<_> = (0..n).map(|i| $spawn(move || black_box(i))).collect();
                for h in hs {
                    black_box(h.join().unwrap());
                }
            }
            pub fn pure2() {
                pure(2)
            }
            pub fn pure4() {
                pure(4)
            }

            /// Two tasks, each writing `k` times a variable only it writes.
            pub fn own_writes(k: usize) {
                let hs: Vec<_> = (0..2)
                    .map(|_| {
                        let v = <$arc>::new(Counter::new(0));
                        $spawn(move || {
                            for i in 0..k {
                                v.store(i, SeqCst);
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.join().unwrap();
                }
            }
            pub fn own1() {
                own_writes(1)
            }
            pub fn own2() {
                own_writes(2)
            }
            pub fn own3() {
                own_writes(3)
            }

            /// `tasks` tasks each doing `k` racy read-then-write increments of one
            /// counter (no assertion: every schedule runs to its end).
            pub fn increments(tasks: usize, k: usize) {
                let c = <$arc>::new(Counter::new(0));
                let hs: Vec<_> = (0..tasks)
                    .map(|_| {
                        let c = c.clone();
                        $spawn(move || {
                            for _ in 0..k {
                                c.store(c.load(SeqCst) + 1, SeqCst);
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.join().unwrap();
                }
            }
            pub fn lost_update() {
                increments(2, 1)
            }
            pub fn w3() {
                increments(4, 3)
            }
        }
    };
}

search_programs!(
    fw_p,
    forkwait::thread::spawn,
    forkwait::sync::Arc<_>,
    forkwait::sync::atomic::AtomicUsize
);
search_programs!(
    lm_p,
    loom::thread::spawn,
    loom::sync::Arc<_>,
    loom::sync::atomic::AtomicUsize
);
search_programs!(
    sh_p,
    shuttle::thread::spawn,
    shuttle::sync::Arc<_>,
    shuttle::sync::atomic::AtomicUsize
);

fn search_table() {
    println!("## Search size (cap {} s per search)\n", secs().as_secs());
    println!("| program | forkwait exhaustive | loom | shuttle DFS |");
    println!("|---|---|---|---|");
    type Row = (&'static str, [fn(); 3], usize, Option<u32>);
    let rows: [Row; 9] = [
        (
            "two forks returning constants",
            [fw_p::pure2, lm_p::pure2, sh_p::pure2],
            3,
            None,
        ),
        (
            "four forks returning constants",
            [fw_p::pure4, lm_p::pure4, sh_p::pure4],
            5,
            None,
        ),
        (
            "two tasks writing their own variable ×1",
            [fw_p::own1, lm_p::own1, sh_p::own1],
            3,
            None,
        ),
        (
            "two tasks writing their own variable ×2",
            [fw_p::own2, lm_p::own2, sh_p::own2],
            3,
            None,
        ),
        (
            "two tasks writing their own variable ×3",
            [fw_p::own3, lm_p::own3, sh_p::own3],
            3,
            None,
        ),
        (
            "2-task lost update",
            [fw_p::lost_update, lm_p::lost_update, sh_p::lost_update],
            3,
            None,
        ),
        (
            "W3 (4 tasks × 3 racy increments), bound 1",
            [fw_p::w3, lm_p::w3, sh_p::w3],
            5,
            Some(1),
        ),
        (
            "W3 (4 tasks × 3 racy increments), bound 2",
            [fw_p::w3, lm_p::w3, sh_p::w3],
            5,
            Some(2),
        ),
        // forkwait's own W3 (`Shared`, as in benches/sim.rs) for comparison.
        (
            "W3 on `Shared` (forkwait only), bound 2",
            [workloads::fw_w3, lm_p::w3, sh_p::w3],
            5,
            Some(2),
        ),
    ];
    let mut shuttle_w3: Option<String> = None;
    for (i, (name, [fw, lm, sh], threads, bound)) in rows.into_iter().enumerate() {
        let f = fw_search(fw, bound);
        let l = if i == 8 {
            "—".to_string()
        } else {
            loom_search(lm, bound.map(|b| b as usize), threads).cell()
        };
        // shuttle's DFS has no bound: its W3 search is the same for both bounds.
        let s = if bound.is_some() {
            if shuttle_w3.is_none() {
                shuttle_w3 = Some(format!("{} (unbounded)", shuttle_search(sh).cell()));
            }
            if i == 8 {
                "—".to_string()
            } else {
                shuttle_w3.clone().unwrap_or_default()
            }
        } else {
            shuttle_search(sh).cell()
        };
        println!("| {name} | {} | {l} | {s} |", f.cell());
    }
    println!();
}

// ---------------------------------------------------------------------------------------
// SCTBench: executions to the first bug.
// ---------------------------------------------------------------------------------------

/// forkwait: `check` (stops at the first failing execution), bound 2, capped.
fn fw_first_bug(f: fn()) -> (Option<u64>, u64, Coverage) {
    let checker = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: Some(2),
        })
        .iterations(SCT_CAP)
        .shrink(false);
    match std::panic::catch_unwind(AssertUnwindSafe(|| checker.clone().check(f))) {
        // The report's second line: `N executions, …`.
        Err(e) => {
            let text = e.downcast_ref::<String>().cloned().unwrap_or_default();
            let n = text
                .lines()
                .nth(1)
                .and_then(|l| l.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (Some(n), n, Coverage::Incomplete)
        }
        Ok(()) => {
            let r = checker.run(f);
            (None, r.executions(), r.coverage())
        }
    }
}

/// loom: `model::Builder` with bound 2, capped; `None` if it cannot run the program.
///
/// loom reports a deadlock with a panic that cannot unwind (the process aborts), so each
/// program runs in a child process (this binary, `--loom-child NAME`), whose panic hook
/// prints the executions so far before anything aborts.
fn loom_first_bug(name: &str, threads: usize) -> Option<(Option<u64>, u64)> {
    if threads > loom::MAX_THREADS {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .args(["--loom-child", name])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|n| n.trim().parse::<u64>().ok())
    };
    match (value("loom-failed-at "), value("loom-ran ")) {
        (Some(n), _) => Some((Some(n), n)),
        (None, Some(n)) => Some((None, n)),
        (None, None) => None,
    }
}

/// The child's side of [`loom_first_bug`].
fn loom_child(name: &str) {
    use std::io::Write as _;
    let Some(p) = sctbench::lm::PROGRAMS.iter().find(|p| p.name == name) else {
        return;
    };
    std::panic::set_hook(Box::new(|_| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "loom-failed-at {}", RUNS.load(Ordering::Relaxed));
        let _ = out.flush();
    }));
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    // loom stops before running execution number `max_permutations`, and looks at its
    // caps every `checkpoint_interval` executions only (20,000 by default).
    b.max_permutations = Some(SCT_CAP as usize + 1);
    b.checkpoint_interval = 1;
    b.max_branches = 100_000;
    let body = p.body;
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        b.check(move || {
            RUNS.fetch_add(1, Ordering::Relaxed);
            body()
        })
    }));
    println!("loom-ran {}", RUNS.load(Ordering::Relaxed));
}

/// shuttle: DFS (unbounded), capped.
fn shuttle_first_bug(f: fn()) -> (Option<u64>, u64) {
    let mut config = shuttle::Config::default();
    config.failure_persistence = shuttle::FailurePersistence::None;
    let sched = shuttle::scheduler::DfsScheduler::new(Some(SCT_CAP as usize), false);
    let runner = shuttle::Runner::new(sched, config);
    RUNS.store(0, Ordering::Relaxed);
    let failed = quiet_shuttle(|| {
        runner.run(move || {
            RUNS.fetch_add(1, Ordering::Relaxed);
            f()
        });
    });
    let n = RUNS.load(Ordering::Relaxed);
    (failed.then_some(n), n)
}

fn found_cell(found: Option<u64>, ran: u64, note: &str) -> String {
    match found {
        Some(n) => thousands(n),
        None => format!("missed ({}{note})", thousands(ran)),
    }
}

fn sctbench_table() {
    println!(
        "## SCTBench CS.* ports: executions to the first bug (bound 2; shuttle's DFS is \
         unbounded; cap {})\n",
        thousands(SCT_CAP)
    );
    println!("| program | threads | forkwait | loom | shuttle DFS |");
    println!("|---|---|---|---|---|");
    let tools = std::env::var("FW_BENCH_TOOLS").unwrap_or_else(|_| "fw,loom,shuttle".into());
    let (mut fw_found, mut lm_found, mut lm_ran, mut sh_found) = (0, 0, 0, 0);
    let n = sctbench::fw::PROGRAMS.len();
    let only = std::env::var("FW_BENCH_ONLY").ok();
    for i in 0..n {
        let p = sctbench::fw::PROGRAMS[i];
        if only.as_ref().is_some_and(|o| o != p.name) {
            continue;
        }
        let (fw_n, fw_ran, fw_cov) = if tools.contains("fw") {
            fw_first_bug(p.body)
        } else {
            (None, 0, Coverage::Sampled)
        };
        let note = if fw_cov.is_complete() {
            ", complete"
        } else {
            ""
        };
        let fw = found_cell(fw_n, fw_ran, note);
        fw_found += fw_n.is_some() as usize;
        let lm_run = if tools.contains("loom") {
            p.threads
        } else {
            usize::MAX
        };
        let lm = match loom_first_bug(p.name, lm_run) {
            None => "n/a (> 5 threads)".to_string(),
            Some((found, ran)) => {
                lm_ran += 1;
                lm_found += found.is_some() as usize;
                found_cell(found, ran, "")
            }
        };
        let (sh_n, sh_ran) = if tools.contains("shuttle") {
            shuttle_first_bug(sctbench::sh::PROGRAMS[i].body)
        } else {
            (None, 0)
        };
        sh_found += sh_n.is_some() as usize;
        let sh = found_cell(sh_n, sh_ran, "");
        println!("| {} | {} | {fw} | {lm} | {sh} |", p.name, p.threads);
    }
    println!(
        "\nfound: forkwait {fw_found}/{n}, loom {lm_found}/{lm_ran} (of those it can run), \
         shuttle DFS {sh_found}/{n}\n"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--loom-child") {
        loom_child(args.get(i + 1).map_or("", String::as_str));
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument selects one table.
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |t: &str| which.is_empty() || which.iter().any(|w| t.contains(w.as_str()));
    // The programs' own assertion failures are expected: keep them off the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    if wants("search") {
        search_table();
    }
    if wants("sctbench") {
        sctbench_table();
    }
}
