//! Tests written the way loom's and shuttle's own suites write theirs, ported to forkwait
//! by changing only the imports and the model entry point:
//!
//! * `use loom::sync::…` / `use shuttle::sync::…` → `use forkwait::sync::…`
//! * `use loom::thread;` / `use shuttle::thread;` → `use forkwait::thread;`
//! * `loom::model(|| …)` / `shuttle::check_random(|| …, n)` → `forkwait::check(|| …)` where
//!   the test must pass, or `Checker::new().iterations(n).run(|| …)` where a bug must be
//!   found.
//!
//! The original-style import lines are kept in a comment above each test. (Written for
//! this crate from the style of those suites; no code is copied from them.)

use forkwait::{Checker, FindingKind};

// use loom::sync::{Arc, Mutex};
// use loom::thread;
#[test]
fn mutex_counter() {
    use forkwait::sync::{Arc, Mutex};
    use forkwait::thread;

    forkwait::check(|| {
        let counter = Arc::new(Mutex::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let counter = Arc::clone(&counter);
                thread::spawn(move || {
                    let mut guard = counter.lock().unwrap();
                    *guard += 1;
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*counter.lock().unwrap(), 2);
    });
}

// use loom::sync::Arc;
// use loom::sync::atomic::{AtomicUsize, Ordering};
// use loom::thread;
#[test]
fn atomic_counter() {
    use forkwait::sync::Arc;
    use forkwait::sync::atomic::{AtomicUsize, Ordering};
    use forkwait::thread;

    forkwait::check(|| {
        let num = Arc::new(AtomicUsize::new(0));
        let ths: Vec<_> = (0..2)
            .map(|_| {
                let num = num.clone();
                thread::spawn(move || {
                    num.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for th in ths {
            th.join().unwrap();
        }
        assert_eq!(2, num.load(Ordering::Relaxed));
    });
}

// use shuttle::sync::Arc;
// use shuttle::thread;
#[test]
fn arc_sharing_and_drop() {
    use forkwait::sync::Arc;
    use forkwait::thread;

    forkwait::check(|| {
        let data = Arc::new(vec![1, 2, 3]);
        let d1 = Arc::clone(&data);
        let d2 = Arc::clone(&data);
        let t1 = thread::spawn(move || d1.iter().sum::<i32>());
        let t2 = thread::spawn(move || d2.len());
        assert_eq!(t1.join().unwrap(), 6);
        assert_eq!(t2.join().unwrap(), 3);
        // Every clone is gone once the threads are joined.
        assert_eq!(Arc::strong_count(&data), 1);
    });
}

// use loom::sync::{Arc, Condvar, Mutex};
// use loom::thread;
#[test]
fn condvar_handshake() {
    use forkwait::sync::{Arc, Condvar, Mutex};
    use forkwait::thread;

    forkwait::check(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let pair2 = pair.clone();
        let th = thread::spawn(move || {
            let (lock, cvar) = &*pair2;
            *lock.lock().unwrap() = true;
            cvar.notify_one();
        });
        let (lock, cvar) = &*pair;
        let mut ready = lock.lock().unwrap();
        while !*ready {
            ready = cvar.wait(ready).unwrap();
        }
        drop(ready);
        th.join().unwrap();
    });
}

// use loom::sync::mpsc::channel;
// use loom::thread;
#[test]
fn channel_ping_pong() {
    use forkwait::sync::mpsc::channel;
    use forkwait::thread;

    forkwait::check(|| {
        let (ping_tx, ping_rx) = channel::<u32>();
        let (pong_tx, pong_rx) = channel::<u32>();
        let th = thread::spawn(move || {
            for _ in 0..2 {
                let n = ping_rx.recv().unwrap();
                pong_tx.send(n + 1).unwrap();
            }
        });
        let mut n = 0;
        for _ in 0..2 {
            ping_tx.send(n).unwrap();
            n = pong_rx.recv().unwrap();
        }
        th.join().unwrap();
        assert_eq!(n, 2);
    });
}

// use shuttle::sync::{Arc, RwLock};
// use shuttle::thread;
#[test]
fn rwlock_readers_and_writer() {
    use forkwait::sync::{Arc, RwLock};
    use forkwait::thread;

    forkwait::check(|| {
        let lock = Arc::new(RwLock::new(0));
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || {
                *lock.write().unwrap() += 5;
            })
        };
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || {
                    let v = *lock.read().unwrap();
                    assert!(v == 0 || v == 5, "torn read: {v}");
                })
            })
            .collect();
        writer.join().unwrap();
        for r in readers {
            r.join().unwrap();
        }
        assert_eq!(*lock.read().unwrap(), 5);
    });
}

// use loom::sync::Arc;
// use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
// use loom::thread;
#[test]
fn buggy_load_store_increment_is_found() {
    use forkwait::sync::Arc;
    use forkwait::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use forkwait::thread;

    // The deliberately broken increment these suites use to show a failure is found:
    // under loom it is `#[should_panic]`; here the checker's report must contain it.
    let report = Checker::new().iterations(1000).run(|| {
        let num = Arc::new(AtomicUsize::new(0));
        let ths: Vec<_> = (0..2)
            .map(|_| {
                let num = num.clone();
                thread::spawn(move || {
                    let curr = num.load(SeqCst);
                    num.store(curr + 1, SeqCst);
                })
            })
            .collect();
        for th in ths {
            th.join().unwrap();
        }
        assert_eq!(2, num.load(SeqCst));
    });
    assert!(report.has(FindingKind::Panic), "{report}");
    assert!(!report.is_clean());
    let panic = report
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Panic)
        .unwrap();
    assert!(panic.message().contains("left == right"), "{panic}");
    assert!(panic.replay().is_some_and(|t| t.starts_with("fw1:")));
    // And `check` itself fails on it, as `loom::model` would (`Checker::new().check` is
    // `forkwait::check` without writing a regression file into the repository).
    let failed = std::panic::catch_unwind(|| {
        Checker::new().check(|| {
            let num = Arc::new(AtomicUsize::new(0));
            let n2 = num.clone();
            let th = thread::spawn(move || {
                let curr = n2.load(SeqCst);
                n2.store(curr + 1, SeqCst);
            });
            let curr = num.load(SeqCst);
            num.store(curr + 1, SeqCst);
            th.join().unwrap();
            assert_eq!(2, num.load(SeqCst));
        })
    });
    assert!(
        failed.is_err(),
        "forkwait::check must fail on the lost update"
    );
}

// use shuttle::sync::{Arc, Mutex};
// use shuttle::thread;
#[test]
fn buggy_lock_order_is_found() {
    use forkwait::sync::{Arc, Mutex};
    use forkwait::thread;

    // shuttle::check_random(|| …, 1000)
    let report = Checker::new().iterations(1000).run(|| {
        let a = Arc::new(Mutex::new(0));
        let b = Arc::new(Mutex::new(0));
        let (a2, b2) = (a.clone(), b.clone());
        let th = thread::spawn(move || {
            let _b = b2.lock().unwrap();
            let _a = a2.lock().unwrap();
        });
        {
            let _a = a.lock().unwrap();
            let _b = b.lock().unwrap();
        }
        th.join().unwrap();
    });
    assert!(report.has(FindingKind::Deadlock), "{report}");
}

// use shuttle::thread;
#[test]
fn spawn_and_join_pattern() {
    use forkwait::thread;

    forkwait::check(|| {
        let handles: Vec<_> = (0..3).map(|i| thread::spawn(move || i * 10)).collect();
        let results: Vec<i32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results, vec![0, 10, 20]);
        // A panicking thread's join is `Err`, as with std.
        let h = thread::spawn(|| -> i32 { panic!("boom") });
        let err = h.join().unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    });
}

// use loom::sync::{Arc, Mutex};
// use loom::sync::atomic::{AtomicBool, Ordering};
// use loom::thread;
#[test]
fn mutex_guarded_flag_with_atomic_done() {
    use forkwait::sync::atomic::{AtomicBool, Ordering};
    use forkwait::sync::{Arc, Mutex};
    use forkwait::thread;

    forkwait::check(|| {
        let data = Arc::new(Mutex::new(Vec::new()));
        let done = Arc::new(AtomicBool::new(false));
        let (d2, done2) = (data.clone(), done.clone());
        let th = thread::spawn(move || {
            d2.lock().unwrap().push(1);
            done2.store(true, Ordering::Release);
        });
        if done.load(Ordering::Acquire) {
            assert_eq!(*data.lock().unwrap(), vec![1]);
        }
        th.join().unwrap();
        assert_eq!(data.lock().unwrap().len(), 1);
    });
}

/// `std::thread::scope` ported by changing the import to `forkwait::thread`.
#[test]
fn scoped_threads_pattern() {
    // use std::thread;  →  use forkwait::thread;
    use forkwait::thread;
    forkwait::check(|| {
        let data = [1u64, 2, 3, 4];
        let (a, b) = data.split_at(2);
        thread::scope(|s| {
            let left = s.spawn(|| a.iter().sum::<u64>());
            let right = s.spawn(|| b.iter().sum::<u64>());
            left.join().unwrap() + right.join().unwrap()
        })
    });
}
