//! `AtomicInt(v)`: the model language's one atomic, an integer cell shared through
//! synchronization, over [`forkwait::sync::atomic::AtomicI64`] (every operation
//! sequentially consistent). Its methods: `a.fetch_add(k)` (returns the old value),
//! `a.load()`, `a.store(v)` (returns `None`).
//!
//! Each operation is one scheduling point of the simulator and synchronizes (acquires
//! and releases the atomic), so accesses to it are never a race; a forked task's
//! `fetch_add` or `store` on an atomic it does not own is an impure write *through
//! synchronization*: a warning by default, an error under strict purity (SPEC §2,
//! `docs/purity.md`), where a write to a plain variable is always an error. A lost update
//! (`a.store(a.load() + 1)` in two tasks) is race-free but nondeterministic; `fetch_add`
//! counts are deterministic. Arithmetic wraps, as a 64-bit atomic's does.

use crate::value::Value;
use forkwait::sync::StateClass;
use forkwait::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A model atomic integer (`AtomicInt(v)`).
///
/// ```
/// use forkwait_model::Model;
/// let src = "c = AtomicInt(1)\n\ndef main():\n    old = c.fetch_add(2)\n    return (old, c.load())\n";
/// let m = Model::from_source("t.fw", src).unwrap();
/// let v = forkwait::Runtime::eager().run(|| m.try_run_main()).unwrap();
/// assert_eq!(format!("{v:?}"), "(1, 3)");
/// ```
pub struct AtomicInt {
    pub(crate) cell: AtomicI64,
}

/// The methods of an `AtomicInt`.
pub(crate) const METHODS: &[&str] = &["fetch_add", "load", "store"];

/// `AtomicInt(v)` (`v` defaults to 0) made by a frame whose state has purity `class`.
pub(crate) fn make(args: &[Value], class: StateClass) -> Result<Value, String> {
    let v = match args.first() {
        None => 0,
        Some(a) => a
            .as_int()
            .ok_or_else(|| format!("AtomicInt() expects an integer, got a '{}'", a.type_name()))?,
    };
    Ok(Value::Atomic(Arc::new(AtomicInt {
        cell: AtomicI64::with_class(v, class),
    })))
}

/// How many arguments method `name` takes.
pub(crate) fn arity(name: &str) -> usize {
    usize::from(name != "load")
}

/// Calls method `name` (one of [`METHODS`]) with its integer argument `k` (0 for `load`).
pub(crate) fn call(a: &AtomicInt, name: &str, k: i64) -> Option<Value> {
    Some(match name {
        "fetch_add" => Value::Int(a.cell.fetch_add(k, Ordering::SeqCst)),
        "load" => Value::Int(a.cell.load(Ordering::SeqCst)),
        "store" => {
            a.cell.store(k, Ordering::SeqCst);
            Value::None
        }
        _ => return None,
    })
}
