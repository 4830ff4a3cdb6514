//! The methods of the builtin types (lists, dicts, strings, futures): which exist, and
//! calling them (see `builtins.rs` for how they access a container's locations).

use crate::ast::Span;
use crate::interp::builtins::{arity_message, iterate};
use crate::interp::{Frame, Interp, Res};
use crate::value::{List, Value};

const LIST_METHODS: &[&str] = &[
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop",
];
const DICT_METHODS: &[&str] = &["get", "items", "keys", "pop", "values"];
/// `fut.wait()`, as `torch.jit.Future.wait()` (the same as `wait(fut)`).
const FUTURE_METHODS: &[&str] = &["wait", "done"];
const STR_METHODS: &[&str] = &[
    "endswith",
    "join",
    "lower",
    "split",
    "startswith",
    "strip",
    "upper",
];

/// The method `attr` of a builtin-typed `obj`, if it has one.
pub(crate) fn method(obj: &Value, attr: &str) -> Option<&'static str> {
    let table = match obj {
        Value::List(_) => LIST_METHODS,
        Value::Dict(_) => DICT_METHODS,
        Value::Str(_) => STR_METHODS,
        Value::Future(_) => FUTURE_METHODS,
        _ => return None,
    };
    table.iter().find(|m| **m == attr).copied()
}

/// Calls method `name` of the builtin-typed `recv`.
pub(crate) fn call_method(
    it: &Interp,
    f: &Frame,
    recv: &Value,
    name: &str,
    args: Vec<Value>,
    kwargs: Vec<(&str, Value)>,
    span: Span,
) -> Res<Value> {
    let e = |m: String| it.err(span, m);
    if let Some((k, _)) = kwargs.first() {
        return Err(e(format!(
            "{name}() takes no keyword arguments (got '{k}')"
        )));
    }
    let n = args.len();
    let want = |lo: usize, hi: usize| -> Res<()> {
        if n < lo || n > hi {
            return Err(e(arity_message(name, lo, Some(hi), n)));
        }
        Ok(())
    };
    let class = f.class();
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::None);
    it.at(span);
    match recv {
        Value::List(l) => match name {
            "append" => {
                want(1, 1)?;
                let x = arg(0);
                l.push(x);
                Ok(Value::None)
            }
            "extend" => {
                want(1, 1)?;
                let items: Vec<Value> = iterate(&arg(0)).map_err(e)?.collect();
                it.at(span);
                l.extend(items);
                Ok(Value::None)
            }
            "insert" => {
                want(2, 2)?;
                let i = arg(0)
                    .as_int()
                    .ok_or_else(|| e("insert() index must be an integer".into()))?;
                let x = arg(1);
                l.insert(i, x);
                Ok(Value::None)
            }
            "pop" => {
                want(0, 1)?;
                let i = match args.first() {
                    None => -1,
                    Some(x) => x
                        .as_int()
                        .ok_or_else(|| e("pop() index must be an integer".into()))?,
                };
                l.pop(i).map_err(|m| e(m.into()))
            }
            "clear" => {
                want(0, 0)?;
                l.clear();
                Ok(Value::None)
            }
            "copy" => {
                want(0, 0)?;
                Ok(Value::List(List::new(l.items(), class)))
            }
            "index" | "count" => {
                want(1, 1)?;
                let x = arg(0);
                let items = l.items();
                let mut hits = Vec::new();
                for (i, y) in items.iter().enumerate() {
                    if y.py_eq(&x).map_err(e)? {
                        hits.push(i);
                    }
                }
                if name == "count" {
                    return Ok(Value::Int(hits.len() as i64));
                }
                match hits.first() {
                    Some(i) => Ok(Value::Int(*i as i64)),
                    None => Err(e(format!("{x:?} is not in list"))),
                }
            }
            _ => Err(e(format!("'list' object has no attribute '{name}'"))),
        },
        Value::Dict(d) => {
            let key = arg(0);
            if n > 0 && !key.hashable() {
                return Err(e(format!("unhashable type: '{}'", key.type_name())));
            }
            match name {
                "get" => {
                    want(1, 2)?;
                    Ok(d.get(&key).unwrap_or_else(|| arg(1)))
                }
                "pop" => {
                    want(1, 2)?;
                    let r = d.pop(&key);
                    match (r, n) {
                        (Some(v), _) => Ok(v),
                        (None, 2) => Ok(arg(1)),
                        (None, _) => Err(e(format!("KeyError: {key:?}"))),
                    }
                }
                "keys" | "values" | "items" => {
                    want(0, 0)?;
                    let out = match name {
                        "keys" => d.keys(),
                        "values" => d.entries().into_iter().map(|(_, v)| v).collect(),
                        _ => (d.entries().into_iter())
                            .map(|(k, v)| Value::tuple(vec![k, v]))
                            .collect(),
                    };
                    Ok(Value::List(List::new(out, class)))
                }
                _ => Err(e(format!("'dict' object has no attribute '{name}'"))),
            }
        }
        Value::Str(s) => {
            let text = |v: &Value| match v {
                Value::Str(x) => Ok(x.clone()),
                o => Err(e(format!("expected a string, got '{}'", o.type_name()))),
            };
            match name {
                "upper" => want(0, 0).map(|()| Value::str(&s.to_uppercase())),
                "lower" => want(0, 0).map(|()| Value::str(&s.to_lowercase())),
                "strip" => want(0, 0).map(|()| Value::str(s.trim())),
                "startswith" => want(1, 1)
                    .and_then(|()| text(&arg(0)))
                    .map(|p| Value::Bool(s.starts_with(&*p))),
                "endswith" => want(1, 1)
                    .and_then(|()| text(&arg(0)))
                    .map(|p| Value::Bool(s.ends_with(&*p))),
                "split" => {
                    want(0, 1)?;
                    let parts: Vec<Value> = match args.first() {
                        None => s.split_whitespace().map(Value::str).collect(),
                        Some(sep) => {
                            let sep = text(sep)?;
                            if sep.is_empty() {
                                return Err(e("empty separator".into()));
                            }
                            s.split(&*sep).map(Value::str).collect()
                        }
                    };
                    Ok(Value::List(List::new(parts, class)))
                }
                "join" => {
                    want(1, 1)?;
                    let mut out = Vec::new();
                    for x in iterate(&arg(0)).map_err(e)? {
                        out.push(text(&x)?.to_string());
                    }
                    Ok(Value::str(&out.join(s)))
                }
                _ => Err(e(format!("'str' object has no attribute '{name}'"))),
            }
        }
        Value::Future(cell) => match name {
            "wait" => {
                want(0, 0)?;
                it.wait(recv, span)
            }
            "done" => {
                want(0, 0)?;
                Ok(Value::Bool(cell.fut.is_done()))
            }
            _ => Err(e(format!("'Future' object has no attribute '{name}'"))),
        },
        other => Err(e(format!(
            "'{}' object has no attribute '{name}'",
            other.type_name()
        ))),
    }
}
