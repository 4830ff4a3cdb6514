//! Tasks as stackful coroutines, with their stacks pooled across executions.
//!
//! Every simulated task runs on its own `corosensei` coroutine on the checker's one OS
//! thread, so a scheduling decision is a couple of stack switches (nanoseconds), not an
//! OS thread hand-off. Allocating a stack maps memory and a guard page (microseconds);
//! finished tasks return theirs to a thread-local pool, so after the first execution a
//! new task costs a pool pop.
//!
//! # Where a task suspends
//!
//! A resume is a `call` into the task and a suspension a `ret` out of it, so the CPU's
//! return predictor stays right only if the task, between being resumed and suspending
//! again, returns from no frame it entered before it was suspended. A suspension inside a
//! callee (an out-of-line point function) breaks that: the callee's return after the
//! resume, and the next suspension's return to the loop, are both mispredicted
//! (a ping-pong microbenchmark on this guest: ≈ 4 ns per resume with the switch in the
//! task's own frame, ≈ 20–25 ns with it one call deeper). So the hot points
//! (`ObjCell::access_inline`, `Shared`'s, and fork, wait and a task's start) do their
//! work out of line but switch in their caller's frame
//! (`exec::suspend_task`, always inlined, after a call that is not `#[cold]`: LLVM does
//! not inline the switch after a cold call).

use corosensei::stack::{DefaultStack, Stack as _};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::cell::RefCell;

/// The coroutine type of a simulated task: resumed with `()`, suspends with `()`.
pub(crate) type Coro = Coroutine<(), (), (), DefaultStack>;
/// The handle a task suspends itself through.
pub(crate) type TaskYielder = Yielder<(), ()>;

thread_local! {
    static POOL: RefCell<Vec<(usize, DefaultStack)>> = const { RefCell::new(Vec::new()) };
}

/// The most stacks kept in the pool (beyond that, finished stacks are unmapped).
const POOL_MAX: usize = 4096;

/// Takes a stack of at least `size` bytes from the pool, or maps a new one.
pub(crate) fn take_stack(size: usize) -> std::io::Result<DefaultStack> {
    let pooled = POOL.with(|p| {
        let mut p = p.borrow_mut();
        let i = p.iter().rposition(|(s, _)| *s == size)?;
        Some(p.swap_remove(i).1)
    });
    match pooled {
        Some(s) => Ok(s),
        None => DefaultStack::new(size),
    }
}

/// Returns a finished coroutine's stack to the pool.
pub(crate) fn recycle(co: Coro, size: usize) {
    debug_assert!(co.done());
    let stack = co.into_stack();
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < POOL_MAX {
            p.push((size, stack));
        }
    });
}

/// Creates a coroutine running `body` on a pooled stack.
///
/// # Safety
///
/// Everything `body` borrows must stay alive until the coroutine has finished or been
/// dropped (the simulator drives or drops every coroutine of an execution before the
/// execution returns).
/// Returns the coroutine and the lowest usable address of its stack.
/// The closure is moved onto the coroutine's own stack (no allocation).
pub(crate) unsafe fn spawn(stack: DefaultStack, body: impl FnOnce(&TaskYielder)) -> (Coro, usize) {
    let limit = stack.limit().get();
    // SAFETY: forwarded to the caller (see above).
    let co = unsafe { Coro::with_stack_unchecked(stack, move |y: &TaskYielder, ()| body(y)) };
    (co, limit)
}

/// Resumes `co`; returns whether it finished.
#[inline]
pub(crate) fn resume(co: &mut Coro) -> bool {
    matches!(co.resume(()), CoroutineResult::Return(()))
}
