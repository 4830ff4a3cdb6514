//! The `operator` module as a builtin object: `operator.add(a, b)` and its kin are the
//! language's operators as functions (what `functools.reduce`-style and TorchScript
//! code passes around).

use super::{Frame, Interp, Res};
use crate::ast::{BinOp, CmpOp, Span, UnaryOp};
use crate::builtins::Builtin;
use crate::value::Value;

/// The functions of `operator`, by index in `Builtin::Operator`.
pub(crate) const FUNCTIONS: [&str; 17] = [
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos", "not_", "truth", "eq",
    "ne", "lt", "le", "gt", "ge",
];

/// `operator.name`, if it is one of [`FUNCTIONS`].
pub(crate) fn attribute(name: &str) -> Option<Value> {
    let i = FUNCTIONS.iter().position(|f| *f == name)?;
    Some(Value::Builtin(Builtin::Operator(u8::try_from(i).ok()?)))
}

impl Interp {
    /// Calls `operator.FUNCTIONS[i]`.
    pub(crate) fn operator(&self, f: &Frame, i: u8, args: &[Value], span: Span) -> Res<Value> {
        let name = FUNCTIONS.get(usize::from(i)).copied().unwrap_or("?");
        let unary = (7..=10).contains(&i);
        let want = if unary { 1 } else { 2 };
        if args.len() != want {
            let s = if want == 1 { "" } else { "s" };
            let n = args.len();
            return Err(self.err(
                span,
                format!("{name}() takes exactly {want} argument{s} ({n} given)"),
            ));
        }
        let e = |m: String| self.err(span, m);
        let bin = |op| crate::ops::binary(op, &args[0], &args[1], f.class()).map_err(e);
        let cmp = |op| self.compare(op, &args[0], &args[1], span).map(Value::Bool);
        match i {
            0 => bin(BinOp::Add),
            1 => bin(BinOp::Sub),
            2 => bin(BinOp::Mul),
            3 => bin(BinOp::Div),
            4 => bin(BinOp::FloorDiv),
            5 => bin(BinOp::Mod),
            6 => bin(BinOp::Pow),
            7 => crate::ops::unary(UnaryOp::Neg, &args[0]).map_err(e),
            8 => crate::ops::unary(UnaryOp::Pos, &args[0]).map_err(e),
            9 => Ok(Value::Bool(!args[0].truthy())),
            10 => Ok(Value::Bool(args[0].truthy())),
            11 => cmp(CmpOp::Eq),
            12 => cmp(CmpOp::Ne),
            13 => cmp(CmpOp::Lt),
            14 => cmp(CmpOp::Le),
            15 => cmp(CmpOp::Gt),
            _ => cmp(CmpOp::Ge),
        }
    }
}
