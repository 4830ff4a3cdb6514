//! `isinstance`: a value's membership of a builtin type, an exception class (with its
//! bases) or a model class (which has none).

use crate::builtins::Builtin;
use crate::value::Value;

/// `isinstance(v, t)`: `t` a builtin type (`int`, `str`, `list`, ...), an exception class,
/// a model class, or a tuple of them. Model classes have no base classes.
pub(crate) fn isinstance(v: &Value, t: &Value) -> Result<bool, String> {
    use crate::interp::exceptions::is_subclass;
    Ok(match t {
        Value::Tuple(ts) => {
            for t in ts.iter() {
                if isinstance(v, t)? {
                    return Ok(true);
                }
            }
            false
        }
        Value::Class(i, _) => matches!(v, Value::Instance(inst) if inst.class == *i),
        // A class made by a class statement inside a function: each run makes another.
        Value::LocalClass(c) => matches!(
            v,
            Value::Instance(inst) if inst.env.as_ref().is_some_and(|e| std::sync::Arc::ptr_eq(e, c))
        ),
        Value::Builtin(Builtin::Exc(c)) => {
            matches!(v, Value::Exception(e) if is_subclass(e.class, usize::from(*c)))
        }
        Value::Builtin(Builtin::Torch(i)) => {
            let path = crate::interp::torch::path_of(*i);
            match crate::interp::torch::isinstance(v, path) {
                Some(yes) => yes,
                None => return Err(format!("isinstance() arg 2 must be a type, not `{path}`")),
            }
        }
        Value::Builtin(b) => match (b, v) {
            (Builtin::Int, Value::Int(_) | Value::Bool(_)) => true,
            (Builtin::Bool, Value::Bool(_)) | (Builtin::Float, Value::Float(_)) => true,
            (Builtin::Str, Value::Str(_)) | (Builtin::List, Value::List(_)) => true,
            (Builtin::Dict, Value::Dict(_)) | (Builtin::Tuple, Value::Tuple(_)) => true,
            (Builtin::Set, Value::Set(_)) => true,
            (Builtin::Int | Builtin::Bool | Builtin::Float | Builtin::Str, _) => false,
            (Builtin::List | Builtin::Dict | Builtin::Tuple | Builtin::Set, _) => false,
            _ => return Err(format!("isinstance() arg 2 must be a type, not {b:?}")),
        },
        other => {
            let t = other.type_name();
            return Err(format!(
                "isinstance() arg 2 must be a type or tuple of types, not '{t}'"
            ));
        }
    })
}
