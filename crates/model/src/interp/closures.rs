//! Nested functions and lambdas at run time: making a closure (its defaults evaluated
//! and the enclosing frame's cells captured when its `def` runs) and giving a called
//! function its cells. The layout is decided when the model is loaded (see
//! `front/scopes.rs`); part of the interpreter (see `interp/mod.rs`).

use super::{Frame, Interp, Res};
use crate::ast::FunctionDef;
use crate::resolve::Scope;
use crate::value::{Closure, Value};
use forkwait::sync::Shared;
use std::sync::Arc;

impl Interp {
    /// The function value of the nested `def` or lambda `def`, made in frame `f`.
    pub(super) fn closure(&self, f: &mut Frame, def: &FunctionDef) -> Res<Value> {
        let mut defaults = Vec::with_capacity(def.params.len());
        for p in &def.params {
            defaults.push(match &p.default {
                Some(d) => Some(self.eval(f, d)?),
                None => None,
            });
        }
        let scope = self.code.nested.get(def.id as usize);
        let capture = scope.map_or(&[][..], |s| &s.capture[..]);
        let mut cells = Vec::with_capacity(capture.len());
        for &i in capture {
            match f.cells().get(i as usize) {
                Some(c) => cells.push(c.clone()),
                None => return Err(self.err(def.span, "a captured variable has no cell")),
            }
        }
        Ok(Value::Closure(Arc::new(Closure {
            id: def.id as usize,
            name: Arc::from(&*def.name),
            cells,
            defaults,
        })))
    }

    /// Gives a new frame its cells: the closure's, then a fresh instrumented cell for
    /// each of its own captured variables (a parameter's starting with the argument,
    /// moved out of its local slot), created by the task making the call "at" the
    /// function's `def` (where reports say the state was created).
    #[inline]
    pub(super) fn make_cells(
        &self,
        frame: &mut Frame,
        def: &FunctionDef,
        scope: &Scope,
        closure: Option<&Closure>,
    ) {
        if !scope.cells.is_empty() {
            self.fill_cells(frame, def, scope, closure);
        }
    }

    #[inline(never)]
    fn fill_cells(
        &self,
        frame: &mut Frame,
        def: &FunctionDef,
        scope: &Scope,
        closure: Option<&Closure>,
    ) {
        if let (true, Some(c)) = (scope.cells.len() == scope.nfree, closure) {
            frame.extra().cells = c.cells.clone();
            return;
        }
        self.at(def.span);
        let mut cells = Vec::with_capacity(scope.cells.len());
        if let Some(c) = closure {
            cells.extend(c.cells.iter().cloned());
        }
        for init in &scope.cell_init {
            let v = init.and_then(|p| frame.locals.get_mut(p as usize)?.take());
            cells.push(Arc::new(Shared::with_class(v, frame.class())));
        }
        frame.extra().cells = cells;
    }
}
