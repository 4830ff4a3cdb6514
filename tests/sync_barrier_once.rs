//! `forkwait::sync::{Barrier, OnceLock, LazyLock}`: a barrier lets all `n` tasks pass with
//! exactly one leader (clean), is reusable, and a barrier no task can complete is a
//! `Deadlock` naming it; on the pool, a barrier of more tasks than threads completes. A
//! `OnceLock` initialized from several tasks runs its initializer once and everyone sees
//! the same value; `set` fails the second time; `LazyLock` in a `static` and a local one
//! forced from tasks.

use forkwait::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use forkwait::sync::{Arc, Barrier, LazyLock, OnceLock};
use forkwait::{Checker, FindingKind, Runtime, Strategy, fork, wait};
use std::sync::atomic::AtomicU32;

mod common;
use common::{values, watchdog};

/// `n` tasks meet at a barrier `rounds` times; each records how many tasks had arrived
/// before it passed (must be all of them). Returns (leaders per round, everyone saw all).
fn barrier_rounds(n: usize, rounds: usize) -> (Vec<usize>, bool) {
    let barrier = Arc::new(Barrier::new(n));
    let arrived: Arc<Vec<AtomicUsize>> =
        Arc::new((0..rounds).map(|_| AtomicUsize::new(0)).collect());
    let ts: Vec<_> = (0..n)
        .map(|_| {
            let (b, arrived) = (barrier.clone(), arrived.clone());
            fork(move || {
                let mut led = Vec::new();
                let mut all = true;
                for round in arrived.iter() {
                    round.fetch_add(1, SeqCst);
                    led.push(b.wait().is_leader());
                    all &= round.load(SeqCst) == n;
                }
                (led, all)
            })
        })
        .collect();
    let mut leaders = vec![0; rounds];
    let mut all = true;
    for t in ts {
        let (led, saw_all) = wait(t);
        all &= saw_all;
        for (i, l) in led.into_iter().enumerate() {
            leaders[i] += usize::from(l);
        }
    }
    (leaders, all)
}

#[test]
fn barrier_lets_everyone_pass_with_one_leader() {
    for strategy in [
        Strategy::Random,
        Strategy::Pct { depth: 3 },
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(|| barrier_rounds(3, 1));
        assert!(r.is_clean(), "{strategy}: {r}");
        assert_eq!(values(&r), ["([1], true)"], "{strategy}: {r}");
    }
}

#[test]
fn barrier_is_reusable_for_two_generations() {
    let r = Checker::new().iterations(1000).run(|| barrier_rounds(3, 2));
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["([1, 1], true)"], "{r}");
}

static BARRIER_LINE: AtomicU32 = AtomicU32::new(0);

#[test]
fn a_barrier_too_big_for_its_tasks_is_a_deadlock_naming_it() {
    let r = Checker::new().iterations(300).run(|| {
        let (barrier, line) = (Arc::new(Barrier::new(3)), line!());
        BARRIER_LINE.store(line, std::sync::atomic::Ordering::Relaxed);
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let b = barrier.clone();
                fork(move || b.wait().is_leader())
            })
            .collect();
        ts.into_iter().map(wait).filter(|&l| l).count()
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(r.outcomes().is_empty(), "{r}");
    let msg = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Deadlock)
        .unwrap()
        .message();
    let at = format!(
        "the barrier created at tests/sync_barrier_once.rs:{}:",
        BARRIER_LINE.load(std::sync::atomic::Ordering::Relaxed)
    );
    assert!(msg.contains(&at), "expected {at:?} in: {msg}");
}

#[test]
fn barrier_of_zero_and_one_never_blocks() {
    let r = Checker::new().iterations(20).run(|| {
        let (b0, b1) = (Barrier::new(0), Barrier::new(1));
        (
            b0.wait().is_leader(),
            b1.wait().is_leader(),
            b1.wait().is_leader(),
        )
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["(true, true, true)"]);
}

#[test]
fn barrier_of_four_tasks_on_two_threads_completes() {
    let got = watchdog("Barrier::new(4) on Runtime::parallel(2)", || {
        let rt = Runtime::parallel(2);
        (0..10)
            .map(|_| rt.run(|| barrier_rounds(4, 2)))
            .collect::<Vec<_>>()
    });
    assert!(got.iter().all(|g| *g == (vec![1, 1], true)), "{got:?}");
}

fn once_from_three_tasks() -> (Vec<u32>, usize) {
    let cell = Arc::new(OnceLock::new());
    let inits = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..3)
        .map(|i| {
            let (cell, inits) = (cell.clone(), inits.clone());
            fork(move || {
                *cell.get_or_init(|| {
                    inits.fetch_add(1, SeqCst);
                    forkwait::yield_now(); // others arrive while it initializes
                    100 + i
                })
            })
        })
        .collect();
    let seen: Vec<u32> = ts.into_iter().map(wait).collect();
    let v = *cell.get().expect("initialized");
    assert!(seen.iter().all(|&s| s == v), "{seen:?} vs {v}");
    (
        vec![u32::from(seen.windows(2).all(|w| w[0] == w[1]))],
        inits.load(SeqCst),
    )
}

#[test]
fn once_lock_runs_one_initializer_and_everyone_sees_its_value() {
    for strategy in [
        Strategy::Random,
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(once_from_three_tasks);
        assert!(r.is_clean(), "{strategy}: {r}");
        assert_eq!(values(&r), ["([1], 1)"], "{strategy}: {r}");
    }
    let got = watchdog("OnceLock on the pool", || {
        Runtime::parallel(2).run(|| (0..20).map(|_| once_from_three_tasks()).collect::<Vec<_>>())
    });
    assert!(got.iter().all(|g| *g == (vec![1], 1)), "{got:?}");
}

#[test]
fn once_lock_set_fails_the_second_time() {
    let program = || {
        let c = Arc::new(OnceLock::new());
        let c2 = c.clone();
        let first = wait(fork(move || c2.set(1)));
        let second = c.set(2);
        let third = c.get_or_init(|| 3);
        (first, second, *third)
    };
    let r = Checker::new().iterations(100).run(program);
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["(Ok(()), Err(2), 1)"]);
    assert_eq!(Runtime::parallel(1).run(program), (Ok(()), Err(2), 1));
    // Who wins a `set` race is nondeterministic, and found.
    let r = Checker::new().iterations(500).run(|| {
        let c = Arc::new(OnceLock::new());
        let ts: Vec<_> = (0..2)
            .map(|i| {
                let c = c.clone();
                fork(move || c.set(i).is_ok())
            })
            .collect();
        let oks = ts.into_iter().map(wait).filter(|&ok| ok).count();
        (oks, *c.get().unwrap())
    });
    assert!(r.has(FindingKind::Nondeterminism), "{r}");
    assert_eq!(values(&r), ["(1, 0)", "(1, 1)"]);
}

static LAZY_INITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static TABLE: LazyLock<Vec<u32>> = LazyLock::new(|| {
    LAZY_INITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    (0..5).map(|i| i * i).collect()
});

#[test]
fn lazy_lock_in_a_static_is_initialized_once() {
    let r = Checker::new().iterations(200).run(|| {
        let ts: Vec<_> = (0..2).map(|i| fork(move || TABLE[i + 2])).collect();
        ts.into_iter().map(wait).collect::<Vec<_>>()
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["[4, 9]"]);
    assert_eq!(*LazyLock::force(&TABLE), vec![0, 1, 4, 9, 16]);
    assert_eq!(
        LAZY_INITS.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a static LazyLock runs its initializer once in the whole process"
    );
}

#[test]
fn local_lazy_lock_forced_from_tasks() {
    let program = || {
        let inits = Arc::new(AtomicUsize::new(0));
        let i2 = inits.clone();
        let lazy = Arc::new(LazyLock::new(move || {
            i2.fetch_add(1, SeqCst);
            String::from("computed")
        }));
        let ts: Vec<_> = (0..3)
            .map(|_| {
                let l = lazy.clone();
                fork(move || LazyLock::force(&l).len())
            })
            .collect();
        let lens: Vec<usize> = ts.into_iter().map(wait).collect();
        (lens, lazy.as_str().to_owned(), inits.load(SeqCst))
    };
    let expected = (vec![8, 8, 8], "computed".to_string(), 1);
    let r = Checker::new().iterations(500).run(program);
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), [format!("{expected:?}")]);
    let got = watchdog("LazyLock on the pool", move || {
        Runtime::parallel(2).run(program)
    });
    assert_eq!(got, expected);
}
