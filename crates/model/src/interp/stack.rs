//! How deep the interpreter may recurse: Python's recursion limit per task, and a stack
//! check so that whatever the thread or coroutine, a model never overflows its stack.
//!
//! The interpreter is a recursive tree-walker: one model call costs a handful of Rust
//! frames (`call_def` → `block` → `stmt` → `eval` → `eval_call` → `call`). Every
//! [`Frame`](crate::interp::Frame) carries the lowest stack address its task may reach;
//! a call below it is a located `RecursionError` rather than an overflow. Under the
//! simulator the bound is measured from the task's entry on its coroutine stack (of
//! [`MODEL_STACK_SIZE`](super::MODEL_STACK_SIZE) bytes); elsewhere it is the current OS
//! thread's real stack bottom (from `pthread_getattr_np`) plus a red zone.

use std::cell::Cell;

/// Room kept free below the limit: more than the deepest Rust recursion between two
/// checks (one model call's frames, a builtin, a snapshot of a nested value).
pub(crate) const RED_ZONE: usize = 256 << 10;

/// The current stack pointer (approximately: the address of a local).
#[inline(never)]
pub(crate) fn sp() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}

thread_local! {
    /// This OS thread's lowest usable stack address (0: not yet known).
    static LOW: Cell<usize> = const { Cell::new(0) };
}

#[cfg(target_os = "linux")]
fn thread_stack_low() -> Option<usize> {
    // SAFETY: `attr` is initialised by `pthread_getattr_np` before use and destroyed after.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (r == 0 && !addr.is_null()).then_some(addr as usize)
    }
}

#[cfg(not(target_os = "linux"))]
fn thread_stack_low() -> Option<usize> {
    None
}

/// The limit for interpretation starting here, on an OS thread (not a coroutine): the
/// thread's stack bottom plus the red zone, or, if unknown, 1 MiB below here (the
/// smallest stack a thread is likely to have, minus what its caller used).
pub(crate) fn thread_limit() -> usize {
    let low = LOW.with(|l| {
        if l.get() == 0 {
            l.set(thread_stack_low().unwrap_or(0));
        }
        l.get()
    });
    if low == 0 {
        return sp().saturating_sub(1 << 20);
    }
    low + RED_ZONE
}

/// The limit for a simulated task whose coroutine stack of `size` bytes starts about here.
pub(crate) fn task_limit(size: usize) -> usize {
    sp().saturating_sub(size.saturating_sub(RED_ZONE + (64 << 10)))
}

/// What every frame of a task shares: the lowest stack address its interpretation may
/// reach (see the functions above) and the task's number (for its thread-local state). A stack
/// address compares with it as with the address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limit {
    /// The lowest stack address.
    pub(crate) addr: usize,
    /// The task's number: 0 for `main`, then in order of `fork`.
    pub(crate) task: u32,
}

impl PartialEq<Limit> for usize {
    fn eq(&self, other: &Limit) -> bool {
        *self == other.addr
    }
}

impl PartialOrd<Limit> for usize {
    fn partial_cmp(&self, other: &Limit) -> Option<std::cmp::Ordering> {
        self.partial_cmp(&other.addr)
    }
}
