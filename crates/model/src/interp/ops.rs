//! Arithmetic and unary operators of the model language, with Python's semantics where
//! they differ from Rust's (floor division and modulo round toward negative infinity,
//! `/` is true division, `**` with a negative exponent gives a float). Integers are 64-bit:
//! overflow is an error rather than a big integer.

use crate::ast::{BinOp, UnaryOp};
use crate::value::{List, Value};
use forkwait::sync::StateClass;
use std::sync::Arc;

/// The longest string or sequence an operator may build.
const MAX_LEN: usize = 10_000_000;

fn overflow() -> String {
    "integer overflow (model integers are 64-bit)".to_string()
}

fn unsupported(op: BinOp, a: &Value, b: &Value) -> String {
    format!(
        "unsupported operand type(s) for {}: '{}' and '{}'",
        op.symbol(),
        a.type_name(),
        b.type_name()
    )
}

/// `a op b`. New lists are created with purity class `class`.
pub(crate) fn binary(op: BinOp, a: &Value, b: &Value, class: StateClass) -> Result<Value, String> {
    if let (Value::Bool(x), Value::Bool(y), BinOp::BitOr | BinOp::BitAnd | BinOp::BitXor) =
        (a, b, op)
    {
        return Ok(Value::Bool(match op {
            BinOp::BitOr => x | y,
            BinOp::BitAnd => x & y,
            _ => x ^ y,
        }));
    }
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        return int_op(op, x, y);
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return float_op(op, x, y).ok_or_else(|| unsupported(op, a, b))?;
    }
    let repeat = |n: i64, len: usize| -> Result<usize, String> {
        let n = usize::try_from(n.max(0)).unwrap_or(0);
        match n.checked_mul(len) {
            Some(t) if t <= MAX_LEN => Ok(n),
            _ => Err("the result would be too long".into()),
        }
    };
    match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => {
            if x.len() + y.len() > MAX_LEN {
                return Err("the result would be too long".into());
            }
            Ok(Value::Str(Arc::from(format!("{x}{y}"))))
        }
        (BinOp::Mul, Value::Str(s), n) | (BinOp::Mul, n, Value::Str(s)) if n.as_int().is_some() => {
            let k = repeat(n.as_int().unwrap_or(0), s.len())?;
            Ok(Value::Str(Arc::from(s.repeat(k))))
        }
        (BinOp::Add, Value::List(x), Value::List(y)) => {
            let mut items = x.items();
            items.extend(y.items());
            Ok(Value::List(List::new(items, class)))
        }
        (BinOp::Mul, Value::List(l), n) | (BinOp::Mul, n, Value::List(l))
            if n.as_int().is_some() =>
        {
            let items = l.items();
            let k = repeat(n.as_int().unwrap_or(0), items.len())?;
            let mut out = Vec::with_capacity(items.len() * k);
            for _ in 0..k {
                out.extend(items.iter().cloned());
            }
            Ok(Value::List(List::new(out, class)))
        }
        (BinOp::Add, Value::Tuple(x), Value::Tuple(y)) => {
            Ok(Value::tuple(x.iter().chain(y.iter()).cloned().collect()))
        }
        (BinOp::Mul, Value::Tuple(t), n) | (BinOp::Mul, n, Value::Tuple(t))
            if n.as_int().is_some() =>
        {
            let k = repeat(n.as_int().unwrap_or(0), t.len())?;
            let mut out = Vec::with_capacity(t.len() * k);
            for _ in 0..k {
                out.extend(t.iter().cloned());
            }
            Ok(Value::tuple(out))
        }
        (BinOp::Mod, Value::Str(_), _) => Err("string formatting with `%` is not supported".into()),
        (op, Value::Set(x), Value::Set(y)) => {
            crate::interp::sets::combine(op, x, y, class).ok_or_else(|| unsupported(op, a, b))
        }
        _ => Err(unsupported(op, a, b)),
    }
}

fn int_op(op: BinOp, x: i64, y: i64) -> Result<Value, String> {
    let r = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div => {
            if y == 0 {
                return Err("division by zero".into());
            }
            return Ok(Value::Float(x as f64 / y as f64));
        }
        BinOp::FloorDiv | BinOp::Mod => {
            if y == 0 {
                return Err("integer division or modulo by zero".into());
            }
            let (q, r) = (x.checked_div(y).ok_or_else(overflow)?, x % y);
            let adjust = r != 0 && ((r < 0) != (y < 0));
            if op == BinOp::FloorDiv {
                Some(if adjust { q - 1 } else { q })
            } else {
                Some(if adjust { r + y } else { r })
            }
        }
        BinOp::Pow => {
            if y < 0 {
                return Ok(Value::Float((x as f64).powf(y as f64)));
            }
            u32::try_from(y).ok().and_then(|e| x.checked_pow(e))
        }
        BinOp::BitOr => Some(x | y),
        BinOp::BitAnd => Some(x & y),
        BinOp::BitXor => Some(x ^ y),
    };
    r.map(Value::Int).ok_or_else(overflow)
}

/// `x op y` on floats; `None` for the bitwise operators, which floats lack.
fn float_op(op: BinOp, x: f64, y: f64) -> Option<Result<Value, String>> {
    let zero = || Some(Err("float division by zero".to_string()));
    Some(Ok(Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div if y == 0.0 => return zero(),
        BinOp::Div => x / y,
        BinOp::FloorDiv if y == 0.0 => return zero(),
        BinOp::FloorDiv => (x / y).floor(),
        BinOp::Mod if y == 0.0 => return Some(Err("float modulo by zero".into())),
        BinOp::Mod => {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        }
        BinOp::Pow => x.powf(y),
        BinOp::BitOr | BinOp::BitAnd | BinOp::BitXor => return None,
    })))
}

/// `op v`.
pub(crate) fn unary(op: UnaryOp, v: &Value) -> Result<Value, String> {
    match (op, v) {
        (UnaryOp::Not, v) => Ok(Value::Bool(!v.truthy())),
        (UnaryOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
        (UnaryOp::Pos, Value::Float(f)) => Ok(Value::Float(*f)),
        (UnaryOp::Neg, v) if v.as_int().is_some() => v
            .as_int()
            .and_then(i64::checked_neg)
            .map(Value::Int)
            .ok_or_else(overflow),
        (UnaryOp::Pos, v) if v.as_int().is_some() => Ok(Value::Int(v.as_int().unwrap_or(0))),
        (op, v) => Err(format!(
            "bad operand type for unary {}: '{}'",
            if op == UnaryOp::Neg { "-" } else { "+" },
            v.type_name()
        )),
    }
}
