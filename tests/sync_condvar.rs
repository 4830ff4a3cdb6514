//! `forkwait::sync::Condvar`: std's "started" handshake (`wait` in a `while` loop and
//! `wait_while`) clean and deterministic on the pool and under every strategy; the bugs a
//! condvar invites, each found: a missed notification (`Deadlock` naming the condvar), an
//! `if` instead of a `while` (exposed by a simulated spurious wakeup, `Panic`), `notify_one`
//! where `notify_all` was needed (`Deadlock`); `wait_timeout` and `wait_timeout_while`
//! (timeouts are scheduling choices: both outcomes occur, never a false deadlock).

use forkwait::sync::{Arc, Condvar, Mutex};
use forkwait::{Checker, FindingKind, Runtime, Strategy, fork, wait};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

mod common;
use common::{deadlock_message, strategies, values, watchdog};

type Pair = Arc<(Mutex<bool>, Condvar)>;

fn start_notifier(pair: &Pair) -> forkwait::Future<()> {
    let p = pair.clone();
    fork(move || {
        let (lock, cvar) = &*p;
        *lock.lock().unwrap() = true;
        cvar.notify_one();
    })
}

/// The std docs' handshake, waiting in a `while` loop.
fn handshake_while() -> bool {
    let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
    let t = start_notifier(&pair);
    let (lock, cvar) = &*pair;
    let mut started = lock.lock().unwrap();
    while !*started {
        started = cvar.wait(started).unwrap();
    }
    let v = *started;
    drop(started);
    wait(t);
    v
}

/// The same with `wait_while`.
fn handshake_wait_while() -> bool {
    let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
    let t = start_notifier(&pair);
    let (lock, cvar) = &*pair;
    let started = cvar.wait_while(lock.lock().unwrap(), |s| !*s).unwrap();
    let v = *started;
    drop(started);
    wait(t);
    v
}

#[test]
fn handshake_is_clean_and_deterministic_under_every_strategy() {
    for program in [handshake_while as fn() -> bool, handshake_wait_while] {
        for strategy in strategies() {
            let r = Checker::new()
                .strategy(strategy.clone())
                .iterations(1000)
                .run(program);
            assert!(r.is_clean(), "{strategy}: {r}");
            assert_eq!(values(&r), ["true"], "{strategy}: {r}");
        }
    }
}

#[test]
fn handshake_completes_on_the_pool() {
    let got = watchdog("condvar handshake on the pool", || {
        let mut all = Vec::new();
        for threads in [1, 2] {
            let rt = Runtime::parallel(threads);
            for _ in 0..50 {
                all.push(rt.run(handshake_while));
                all.push(rt.run(handshake_wait_while));
            }
        }
        all
    });
    assert!(got.iter().all(|&v| v));
}

#[test]
fn a_missed_notification_is_a_deadlock_naming_the_condvar() {
    // The waiter waits without looking at the flag: if the notifier ran first, nobody will
    // ever notify it again.
    let r = Checker::new().iterations(500).run(|| {
        let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
        let t = start_notifier(&pair);
        let (lock, cvar) = &*pair;
        let g = lock.lock().unwrap();
        let g = cvar.wait(g).unwrap();
        let v = *g;
        drop(g);
        wait(t);
        v
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    let msg = deadlock_message(&r);
    assert!(msg.contains("condvar"), "{msg}");
    assert!(
        msg.contains("a notification on the condvar created at"),
        "{msg}"
    );
    assert!(msg.contains("sync_condvar.rs:"), "{msg}");
}

#[test]
fn a_notifier_that_sets_no_flag_is_a_deadlock() {
    // The waiter loops correctly, but the notifier forgot to set the flag.
    let r = Checker::new().iterations(300).run(|| {
        let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
        let p = pair.clone();
        let t = fork(move || {
            let _g = p.0.lock().unwrap();
            p.1.notify_one();
        });
        let (lock, cvar) = &*pair;
        let g = cvar.wait_while(lock.lock().unwrap(), |s| !*s).unwrap();
        drop(g);
        wait(t);
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(r.outcomes().is_empty(), "it can never complete: {r}");
    assert!(deadlock_message(&r).contains("condvar"), "{r}");
}

#[test]
fn if_instead_of_while_is_found_through_a_spurious_wakeup() {
    let r = Checker::new().iterations(1000).run(|| {
        let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
        let t = start_notifier(&pair);
        let (lock, cvar) = &*pair;
        let mut started = lock.lock().unwrap();
        if !*started {
            started = cvar.wait(started).unwrap();
        }
        assert!(*started, "woke up but the flag is not set");
        drop(started);
        wait(t);
    });
    assert!(r.has(FindingKind::Panic), "{r}");
    let p = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Panic)
        .unwrap();
    assert!(
        p.message().contains("woke up but the flag is not set"),
        "{p}"
    );
    // And it is not misreported as a deadlock: the notifier always notifies after setting
    // the flag, so the waiter is never stuck.
    assert!(!r.has(FindingKind::Deadlock), "{r}");
}

static TIMED_OUT: AtomicUsize = AtomicUsize::new(0);
static NOTIFIED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn wait_timeout_with_a_notifier_sometimes_times_out_and_stays_clean() {
    let r = Checker::new().iterations(500).run(|| {
        let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
        let t = start_notifier(&pair);
        let (lock, cvar) = &*pair;
        let mut g = lock.lock().unwrap();
        while !*g {
            let (g2, res) = cvar.wait_timeout(g, Duration::from_millis(10)).unwrap();
            g = g2;
            // Counted outside the outcome: which one happens must not change the result.
            if res.timed_out() {
                TIMED_OUT.fetch_add(1, Ordering::Relaxed);
            } else {
                NOTIFIED.fetch_add(1, Ordering::Relaxed);
            }
        }
        drop(g);
        wait(t);
        true
    });
    assert!(r.is_clean(), "{r}");
    assert!(!r.has(FindingKind::Deadlock));
    assert_eq!(values(&r), ["true"]);
    let (t, n) = (
        TIMED_OUT.load(Ordering::Relaxed),
        NOTIFIED.load(Ordering::Relaxed),
    );
    assert!(t > 0, "no schedule timed out ({n} notified)");
    assert!(n > 0, "no schedule was notified ({t} timed out)");
}

#[test]
fn wait_timeout_with_nobody_notifying_times_out() {
    let program = || {
        let m = Mutex::new(0);
        let c = Condvar::new();
        let (g, res) = c
            .wait_timeout(m.lock().unwrap(), Duration::from_millis(5))
            .unwrap();
        (*g, res.timed_out())
    };
    let r = Checker::new().iterations(100).run(program);
    assert!(r.is_clean(), "a lone timed wait is not a deadlock: {r}");
    assert_eq!(values(&r), ["(0, true)"]);
    // A forked task waiting with a timeout nobody serves, too.
    let r = Checker::new().iterations(200).run(|| {
        let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
        let p = pair.clone();
        let t = fork(move || {
            let (g, res) =
                p.1.wait_timeout(p.0.lock().unwrap(), Duration::from_millis(5))
                    .unwrap();
            (*g, res.timed_out())
        });
        wait(t)
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["(false, true)"]);
    let got = watchdog("wait_timeout on the pool", move || {
        Runtime::parallel(1).run(program)
    });
    assert_eq!(got, (0, true));
}

#[test]
fn wait_timeout_while_times_out_only_if_the_condition_still_holds() {
    // Nobody changes the flag: timed out, condition still true.
    let r = Checker::new().iterations(100).run(|| {
        let (m, c) = (Mutex::new(false), Condvar::new());
        let (g, res) = c
            .wait_timeout_while(m.lock().unwrap(), Duration::from_millis(5), |ready| !*ready)
            .unwrap();
        (*g, res.timed_out())
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["(false, true)"]);

    // A task sets the flag without notifying: the waiter only wakes by its timeout, and
    // then the condition no longer holds, so it did not "time out". With a notifying
    // task, whichever way it wakes, `timed_out()` must equal "the condition still holds".
    for notify in [false, true] {
        let r = Checker::new().iterations(500).run(move || {
            let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
            let p = pair.clone();
            let t = fork(move || {
                *p.0.lock().unwrap() = true;
                if notify {
                    p.1.notify_all();
                }
            });
            let (lock, cvar) = &*pair;
            let (g, res) = cvar
                .wait_timeout_while(lock.lock().unwrap(), Duration::from_millis(5), |r| !*r)
                .unwrap();
            let consistent = res.timed_out() != *g;
            drop(g);
            wait(t);
            consistent
        });
        assert!(r.is_clean(), "notify={notify}: {r}");
        assert_eq!(values(&r), ["true"], "notify={notify}: {r}");
    }

    // On the pool: the flag is set before the wait, so it returns at once, not timed out.
    let got = watchdog("wait_timeout_while on the pool", || {
        Runtime::parallel(2).run(|| {
            let (m, c) = (Mutex::new(true), Condvar::new());
            let (g, res) = c
                .wait_timeout_while(m.lock().unwrap(), Duration::from_secs(20), |r| !*r)
                .unwrap();
            let first = (*g, res.timed_out());
            drop(g);
            let m2 = Mutex::new(false);
            let (g, res) = c
                .wait_timeout_while(m2.lock().unwrap(), Duration::from_millis(5), |r| !*r)
                .unwrap();
            (first, (*g, res.timed_out()))
        })
    });
    assert_eq!(got, ((true, false), (false, true)));
}

/// `waiters` tasks wait (in a loop) for a flag the caller sets, then the caller wakes
/// them with `notify_all` or `notify_one`.
fn broadcast(all: bool, waiters: usize) -> usize {
    let pair: Pair = Arc::new((Mutex::new(false), Condvar::new()));
    let ts: Vec<_> = (0..waiters)
        .map(|_| {
            let p = pair.clone();
            fork(move || {
                let g = p.1.wait_while(p.0.lock().unwrap(), |go| !*go).unwrap();
                usize::from(*g)
            })
        })
        .collect();
    *pair.0.lock().unwrap() = true;
    if all {
        pair.1.notify_all();
    } else {
        pair.1.notify_one();
    }
    ts.into_iter().map(wait).sum()
}

#[test]
fn notify_all_wakes_every_waiter() {
    for strategy in [Strategy::Random, Strategy::Pct { depth: 3 }] {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(|| broadcast(true, 3));
        assert!(r.is_clean(), "{strategy}: {r}");
        assert_eq!(values(&r), ["3"], "{strategy}: {r}");
    }
    let got = watchdog("notify_all on the pool", || {
        Runtime::parallel(2).run(|| broadcast(true, 3))
    });
    assert_eq!(got, 3);
}

#[test]
fn notify_one_for_several_waiters_leaves_one_stuck() {
    // Two waiters that wait once (no flag re-check) for one `notify_one`, sent after both
    // are waiting: one wakes, the other waits forever.
    let r = Checker::new().max_steps(10_000).iterations(1000).run(|| {
        let state = Arc::new((Mutex::new(0usize), Condvar::new()));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let s = state.clone();
                fork(move || {
                    let mut waiting = s.0.lock().unwrap();
                    *waiting += 1;
                    let _g = s.1.wait(waiting).unwrap();
                })
            })
            .collect();
        while *state.0.lock().unwrap() < 2 {
            forkwait::yield_now();
        }
        state.1.notify_one();
        ts.into_iter().for_each(wait);
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(deadlock_message(&r).contains("condvar"), "{r}");

    // `broadcast` with `notify_one` and three looping waiters is stuck as well.
    let r = Checker::new().iterations(500).run(|| broadcast(false, 3));
    assert!(r.has(FindingKind::Deadlock), "{r}");
}
