//! The tree-walking interpreter of the model language, running on the forkwait library.
//!
//! # Design
//!
//! * **One interpreter state per run.** [`Interp::new`] creates the instrumented cells of
//!   the global variables; the caller then runs the top-level statements and `main()`.
//!   Under the checker this happens inside the closure it runs, so every execution starts
//!   from fresh state and every object is created inside the execution.
//! * **`fork(f, *args, **kwargs)` is [`forkwait::fork`]** of a closure that calls `f` with
//!   the (shared, not copied) argument values in a fresh frame; the closure holds the
//!   interpreter state through an `Arc`. `wait(fut)` is [`forkwait::Future::try_wait`]. So a
//!   model runs in every mode of the library: eager, parallel, traced and simulated.
//! * **Errors are values** ([`Diagnostic`] located in the model) until they leave a task:
//!   a task whose function fails panics with `"{file}:{line}:{col}: error: {message}"`
//!   (so the simulator reports a `Panic` or `LostError` finding), and `wait` turns that
//!   panic back into the same located error in the waiter.
//! * **Source positions.** Before each statement and call, and around `fork`/`wait`, the
//!   interpreter calls [`forkwait::hooks::set_source_span`], so interleavings, deadlock reports and
//!   trace graphs show model lines rather than interpreter lines.
//! * **Names by slot.** The resolver (`front/resolve.rs`) writes into every name of the
//!   tree the [`Slot`] it denotes. A function's [`Frame`] is a vector of locals indexed
//!   by [`Slot::Local`] (its parameters first), the globals a vector of instrumented
//!   cells indexed by [`Slot::Global`]; functions, classes and builtins are constants.
//!   No variable, function, class or builtin is looked up by its name at run time (an
//!   attribute is, in its instance), and a global is read (an instrumented access) only
//!   where the name denotes that global.
//! * **Locks.** No `std` lock of the interpreter is ever held across a scheduling point
//!   (an instrumented access, fork, wait, yield): under the simulator all tasks share one
//!   OS thread, so such a lock would deadlock it.
//! * **Loops yield.** Every [`YIELD_EVERY`] iterations a loop calls [`forkwait::yield_now`],
//!   so a loop that touches no shared state still reaches the simulator's step limit
//!   (a `livelock` verdict) instead of hanging the checker.

pub(crate) mod access;
mod assign;
pub(crate) mod atomic;
pub(crate) mod builtins;
mod call;
mod closures;
mod comp;
pub(crate) mod exceptions;
mod exec;
mod format;
mod frame;
pub(crate) mod items;
mod keyed;
mod local_classes;
pub(crate) mod methods;
mod operator;
pub(crate) mod ops;
pub(crate) mod sets;
pub(crate) mod snapshot;
pub(crate) mod stack;
pub(crate) mod tasks;
mod tensor;
pub(crate) mod torch;
mod types;
pub(crate) mod value;
mod value_builtins;

pub(crate) use self::exec::Flow;
pub(crate) use self::frame::Frame;
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::resolve::Code;
use crate::value::{Dict, List, Value, key_eq};
use forkwait::sync::Shared;
use std::sync::{Arc, Weak};

/// The deepest nesting of model calls within one task, Python's default recursion limit
/// (a forked task starts afresh, as a Python thread does). Deeper recursion is a located
/// `RecursionError`, as is running out of stack first (see `stack.rs`), never a crash.
pub const MAX_CALL_DEPTH: u32 = 1000;

/// A loop yields to the scheduler every this many iterations.
pub const YIELD_EVERY: u32 = 256;

pub(crate) type Res<T> = Result<T, Box<Diagnostic>>;

/// Where `print` writes.
#[derive(Clone, Debug)]
pub(crate) enum Sink {
    Stdout,
    Stderr,
    Discard,
    /// Standard output, only while the flag is unset (the first run of a model).
    FirstRun(Arc<std::sync::atomic::AtomicBool>),
}

/// The state of one run of a model.
pub(crate) struct Interp {
    pub(crate) code: Arc<Code>,
    /// One instrumented cell per global variable, indexed by [`Slot::Global`].
    globals: Vec<Shared<Option<Value>>>,
    pub(crate) sink: Sink,
    me: Weak<Interp>,
    /// Each task's grad-mode flag, by the task's number ([`Limit::task`](crate::stack::Limit::task); `main` is 0):
    /// thread-local state, not shared (see `interp/torch.rs`). Locked only briefly.
    /// `None` for a model that never mentions grad mode (`Code::uses_grad`); boxed, so
    /// that it costs such a model nothing.
    pub(crate) grad: Option<Box<std::sync::Mutex<Vec<bool>>>>,
}

/// Raises a model error as a panic whose message is the located error.
pub(crate) fn raise(d: &Diagnostic) -> ! {
    std::panic::panic_any(d.to_string())
}

impl Interp {
    /// A fresh state for one run of `code`.
    pub(crate) fn new(code: Arc<Code>, sink: Sink) -> Arc<Interp> {
        let file = code.file;
        let globals = code
            .global_spans
            .iter()
            .map(|span| {
                // The cell is created "at" the global's definition, for reports.
                forkwait::hooks::set_source_span(file, span.line, span.col);
                Shared::global(None)
            })
            .collect();
        let code_uses_grad = code.uses_grad;
        Arc::new_cyclic(|me| Interp {
            globals,
            code,
            sink,
            me: me.clone(),
            grad: code_uses_grad.then(|| Box::new(std::sync::Mutex::new(vec![true]))),
        })
    }

    pub(crate) fn arc(&self) -> Arc<Interp> {
        self.me
            .upgrade()
            .expect("the interpreter is alive while it runs")
    }

    pub(crate) fn err(&self, span: Span, msg: impl Into<String>) -> Box<Diagnostic> {
        Box::new(self.code.program.error(span, msg))
    }

    /// Tells the library where the current task is in the model.
    pub(crate) fn at(&self, span: Span) {
        forkwait::hooks::set_source_span(self.code.file, span.line, span.col);
    }

    /// Runs the top-level statements, then `main()`; returns what `main()` returned.
    pub(crate) fn run_main(&self) -> Res<Value> {
        let entry = Frame::task(0);
        let mut top = Frame::new(self.code.module.locals.len(), 0, true, entry.limit);
        self.block(&mut top, &self.code.program.stmts)?;
        let p = &self.code.program;
        let name = self.code.entry.as_str();
        let i = self.code.function(name).map(|(i, _)| i);
        let i = i.ok_or_else(|| self.err(Span::new(1, 1), format!("no `{name}()` function")))?;
        let main_span = p.functions[i].span;
        let main = Value::Function(i, self.code.function_names[i].clone());
        self.call(&entry, &main, Vec::new(), Vec::new(), main_span)
    }

    /// The value of `e`, an attribute `value.attr` (out of line: see [`Interp::eval`]).
    #[inline(never)]
    fn eval_attribute(&self, f: &mut Frame, e: &Expr) -> Res<Value> {
        let ExprKind::Attribute { value, attr } = &e.kind else {
            return Err(self.err(e.span, "not an attribute"));
        };
        let obj = self.eval(f, value)?;
        if let Some(v) = self.number_attribute(f, &obj, attr) {
            return Ok(v);
        }
        self.getattr(&obj, attr, e.span)
    }

    /// The value of `e`.
    ///
    /// Calls and attributes are evaluated out of line, and names through a call of few
    /// arguments: so `eval` passes no call argument on the stack, which keeps its unwind
    /// table short. A task's stack holds one `eval` frame per nested expression, and the
    /// simulator unwinds the stack of every task still blocked when an execution ends
    /// (each deadlocked one, say): with a stack-argument call anywhere in it, every call
    /// site of the function gets an unwind-table entry, and unwinding each `eval` frame
    /// reads them all.
    pub(crate) fn eval(&self, f: &mut Frame, e: &Expr) -> Res<Value> {
        Ok(match &e.kind {
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(x) => Value::Float(*x),
            ExprKind::Str(s) => Value::str(s),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::None => Value::None,
            ExprKind::Name(n) => match self.load(f, e.slot) {
                Ok(v) => v,
                Err(m) => return Err(self.miss(m, n, e.span)),
            },
            ExprKind::List(items) => Value::List(List::new(self.eval_items(f, items)?, f.class())),
            ExprKind::Tuple(items) => Value::tuple(self.eval_items(f, items)?),
            ExprKind::Dict(entries) => self.eval_dict(f, entries)?,
            ExprKind::Set(items) => self.set_display(f, items)?,
            ExprKind::Attribute { .. } => self.eval_attribute(f, e)?,
            ExprKind::Subscript { value, index } => {
                let obj = self.eval(f, value)?;
                self.subscript(f, &obj, index)?
            }
            ExprKind::Slice { .. } => return Err(self.err(e.span, "a slice outside `[]`")),
            ExprKind::Call(c) => self.eval_call(f, c)?,
            ExprKind::Unary { op, operand } => {
                let v = self.eval(f, operand)?;
                ops::unary(*op, &v).map_err(|m| self.err(e.span, m))?
            }
            ExprKind::Binary { left, rest } => self.eval_binary(f, left, rest)?,
            ExprKind::Logic { op, values } => self.eval_logic(f, *op, values)?,
            ExprKind::Compare { left, rest } => self.eval_compare(f, left, rest)?,
            ExprKind::IfExp { cond, then, orelse } => {
                if self.eval(f, cond)?.truthy() {
                    self.eval(f, then)?
                } else {
                    self.eval(f, orelse)?
                }
            }
            ExprKind::Lambda(def) => self.closure(f, def)?,
            ExprKind::Comp(c) => self.comprehension(f, c)?,
            ExprKind::Starred(_) => {
                return Err(self.err(
                    e.span,
                    "`*` unpacking is only supported in a call's arguments",
                ));
            }
        })
    }

    // The helpers of `eval` below are `#[inline(always)]`: inlined, `eval` is compiled
    // as when they were its match arms (its frame and unwind table, see its doc).

    /// The values of `items`, evaluated in order (a list or tuple display's).
    #[inline(always)]
    fn eval_items(&self, f: &mut Frame, items: &[Expr]) -> Res<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(self.eval(f, i)?);
        }
        Ok(out)
    }

    /// The value of a dict display: its keys and values evaluated in order, a key that
    /// comes again replacing the value of the first.
    #[inline(always)]
    fn eval_dict(&self, f: &mut Frame, entries: &[(Expr, Expr)]) -> Res<Value> {
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let key = self.eval(f, k)?;
            if !key.hashable() {
                let t = key.type_name();
                return Err(self.err(k.span, format!("unhashable type: '{t}'")));
            }
            let val = self.eval(f, v)?;
            match out.iter_mut().find(|(k2, _)| key_eq(k2, &key)) {
                Some((_, slot)) => *slot = val,
                None => out.push((key, val)),
            }
        }
        Ok(Value::Dict(Dict::new(out, f.class())))
    }

    /// The value of an operator chain `left op b op c ...`, from the left. Chains are
    /// flat: a loop, not a recursion per operator.
    #[inline(always)]
    fn eval_binary(&self, f: &mut Frame, left: &Expr, rest: &[Operation]) -> Res<Value> {
        let mut a = self.eval(f, left)?;
        for link in rest {
            let b = self.eval(f, &link.right)?;
            a = ops::binary(link.op, &a, &b, f.class()).map_err(|m| self.err(link.span, m))?;
        }
        Ok(a)
    }

    /// The value of `v1 and v2 ...` / `v1 or v2 ...`: the first operand that decides
    /// the result, else the last.
    #[inline(always)]
    fn eval_logic(&self, f: &mut Frame, op: LogicOp, values: &[Expr]) -> Res<Value> {
        let mut a = Value::None;
        for v in values {
            a = self.eval(f, v)?;
            if let (LogicOp::And, false) | (LogicOp::Or, true) = (op, a.truthy()) {
                break;
            }
        }
        Ok(a)
    }

    /// The value of a comparison chain `left < b <= c ...`: true if every link holds
    /// (evaluated from the left, stopping at the first that does not).
    #[inline(always)]
    fn eval_compare(&self, f: &mut Frame, left: &Expr, rest: &[Comparison]) -> Res<Value> {
        let mut a = self.eval(f, left)?;
        for c in rest {
            let b = self.eval(f, &c.right)?;
            if !self.compare(c.op, &a, &b, c.span)? {
                return Ok(Value::Bool(false));
            }
            a = b;
        }
        Ok(Value::Bool(true))
    }

    pub(crate) fn compare(&self, op: CmpOp, a: &Value, b: &Value, span: Span) -> Res<bool> {
        use std::cmp::Ordering::*;
        let e = |m: String| self.err(span, m);
        Ok(match op {
            CmpOp::Eq => a.py_eq(b).map_err(e)?,
            CmpOp::Ne => !a.py_eq(b).map_err(e)?,
            CmpOp::Is => a.is(b),
            CmpOp::IsNot => !a.is(b),
            CmpOp::In => items::contains(b, a).map_err(e)?,
            CmpOp::NotIn => !items::contains(b, a).map_err(e)?,
            CmpOp::Lt => a.py_cmp(b).map_err(e)? == Less,
            CmpOp::Le => a.py_cmp(b).map_err(e)? != Greater,
            CmpOp::Gt => a.py_cmp(b).map_err(e)? == Greater,
            CmpOp::Ge => a.py_cmp(b).map_err(e)? != Less,
        })
    }
}
