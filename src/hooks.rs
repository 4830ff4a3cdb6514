//! Hooks for interpreters of other languages that run on forkwait (such as the `.fw`
//! model language of the `forkwait-model` crate); not needed by Rust programs.
//!
//! An interpreter runs its program's `fork`/`wait` on [`fork`](crate::fork) and
//! [`wait`](crate::wait), and its program's state in [`crate::sync`]; with these hooks it
//! also tells forkwait where in the *interpreted* source each task is
//! ([`set_source_span`]), so that interleavings, findings and trace graphs name that
//! program's lines rather than the interpreter's, and a watchdog can ask where every task
//! of a stuck program is ([`publish_spans`], [`live_spans`]).
//!
//! ```
//! use forkwait::hooks;
//! let (_, graph) = forkwait::trace(|| {
//!     hooks::set_source_span("model.fw", 3, 9);
//!     forkwait::wait(forkwait::fork(|| ()))
//! });
//! assert!(graph.to_string().contains("model.fw:3:9"));
//! hooks::clear_source_span();
//! ```

pub use crate::span::SourceSpan;

/// Which runtime serves [`fork`](crate::fork) and [`wait`](crate::wait) on the current
/// thread (see the execution modes in the crate docs).
///
/// ```
/// use forkwait::hooks::{Mode, mode};
/// assert_eq!(mode(), Mode::Parallel);
/// assert_eq!(forkwait::Runtime::eager().run(mode), Mode::Eager);
/// assert_eq!(forkwait::trace(mode).0, Mode::Trace);
/// forkwait::Checker::new().iterations(1).run(|| assert_eq!(mode(), Mode::Simulator));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// A thread pool: the global one (outside any runtime) or a [`Runtime::parallel`]
    /// one.
    ///
    /// [`Runtime::parallel`]: crate::Runtime::parallel
    Parallel,
    /// `fork` runs the function at the fork point ([`Runtime::eager`]).
    ///
    /// [`Runtime::eager`]: crate::Runtime::eager
    Eager,
    /// Eager, recording the fork/wait graph ([`trace`](crate::trace())).
    Trace,
    /// The deterministic simulator ([`check`](crate::check),
    /// [`Checker::run`](crate::Checker::run), [`replay`](crate::replay)): tasks are
    /// coroutines on small stacks, and every operation is a scheduling point.
    Simulator,
}

/// The mode of the current thread: an interpreter may, for instance, bound its recursion
/// differently under the simulator, or give eager code a bigger stack.
///
/// ```
/// assert_eq!(forkwait::hooks::mode(), forkwait::hooks::Mode::Parallel);
/// ```
pub fn mode() -> Mode {
    crate::backend::mode()
}

/// Tells forkwait where in an *interpreted* program the current task is, so that
/// simulated interleavings, findings and trace graphs show that program's lines rather
/// than the interpreter's (the `.fw` model interpreter calls it before each statement).
///
/// ```
/// let (_, graph) = forkwait::trace(|| {
///     forkwait::hooks::set_source_span("model.fw", 3, 9);
///     forkwait::wait(forkwait::fork(|| ()))
/// });
/// assert!(graph.to_string().contains("model.fw:3:9"));
/// forkwait::hooks::clear_source_span();
/// ```
pub fn set_source_span(file: &'static str, line: u32, col: u32) {
    crate::backend::set_span(Some(SourceSpan { file, line, col }))
}

/// Forgets the position set by [`set_source_span`] for the current task.
///
/// ```
/// forkwait::hooks::set_source_span("model.fw", 1, 1);
/// forkwait::hooks::clear_source_span();
/// assert_eq!(forkwait::hooks::current_span(), None);
/// ```
pub fn clear_source_span() {
    crate::backend::set_span(None)
}

/// The position set by [`set_source_span`] on the current thread, outside the simulator
/// (under it, findings carry the positions themselves).
///
/// ```
/// use forkwait::hooks::{self, SourceSpan};
/// hooks::set_source_span("model.fw", 4, 2);
/// assert_eq!(
///     hooks::current_span(),
///     Some(SourceSpan { file: "model.fw", line: 4, col: 2 })
/// );
/// hooks::clear_source_span();
/// ```
pub fn current_span() -> Option<SourceSpan> {
    crate::runtime::trace::current_span()
}

/// From now on, the source position of every task running outside the simulator can be
/// read from another thread with [`live_spans`]: a watchdog's view of where a stuck
/// program is (`forkwait run --timeout`). Costs an uncontended lock per
/// [`set_source_span`]; cannot be turned off.
///
/// ```
/// use forkwait::hooks;
/// hooks::publish_spans();
/// hooks::set_source_span("model.fw", 7, 5);
/// let here = hooks::SourceSpan { file: "model.fw", line: 7, col: 5 };
/// let seen = std::thread::spawn(hooks::live_spans).join().unwrap();
/// assert!(seen.contains(&here));
/// hooks::clear_source_span();
/// ```
pub fn publish_spans() {
    crate::runtime::trace::publish_spans()
}

/// The position of every running task that has one (see [`publish_spans`]), thread by
/// thread, the innermost task of each thread last. Empty until [`publish_spans`] is
/// called.
///
/// ```
/// use forkwait::hooks;
/// hooks::publish_spans();
/// let (release, stop) = std::sync::mpsc::channel::<()>();
/// let stuck = std::thread::spawn(move || {
///     hooks::set_source_span("model.fw", 12, 3);
///     let _ = stop.recv(); // a task that does not finish until released
/// });
/// let here = hooks::SourceSpan { file: "model.fw", line: 12, col: 3 };
/// while !hooks::live_spans().contains(&here) {
///     std::thread::yield_now();
/// }
/// release.send(()).unwrap();
/// stuck.join().unwrap();
/// ```
pub fn live_spans() -> Vec<SourceSpan> {
    crate::runtime::trace::live_spans()
}

/// The message of a panic payload as the checker prints it (a `&str` or `String`
/// payload, quoted), or a placeholder naming that it is not text.
///
/// ```
/// let p: Box<dyn std::any::Any + Send> = Box::new("boom");
/// assert_eq!(forkwait::hooks::payload_text(&*p), "\"boom\"");
/// let q: Box<dyn std::any::Any + Send> = Box::new(7_u8);
/// assert_eq!(forkwait::hooks::payload_text(&*q), "a non-string payload");
/// ```
pub fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    crate::future::payload_text(payload)
}
