//! Tensor methods on numbers: models replace tensors by ints (see `interp/torch.rs`), and
//! code kept as its author wrote it still calls tensor methods on them (`x.t()`,
//! `x.neg()`, `y.requires_grad`). The ones whose int meaning is plain are given it:
//!
//! | method | on a number `x` |
//! |---|---|
//! | `t()`, `clone()`, `detach()`, `contiguous()`, `item()`, `sum()`, `squeeze()`, `cpu()` | `x` |
//! | `neg()`, `abs()`, `relu()` | `-x`, `abs(x)`, `max(x, 0)` |
//! | `float()`, `int()` | `x` as a float, as an int |
//! | `add(y)`, `sub(y)`, `mul(y)` | `x + y`, `x - y`, `x * y` |
//!
//! and the attribute `requires_grad` reads the running task's grad mode: an int stands for
//! a tensor computed from inputs that require grad, so it requires grad exactly when grad
//! mode is on, as `(x * 2).requires_grad` does in PyTorch for such an `x`. Any other
//! attribute of a number stays an error that says tensors are ints in models.

use crate::ast::{BinOp, Span, UnaryOp};
use crate::interp::ops;
use crate::interp::{Frame, Interp, Res};
use crate::value::Value;

/// The tensor methods a number has (see the module docs).
const METHODS: &[&str] = &[
    "t",
    "clone",
    "detach",
    "contiguous",
    "item",
    "sum",
    "squeeze",
    "cpu",
    "neg",
    "abs",
    "relu",
    "float",
    "int",
    "add",
    "sub",
    "mul",
];

/// The tensor method `attr` of a number, if it has one.
pub(crate) fn method(obj: &Value, attr: &str) -> Option<&'static str> {
    match obj {
        Value::Int(_) | Value::Float(_) => METHODS.iter().find(|m| **m == attr).copied(),
        _ => None,
    }
}

impl Interp {
    /// `x.requires_grad` of a number `x`: the grad mode of the task running `f`.
    pub(crate) fn number_attribute(&self, f: &Frame, obj: &Value, attr: &str) -> Option<Value> {
        match (obj, attr) {
            (Value::Int(_) | Value::Float(_), "requires_grad") => {
                Some(Value::Bool(self.grad_enabled(f)))
            }
            _ => None,
        }
    }
}

/// Calls tensor method `name` (one of [`method`]'s) of the number `x`.
pub(crate) fn call(it: &Interp, x: &Value, name: &str, args: &[Value], span: Span) -> Res<Value> {
    let want = |n: usize| -> Res<()> {
        match args.len() == n {
            true => Ok(()),
            false => Err(it.err(
                span,
                format!("{name}() takes {n} argument(s) ({} given)", args.len()),
            )),
        }
    };
    let r = match name {
        "add" | "sub" | "mul" => {
            want(1)?;
            let op = match name {
                "add" => BinOp::Add,
                "sub" => BinOp::Sub,
                _ => BinOp::Mul,
            };
            ops::binary(op, x, &args[0], forkwait::sync::StateClass::Input)
        }
        _ => {
            // `sum()` and `squeeze()` take an optional dimension, meaningless on an int.
            let most = usize::from(matches!(name, "sum" | "squeeze"));
            if args.len() > most {
                return Err(it.err(
                    span,
                    format!("{name}() takes no arguments on a model's int"),
                ));
            }
            match name {
                "neg" => ops::unary(UnaryOp::Neg, x),
                "abs" => Ok(match x {
                    Value::Float(v) => Value::Float(v.abs()),
                    Value::Int(v) => Value::Int(v.wrapping_abs()),
                    _ => x.clone(),
                }),
                "relu" => Ok(match x {
                    Value::Float(v) => Value::Float(v.max(0.0)),
                    Value::Int(v) => Value::Int((*v).max(0)),
                    _ => x.clone(),
                }),
                "float" => Ok(match x {
                    Value::Int(v) => Value::Float(*v as f64),
                    _ => x.clone(),
                }),
                "int" => Ok(match x {
                    Value::Float(v) => Value::Int(v.trunc() as i64),
                    _ => x.clone(),
                }),
                _ => Ok(x.clone()),
            }
        }
    };
    r.map_err(|m| it.err(span, m))
}
