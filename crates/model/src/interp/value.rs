//! The values of the model language and their Python-like behaviour: truth, equality,
//! ordering, `repr`.
//!
//! Immutable values (`None`, booleans, numbers, strings, tuples, ranges) are plain data.
//! Mutable ones live in instrumented state ([`forkwait::sync`]) so that the simulator sees
//! every access:
//!
//! * a **list** or **dict** is a set of locations: one per item or entry (each its own
//!   [`Shared`] cell, created with the item by the task that inserts it, with the
//!   container's purity class), plus one **structure** location (a `Shared<()>`) standing
//!   for the container's shape: its length, its order, its set of keys. See
//!   [Element locations](#element-locations) below. A **set** is a dict whose values are
//!   all `None` (see `interp/sets.rs`);
//! * an **instance** of a model class has one [`Shared::attribute`] cell per attribute
//!   (class `module-attribute` for the purity analysis), plus a `shape` cell written when
//!   an attribute is added after construction;
//! * a **global variable** is one [`Shared::global`] cell (see the interpreter);
//! * a `Lock()` is a [`forkwait::sync::Mutex`].
//!
//! Containers created while the module's top-level statements run are global state
//! (`Shared::global`); those created later are ordinary (`input`) state of the task that
//! made them. Nothing here iterates a hash map: dicts and attributes keep insertion order.
//!
//! # Element locations
//!
//! Two tasks writing *different* items of one list (or entries of one dict) do not race;
//! two tasks of which one changes the container's structure while the other touches any
//! of its items do. Every container operation is a sequence of accesses:
//!
//! | operation | structure | items / entries |
//! |---|---|---|
//! | `xs[i]`, `d[k]`, `d.get(k)` | read | read that one |
//! | `xs[i] = v`, `d[k] = v` (existing key) | read | write that one |
//! | `d[k] = v` (new key), `append`, `extend`, `insert`, `pop`, `clear`, `+=` | write | — |
//! | `len`, truth, `k in d`, `keys()`, iterating a dict | read | — |
//! | iterating a list, `x in xs`, `==`, `<`, `print`, `repr`, copies, slices, `values()`, `items()`, `sum`/`min`/`sorted`/... | read | read every one, in order |
//!
//! So a structural write conflicts with every other access to the container (they all
//! read the structure), an item write conflicts with accesses to the same item and with
//! whole-container reads, and nothing else conflicts. The happens-before analysis of the
//! simulator then reports exactly the races a Python programmer would call races.
//!
//! Purity stays exact: an item's cell is created by the task that creates the container
//! (or, for an item added later, by the task that adds it) with the container's class,
//! so a forked task writing an item of a list it did not create is an impure `input`
//! write, as before. (An item added later by a task that does not own the container
//! belongs to that task; but adding it was already an impure write of the container's
//! structure, so the verdict is the same.)
//!
//! Cost: one cell per item (an allocation and, under the simulator, an object
//! registration, but no scheduling step) when the item is inserted; an item access is two
//! steps (structure, item); a whole-container read is `1 + len` steps. The vector of cells
//! is guarded by a `std` mutex that is never held across a scheduling point.

use crate::snapshot::Snapshot;
use forkwait::sync::{Mutex as SyncMutex, Shared, StateClass};
use std::fmt;
use std::sync::Arc;

mod containers;
mod sets;

/// How deep [`Value::snapshot`], equality and ordering recurse into nested containers.
pub(crate) const MAX_NESTING: usize = 100;

/// A value of the model language.
///
/// Values are cheap to clone (heap objects are shared through `Arc`, as Python shares
/// references) and are `Send + Sync`, so they can be captured by forked tasks.
///
/// `Debug` prints Python's `repr` (reading containers through their instrumented state):
///
/// ```
/// use forkwait_model::Value;
/// let v = Value::tuple(vec![Value::Int(1), Value::str("a"), Value::None, Value::Float(2.0)]);
/// assert_eq!(format!("{v:?}"), "(1, 'a', None, 2.0)");
/// ```
#[derive(Clone)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// A 64-bit integer (overflow is a runtime error, unlike Python's big integers).
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// A tuple (immutable).
    Tuple(Arc<[Value]>),
    /// A list (mutable, instrumented).
    List(Arc<List>),
    /// A dict (mutable, instrumented, insertion-ordered).
    Dict(Arc<Dict>),
    /// A set: a dict whose values are all `None` (so instrumented as a dict's keys are;
    /// see `interp/sets.rs`), iterated and printed in a canonical order of its elements.
    Set(Arc<Dict>),
    /// `range(start, stop, step)`, a lazy sequence of integers.
    Range(i64, i64, i64),
    /// A top-level function: its index in [`Program::functions`](super::Program) and name.
    Function(usize, Arc<str>),
    /// A nested function or lambda, with the cells it captured.
    Closure(Arc<Closure>),
    /// A class: its index in [`Program::classes`](super::Program) and name.
    Class(usize, Arc<str>),
    /// A class defined inside a function or block, made when its `class` statement ran.
    LocalClass(Arc<LocalClass>),
    /// An instance of a model class.
    Instance(Arc<Instance>),
    /// A method bound to its instance (`self.helper`): the method's index in its class.
    Method(Arc<Instance>, usize),
    /// A builtin function such as `len` or `fork`.
    Builtin(crate::builtins::Builtin),
    /// A method of a builtin type bound to its receiver, e.g. `xs.append`.
    BuiltinMethod(Arc<Value>, &'static str),
    /// The future returned by `fork`.
    Future(Arc<FutureCell>),
    /// A lock made by `Lock()`, used as `with lock:`.
    Lock(Arc<Lock>),
    /// An atomic integer made by `AtomicInt(v)` (see `interp/atomic.rs`).
    Atomic(Arc<crate::interp::atomic::AtomicInt>),
    /// An exception: made by calling an exception class (`ValueError("bad")`), or the
    /// error an `except ... as e` clause caught.
    Exception(Arc<ExceptionValue>),
}

/// An exception value: its class and message.
pub struct ExceptionValue {
    /// Its class: an index in [`EXCEPTIONS`](crate::EXCEPTIONS).
    pub(crate) class: usize,
    /// The message (`str(e)`).
    pub(crate) message: Arc<str>,
}

/// A model list: a structure location and one instrumented location per item (see
/// [Element locations](self#element-locations)).
pub struct List {
    /// The structure location: written by structural changes, read by every other access.
    pub(crate) shape: Shared<()>,
    /// The items' cells, in order. Locked only between scheduling points.
    items: std::sync::Mutex<Vec<Arc<Shared<Value>>>>,
    class: StateClass,
}

/// A model dict: a structure location and one instrumented location per entry's value,
/// the entries in insertion order (see [Element locations](self#element-locations)).
pub struct Dict {
    /// The structure location (the set and order of the keys).
    pub(crate) shape: Shared<()>,
    /// The entries: key and the cell of its value. Locked only between scheduling points.
    entries: std::sync::Mutex<Vec<(Value, Arc<Shared<Value>>)>>,
    class: StateClass,
}

/// The attributes of an instance: name and cell, in order of creation.
pub(crate) type Attrs = Vec<(Arc<str>, Arc<Shared<Value>>)>;

/// An instance of a model class.
pub struct Instance {
    pub(crate) class: usize,
    pub(crate) class_name: Arc<str>,
    /// Attributes in order of creation; each its own instrumented cell. The vector itself
    /// is only locked for the lookup, never across a scheduling point.
    pub(crate) attrs: std::sync::Mutex<Attrs>,
    /// Written (as a module attribute) when an attribute is added.
    pub(crate) shape: Shared<()>,
    /// For an instance of a class defined inside a function: that class value (its
    /// methods' closures).
    pub(crate) env: Option<Arc<LocalClass>>,
}

/// A class defined inside a function or block, made when its `class` statement ran (see
/// `front/local_classes.rs`): its methods close over the enclosing function's variables.
pub struct LocalClass {
    /// Its class id (after the top-level classes).
    pub(crate) class: usize,
    pub(crate) name: Arc<str>,
    /// Each method's closure, parallel to the class's methods.
    pub(crate) methods: Vec<Arc<Closure>>,
    /// Each class attribute's value, evaluated when the statement ran, parallel to the
    /// class's attributes.
    pub(crate) attrs: Vec<Value>,
}

/// A variable shared between a function and the functions nested in it: one
/// instrumented location, unset until assigned.
pub(crate) type Cell = Shared<Option<Value>>;

/// A nested function or lambda, made when its `def` (or `lambda`) ran: which one, and
/// the cells of the enclosing frame it captured (see `front/scopes.rs`).
pub struct Closure {
    /// Its index among the model's nested functions (its `id`).
    pub(crate) id: usize,
    pub(crate) name: Arc<str>,
    /// The free variables' cells, in the order of the function's scope.
    pub(crate) cells: Vec<Arc<Cell>>,
    /// Each parameter's default, evaluated when the `def` ran.
    pub(crate) defaults: Vec<Option<Value>>,
}

/// A model lock (`Lock()`).
pub struct Lock {
    pub(crate) mutex: SyncMutex<()>,
}

/// A model future: a library [`SharedFuture`](forkwait::SharedFuture), so that any number of
/// tasks may wait it, any number of times, as with `torch.jit.Future`.
pub struct FutureCell {
    pub(crate) fut: forkwait::SharedFuture<Value>,
}

/// Locks a `std` mutex of the interpreter (never held across a scheduling point, so a
/// poisoned one only means a panic between two points: its data is consistent).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Normalises a Python index `i` into `0..len`.
pub(crate) fn norm_index(i: i64, len: usize) -> Option<usize> {
    let n = i64::try_from(len).unwrap_or(i64::MAX);
    let j = if i < 0 { i + n } else { i };
    (0..n).contains(&j).then_some(j as usize)
}

impl Instance {
    /// The cell of attribute `name`, if the instance has it.
    pub(crate) fn attr(&self, name: &str) -> Option<Arc<Shared<Value>>> {
        let attrs = self.attrs.lock().unwrap_or_else(|e| e.into_inner());
        attrs
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, c)| c.clone())
    }
}

impl Value {
    /// A string value.
    ///
    /// ```
    /// assert_eq!(format!("{:?}", forkwait_model::Value::str("it's")), "\"it's\"");
    /// ```
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// A tuple value.
    ///
    /// ```
    /// let t = forkwait_model::Value::tuple(vec![forkwait_model::Value::Int(1)]);
    /// assert_eq!(format!("{t:?}"), "(1,)");
    /// ```
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Arc::from(items))
    }

    /// The Python type name, as used in error messages (`int`, `list`, `AddMod`, ...).
    ///
    /// ```
    /// assert_eq!(forkwait_model::Value::Float(1.5).type_name(), "float");
    /// ```
    pub fn type_name(&self) -> String {
        match self {
            Value::Instance(i) => i.class_name.to_string(),
            other => other.kind_name().to_string(),
        }
    }

    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::Range(..) => "range",
            Value::Function(..) | Value::Closure(_) => "function",
            Value::Class(..) | Value::LocalClass(_) => "type",
            Value::Instance(_) => "object",
            Value::Method(..) => "method",
            Value::Builtin(_) | Value::BuiltinMethod(..) => "builtin_function_or_method",
            Value::Future(_) => "Future",
            Value::Lock(_) => "Lock",
            Value::Atomic(_) => "AtomicInt",
            Value::Exception(e) => crate::interp::exceptions::class_name(e.class),
        }
    }

    /// Python truthiness (reads a container's instrumented state).
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(t) => !t.is_empty(),
            Value::List(l) => l.len() > 0,
            Value::Dict(d) | Value::Set(d) => d.len() > 0,
            Value::Range(a, b, s) => range_len(*a, *b, *s) > 0,
            _ => true,
        }
    }

    /// A number as `f64`, for mixed arithmetic and comparisons.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// An integer (booleans count, as in Python).
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Whether the value may be a dict key (immutable: no instrumented reads to compare).
    pub(crate) fn hashable(&self) -> bool {
        match self {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) => true,
            Value::Tuple(t) => t.iter().all(Value::hashable),
            Value::Range(..) | Value::Function(..) | Value::Class(..) | Value::Builtin(_) => true,
            Value::LocalClass(_) => true,
            _ => false,
        }
    }

    /// Python `is`: identity for heap objects, equality of value for immutable atoms.
    pub(crate) fn is(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Tuple(a), Value::Tuple(b)) => Arc::ptr_eq(a, b),
            (Value::List(a), Value::List(b)) => Arc::ptr_eq(a, b),
            (Value::Dict(a), Value::Dict(b)) | (Value::Set(a), Value::Set(b)) => Arc::ptr_eq(a, b),
            (Value::Instance(a), Value::Instance(b)) => Arc::ptr_eq(a, b),
            (Value::Future(a), Value::Future(b)) => Arc::ptr_eq(a, b),
            (Value::Lock(a), Value::Lock(b)) => Arc::ptr_eq(a, b),
            (Value::Atomic(a), Value::Atomic(b)) => Arc::ptr_eq(a, b),
            (Value::Exception(a), Value::Exception(b)) => Arc::ptr_eq(a, b),
            (Value::Function(a, _), Value::Function(b, _)) => a == b,
            (Value::Closure(a), Value::Closure(b)) => Arc::ptr_eq(a, b),
            (Value::Class(a, _), Value::Class(b, _)) => a == b,
            (Value::LocalClass(a), Value::LocalClass(b)) => Arc::ptr_eq(a, b),
            (Value::Builtin(a), Value::Builtin(b)) => a == b,
            (Value::Range(a, b, c), Value::Range(d, e, f)) => (a, b, c) == (d, e, f),
            (Value::Method(a, i), Value::Method(b, j)) => Arc::ptr_eq(a, b) && i == j,
            (Value::BuiltinMethod(a, m), Value::BuiltinMethod(b, n)) => a.is(b) && m == n,
            _ => false,
        }
    }

    /// Python `==` (reads containers' instrumented state; not inside another cell's
    /// `update`).
    pub(crate) fn py_eq(&self, other: &Value) -> Result<bool, String> {
        eq_depth(self, other, 0)
    }

    /// Python `<`, `<=`, `>`, `>=` as an ordering, or a type error.
    pub(crate) fn py_cmp(&self, other: &Value) -> Result<std::cmp::Ordering, String> {
        cmp_depth(self, other, 0)
    }

    /// A deep, plain copy of the value for outcomes and printing (reads containers).
    ///
    /// ```
    /// use forkwait_model::{Snapshot, Value};
    /// assert_eq!(Value::Int(3).snapshot(), Snapshot::Int(3));
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        crate::snapshot::snap(self, &mut Vec::new())
    }

    /// Python's `str()`: strings unquoted, everything else as its `repr`.
    pub(crate) fn to_str(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            Value::Exception(e) => e.message.to_string(),
            other => format!("{:?}", other.snapshot()),
        }
    }
}

impl fmt::Debug for Value {
    /// Python's `repr` of the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.snapshot(), f)
    }
}

/// The number of items of `range(a, b, s)` (`s != 0`).
pub(crate) fn range_len(a: i64, b: i64, s: i64) -> i64 {
    let (a, b, s) = (i128::from(a), i128::from(b), i128::from(s));
    let n = if s > 0 {
        (b - a + s - 1).div_euclid(s)
    } else {
        (a - b - s - 1).div_euclid(-s)
    };
    n.clamp(0, i128::from(i64::MAX)) as i64
}

fn seq_items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Tuple(t) => Some(t.to_vec()),
        Value::List(l) => Some(l.items()),
        _ => None,
    }
}

fn eq_depth(a: &Value, b: &Value, depth: usize) -> Result<bool, String> {
    if depth > MAX_NESTING {
        return Err("maximum recursion depth exceeded in comparison".into());
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return Ok(match (a.as_int(), b.as_int()) {
            (Some(i), Some(j)) => i == j,
            _ => x == y,
        });
    }
    Ok(match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Tuple(_), Value::Tuple(_)) | (Value::List(_), Value::List(_)) => {
            if a.is(b) {
                return Ok(true);
            }
            let (x, y) = (
                seq_items(a).unwrap_or_default(),
                seq_items(b).unwrap_or_default(),
            );
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(&y) {
                if !eq_depth(p, q, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Dict(x), Value::Dict(y)) => {
            if Arc::ptr_eq(x, y) {
                return Ok(true);
            }
            let (x, y) = (x.entries(), y.entries());
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in &x {
                let Some((_, w)) = y.iter().find(|(k2, _)| key_eq(k, k2)) else {
                    return Ok(false);
                };
                if !eq_depth(v, w, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Set(x), Value::Set(y)) => Arc::ptr_eq(x, y) || crate::interp::sets::same(x, y),
        _ => a.is(b),
    })
}

/// Equality of two hashable keys (never reads instrumented state).
pub(crate) fn key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q))
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(_), Some(_)) => eq_depth(a, b, 0).unwrap_or(false),
            _ => a.is(b),
        },
    }
}

fn cmp_depth(a: &Value, b: &Value, depth: usize) -> Result<std::cmp::Ordering, String> {
    if depth > MAX_NESTING {
        return Err("maximum recursion depth exceeded in comparison".into());
    }
    if let (Some(i), Some(j)) = (a.as_int(), b.as_int()) {
        return Ok(i.cmp(&j));
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return x
            .partial_cmp(&y)
            .ok_or_else(|| "cannot order nan".to_string());
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
        (Value::Tuple(_), Value::Tuple(_)) | (Value::List(_), Value::List(_)) => {
            let (x, y) = (
                seq_items(a).unwrap_or_default(),
                seq_items(b).unwrap_or_default(),
            );
            for (p, q) in x.iter().zip(&y) {
                if !eq_depth(p, q, depth + 1)? {
                    return cmp_depth(p, q, depth + 1);
                }
            }
            Ok(x.len().cmp(&y.len()))
        }
        _ => Err(format!(
            "'<' not supported between instances of '{}' and '{}'",
            a.type_name(),
            b.type_name()
        )),
    }
}
