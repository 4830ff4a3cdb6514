//! Activations and names: a function's [`Frame`] (its locals by slot, its cells, the
//! error it handles), and how the interpreter stores to and loads from what a resolved
//! name denotes (a local, a cell, a global cell, or a function, class or builtin).

use super::{Interp, Res};
use crate::ast::{Slot, Span};
use crate::diag::Diagnostic;
use crate::stack::Limit;
use crate::value::{Cell, Value};
use forkwait::sync::StateClass;
use std::sync::Arc;

/// A function activation (or the module's top level).
pub(crate) struct Frame {
    /// The function's locals, indexed by [`Slot::Local`] (see the function's
    /// [`Scope`](crate::resolve::Scope)); empty at the top level, whose names are global.
    pub(super) locals: Vec<Option<Value>>,
    /// What only some frames need (cells, a handled error), boxed so that a plain
    /// frame stays small and cheap to drop.
    pub(super) extra: Option<Box<FrameExtra>>,
    pub(crate) depth: u32,
    /// The lowest stack address this task's interpretation may reach (see `stack.rs`),
    /// and the task's number.
    pub(crate) limit: Limit,
    pub(super) ticks: u32,
    /// Running the module's top-level statements: new containers are global state.
    pub(super) module: bool,
}

/// The parts of a [`Frame`] only closures and exception handlers use.
#[derive(Default)]
pub(crate) struct FrameExtra {
    /// The function's cells, indexed by [`Slot::Cell`]: its free variables (from its
    /// closure), then its own variables that nested functions capture.
    pub(super) cells: Vec<Arc<Cell>>,
    /// The error an enclosing `except` clause is handling (what a bare `raise` raises).
    pub(super) handling: Option<Box<Diagnostic>>,
}

impl Frame {
    /// The frame's cells (see [`FrameExtra::cells`]).
    pub(super) fn cells(&self) -> &[Arc<Cell>] {
        self.extra.as_ref().map_or(&[], |e| &e.cells)
    }

    /// The frame's extra parts, made on first use.
    pub(super) fn extra(&mut self) -> &mut FrameExtra {
        self.extra.get_or_insert_with(Default::default)
    }

    /// A frame of `n` locals, all unset.
    pub(super) fn new(n: usize, depth: u32, module: bool, limit: Limit) -> Frame {
        Frame::with_locals(vec![None; n], depth, module, limit)
    }

    /// A frame whose locals (by slot) are `locals`.
    pub(super) fn with_locals(
        locals: Vec<Option<Value>>,
        depth: u32,
        module: bool,
        limit: Limit,
    ) -> Frame {
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
            crate::stack::task_limit(crate::MODEL_STACK_SIZE)
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
pub(super) enum Miss {
    /// A local read before its assignment.
    Unbound,
    /// A global read before its assignment, with no function, class or builtin of its
    /// name.
    Undefined,
}

impl Interp {
    /// Stores `v` in the variable `slot` (a local of `f` or a global: the resolver gives
    /// every assigned name one of the two).
    pub(super) fn store_slot(&self, f: &mut Frame, slot: Slot, v: Value) {
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
    pub(super) fn load_name(&self, f: &Frame, slot: Slot, name: &str, span: Span) -> Res<Value> {
        self.load(f, slot).map_err(|m| self.miss(m, name, span))
    }

    /// The value of what `slot` denotes: a local of `f`, a global variable (if set,
    /// else what its name denotes when it is no variable), a function, class or builtin.
    pub(super) fn load(&self, f: &Frame, slot: Slot) -> Result<Value, Miss> {
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
    pub(super) fn miss(&self, m: Miss, name: &str, span: Span) -> Box<Diagnostic> {
        let msg = match m {
            Miss::Unbound => format!("local variable '{name}' referenced before assignment"),
            Miss::Undefined => format!("name '{name}' is not defined"),
        };
        self.err(span, msg)
    }
}
