//! Classes defined inside functions and blocks ([`StmtKind::Class`]), before and after
//! names are resolved: their numbering, bases and inherited methods, and the resolved
//! copies the interpreter looks their methods up in.
//!
//! # Design
//!
//! PyTorch's tests define their modules inside the test function, closing over its other
//! locals (`add_one`, another local class). A local class is therefore two things:
//!
//! * **A static shape, numbered once.** Every class statement gets an id after the
//!   top-level classes (walk order: top-level functions, then methods, then the module's
//!   statements; nested bodies depth-first), so that an instance's class is an index as
//!   for top-level classes and `getattr`, `super()` and the method tables work unchanged
//!   ([`Code::class`](super::resolve::Code::class)). Inheritance is by copying, as for
//!   top-level classes (`classes.rs`): a local class's base is a local class visible at
//!   that point (defined earlier in the same function or an enclosing one) or a
//!   top-level class, else a library module class.
//! * **A run-time value with closures.** Each method (copies of inherited ones included)
//!   is a nested function of the enclosing function (`scopes.rs` walks it as one): its
//!   free variables are cells of the enclosing frame, captured when the class statement
//!   runs. The interpreter's class value holds those closures and every instance points
//!   to it (`interp/local_classes.rs`), so late binding and purity instrumentation are
//!   those of nested `def`s.
//!
//! A method a local class inherits from a top-level class (directly or through a local
//! base) is that top-level method, no closure: its copy (its signature only, the body
//! dropped) keeps the class's method table whole (names and indices), and
//! [`Prepared::origins`] sends calls to the original, so its names mean what they mean
//! at the top level, as in Python.

use super::classes::{base_of, copy_inherited};
use crate::ast::*;
use crate::diag::Diagnostic;

/// What the numbering of local classes found, by local class (`id - ntop`).
pub(crate) struct Prepared {
    /// Each local class's model base class (a class id).
    pub bases: Vec<Option<usize>>,
    /// For each method of each local class, the top-level class and method index it was
    /// inherited from, if it was (see the module's design note).
    pub origins: Vec<Vec<Option<(usize, usize)>>>,
}

/// The walk that numbers local classes and copies what they inherit.
struct Prepare<'a> {
    /// The program's top-level classes (already inherited) and imports, for lookups.
    view: &'a Program,
    /// The local classes numbered so far (after inheritance), by `id - ntop`.
    done: Vec<ClassDef>,
    /// Each local class's model base class (a class id), by `id - ntop`.
    bases: Vec<Option<usize>>,
    /// Each local class's methods' top-level origins, by `id - ntop`.
    origins: Vec<Vec<Option<(usize, usize)>>>,
    /// The local classes visible at this point of the walk: name and id, innermost last.
    visible: Vec<(String, usize)>,
}

/// Numbers every class statement of `program`, resolves its base and copies the base's
/// methods and attributes into it (see the module's design note).
pub(crate) fn prepare(program: &mut Program) -> Result<Prepared, Diagnostic> {
    let view = Program {
        path: program.path.clone(),
        source: String::new(),
        expect: None,
        expect_span: None,
        stmts: Vec::new(),
        functions: Vec::new(),
        classes: program.classes.clone(),
        imports: program.imports.clone(),
    };
    let mut w = Prepare {
        view: &view,
        done: Vec::new(),
        bases: Vec::new(),
        origins: Vec::new(),
        visible: Vec::new(),
    };
    for f in &mut program.functions {
        w.function(f)?;
    }
    for m in program
        .classes
        .iter_mut()
        .flat_map(|c| c.methods.iter_mut())
    {
        w.function(m)?;
    }
    w.block(&mut program.stmts)?;
    Ok(Prepared {
        bases: w.bases,
        origins: w.origins,
    })
}

impl Prepare<'_> {
    fn function(&mut self, def: &mut FunctionDef) -> Result<(), Diagnostic> {
        let depth = self.visible.len();
        let r = self.block(&mut def.body);
        self.visible.truncate(depth);
        r
    }

    fn block(&mut self, stmts: &mut [Stmt]) -> Result<(), Diagnostic> {
        for s in stmts {
            match &mut s.kind {
                StmtKind::If { branches, orelse } => {
                    for b in branches {
                        self.block(&mut b.body)?;
                    }
                    self.block(orelse)?;
                }
                StmtKind::While { body, .. }
                | StmtKind::For { body, .. }
                | StmtKind::With { body, .. } => self.block(body)?,
                StmtKind::Try(t) => {
                    self.block(&mut t.body)?;
                    for h in &mut t.handlers {
                        self.block(&mut h.body)?;
                    }
                    self.block(&mut t.orelse)?;
                    self.block(&mut t.finalbody)?;
                }
                StmtKind::Def(def) => self.function(def)?,
                StmtKind::Class(c) => self.class(c)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn class(&mut self, c: &mut ClassDef) -> Result<(), Diagnostic> {
        let ntop = self.view.classes.len();
        let base = self.base(c)?;
        let mut origins = vec![None; c.methods.len()];
        if let Some(b) = base {
            let def = match b.checked_sub(ntop) {
                Some(k) => self.done.get(k),
                None => self.view.classes.get(b),
            };
            if let Some(def) = def.cloned() {
                for j in copy_inherited(&def, c) {
                    // A top-level base's method is itself; a local base's keeps its origin.
                    origins.push(match b.checked_sub(ntop) {
                        Some(k) => self
                            .origins
                            .get(k)
                            .and_then(|o| o.get(j))
                            .copied()
                            .flatten(),
                        None => Some((b, j)),
                    });
                }
            }
        }
        // A method run as its top-level original keeps only its signature here: its
        // body is not walked (nor resolved) in this class's position.
        for (m, o) in c.methods.iter_mut().zip(&origins) {
            if o.is_some() {
                m.body = vec![Stmt {
                    kind: StmtKind::Pass,
                    span: m.span,
                }];
            }
        }
        let id = ntop + self.done.len();
        c.id = super::resolve::slot_index(id);
        self.done.push(c.clone());
        self.bases.push(base);
        self.origins.push(origins);
        for m in &mut c.methods {
            self.function(m)?;
        }
        // Visible after its statement, to the rest of the enclosing body.
        self.visible.push((c.name.clone(), id));
        Ok(())
    }

    /// The model class `c` derives from (a class id), if any; an unsupported base is a
    /// located error, as for top-level classes.
    fn base(&self, c: &ClassDef) -> Result<Option<usize>, Diagnostic> {
        let p = self.view;
        base_of(p, c, " defined before it", |t| {
            let local = self.visible.iter().rev().find(|(n, _)| n == t);
            local
                .map(|&(_, id)| id)
                .or_else(|| p.classes.iter().position(|k| k.name == t))
        })
    }
}

/// The resolved local classes of `program`, in id order (`ntop` top-level classes come
/// first), collected from the tree once every name in it has its slot.
pub(crate) fn collect(program: &Program) -> Vec<ClassDef> {
    fn block(stmts: &[Stmt], out: &mut Vec<ClassDef>) {
        for s in stmts {
            match &s.kind {
                StmtKind::Def(def) => block(&def.body, out),
                StmtKind::Class(c) => {
                    out.push((**c).clone());
                    c.methods.iter().for_each(|m| block(&m.body, out));
                }
                kind => kind.blocks().for_each(|b| block(b, out)),
            }
        }
    }
    let mut out = Vec::new();
    for f in &program.functions {
        block(&f.body, &mut out);
    }
    for m in program.classes.iter().flat_map(|c| c.methods.iter()) {
        block(&m.body, &mut out);
    }
    block(&program.stmts, &mut out);
    out.sort_by_key(|c| c.id);
    out
}
