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
mod format;
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

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::resolve::Code;
pub(crate) use crate::stack::Limit;
use crate::value::{Cell, Dict, List, Value, key_eq};
use forkwait::sync::{Shared, StateClass};
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
    /// Each task's grad-mode flag, by the task's number ([`Limit::task`]; `main` is 0):
    /// thread-local state, not shared (see `interp/torch.rs`). Locked only briefly.
    /// `None` for a model that never mentions grad mode (`Code::uses_grad`); boxed, so
    /// that it costs such a model nothing.
    pub(crate) grad: Option<Box<std::sync::Mutex<Vec<bool>>>>,
}

/// A function activation (or the module's top level).
pub(crate) struct Frame {
    /// The function's locals, indexed by [`Slot::Local`] (see the function's
    /// [`Scope`](crate::resolve::Scope)); empty at the top level, whose names are global.
    locals: Vec<Option<Value>>,
    /// What only some frames need (cells, a handled error), boxed so that a plain
    /// frame stays small and cheap to drop.
    extra: Option<Box<FrameExtra>>,
    pub(crate) depth: u32,
    /// The lowest stack address this task's interpretation may reach (see `stack.rs`),
    /// and the task's number.
    pub(crate) limit: Limit,
    ticks: u32,
    /// Running the module's top-level statements: new containers are global state.
    module: bool,
}

/// The parts of a [`Frame`] only closures and exception handlers use.
#[derive(Default)]
pub(crate) struct FrameExtra {
    /// The function's cells, indexed by [`Slot::Cell`]: its free variables (from its
    /// closure), then its own variables that nested functions capture.
    cells: Vec<Arc<Cell>>,
    /// The error an enclosing `except` clause is handling (what a bare `raise` raises).
    handling: Option<Box<Diagnostic>>,
}

impl Frame {
    /// The frame's cells (see [`FrameExtra::cells`]).
    fn cells(&self) -> &[Arc<Cell>] {
        self.extra.as_ref().map_or(&[], |e| &e.cells)
    }

    /// The frame's extra parts, made on first use.
    fn extra(&mut self) -> &mut FrameExtra {
        self.extra.get_or_insert_with(Default::default)
    }

    /// A frame of `n` locals, all unset.
    fn new(n: usize, depth: u32, module: bool, limit: Limit) -> Frame {
        Frame::with_locals(vec![None; n], depth, module, limit)
    }

    /// A frame whose locals (by slot) are `locals`.
    fn with_locals(locals: Vec<Option<Value>>, depth: u32, module: bool, limit: Limit) -> Frame {
        Frame {
            locals,
            extra: None,
            depth,
            limit,
            ticks: 0,
            module,
        }
    }

    /// The frame of the entry of task number `task` (no locals of its own), with the
    /// stack limit of the task starting here.
    pub(crate) fn task(task: u32) -> Frame {
        let addr = if forkwait::hooks::mode() == forkwait::hooks::Mode::Simulator {
            crate::stack::task_limit(super::MODEL_STACK_SIZE)
        } else {
            crate::stack::thread_limit()
        };
        Frame::new(0, 0, false, Limit { addr, task })
    }

    /// The purity class of containers created in this frame.
    pub(crate) fn class(&self) -> StateClass {
        if self.module {
            StateClass::Global
        } else {
            StateClass::Input
        }
    }
}

/// Why a name has no value.
#[derive(Clone, Copy)]
enum Miss {
    /// A local read before its assignment.
    Unbound,
    /// A global read before its assignment, with no function, class or builtin of its
    /// name.
    Undefined,
}

pub(crate) enum Flow {
    Next,
    Break,
    Continue,
    Return(Value),
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

    pub(crate) fn block(&self, f: &mut Frame, stmts: &[Stmt]) -> Res<Flow> {
        for s in stmts {
            match self.stmt(f, s)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    pub(crate) fn tick(&self, f: &mut Frame) {
        f.ticks = f.ticks.wrapping_add(1);
        if f.ticks % YIELD_EVERY == 0 {
            forkwait::yield_now();
        }
    }

    fn stmt(&self, f: &mut Frame, s: &Stmt) -> Res<Flow> {
        self.at(s.span);
        match &s.kind {
            StmtKind::Expr(e) => {
                self.eval(f, e)?;
            }
            StmtKind::Assign { target, value } => {
                let v = self.eval(f, value)?;
                self.store(f, target, v)?;
            }
            StmtKind::AugAssign { target, op, value } => self.aug_assign(f, target, *op, value)?,
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    self.at(b.span);
                    if self.eval(f, &b.cond)?.truthy() {
                        return self.block(f, &b.body);
                    }
                }
                return self.block(f, orelse);
            }
            StmtKind::While { cond, body } => loop {
                self.at(s.span);
                if !self.eval(f, cond)?.truthy() {
                    break;
                }
                self.tick(f);
                match self.block(f, body)? {
                    Flow::Break => break,
                    Flow::Next | Flow::Continue => {}
                    ret => return Ok(ret),
                }
            },
            StmtKind::For { target, iter, body } => {
                let seq = self.eval(f, iter)?;
                let items = items::iterate(&seq).map_err(|m| self.err(iter.span, m))?;
                for item in items {
                    self.at(s.span);
                    self.store(f, target, item)?;
                    self.tick(f);
                    match self.block(f, body)? {
                        Flow::Break => break,
                        Flow::Next | Flow::Continue => {}
                        ret => return Ok(ret),
                    }
                }
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(f, e)?,
                    None => Value::None,
                };
                return Ok(Flow::Return(v));
            }
            StmtKind::Assert { test, msg } => {
                if !self.eval(f, test)?.truthy() {
                    let text = match msg {
                        Some(m) => format!("assertion failed: {}", self.eval(f, m)?.to_str()),
                        None => "assertion failed".to_string(),
                    };
                    return Err(self.err(s.span, text));
                }
            }
            StmtKind::Pass | StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::Def(def) => {
                if let Some(d) = self.code.deferred.get(&def.id) {
                    return Err(Box::new(d.clone())); // refused when scripted
                }
                let v = self.closure(f, def)?;
                self.store_slot(f, def.slot, v);
            }
            StmtKind::Class(c) => {
                let deferred = c.methods.iter().find_map(|m| self.code.deferred.get(&m.id));
                if let Some(d) = deferred {
                    return Err(Box::new(d.clone())); // refused when scripted
                }
                let v = self.local_class(f, c)?;
                self.store_slot(f, c.slot, v);
            }
            StmtKind::Try(t) => return self.exec_try(f, t),
            StmtKind::Raise(e) => return Err(self.exec_raise(f, e.as_ref(), s.span)),
            StmtKind::With { item, target, body } => {
                let v = self.eval(f, item)?;
                if let Some(restore) = self.enter_context(f, &v) {
                    let r = match target {
                        Some(t) => self
                            .store(f, t, v.clone())
                            .and_then(|()| self.block(f, body)),
                        None => self.block(f, body),
                    };
                    if let Some(prev) = restore {
                        self.set_grad(f, prev);
                    }
                    return r;
                }
                let Value::Lock(lock) = &v else {
                    let t = v.type_name();
                    return Err(self.err(
                        item.span,
                        format!("'{t}' object cannot be used in `with` (only a Lock() can)"),
                    ));
                };
                self.at(s.span);
                // A model's lock does not poison (Python's don't).
                let guard = lock.mutex.lock().unwrap_or_else(|p| p.into_inner());
                let r = match target {
                    Some(t) => self
                        .store(f, t, v.clone())
                        .and_then(|()| self.block(f, body)),
                    None => self.block(f, body),
                };
                drop(guard);
                return r;
            }
        }
        Ok(Flow::Next)
    }

    /// Stores `v` in the variable `slot` (a local of `f` or a global: the resolver gives
    /// every assigned name one of the two).
    fn store_slot(&self, f: &mut Frame, slot: Slot, v: Value) {
        match slot {
            Slot::Local(i) => {
                if let Some(local) = f.locals.get_mut(i as usize) {
                    *local = Some(v);
                }
            }
            Slot::Global(i) => {
                if let Some(cell) = self.globals.get(i as usize) {
                    cell.write(Some(v));
                }
            }
            Slot::Cell(i) => {
                if let Some(cell) = f.cells().get(i as usize) {
                    cell.write(Some(v));
                }
            }
            _ => {}
        }
    }

    /// The value of the name `name`, which denotes `slot`, read at `span`.
    fn load_name(&self, f: &Frame, slot: Slot, name: &str, span: Span) -> Res<Value> {
        self.load(f, slot).map_err(|m| self.miss(m, name, span))
    }

    /// The value of what `slot` denotes: a local of `f`, a global variable (if set,
    /// else what its name denotes when it is no variable), a function, class or builtin.
    fn load(&self, f: &Frame, slot: Slot) -> Result<Value, Miss> {
        let code = &self.code;
        let slot = match slot {
            Slot::Local(i) => {
                return match f.locals.get(i as usize) {
                    Some(Some(v)) => Ok(v.clone()),
                    _ => Err(Miss::Unbound),
                };
            }
            Slot::Cell(i) => {
                return f
                    .cells()
                    .get(i as usize)
                    .and_then(|c| c.read())
                    .ok_or(Miss::Unbound);
            }
            Slot::Global(i) => {
                let i = i as usize;
                if let Some(v) = self.globals.get(i).and_then(|cell| cell.read()) {
                    return Ok(v);
                }
                let fallback = code.global_fallbacks.get(i).copied();
                fallback.unwrap_or(Slot::Unresolved)
            }
            other => other,
        };
        match slot {
            Slot::Function(i) => code
                .function_names
                .get(i as usize)
                .map(|n| Value::Function(i as usize, n.clone())),
            Slot::Class(i) => code
                .class_names
                .get(i as usize)
                .map(|n| Value::Class(i as usize, n.clone())),
            Slot::Builtin(b) => Some(Value::Builtin(b)),
            Slot::Local(_) | Slot::Cell(_) | Slot::Global(_) | Slot::Unresolved => None,
        }
        .ok_or(Miss::Undefined)
    }

    /// The error of reading the name `name` at `span`, which has no value.
    #[cold]
    fn miss(&self, m: Miss, name: &str, span: Span) -> Box<Diagnostic> {
        let msg = match m {
            Miss::Unbound => format!("local variable '{name}' referenced before assignment"),
            Miss::Undefined => format!("name '{name}' is not defined"),
        };
        self.err(span, msg)
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
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(f, i)?);
                }
                Value::List(List::new(out, f.class()))
            }
            ExprKind::Tuple(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(f, i)?);
                }
                Value::tuple(out)
            }
            ExprKind::Dict(entries) => {
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
                Value::Dict(Dict::new(out, f.class()))
            }
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
            // Chains are flat: a loop, not a recursion per operator.
            ExprKind::Binary { left, rest } => {
                let mut a = self.eval(f, left)?;
                for link in rest {
                    let b = self.eval(f, &link.right)?;
                    a = ops::binary(link.op, &a, &b, f.class())
                        .map_err(|m| self.err(link.span, m))?;
                }
                a
            }
            ExprKind::Logic { op, values } => {
                let mut a = Value::None;
                for v in values {
                    a = self.eval(f, v)?;
                    if let (LogicOp::And, false) | (LogicOp::Or, true) = (op, a.truthy()) {
                        break;
                    }
                }
                a
            }
            ExprKind::Compare { left, rest } => {
                let mut a = self.eval(f, left)?;
                for c in rest {
                    let b = self.eval(f, &c.right)?;
                    if !self.compare(c.op, &a, &b, c.span)? {
                        return Ok(Value::Bool(false));
                    }
                    a = b;
                }
                Value::Bool(true)
            }
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
