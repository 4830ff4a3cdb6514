//! std's `const fn new` for every `forkwait::sync` type, so statics port unchanged; and
//! the purity analysis of state made by those constructors (its creator is the task on
//! whose stack it lies, else the lowest common ancestor of the tasks that used it).

use forkwait::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};
use forkwait::sync::{Arc, Barrier, Condvar, Mutex, RwLock};
use forkwait::{Checker, FindingKind, fork, wait};

static COUNT: AtomicUsize = AtomicUsize::new(0);
static FLAG: AtomicBool = AtomicBool::new(false);
static PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static LOCK: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static TABLE: RwLock<u32> = RwLock::new(0);
static CV: Condvar = Condvar::new();
static GATE: Barrier = Barrier::new(1);

#[test]
fn statics_written_as_for_std_work_on_the_pool_and_under_the_simulator() {
    let program = || {
        let t = fork(|| {
            COUNT.fetch_add(1, SeqCst);
            LOCK.lock().unwrap().push(1);
            *TABLE.write().unwrap() += 1;
            FLAG.store(true, SeqCst);
            CV.notify_all();
            GATE.wait().is_leader()
        });
        let leader = wait(t);
        assert!(PTR.load(SeqCst).is_null());
        leader && FLAG.load(SeqCst)
    };
    assert!(program());
    assert!(forkwait::Runtime::parallel(2).run(program));
    let r = Checker::new().iterations(50).run(program);
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.outcomes().len(), 1, "{r}");
}

#[test]
fn a_forked_task_writing_its_callers_mutex_is_an_impure_write_warning() {
    let r = Checker::new().iterations(50).run(|| {
        let m = Arc::new(Mutex::new(0));
        let m2 = m.clone();
        wait(fork(move || *m2.lock().unwrap() += 1));
        *m.lock().unwrap()
    });
    let impure: Vec<_> = r
        .findings()
        .iter()
        .filter(|f| f.kind() == FindingKind::ImpureWrite)
        .collect();
    assert_eq!(impure.len(), 1, "{r}");
    assert!(impure[0].is_warning());
    assert!(impure[0].message().contains("the caller (task 0)"), "{r}");
}

#[test]
fn a_mutex_a_task_made_for_its_own_children_is_its_own() {
    let r = Checker::new().iterations(100).run(|| {
        wait(fork(|| {
            // On the heap: its creator is inferred (this task, which uses it too).
            let m = Arc::new(Mutex::new(0));
            let kids: Vec<_> = (0..2)
                .map(|_| {
                    let m = m.clone();
                    fork(move || *m.lock().unwrap() += 1)
                })
                .collect();
            kids.into_iter().for_each(wait);
            let v = *m.lock().unwrap();
            // On the stack: its creator is the task whose stack holds it.
            let local = Mutex::new(v);
            *local.lock().unwrap() += 1;
            local.into_inner().unwrap()
        }))
    });
    assert!(!r.has(FindingKind::ImpureWrite), "{r}");
    assert_eq!(r.outcomes()[0].value, "3");
}
