//! Reporting a simulated task that overflows its stack, instead of crashing.
//!
//! Two layers:
//!
//! 1. **Proactive**: every scheduling point checks how much of the task's stack is left
//!    ([`near_limit`]); below a margin the execution ends with a finding. Recursive
//!    fork/wait code (each level forks, waits or touches `forkwait::sync`) is caught here,
//!    cleanly, before any fault.
//! 2. **Trap**: recursion with no scheduling point runs into the stack's guard page. A
//!    `SIGSEGV`/`SIGBUS` handler (on the alternate signal stack std installs for every
//!    thread) checks whether the faulting stack pointer lies in the running task's stack;
//!    if so, corosensei's `CoroutineTrapHandler` makes the coroutine return at once, and
//!    the simulator reports the overflow. Faults anywhere else are handed back to the
//!    previous handler (std prints its own stack-overflow message for thread stacks).
//!    The task's frames are discarded without running their destructors: what they owned
//!    is leaked, which is acceptable for a run that is being reported as failed.
//!
//! The trap layer is implemented for Linux on x86_64 and aarch64; elsewhere only the
//! proactive check applies.

use super::coro::Coro;
use std::cell::Cell;

/// Stack that must be left at a scheduling point: the harness's own deepest path (a
/// scheduling decision that refills the ChaCha block buffer) must fit below it. Debug
/// builds have far larger frames (measured: tens of KiB for the unoptimized refill).
const MARGIN: usize = if cfg!(debug_assertions) {
    96 * 1024
} else {
    24 * 1024
};

/// The smallest task stack the checker uses: the margin plus room to run.
pub(crate) const MIN_STACK: usize = MARGIN + 64 * 1024;

/// What this thread knows of the task it is running, in one thread-local (the execution
/// loop sets it around every resume: one access each way).
struct Running {
    /// The running task's stack limit (lowest usable address), 0 when no task runs.
    limit: Cell<usize>,
    /// Set by the trap path: the running task overflowed.
    overflowed: Cell<bool>,
    /// The running task's trap handler (read by the signal handler).
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    handler: Cell<Option<corosensei::trap::CoroutineTrapHandler<()>>>,
}

thread_local! {
    static RUNNING: Running = const {
        Running {
            limit: Cell::new(0),
            overflowed: Cell::new(false),
            #[cfg(all(
                target_os = "linux",
                any(target_arch = "x86_64", target_arch = "aarch64")
            ))]
            handler: Cell::new(None),
        }
    };
}

/// Whether a simulated task's coroutine is running on this thread (between [`enter`]
/// and [`leave`]).
#[inline]
pub(crate) fn in_task() -> bool {
    RUNNING.with(|r| r.limit.get() != 0)
}

/// Whether the current task is within `MARGIN` bytes of its stack limit.
#[inline]
pub(crate) fn near_limit() -> bool {
    let limit = RUNNING.with(|r| r.limit.get());
    if limit == 0 {
        return false;
    }
    let here = &limit as *const usize as usize;
    here < limit + MARGIN
}

/// Called by the execution loop before each resume of a task's coroutine, with the
/// lowest usable address of the task's stack (never 0).
#[inline]
pub(crate) fn enter(co: &Coro, limit: usize) {
    install();
    RUNNING.with(|r| {
        r.limit.set(limit);
        arm(r, co);
    });
}

/// After a resume: whether the task overflowed (trap path), clearing the state.
#[inline]
pub(crate) fn leave() -> bool {
    RUNNING.with(|r| {
        r.limit.set(0);
        disarm(r);
        r.overflowed.replace(false)
    })
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod trap {
    use super::super::coro::Coro;
    use super::{RUNNING, Running};
    use std::sync::Once;

    static mut OLD_SEGV: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::uninit();
    static mut OLD_BUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::uninit();

    #[inline]
    pub(super) fn arm(r: &Running, co: &Coro) {
        r.handler.set(Some(co.trap_handler()));
    }

    #[inline]
    pub(super) fn disarm(r: &Running) {
        r.handler.set(None);
    }

    #[inline]
    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: plain sigaction calls with a zeroed, then filled, struct; the old
            // actions are saved before anything can use them (inside `call_once`).
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(
                    libc::SIGSEGV,
                    &sa,
                    (&raw mut OLD_SEGV).cast::<libc::sigaction>(),
                );
                libc::sigaction(
                    libc::SIGBUS,
                    &sa,
                    (&raw mut OLD_BUS).cast::<libc::sigaction>(),
                );
            }
        });
    }

    unsafe extern "C" fn handler(
        signum: libc::c_int,
        _info: *mut libc::siginfo_t,
        ctx: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers.
        let ctx = unsafe { &mut *(ctx as *mut libc::ucontext_t) };
        #[cfg(target_arch = "x86_64")]
        let sp = ctx.uc_mcontext.gregs[libc::REG_RSP as usize] as usize;
        #[cfg(target_arch = "aarch64")]
        let sp = ctx.uc_mcontext.sp as usize;
        // A const-initialized `Cell` thread-local: no lazy initialization, no allocation.
        let h = RUNNING.with(|r| r.handler.get());
        match h {
            Some(h) if h.stack_ptr_in_bounds(sp) => {
                // SAFETY: the faulting stack pointer is inside the running task's
                // coroutine (checked above); the registers are updated below exactly as
                // `TrapHandlerRegs` requires. The closure only sets a thread-local flag.
                let regs =
                    unsafe { h.setup_trap_handler(|| RUNNING.with(|r| r.overflowed.set(true))) };
                #[cfg(target_arch = "x86_64")]
                {
                    let corosensei::trap::TrapHandlerRegs {
                        rip,
                        rsp,
                        rbp,
                        rdi,
                        rsi,
                    } = regs;
                    let g = &mut ctx.uc_mcontext.gregs;
                    g[libc::REG_RIP as usize] = rip as i64;
                    g[libc::REG_RSP as usize] = rsp as i64;
                    g[libc::REG_RBP as usize] = rbp as i64;
                    g[libc::REG_RDI as usize] = rdi as i64;
                    g[libc::REG_RSI as usize] = rsi as i64;
                }
                #[cfg(target_arch = "aarch64")]
                {
                    let corosensei::trap::TrapHandlerRegs {
                        pc,
                        sp,
                        x0,
                        x1,
                        x29,
                        lr,
                    } = regs;
                    let m = &mut ctx.uc_mcontext;
                    m.pc = pc;
                    m.sp = sp;
                    m.regs[0] = x0;
                    m.regs[1] = x1;
                    m.regs[29] = x29;
                    m.regs[30] = lr;
                }
            }
            _ => {
                // Not ours: restore the previous handler and return; the faulting
                // instruction runs again and faults into it.
                // SAFETY: the old actions were saved by `install` before this handler
                // could ever run.
                unsafe {
                    let old = if signum == libc::SIGBUS {
                        (&raw const OLD_BUS).cast::<libc::sigaction>()
                    } else {
                        (&raw const OLD_SEGV).cast::<libc::sigaction>()
                    };
                    libc::sigaction(signum, old, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
use trap::{arm, disarm, install};

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn arm(_: &Running, _: &Coro) {}
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn disarm(_: &Running) {}
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn install() {}
