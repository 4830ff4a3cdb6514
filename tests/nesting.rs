//! Nested forks, recursion and many small forks on the real pool.

use forkwait::{Runtime, fork, wait};

fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let a = fork(move || fib(n - 1));
    let b = fib(n - 2);
    wait(a) + b
}

fn fib_seq(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_seq(n - 1) + fib_seq(n - 2)
    }
}

#[test]
fn fib_via_forks_on_every_pool_size() {
    for threads in [1, 2, 4] {
        let v = Runtime::parallel(threads).run(|| fib(18));
        assert_eq!(v, fib_seq(18), "{threads} threads");
    }
}

fn chain(depth: u32) -> u32 {
    if depth == 0 {
        return 0;
    }
    // Each level forks the next and blocks on it: a blocking pool would need 20 threads.
    let f = fork(move || chain(depth - 1));
    wait(f) + 1
}

#[test]
fn twenty_levels_deep_on_one_thread() {
    let rt = Runtime::parallel(1);
    assert_eq!(rt.run(|| chain(20)), 20);
    // Deeper still, and several chains at once.
    let v = rt.run(|| {
        let fs: Vec<_> = (0..8).map(|_| fork(|| chain(50))).collect();
        fs.into_iter().map(wait).sum::<u32>()
    });
    assert_eq!(v, 400);
}

#[test]
fn nested_waits_in_reverse_order() {
    // Waiting the *first* fork while later ones are still queued ahead of it in the
    // worker's LIFO deque: the waiter claims the awaited task directly.
    let v = Runtime::parallel(1).run(|| {
        let fs: Vec<_> = (0..100u64).map(|i| fork(move || i * i)).collect();
        fs.into_iter().map(wait).collect::<Vec<_>>()
    });
    assert_eq!(v, (0..100u64).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn hundred_thousand_small_forks() {
    let rt = Runtime::parallel(2);
    let total = rt.run(|| {
        let futures: Vec<_> = (0..100_000u64).map(|i| fork(move || i)).collect();
        futures.into_iter().map(wait).sum::<u64>()
    });
    assert_eq!(total, 100_000 * 99_999 / 2);
}

#[test]
fn forks_from_outside_any_runtime_use_the_global_pool() {
    // No runtime entered: the lazily started global pool serves these.
    let fs: Vec<_> = (0..1000u64)
        .map(|i| fork(move || fib_seq(i % 10)))
        .collect();
    let got: Vec<u64> = fs.into_iter().map(wait).collect();
    let want: Vec<u64> = (0..1000u64).map(|i| fib_seq(i % 10)).collect();
    assert_eq!(got, want);
}

#[test]
fn tasks_really_run_in_parallel() {
    // Two tasks that each wait for the other to have started can only both finish if
    // they run at the same time on two workers.
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let started = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::parallel(2);
    let (a, b) = rt.run(|| {
        let mk = |s: Arc<AtomicUsize>| {
            move || {
                s.fetch_add(1, Ordering::SeqCst);
                let t0 = std::time::Instant::now();
                while s.load(Ordering::SeqCst) < 2 {
                    if t0.elapsed() > std::time::Duration::from_secs(20) {
                        return false;
                    }
                    std::hint::spin_loop();
                }
                true
            }
        };
        let a = fork(mk(started.clone()));
        let b = fork(mk(started.clone()));
        (wait(a), wait(b))
    });
    assert!(a && b, "the two tasks never ran at the same time");
}
