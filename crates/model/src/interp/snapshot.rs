//! [`Snapshot`]: a plain copy of a model value, printed as Python's `repr`.

use crate::value::{MAX_NESTING, Value};
use std::fmt;
use std::sync::Arc;

/// A plain, deep copy of a model value: what `main()` returned, printable as Python's
/// `repr` and comparable. The outcome of a simulated run is its `Debug` text.
///
/// ```
/// use forkwait_model::Snapshot;
/// let s = Snapshot::List(vec![Snapshot::Int(1), Snapshot::Str("a".into()), Snapshot::None]);
/// assert_eq!(format!("{s:?}"), "[1, 'a', None]");
/// let d = Snapshot::Dict(vec![(Snapshot::Str("k".into()), Snapshot::Float(0.5))]);
/// assert_eq!(format!("{d:?}"), "{'k': 0.5}");
/// ```
#[derive(Clone, PartialEq)]
pub enum Snapshot {
    /// `None`.
    None,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A list's items.
    List(Vec<Snapshot>),
    /// A tuple's items.
    Tuple(Vec<Snapshot>),
    /// A dict's entries in insertion order.
    Dict(Vec<(Snapshot, Snapshot)>),
    /// A set's elements in its canonical order (see `interp/sets.rs`): `{1, 2}`, `set()`.
    Set(Vec<Snapshot>),
    /// Anything else, by its repr (`<AddMod object>`, `<function foo>`, `range(0, 3)`),
    /// or `[...]` / `{...}` for a container inside itself.
    Other(String),
}

pub(crate) fn snap(v: &Value, seen: &mut Vec<usize>) -> Snapshot {
    if seen.len() > MAX_NESTING {
        return Snapshot::Other("...".into());
    }
    match v {
        Value::None => Snapshot::None,
        Value::Bool(b) => Snapshot::Bool(*b),
        Value::Int(i) => Snapshot::Int(*i),
        Value::Float(f) => Snapshot::Float(*f),
        Value::Str(s) => Snapshot::Str(s.to_string()),
        Value::Tuple(t) => {
            seen.push(0);
            let items = t.iter().map(|x| snap(x, seen)).collect();
            seen.pop();
            Snapshot::Tuple(items)
        }
        Value::List(l) => {
            let id = Arc::as_ptr(l) as usize;
            if seen.contains(&id) {
                return Snapshot::Other("[...]".into());
            }
            seen.push(id);
            let items = l.items().iter().map(|x| snap(x, seen)).collect();
            seen.pop();
            Snapshot::List(items)
        }
        Value::Dict(d) => {
            let id = Arc::as_ptr(d) as usize;
            if seen.contains(&id) {
                return Snapshot::Other("{...}".into());
            }
            seen.push(id);
            let entries = d.entries();
            let items = entries
                .iter()
                .map(|(k, x)| (snap(k, seen), snap(x, seen)))
                .collect();
            seen.pop();
            Snapshot::Dict(items)
        }
        Value::Set(d) => {
            seen.push(0);
            let items = crate::interp::sets::elements(d);
            let items = items.iter().map(|x| snap(x, seen)).collect();
            seen.pop();
            Snapshot::Set(items)
        }
        Value::Range(a, b, 1) => Snapshot::Other(format!("range({a}, {b})")),
        Value::Range(a, b, s) => Snapshot::Other(format!("range({a}, {b}, {s})")),
        Value::Function(_, n) => Snapshot::Other(format!("<function {n}>")),
        Value::Closure(c) => Snapshot::Other(format!("<function {}>", c.name)),
        Value::Class(_, n) => Snapshot::Other(format!("<class '{n}'>")),
        Value::LocalClass(c) => Snapshot::Other(format!("<class '{}'>", c.name)),
        Value::Instance(i) => Snapshot::Other(format!("<{} object>", i.class_name)),
        Value::Method(i, _) => Snapshot::Other(format!("<bound method of {}>", i.class_name)),
        Value::Builtin(b) => Snapshot::Other(format!("<built-in function {}>", b.name())),
        Value::BuiltinMethod(r, n) => {
            Snapshot::Other(format!("<built-in method {n} of {} object>", r.kind_name()))
        }
        Value::Future(_) => Snapshot::Other("<Future>".into()),
        Value::Lock(_) => Snapshot::Other("<Lock>".into()),
        Value::Atomic(_) => Snapshot::Other("<AtomicInt>".into()),
        Value::Exception(e) => {
            let class = crate::interp::exceptions::class_name(e.class);
            match e.message.is_empty() {
                true => Snapshot::Other(format!("{class}()")),
                false => Snapshot::Other(format!(
                    "{class}({:?})",
                    snap(&Value::Str(e.message.clone()), seen)
                )),
            }
        }
    }
}

/// Python's `repr` of a float: `1.0`, `0.1`, `1e+16`, `1.5e-05`, `inf`, `nan`.
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let s = format!("{f}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Python's `repr` of a string.
pub(crate) fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl fmt::Debug for Snapshot {
    /// Python's `repr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, items: &[Snapshot]) -> fmt::Result {
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                fmt::Debug::fmt(x, f)?;
            }
            Ok(())
        }
        match self {
            Snapshot::None => f.write_str("None"),
            Snapshot::Bool(true) => f.write_str("True"),
            Snapshot::Bool(false) => f.write_str("False"),
            Snapshot::Int(i) => write!(f, "{i}"),
            Snapshot::Float(x) => f.write_str(&float_repr(*x)),
            Snapshot::Str(s) => f.write_str(&str_repr(s)),
            Snapshot::List(items) => {
                f.write_str("[")?;
                list(f, items)?;
                f.write_str("]")
            }
            Snapshot::Tuple(items) => {
                f.write_str("(")?;
                list(f, items)?;
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            Snapshot::Dict(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}: {v:?}")?;
                }
                f.write_str("}")
            }
            Snapshot::Set(items) if items.is_empty() => f.write_str("set()"),
            Snapshot::Set(items) => {
                f.write_str("{")?;
                list(f, items)?;
                f.write_str("}")
            }
            Snapshot::Other(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Snapshot {
    /// Python's `str()`: a string without quotes, anything else as its `repr`.
    ///
    /// ```
    /// use forkwait_model::Snapshot;
    /// assert_eq!(Snapshot::Str("hi".into()).to_string(), "hi");
    /// assert_eq!(Snapshot::Int(4).to_string(), "4");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Snapshot::Str(s) => f.write_str(s),
            other => fmt::Debug::fmt(other, f),
        }
    }
}
