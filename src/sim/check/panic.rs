//! The panic hook of simulated tasks.

use crate::sim::exec;
use std::cell::RefCell;

thread_local! {
    /// The message and location of the last panic on this thread while simulating.
    pub(super) static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps panics inside simulated tasks quiet — the
/// report shows them — and records their message and location.
pub(super) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if crate::mode::current() == crate::mode::Context::Sim && exec::in_task() {
                let msg = crate::future::payload_text(info.payload());
                // An interpreted program's position, if the task set one, else Rust's.
                let at = exec::current_span()
                    .map(|s| s.to_string())
                    .or_else(|| info.location().map(|l| l.to_string()))
                    .unwrap_or_else(|| "?".into());
                // A panic while another one unwinds (a destructor panicking) makes Rust
                // abort the process right after this hook: say where, since the report
                // will never be printed.
                let first = LAST_PANIC.with(|p| p.borrow().clone());
                if first.is_some() || exec::tearing_down_now() {
                    let during = match &first {
                        Some((m, a)) => format!("the panic {m} at {a}"),
                        None => "the harness unwinding an aborted execution".to_string(),
                    };
                    eprintln!(
                        "forkwait: a simulated task panicked with {msg} at {at} while \
                         {during} was unwinding (a destructor that panics): Rust aborts the \
                         process now"
                    );
                }
                LAST_PANIC.with(|p| *p.borrow_mut() = Some((msg, at)));
            } else {
                prev(info);
            }
        }));
    });
}

/// Takes the message and location recorded by the panic hook for the last panic, which
/// unwound with `payload`.
///
/// A payload re-raised with `resume_unwind` (a panic carried to `wait`, or to the end of a
/// `scope`) runs no hook: its message is the payload's text, and its location the one the
/// hook recorded where a task of this execution first panicked with that message.
pub(crate) fn take_last_panic(payload: &(dyn std::any::Any + Send)) -> (String, String) {
    LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| {
            let msg = crate::future::payload_text(payload);
            let at = exec::panic_site(&msg).unwrap_or_else(|| "?".into());
            (msg, at)
        })
}
