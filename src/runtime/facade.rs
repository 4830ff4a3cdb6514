//! The synchronization facade of the real runtime.
//!
//! Every primitive the pool uses for its own coordination (the task state word and
//! reference count, the waiter lists, the sleep lock and condition variable, worker
//! threads, thread-locals and the work queues) is imported from here. In a normal build
//! these are the `std` types and `crossbeam-deque`; built with `RUSTFLAGS="--cfg loom"`
//! they are `loom`'s, so that `tests/loom_*.rs` can model-check the pool's protocols
//! exhaustively (bounded preemptions). This is the pattern tokio and crossbeam use.
//!
//! Under loom the Chase–Lev deques of `crossbeam-deque` (which loom cannot see into) are
//! replaced by a mutex-protected `VecDeque` with the same interface: what is checked is
//! *our* protocol around the queues (claiming, helping, sleeping, shutdown), not
//! crossbeam's deque, which is tested upstream.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex};
#[cfg(not(loom))]
pub(crate) use std::thread;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex};
#[cfg(loom)]
pub(crate) use loom::thread;

/// `thread_local!` from std, or loom's (loom runs its threads on one OS thread, so a std
/// thread-local would be shared between model threads). The `const` form gives std's
/// const-initialized thread-locals (no lazy-initialization check on each access, which
/// matters on the fork/wait hot path); loom gets the plain form.
#[cfg(not(loom))]
macro_rules! fw_thread_local {
    (static $name:ident : $t:ty = const $init:block;) => {
        std::thread_local!(static $name: $t = const $init;);
    };
    ($($t:tt)*) => { std::thread_local!($($t)*); };
}
#[cfg(loom)]
macro_rules! fw_thread_local {
    (static $name:ident : $t:ty = const $init:block;) => {
        loom::thread_local!(static $name: $t = $init;);
    };
    ($($t:tt)*) => { loom::thread_local!($($t)*); };
}
pub(crate) use fw_thread_local;

/// An `UnsafeCell` with loom's closure-based API, so that loom can check every access to
/// a task's closure and result slot for data races.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(v: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(v))
    }
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// Spawn a named worker thread with a stack of `stack` bytes (`None`: the default).
pub(crate) fn spawn_worker<F>(name: String, stack: Option<usize>, f: F) -> thread::JoinHandle<()>
where
    F: FnOnce() + Send + 'static,
{
    try_spawn(name, stack, f).expect("forkwait: could not spawn a worker thread")
}

/// Spawn a named thread with a stack of `stack` bytes (`None`: the default), reporting
/// failure (the OS may refuse a thread) to the caller.
pub(crate) fn try_spawn<F>(
    name: String,
    stack: Option<usize>,
    f: F,
) -> std::io::Result<thread::JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    #[cfg(not(loom))]
    {
        let builder = thread::Builder::new().name(name);
        match stack {
            Some(bytes) => builder.stack_size(bytes),
            None => builder,
        }
        .spawn(f)
    }
    #[cfg(loom)]
    {
        let _ = (name, stack);
        Ok(thread::spawn(f))
    }
}

/// Work queues: `crossbeam-deque` normally, a mutex deque under loom.
pub(crate) mod deque {
    #[cfg(not(loom))]
    pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};

    #[cfg(loom)]
    pub(crate) use self::model::{Injector, Steal, Stealer, Worker};

    #[cfg(loom)]
    mod model {
        use loom::sync::{Arc, Mutex};
        use std::collections::VecDeque;

        pub(crate) enum Steal<T> {
            Empty,
            Success(T),
            #[allow(dead_code)]
            Retry,
        }

        pub(crate) struct Worker<T>(Arc<Mutex<VecDeque<T>>>);
        pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);
        pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

        impl<T> Worker<T> {
            pub(crate) fn new_lifo() -> Self {
                Worker(Arc::new(Mutex::new(VecDeque::new())))
            }
            pub(crate) fn push(&self, t: T) {
                self.0.lock().unwrap().push_back(t);
            }
            pub(crate) fn pop(&self) -> Option<T> {
                self.0.lock().unwrap().pop_back()
            }
            pub(crate) fn stealer(&self) -> Stealer<T> {
                Stealer(self.0.clone())
            }
        }
        impl<T> Stealer<T> {
            pub(crate) fn steal(&self) -> Steal<T> {
                match self.0.lock().unwrap().pop_front() {
                    Some(t) => Steal::Success(t),
                    None => Steal::Empty,
                }
            }
        }
        impl<T> Injector<T> {
            pub(crate) fn new() -> Self {
                Injector(Mutex::new(VecDeque::new()))
            }
            pub(crate) fn push(&self, t: T) {
                self.0.lock().unwrap().push_back(t);
            }
            pub(crate) fn steal(&self) -> Steal<T> {
                match self.0.lock().unwrap().pop_front() {
                    Some(t) => Steal::Success(t),
                    None => Steal::Empty,
                }
            }
        }
    }
}
