//! `forkwait::sync::mpsc`: std's channels under the simulator and on the pool. An
//! order-independent consumer is clean and deterministic, an order-dependent one is
//! `Nondeterminism`; disconnection (`RecvError`, `try_send` `Disconnected`); a receive or a
//! bounded send nobody can ever serve is a `Deadlock` naming the channel; `sync_channel`
//! bounds how far a producer runs ahead (checked inside the program, with an unbounded
//! channel as the control that violates it); rendezvous channels; `try_recv`, `try_send`,
//! `recv_timeout` (timeouts are scheduling choices, never a false deadlock), `iter`,
//! `try_iter`, `into_iter`; producer/consumer pairs on small pools.

use forkwait::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use forkwait::sync::mpsc::{
    self, RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError,
};
use forkwait::sync::{Arc, Mutex};
use forkwait::{Checker, FindingKind, Runtime, Strategy, fork, wait};
use std::time::Duration;

mod common;
use common::{deadlock_message, strategies, values, watchdog};

/// Two producers send two values each; the consumer sums (or records the order).
fn producers(order: bool) -> Vec<i32> {
    let (tx, rx) = mpsc::channel();
    let ts: Vec<_> = [1, 10]
        .into_iter()
        .map(|base| {
            let tx = tx.clone();
            fork(move || {
                tx.send(base).unwrap();
                tx.send(base + 1).unwrap();
            })
        })
        .collect();
    drop(tx);
    let got: Vec<i32> = rx.iter().collect();
    ts.into_iter().for_each(wait);
    if order { got } else { vec![got.iter().sum()] }
}

#[test]
fn order_independent_consumer_is_clean_and_deterministic() {
    for strategy in strategies() {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(|| producers(false));
        assert!(r.is_clean(), "{strategy}: {r}");
        assert_eq!(values(&r), ["[24]"], "{strategy}: {r}");
    }
}

#[test]
fn arrival_order_is_nondeterministic() {
    for strategy in strategies() {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(|| producers(true));
        assert!(r.has(FindingKind::Nondeterminism), "{strategy}: {r}");
        // Each producer's own messages stay in order (FIFO per sender).
        for o in r.outcomes() {
            let v: Vec<i32> = o.value[1..o.value.len() - 1]
                .split(", ")
                .map(|x| x.parse().unwrap())
                .collect();
            let pos = |x| v.iter().position(|&y| y == x).unwrap();
            assert!(pos(1) < pos(2) && pos(10) < pos(11), "{}", o.value);
        }
    }
}

#[test]
fn recv_after_every_sender_is_gone_is_an_error() {
    let program = || {
        let (tx, rx) = mpsc::channel::<u8>();
        let tx2 = tx.clone();
        let t = fork(move || {
            tx2.send(7).unwrap();
        });
        drop(tx);
        let first = rx.recv();
        wait(t);
        let after = rx.recv();
        let try_after = rx.try_recv();
        let timeout_after = rx.recv_timeout(Duration::from_millis(1));
        (first, after, try_after, timeout_after)
    };
    let expected = (
        Ok(7),
        Err(RecvError),
        Err(TryRecvError::Disconnected),
        Err(RecvTimeoutError::Disconnected),
    );
    let r = Checker::new().iterations(300).run(program);
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), [format!("{expected:?}")]);
    let got = watchdog("disconnection on the pool", move || {
        Runtime::parallel(2).run(program)
    });
    assert_eq!(got, expected);
    // A receiver blocked in `recv` is woken by the last sender's drop (never a deadlock).
    let r = Checker::new().iterations(300).run(|| {
        let (tx, rx) = mpsc::channel::<u8>();
        let t = fork(move || drop(tx));
        let got = rx.recv();
        wait(t);
        got
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["Err(RecvError)"]);
}

#[test]
fn a_receive_nobody_can_serve_is_a_deadlock_naming_the_channel() {
    // The receiving task itself holds the last sender.
    let r = Checker::new().iterations(50).run(|| {
        let (tx, rx) = mpsc::channel::<u8>();
        let got = rx.recv();
        drop(tx);
        got
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(r.outcomes().is_empty());
    let msg = deadlock_message(&r);
    assert!(msg.contains("channel"), "{msg}");
    assert!(msg.contains("sync_mpsc.rs:"), "{msg}");

    // The only sender is blocked elsewhere: on a lock the receiver holds.
    let r = Checker::new().iterations(300).run(|| {
        let m = Arc::new(Mutex::new(()));
        let (tx, rx) = mpsc::channel::<u8>();
        let g = m.lock().unwrap();
        let m2 = m.clone();
        let t = fork(move || {
            let _g = m2.lock().unwrap();
            tx.send(1).unwrap();
        });
        let got = rx.recv();
        drop(g);
        wait(t);
        got
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    let msg = deadlock_message(&r);
    assert!(
        msg.contains("channel") && msg.contains("waits to lock"),
        "{msg}"
    );
}

/// A producer sends 4 messages through `make()`'s channel while the consumer takes them;
/// the producer asserts, after each send, that it is at most `ahead` messages ahead of
/// what the consumer has recorded.
fn bounded_producer(bound: Option<usize>, ahead: usize) -> usize {
    let sent = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let (s2, r2) = (sent.clone(), received.clone());
    let (send, rx): (Box<dyn Fn(usize) + Send>, mpsc::Receiver<usize>) = match bound {
        Some(b) => {
            let (tx, rx) = mpsc::sync_channel(b);
            (Box::new(move |i| tx.send(i).unwrap()), rx)
        }
        None => {
            let (tx, rx) = mpsc::channel();
            (Box::new(move |i| tx.send(i).unwrap()), rx)
        }
    };
    let producer = fork(move || {
        for i in 0..4 {
            send(i);
            let s = s2.fetch_add(1, SeqCst) + 1;
            let r = r2.load(SeqCst);
            assert!(s <= r + ahead, "producer ran ahead: sent {s}, received {r}");
        }
    });
    let mut total = 0;
    for v in rx.iter() {
        received.fetch_add(1, SeqCst);
        total += v;
    }
    wait(producer);
    total
}

#[test]
fn a_bounded_send_blocks_until_there_is_room() {
    // Bound 1: one message queued plus one taken but not yet recorded.
    let r = Checker::new()
        .iterations(1000)
        .run(|| bounded_producer(Some(1), 2));
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["6"]);
    // Control: an unbounded channel lets the producer run ahead, and the check fires.
    let r = Checker::new()
        .iterations(1000)
        .run(|| bounded_producer(None, 2));
    assert!(
        r.has(FindingKind::Panic),
        "the invariant check must be able to fail: {r}"
    );
    // On the pool, too.
    let got = watchdog("sync_channel(1) on the pool", || {
        Runtime::parallel(2).run(|| (0..20).map(|_| bounded_producer(Some(1), 2)).sum::<usize>())
    });
    assert_eq!(got, 120);
}

#[test]
fn rendezvous_channel_works_under_the_simulator_and_on_the_pool() {
    // Bound 0: a send completes only once its message is taken.
    for strategy in strategies() {
        let r = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(|| bounded_producer(Some(0), 1));
        assert!(r.is_clean(), "{strategy}: {r}");
        assert_eq!(values(&r), ["6"], "{strategy}: {r}");
    }
    // A bound-1 channel does not give that guarantee: the same check fails.
    let r = Checker::new()
        .iterations(1000)
        .run(|| bounded_producer(Some(1), 1));
    assert!(r.has(FindingKind::Panic), "{r}");
    let got = watchdog("sync_channel(0) on the pool", || {
        Runtime::parallel(2).run(|| {
            let (tx, rx) = mpsc::sync_channel(0);
            let t = fork(move || {
                for i in 0..10 {
                    tx.send(i).unwrap();
                }
            });
            let got: Vec<i32> = rx.iter().collect();
            wait(t);
            got
        })
    });
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

#[test]
fn a_bounded_send_that_can_never_complete_is_a_deadlock() {
    let r = Checker::new().iterations(50).run(|| {
        let (tx, rx) = mpsc::sync_channel(1);
        tx.send(1).unwrap();
        tx.send(2).unwrap(); // full, and the only receiver is this task
        rx.recv()
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
    assert!(r.outcomes().is_empty());
    assert!(deadlock_message(&r).contains("channel"), "{r}");
    // A rendezvous send with nobody ever receiving.
    let r = Checker::new().iterations(100).run(|| {
        let (tx, rx) = mpsc::sync_channel::<u8>(0);
        let t = fork(move || tx.send(1));
        let r = wait(t);
        drop(rx);
        r
    });
    assert!(r.has(FindingKind::Deadlock), "{r}");
}

#[test]
fn try_recv_and_try_send() {
    let program = || {
        let (tx, rx) = mpsc::sync_channel::<u8>(1);
        let empty = rx.try_recv();
        let first = tx.try_send(1);
        let full = tx.try_send(2);
        let got = rx.try_recv();
        let tx2 = tx.clone();
        drop(tx);
        let still = tx2.try_send(3);
        drop(tx2);
        let last = rx.try_recv();
        let disconnected = rx.try_recv();
        let (tx3, rx3) = mpsc::sync_channel::<u8>(1);
        drop(rx3);
        let no_receiver = tx3.try_send(4);
        let send_no_receiver = tx3.send(5);
        (
            empty,
            first,
            full,
            got,
            still,
            last,
            disconnected,
            no_receiver,
            send_no_receiver,
        )
    };
    let expected = (
        Err(TryRecvError::Empty),
        Ok(()),
        Err(TrySendError::Full(2)),
        Ok(1),
        Ok(()),
        Ok(3),
        Err(TryRecvError::Disconnected),
        Err(TrySendError::Disconnected(4)),
        Err(SendError(5)),
    );
    assert_eq!(Runtime::parallel(1).run(program), expected);
    let r = Checker::new().iterations(20).run(program);
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), [format!("{expected:?}")]);
    // On a rendezvous channel `try_send` succeeds only when a receiver is waiting.
    let r = Checker::new().iterations(20).run(|| {
        let (tx, _rx) = mpsc::sync_channel::<u8>(0);
        tx.try_send(1)
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["Err(TrySendError::Full(..))"]);
}

static TIMEOUTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ON_TIME: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn recv_timeout_times_out_in_some_schedules_never_a_false_deadlock() {
    use std::sync::atomic::Ordering::Relaxed;
    let r = Checker::new().iterations(500).run(|| {
        let (tx, rx) = mpsc::channel();
        let t = fork(move || {
            forkwait::yield_now(); // a slow sender
            tx.send(42).unwrap();
        });
        let v = match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(v) => {
                ON_TIME.fetch_add(1, Relaxed);
                v
            }
            Err(RecvTimeoutError::Timeout) => {
                TIMEOUTS.fetch_add(1, Relaxed);
                rx.recv().unwrap()
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the sender sends before it drops"),
        };
        wait(t);
        v
    });
    assert!(r.is_clean(), "{r}");
    assert!(!r.has(FindingKind::Deadlock));
    assert_eq!(values(&r), ["42"]);
    assert!(TIMEOUTS.load(Relaxed) > 0, "no schedule timed out");
    assert!(ON_TIME.load(Relaxed) > 0, "every schedule timed out");
    // Nobody sends, but a sender is alive: it times out, no deadlock.
    let r = Checker::new().iterations(50).run(|| {
        let (_tx, rx) = mpsc::channel::<u8>();
        rx.recv_timeout(Duration::from_millis(1))
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["Err(Timeout)"]);
    let got = watchdog("recv_timeout on the pool", || {
        Runtime::parallel(1).run(|| {
            let (_tx, rx) = mpsc::channel::<u8>();
            rx.recv_timeout(Duration::from_millis(5))
        })
    });
    assert_eq!(got, Err(RecvTimeoutError::Timeout));
}

#[test]
fn iter_try_iter_and_into_iter() {
    let program = || {
        let (tx, rx) = mpsc::channel();
        for i in 0..3 {
            tx.send(i).unwrap();
        }
        let now: Vec<i32> = rx.try_iter().collect();
        let none: Vec<i32> = rx.try_iter().collect();
        tx.send(10).unwrap();
        let t = fork(move || {
            tx.send(11).unwrap();
        });
        let mut rest: Vec<i32> = Vec::new();
        for v in &rx {
            rest.push(v); // ends when the task's sender is dropped
        }
        wait(t);
        let (tx, rx) = mpsc::channel();
        let t = fork(move || {
            for i in 0..3 {
                tx.send(i * 2).unwrap();
            }
        });
        let owned: Vec<i32> = rx.into_iter().collect();
        wait(t);
        (now, none, rest, owned)
    };
    let expected = (vec![0, 1, 2], vec![], vec![10, 11], vec![0, 2, 4]);
    let r = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: Some(2),
        })
        .iterations(2000)
        .run(program);
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), [format!("{expected:?}")]);
    let got = watchdog("iterators on the pool", move || {
        Runtime::parallel(2).run(program)
    });
    assert_eq!(got, expected);
}

/// A consumer and a producer forked in either order, the consumer blocking in `recv`.
fn pair(consumer_first: bool) -> i32 {
    let (tx, rx) = mpsc::channel();
    let consume = move || rx.iter().take(5).sum::<i32>();
    let produce = move || {
        for i in 1..=5 {
            tx.send(i).unwrap();
        }
    };
    if consumer_first {
        let c = fork(consume);
        let p = fork(produce);
        wait(p);
        wait(c)
    } else {
        let p = fork(produce);
        let c = fork(consume);
        let v = wait(c);
        wait(p);
        v
    }
}

#[test]
fn producer_consumer_pairs_under_the_simulator() {
    for first in [true, false] {
        let r = Checker::new().iterations(500).run(move || pair(first));
        assert!(r.is_clean(), "{r}");
        assert_eq!(values(&r), ["15"]);
    }
}

#[test]
fn producer_consumer_pairs_on_two_threads() {
    let got = watchdog("producer/consumer on Runtime::parallel(2)", || {
        let rt = Runtime::parallel(2);
        (0..20)
            .map(|i| rt.run(move || pair(i % 2 == 0)))
            .collect::<Vec<_>>()
    });
    assert!(got.iter().all(|&v| v == 15), "{got:?}");
}

#[test]
fn producer_consumer_pairs_on_one_thread() {
    // On one worker a consumer blocked in `recv` holds the only thread while its producer
    // is queued: this completes only because the pool compensates for blocked workers.
    let got = watchdog("producer/consumer on Runtime::parallel(1)", || {
        let rt = Runtime::parallel(1);
        (0..20)
            .map(|i| rt.run(move || pair(i % 2 == 0)))
            .collect::<Vec<_>>()
    });
    assert!(got.iter().all(|&v| v == 15), "{got:?}");
}
