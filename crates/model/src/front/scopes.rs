//! Nested functions and lambdas: the frame layout of every function, and which of its
//! variables it shares with the functions nested in it.
//!
//! # Design
//!
//! Python's closures, as CPython compiles them (its `co_cellvars` and `co_freevars`): a
//! variable that a nested function uses (reads, writes through `nonlocal`, or passes
//! further in) is a **cell**, one heap location that the enclosing function and every
//! closure made in that activation share, so a closure sees later assignments and
//! `nonlocal` writes are seen by the enclosing function. A function's cells are its
//! **free** variables (captured from an enclosing function when the closure is made)
//! followed by its **own** captured variables (fresh cells made when it is called; a
//! captured parameter's cell starts with the argument). Every other local stays a plain
//! frame slot, so code without nested functions is laid out exactly as before.
//!
//! Cells are instrumented state in the interpreter (a [`forkwait::sync::Shared`] made by
//! the task that runs the enclosing call): a forked closure writing a `nonlocal`, or a
//! task reading a variable its parent keeps reassigning, is a write or a race the
//! simulator sees, with the cell's creator deciding purity as for any other state.
//!
//! The analysis is one walk per top-level function, method or module block, keeping
//! the chain of enclosing functions (never a class body: methods do not see their
//! class's names, as in Python). A name used in a function that it does not bind is
//! looked up outwards; the first enclosing function binding it gets it as a cell and
//! every function in between gets it as a free variable (it passes the cell through).
//! Nested functions are numbered in the order the walk meets them (their `id`); their
//! captures, indices into the enclosing frame's cells, are filled in when the enclosing
//! function's layout is final.

use super::resolve::{Scope, assigned_in};
use crate::ast::*;
use crate::diag::Diagnostic;

/// One function of the chain being analysed.
struct Level {
    /// Parameters, then the other bound names in order of first binding (not those
    /// declared `global` or `nonlocal`).
    bound: Vec<String>,
    nparams: usize,
    globals: Vec<String>,
    /// Free variables, in order of first use.
    free: Vec<String>,
    /// Own variables captured by nested functions, in order of first capture.
    cells: Vec<String>,
    /// The ids of the functions nested directly in this one.
    children: Vec<u32>,
    /// The hidden locals of its comprehensions' variables (see [`hidden_name`]).
    hidden: Vec<String>,
}

/// The frame slot name of a comprehension variable `name` whose target is at `span`:
/// unique, and unlike any name a program can write.
pub(crate) fn hidden_name(name: &str, span: Span) -> String {
    format!("{name}@{}:{}", span.line, span.col)
}

/// The nested functions' scopes, by id, as the walk fills them in.
pub(crate) type Nested = Vec<Option<Scope>>;

fn push_unique(v: &mut Vec<String>, n: &str) {
    if !v.iter().any(|x| x == n) {
        v.push(n.to_string());
    }
}

fn nonlocals(stmts: &[Stmt], out: &mut Vec<(String, Span)>) {
    for s in stmts {
        if let StmtKind::Nonlocal(names) = &s.kind {
            out.extend(names.iter().map(|n| (n.clone(), s.span)));
        }
        s.kind.blocks().for_each(|b| nonlocals(b, out));
    }
}

impl Level {
    fn new(def: &FunctionDef, path: &str, enclosing: &[Level]) -> Result<Level, Diagnostic> {
        let err = |span, msg: String| Diagnostic::new(path, span, msg);
        let globals: Vec<String> = def.globals().iter().map(|s| s.to_string()).collect();
        let mut declared = Vec::new();
        nonlocals(&def.body, &mut declared);
        for (n, span) in &declared {
            if def.param(n).is_some() {
                return Err(err(
                    *span,
                    format!("name '{n}' is a parameter and nonlocal"),
                ));
            }
            if globals.contains(n) {
                return Err(err(*span, format!("name '{n}' is nonlocal and global")));
            }
            if !enclosing.iter().rev().any(|l| l.binds(n)) {
                return Err(err(
                    *span,
                    format!(
                        "no binding for nonlocal '{n}' found (`nonlocal` names a variable \
                         of an enclosing function; use `global` for a module variable)"
                    ),
                ));
            }
        }
        if let Some(p) = def.params.iter().find(|p| globals.contains(&p.name)) {
            let msg = format!("name '{}' is a parameter and declared global", p.name);
            return Err(err(p.span, msg));
        }
        let nonlocals: Vec<String> = declared.into_iter().map(|(n, _)| n).collect();
        let mut bound: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
        let mut assigned = Vec::new();
        assigned_in(&def.body, &mut assigned);
        for (n, _) in assigned {
            if !globals.iter().any(|g| g == n) && !nonlocals.iter().any(|g| g == n) {
                push_unique(&mut bound, n);
            }
        }
        Ok(Level {
            nparams: def.params.len(),
            bound,
            globals,
            free: Vec::new(),
            cells: Vec::new(),
            children: Vec::new(),
            hidden: Vec::new(),
        })
    }

    fn binds(&self, n: &str) -> bool {
        self.bound.iter().any(|b| b == n)
    }

    /// The frame layout once the function's body has been walked.
    fn scope(self) -> Scope {
        let mut locals = self.bound;
        locals.extend(self.hidden);
        let mut scope = Scope::new(locals);
        let own: Vec<Option<u32>> = self
            .cells
            .iter()
            .map(|c| {
                let param = scope.locals[..self.nparams].iter().position(|p| p == c);
                param.map(super::resolve::slot_index)
            })
            .collect();
        scope.set_cells(self.free, self.cells, own);
        scope
    }
}

/// The analysis of one top-level unit, with the table of nested scopes it adds to.
struct Walk<'a> {
    path: &'a str,
    stack: Vec<Level>,
    nested: &'a mut Nested,
    /// The comprehension variables in scope, innermost last, each with the depth of
    /// the function (`stack.len()`) whose comprehension binds it.
    comp: Vec<(String, usize)>,
    /// The hidden locals of the module's own comprehensions.
    module_hidden: Vec<String>,
}

/// The frame layout of the top-level function or method `def`, numbering and laying
/// out the functions nested in it into `nested`.
pub(crate) fn function(
    def: &mut FunctionDef,
    nested: &mut Nested,
    path: &str,
) -> Result<Scope, Diagnostic> {
    let mut w = Walk {
        path,
        stack: Vec::new(),
        nested,
        comp: Vec::new(),
        module_hidden: Vec::new(),
    };
    w.function(def)
}

/// Numbers and lays out the functions nested in the module's top-level statements;
/// returns the module frame's layout (the hidden locals of its comprehensions).
pub(crate) fn module(
    stmts: &mut [Stmt],
    nested: &mut Nested,
    path: &str,
) -> Result<Scope, Diagnostic> {
    let mut w = Walk {
        path,
        stack: Vec::new(),
        nested,
        comp: Vec::new(),
        module_hidden: Vec::new(),
    };
    w.block(stmts)?;
    Ok(Scope::new(w.module_hidden))
}

impl Walk<'_> {
    fn function(&mut self, def: &mut FunctionDef) -> Result<Scope, Diagnostic> {
        let level = Level::new(def, self.path, &self.stack)?;
        self.stack.push(level);
        let walked = self.block(&mut def.body);
        let level = self.stack.pop().expect("pushed above");
        walked?;
        let children = level.children.clone();
        let scope = level.scope();
        for c in children {
            if let Some(Some(child)) = self.nested.get_mut(c as usize) {
                let capture = child.cells[..child.nfree]
                    .iter()
                    .map(|n| scope.cell(n).unwrap_or(u32::MAX))
                    .collect();
                child.capture = capture;
            }
        }
        Ok(scope)
    }

    /// A nested `def` or lambda met in the current level.
    fn nested(&mut self, def: &mut FunctionDef) -> Result<(), Diagnostic> {
        for p in &mut def.params {
            if let Some(d) = &mut p.default {
                self.expr(d)?;
            }
        }
        let id = super::resolve::slot_index(self.nested.len());
        def.id = id;
        self.nested.push(None);
        if let Some(top) = self.stack.last_mut() {
            top.children.push(id);
        }
        let scope = self.function(def)?;
        self.nested[id as usize] = Some(scope);
        Ok(())
    }

    /// A use (read or write) of `n` at `span` in the innermost function.
    fn name(&mut self, n: &str, span: Span) -> Result<(), Diagnostic> {
        if let Some(&(_, depth)) = self.comp.iter().rev().find(|(c, _)| c == n) {
            if depth == self.stack.len() {
                return Ok(()); // a comprehension variable of this function
            }
            // A function made inside the comprehension: its own variable, or the
            // comprehension's (which it cannot capture: it lives in a hidden slot).
            let inner = self.stack.get(depth..).unwrap_or(&[]);
            if inner
                .iter()
                .any(|l| l.binds(n) || l.globals.iter().any(|g| g == n))
            {
                self.use_name(n);
                return Ok(());
            }
            return Err(Diagnostic::new(
                self.path,
                span,
                format!(
                    "a function inside a comprehension cannot use its variable `{n}` \
                     (pass it as a default: `lambda {n}={n}: ...`)"
                ),
            ));
        }
        self.use_name(n);
        Ok(())
    }

    fn use_name(&mut self, n: &str) {
        let Some(top) = self.stack.len().checked_sub(1) else {
            return; // the module: a global
        };
        let level = &self.stack[top];
        if level.binds(n) || level.globals.iter().any(|g| g == n) {
            return;
        }
        for g in (0..top).rev() {
            if self.stack[g].globals.iter().any(|x| x == n) {
                break; // declared global there: global here too
            }
            if self.stack[g].binds(n) {
                push_unique(&mut self.stack[g].cells, n);
                for l in &mut self.stack[g + 1..] {
                    push_unique(&mut l.free, n);
                }
                return;
            }
        }
    }

    fn block(&mut self, stmts: &mut [Stmt]) -> Result<(), Diagnostic> {
        stmts.iter_mut().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, s: &mut Stmt) -> Result<(), Diagnostic> {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) => self.expr(e),
            StmtKind::Assign { target, value } | StmtKind::AugAssign { target, value, .. } => {
                self.expr(value)?;
                self.target(target)
            }
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    self.expr(&mut b.cond)?;
                    self.block(&mut b.body)?;
                }
                self.block(orelse)
            }
            StmtKind::While { cond, body } => {
                self.expr(cond)?;
                self.block(body)
            }
            StmtKind::For { target, iter, body } => {
                self.expr(iter)?;
                self.target(target)?;
                self.block(body)
            }
            StmtKind::Assert { test, msg } => {
                self.expr(test)?;
                msg.as_mut().map_or(Ok(()), |m| self.expr(m))
            }
            StmtKind::With { item, target, body } => {
                self.expr(item)?;
                if let Some(t) = target {
                    self.target(t)?;
                }
                self.block(body)
            }
            StmtKind::Def(def) => {
                self.name(&def.name.clone(), def.span)?;
                self.nested(def)
            }
            StmtKind::Class(c) => {
                // The class body is no scope: its attributes are evaluated in the
                // enclosing function, its methods are functions nested in it.
                self.name(&c.name.clone(), c.span)?;
                for a in &mut c.attrs {
                    self.expr(&mut a.value)?;
                }
                c.methods.iter_mut().try_for_each(|m| self.nested(m))
            }
            StmtKind::Try(t) => {
                self.block(&mut t.body)?;
                for h in &mut t.handlers {
                    if let Some(c) = &mut h.class {
                        self.expr(c)?;
                    }
                    if let Some(n) = &mut h.name {
                        self.target(n)?;
                    }
                    self.block(&mut h.body)?;
                }
                self.block(&mut t.orelse)?;
                self.block(&mut t.finalbody)
            }
            StmtKind::Raise(Some(e)) => self.expr(e),
            StmtKind::Nonlocal(names) => {
                for n in names.clone() {
                    self.name(&n, s.span)?;
                }
                Ok(())
            }
            StmtKind::Return(None)
            | StmtKind::Raise(None)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Global(_) => Ok(()),
        }
    }

    fn target(&mut self, t: &mut Target) -> Result<(), Diagnostic> {
        match &mut t.kind {
            TargetKind::Name(n) => {
                let n = n.clone();
                self.name(&n, t.span)
            }
            TargetKind::Attribute { value, .. } => self.expr(value),
            TargetKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)
            }
            TargetKind::Tuple(ts) => ts.iter_mut().try_for_each(|t| self.target(t)),
        }
    }

    fn expr(&mut self, e: &mut Expr) -> Result<(), Diagnostic> {
        match &mut e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None => Ok(()),
            ExprKind::Name(n) => {
                let n = n.clone();
                self.name(&n, e.span)
            }
            ExprKind::List(items)
            | ExprKind::Tuple(items)
            | ExprKind::Set(items)
            | ExprKind::Logic { values: items, .. } => {
                items.iter_mut().try_for_each(|i| self.expr(i))
            }
            ExprKind::Dict(entries) => entries.iter_mut().try_for_each(|(k, v)| {
                self.expr(k)?;
                self.expr(v)
            }),
            ExprKind::Attribute { value, .. }
            | ExprKind::Unary { operand: value, .. }
            | ExprKind::Starred(value) => self.expr(value),
            ExprKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)
            }
            ExprKind::Slice { lower, upper, step } => [lower, upper, step]
                .into_iter()
                .flatten()
                .try_for_each(|x| self.expr(x)),
            ExprKind::Call(c) => {
                self.expr(&mut c.func)?;
                c.args.iter_mut().try_for_each(|a| self.expr(a))?;
                c.kwargs
                    .iter_mut()
                    .try_for_each(|k| self.expr(&mut k.value))
            }
            ExprKind::Binary { left, rest } => {
                self.expr(left)?;
                rest.iter_mut().try_for_each(|o| self.expr(&mut o.right))
            }
            ExprKind::Compare { left, rest } => {
                self.expr(left)?;
                rest.iter_mut().try_for_each(|c| self.expr(&mut c.right))
            }
            ExprKind::IfExp { cond, then, orelse } => {
                self.expr(cond)?;
                self.expr(then)?;
                self.expr(orelse)
            }
            ExprKind::Lambda(def) => self.nested(def),
            ExprKind::Comp(c) => {
                let mark = self.comp.len();
                let r = self.comprehension(c);
                self.comp.truncate(mark);
                r
            }
        }
    }

    /// A comprehension: each iterable sees the variables of the clauses before it; the
    /// filters and the element see them all.
    fn comprehension(&mut self, c: &mut Comprehension) -> Result<(), Diagnostic> {
        for g in &mut c.generators {
            self.expr(&mut g.iter)?;
            self.comp_target(&g.target);
            g.ifs.iter_mut().try_for_each(|x| self.expr(x))?;
        }
        self.expr(&mut c.elt)?;
        c.value.as_mut().map_or(Ok(()), |v| self.expr(v))
    }

    /// Binds a comprehension's target names: a hidden local each.
    fn comp_target(&mut self, t: &Target) {
        match &t.kind {
            TargetKind::Name(n) => {
                let hidden = hidden_name(n, t.span);
                match self.stack.last_mut() {
                    Some(level) => level.hidden.push(hidden),
                    None => self.module_hidden.push(hidden),
                }
                self.comp.push((n.clone(), self.stack.len()));
            }
            TargetKind::Tuple(ts) => ts.iter().for_each(|t| self.comp_target(t)),
            // Attribute and item targets store into objects: nothing to bind.
            TargetKind::Attribute { .. } | TargetKind::Subscript { .. } => {}
        }
    }
}
