//! Sets: `{a, b}`, `set()`, `set(iterable)`, set comprehensions, `in`, `len`, iteration,
//! `==`, the operators `|`, `&`, `-`, `^` (and their in-place forms) and the methods.
//!
//! # Design
//!
//! A set is a [`Dict`] whose values are all `None` (`Value::Set(Arc<Dict>)`), so it is
//! instrumented exactly as a dict's keys are (see the table in `value.rs`): one
//! **structure** location standing for the set of elements, plus an entry cell per
//! element that only `add` of an element already present writes (as `d[k] = None` would).
//! So:
//!
//! | operation | structure | entries |
//! |---|---|---|
//! | `x in s`, `len`, truth, iterating, `==`, copies, operators, `issubset`, `sorted(s)`, ... | read | — |
//! | `add(x)` (new `x`), `discard`, `remove`, `pop`, `clear`, `update` (new elements), `\|=`, `&=`, `-=`, `^=` | write | — |
//! | `add(x)` (`x` already there) | read | write that one |
//!
//! A forked task adding to a set it was handed therefore writes `input` state (impure),
//! two tasks adding different new elements race (both write the structure) where two
//! tasks writing new keys of a dict would, and a task that only reads a set is clean.
//! (`discard`/`remove` write the structure even when the element is absent: a removal
//! is a mutation of the set whether or not it finds its element.)
//!
//! # Order
//!
//! Python's sets iterate in hash order. Here a set iterates (and prints, pops, converts
//! to a list) in a **canonical order of its elements**, independent of the order they
//! were added in: `None`, then numbers by value (ints and floats compared exactly, NaN
//! last), then strings, then tuples (element by element in this same order), then the
//! other hashable values (functions, classes, ranges) in insertion order. So a set's
//! observable behaviour depends only on its contents: two runs that add the same
//! elements in different (race-free) orders print the same outcome, and small ints come
//! out ascending, as CPython happens to print them too.

use super::items::iterate;
use super::{Frame, Interp, Res};
use crate::ast::{BinOp, Expr, Span};
use crate::value::{Dict, Value, key_eq};
use forkwait::sync::StateClass;
use std::cmp::Ordering;
use std::sync::Arc;

/// The methods of a set.
pub(crate) const METHODS: &[&str] = &[
    "add",
    "clear",
    "copy",
    "difference",
    "discard",
    "intersection",
    "isdisjoint",
    "issubset",
    "issuperset",
    "pop",
    "remove",
    "symmetric_difference",
    "union",
    "update",
];

/// `Err` with Python's `TypeError` message if `v` may not be a set element.
pub(crate) fn check_hashable(v: &Value) -> Result<(), String> {
    match v.hashable() {
        true => Ok(()),
        false => Err(format!("unhashable type: '{}'", v.type_name())),
    }
}

/// A new set of `items` (hashable; duplicates dropped) with the purity class `class`.
#[track_caller]
pub(crate) fn new(items: Vec<Value>, class: StateClass) -> Value {
    let mut entries: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for k in items {
        if !entries.iter().any(|(k2, _)| key_eq(k2, &k)) {
            entries.push((k, Value::None));
        }
    }
    Value::Set(Dict::new(entries, class))
}

/// `set()` or `set(iterable)`.
pub(crate) fn from(arg: Option<&Value>, class: StateClass) -> Result<Value, String> {
    Ok(new(elements_of(arg.unwrap_or(&Value::None))?, class))
}

/// The elements of an iterable argument (`None`: no elements), each checked hashable.
fn elements_of(v: &Value) -> Result<Vec<Value>, String> {
    if let Value::None = v {
        return Ok(Vec::new());
    }
    let items: Vec<Value> = iterate(v)?.collect();
    items.iter().try_for_each(check_hashable)?;
    Ok(items)
}

/// The elements of set `d` in canonical order (reads the structure).
pub(crate) fn elements(d: &Dict) -> Vec<Value> {
    let mut keys = d.keys();
    keys.sort_by(canonical);
    keys
}

/// Whether two sets have the same elements (reads both structures).
pub(crate) fn same(x: &Dict, y: &Dict) -> bool {
    let (a, b) = (x.keys(), y.keys());
    a.len() == b.len() && subset(&a, &b)
}

fn subset(a: &[Value], b: &[Value]) -> bool {
    a.iter().all(|k| has(b, k))
}

fn has(items: &[Value], k: &Value) -> bool {
    items.iter().any(|k2| key_eq(k2, k))
}

/// The class of a value in the canonical order.
fn rank(v: &Value) -> u8 {
    match v {
        Value::None => 0,
        Value::Bool(_) | Value::Int(_) | Value::Float(_) => 1,
        Value::Str(_) => 2,
        Value::Tuple(_) => 3,
        _ => 4,
    }
}

/// The canonical order of hashable values (a total preorder; see the module docs).
fn canonical(a: &Value, b: &Value) -> Ordering {
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Tuple(x), Value::Tuple(y)) => (x.iter().zip(y.iter()))
            .map(|(p, q)| canonical(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        _ => match (a.as_int(), b.as_int(), a.as_f64(), b.as_f64()) {
            (Some(i), Some(j), ..) => i.cmp(&j),
            (Some(i), None, _, Some(y)) => int_float(i, y),
            (None, Some(j), Some(x), _) => int_float(j, x).reverse(),
            (None, None, Some(x), Some(y)) => match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            },
            _ => Ordering::Equal,
        },
    })
}

/// An int against a float, exactly (NaN after every number).
fn int_float(i: i64, x: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x.is_nan() || x >= TWO_63 {
        return Ordering::Less;
    }
    if x < -TWO_63 {
        return Ordering::Greater;
    }
    let t = x.trunc();
    // `t` is an integer in `-2^63..2^63`: exact as an i64.
    i.cmp(&(t as i64))
        .then_with(|| 0.0f64.partial_cmp(&(x - t)).unwrap_or(Ordering::Equal))
}

/// `x op y` for two sets, `op` one of `|`, `&`, `-`, `^` (reads both structures).
pub(crate) fn combine(op: BinOp, x: &Dict, y: &Dict, class: StateClass) -> Option<Value> {
    let (a, b) = (x.keys(), y.keys());
    Some(new(combined(op, a, &b)?, class))
}

/// The elements of `a op b`.
fn combined(op: BinOp, a: Vec<Value>, b: &[Value]) -> Option<Vec<Value>> {
    Some(match op {
        BinOp::BitOr => a.into_iter().chain(b.iter().cloned()).collect(),
        BinOp::BitAnd => a.into_iter().filter(|k| has(b, k)).collect(),
        BinOp::Sub => a.into_iter().filter(|k| !has(b, k)).collect(),
        BinOp::BitXor => {
            let only_b: Vec<Value> = b.iter().filter(|k| !has(&a, k)).cloned().collect();
            let only_a = a.iter().filter(|k| !has(b, k)).cloned();
            only_a.chain(only_b).collect()
        }
        _ => return None,
    })
}

/// `s op= other` in place (`op` one of `|`, `&`, `-`, `^`): the elements added or
/// removed, each one write of the structure. `None` if `op` is another operator.
pub(crate) fn in_place(op: BinOp, s: &Dict, other: &[Value]) -> Option<()> {
    match op {
        BinOp::BitOr => other.iter().for_each(|k| add(s, k)),
        BinOp::BitAnd => {
            let gone = s.keys().into_iter().filter(|k| !has(other, k));
            gone.for_each(|k| drop(s.pop(&k)));
        }
        BinOp::Sub => other.iter().for_each(|k| drop(s.pop(k))),
        BinOp::BitXor => {
            let mine = s.keys();
            for k in other {
                match has(&mine, k) {
                    true => drop(s.pop(k)),
                    false => add(s, k),
                }
            }
        }
        _ => return None,
    }
    Some(())
}

/// `s.add(k)` (`k` hashable): as `d[k] = None`.
fn add(s: &Dict, k: &Value) {
    s.set(k.clone(), Value::None);
}

impl Interp {
    /// The set display `{items...}` in frame `f`.
    pub(crate) fn set_display(&self, f: &mut Frame, items: &[Expr]) -> Res<Value> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            let v = self.eval(f, i)?;
            check_hashable(&v).map_err(|m| self.err(i.span, m))?;
            out.push(v);
        }
        Ok(new(out, f.class()))
    }

    /// Calls method `name` of set `s` (`recv`) with `args`.
    pub(crate) fn set_method(
        &self,
        f: &Frame,
        s: &Arc<Dict>,
        name: &str,
        args: &[Value],
        span: Span,
    ) -> Res<Value> {
        let e = |m: String| self.err(span, m);
        let want = |lo: usize, hi: Option<usize>| match args.len() {
            n if n < lo || hi.is_some_and(|h| n > h) => {
                Err(e(crate::interp::builtins::arity_message(name, lo, hi, n)))
            }
            _ => Ok(()),
        };
        let one = || -> Res<Value> {
            want(1, Some(1))?;
            check_hashable(&args[0]).map_err(e)?;
            Ok(args[0].clone())
        };
        // The elements of every argument, in order (for the methods taking iterables).
        let others = || -> Res<Vec<Value>> {
            let mut out = Vec::new();
            for a in args {
                out.extend(elements_of(a).map_err(e)?);
            }
            Ok(out)
        };
        let class = f.class();
        Ok(match name {
            "add" => {
                add(s, &one()?);
                Value::None
            }
            "discard" => {
                drop(s.pop(&one()?));
                Value::None
            }
            "remove" => {
                let k = one()?;
                if s.pop(&k).is_none() {
                    return Err(e(format!("KeyError: {k:?}")));
                }
                Value::None
            }
            "pop" => {
                want(0, Some(0))?;
                let Some(k) = elements(s).into_iter().next() else {
                    return Err(e("KeyError: 'pop from an empty set'".into()));
                };
                drop(s.pop(&k));
                k
            }
            "clear" => {
                want(0, Some(0))?;
                s.clear();
                Value::None
            }
            "copy" => {
                want(0, Some(0))?;
                new(s.keys(), class)
            }
            "update" => {
                let items = others()?;
                self.at(span);
                items.iter().for_each(|k| add(s, k));
                Value::None
            }
            "union" | "intersection" | "difference" | "symmetric_difference" => {
                let op = match name {
                    "union" => BinOp::BitOr,
                    "intersection" => BinOp::BitAnd,
                    "difference" => BinOp::Sub,
                    _ => BinOp::BitXor,
                };
                let mut acc = s.keys();
                if args.is_empty() {
                    return Ok(new(acc, class));
                }
                for a in args {
                    let b = elements_of(a).map_err(e)?;
                    acc = combined(op, acc, &b).unwrap_or_default();
                }
                new(acc, class)
            }
            "issubset" | "issuperset" | "isdisjoint" => {
                want(1, Some(1))?;
                let (mine, theirs) = (s.keys(), elements_of(&args[0]).map_err(e)?);
                Value::Bool(match name {
                    "issubset" => subset(&mine, &theirs),
                    "issuperset" => subset(&theirs, &mine),
                    _ => !mine.iter().any(|k| has(&theirs, k)),
                })
            }
            _ => return Err(e(format!("'set' object has no attribute '{name}'"))),
        })
    }
}
