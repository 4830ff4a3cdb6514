//! `scope`: forks that borrow from the stack.

use forkwait::{Runtime, scope};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

fn parallel_sum(v: &[u64]) -> u64 {
    if v.len() <= 64 {
        return v.iter().sum();
    }
    let (a, b) = v.split_at(v.len() / 2);
    scope(|s| {
        let fa = s.fork(|| parallel_sum(a));
        let fb = s.fork(|| parallel_sum(b));
        s.wait(fa) + s.wait(fb)
    })
}

#[test]
fn scoped_forks_borrow_the_callers_data() {
    let data: Vec<u64> = (0..50_000).collect();
    let want: u64 = data.iter().sum();
    for threads in [1, 2] {
        assert_eq!(Runtime::parallel(threads).run(|| parallel_sum(&data)), want);
    }
    assert_eq!(Runtime::eager().run(|| parallel_sum(&data)), want);
    assert_eq!(parallel_sum(&data), want);
}

#[test]
fn scope_waits_for_unwaited_tasks() {
    let counter = AtomicUsize::new(0);
    Runtime::parallel(2).run(|| {
        scope(|s| {
            for _ in 0..100 {
                drop(s.fork(|| {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    counter.fetch_add(1, Ordering::SeqCst);
                }));
            }
        });
        // Every task has finished when `scope` returns.
        assert_eq!(counter.load(Ordering::SeqCst), 100);
    });
}

#[test]
fn an_unwaited_scoped_panic_is_raised_when_the_scope_ends() {
    for rt in [Runtime::parallel(1), Runtime::eager()] {
        let err = catch_unwind(AssertUnwindSafe(|| {
            rt.run(|| {
                scope(|s| {
                    let _ = s.fork(|| -> () { panic!("scoped boom") });
                    "scope body finished"
                })
            })
        }))
        .unwrap_err();
        assert_eq!(*err.downcast::<&str>().unwrap(), "scoped boom", "{rt:?}");
    }
}

#[test]
fn a_waited_scoped_panic_is_not_raised_again() {
    let r = Runtime::parallel(2).run(|| {
        scope(|s| {
            let f = s.fork(|| -> () { panic!("seen") });
            f.try_wait().unwrap_err().message().map(str::to_owned)
        })
    });
    assert_eq!(r.as_deref(), Some("seen"));
}

/// A value that records its drop in state the scope's caller owns.
struct DropMark<'a>(&'a AtomicUsize);

impl Drop for DropMark<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Forks tasks whose values borrow `drops` and drops their futures unwaited; returns how
/// many of the values were dropped by the time `scope` returned.
fn unwaited_values_dropped_in_scope() -> usize {
    let drops = AtomicUsize::new(0);
    scope(|s| {
        let _ = s.fork(|| DropMark(&drops));
        let _ = s.fork(|| DropMark(&drops));
        let kept = s.fork(|| DropMark(&drops));
        std::mem::drop(kept);
    });
    drops.load(Ordering::SeqCst)
}

#[test]
fn a_value_nobody_waited_is_dropped_before_the_scope_returns() {
    // Pool: a worker's last reference to a finished task may go after the scope returns;
    // the value (which borrows the caller's frame) must not be dropped that late.
    let rt = Runtime::parallel(2);
    for _ in 0..200 {
        assert_eq!(rt.run(unwaited_values_dropped_in_scope), 3);
    }
    // Simulator: the execution keeps its tasks' cells until it ends.
    let report = forkwait::Checker::new()
        .iterations(50)
        .run(|| assert_eq!(unwaited_values_dropped_in_scope(), 3));
    assert!(report.is_clean(), "{report}");
}
