//! An execution reuses the state, buffers and task cells of the thread's previous ones:
//! nothing of an earlier execution may show in a later one, and what a task captured is
//! dropped when its execution ends, even if the task never started.

use forkwait::sync::{Mutex, Shared};
use forkwait::{Checker, FindingKind, Strategy, fork, wait, yield_now};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn racy() -> usize {
    let c = Arc::new(Shared::new(0usize));
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let c = c.clone();
            fork(move || c.write(c.read() + 1))
        })
        .collect();
    hs.into_iter().for_each(wait);
    c.read()
}

/// More tasks, objects, blocked waits and lock waiters than `racy`.
fn big() -> u32 {
    let m = Arc::new(Mutex::new(0u32));
    let hs: Vec<_> = (0..8)
        .map(|i| {
            let m = m.clone();
            fork(move || {
                let inner = fork(move || i);
                *m.lock().unwrap() += wait(inner);
            })
        })
        .collect();
    hs.into_iter().for_each(wait);
    *m.lock().unwrap()
}

#[test]
fn a_run_after_a_bigger_one_reports_what_a_fresh_thread_does() {
    let check = || Checker::new().seed(3).iterations(200).run(racy).to_string();
    let fresh = std::thread::spawn(check).join().unwrap();
    let _ = Checker::new().seed(1).iterations(50).run(big);
    let reused = check();
    assert_eq!(fresh, reused);
    assert!(reused.contains("race"), "{reused}");
}

struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_never_started_tasks_captures_are_dropped_when_its_execution_aborts() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let (d, m) = (dropped.clone(), made.clone());
    // The first schedule of the exhaustive strategy never preempts: the forked task never
    // starts, and the loop runs into the step limit. Its future is forgotten, so only the
    // harness can drop the body, when the execution ends.
    let report = Checker::new()
        .strategy(Strategy::Exhaustive {
            max_preemptions: Some(0),
        })
        .iterations(1)
        .max_steps(40)
        .shrink(false)
        .run(move || {
            m.fetch_add(1, Ordering::SeqCst);
            let g = Counted(d.clone());
            let f = fork(move || drop(g));
            std::mem::forget(f);
            loop {
                yield_now();
            }
        });
    assert!(report.has(FindingKind::StepLimit), "{report}");
    // (The finding's illustration runs the schedule again.)
    assert!(made.load(Ordering::SeqCst) >= 1);
    assert_eq!(dropped.load(Ordering::SeqCst), made.load(Ordering::SeqCst));
}
