//! The exhaustive strategy's partial-order reduction: executions on programs whose
//! number of Mazurkiewicz traces is known by hand, and soundness against the unreduced
//! depth-first search on random small programs.

use forkwait::sync::atomic::{AtomicUsize, Ordering};
use forkwait::sync::{Condvar, Mutex, Shared, mpsc};
use forkwait::{Checker, FindingKind, Report, Strategy, fork, wait};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::{lost_update, values};

#[path = "../benches/workloads/mod.rs"]
mod workloads;
use workloads::{own_writes, pure_forks};

fn exhaustive(bound: Option<u32>) -> Checker {
    Checker::new().strategy(Strategy::Exhaustive {
        max_preemptions: bound,
    })
}

#[test]
fn pure_forks_are_one_execution() {
    for n in [2, 4] {
        let r = exhaustive(None).run(|| pure_forks(n));
        assert_eq!(r.executions(), 1, "{n} pure forks: {r}");
        assert!(r.is_clean());
    }
    // Without the reduction, every interleaving of the forks, starts, ends and waits.
    let plain = exhaustive(None)
        .partial_order_reduction(false)
        .run(|| pure_forks(2));
    assert!(plain.executions() > 100, "{}", plain.executions());
}

#[test]
fn independent_writes_are_one_execution() {
    for k in 1..=3 {
        let r = exhaustive(None).run(move || own_writes(k));
        assert_eq!(r.executions(), 1, "x{k}: {r}");
    }
}

/// The lost update has 4 Mazurkiewicz traces (the two reads commute; each read is
/// before or after the other task's write, and the writes are ordered): 4 executions
/// (the target was at most 6).
#[test]
fn lost_update_runs_once_per_trace_finding_both_outcomes() {
    let r = exhaustive(None).run(lost_update);
    assert_eq!(values(&r), ["1", "2"], "{r}");
    assert!(r.has(FindingKind::Nondeterminism) && r.has(FindingKind::Race));
    assert_eq!(r.executions(), 4);
    // The same with both increments forked (issue 11's table: 10 729 executions before).
    let forked = exhaustive(None).run(|| {
        let c = Arc::new(Shared::new(0));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let c = c.clone();
                fork(move || c.write(c.read() + 1))
            })
            .collect();
        ts.into_iter().for_each(wait);
        c.read()
    });
    assert_eq!(values(&forked), ["1", "2"]);
    assert_eq!(forked.executions(), 4);
}

/// One operation of a generated task.
#[derive(Clone, Copy, Debug)]
enum Act {
    /// Adds shared cell `i` to the task's local value.
    Read(usize),
    /// Writes the local value plus one to shared cell `i`.
    Write(usize),
    /// Locks mutex `m`, increments it, adds it to the local value.
    Lock(usize),
    /// Locks mutex `a`, then mutex `b` (two tasks taking them in opposite orders
    /// deadlock).
    Nested(usize, usize),
    /// `try_lock` of mutex `m`: adds 10 to it if taken; adds 1 to the local value if not.
    TryLock(usize),
    /// Adds the atomic to the local value.
    Load,
    /// Increments the atomic.
    Add,
    /// Panics if the local value is 2.
    Assert,
    /// Sends the local value on the channel.
    Send,
    /// Takes a message from the channel if there is one (under lock 1), else adds 5.
    TryRecv,
    /// Waits for a message at most 1 ms (a timeout is a scheduling choice), under lock 1.
    RecvTimeout,
    /// Notifies one waiter of the condvar.
    Notify,
    /// Waits on the condvar (with lock 1) at most 1 ms; adds 1 if it timed out.
    CondWait,
    /// Forks a task that writes shared cell 1, and waits for it.
    Child,
}

/// A generated program: the forked tasks' scripts and the main task's own.
#[derive(Clone, Debug)]
struct Program {
    tasks: Vec<Vec<Act>>,
    main: Vec<Act>,
}

struct State {
    cells: [Shared<usize>; 2],
    locks: [Mutex<usize>; 2],
    atomic: AtomicUsize,
    tx: mpsc::Sender<usize>,
    rx: Mutex<mpsc::Receiver<usize>>,
    cv: Condvar,
}

fn act(s: &Arc<State>, local: &mut usize, a: Act) {
    match a {
        Act::Read(i) => *local += s.cells[i].read(),
        Act::Write(i) => s.cells[i].write(*local + 1),
        Act::Lock(m) => {
            let mut g = s.locks[m].lock().unwrap();
            *g += 1;
            *local += *g;
        }
        Act::Nested(a, b) => {
            let _g = s.locks[a].lock().unwrap();
            *s.locks[b].lock().unwrap() += 1;
        }
        Act::TryLock(m) => match s.locks[m].try_lock() {
            Ok(mut g) => *g += 10,
            Err(_) => *local += 1,
        },
        Act::Load => *local += s.atomic.load(Ordering::SeqCst),
        Act::Add => {
            s.atomic.fetch_add(1, Ordering::SeqCst);
        }
        Act::Assert => assert!(*local != 2, "local reached 2"),
        Act::Send => {
            let _ = s.tx.send(*local);
        }
        Act::TryRecv => *local += s.rx.lock().unwrap().try_recv().unwrap_or(5),
        Act::RecvTimeout => {
            let rx = s.rx.lock().unwrap();
            *local += rx.recv_timeout(Duration::from_millis(1)).unwrap_or(7);
        }
        Act::Notify => s.cv.notify_one(),
        Act::CondWait => {
            let g = s.locks[1].lock().unwrap();
            let (_g, r) = s.cv.wait_timeout(g, Duration::from_millis(1)).unwrap();
            *local += usize::from(r.timed_out());
        }
        Act::Child => {
            let s2 = Arc::clone(s);
            wait(fork(move || s2.cells[1].write(3)));
        }
    }
}

fn run_program(p: &Program) -> String {
    let (tx, rx) = mpsc::channel();
    let s = Arc::new(State {
        cells: [Shared::new(0), Shared::new(0)],
        locks: [Mutex::new(0), Mutex::new(0)],
        atomic: AtomicUsize::new(0),
        tx,
        rx: Mutex::new(rx),
        cv: Condvar::new(),
    });
    let forks: Vec<_> = p
        .tasks
        .iter()
        .map(|script| {
            let (s, script) = (s.clone(), script.clone());
            fork(move || {
                let mut local = 0;
                for &a in &script {
                    act(&s, &mut local, a);
                }
                local
            })
        })
        .collect();
    let mut local = 0;
    for &a in &p.main {
        act(&s, &mut local, a);
    }
    let locals: Vec<usize> = forks.into_iter().map(wait).collect();
    format!(
        "{locals:?} {local} {:?} {:?} {}",
        [s.cells[0].read(), s.cells[1].read()],
        [*s.locks[0].lock().unwrap(), *s.locks[1].lock().unwrap()],
        s.atomic.load(Ordering::SeqCst)
    )
}

/// SplitMix64: the generator of programs (deterministic: the test is the same each run),
/// and the most tasks a program forks.
struct Gen(u64, u64);

impl Gen {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }

    fn act(&mut self) -> Act {
        let i = self.below(2) as usize;
        match self.below(15) {
            0 | 1 => Act::Read(i),
            2 | 3 => Act::Write(i),
            4 => Act::Lock(i),
            5 => Act::Nested(i, 1 - i),
            6 => Act::TryLock(i),
            7 => {
                if self.below(2) == 0 {
                    Act::Load
                } else {
                    Act::Add
                }
            }
            8 => Act::Assert,
            9 => Act::Send,
            10 => Act::TryRecv,
            11 => Act::RecvTimeout,
            12 => Act::Notify,
            13 => Act::CondWait,
            _ => Act::Child,
        }
    }

    fn script(&mut self, min: u64, max: u64) -> Vec<Act> {
        let n = min + self.below(max - min + 1);
        (0..n).map(|_| self.act()).collect()
    }

    fn program(&mut self) -> Program {
        let n = 1 + self.below(self.1);
        let tasks = (0..n).map(|_| self.script(1, 3)).collect();
        let main = self.script(0, 2);
        Program { tasks, main }
    }
}

fn kinds(r: &Report) -> Vec<FindingKind> {
    let mut k: Vec<FindingKind> = r.findings().iter().map(|f| f.kind()).collect();
    k.sort();
    k.dedup();
    k
}

/// Compares the reduced search with the plain one on `programs` random programs from
/// `seed` (those the plain search cannot finish within `cap` executions are skipped);
/// returns how many were compared.
fn compare_on_random_programs(seed: u64, programs: usize, cap: u64, bound: Option<u32>) -> usize {
    let mut g = Gen(seed, if seed >= 300 { 3 } else { 2 });
    let (mut compared, mut plain_total, mut reduced_total) = (0, 0, 0);
    for _ in 0..programs {
        let p = g.program();
        let q = p.clone();
        let plain = exhaustive(bound)
            .partial_order_reduction(false)
            .iterations(cap)
            .shrink(false)
            .run(move || run_program(&q));
        if plain.executions() >= cap {
            continue;
        }
        let q = p.clone();
        let reduced = exhaustive(bound).shrink(false).run(move || run_program(&q));
        assert_eq!(values(&reduced), values(&plain), "{p:?}");
        assert_eq!(kinds(&reduced), kinds(&plain), "{p:?}");
        if bound.is_none() {
            assert!(reduced.executions() <= plain.executions(), "{p:?}");
        }
        compared += 1;
        plain_total += plain.executions();
        reduced_total += reduced.executions();
    }
    eprintln!("{compared} programs: {plain_total} plain executions, {reduced_total} reduced");
    compared
}

/// On random small programs the reduced search finds every outcome and every kind of
/// finding that the plain depth-first search finds.
#[test]
fn reduction_finds_what_the_plain_search_finds_on_random_programs() {
    let compared = compare_on_random_programs(11, 60, 1500, None);
    assert!(compared >= 20, "only {compared} programs compared");
}

/// With a preemption bound, the reduced search finds what the plain search finds within
/// the same bound (bounded partial-order reduction, Coons et al.).
#[test]
fn bounded_reduction_finds_what_the_bounded_plain_search_finds() {
    // Found by the long run: one outcome (task 1's try_lock failing inside task 2's
    // critical section, after task 3's child wrote what task 2 reads) needs the search to
    // start task 3 first, which a source set's single initial reached only with two
    // preemptions.
    let p = Program {
        tasks: vec![
            vec![Act::TryLock(1)],
            vec![Act::Read(1), Act::Nested(1, 0)],
            vec![Act::Child],
        ],
        main: vec![],
    };
    let (q, r) = (p.clone(), p.clone());
    let plain = exhaustive(Some(1))
        .partial_order_reduction(false)
        .shrink(false)
        .run(move || run_program(&q));
    let reduced = exhaustive(Some(1))
        .shrink(false)
        .run(move || run_program(&r));
    assert_eq!(values(&reduced), values(&plain));
    assert_eq!(values(&plain).len(), 4);
    // Also from the long run: an outcome within a bound of 2 that only a switch earlier
    // than the latest one before the race leads to.
    let p = Program {
        tasks: vec![
            vec![Act::Read(1), Act::Assert, Act::Lock(0)],
            vec![Act::Lock(1), Act::Child, Act::Lock(0)],
        ],
        main: vec![Act::Nested(0, 1)],
    };
    let (q, r) = (p.clone(), p.clone());
    let plain = exhaustive(Some(2))
        .partial_order_reduction(false)
        .shrink(false)
        .run(move || run_program(&q));
    let reduced = exhaustive(Some(2))
        .shrink(false)
        .run(move || run_program(&r));
    assert_eq!(values(&reduced), values(&plain));
    assert_eq!(values(&plain).len(), 8);
    for bound in [0, 1] {
        let compared = compare_on_random_programs(12, 40, 1500, Some(bound));
        assert!(compared >= 20, "only {compared} programs compared");
    }
}

/// The same on many more programs, some with three forked tasks (minutes): `cargo test
/// --release --test exhaustive_reduction -- --ignored`.
#[test]
#[ignore]
fn reduction_soundness_long_run() {
    for seed in 100..110 {
        compare_on_random_programs(seed, 200, 20_000, None);
    }
    for bound in [0, 1, 2] {
        for seed in 200..203 {
            compare_on_random_programs(seed, 200, 20_000, Some(bound));
        }
    }
    // Three forked tasks.
    for seed in 300..303 {
        compare_on_random_programs(seed, 200, 50_000, None);
        compare_on_random_programs(seed, 100, 50_000, Some(1));
    }
}

/// A finding of the reduced search replays exactly from its token, and `check` stops at
/// it and shrinks it.
#[test]
fn findings_of_the_reduced_search_replay() {
    let r = exhaustive(None).run(lost_update);
    let f = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Nondeterminism)
        .expect("found");
    for o in r.outcomes() {
        let again = forkwait::replay(&o.replay, lost_update).unwrap();
        assert_eq!(again.outcomes()[0].value, o.value);
    }
    let token = f.replay().unwrap();
    assert!(forkwait::replay(token, lost_update).is_ok());
    let again = exhaustive(None)
        .strategy(Strategy::Replay(
            forkwait::Schedule::from_token(token).unwrap(),
        ))
        .run(lost_update);
    assert_eq!(again.executions(), 1);
    let failed = std::panic::catch_unwind(|| exhaustive(None).check(lost_update));
    assert!(failed.is_err());
}

/// A bug one preemption deep is found as soon however high the bound: the levels with
/// fewer preemptions get most of the executions (the same first failing schedule with
/// bounds 1 and 3).
#[test]
fn a_shallow_bug_is_found_first_whatever_the_bound() {
    // Task 1 checks an invariant that main breaks for a moment (one preemption of main
    // between its two writes shows it).
    let program = || {
        let (a, b) = (Arc::new(Shared::new(0)), Arc::new(Shared::new(0)));
        let (a2, b2) = (a.clone(), b.clone());
        let t = fork(move || assert_eq!(a2.read(), b2.read(), "torn pair"));
        a.write(1);
        b.write(1);
        wait(t);
        // Some more racy work after, so that deep schedules abound.
        let (c, d) = (a.clone(), b.clone());
        let u = fork(move || c.write(c.read() + d.read()));
        b.write(b.read() + a.read());
        wait(u);
    };
    let one = exhaustive(Some(1))
        .iterations(1_000_000)
        .shrink(false)
        .run(program);
    let three = exhaustive(Some(3))
        .iterations(1_000_000)
        .shrink(false)
        .run(program);
    assert!(one.has(FindingKind::Panic) && three.has(FindingKind::Panic));
    let first = |r: &Report| {
        r.findings()
            .iter()
            .find(|f| f.kind() == FindingKind::Panic)
            .map(|f| f.replay().unwrap().to_string())
    };
    // Both runs find it in the same (first) execution that shows it.
    assert_eq!(first(&one), first(&three));
}

/// Three tasks × three atomic increments: 9!/(3!·3!·3!) = 1680 Mazurkiewicz traces (every
/// two increments conflict); Source-DPOR runs each once, plus at most a few
/// executions its sleep sets end up blocking.
#[test]
fn atomic_increments_run_once_per_trace() {
    let r = exhaustive(None).run(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..3)
            .map(|_| {
                let n = n.clone();
                fork(move || {
                    for _ in 0..3 {
                        n.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        ts.into_iter().for_each(wait);
        n.load(Ordering::SeqCst)
    });
    assert_eq!(values(&r), ["9"]);
    eprintln!("atomic increments: {} executions", r.executions());
    assert!(
        (1680..=1700).contains(&r.executions()),
        "{}",
        r.executions()
    );
}
