//! The `torch`, `typing` and `operator` modules as values of the model language.
//!
//! Every name of these modules that models know is a [`Builtin::Torch`] (the index of its
//! dotted path, `"torch.jit.annotate"`, in [`NAMES`]), except those that *are* builtins
//! already:
//! `torch.jit.fork` and `torch.jit._fork` are [`Builtin::Fork`], `torch.jit.wait` and
//! `torch.jit._wait` are [`Builtin::Wait`]. A module is a value too (`torch`, `torch.jit`,
//! `nn`), whose attributes are looked up in [`NAMES`]; a name not there is a located
//! error naming it (at load time where the resolver can see the path, else when run).
//!
//! # Tensors are ints
//!
//! Models replace tensors by ints, so the common tensor functions get an int meaning:
//! `torch.neg(x)` is `-x`, `torch.add(a, b)` / `sub` / `mul` the operators, `torch.abs`
//! and `torch.relu` (`max(x, 0)`) theirs, `torch.tensor(v)` is `v`, and the factories
//! `torch.zeros(...)`/`torch.empty(...)` are `0` and `torch.ones(...)`, `torch.rand(...)`,
//! `torch.randn(...)` are `1` whatever their sizes (keywords such as `requires_grad=True`
//! are accepted and ignored). `torch.nn.Parameter(x)` is `x`, `torch.nn.ModuleList(xs)` a
//! list of the modules. `torch.manual_seed(n)` does nothing, `torch.jit.is_scripting()` is
//! true and `torch.jit.is_tracing()` false; `torch.autograd.profiler.record_function(name)`
//! is a no-op context. A module's `training` is true until `m.eval()` (or `m.train(False)`)
//! sets it; `isinstance(x, torch.Tensor)` holds for ints, floats and bools.
//!
//! # Grad mode
//!
//! `torch.is_grad_enabled()` reads a flag of the running task (true in `main`); the
//! contexts `torch.no_grad()` and `torch.enable_grad()` set it on entry and restore it on
//! exit, and `torch.set_grad_enabled(b)` sets it at once (restoring it at the exit of a
//! `with` over it). A forked task starts with its forking caller's flag, as PyTorch's
//! `fork` carries the caller's thread-local state (grad mode among it) into the task,
//! and changes in the task do not reach the caller. The flags live in the interpreter
//! ([`Interp::grad`]), one per task, indexed by the task's number (`Frame::task`); they
//! are not shared state: no other task reads them.

use crate::ast::{BinOp, DecoratorKind, FunctionDef, Span, UnaryOp};
use crate::builtins::Builtin;
use crate::front::pyfile::SUPER_PREFIX;
use crate::interp::{Frame, Interp, Res};
use crate::value::{Instance, List, Value};
use std::sync::Arc;

/// Every name the model language knows under `torch` and `typing` (modules included),
/// besides the fork and wait aliases of [`lookup`] and the `operator` module (its own
/// builtin, `interp/operator.rs`).
pub(crate) const NAMES: [&str; 53] = [
    "torch",
    "torch.jit",
    "torch.nn",
    "torch.autograd",
    "torch.autograd.profiler",
    "typing",
    // torch.jit
    "torch.jit.annotate",
    "torch.jit.script",
    "torch.jit.trace",
    "torch.jit.optimized_execution",
    "torch.jit.is_scripting",
    "torch.jit.is_tracing",
    "torch.autograd.profiler.record_function",
    "torch.manual_seed",
    "torch.jit.Future",
    "torch.jit.ScriptModule",
    "torch.jit.Final",
    // grad mode
    "torch.no_grad",
    "torch.enable_grad",
    "torch.set_grad_enabled",
    "torch.is_grad_enabled",
    "torch.autograd.no_grad",
    "torch.autograd.enable_grad",
    "torch.autograd.set_grad_enabled",
    // tensors as ints
    "torch.neg",
    "torch.add",
    "torch.sub",
    "torch.mul",
    "torch.abs",
    "torch.relu",
    "torch.tensor",
    "torch.zeros",
    "torch.ones",
    "torch.rand",
    "torch.randn",
    "torch.empty",
    "torch.Tensor",
    "torch.float",
    "torch.int",
    "torch.long",
    // torch.nn
    "torch.nn.Module",
    "torch.nn.ModuleList",
    "torch.nn.Parameter",
    // typing
    "typing.List",
    "typing.Tuple",
    "typing.Optional",
    "typing.Any",
    "typing.Dict",
    "typing.Union",
    "typing.Callable",
    "typing.NamedTuple",
    "typing.Final",
    "typing.Set",
];

/// `isinstance(v, t)` for the type `t` of these modules, if it is one: a tensor is an int
/// (or a float or bool), a future a future, a module an instance of a model class.
pub(crate) fn isinstance(v: &Value, path: &str) -> Option<bool> {
    Some(match path {
        "torch.Tensor" => matches!(v, Value::Int(_) | Value::Float(_) | Value::Bool(_)),
        "torch.jit.Future" => matches!(v, Value::Future(_)),
        "torch.nn.Module" | "torch.jit.ScriptModule" => matches!(v, Value::Instance(_)),
        _ => return None,
    })
}

/// The name of a [`Builtin::Context`] with grad mode `grad` inside.
pub(crate) fn context_name(grad: Option<bool>) -> &'static str {
    match grad {
        None => "torch.jit.optimized_execution",
        Some(false) => "torch.no_grad",
        Some(true) => "torch.enable_grad",
    }
}

/// The names that are types (subscripting one gives it back: `List[int]`).
fn is_type(path: &str) -> bool {
    matches!(
        path,
        "torch.jit.Future"
            | "torch.jit.Final"
            | "torch.Tensor"
            | "torch.nn.Module"
            | "torch.jit.ScriptModule"
    ) || path.starts_with("typing.")
}

/// The modules (values whose attributes are names).
fn is_module(path: &str) -> bool {
    matches!(
        path,
        "torch"
            | "torch.jit"
            | "torch.nn"
            | "torch.autograd"
            | "torch.autograd.profiler"
            | "typing"
    )
}

/// The dotted path of [`Builtin::Torch`]`(i)`.
pub(crate) fn path_of(i: u16) -> &'static str {
    NAMES.get(usize::from(i)).copied().unwrap_or("torch")
}

/// A [`NAMES`] index as a [`Builtin::Torch`]'s.
fn index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(0)
}

/// What the dotted `path` denotes, if models know it.
pub(crate) fn lookup(path: &str) -> Option<Builtin> {
    if let Some(name) = path.strip_prefix("operator.") {
        return match crate::interp::operator::attribute(name)? {
            Value::Builtin(b) => Some(b),
            _ => None,
        };
    }
    Some(match path {
        "torch.jit.fork" | "torch.jit._fork" => Builtin::Fork,
        "torch.jit.wait" | "torch.jit._wait" => Builtin::Wait,
        "operator" => Builtin::OperatorModule,
        _ => Builtin::Torch(index(NAMES.iter().position(|n| *n == path)?)),
    })
}

/// The attribute `attr` of the module `path`, or the error naming what is missing.
pub(crate) fn member(path: &str, attr: &str) -> Result<Builtin, String> {
    if path == "operator" {
        return lookup(&format!("operator.{attr}")).ok_or_else(|| {
            let known = crate::interp::operator::FUNCTIONS.join(", ");
            format!("`operator.{attr}` is not supported in models (known in `operator`: {known})")
        });
    }
    if !is_module(path) {
        return Err(format!("'{path}' has no attribute '{attr}'"));
    }
    // Found without allocating: this runs for every `torch.jit.fork` evaluated.
    match (path, attr) {
        ("torch.jit", "fork" | "_fork") => return Ok(Builtin::Fork),
        ("torch.jit", "wait" | "_wait") => return Ok(Builtin::Wait),
        _ => {}
    }
    let found = NAMES.iter().position(|n| {
        n.strip_prefix(path)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| rest == attr)
    });
    if let Some(i) = found {
        return Ok(Builtin::Torch(index(i)));
    }
    let full = format!("{path}.{attr}");
    lookup(&full).ok_or_else(|| {
        let prefix = format!("{path}.");
        let mut known: Vec<&str> = NAMES
            .iter()
            .filter_map(|n| n.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('.'))
            .collect();
        if path == "torch.jit" {
            known.splice(0..0, ["fork", "wait", "_fork", "_wait"]);
        }
        format!(
            "`{full}` is not supported in models (known in `{path}`: {})",
            known.join(", ")
        )
    })
}

/// `module.attr` where `module` certainly denotes one of these modules (a name bound by
/// an import, or such a chain already folded): the dotted name and the member it
/// denotes, so that the resolver replaces the chain by a name of a builtin (no lookup
/// when the model runs). An unknown member is left for the checks to report.
pub(crate) fn fold(module: &crate::ast::Expr, attr: &str) -> Option<(String, Builtin)> {
    let (crate::ast::ExprKind::Name(text), crate::ast::Slot::Builtin(b)) =
        (&module.kind, module.slot)
    else {
        return None;
    };
    let path = match b {
        Builtin::Torch(i) => path_of(i),
        Builtin::OperatorModule => "operator",
        _ => return None,
    };
    let member = member(path, attr).ok()?;
    Some((format!("{text}.{attr}"), member))
}

/// The name of a model value's builtin, for `getattr` on a module value.
pub(crate) fn getattr(b: Builtin, attr: &str) -> Option<Result<Value, String>> {
    let Builtin::Torch(i) = b else {
        return None;
    };
    let path = path_of(i);
    Some(member(path, attr).map(Value::Builtin))
}

/// `T[...]` of a type name: the type itself (annotations are checked statically).
pub(crate) fn subscript_type(v: &Value) -> Option<Value> {
    match v {
        Value::Builtin(Builtin::Torch(i)) if is_type(path_of(*i)) => Some(v.clone()),
        _ => None,
    }
}

impl Interp {
    /// The attributes every module instance has besides its own: `eval` and `train`
    /// (returning the module), and `super()`'s methods (see `front/pyfile.rs`): the
    /// model base's method, or for a library base, an `__init__` that does nothing.
    pub(crate) fn module_attr(
        &self,
        inst: &Arc<Instance>,
        attr: &str,
        span: Span,
    ) -> Res<Option<Value>> {
        let bound = |name: &'static str| {
            Value::BuiltinMethod(Arc::new(Value::Instance(inst.clone())), name)
        };
        if attr == "eval" || attr == "train" {
            return Ok(Some(bound(if attr == "eval" { "eval" } else { "train" })));
        }
        if attr == "training" {
            return Ok(Some(Value::Bool(true))); // until `eval()` sets it
        }
        let Some(rest) = attr.strip_prefix(SUPER_PREFIX) else {
            return Ok(None);
        };
        let rest = rest.strip_suffix('>').unwrap_or(rest);
        let (class, method) = rest.split_once(':').unwrap_or((rest, ""));
        let base = self.super_base(inst.class, class);
        if let Some(base) = base {
            let alias = format!("{base}.{method}");
            let methods = self
                .code
                .class(inst.class)
                .map_or(&[][..], |c| &c.methods[..]);
            if let Some(i) = methods.iter().position(|m| m.name == alias) {
                return Ok(Some(Value::Method(inst.clone(), i)));
            }
        }
        if method == "__init__" {
            return Ok(Some(bound("__init__")));
        }
        let whose = base.unwrap_or("torch.nn.Module");
        Err(self.err(
            span,
            format!(
                "super(): the base class `{whose}` of `{class}` has no method '{method}' in models"
            ),
        ))
    }

    /// Whether the model class `class` (top-level or local) is `base` or derives from it.
    pub(crate) fn derives(&self, class: usize, base: usize) -> bool {
        let bases = &self.code.bases;
        let mut at = Some(class);
        // The chain is acyclic (checked at load); bounded anyway.
        for _ in 0..=bases.len() {
            match at {
                Some(c) if c == base => return true,
                Some(c) => at = bases.get(c).copied().flatten(),
                None => return false,
            }
        }
        false
    }

    /// The error of calling `def`, if a decorator forbids it (`@torch.jit.unused`).
    pub(crate) fn decorated(&self, def: &FunctionDef, span: Span) -> Res<()> {
        if def
            .decorators
            .iter()
            .any(|d| d.kind == DecoratorKind::Unused)
        {
            return Err(self.err(
                span,
                format!(
                    "'{}' is decorated with @torch.jit.unused: calling it raises (TorchScript replaces its body with an exception)",
                    def.name
                ),
            ));
        }
        Ok(())
    }

    /// The grad-mode flag of the task running `f`.
    pub(crate) fn grad_enabled(&self, f: &Frame) -> bool {
        let Some(grad) = &self.grad else {
            return true;
        };
        let flags = grad.lock().unwrap_or_else(|e| e.into_inner());
        flags.get(f.limit.task as usize).copied().unwrap_or(true)
    }

    /// Sets the grad-mode flag of the task running `f`; returns the previous one.
    pub(crate) fn set_grad(&self, f: &Frame, on: bool) -> bool {
        let Some(grad) = &self.grad else {
            return true; // unreachable: no grad function in the model
        };
        let mut flags = grad.lock().unwrap_or_else(|e| e.into_inner());
        match flags.get_mut(f.limit.task as usize) {
            Some(flag) => std::mem::replace(flag, on),
            None => true,
        }
    }

    /// A new task's number, its grad-mode flag that of the task running `f`. A model
    /// whose source never mentions grad mode (see [`Code::uses_grad`]) keeps no flags:
    /// every task is number 0, whose mode (enabled) nothing can change.
    ///
    /// [`Code::uses_grad`]: crate::resolve::Code::uses_grad
    pub(crate) fn new_task(&self, f: &Frame) -> u32 {
        let Some(grad) = &self.grad else {
            return 0;
        };
        let on = self.grad_enabled(f);
        let mut flags = grad.lock().unwrap_or_else(|e| e.into_inner());
        flags.push(on);
        u32::try_from(flags.len() - 1).unwrap_or(u32::MAX)
    }

    /// Enters the context manager `v` (a grad-mode context or a no-op one): returns the
    /// grad flag to restore at the exit, if any.
    pub(crate) fn enter_context(&self, f: &Frame, v: &Value) -> Option<Option<bool>> {
        let Value::Builtin(Builtin::Context { grad, prev }) = *v else {
            return None;
        };
        Some(match (grad, prev) {
            (None, _) => None,
            // `set_grad_enabled(b)` already set it when called.
            (Some(_), Some(prev)) => Some(prev),
            (Some(on), None) => Some(self.set_grad(f, on)),
        })
    }

    /// Calls the module member `path` (a [`Builtin::Torch`]).
    pub(crate) fn call_torch(
        &self,
        f: &Frame,
        path: &'static str,
        args: Vec<Value>,
        kwargs: &[(&str, Value)],
        span: Span,
    ) -> Res<Value> {
        let c = TorchCall {
            it: self,
            f,
            path,
            args,
            kwargs,
            span,
        };
        if let Some(v) = c.jit_member()? {
            return Ok(v);
        }
        if let Some(v) = c.grad_member()? {
            return Ok(v);
        }
        if let Some(v) = c.tensor_member()? {
            return Ok(v);
        }
        Err(c.err(if is_module(path) {
            format!("module '{path}' is not callable")
        } else if is_type(path) {
            format!(
                "`{path}` is a type: models use it only in annotations and `torch.jit.annotate`"
            )
        } else {
            format!("`{path}` cannot be called in models")
        }))
    }
}

/// One call of a module member: the interpreter, the caller's frame, the member's path,
/// the arguments and where the call is.
struct TorchCall<'a> {
    it: &'a Interp,
    f: &'a Frame,
    path: &'static str,
    args: Vec<Value>,
    kwargs: &'a [(&'a str, Value)],
    span: Span,
}

/// A grad-mode context: `grad` the mode it sets on entry (`None`: it does nothing),
/// `prev` the mode to restore on exit if it was set already.
fn context(grad: Option<bool>, prev: Option<bool>) -> Value {
    Value::Builtin(Builtin::Context { grad, prev })
}

impl TorchCall<'_> {
    /// An error located at the call.
    fn err(&self, m: String) -> Box<crate::diag::Diagnostic> {
        self.it.err(self.span, m)
    }

    /// Checks that the call has `min..=max` arguments.
    fn arity(&self, min: usize, max: usize) -> Res<()> {
        let n = self.args.len();
        if n < min || n > max {
            let m = crate::builtins::arity_message(self.path, min, Some(max), n);
            return Err(self.err(m));
        }
        Ok(())
    }

    /// Checks that the call has no keyword arguments.
    fn no_kwargs(&self) -> Res<()> {
        match self.kwargs.first() {
            Some((k, _)) => Err(self.err(format!(
                "{}() got an unexpected keyword argument '{k}'",
                self.path
            ))),
            None => Ok(()),
        }
    }

    /// Argument `i` (`None` if absent).
    fn arg(&self, i: usize) -> Value {
        self.args.get(i).cloned().unwrap_or(Value::None)
    }

    /// The members of `torch.jit`, `torch.manual_seed` and the profiler's
    /// `record_function`; `None` if the member is none of them.
    fn jit_member(&self) -> Res<Option<Value>> {
        Ok(Some(match self.path {
            "torch.jit.annotate" => {
                self.no_kwargs()?;
                self.arity(2, 2)?;
                self.arg(1)
            }
            // Wrappers that behave as what they wrap (a function, a module instance).
            "torch.jit.script" | "torch.jit.trace" => {
                self.arity(1, usize::MAX)?;
                self.arg(0)
            }
            "torch.jit.optimized_execution" => {
                self.arity(1, 1)?;
                context(None, None)
            }
            "torch.jit.is_scripting" => Value::Bool(true),
            "torch.jit.is_tracing" => Value::Bool(false),
            "torch.manual_seed" => Value::None,
            // A profiling range: a no-op context.
            "torch.autograd.profiler.record_function" => {
                self.arity(1, 2)?;
                context(None, None)
            }
            _ => return Ok(None),
        }))
    }

    /// The grad-mode members: the contexts `no_grad`, `enable_grad`, `set_grad_enabled`
    /// and `is_grad_enabled`; `None` if the member is none of them.
    fn grad_member(&self) -> Res<Option<Value>> {
        Ok(Some(match self.path {
            "torch.no_grad" | "torch.autograd.no_grad" => {
                self.arity(0, 0)?;
                context(Some(false), None)
            }
            "torch.enable_grad" | "torch.autograd.enable_grad" => {
                self.arity(0, 0)?;
                context(Some(true), None)
            }
            "torch.set_grad_enabled" | "torch.autograd.set_grad_enabled" => {
                self.no_kwargs()?;
                self.arity(1, 1)?;
                let on = self.arg(0).truthy();
                let prev = self.it.set_grad(self.f, on);
                context(Some(on), Some(prev))
            }
            "torch.is_grad_enabled" => {
                self.arity(0, 0)?;
                Value::Bool(self.it.grad_enabled(self.f))
            }
            _ => return Ok(None),
        }))
    }

    /// The tensor functions on ints (see "Tensors are ints" above) and
    /// `torch.nn.ModuleList`; `None` if the member is none of them.
    fn tensor_member(&self) -> Res<Option<Value>> {
        let e = |m: String| self.err(m);
        let binop = |op: BinOp| -> Res<Value> {
            self.arity(2, 2)?;
            crate::ops::binary(op, &self.arg(0), &self.arg(1), self.f.class()).map_err(e)
        };
        Ok(Some(match self.path {
            "torch.neg" => {
                self.arity(1, 1)?;
                crate::ops::unary(UnaryOp::Neg, &self.arg(0)).map_err(e)?
            }
            "torch.add" => binop(BinOp::Add)?,
            "torch.sub" => binop(BinOp::Sub)?,
            "torch.mul" => binop(BinOp::Mul)?,
            "torch.abs" => {
                self.arity(1, 1)?;
                let zero = Value::Int(0);
                let x = self.arg(0);
                if x.py_cmp(&zero).map_err(e)? == std::cmp::Ordering::Less {
                    crate::ops::unary(UnaryOp::Neg, &x).map_err(e)?
                } else {
                    x
                }
            }
            "torch.relu" => {
                self.arity(1, 1)?;
                let x = self.arg(0);
                if x.py_cmp(&Value::Int(0)).map_err(e)? == std::cmp::Ordering::Less {
                    Value::Int(0)
                } else {
                    x
                }
            }
            "torch.tensor" | "torch.nn.Parameter" => {
                self.arity(1, 1)?;
                self.arg(0)
            }
            "torch.zeros" | "torch.empty" => Value::Int(0),
            "torch.ones" | "torch.rand" | "torch.randn" => Value::Int(1),
            "torch.nn.ModuleList" => {
                self.no_kwargs()?;
                self.arity(0, 1)?;
                let items = match self.args.first() {
                    Some(v) => crate::interp::items::iterate(v).map_err(e)?.collect(),
                    None => Vec::new(),
                };
                Value::List(List::new(items, self.f.class()))
            }
            _ => return Ok(None),
        }))
    }
}
