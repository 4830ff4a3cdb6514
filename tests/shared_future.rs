//! `Future::shared`: one future waited by several tasks, several times, in every mode
//! (PyTorch's `torch.jit.Future` semantics), and a task panic reaching every waiter.

use forkwait::{Checker, FindingKind, Runtime, SharedFuture, fork, wait};

/// Four tasks and the caller wait one shared future, the caller twice.
fn fan_in() -> (u64, u64) {
    let base: SharedFuture<u64> = fork(|| (1..=10).sum()).shared();
    let waiters: Vec<_> = (0..4)
        .map(|i| {
            let b = base.clone();
            fork(move || b.wait() * i)
        })
        .collect();
    let total = waiters.into_iter().map(wait).sum();
    (total, base.wait() + base.wait())
}

#[test]
fn every_waiter_gets_the_value_in_every_mode() {
    assert_eq!(Runtime::eager().run(fan_in), (330, 110));
    let (v, graph) = forkwait::trace(fan_in);
    assert_eq!(v, (330, 110));
    // Each of the 6 waits of the shared future is its own wait node.
    let text = graph.to_string();
    assert!(text.matches("aten::wait").count() >= 6, "{text}");
    for threads in [1, 2, 4] {
        let rt = Runtime::parallel(threads);
        for _ in 0..100 {
            assert_eq!(rt.run(fan_in), (330, 110));
        }
    }
}

#[test]
fn the_simulator_explores_shared_waits_and_finds_nothing() {
    let r = Checker::new().iterations(500).run(fan_in);
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.outcomes().len(), 1, "{r}");
    let e = Checker::new()
        .strategy(forkwait::Strategy::Exhaustive {
            max_preemptions: Some(2),
        })
        .iterations(20_000)
        .run(fan_in);
    assert!(e.is_clean(), "{e}");
    assert_eq!(e.outcomes().len(), 1, "{e}");
}

fn failing_shared() -> (String, String) {
    let f = fork(|| -> u32 { panic!("shared failure") }).shared();
    let g = f.clone();
    let t = fork(move || g.try_wait().unwrap_err().message().unwrap().to_string());
    let mine = f.try_wait().unwrap_err().message().unwrap().to_string();
    (mine, wait(t))
}

#[test]
fn a_task_panic_reaches_every_waiter_with_its_message() {
    let expect = ("shared failure".to_string(), "shared failure".to_string());
    assert_eq!(Runtime::eager().run(failing_shared), expect);
    assert_eq!(Runtime::parallel(2).run(failing_shared), expect);
    let r = Checker::new().iterations(200).run(failing_shared);
    // Consumed by `try_wait` everywhere: not a finding.
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.outcomes().len(), 1);
    // `wait` re-raises it with the message.
    let p = std::panic::catch_unwind(|| {
        Runtime::eager().run(|| fork(|| -> u8 { panic!("boom") }).shared().wait())
    })
    .unwrap_err();
    assert_eq!(p.downcast_ref::<String>().map(String::as_str), Some("boom"));
}

#[test]
fn a_shared_future_nobody_waits_loses_its_error() {
    let r = Checker::new().iterations(50).run(|| {
        let f = fork(|| -> u8 { panic!("nobody hears this") }).shared();
        let g = f.clone();
        drop(f);
        drop(g);
    });
    assert!(r.has(FindingKind::LostError), "{r}");
    // Waited once by anyone: not lost.
    let ok = Checker::new().iterations(50).run(|| {
        let f = fork(|| -> u8 { panic!("heard") }).shared();
        let g = f.clone();
        drop(f);
        g.try_wait().is_err()
    });
    assert!(!ok.has(FindingKind::LostError), "{ok}");
    assert!(ok.is_clean(), "{ok}");
}

#[test]
fn shared_futures_are_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync>() {}
    assert_traits::<SharedFuture<Vec<u8>>>();
}
