//! `forkwait::sync::Mutex`: std's API (`lock() -> LockResult`, `try_lock`, poisoning,
//! `into_inner`, `get_mut`) on the pool and under the simulator, and what the simulator
//! finds with it: a correct counter is clean and deterministic (its impure write is only a
//! warning, unless purity is strict), a lost update through two critical sections is
//! `Nondeterminism`, a lock-order inversion and a re-entrant lock are `Deadlock`s.

use forkwait::sync::{Arc, Mutex, TryLockError};
use forkwait::{Checker, FindingKind, Runtime, Strategy, fork, wait};
use std::sync::atomic::{AtomicU32, Ordering};

mod common;
use common::{errors, values, watchdog};

// ---------------------------------------------------------------- API, on the pool

#[test]
fn lock_returns_a_lock_result_and_try_lock_would_block_while_held() {
    watchdog("try_lock on the pool", || {
        Runtime::parallel(2).run(|| {
            let m = Arc::new(Mutex::new(1));
            let g = m.lock().unwrap();
            assert_eq!(*g, 1);
            assert!(matches!(m.try_lock(), Err(TryLockError::WouldBlock)));
            // Another task sees it held too.
            let m2 = m.clone();
            let other = wait(fork(move || {
                matches!(m2.try_lock(), Err(TryLockError::WouldBlock))
            }));
            assert!(
                other,
                "a second task's try_lock must fail while the lock is held"
            );
            drop(g);
            let mut g = m.try_lock().expect("free after the guard is dropped");
            *g += 1;
            drop(g);
            assert_eq!(*m.lock().unwrap(), 2);
        })
    });
}

/// The poisoning sequence std documents, shared by the pool test and the simulator test.
fn poisoning_sequence() -> (bool, i32, bool, i32) {
    let m = Arc::new(Mutex::new(10));
    let m2 = m.clone();
    let t = fork(move || {
        let mut g = m2.lock().unwrap();
        *g += 1;
        panic!("poisoner");
    });
    let payload = t.try_wait().expect_err("the task panicked");
    assert_eq!(payload.message(), Some("poisoner"));
    let poisoned = m.is_poisoned();
    // `lock` still acquires: `Err(PoisonError)` whose `into_inner` is the guard.
    let err = m.lock().expect_err("lock of a poisoned mutex is Err");
    let mut g = err.into_inner();
    let seen = *g;
    *g += 1;
    drop(g);
    // `try_lock` reports the poison too, again with the guard.
    match m.try_lock() {
        Err(TryLockError::Poisoned(p)) => assert_eq!(*p.into_inner(), 12),
        other => panic!("try_lock of a poisoned mutex: {:?}", other.map(|g| *g)),
    }
    m.clear_poison();
    let cleared = !m.is_poisoned() && m.lock().is_ok();
    let mut owned = Arc::try_unwrap(m).expect("the task's clone is gone");
    *owned.get_mut().unwrap() += 1;
    let inner = owned.into_inner().unwrap();
    (poisoned, seen, cleared, inner)
}

#[test]
fn poisoning_matches_std_on_the_pool() {
    let got = watchdog("poisoning on the pool", || {
        Runtime::parallel(2).run(poisoning_sequence)
    });
    assert_eq!(got, (true, 11, true, 13));
    // And std's own Mutex does exactly the same with the same steps.
    let m = std::sync::Arc::new(std::sync::Mutex::new(10));
    let m2 = m.clone();
    let _ = std::thread::spawn(move || {
        let mut g = m2.lock().unwrap();
        *g += 1;
        panic!("poisoner");
    })
    .join();
    assert!(m.is_poisoned());
    assert_eq!(*m.lock().unwrap_err().into_inner(), 11);
}

#[test]
fn into_inner_and_get_mut_report_poison() {
    let got = watchdog("into_inner on the pool", || {
        Runtime::parallel(1).run(|| {
            let m = Arc::new(Mutex::new(vec![1]));
            let m2 = m.clone();
            let _ = fork(move || {
                let _g = m2.lock().unwrap();
                panic!("x");
            })
            .try_wait();
            let mut m = Arc::try_unwrap(m).unwrap();
            let via_get_mut = m.get_mut().unwrap_err().into_inner().len();
            let inner = m.into_inner().unwrap_err().into_inner();
            (via_get_mut, inner)
        })
    });
    assert_eq!(got, (1, vec![1]));
}

#[test]
fn eager_runtime_behaves_the_same() {
    let got = Runtime::eager().run(poisoning_sequence);
    assert_eq!(got, (true, 11, true, 13));
}

// ---------------------------------------------------------------- API, under the simulator

#[test]
fn poisoning_matches_std_under_the_simulator() {
    let r = Checker::new().iterations(200).run(poisoning_sequence);
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["(true, 11, true, 13)"], "{r}");
}

#[test]
fn try_lock_would_block_under_the_simulator() {
    // A task holds the lock across a scheduling point; in the schedules where the caller's
    // `try_lock` runs inside that window it must be `WouldBlock`, elsewhere it succeeds.
    let r = Checker::new().iterations(500).run(|| {
        let m = Arc::new(Mutex::new(0));
        let m2 = m.clone();
        let t = fork(move || {
            let mut g = m2.lock().unwrap();
            forkwait::yield_now();
            *g += 1;
        });
        let seen = match m.try_lock() {
            Ok(g) => format!("got {}", *g),
            Err(TryLockError::WouldBlock) => "would block".to_string(),
            Err(TryLockError::Poisoned(_)) => "poisoned".to_string(),
        };
        wait(t);
        // Deterministic sanity check in every schedule: held by us → WouldBlock.
        let g = m.lock().unwrap();
        let m3 = m.clone();
        assert!(matches!(m3.try_lock(), Err(TryLockError::WouldBlock)));
        drop(g);
        seen
    });
    assert!(!r.has(FindingKind::Panic), "{r}");
    let v = values(&r);
    // Outcomes are `Debug` text: strings are quoted.
    assert!(v.contains(&"\"would block\"".to_string()), "{r}");
    assert!(v.iter().any(|s| s.starts_with("\"got ")), "{r}");
}

// ---------------------------------------------------------------- detectors

fn counter() -> i32 {
    let m = Arc::new(Mutex::new(0));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let m = m.clone();
            fork(move || *m.lock().unwrap() += 1)
        })
        .collect();
    tasks.into_iter().for_each(wait);
    *m.lock().unwrap()
}

#[test]
fn correct_counter_is_clean_and_deterministic() {
    for strategy in [
        Strategy::Random,
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(counter);
        assert!(r.is_clean(), "{strategy}: {r}");
        assert_eq!(values(&r), ["3"], "{strategy}: {r}");
        assert!(!r.has(FindingKind::Nondeterminism) && !r.has(FindingKind::Race));
        // The tasks write their caller's counter: an impure write, but through a lock,
        // so only a warning.
        for f in r.findings() {
            assert!(
                f.kind() == FindingKind::ImpureWrite && f.is_warning(),
                "{strategy}: unexpected {f}"
            );
        }
        assert!(r.has(FindingKind::ImpureWrite), "{strategy}: {r}");
    }
}

#[test]
fn strict_purity_makes_the_locked_write_an_error() {
    let r = Checker::new()
        .strict_purity(true)
        .iterations(200)
        .run(counter);
    assert!(!r.is_clean(), "{r}");
    assert!(
        r.findings()
            .iter()
            .any(|f| f.kind() == FindingKind::ImpureWrite && !f.is_warning()),
        "{r}"
    );
    assert_eq!(errors(&r), [FindingKind::ImpureWrite], "{r}");
    assert_eq!(values(&r), ["3"]);
}

#[test]
fn impurity_allowed_mutex_is_silent_even_when_strict() {
    let r = Checker::new().strict_purity(true).iterations(200).run(|| {
        let m = Arc::new(Mutex::new(0).impurity_allowed());
        let m2 = m.clone();
        wait(fork(move || *m2.lock().unwrap() += 1));
        *m.lock().unwrap()
    });
    assert!(r.findings().is_empty(), "{r}");
}

#[test]
fn lost_update_through_two_critical_sections_is_nondeterministic() {
    let program = || {
        let m = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                fork(move || {
                    let v = *m.lock().unwrap(); // read under one lock
                    *m.lock().unwrap() = v + 1; // write under another
                })
            })
            .collect();
        tasks.into_iter().for_each(wait);
        *m.lock().unwrap()
    };
    for strategy in [
        Strategy::Random,
        Strategy::Pct { depth: 2 },
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(program);
        assert!(r.has(FindingKind::Nondeterminism), "{strategy}: {r}");
        assert_eq!(values(&r), ["1", "2"], "{strategy}: {r}");
        // Locked accesses are ordered: no data race is claimed.
        assert!(!r.has(FindingKind::Race), "{strategy}: {r}");
    }
}

static LINE_A: AtomicU32 = AtomicU32::new(0);
static LINE_B: AtomicU32 = AtomicU32::new(0);

#[test]
fn lock_order_inversion_is_a_deadlock_naming_both_mutexes() {
    let r = Checker::new().iterations(1000).run(|| {
        let (a, la) = (Arc::new(Mutex::new(0)), line!());
        let (b, lb) = (Arc::new(Mutex::new(0)), line!());
        LINE_A.store(la, Ordering::Relaxed);
        LINE_B.store(lb, Ordering::Relaxed);
        let (a1, b1) = (a.clone(), b.clone());
        let t1 = fork(move || {
            let _x = a1.lock().unwrap();
            let _y = b1.lock().unwrap();
        });
        let (a2, b2) = (a.clone(), b.clone());
        let t2 = fork(move || {
            let _y = b2.lock().unwrap();
            let _x = a2.lock().unwrap();
        });
        wait(t1);
        wait(t2);
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(!r.is_clean());
    // Some schedules do complete.
    assert_eq!(values(&r), ["()"], "{r}");
    let d = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Deadlock)
        .unwrap();
    let msg = d.message();
    assert!(msg.contains("cycle"), "{msg}");
    assert_eq!(msg.matches("waits to lock the mutex").count(), 2, "{msg}");
    for line in [&LINE_A, &LINE_B] {
        let at = format!("sync_mutex.rs:{}:", line.load(Ordering::Relaxed));
        assert!(
            msg.contains(&at),
            "the message names the mutex at {at}: {msg}"
        );
    }
}

#[test]
fn consistent_lock_order_is_clean() {
    let r = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: Some(2),
        })
        .iterations(2000)
        .run(|| {
            let a = Arc::new(Mutex::new(0));
            let b = Arc::new(Mutex::new(0));
            let ts: Vec<_> = (0..2)
                .map(|_| {
                    let (a, b) = (a.clone(), b.clone());
                    fork(move || {
                        let mut x = a.lock().unwrap();
                        let mut y = b.lock().unwrap();
                        *x += 1;
                        *y += 1;
                    })
                })
                .collect();
            ts.into_iter().for_each(wait);
            *a.lock().unwrap() + *b.lock().unwrap()
        });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["4"]);
}

#[test]
fn relocking_a_held_mutex_is_a_deadlock() {
    let r = Checker::new().iterations(50).run(|| {
        let m = Mutex::new(0);
        let _g = m.lock().unwrap();
        let _again = m.lock();
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(r.outcomes().is_empty(), "no execution completes: {r}");
    let d = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Deadlock)
        .unwrap();
    assert!(d.message().contains("waits to lock the mutex"), "{d}");
    // Also from a forked task.
    let r = Checker::new().iterations(50).run(|| {
        let m = Arc::new(Mutex::new(0));
        let m2 = m.clone();
        let t = fork(move || {
            let _g = m2.lock().unwrap();
            let _again = m2.lock();
        });
        wait(t);
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
}

static TEARDOWN_A: Mutex<i32> = Mutex::new_static(0);
static TEARDOWN_B: Mutex<i32> = Mutex::new_static(0);

#[test]
fn deadlock_teardown_does_not_poison_a_static_mutex() {
    let r = Checker::new().iterations(300).run(|| {
        let t1 = fork(|| {
            let _a = TEARDOWN_A.lock().unwrap();
            let _b = TEARDOWN_B.lock().unwrap();
        });
        let t2 = fork(|| {
            let _b = TEARDOWN_B.lock().unwrap();
            let _a = TEARDOWN_A.lock().unwrap();
        });
        wait(t1);
        wait(t2);
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    // The deadlock is the only error: the teardown is never a panic (SPEC §2, Severity).
    assert!(!r.has(FindingKind::Panic), "{r}");
    assert!(!r.has(FindingKind::LostError), "{r}");
    assert!(!TEARDOWN_A.is_poisoned() && !TEARDOWN_B.is_poisoned());
}
