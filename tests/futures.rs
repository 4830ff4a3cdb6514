//! Futures: waited in another task, detached, polled with `is_done`.

use forkwait::{Future, Runtime, fork, wait};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

#[test]
fn future_waited_in_another_task() {
    let rt = Runtime::parallel(2);
    let v = rt.run(|| {
        let producer: Future<Vec<u32>> = fork(|| (0..10).collect());
        // The future is moved into a second task and waited there.
        let consumer = fork(move || wait(producer).iter().sum::<u32>());
        wait(consumer)
    });
    assert_eq!(v, 45);
}

#[test]
fn future_sent_through_a_channel_to_a_plain_thread() {
    let (tx, rx) = mpsc::channel::<Future<u64>>();
    let h = std::thread::spawn(move || rx.recv().unwrap().wait());
    tx.send(fork(|| 7)).unwrap();
    assert_eq!(h.join().unwrap(), 7);
}

#[test]
fn dropped_future_still_runs_to_completion() {
    let ran = Arc::new(AtomicBool::new(false));
    {
        let rt = Runtime::parallel(1);
        let r = ran.clone();
        rt.run(move || {
            drop(fork(move || {
                std::thread::sleep(Duration::from_millis(20));
                r.store(true, Ordering::SeqCst);
            }));
        });
        // Dropping the runtime drains the queues: detached tasks finish first.
    }
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn detached_tasks_on_the_global_pool_run() {
    let (tx, rx) = mpsc::channel();
    for i in 0..10 {
        let tx = tx.clone();
        drop(fork(move || tx.send(i).unwrap()));
    }
    let mut got: Vec<i32> = (0..10)
        .map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap())
        .collect();
    got.sort();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

#[test]
fn is_done_turns_true_without_waiting() {
    let rt = Runtime::parallel(2);
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let g = gate.clone();
    let f = rt.run(move || fork(move || drop(g.lock().unwrap())));
    assert!(
        !f.is_done(),
        "the task cannot finish while the gate is held"
    );
    drop(held);
    let t0 = std::time::Instant::now();
    while !f.is_done() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "task never finished"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    f.wait();
}

#[test]
fn waiter_sleeps_while_the_task_runs_elsewhere_and_is_woken() {
    // The awaited task is already running on a worker, and there is nothing else to
    // help with: the waiter must sleep and be woken by completion.
    let rt = Runtime::parallel(1);
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let f = rt.run(move || {
        fork(move || {
            s.store(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            99
        })
    });
    while started.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    assert_eq!(f.wait(), 99);
}

#[test]
fn a_future_kept_from_an_earlier_execution_cannot_be_waited_in_a_later_one() {
    use forkwait::{Checker, FindingKind};
    use std::cell::RefCell;
    thread_local! {
        static KEPT: RefCell<Option<Future<u32>>> = const { RefCell::new(None) };
    }
    let report = Checker::new().iterations(2).run(|| {
        if let Some(old) = KEPT.with(|k| k.borrow_mut().take()) {
            old.wait();
        }
        let f = fork(|| 1u32);
        KEPT.with(|k| *k.borrow_mut() = Some(f));
    });
    // The second execution's future, dropped outside any execution: nothing happens.
    drop(KEPT.with(|k| k.borrow_mut().take()));
    let panic = report
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Panic)
        .expect("the second execution panics");
    assert!(
        panic
            .message()
            .contains("a future of a simulated execution was waited outside it"),
        "{}",
        panic.message()
    );
}
