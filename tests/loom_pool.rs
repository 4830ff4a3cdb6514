//! Model-checks the pool's own synchronization with loom.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release --test loom_pool`.
//! Each model builds a small pool (loom allows at most 5 threads, the model's main thread
//! included) and explores every interleaving of: a task's completion racing with a
//! waiter that claims, helps or sleeps; pushes racing with workers going to sleep (a lost
//! wake-up would hang, which loom reports as a deadlock); shutdown draining the queues; a
//! spare thread compensating for a worker blocked in `runtime::blocking`; and the task
//! blocks' reference count (the last reference dropping on a thief, the waiter or an
//! outside thread, a block reused from a worker's cache, a task run alone by its waiter
//! next to one that a scope still references).
#![cfg(loom)]

use forkwait::{Runtime, fork, wait};

#[test]
fn completion_races_with_an_outside_waiter() {
    loom::model(|| {
        let rt = Runtime::parallel(1);
        // The future comes back to this (outside) thread, so the worker may run the task
        // before, during or after our wait: claim, sleep-then-wake, or already done.
        let f = rt.run(|| fork(|| 7));
        assert_eq!(f.wait(), 7);
    });
}

#[test]
fn nested_fork_and_wait_on_one_worker() {
    loom::model(|| {
        let rt = Runtime::parallel(1);
        let v = rt.run(|| {
            let a = fork(|| 1);
            let b = fork(|| 2);
            wait(a) + wait(b)
        });
        assert_eq!(v, 3);
    });
}

#[test]
fn two_workers_steal_and_wake() {
    loom::model(|| {
        let rt = Runtime::parallel(2);
        let v = rt.run(|| {
            let a = fork(|| 10);
            wait(a) + 1
        });
        assert_eq!(v, 11);
    });
}

#[test]
fn detached_task_runs_before_shutdown_completes() {
    loom::model(|| {
        use loom::sync::Arc;
        use loom::sync::atomic::{AtomicBool, Ordering};
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        {
            let rt = Runtime::parallel(1);
            rt.run(move || drop(fork(move || r.store(true, Ordering::SeqCst))));
        }
        assert!(ran.load(Ordering::SeqCst));
    });
}

#[test]
fn panic_is_delivered_across_threads() {
    loom::model(|| {
        let rt = Runtime::parallel(1);
        let f = rt.run(|| fork(|| -> u8 { panic!("loom boom") }));
        let p = f.try_wait().unwrap_err();
        assert_eq!(p.message(), Some("loom boom"));
    });
}

/// Managed blocking: on a pool of one worker, task A blocks its thread (inside
/// `runtime::blocking`) until task B, queued behind it on the same worker's deque, has run.
/// Without a compensating spare thread nobody could ever run B, and loom reports the
/// deadlock; with it, every interleaving of the spare's start, its stealing B, A waking up,
/// the spare retiring or going to sleep, and shutdown joining it must complete.
#[test]
fn blocked_task_is_compensated_by_a_spare() {
    loom::model(|| {
        use loom::sync::{Arc, Condvar, Mutex};
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (ga, gb) = (gate.clone(), gate);
        let rt = Runtime::parallel(1);
        let v = rt.run(move || {
            let a = fork(move || {
                forkwait::__blocking_for_tests(|| {
                    let (m, cv) = &*ga;
                    let mut open = m.lock().unwrap();
                    while !*open {
                        open = cv.wait(open).unwrap();
                    }
                });
                1
            });
            let b = fork(move || {
                let (m, cv) = &*gb;
                *m.lock().unwrap() = true;
                cv.notify_all();
                2
            });
            // `b` is on top of the deque: `wait(a)` claims `a` in place and runs it on
            // this worker, where it blocks with `b` still queued.
            wait(a) + wait(b)
        });
        assert_eq!(v, 3);
    });
}

/// Task blocks: two forks in a row on a pool of two workers. Each task is either run alone
/// by its waiter (popped back with its future as the only other reference) or stolen by
/// the other worker, whose release of its queue entry may then be the last reference and
/// put the block into *its* cache; the second fork may reuse the first one's block. Every
/// interleaving must give each waiter its own task's value, with no race on the result
/// slots.
#[test]
fn blocks_are_freed_by_thief_or_waiter_and_reused() {
    loom::model(|| {
        let rt = Runtime::parallel(2);
        let v = rt.run(|| {
            let a = fork(|| vec![1u8; 3]);
            let x = wait(a).len();
            let b = fork(|| vec![2u8; 4]);
            x + wait(b).len()
        });
        assert_eq!(v, 7);
    });
}

/// A scoped fork has a third reference (the scope's record), so its waiter never runs it
/// alone: it claims it like any shared task. Its result borrows from the caller's frame.
#[test]
fn scoped_task_is_claimed_not_run_alone() {
    loom::model(|| {
        let rt = Runtime::parallel(1);
        let v = rt.run(|| {
            let data = [5u32, 6];
            forkwait::scope(|s| {
                let f = s.fork(|| &data[1]);
                let g = s.fork(|| data[0]);
                *f.wait() + g.wait()
            })
        });
        assert_eq!(v, 11);
    });
}

/// Wake-ups are counted (a pusher notifies only sleepers that no notification is already
/// on its way to): jobs injected one after the other from outside, with the worker
/// asleep, notified or waking in between, must each be run. A notification count that a
/// waking sleeper failed to take off would make the second injection skip its wake-up,
/// and the model would deadlock.
#[test]
fn successive_injections_each_wake_the_worker() {
    loom::model(|| {
        let rt = Runtime::parallel(1);
        assert_eq!(rt.run(|| 1), 1);
        assert_eq!(rt.run(|| fork(|| 2).wait()), 2);
    });
}
