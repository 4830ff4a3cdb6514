//! Tasks as stackful coroutines, with their stacks pooled across executions.
//!
//! Every simulated task runs on its own `corosensei` coroutine on the checker's one OS
//! thread, so a scheduling decision is a couple of stack switches (nanoseconds), not an
//! OS thread hand-off. Allocating a stack maps memory and a guard page (microseconds);
//! finished tasks return theirs to a thread-local pool, so after the first execution a
//! new task costs a pool pop.

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
