//! `sorted`, `min` and `max` with `key=`: the key function is a model function, called
//! once per item (in order, from the calling task) before comparing. Part of the
//! interpreter (see `interp/mod.rs`).

use super::{Frame, Interp, Res};
use crate::ast::Span;
use crate::builtins::Builtin;
use crate::interp::items::iterate;
use crate::value::{List, Value};
use std::cmp::Ordering;

impl Interp {
    /// `b(args, key=key, ...)` for `b` one of `sorted`, `min`, `max` (`key=None` is no key).
    pub(crate) fn keyed(
        &self,
        f: &Frame,
        b: Builtin,
        args: Vec<Value>,
        key: &Value,
        kwargs: &[(&str, Value)],
        span: Span,
    ) -> Res<Value> {
        let e = |m: String| self.err(span, m);
        let items: Vec<Value> = match (b, &args[..]) {
            (Builtin::Sorted, [seq]) | (Builtin::Min | Builtin::Max, [seq]) => {
                iterate(seq).map_err(e)?.collect()
            }
            (Builtin::Min | Builtin::Max, _) => args,
            _ => return Err(e(format!("{}() takes no keyword argument 'key'", b.name()))),
        };
        let mut keyed = Vec::with_capacity(items.len());
        for x in items {
            let k = match key {
                Value::None => x.clone(),
                _ => self.call(f, key, vec![x.clone()], Vec::new(), span)?,
            };
            keyed.push((k, x));
        }
        let mut error = None;
        let mut cmp = |a: &Value, b: &Value| {
            a.py_cmp(b).unwrap_or_else(|m| {
                error.get_or_insert(m);
                Ordering::Equal
            })
        };
        let reverse = kwargs.iter().any(|(k, v)| *k == "reverse" && v.truthy());
        let out = match b {
            Builtin::Sorted => {
                // Stable both ways, as Python's `reverse=True` is.
                keyed.sort_by(|(a, _), (b, _)| match reverse {
                    true => cmp(b, a),
                    false => cmp(a, b),
                });
                let items = keyed.into_iter().map(|(_, x)| x).collect();
                Value::List(List::new(items, f.class()))
            }
            _ => {
                let want = if b == Builtin::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let mut best: Option<(Value, Value)> = None;
                for (k, x) in keyed {
                    best = match best {
                        Some((bk, bx)) if cmp(&k, &bk) != want => Some((bk, bx)),
                        _ => Some((k, x)),
                    };
                }
                match best {
                    Some((_, x)) => x,
                    None => return Err(e(format!("{}() arg is an empty sequence", b.name()))),
                }
            }
        };
        match error {
            Some(m) => Err(e(m)),
            None => Ok(out),
        }
    }
}
