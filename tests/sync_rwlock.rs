//! `forkwait::sync::RwLock`: readers share and a writer excludes (on the pool and under the
//! simulator, where a reader holding its guard must not keep another reader out),
//! `try_read`/`try_write`, poisoning by a panicking writer, correct use clean with one
//! outcome, and a read-then-write lost update found as `Nondeterminism`.

use forkwait::sync::{Arc, RwLock, TryLockError};
use forkwait::{Checker, FindingKind, Runtime, Strategy, fork, wait};

mod common;
use common::{values, watchdog};

/// Readers sharing, writers excluding, seen from two tasks.
fn share_and_exclude() -> (bool, bool, bool, bool, i32) {
    let l = Arc::new(RwLock::new(1));
    let r1 = l.read().unwrap();
    // Another task takes a read guard while we hold one (it would block forever if readers
    // did not share: we only release after it is done).
    let l2 = l.clone();
    let other_reader = wait(fork(move || *l2.read().unwrap()));
    let two_readers = other_reader == 1 && l.try_read().is_ok();
    let write_blocked_by_reader = matches!(l.try_write(), Err(TryLockError::WouldBlock));
    drop(r1);
    let w = l.write().unwrap();
    let read_blocked_by_writer = matches!(l.try_read(), Err(TryLockError::WouldBlock));
    let l3 = l.clone();
    let other_sees_writer = wait(fork(move || {
        matches!(l3.try_read(), Err(TryLockError::WouldBlock))
            && matches!(l3.try_write(), Err(TryLockError::WouldBlock))
    }));
    drop(w);
    *l.try_write().unwrap() += 1;
    let v = *l.read().unwrap();
    (
        two_readers,
        write_blocked_by_reader,
        read_blocked_by_writer,
        other_sees_writer,
        v,
    )
}

#[test]
fn readers_share_and_a_writer_excludes_on_the_pool() {
    let got = watchdog("rwlock on the pool", || {
        Runtime::parallel(2).run(share_and_exclude)
    });
    assert_eq!(got, (true, true, true, true, 2));
}

#[test]
fn readers_share_and_a_writer_excludes_under_the_simulator() {
    let r = Checker::new().iterations(300).run(share_and_exclude);
    assert!(!r.has(FindingKind::Deadlock), "readers must share: {r}");
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["(true, true, true, true, 2)"], "{r}");
}

#[test]
fn two_reader_tasks_hold_read_guards_at_the_same_time() {
    // Each reader holds its guard across a rendezvous with the other (via an atomic flag
    // spin with yields): possible only if both guards are held at once.
    use forkwait::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let r = Checker::new().max_steps(5_000).iterations(300).run(|| {
        let l = Arc::new(RwLock::new(5));
        let inside = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let (l, inside) = (l.clone(), inside.clone());
                fork(move || {
                    let g = l.read().unwrap();
                    inside.fetch_add(1, SeqCst);
                    while inside.load(SeqCst) < 2 {
                        forkwait::yield_now();
                    }
                    *g
                })
            })
            .collect();
        ts.into_iter().map(wait).sum::<i32>()
    });
    assert!(!r.has(FindingKind::StepLimit), "a reader was kept out: {r}");
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["10"]);
}

#[test]
fn a_panicking_writer_poisons_and_a_reader_does_not() {
    let program = || {
        let l = Arc::new(RwLock::new(0));
        let l2 = l.clone();
        let _ = fork(move || {
            let _r = l2.read().unwrap();
            panic!("reader panics");
        })
        .try_wait();
        let after_reader = l.is_poisoned();
        let l3 = l.clone();
        let _ = fork(move || {
            let mut w = l3.write().unwrap();
            *w = 7;
            panic!("writer panics");
        })
        .try_wait();
        let after_writer = l.is_poisoned();
        let seen = *l.read().unwrap_err().into_inner();
        let w_err = l.write().is_err();
        let try_err = matches!(l.try_read(), Err(TryLockError::Poisoned(_)));
        l.clear_poison();
        let cleared = l.read().is_ok();
        let inner = Arc::try_unwrap(l).unwrap().into_inner().unwrap();
        (
            after_reader,
            after_writer,
            seen,
            w_err,
            try_err,
            cleared,
            inner,
        )
    };
    let expected = (false, true, 7, true, true, true, 7);
    let got = watchdog("rwlock poisoning", move || {
        Runtime::parallel(2).run(program)
    });
    assert_eq!(got, expected);
    let r = Checker::new().iterations(200).run(program);
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), [format!("{expected:?}")]);
}

#[test]
fn correct_use_is_clean_with_one_outcome() {
    let program = || {
        let l = Arc::new(RwLock::new(0));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let l = l.clone();
                fork(move || *l.write().unwrap() += 1)
            })
            .collect();
        writers.into_iter().for_each(wait);
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let l = l.clone();
                fork(move || *l.read().unwrap())
            })
            .collect();
        readers.into_iter().map(wait).collect::<Vec<_>>()
    };
    for strategy in [
        Strategy::Random,
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(program);
        assert!(r.is_clean(), "{strategy}: {r}");
        assert_eq!(values(&r), ["[2, 2]"], "{strategy}: {r}");
        assert!(!r.has(FindingKind::Race));
    }
}

#[test]
fn read_then_write_under_separate_locks_is_a_lost_update() {
    let r = Checker::new().iterations(1000).run(|| {
        let l = Arc::new(RwLock::new(0));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let l = l.clone();
                fork(move || {
                    let v = *l.read().unwrap();
                    *l.write().unwrap() = v + 1;
                })
            })
            .collect();
        ts.into_iter().for_each(wait);
        *l.read().unwrap()
    });
    assert!(r.has(FindingKind::Nondeterminism), "{r}");
    assert_eq!(values(&r), ["1", "2"], "{r}");
    assert!(
        !r.has(FindingKind::Race),
        "locked accesses are ordered: {r}"
    );
}

#[test]
fn upgrading_a_read_guard_to_write_is_a_deadlock() {
    // Holding a read guard and asking for the write lock can never succeed.
    let r = Checker::new().iterations(50).run(|| {
        let l = RwLock::new(0);
        let _r = l.read().unwrap();
        let _w = l.write();
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(r.outcomes().is_empty(), "{r}");
}

#[test]
fn writer_waiting_for_readers_completes() {
    // A writer that finds readers blocks until they are gone; nothing deadlocks.
    let r = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: Some(3),
        })
        .iterations(2000)
        .run(|| {
            let l = Arc::new(RwLock::new(0));
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let l = l.clone();
                    fork(move || {
                        let g = l.read().unwrap();
                        forkwait::yield_now();
                        *g
                    })
                })
                .collect();
            *l.write().unwrap() = 1;
            let seen: i32 = readers.into_iter().map(wait).sum();
            (seen <= 2, *l.read().unwrap())
        });
    assert!(r.is_clean(), "{r}");
    assert!(!r.has(FindingKind::Deadlock));
    assert!(r.outcomes().iter().all(|o| o.value.ends_with(" 1)")), "{r}");
}

static TEARDOWN: RwLock<i32> = RwLock::new_static(0);

#[test]
fn step_limit_teardown_does_not_poison_a_static_rwlock() {
    let r = Checker::new().max_steps(200).iterations(50).run(|| {
        let _w = TEARDOWN.write().unwrap();
        loop {
            forkwait::yield_now();
        }
    });
    assert!(r.has(FindingKind::StepLimit), "{r}");
    assert!(!r.has(FindingKind::Panic), "{r}");
    assert!(!TEARDOWN.is_poisoned());
}
