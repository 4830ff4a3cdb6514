//! Tests of the pool: managed blocking (spares, retirement, shutdown) and the block cache.

use super::{Registry, blocking};
use crate::runtime::{Kind, Runtime};
use crate::{fork, wait};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

fn registry(rt: &Runtime) -> Arc<Registry> {
    match &rt.kind {
        Kind::Pool { registry, .. } => registry.clone(),
        Kind::Eager => unreachable!("a pool runtime"),
    }
}

/// Runs `f` on a fresh thread and fails the test if it has not finished in 20 s.
fn watchdog<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(v) => v,
        Err(RecvTimeoutError::Disconnected) => match h.join() {
            Err(p) => std::panic::resume_unwind(p),
            Ok(()) => unreachable!(),
        },
        Err(RecvTimeoutError::Timeout) => panic!(
            "hang: {what} did not finish within 20 s (tasks blocked in \
             `runtime::blocking` starved the pool)"
        ),
    }
}

/// Polls `cond` for up to 10 s.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} did not happen within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A one-shot gate built on a std condition variable.
struct Gate(Mutex<bool>, Condvar);

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::new(Gate(Mutex::new(false), Condvar::new()))
    }
    fn open(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_all();
    }
    /// Blocks the thread until the gate opens, as `forkwait::sync` would.
    fn pass(&self) {
        blocking(|| {
            let mut open = self.0.lock().unwrap();
            while !*open {
                open = self.1.wait(open).unwrap();
            }
        })
    }
}

#[test]
fn receive_before_the_queued_send_on_one_worker() {
    let v = watchdog("recv waiting for a queued send on parallel(1)", || {
        Runtime::parallel(1).run(|| {
            let (tx, rx) = mpsc::channel();
            let r = fork(move || blocking(|| rx.recv().unwrap()));
            let s = fork(move || {
                tx.send(40).unwrap();
                2
            });
            // `s` is on top of the deque: `wait(r)` runs `r`, which blocks the only
            // worker with `s` still queued behind it.
            wait(r) + wait(s)
        })
    });
    assert_eq!(v, 42);
}

/// Several tasks block twice: on a rendezvous with a task each forked onto its own
/// deque just before, then on a gate opened by a task queued behind all of them.
fn several_blocked_tasks(threads: usize) -> Arc<Registry> {
    let rt = Runtime::parallel(threads);
    let reg = registry(&rt);
    let sum = watchdog("tasks blocked on a gate and on channels", move || {
        rt.run(|| {
            let gate = Gate::new();
            let waiters: Vec<_> = (0..6u64)
                .map(|i| {
                    let gate = gate.clone();
                    fork(move || {
                        let (tx, rx) = mpsc::sync_channel(0);
                        let inner = fork(move || blocking(|| tx.send(i).unwrap()));
                        let got = blocking(|| rx.recv().unwrap());
                        gate.pass();
                        wait(inner);
                        got
                    })
                })
                .collect();
            let opener = fork(move || gate.open());
            let sum: u64 = waiters.into_iter().map(wait).sum();
            wait(opener);
            sum
        })
    });
    assert_eq!(sum, 15);
    reg
}

#[test]
fn blocked_tasks_complete_on_one_worker() {
    let reg = several_blocked_tasks(1);
    assert_eq!(reg.blocked(), 0);
}

#[test]
fn blocked_tasks_complete_on_two_workers() {
    let reg = several_blocked_tasks(2);
    assert_eq!(reg.blocked(), 0);
}

#[test]
fn spares_retire_when_idle_and_are_joined_at_drop() {
    let rt = Runtime::parallel(1);
    let reg = registry(&rt);
    let rt = watchdog(
        "a task blocked until a queued task opens its gate",
        move || {
            rt.run(|| {
                let gate = Gate::new();
                let g = gate.clone();
                let a = fork(move || g.pass());
                let b = fork(move || gate.open());
                wait(a);
                wait(b);
            });
            rt
        },
    );
    assert!(reg.spares() <= 1);
    assert_eq!(reg.blocked(), 0);
    // The pool is idle: the spare leaves after its keep-alive.
    eventually("the spare retiring", || reg.spares() == 0);
    // It is blocked again, and this time the runtime is dropped while a spare runs.
    let reg2 = reg.clone();
    watchdog("a blocked detached task at shutdown", move || {
        rt.run(|| {
            let gate = Gate::new();
            let g = gate.clone();
            drop(fork(move || g.pass()));
            drop(fork(move || gate.open()));
        });
        drop(rt);
    });
    assert_eq!(reg2.spares(), 0);
    assert_eq!(reg2.blocked(), 0);
    assert!(reg2.spare_handles.lock().unwrap().is_empty());
}

#[test]
fn running_another_runtime_from_a_worker_is_compensated() {
    let inner = Arc::new(Runtime::parallel(1));
    let v = watchdog(
        "a nested Runtime::run waiting for a queued task",
        move || {
            Runtime::parallel(1).run(|| {
                let gate = Gate::new();
                let g = gate.clone();
                let s = fork(move || {
                    gate.open();
                    1
                });
                // This worker blocks in `inner.run` while `s` is queued behind it.
                let r = inner.run(move || {
                    g.pass();
                    2
                });
                r + wait(s)
            })
        },
    );
    assert_eq!(v, 3);
}

#[test]
fn blocking_elsewhere_just_runs() {
    assert_eq!(blocking(|| 1), 1);
    assert_eq!(Runtime::eager().run(|| blocking(|| 2)), 2);
    let rt = Runtime::parallel(1);
    let reg = registry(&rt);
    // A thread of another pool is not a thread of this one.
    let v = rt.run(|| Runtime::eager().run(|| blocking(|| 3)));
    assert_eq!(v, 3);
    assert_eq!(reg.spares(), 0);
}

#[test]
fn unwinding_releases_the_blocked_count() {
    let rt = Runtime::parallel(1);
    let reg = registry(&rt);
    let reg2 = reg.clone();
    rt.run(move || {
        let r = std::panic::catch_unwind(|| blocking(|| panic!("blocked and failed")));
        assert!(r.is_err());
        assert_eq!(reg2.blocked(), 0);
        // Still counted once when blocking again.
        blocking(|| assert_eq!(reg2.blocked(), 1));
    });
    assert_eq!(reg.blocked(), 0);
}

/// The free blocks kept by the current pool thread's cache.
fn cached_blocks() -> u32 {
    super::with_cache(|c| c.expect("a pool thread").len())
}

#[test]
fn fork_wait_pairs_reuse_one_cached_block() {
    let rt = Runtime::parallel(1);
    rt.run(|| {
        let before = cached_blocks();
        assert_eq!(wait(fork(|| 1u64)), 1);
        // The block went back to this worker's cache...
        assert_eq!(cached_blocks(), before + 1);
        // ...and every later pair of the same size class takes it and gives it back.
        let sum: u64 = (0..100u64).map(|i| wait(fork(move || i))).sum();
        assert_eq!(sum, 4950);
        assert_eq!(cached_blocks(), before + 1);
        // A panic run alone still reaches the waiter, and the block still comes back.
        let p = fork(|| -> u64 { panic!("alone") }).try_wait().unwrap_err();
        assert_eq!(p.message(), Some("alone"));
        assert_eq!(cached_blocks(), before + 1);
        // A larger task is another class: a second block.
        let big = wait(fork(|| [7u64; 40]));
        assert_eq!(big[39], 7);
        assert_eq!(cached_blocks(), before + 2);
        // A shared future is not run alone (claimed and completed as any shared task),
        // and its block is cached all the same once the last reference is gone.
        let s = fork(|| 5u64).shared();
        assert_eq!(s.wait() + s.wait(), 10);
        drop(s);
        assert_eq!(cached_blocks(), before + 2);
    });
}
