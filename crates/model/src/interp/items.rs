//! Iteration over model values: the items of an iterable ([`iterate`]: what `for`,
//! comprehensions, unpacking and the builtins that take an iterable walk) and membership
//! (`item in container`, [`contains`]).

use crate::value::{Value, range_len};

/// The items of an iterable value.
pub(crate) enum Items {
    Vec(std::vec::IntoIter<Value>),
    Range(i64, i64, i64),
}

impl Iterator for Items {
    type Item = Value;
    fn next(&mut self) -> Option<Value> {
        match self {
            Items::Vec(it) => it.next(),
            Items::Range(cur, stop, step) => {
                if range_len(*cur, *stop, *step) == 0 {
                    return None;
                }
                let v = *cur;
                *cur = cur.saturating_add(*step);
                if *cur == v {
                    *stop = v; // saturated: end
                }
                Some(Value::Int(v))
            }
        }
    }
}

/// Iterates a value: a list is read once (a snapshot of its items), a dict gives its keys.
pub(crate) fn iterate(v: &Value) -> Result<Items, String> {
    Ok(Items::Vec(match v {
        Value::List(l) => l.items().into_iter(),
        Value::Tuple(t) => t.iter().cloned().collect::<Vec<_>>().into_iter(),
        Value::Str(s) => s
            .chars()
            .map(|c| Value::str(&c.to_string()))
            .collect::<Vec<_>>()
            .into_iter(),
        Value::Dict(d) => d.keys().into_iter(),
        Value::Set(s) => crate::interp::sets::elements(s).into_iter(),
        Value::Range(a, b, s) => return Ok(Items::Range(*a, *b, *s)),
        other => return Err(format!("'{}' object is not iterable", other.type_name())),
    }))
}

/// `item in container`.
pub(crate) fn contains(container: &Value, item: &Value) -> Result<bool, String> {
    match container {
        Value::Str(s) => match item {
            Value::Str(sub) => Ok(s.contains(&**sub)),
            other => Err(format!(
                "'in <string>' requires string as left operand, not {}",
                other.type_name()
            )),
        },
        Value::Dict(d) | Value::Set(d) => {
            if !item.hashable() {
                return Err(format!("unhashable type: '{}'", item.type_name()));
            }
            Ok(d.contains(item))
        }
        Value::Range(a, b, s) => Ok(item.as_int().is_some_and(|i| {
            let n = range_len(*a, *b, *s);
            let off = i128::from(i) - i128::from(*a);
            off % i128::from(*s) == 0 && (0..i128::from(n)).contains(&(off / i128::from(*s)))
        })),
        other => {
            for x in iterate(other)
                .map_err(|_| format!("argument of type '{}' is not iterable", other.type_name()))?
            {
                if x.py_eq(item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}
