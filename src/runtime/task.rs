//! A pool task: one block holding a header, the closure and the result slot.
//!
//! # The state word
//!
//! ```text
//!   bit 0..1  phase: QUEUED -> RUNNING -> DONE   (only ever advances)
//!   bit 2     WAITING   a thread sleeps until DONE (completion must unpark it)
//!   bit 3     DETACHED  the future was dropped unwaited (a panic is then "lost")
//! ```
//!
//! A task sits in some queue *and* is referenced by its future. Whoever moves the phase
//! from `QUEUED` to `RUNNING` with a CAS — a worker that popped it, or a waiter that wants
//! its value — runs it; a queue entry whose CAS fails is simply skipped. That is how a
//! waiter "prefers the awaited task itself if it is still queued" in O(1), wherever the
//! task is in whichever queue.
//!
//! The closure cell is touched only by the thread that won the claim; the result cell is
//! written by the runner before `DONE` is published (release) and read by whoever observes
//! `DONE` (acquire): the single waiter, or — when the future was dropped — whichever of
//! the completer and the dropper sets its bit second (see [`Handle::detach`]).
//!
//! # References and the block
//!
//! The block is reference-counted by hand, like an `Arc` (a [`JobRef`] is one reference;
//! the future's typed [`Handle`] holds one too), for two reasons: its memory comes from
//! the worker's block cache (`cache.rs`), which `Arc` cannot use on stable Rust; and a
//! fork creates its two references (future and queue entry) with a plain store. The count
//! follows `Arc`'s protocol: a new reference from an existing one is a relaxed increment,
//! dropping one is a release decrement, and whoever drops the last one fences with
//! acquire before destroying the block, so every use of the task on any thread happens
//! before the block is freed or reused.
//!
//! The block is `#[repr(C)]` with the result slot right after the header, so that a
//! handle that knows only `T` finds the result at the same offset whatever the closure
//! type `F` is (the [`Prefix`] view); what needs `F` (running, destroying) goes through a
//! per-type table of functions in the header ([`VTable`]), or, for the one function whose
//! type names `T`, a pointer in the prefix.
//!
//! # Running alone
//!
//! Fork-then-wait usually pops the awaited task back from the waiter's own deque. If the
//! popped entry and the future being waited are then the task's only two references,
//! nobody else can reach the task, or ever will: the waiter runs it without the claim CAS
//! (a plain check that it is still `QUEUED`), gets its result as a return value without
//! publishing `DONE`, and destroys the block without touching the count ([`Handle::run_popped`]). The count
//! is read with acquire, so whatever earlier holders did to the task (a shared future's
//! clone that ran it, say) is visible. This makes the common pair cost no atomic
//! read-modify-write beyond the deque's own, as with `rayon::join`'s stack-allocated jobs.

use super::cache::{self, BlockCache};
use super::facade::{AtomicUsize, Mutex, UnsafeCell, fence, thread};
use std::alloc::Layout;
use std::any::Any;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe, Location};
use std::ptr::NonNull;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

pub(crate) const QUEUED: usize = 0;
pub(crate) const RUNNING: usize = 1;
pub(crate) const DONE: usize = 2;
const PHASE: usize = 0b11;
const WAITING: usize = 1 << 2;
const DETACHED: usize = 1 << 3;

/// More references than this is a leak run wild: abort, as `Arc` does.
const MAX_REFS: usize = isize::MAX as usize;

/// The payload of a panic, as `std::panic::catch_unwind` returns it.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

/// The type-erased part of a task: what queues, waiters and scopes need.
pub(crate) struct Header {
    state: AtomicUsize,
    /// Live references: [`JobRef`]s, the handle's included.
    refs: AtomicUsize,
    vtable: &'static VTable,
    waiters: Mutex<Vec<thread::Thread>>,
    /// Identity of the thread running the task (see `current_thread_id`), 0 if none.
    runner: AtomicUsize,
    pub(crate) site: &'static Location<'static>,
}

/// What needs the closure's type, per `Task<F, T>`.
struct VTable {
    /// Claims and runs the task (see [`JobRef::run_if_queued`]).
    run_if_queued: unsafe fn(NonNull<Header>) -> bool,
    /// Takes a panic left in the result slot; with `drop_value`, also drops a value left
    /// there (a scope's leftovers, which must not outlive what they borrow).
    take_panic: unsafe fn(NonNull<Header>, bool) -> Option<Payload>,
    /// Drops the block's contents and frees it; the last reference is gone.
    destroy: unsafe fn(NonNull<Header>),
}

impl Header {
    #[inline]
    pub(crate) fn phase(&self) -> usize {
        self.state.load(Acquire) & PHASE
    }

    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.phase() == DONE
    }

    /// Whether the thread running this task is the current one (so the task is suspended
    /// below us on this very stack, and waiting for it here can never finish).
    pub(crate) fn runs_below_us(&self) -> bool {
        self.phase() == RUNNING && self.runner.load(Relaxed) == current_thread_id()
    }

    /// Blocks the current thread until the task is done. The caller has already helped as
    /// much as it could; this is the slow path.
    pub(crate) fn sleep_until_done(&self) {
        {
            let mut ws = self.waiters.lock().unwrap();
            if self.is_done() {
                return;
            }
            ws.push(thread::current());
            let prev = self.state.fetch_or(WAITING, AcqRel);
            if prev & PHASE == DONE {
                return;
            }
        }
        while !self.is_done() {
            thread::park();
        }
    }

    /// Publishes `DONE` and wakes sleeping waiters. Returns the previous state bits.
    fn complete(&self) -> usize {
        // RUNNING (1) -> DONE (2); the flag bits above the phase are untouched.
        let prev = self.state.fetch_add(DONE - RUNNING, AcqRel);
        debug_assert_eq!(prev & PHASE, RUNNING);
        if prev & WAITING != 0 {
            let mut ws = self.waiters.lock().unwrap();
            for w in ws.drain(..) {
                w.unpark();
            }
        }
        prev
    }

    /// QUEUED -> RUNNING, keeping the flag bits (a waiter may already sleep on it, or the
    /// future may have been dropped, while the task is still queued).
    fn claim(&self) -> bool {
        let mut cur = self.state.load(Relaxed);
        while cur & PHASE == QUEUED {
            match self
                .state
                .compare_exchange_weak(cur, cur | RUNNING, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
        false
    }
}

/// One owned reference to a task of any type: a queue entry, a scope's record of a
/// pending task, or (inside a [`Handle`]) a future.
pub(crate) struct JobRef {
    ptr: NonNull<Header>,
}

// SAFETY: a task is built only from `F: Send` and `T: Send` (see `new_queued`), so moving
// its closure and result to whichever thread runs or consumes it is sound; every access
// to the closure and result cells is designated by the state word (module docs), and the
// reference count is atomic.
unsafe impl Send for JobRef {}
// SAFETY: as for `Send`: `&JobRef` only gives atomic operations on the header and the
// claim-gated `run_if_queued`.
unsafe impl Sync for JobRef {}

impl JobRef {
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: our reference keeps the block alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Whether this is a reference to the task with header `h`.
    #[inline]
    pub(crate) fn is(&self, h: &Header) -> bool {
        std::ptr::eq(self.ptr.as_ptr(), h)
    }

    /// Runs the task if this call wins the claim; returns whether it ran.
    #[inline]
    pub(crate) fn run_if_queued(&self) -> bool {
        // SAFETY: the table matches the block (set by `new_queued`); our reference keeps
        // the block alive.
        unsafe { (self.header().vtable.run_if_queued)(self.ptr) }
    }

    /// After `DONE`, with no future left to consume it: takes what is left of the result
    /// (used by scopes when every task of the scope is done): a panic payload is returned,
    /// a value nobody waited is dropped here, so that it never outlives what it borrows.
    pub(crate) fn take_leftover(&self) -> Option<Payload> {
        debug_assert!(self.header().is_done());
        // SAFETY: DONE observed (acquire) by the scope, the only consumer once every
        // future of the task is gone (see the module docs).
        unsafe { (self.header().vtable.take_panic)(self.ptr, true) }
    }
}

impl Clone for JobRef {
    #[inline]
    fn clone(&self) -> Self {
        // Relaxed, as `Arc::clone`: a new reference is made from one we hold.
        let old = self.header().refs.fetch_add(1, Relaxed);
        if old > MAX_REFS {
            std::process::abort();
        }
        JobRef { ptr: self.ptr }
    }
}

impl Drop for JobRef {
    #[inline]
    fn drop(&mut self) {
        // Read before our reference is given up: afterwards the block may be gone.
        let destroy = self.header().vtable.destroy;
        if self.header().refs.fetch_sub(1, Release) != 1 {
            return;
        }
        // Every other holder's uses happen before their release decrement.
        fence(Acquire);
        // SAFETY: that was the last reference; the table matches the block.
        unsafe { destroy(self.ptr) }
    }
}

/// The future's reference to a task whose result is a `T`; `'a` bounds what the task
/// borrows (`'static` but for scoped forks and `Runtime::run`).
pub(crate) struct Handle<'a, T> {
    job: JobRef,
    _marker: Marker<'a, T>,
}

/// A handle gives out `T`s (covariant, `Send` and `Sync` like the block's reference) and
/// must not outlive `'a`.
type Marker<'a, T> = PhantomData<(fn() -> T, &'a ())>;

/// Runs a task alone, returning its result (see [`Prefix::run_alone`]).
type RunAlone<T> = unsafe fn(NonNull<Header>) -> std::thread::Result<T>;

/// The start of every `Task<F, T>` with this `T` (see "References and the block").
#[repr(C)]
struct Prefix<T> {
    header: Header,
    /// Runs a task nobody else can reach and returns its result directly: no claim, no
    /// `DONE`, no trip through the result slot (see "Running alone"). Here rather than in
    /// the [`VTable`] because its type names `T`.
    run_alone: RunAlone<T>,
    result: UnsafeCell<Option<std::thread::Result<T>>>,
}

impl<'a, T> Handle<'a, T> {
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        self.job.header()
    }

    /// The handle's reference, untyped.
    #[inline]
    pub(crate) fn job(&self) -> &JobRef {
        &self.job
    }

    #[inline]
    fn prefix(&self) -> &Prefix<T> {
        // SAFETY: the block is a `Task<F, T>` for this `T`, `#[repr(C)]` and starting
        // like `Prefix<T>`; our reference keeps it alive.
        unsafe { self.job.ptr.cast::<Prefix<T>>().as_ref() }
    }

    #[inline]
    fn result(&self) -> &UnsafeCell<Option<std::thread::Result<T>>> {
        &self.prefix().result
    }

    /// Takes the result. Precondition: `DONE` was observed and nobody took it yet.
    pub(crate) fn take(&self) -> std::thread::Result<T> {
        debug_assert!(self.header().is_done());
        // SAFETY: DONE observed with acquire by the future's owner, the only consumer.
        self.result()
            .with_mut(|p| unsafe { (*p).take() })
            .expect("forkwait: task result taken twice")
    }

    /// Marks the future dropped. Returns a panic payload the caller must report as lost,
    /// if the task already finished with a panic.
    pub(crate) fn detach(&self) -> Option<Payload> {
        let prev = self.header().state.fetch_or(DETACHED, AcqRel);
        if prev & PHASE == DONE {
            // The task finished first: we are the last to look.
            // SAFETY: the table matches the block; DONE was observed with acquire.
            unsafe { (self.header().vtable.take_panic)(self.job.ptr, false) }
        } else {
            None
        }
    }

    /// `entry` is this task's queue entry, just popped by the current thread. If the two
    /// are the task's only references, runs it here and returns its result (see "Running
    /// alone"); otherwise runs it if it is still queued, as a worker would, and gives the
    /// handle back.
    #[inline]
    pub(crate) fn run_popped(self, entry: JobRef) -> Result<std::thread::Result<T>, Self> {
        debug_assert!(entry.is(self.header()));
        let h = self.header();
        if h.refs.load(Acquire) == 2 && h.state.load(Relaxed) == QUEUED {
            let ptr = self.job.ptr;
            let destroy = h.vtable.destroy;
            let run_alone = self.prefix().run_alone;
            // Both references are ours, so nobody else can reach the task: its state and
            // count are never looked at again. The block is destroyed below.
            std::mem::forget(entry);
            std::mem::forget(self);
            // SAFETY: we are the task's only holder (above): nobody else touches its
            // cells, and no `DONE` needs publishing.
            let r = unsafe { run_alone(ptr) };
            // SAFETY: both references were ours and are given up (forgotten) above.
            unsafe { destroy(ptr) };
            return Ok(r);
        }
        entry.run_if_queued();
        Err(self)
    }
}

/// The whole block: header, `run_alone`, result slot, closure (in this order, see
/// [`Prefix`]).
#[repr(C)]
struct Task<F, T> {
    header: Header,
    run_alone: RunAlone<T>,
    result: UnsafeCell<Option<std::thread::Result<T>>>,
    func: UnsafeCell<Option<F>>,
}

/// Allocates a queued task running `f`, from `cache` if given, with two references: the
/// future's handle and the queue entry.
///
/// # Safety
///
/// The queue entry (and any clone of it) does not carry `'a`: if `F` or `T` borrows, the
/// caller guarantees that the task is `DONE` before anything it borrows goes away (what
/// the task's closure and result hold is then only dropped, never used, by the holders of
/// the remaining references).
pub(crate) unsafe fn new_queued<'a, F, T>(
    f: F,
    site: &'static Location<'static>,
    cache: Option<&BlockCache>,
) -> (Handle<'a, T>, JobRef)
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    let block = cache::alloc_block(Layout::new::<Task<F, T>>(), cache).cast::<Task<F, T>>();
    let task = Task {
        header: Header {
            state: AtomicUsize::new(QUEUED),
            refs: AtomicUsize::new(2),
            vtable: &Task::<F, T>::VTABLE,
            waiters: Mutex::new(Vec::new()),
            runner: AtomicUsize::new(0),
            site,
        },
        run_alone: Task::<F, T>::run_alone,
        result: UnsafeCell::new(None),
        func: UnsafeCell::new(Some(f)),
    };
    // SAFETY: `alloc_block` returned fresh memory of at least `Task<F, T>`'s size and
    // alignment (its class or exact layout).
    unsafe { block.as_ptr().write(task) };
    let ptr = block.cast::<Header>();
    let handle = Handle {
        job: JobRef { ptr },
        _marker: PhantomData,
    };
    (handle, JobRef { ptr })
}

impl<F, T> Task<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    const VTABLE: VTable = VTable {
        run_if_queued: Self::run_if_queued,
        take_panic: Self::take_panic,
        destroy: Self::destroy,
    };

    /// # Safety
    ///
    /// `h` is the header of a live `Task<F, T>` (every function of the table).
    #[inline]
    unsafe fn from_header<'b>(h: NonNull<Header>) -> &'b Self {
        // SAFETY: the caller's precondition; the header is the first field (`repr(C)`).
        unsafe { h.cast::<Self>().as_ref() }
    }

    unsafe fn run_if_queued(h: NonNull<Header>) -> bool {
        // SAFETY: see `from_header`.
        let task = unsafe { Self::from_header(h) };
        if task.header.claim() {
            task.execute();
            true
        } else {
            false
        }
    }

    /// Runs the closure, catching its panic.
    #[inline]
    fn run_closure(&self) -> std::thread::Result<T> {
        // SAFETY: the caller won the claim, or runs the task alone: nobody else touches
        // `func` now (see the `Send` impl of `JobRef`).
        let f = self.func.with_mut(|p| unsafe { (*p).take() });
        let f = f.expect("forkwait: task claimed twice");
        panic::catch_unwind(AssertUnwindSafe(f))
    }

    fn execute(&self) {
        // Only the claiming thread writes `runner` (a task runs once): plain stores.
        self.header.runner.store(current_thread_id(), Relaxed);
        let r = self.run_closure();
        // SAFETY: only the runner writes `result`, before DONE is published.
        self.result.with_mut(|p| unsafe { *p = Some(r) });
        self.header.runner.store(0, Relaxed);
        let prev = self.header.complete();
        if prev & DETACHED != 0 {
            // The future was dropped before we finished: we are the last to look.
            if let Some(payload) = self.take_if_panic(false) {
                // `&*payload`: the payload itself, not the box (whose downcast to a
                // message would fail).
                super::report_lost_panic(self.header.site, &*payload);
            }
        }
    }

    unsafe fn run_alone(h: NonNull<Header>) -> std::thread::Result<T> {
        // SAFETY: see `from_header`; the caller is the task's only holder.
        unsafe { Self::from_header(h) }.run_closure()
    }

    unsafe fn take_panic(h: NonNull<Header>, drop_value: bool) -> Option<Payload> {
        // SAFETY: see `from_header`.
        unsafe { Self::from_header(h) }.take_if_panic(drop_value)
    }

    fn take_if_panic(&self, drop_value: bool) -> Option<Payload> {
        // SAFETY: called only by the designated last consumer after DONE (module docs).
        let value = self.result.with_mut(|p| unsafe {
            match (*p).take() {
                Some(Err(payload)) => Err(payload),
                other if drop_value => Ok(other),
                other => {
                    *p = other;
                    Ok(None)
                }
            }
        });
        // A value is dropped outside the cell's access.
        value.err()
    }

    unsafe fn destroy(h: NonNull<Header>) {
        let task = h.cast::<Self>();
        // Dropping the cells writes them: say so, so that loom checks that every earlier
        // use of them (on any thread) happens before (the reference count's release and
        // acquire). Free in a normal build.
        {
            // SAFETY: the last reference is ours (see below).
            let t = unsafe { task.as_ref() };
            t.result.with_mut(|_| ());
            t.func.with_mut(|_| ());
        }
        // SAFETY: the last reference is gone: the block is ours to drop and free. Its
        // contents are dropped first (which may free other blocks into the same cache).
        unsafe { std::ptr::drop_in_place(task.as_ptr()) };
        super::pool::with_cache(|c| {
            // SAFETY: allocated by `new_queued` for this layout; the cache (if any) is
            // the current pool thread's.
            unsafe { cache::free_block(task.cast(), Layout::new::<Self>(), c) }
        });
    }
}

/// A small integer naming the current thread, stable for its lifetime and never 0.
pub(crate) fn current_thread_id() -> usize {
    super::facade::fw_thread_local! {
        static ID: u8 = const { 0 };
    }
    ID.with(|b| b as *const u8 as usize)
}
