//! `forkwait::sync::atomic`: every std atomic type with std's method signatures, checked
//! differentially against the std atomic of the same type on the same inputs (on the real
//! runtime and under the simulator); invalid orderings panic as std's do; and what the
//! simulator finds with atomics: a `load`+`store` lost update and a check-then-act race
//! (`Nondeterminism`), against their correct `fetch_add` / `compare_exchange` forms (clean,
//! one outcome); `new_static` in a `static`.

use forkwait::sync::Arc;
use forkwait::sync::atomic::{
    AtomicBool, AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8,
    AtomicU16, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
use forkwait::{Checker, FindingKind, Runtime, fork, wait};
use std::sync::atomic as std_atomic;

mod common;
use common::{strategies, values};

/// Runs every integer method of `$fw` and of std's `$std` from the same start values with
/// the same arguments, asserting equal results and equal final values. Returns the number
/// of comparisons made.
macro_rules! differential_int {
    ($fw:ty, $std:ty, $t:ty) => {{
        use Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
        let samples: [$t; 6] = [
            0 as $t,
            1 as $t,
            <$t>::MAX,
            <$t>::MIN,
            (<$t>::MAX / 3) as $t,
            (<$t>::MAX).wrapping_sub(5) as $t,
        ];
        let mut checks = 0usize;
        for &init in &samples {
            for &arg in &samples {
                let a = <$fw>::new(init);
                let s = <$std>::new(init);
                macro_rules! same {
                    ($e:expr, $f:expr) => {{
                        assert_eq!(
                            $e,
                            $f,
                            "{}: {} with init {:?}, arg {:?}",
                            stringify!($fw),
                            stringify!($e),
                            init,
                            arg
                        );
                        assert_eq!(a.load(SeqCst), s.load(SeqCst));
                        checks += 1;
                    }};
                }
                same!(a.load(Relaxed), s.load(Relaxed));
                same!(a.load(Acquire), s.load(Acquire));
                same!(a.fetch_add(arg, Relaxed), s.fetch_add(arg, Relaxed));
                same!(a.fetch_sub(arg, Release), s.fetch_sub(arg, Release));
                same!(a.fetch_and(arg, Acquire), s.fetch_and(arg, Acquire));
                same!(a.fetch_or(arg, AcqRel), s.fetch_or(arg, AcqRel));
                same!(a.fetch_xor(arg, SeqCst), s.fetch_xor(arg, SeqCst));
                same!(a.fetch_nand(arg, SeqCst), s.fetch_nand(arg, SeqCst));
                same!(a.fetch_max(arg, SeqCst), s.fetch_max(arg, SeqCst));
                same!(a.fetch_min(arg, Relaxed), s.fetch_min(arg, Relaxed));
                same!(a.swap(arg, AcqRel), s.swap(arg, AcqRel));
                // A successful and a failing exchange, strong and weak.
                let cur = s.load(SeqCst);
                same!(
                    a.compare_exchange(cur, init, AcqRel, Acquire),
                    s.compare_exchange(cur, init, AcqRel, Acquire)
                );
                let wrong = s.load(SeqCst).wrapping_add(1 as $t);
                same!(
                    a.compare_exchange(wrong, arg, SeqCst, Relaxed),
                    s.compare_exchange(wrong, arg, SeqCst, Relaxed)
                );
                same!(
                    a.compare_exchange_weak(wrong, arg, SeqCst, SeqCst),
                    s.compare_exchange_weak(wrong, arg, SeqCst, SeqCst)
                );
                // A weak exchange may fail spuriously on real hardware: loop as std advises.
                let cur = s.load(SeqCst);
                let weak_fw = loop {
                    match a.compare_exchange_weak(cur, arg, Release, Relaxed) {
                        Ok(v) => break Ok(v),
                        Err(v) if v == cur => continue,
                        Err(v) => break Err(v),
                    }
                };
                let weak_std = loop {
                    match s.compare_exchange_weak(cur, arg, Release, Relaxed) {
                        Ok(v) => break Ok(v),
                        Err(v) if v == cur => continue,
                        Err(v) => break Err(v),
                    }
                };
                same!(weak_fw, weak_std);
                same!(
                    a.fetch_update(SeqCst, Acquire, |v| Some(v.wrapping_mul(3 as $t))),
                    s.fetch_update(SeqCst, Acquire, |v| Some(v.wrapping_mul(3 as $t)))
                );
                same!(
                    a.fetch_update(AcqRel, Relaxed, |_| None),
                    s.fetch_update(AcqRel, Relaxed, |_| None)
                );
                a.store(arg, Release);
                s.store(arg, Release);
                same!(a.load(SeqCst), s.load(SeqCst));
                let _: *mut $t = a.as_ptr();
                let (mut a2, mut s2) = (a, s);
                *a2.get_mut() = a2.get_mut().wrapping_add(init);
                *s2.get_mut() = s2.get_mut().wrapping_add(init);
                assert_eq!(a2.into_inner(), s2.into_inner());
                checks += 1;
            }
        }
        // `Default`, `From` and `Debug` as std's.
        assert_eq!(<$fw>::default().into_inner(), <$std>::default().into_inner());
        assert_eq!(
            format!("{:?}", <$fw>::from(samples[2])),
            format!("{:?}", <$std>::from(samples[2]))
        );
        checks
    }};
}

fn differential_all_ints() -> usize {
    differential_int!(AtomicU8, std_atomic::AtomicU8, u8)
        + differential_int!(AtomicU16, std_atomic::AtomicU16, u16)
        + differential_int!(AtomicU32, std_atomic::AtomicU32, u32)
        + differential_int!(AtomicU64, std_atomic::AtomicU64, u64)
        + differential_int!(AtomicUsize, std_atomic::AtomicUsize, usize)
        + differential_int!(AtomicI8, std_atomic::AtomicI8, i8)
        + differential_int!(AtomicI16, std_atomic::AtomicI16, i16)
        + differential_int!(AtomicI32, std_atomic::AtomicI32, i32)
        + differential_int!(AtomicI64, std_atomic::AtomicI64, i64)
        + differential_int!(AtomicIsize, std_atomic::AtomicIsize, isize)
}

fn differential_bool() -> usize {
    use Ordering::{AcqRel, Acquire, Relaxed, SeqCst};
    let mut checks = 0;
    for init in [false, true] {
        for arg in [false, true] {
            let a = AtomicBool::new(init);
            let s = std_atomic::AtomicBool::new(init);
            let mut same = |x: Result<bool, bool>, y: Result<bool, bool>, what: &str| {
                assert_eq!(x, y, "AtomicBool::{what} init {init} arg {arg}");
                assert_eq!(a.load(SeqCst), s.load(SeqCst), "{what}");
                checks += 1;
            };
            same(Ok(a.load(Acquire)), Ok(s.load(Acquire)), "load");
            same(Ok(a.swap(arg, AcqRel)), Ok(s.swap(arg, AcqRel)), "swap");
            same(
                Ok(a.fetch_and(arg, SeqCst)),
                Ok(s.fetch_and(arg, SeqCst)),
                "and",
            );
            same(
                Ok(a.fetch_nand(arg, SeqCst)),
                Ok(s.fetch_nand(arg, SeqCst)),
                "nand",
            );
            same(
                Ok(a.fetch_or(arg, Relaxed)),
                Ok(s.fetch_or(arg, Relaxed)),
                "or",
            );
            same(
                Ok(a.fetch_xor(arg, SeqCst)),
                Ok(s.fetch_xor(arg, SeqCst)),
                "xor",
            );
            // std's `fetch_not` (stable since 1.81) is `fetch_xor(true)`.
            same(
                Ok(a.fetch_not(SeqCst)),
                Ok(s.fetch_xor(true, SeqCst)),
                "not",
            );
            same(
                a.compare_exchange(arg, !arg, SeqCst, Acquire),
                s.compare_exchange(arg, !arg, SeqCst, Acquire),
                "compare_exchange",
            );
            let cur = s.load(SeqCst);
            let weak_a = loop {
                match a.compare_exchange_weak(cur, arg, SeqCst, Relaxed) {
                    Err(v) if v == cur => continue,
                    r => break r,
                }
            };
            let weak_s = loop {
                match s.compare_exchange_weak(cur, arg, SeqCst, Relaxed) {
                    Err(v) if v == cur => continue,
                    r => break r,
                }
            };
            same(weak_a, weak_s, "compare_exchange_weak");
            same(
                a.fetch_update(SeqCst, SeqCst, |v| Some(!v)),
                s.fetch_update(SeqCst, SeqCst, |v| Some(!v)),
                "fetch_update",
            );
            same(
                a.fetch_update(SeqCst, SeqCst, |_| None),
                s.fetch_update(SeqCst, SeqCst, |_| None),
                "fetch_update None",
            );
            a.store(init, Relaxed);
            s.store(init, Relaxed);
            let (mut a, mut s) = (a, s);
            *a.get_mut() ^= arg;
            *s.get_mut() ^= arg;
            assert_eq!(a.into_inner(), s.into_inner());
        }
    }
    checks
}

fn differential_ptr() -> usize {
    use Ordering::{AcqRel, Acquire, Relaxed, SeqCst};
    let mut data = [10u64, 20, 30, 40];
    let base = data.as_mut_ptr();
    let p1 = base.wrapping_add(1);
    let p3 = base.wrapping_add(3);
    let a = AtomicPtr::new(base);
    let s = std_atomic::AtomicPtr::new(base);
    let mut checks = 0;
    let mut same = |x: Result<*mut u64, *mut u64>, y: Result<*mut u64, *mut u64>, what: &str| {
        assert_eq!(x, y, "AtomicPtr::{what}");
        checks += 1;
    };
    same(Ok(a.load(Acquire)), Ok(s.load(Acquire)), "load");
    same(Ok(a.swap(p1, AcqRel)), Ok(s.swap(p1, AcqRel)), "swap");
    same(
        a.compare_exchange(p1, p3, SeqCst, Relaxed),
        s.compare_exchange(p1, p3, SeqCst, Relaxed),
        "compare_exchange hit",
    );
    same(
        a.compare_exchange(p1, base, SeqCst, Relaxed),
        s.compare_exchange(p1, base, SeqCst, Relaxed),
        "compare_exchange miss",
    );
    same(
        a.compare_exchange_weak(base, p1, SeqCst, Relaxed),
        s.compare_exchange_weak(base, p1, SeqCst, Relaxed),
        "compare_exchange_weak miss",
    );
    same(
        a.fetch_update(SeqCst, SeqCst, |p| Some(p.wrapping_sub(2))),
        s.fetch_update(SeqCst, SeqCst, |p| Some(p.wrapping_sub(2))),
        "fetch_update",
    );
    a.store(base, Relaxed);
    s.store(base, Relaxed);
    // Pointer arithmetic, against the same arithmetic done by hand.
    assert_eq!(a.fetch_ptr_add(2, SeqCst), base);
    assert_eq!(a.load(SeqCst), base.wrapping_add(2));
    assert_eq!(a.fetch_ptr_sub(1, SeqCst), base.wrapping_add(2));
    assert_eq!(a.load(SeqCst), p1);
    assert_eq!(a.fetch_byte_add(8, SeqCst), p1);
    assert_eq!(a.load(SeqCst), base.wrapping_add(2));
    assert_eq!(a.fetch_byte_sub(16, SeqCst), base.wrapping_add(2));
    assert_eq!(a.load(SeqCst), base);
    // Tag bits in the (8-aligned) address.
    assert_eq!(a.fetch_or(1, SeqCst), base);
    assert_eq!(a.load(SeqCst).addr(), base.addr() | 1);
    assert_eq!(a.fetch_xor(1, SeqCst).addr(), base.addr() | 1);
    assert_eq!(a.load(SeqCst), base);
    assert_eq!(a.fetch_or(2, SeqCst), base);
    assert_eq!(a.fetch_and(!3, SeqCst).addr(), base.addr() | 2);
    assert_eq!(a.load(SeqCst), base);
    // Provenance is kept: the pointer still reads the data.
    a.store(p3, Ordering::Release);
    // SAFETY: p3 points to a live local of this function.
    assert_eq!(unsafe { *a.load(Acquire) }, 40);
    let mut a = a;
    *a.get_mut() = p1;
    // SAFETY: p1 points to a live local of this function.
    assert_eq!(unsafe { *a.into_inner() }, 20);
    assert!(AtomicPtr::<u8>::default().into_inner().is_null());
    checks
}

#[test]
fn every_type_matches_std_on_the_real_runtime() {
    assert!(differential_all_ints() > 1000);
    assert!(differential_bool() > 30);
    assert!(differential_ptr() >= 6);
    // Inside a pool task too.
    let n = Runtime::parallel(1).run(|| wait(fork(differential_bool)));
    assert!(n > 30);
}

#[test]
fn every_type_matches_std_under_the_simulator() {
    // Sequential use under the simulator: every operation is a scheduling point, and must
    // still compute exactly what std computes.
    let r = Checker::new().iterations(1).run(|| {
        differential_all_ints() > 1000 && differential_bool() > 30 && differential_ptr() >= 6
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["true"]);
    // And from a forked task, on atomics the task owns.
    let r = Checker::new()
        .iterations(3)
        .run(|| wait(fork(differential_bool)));
    assert!(r.is_clean(), "{r}");
}

#[test]
fn update_and_try_update_are_fetch_update() {
    let a = AtomicU32::new(5);
    assert_eq!(a.update(Ordering::SeqCst, Ordering::SeqCst, |v| v * 2), 5);
    assert_eq!(a.load(Ordering::SeqCst), 10);
    assert_eq!(
        a.try_update(Ordering::SeqCst, Ordering::SeqCst, |v| (v < 10)
            .then_some(0)),
        Err(10)
    );
    assert_eq!(
        a.try_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(v + 1)),
        Ok(10)
    );
    assert_eq!(a.into_inner(), 11);
}

fn panics(f: impl FnOnce() + std::panic::UnwindSafe) -> bool {
    std::panic::catch_unwind(f).is_err()
}

#[test]
fn invalid_orderings_panic_like_std() {
    use Ordering::SeqCst;
    // Through `black_box`: rustc rejects literal invalid orderings on std's atomics.
    let (rel, acq_rel, acq) =
        std::hint::black_box((Ordering::Release, Ordering::AcqRel, Ordering::Acquire));
    // std first: the reference behaviour.
    let s = std_atomic::AtomicUsize::new(0);
    let std_ref = [
        panics(|| {
            let _ = s.load(rel);
        }),
        panics(|| {
            let _ = s.load(acq_rel);
        }),
        panics(|| s.store(1, acq)),
        panics(|| s.store(1, acq_rel)),
        panics(|| {
            let _ = s.compare_exchange(0, 1, SeqCst, rel);
        }),
        panics(|| {
            let _ = s.compare_exchange(0, 1, SeqCst, acq_rel);
        }),
        panics(|| {
            let _ = s.load(SeqCst);
        }),
    ];
    assert_eq!(std_ref, [true, true, true, true, true, true, false]);
    let check = move || {
        let a = AtomicUsize::new(0);
        let b = AtomicBool::new(false);
        let p = AtomicPtr::<u8>::new(std::ptr::null_mut());
        let got = [
            panics(|| {
                let _ = a.load(rel);
            }),
            panics(|| {
                let _ = a.load(acq_rel);
            }),
            panics(|| a.store(1, acq)),
            panics(|| a.store(1, acq_rel)),
            panics(|| {
                let _ = a.compare_exchange(0, 1, SeqCst, rel);
            }),
            panics(|| {
                let _ = a.compare_exchange(0, 1, SeqCst, acq_rel);
            }),
            panics(|| {
                let _ = a.load(SeqCst);
            }),
        ];
        let others = [
            panics(|| {
                let _ = b.load(rel);
            }),
            panics(|| b.store(true, acq)),
            panics(|| {
                let _ = p.load(rel);
            }),
            panics(|| p.store(std::ptr::null_mut(), acq)),
        ];
        (got, others)
    };
    let outside = check();
    assert_eq!(outside.0, std_ref, "outside any runtime");
    assert_eq!(outside.1, [true; 4]);
    let in_pool = Runtime::parallel(1).run(check);
    assert_eq!(in_pool.0, std_ref, "in a pool task");
    assert_eq!(in_pool.1, [true; 4]);
    // Under the simulator the invalid ordering panics too (the program's panic is found).
    let r = Checker::new().iterations(1).run(move || {
        let a = AtomicUsize::new(0);
        a.load(rel)
    });
    assert!(r.has(FindingKind::Panic), "{r}");
}

// ---------------------------------------------------------------- the simulator's findings

fn load_store_increment() -> usize {
    let c = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..2)
        .map(|_| {
            let c = c.clone();
            fork(move || {
                let v = c.load(Ordering::SeqCst);
                c.store(v + 1, Ordering::SeqCst);
            })
        })
        .collect();
    ts.into_iter().for_each(wait);
    c.load(Ordering::SeqCst)
}

fn fetch_add_increment() -> usize {
    let c = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..2)
        .map(|_| {
            let c = c.clone();
            fork(move || {
                c.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    ts.into_iter().for_each(wait);
    c.load(Ordering::Relaxed)
}

#[test]
fn load_then_store_loses_updates_and_fetch_add_does_not() {
    for strategy in strategies() {
        let bug = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(load_store_increment);
        assert!(bug.has(FindingKind::Nondeterminism), "{strategy}: {bug}");
        assert_eq!(values(&bug), ["1", "2"], "{strategy}: {bug}");
        // Atomics synchronize: no data race is claimed even for the buggy version.
        assert!(!bug.has(FindingKind::Race), "{strategy}: {bug}");
        let ok = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(fetch_add_increment);
        assert!(ok.is_clean(), "{strategy}: {ok}");
        assert_eq!(values(&ok), ["2"], "{strategy}: {ok}");
    }
}

/// Two tasks each try to claim a slot once; returns how many succeeded.
fn claim(correct: bool) -> usize {
    let taken = Arc::new(AtomicBool::new(false));
    let ts: Vec<_> = (0..2)
        .map(|_| {
            let taken = taken.clone();
            fork(move || {
                if correct {
                    taken
                        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                } else if !taken.load(Ordering::Acquire) {
                    taken.store(true, Ordering::Release);
                    true
                } else {
                    false
                }
            })
        })
        .collect();
    ts.into_iter().map(wait).filter(|&won| won).count()
}

#[test]
fn check_then_act_with_load_and_store_is_found_and_compare_exchange_is_clean() {
    for strategy in strategies() {
        let bug = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(|| claim(false));
        assert!(bug.has(FindingKind::Nondeterminism), "{strategy}: {bug}");
        assert_eq!(values(&bug), ["1", "2"], "{strategy}: {bug}");
        let ok = Checker::new()
            .strategy(strategy.clone())
            .iterations(1000)
            .run(|| claim(true));
        assert!(ok.is_clean(), "{strategy}: {ok}");
        assert_eq!(values(&ok), ["1"], "{strategy}: {ok}");
    }
}

static HITS: AtomicUsize = AtomicUsize::new_static(0);

#[test]
fn new_static_works_in_a_static() {
    let r = Checker::new().iterations(300).run(|| {
        HITS.store(0, Ordering::SeqCst);
        let ts: Vec<_> = (0..2)
            .map(|_| fork(|| HITS.fetch_add(1, Ordering::SeqCst)))
            .collect();
        let mut seen: Vec<usize> = ts.into_iter().map(wait).collect();
        seen.sort();
        (seen, HITS.load(Ordering::SeqCst))
    });
    assert!(r.is_clean(), "{r}");
    assert_eq!(values(&r), ["([0, 1], 2)"], "{r}");
    // Writing global state from a task is impure: reported, as a warning (through an
    // atomic), and classified as global.
    let imp = r
        .findings()
        .iter()
        .find(|f| f.kind() == FindingKind::ImpureWrite)
        .unwrap_or_else(|| panic!("no impure write: {r}"));
    assert!(
        imp.is_warning() && imp.message().contains("global"),
        "{imp}"
    );
    // And outside the simulator it is a plain atomic.
    HITS.store(5, Ordering::SeqCst);
    assert_eq!(
        Runtime::parallel(1).run(|| wait(fork(|| HITS.fetch_add(1, Ordering::SeqCst)))),
        5
    );
}
