//! Attributes and items: instance attributes (instrumented cells), indexing and slicing
//! of lists, tuples, strings and ranges, dict lookups. Part of the interpreter (see
//! `interp/mod.rs`); list items and dict entries are their own locations (see `value.rs`).

use crate::ast::{Expr, ExprKind, Span};
use crate::interp::methods;
use crate::interp::{Frame, Interp, Res};
use crate::value::{List, Value, range_len};
use forkwait::sync::Shared;
use std::sync::Arc;

impl Interp {
    pub(crate) fn getattr(&self, obj: &Value, attr: &str, span: Span) -> Res<Value> {
        if let Value::Instance(inst) = obj {
            if let Some(cell) = inst.attr(attr) {
                return Ok(cell.read());
            }
            let methods = self
                .code
                .class(inst.class)
                .map_or(&[][..], |c| &c.methods[..]);
            if let Some(i) = methods.iter().position(|m| m.name == attr) {
                return Ok(Value::Method(inst.clone(), i));
            }
            if let Some(v) = self.module_attr(inst, attr, span)? {
                return Ok(v);
            }
        } else if let Value::Builtin(b @ crate::builtins::Builtin::Torch(_)) = obj {
            if let Some(r) = crate::interp::torch::getattr(*b, attr) {
                return r.map_err(|m| self.err(span, m));
            }
        } else if let (Value::Exception(e), "args") = (obj, attr) {
            let args = match e.message.is_empty() {
                true => Vec::new(),
                false => vec![Value::Str(e.message.clone())],
            };
            return Ok(Value::tuple(args));
        } else if let Value::Builtin(crate::builtins::Builtin::OperatorModule) = obj {
            if let Some(f) = crate::interp::operator::attribute(attr) {
                return Ok(f);
            }
        } else if let Some(m) = methods::method(obj, attr) {
            return Ok(Value::BuiltinMethod(Arc::new(obj.clone()), m));
        }
        let t = obj.type_name();
        let hint = match obj {
            // `x.t()`, `x.requires_grad`, ...: a tensor method on a model's int.
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                " (tensors are ints in models: only the tensor methods with a plain int meaning exist (`t`, `neg`, `clone`, `item`, `requires_grad`, ...; see the language docs); use the torch functions, e.g. `torch.neg(x)`, or plain operators)"
            }
            _ => "",
        };
        Err(self.err(
            span,
            format!("'{t}' object has no attribute '{attr}'{hint}"),
        ))
    }

    pub(crate) fn setattr(&self, obj: &Value, attr: &str, v: Value, span: Span) -> Res<()> {
        let Value::Instance(inst) = obj else {
            let t = obj.type_name();
            return Err(self.err(
                span,
                format!("cannot set attribute '{attr}' of a '{t}' object"),
            ));
        };
        if let Some(cell) = inst.attr(attr) {
            cell.write(v);
            return Ok(());
        }
        // A new attribute changes the instance's shape (a module-attribute write).
        inst.shape.write(());
        let mut attrs = inst.attrs.lock().unwrap_or_else(|e| e.into_inner());
        match attrs.iter().find(|(n, _)| &**n == attr) {
            Some((_, cell)) => {
                let cell = cell.clone();
                drop(attrs);
                cell.write(v);
            }
            None => attrs.push((Arc::from(attr), Arc::new(Shared::attribute(v)))),
        }
        Ok(())
    }

    fn index(&self, i: &Value, len: usize, what: &str, span: Span) -> Res<usize> {
        let Some(i) = i.as_int() else {
            let t = i.type_name();
            return Err(self.err(span, format!("{what} indices must be integers, not '{t}'")));
        };
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        let j = if i < 0 { i + len } else { i };
        if j < 0 || j >= len {
            return Err(self.err(span, format!("{what} index out of range")));
        }
        Ok(j as usize)
    }

    fn slice(&self, f: &mut Frame, e: &Expr, len: usize) -> Res<Vec<usize>> {
        let ExprKind::Slice { lower, upper, step } = &e.kind else {
            return Ok(Vec::new());
        };
        let mut bound = |x: &Option<Box<Expr>>| -> Res<Option<i64>> {
            match x {
                None => Ok(None),
                Some(x) => match self.eval(f, x)? {
                    Value::None => Ok(None),
                    v => v
                        .as_int()
                        .map(Some)
                        .ok_or_else(|| self.err(x.span, "slice indices must be integers or None")),
                },
            }
        };
        let (lo, hi, st) = (bound(lower)?, bound(upper)?, bound(step)?);
        let st = st.unwrap_or(1);
        if st == 0 {
            return Err(self.err(e.span, "slice step cannot be zero"));
        }
        let n = i64::try_from(len).unwrap_or(i64::MAX);
        let clamp = |x: i64, lo: i64, hi: i64| x.max(lo).min(hi);
        let fix = |x: i64| if x < 0 { x + n } else { x };
        let out = if st > 0 {
            let a = lo.map_or(0, |x| clamp(fix(x), 0, n));
            let b = hi.map_or(n, |x| clamp(fix(x), 0, n));
            (0..range_len(a, b, st))
                .map(|k| (a + k * st) as usize)
                .collect()
        } else {
            let a = lo.map_or(n - 1, |x| clamp(fix(x), -1, n - 1));
            let b = hi.map_or(-1, |x| clamp(fix(x), -1, n - 1));
            (0..range_len(a, b, st))
                .map(|k| (a + k * st) as usize)
                .collect()
        };
        Ok(out)
    }

    pub(crate) fn subscript(&self, f: &mut Frame, obj: &Value, index: &Expr) -> Res<Value> {
        if let Some(t) = crate::interp::torch::subscript_type(obj) {
            return Ok(t); // `List[int]`: the type (annotations are checked statically)
        }
        if matches!(index.kind, ExprKind::Slice { .. }) {
            let class = f.class();
            return match obj {
                Value::List(l) => {
                    let items = l.items();
                    let idx = self.slice(f, index, items.len())?;
                    let out = idx.into_iter().map(|i| items[i].clone()).collect();
                    Ok(Value::List(List::new(out, class)))
                }
                Value::Tuple(t) => {
                    let idx = self.slice(f, index, t.len())?;
                    Ok(Value::tuple(
                        idx.into_iter().map(|i| t[i].clone()).collect(),
                    ))
                }
                Value::Str(s) => {
                    let chars: Vec<char> = s.chars().collect();
                    let idx = self.slice(f, index, chars.len())?;
                    let out: String = idx.into_iter().map(|i| chars[i]).collect();
                    Ok(Value::str(&out))
                }
                other => Err(self.err(
                    index.span,
                    format!("'{}' object cannot be sliced", other.type_name()),
                )),
            };
        }
        let key = self.eval(f, index)?;
        self.getitem(obj, &key, index.span)
    }

    pub(crate) fn getitem(&self, obj: &Value, key: &Value, span: Span) -> Res<Value> {
        match obj {
            Value::List(l) => {
                let Some(i) = key.as_int() else {
                    let t = key.type_name();
                    return Err(self.err(span, format!("list indices must be integers, not '{t}'")));
                };
                l.get(i)
                    .ok_or_else(|| self.err(span, "list index out of range"))
            }
            Value::Tuple(t) => {
                let i = self.index(key, t.len(), "tuple", span)?;
                Ok(t[i].clone())
            }
            Value::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                let i = self.index(key, chars.len(), "string", span)?;
                Ok(Value::str(&chars[i].to_string()))
            }
            Value::Range(a, b, st) => {
                let i = self.index(key, range_len(*a, *b, *st) as usize, "range", span)?;
                Ok(Value::Int(a + st * i as i64))
            }
            Value::Dict(d) => {
                if !key.hashable() {
                    let t = key.type_name();
                    return Err(self.err(span, format!("unhashable type: '{t}'")));
                }
                d.get(key)
                    .ok_or_else(|| self.err(span, format!("KeyError: {key:?}")))
            }
            other => Err(self.err(
                span,
                format!("'{}' object is not subscriptable", other.type_name()),
            )),
        }
    }

    pub(crate) fn setitem(&self, obj: &Value, key: Value, v: Value, span: Span) -> Res<()> {
        match obj {
            Value::List(l) => {
                let i = key.as_int().ok_or_else(|| {
                    let t = key.type_name();
                    self.err(span, format!("list indices must be integers, not '{t}'"))
                })?;
                l.set(i, v)
                    .map_err(|_| self.err(span, "list assignment index out of range"))
            }
            Value::Dict(d) => {
                if !key.hashable() {
                    let t = key.type_name();
                    return Err(self.err(span, format!("unhashable type: '{t}'")));
                }
                d.set(key, v);
                Ok(())
            }
            other => Err(self.err(
                span,
                format!(
                    "'{}' object does not support item assignment",
                    other.type_name()
                ),
            )),
        }
    }
}
