//! The builtins that compute a value from their arguments alone (no task, no output):
//! sizes and numbers (`len`, `abs`, `sum`, `min`, `max`), sequences (`range`, `sorted`,
//! `enumerate`, `zip`, `any`, `all`) and conversions (`str`, `int`, `float`, `bool`,
//! `list`, `tuple`, `dict`, `set`). [`builtins::call`](super::builtins::call) checks their
//! arguments' number and keywords and hands them here.

use super::builtins::Builtin;
use super::items::iterate;
use crate::value::{Dict, List, Value, key_eq, range_len};
use forkwait::sync::StateClass;

/// The builtins that compute a value from their arguments alone (no task, no output).
pub(super) fn value_builtin(
    b: Builtin,
    args: Vec<Value>,
    kwargs: &[(&str, Value)],
    class: StateClass,
) -> Result<Value, String> {
    let first = args.first().cloned().unwrap_or(Value::None);
    match b {
        Builtin::Len => len(&first),
        Builtin::Range => range(&args),
        Builtin::Min => extreme(b.name(), args, std::cmp::Ordering::Less),
        Builtin::Max => extreme(b.name(), args, std::cmp::Ordering::Greater),
        Builtin::Abs => abs(&first),
        Builtin::Sum => {
            let mut acc = args.get(1).cloned().unwrap_or(Value::Int(0));
            for x in iterate(&first)? {
                acc = crate::ops::binary(crate::ast::BinOp::Add, &acc, &x, class)?;
            }
            Ok(acc)
        }
        Builtin::Sorted => {
            let mut items: Vec<Value> = iterate(&first)?.collect();
            sort_values(&mut items)?;
            if kwargs.iter().any(|(k, v)| *k == "reverse" && v.truthy()) {
                items.reverse();
            }
            Ok(Value::List(List::new(items, class)))
        }
        Builtin::Enumerate => {
            let start = match args.get(1) {
                Some(s) => s.as_int().ok_or("enumerate() start must be an integer")?,
                None => 0,
            };
            iterate(&first).map(|items| {
                let pairs = (start..)
                    .zip(items)
                    .map(|(i, x)| Value::tuple(vec![Value::Int(i), x]));
                Value::tuple(pairs.collect())
            })
        }
        Builtin::Zip => zip(&args),
        Builtin::FString => crate::interp::format::fstring(&args),
        Builtin::Any => Ok(Value::Bool(iterate(&first)?.any(|x| x.truthy()))),
        Builtin::All => Ok(Value::Bool(iterate(&first)?.all(|x| x.truthy()))),
        Builtin::Str => Ok(args
            .first()
            .map_or(Value::str(""), |v| Value::str(&v.to_str()))),
        Builtin::Int => args.first().map_or(Ok(Value::Int(0)), to_int),
        Builtin::Float => args.first().map_or(Ok(Value::Float(0.0)), to_float),
        Builtin::Bool => Ok(Value::Bool(args.first().is_some_and(Value::truthy))),
        Builtin::List => match args.first() {
            None => Ok(Value::List(List::new(Vec::new(), class))),
            Some(v) => iterate(v).map(|i| Value::List(List::new(i.collect(), class))),
        },
        Builtin::Tuple => match args.first() {
            None => Ok(Value::tuple(Vec::new())),
            Some(v) => iterate(v).map(|i| Value::tuple(i.collect())),
        },
        Builtin::Dict => dict_from(args.first(), class),
        Builtin::Set => crate::interp::sets::from(args.first(), class),
        other => Err(format!("{}() could not be called", other.name())),
    }
}

fn sort_values(items: &mut [Value]) -> Result<(), String> {
    let mut error = None;
    items.sort_by(|a, b| {
        a.py_cmp(b).unwrap_or_else(|e| {
            error.get_or_insert(e);
            std::cmp::Ordering::Equal
        })
    });
    error.map_or(Ok(()), Err)
}

fn extreme(name: &str, args: Vec<Value>, want: std::cmp::Ordering) -> Result<Value, String> {
    let items: Vec<Value> = if args.len() == 1 {
        iterate(&args[0])?.collect()
    } else {
        args
    };
    let mut best: Option<Value> = None;
    for x in items {
        best = Some(match best {
            Some(b) if x.py_cmp(&b)? != want => b,
            _ => x,
        });
    }
    best.ok_or_else(|| format!("{name}() arg is an empty sequence"))
}

fn to_int(v: &Value) -> Result<Value, String> {
    match v {
        Value::Float(f) if f.is_finite() && f.abs() < 9.2e18 => Ok(Value::Int(f.trunc() as i64)),
        Value::Float(_) => Err("cannot convert float infinity or nan to integer".into()),
        Value::Str(s) => s
            .trim()
            .replace('_', "")
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("invalid literal for int() with base 10: {v:?}")),
        v => v.as_int().map(Value::Int).ok_or_else(|| {
            format!(
                "int() argument must be a number or string, not '{}'",
                v.type_name()
            )
        }),
    }
}

fn to_float(v: &Value) -> Result<Value, String> {
    match v {
        Value::Str(s) => {
            let t = s.trim().to_ascii_lowercase();
            let f = match t.as_str() {
                "inf" | "+inf" | "infinity" => f64::INFINITY,
                "-inf" | "-infinity" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                _ => t
                    .parse::<f64>()
                    .map_err(|_| format!("could not convert string to float: {v:?}"))?,
            };
            Ok(Value::Float(f))
        }
        v => v.as_f64().map(Value::Float).ok_or_else(|| {
            format!(
                "float() argument must be a number or string, not '{}'",
                v.type_name()
            )
        }),
    }
}

fn len(v: &Value) -> Result<Value, String> {
    match v {
        Value::Str(s) => Ok(Value::Int(s.chars().count() as i64)),
        Value::List(l) => Ok(Value::Int(l.len() as i64)),
        Value::Dict(d) | Value::Set(d) => Ok(Value::Int(d.len() as i64)),
        Value::Tuple(t) => Ok(Value::Int(t.len() as i64)),
        Value::Range(a, b, s) => Ok(Value::Int(range_len(*a, *b, *s))),
        v => Err(format!("object of type '{}' has no len()", v.type_name())),
    }
}

fn range(args: &[Value]) -> Result<Value, String> {
    let mut n = Vec::new();
    for a in args {
        n.push(a.as_int().ok_or_else(|| {
            format!(
                "'{}' object cannot be interpreted as an integer",
                a.type_name()
            )
        })?);
    }
    match n[..] {
        [stop] => Ok(Value::Range(0, stop, 1)),
        [start, stop] => Ok(Value::Range(start, stop, 1)),
        [_, _, 0] => Err("range() arg 3 must not be zero".into()),
        [start, stop, step] => Ok(Value::Range(start, stop, step)),
        _ => Err("range() takes 1 to 3 arguments".into()),
    }
}

fn abs(v: &Value) -> Result<Value, String> {
    match v {
        Value::Float(x) => Ok(Value::Float(x.abs())),
        v => match v.as_int() {
            Some(i) => i
                .checked_abs()
                .map(Value::Int)
                .ok_or_else(|| "integer overflow (model integers are 64-bit)".into()),
            None => Err(format!("bad operand type for abs(): '{}'", v.type_name())),
        },
    }
}

fn zip(args: &[Value]) -> Result<Value, String> {
    let cols: Vec<Vec<Value>> = args
        .iter()
        .map(|a| iterate(a).map(Iterator::collect))
        .collect::<Result<_, _>>()?;
    let n = cols.iter().map(Vec::len).min().unwrap_or(0);
    let rows = (0..n).map(|i| Value::tuple(cols.iter().map(|c| c[i].clone()).collect()));
    Ok(Value::tuple(rows.collect()))
}

/// `dict()`, `dict(a_dict)` or `dict(pairs)`.
fn dict_from(arg: Option<&Value>, class: StateClass) -> Result<Value, String> {
    let mut out: Vec<(Value, Value)> = Vec::new();
    if let Some(Value::Dict(d)) = arg {
        out = d.entries();
    } else if let Some(v) = arg {
        for pair in iterate(v)? {
            let kv: Vec<Value> = iterate(&pair)?.collect();
            let [k, v] = <[Value; 2]>::try_from(kv)
                .map_err(|_| "dict() needs pairs of (key, value)".to_string())?;
            if !k.hashable() {
                return Err(format!("unhashable type: '{}'", k.type_name()));
            }
            match out.iter_mut().find(|(k2, _)| key_eq(k2, &k)) {
                Some((_, slot)) => *slot = v,
                None => out.push((k, v)),
            }
        }
    }
    Ok(Value::Dict(Dict::new(out, class)))
}
