//! The methods of the builtin types (lists, dicts, strings, futures): which exist, and
//! calling them (see `builtins.rs` for how they access a container's locations).

use crate::ast::Span;
use crate::interp::builtins::arity_message;
use crate::interp::items::iterate;
use crate::interp::{Frame, Interp, Res};
use crate::value::{Dict, List, Value};

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
        Value::Set(_) => crate::interp::sets::METHODS,
        Value::Str(_) => STR_METHODS,
        Value::Future(_) => FUTURE_METHODS,
        Value::Atomic(_) => crate::interp::atomic::METHODS,
        _ => return crate::interp::tensor::method(obj, attr),
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
    let c = Call {
        it,
        name,
        args,
        span,
        class: f.class(),
    };
    if let Some((k, _)) = kwargs.first() {
        return Err(c.err(format!("{name}() takes no keyword arguments (got '{k}')")));
    }
    it.at(span);
    match recv {
        Value::List(l) => c.list(l),
        Value::Dict(d) => c.dict(d),
        Value::Set(s) => it.set_method(f, s, name, &c.args, span),
        Value::Str(s) => c.str(s),
        Value::Atomic(a) => {
            let n = crate::interp::atomic::arity(name);
            c.want(n, n)?;
            let k = if n == 1 { c.int_arg(0, "argument")? } else { 0 };
            crate::interp::atomic::call(a, name, k).ok_or_else(|| c.no_attribute("AtomicInt"))
        }
        Value::Int(_) | Value::Float(_) if crate::interp::tensor::method(recv, name).is_some() => {
            crate::interp::tensor::call(it, recv, name, &c.args, span)
        }
        Value::Future(cell) => match name {
            "wait" => c.want(0, 0).and_then(|()| it.wait(recv, span)),
            "done" => c.want(0, 0).map(|()| Value::Bool(cell.fut.is_done())),
            _ => Err(c.no_attribute("Future")),
        },
        // `m.eval()`, `m.train()` and the library base's `__init__` (see `interp/torch.rs`).
        Value::Instance(_) => match name {
            "eval" | "train" => {
                let on = name == "train" && c.args.first().is_none_or(Value::truthy);
                it.setattr(recv, "training", Value::Bool(on), span)?;
                Ok(recv.clone())
            }
            "__init__" => Ok(Value::None),
            _ => Err(c.no_attribute(&recv.type_name())),
        },
        other => Err(c.no_attribute(&other.type_name())),
    }
}

/// One method call: its name, arguments and where it is.
struct Call<'a> {
    it: &'a Interp,
    name: &'a str,
    args: Vec<Value>,
    span: Span,
    /// The purity class of containers the method makes.
    class: forkwait::sync::StateClass,
}

impl Call<'_> {
    fn err(&self, m: String) -> Box<crate::diag::Diagnostic> {
        self.it.err(self.span, m)
    }

    fn no_attribute(&self, ty: &str) -> Box<crate::diag::Diagnostic> {
        self.err(format!("'{ty}' object has no attribute '{}'", self.name))
    }

    /// Checks that the call has `lo..=hi` arguments.
    fn want(&self, lo: usize, hi: usize) -> Res<()> {
        let n = self.args.len();
        if n < lo || n > hi {
            return Err(self.err(arity_message(self.name, lo, Some(hi), n)));
        }
        Ok(())
    }

    /// Argument `i` (`None` if absent).
    fn arg(&self, i: usize) -> Value {
        self.args.get(i).cloned().unwrap_or(Value::None)
    }

    fn int_arg(&self, i: usize, what: &str) -> Res<i64> {
        self.arg(i)
            .as_int()
            .ok_or_else(|| self.err(format!("{}() {what} must be an integer", self.name)))
    }

    fn list(&self, l: &List) -> Res<Value> {
        let e = |m: String| self.err(m);
        match self.name {
            "append" => {
                self.want(1, 1)?;
                l.push(self.arg(0));
                Ok(Value::None)
            }
            "extend" => {
                self.want(1, 1)?;
                let items: Vec<Value> = iterate(&self.arg(0)).map_err(e)?.collect();
                self.it.at(self.span);
                l.extend(items);
                Ok(Value::None)
            }
            "insert" => {
                self.want(2, 2)?;
                let i = self.int_arg(0, "index")?;
                l.insert(i, self.arg(1));
                Ok(Value::None)
            }
            "pop" => {
                self.want(0, 1)?;
                let i = if self.args.is_empty() {
                    -1
                } else {
                    self.int_arg(0, "index")?
                };
                l.pop(i).map_err(|m| e(m.into()))
            }
            "clear" => {
                self.want(0, 0)?;
                l.clear();
                Ok(Value::None)
            }
            "copy" => {
                self.want(0, 0)?;
                Ok(Value::List(List::new(l.items(), self.class)))
            }
            "index" | "count" => {
                self.want(1, 1)?;
                let x = self.arg(0);
                let mut hits = Vec::new();
                for (i, y) in l.items().iter().enumerate() {
                    if y.py_eq(&x).map_err(e)? {
                        hits.push(i);
                    }
                }
                if self.name == "count" {
                    return Ok(Value::Int(hits.len() as i64));
                }
                match hits.first() {
                    Some(i) => Ok(Value::Int(*i as i64)),
                    None => Err(e(format!("{x:?} is not in list"))),
                }
            }
            _ => Err(self.no_attribute("list")),
        }
    }

    fn dict(&self, d: &Dict) -> Res<Value> {
        let n = self.args.len();
        let key = self.arg(0);
        if n > 0 && !key.hashable() {
            return Err(self.err(format!("unhashable type: '{}'", key.type_name())));
        }
        match self.name {
            "get" => {
                self.want(1, 2)?;
                Ok(d.get(&key).unwrap_or_else(|| self.arg(1)))
            }
            "pop" => {
                self.want(1, 2)?;
                match (d.pop(&key), n) {
                    (Some(v), _) => Ok(v),
                    (None, 2) => Ok(self.arg(1)),
                    (None, _) => Err(self.err(format!("KeyError: {key:?}"))),
                }
            }
            "keys" | "values" | "items" => {
                self.want(0, 0)?;
                let out = match self.name {
                    "keys" => d.keys(),
                    "values" => d.entries().into_iter().map(|(_, v)| v).collect(),
                    _ => (d.entries().into_iter())
                        .map(|(k, v)| Value::tuple(vec![k, v]))
                        .collect(),
                };
                Ok(Value::List(List::new(out, self.class)))
            }
            _ => Err(self.no_attribute("dict")),
        }
    }

    fn str(&self, s: &str) -> Res<Value> {
        let text = |v: &Value| match v {
            Value::Str(x) => Ok(x.clone()),
            o => Err(self.err(format!("expected a string, got '{}'", o.type_name()))),
        };
        match self.name {
            "upper" => self.want(0, 0).map(|()| Value::str(&s.to_uppercase())),
            "lower" => self.want(0, 0).map(|()| Value::str(&s.to_lowercase())),
            "strip" => self.want(0, 0).map(|()| Value::str(s.trim())),
            "startswith" => (self.want(1, 1))
                .and_then(|()| text(&self.arg(0)))
                .map(|p| Value::Bool(s.starts_with(&*p))),
            "endswith" => (self.want(1, 1))
                .and_then(|()| text(&self.arg(0)))
                .map(|p| Value::Bool(s.ends_with(&*p))),
            "split" => {
                self.want(0, 1)?;
                let parts: Vec<Value> = match self.args.first() {
                    None => s.split_whitespace().map(Value::str).collect(),
                    Some(sep) => {
                        let sep = text(sep)?;
                        if sep.is_empty() {
                            return Err(self.err("empty separator".into()));
                        }
                        s.split(&*sep).map(Value::str).collect()
                    }
                };
                Ok(Value::List(List::new(parts, self.class)))
            }
            "join" => {
                self.want(1, 1)?;
                let mut out = Vec::new();
                for x in iterate(&self.arg(0)).map_err(|m| self.err(m))? {
                    out.push(text(&x)?.to_string());
                }
                Ok(Value::str(&out.join(s)))
            }
            _ => Err(self.no_attribute("str")),
        }
    }
}
