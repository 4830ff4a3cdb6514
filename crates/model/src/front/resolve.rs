//! Name resolution: what every name of a model denotes, decided once when it is loaded.
//!
//! Python scoping: a name assigned anywhere in a function (and not declared `global`
//! there), or a parameter, is local to the whole function; every other name is global.
//! The global variables of a model are the names assigned by top-level statements and
//! the names declared `global` in any function, so the set is known before the model
//! runs; the interpreter gives each one an instrumented cell. A name that is no variable
//! denotes the top-level function or class of that name, else the builtin. A name a
//! nested function (or lambda) uses from an enclosing function is a cell of both
//! (`scopes.rs` decides which, and lays out every function's frame).
//!
//! # Design
//!
//! * **Frames by index.** [`resolve`] lays out each function's frame (its [`Scope`]: the
//!   parameters first, in order, then the other locals in order of first assignment) and
//!   numbers the globals (sorted by name: the interpreter creates their cells in that
//!   order, so object numbers in reports follow it). `slots.rs` then writes into every
//!   name of the tree the [`Slot`] it denotes; the interpreter reads and writes frames and
//!   global cells through those slots and never looks a name up at run time.
//! * **Unset globals.** A global variable read before its first assignment falls back to
//!   what the name would denote if it were no variable (a function, class or builtin of
//!   the same name), as Python's global-then-builtin lookup does: that fallback is
//!   resolved here too ([`Code::global_fallbacks`]).
//! * **Checks after slots.** The static checks (`checks.rs`) run on the resolved tree:
//!   an unknown name is one whose slot stayed [`Slot::Unresolved`], reported in the same
//!   walk order (and with the same words) as before slots existed.

use crate::ast::*;
use crate::builtins;
use crate::diag::Diagnostic;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The frame layout of one function or method.
pub(crate) struct Scope {
    /// The locals' names by slot: the parameters in order, then the other assigned names
    /// in order of first assignment.
    pub locals: Vec<String>,
    /// Name -> slot.
    index: BTreeMap<String, u32>,
    /// The cells' names by index: the free variables, then the function's own variables
    /// that nested functions capture (see `scopes.rs`). A captured name is a cell, never
    /// a plain local (a captured parameter is bound to its local slot, then moved into
    /// its cell when the call starts).
    pub cells: Vec<String>,
    /// Name -> cell index.
    cell_index: BTreeMap<String, u32>,
    /// How many of the cells are free variables.
    pub nfree: usize,
    /// For each own cell (after the free ones), the local slot of the parameter whose
    /// argument it starts with, if it is a parameter.
    pub cell_init: Vec<Option<u32>>,
    /// For a nested function: the enclosing frame's cell index of each free variable.
    pub capture: Vec<u32>,
}

impl Scope {
    pub(crate) fn new(locals: Vec<String>) -> Scope {
        let index = locals
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), slot_index(i)))
            .collect();
        Scope {
            locals,
            index,
            cells: Vec::new(),
            cell_index: BTreeMap::new(),
            nfree: 0,
            cell_init: Vec::new(),
            capture: Vec::new(),
        }
    }

    /// Sets the cells: `free` variables, then `own` captured ones with their parameter
    /// slots `init`.
    pub(crate) fn set_cells(
        &mut self,
        free: Vec<String>,
        own: Vec<String>,
        init: Vec<Option<u32>>,
    ) {
        self.nfree = free.len();
        self.cells = free.into_iter().chain(own).collect();
        self.cell_index = self
            .cells
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), slot_index(i)))
            .collect();
        self.cell_init = init;
    }

    /// The slot of the local `name`.
    pub(crate) fn slot(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The cell index of `name`, if it is a cell of this frame.
    pub(crate) fn cell(&self, name: &str) -> Option<u32> {
        self.cell_index.get(name).copied()
    }
}

/// A table index as a slot's `u32` (a model has far fewer names; saturates rather than
/// wrapping).
pub(crate) fn slot_index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A loaded model: the resolved tree plus what the interpreter needs to run it.
pub(crate) struct Code {
    /// The tree, every name carrying its [`Slot`].
    pub program: Program,
    /// The model's path, leaked once so that source spans can name it.
    pub file: &'static str,
    /// Where each global variable (sorted by name, as [`Slot::Global`] numbers them) is
    /// first defined: its first top-level assignment, else its first `global`
    /// declaration.
    pub global_spans: Vec<Span>,
    /// What each global's name denotes while the variable is unset: a
    /// [`Slot::Function`], [`Slot::Class`] or [`Slot::Builtin`] of the same name, else
    /// [`Slot::Unresolved`] (parallel to `global_spans`).
    pub global_fallbacks: Vec<Slot>,
    /// The scope of each top-level function (same order as `program.functions`).
    pub functions: Vec<Scope>,
    /// The scope of each method, per class.
    pub methods: Vec<Vec<Scope>>,
    /// Each top-level function's name, shared by the function values made from it.
    pub function_names: Vec<Arc<str>>,
    /// Each class's name, shared by the class values made from it.
    pub class_names: Vec<Arc<str>>,
    /// The names that are no variable: top-level functions, classes and builtins.
    pub names: Names,
    /// The entry point's name: `main` unless `--entry` names another function.
    pub entry: String,
    /// Whether the source mentions `grad` at all: a model that does not cannot reach the
    /// grad-mode functions (`no_grad`, `set_grad_enabled`, ...: every way to them spells
    /// the word), so its tasks need no grad-mode flags (see `interp/torch.rs`).
    pub uses_grad: bool,
    /// The annotation errors of nested functions, by `id`: raised when the `def` runs,
    /// as TorchScript raises them when it compiles the function (see `annot.rs`).
    pub deferred: BTreeMap<u32, Diagnostic>,
    /// The scope of each nested function and lambda, by its `id`.
    pub nested: Vec<Scope>,
    /// Each nested function and lambda (a resolved copy of the tree's node), by `id`.
    pub nested_defs: Vec<FunctionDef>,
    /// The module frame's layout: the hidden locals of its comprehensions.
    pub module: Scope,
    /// The classes defined inside functions and blocks (resolved copies of the tree's
    /// [`StmtKind::Class`] nodes), by `id` minus the number of top-level classes (see
    /// `local_classes.rs`).
    pub local_classes: Vec<ClassDef>,
    /// Each class's model base class, by class id (top-level classes, then local ones).
    pub bases: Vec<Option<usize>>,
    /// For each method of each local class (by `id` minus the number of top-level
    /// classes), the top-level class and method it was inherited from, if it was.
    pub local_origins: Vec<Vec<Option<(usize, usize)>>>,
}

impl Code {
    /// The top-level function called `name`: its index and definition.
    pub(crate) fn function(&self, name: &str) -> Option<(usize, &FunctionDef)> {
        let i = *self.names.functions.get(name)?;
        Some((i, &self.program.functions[i]))
    }

    /// The class with id `i`: a top-level class, or a class defined inside a function or
    /// block.
    pub(crate) fn class(&self, i: usize) -> Option<&ClassDef> {
        let top = &self.program.classes;
        match i.checked_sub(top.len()) {
            Some(k) => self.local_classes.get(k),
            None => top.get(i),
        }
    }
}

/// The names of a model that are no variable, by what they denote.
pub(crate) struct Names {
    /// Top-level function name -> index in `program.functions`.
    pub functions: BTreeMap<String, usize>,
    /// Class name -> index in `program.classes`.
    pub classes: BTreeMap<String, usize>,
    /// Imported name -> the module or member it denotes (see `pyfile.rs`).
    pub imports: BTreeMap<String, builtins::Builtin>,
}

impl Names {
    pub(crate) fn new(program: &Program) -> Names {
        // Names are unique (the parser rejects a second definition).
        let index = |names: &mut dyn Iterator<Item = &String>| -> BTreeMap<String, usize> {
            let mut map = BTreeMap::new();
            for (i, n) in names.enumerate() {
                map.entry(n.clone()).or_insert(i);
            }
            map
        };
        // Import paths were checked by `check_imports`; a later import of a name wins.
        let imports = program
            .imports
            .iter()
            .filter_map(|i| Some((i.name.clone(), crate::interp::torch::lookup(&i.path)?)))
            .collect();
        Names {
            functions: index(&mut program.functions.iter().map(|f| &f.name)),
            classes: index(&mut program.classes.iter().map(|c| &c.name)),
            imports,
        }
    }

    /// What `name` denotes if it is no variable: a function, else a class, else a
    /// builtin, else nothing ([`Slot::Unresolved`]).
    pub(crate) fn constant(&self, name: &str) -> Slot {
        if let Some(&i) = self.functions.get(name) {
            Slot::Function(slot_index(i))
        } else if let Some(&i) = self.classes.get(name) {
            Slot::Class(slot_index(i))
        } else if let Some(&b) = self.imports.get(name) {
            Slot::Builtin(b)
        } else {
            builtins::lookup(name).map_or(Slot::Unresolved, Slot::Builtin)
        }
    }
}

/// How the arguments of a call map to a function's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    /// The i-th positional argument.
    Pos(usize),
    /// The j-th keyword argument.
    Kw(usize),
    /// The parameter's default.
    Default,
    /// A `*args` parameter: the positional arguments from the i-th on, as a tuple.
    Rest(usize),
}

/// Binds `npos` positional and the keyword arguments `kws` to `params` (skipping the
/// first `skip`, the receiver), with Python's error messages.
pub(crate) fn bind(
    name: &str,
    params: &[Param],
    skip: usize,
    npos: usize,
    kws: &[&str],
) -> Result<Vec<Binding>, String> {
    let params = params.get(skip..).unwrap_or(&[]);
    let rest = params.last().filter(|p| p.star).map(|_| params.len() - 1);
    if let Some(r) = rest {
        // The `*args` parameter takes the extra positionals; bind the others.
        let mut out = bind(name, &params[..r], 0, npos.min(r), kws)?;
        if kws.contains(&params[r].name.as_str()) {
            let kw = &params[r].name;
            return Err(format!(
                "{name}() got an unexpected keyword argument '{kw}'"
            ));
        }
        out.push(Binding::Rest(r));
        return Ok(out);
    }
    if npos > params.len() {
        let required = params.iter().filter(|p| p.default.is_none()).count();
        let takes = if required == params.len() {
            format!("{}", params.len())
        } else {
            format!("from {required} to {}", params.len())
        };
        let s = if params.len() == 1 { "" } else { "s" };
        let were = if npos == 1 { "was" } else { "were" };
        return Err(format!(
            "{name}() takes {takes} positional argument{s} but {npos} {were} given"
        ));
    }
    let mut out: Vec<Option<Binding>> = (0..params.len())
        .map(|i| (i < npos).then_some(Binding::Pos(i)))
        .collect();
    for (j, kw) in kws.iter().enumerate() {
        let Some(i) = params.iter().position(|p| p.name == *kw) else {
            return Err(format!(
                "{name}() got an unexpected keyword argument '{kw}'"
            ));
        };
        if out[i].is_some() {
            return Err(format!("{name}() got multiple values for argument '{kw}'"));
        }
        out[i] = Some(Binding::Kw(j));
    }
    let missing: Vec<String> = params
        .iter()
        .zip(&out)
        .filter(|(p, b)| b.is_none() && p.default.is_none())
        .map(|(p, _)| format!("'{}'", p.name))
        .collect();
    if !missing.is_empty() {
        let s = if missing.len() == 1 { "" } else { "s" };
        return Err(format!(
            "{name}() missing {} required positional argument{s}: {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    Ok(out
        .into_iter()
        .map(|b| b.unwrap_or(Binding::Default))
        .collect())
}

/// Every name assigned by `stmts` (assignment, augmented assignment, `for` and `with`
/// targets, nested `def`s, in nested blocks too) with the span of its target, in source
/// order, repeats included.
pub(crate) fn assigned_in<'a>(stmts: &'a [Stmt], out: &mut Vec<(&'a str, Span)>) {
    fn target<'a>(t: &'a Target, out: &mut Vec<(&'a str, Span)>) {
        match &t.kind {
            TargetKind::Name(n) => out.push((n, t.span)),
            TargetKind::Tuple(ts) => ts.iter().for_each(|t| target(t, out)),
            _ => {}
        }
    }
    for s in stmts {
        match &s.kind {
            StmtKind::Assign { target: t, .. } | StmtKind::AugAssign { target: t, .. } => {
                target(t, out)
            }
            StmtKind::For {
                target: t, body, ..
            } => {
                target(t, out);
                assigned_in(body, out);
            }
            StmtKind::With {
                target: t, body, ..
            } => {
                if let Some(t) = t {
                    target(t, out);
                }
                assigned_in(body, out);
            }
            StmtKind::If { branches, orelse } => {
                branches.iter().for_each(|b| assigned_in(&b.body, out));
                assigned_in(orelse, out);
            }
            StmtKind::While { body, .. } => assigned_in(body, out),
            StmtKind::Def(def) => out.push((&def.name, s.span)),
            StmtKind::Class(c) => out.push((&c.name, s.span)),
            StmtKind::Try(t) => {
                assigned_in(&t.body, out);
                for h in &t.handlers {
                    if let Some(n) = &h.name {
                        target(n, out);
                    }
                    assigned_in(&h.body, out);
                }
                assigned_in(&t.orelse, out);
                assigned_in(&t.finalbody, out);
            }
            _ => {}
        }
    }
}

/// The `global` declarations of a function body (and of the functions nested in it),
/// with the statement's span.
fn declarations(stmts: &[Stmt], out: &mut BTreeMap<String, Span>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Global(names) => {
                for n in names {
                    out.entry(n.clone()).or_insert(s.span);
                }
            }
            StmtKind::Def(def) => declarations(&def.body, out),
            StmtKind::Class(c) => c.methods.iter().for_each(|m| declarations(&m.body, out)),
            _ => {}
        }
        s.kind.blocks().for_each(|b| declarations(b, out));
    }
}

/// The global variables, sorted, each with where it is first defined: its first
/// top-level assignment, else its first `global` declaration.
fn globals_of(program: &Program) -> (Vec<String>, Vec<Span>) {
    let mut defined: BTreeMap<String, Span> = BTreeMap::new();
    let mut assigned = Vec::new();
    assigned_in(&program.stmts, &mut assigned);
    for (n, span) in assigned {
        defined.entry(n.to_string()).or_insert(span);
    }
    let all_methods = program.classes.iter().flat_map(|c| c.methods.iter());
    for f in program.functions.iter().chain(all_methods) {
        declarations(&f.body, &mut defined);
    }
    declarations(&program.stmts, &mut defined);
    defined.into_iter().unzip()
}

/// Resolves every name of `program`, then runs the static checks.
#[cfg(test)]
pub(crate) fn resolve(program: Program, file: &'static str) -> Result<Code, Diagnostic> {
    resolve_entry(program, file, "main")
}

/// Resolves every name of `program`, then runs the static checks; `entry` names the
/// function the model runs (`main`, or `--entry NAME`).
pub(crate) fn resolve_entry(
    mut program: Program,
    file: &'static str,
    entry: &str,
) -> Result<Code, Diagnostic> {
    let path = program.path.clone();
    super::classes::check_imports(&program)?;
    super::classes::inherit(&mut program)?;
    let mut bases = Vec::with_capacity(program.classes.len());
    for c in &program.classes {
        bases.push(super::classes::user_base(&program, c)?);
    }
    let prepared = super::local_classes::prepare(&mut program)?;
    bases.extend(prepared.bases);
    let local_origins = prepared.origins;
    let (globals, global_spans) = globals_of(&program);
    let mut nested = Vec::new();
    let functions = program
        .functions
        .iter_mut()
        .map(|f| super::scopes::function(f, &mut nested, &path))
        .collect::<Result<Vec<_>, _>>()?;
    let methods = program
        .classes
        .iter_mut()
        .map(|c| {
            c.methods
                .iter_mut()
                .map(|m| super::scopes::function(m, &mut nested, &path))
                .collect()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let module = super::scopes::module(&mut program.stmts, &mut nested, &path)?;
    let nested: Vec<Scope> = nested
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Scope::new(Vec::new())))
        .collect();
    let names = Names::new(&program);
    let global_fallbacks = globals.iter().map(|g| names.constant(g)).collect();
    let scopes = super::slots::Scopes {
        module: &module,
        functions: &functions,
        methods: &methods,
        nested: &nested,
    };
    let nested_defs = super::slots::assign(&mut program, &globals, &names, &scopes);
    let local_classes = super::local_classes::collect(&program);
    let function_names = program.functions.iter().map(|f| Arc::from(&*f.name));
    let all_classes = program.classes.iter().chain(&local_classes);
    let class_names = all_classes.map(|c| Arc::from(&*c.name));
    let uses_grad = program.source.contains("grad");
    let mut code = Code {
        deferred: BTreeMap::new(),
        function_names: function_names.collect(),
        class_names: class_names.collect(),
        program,
        file,
        global_spans,
        global_fallbacks,
        functions,
        methods,
        names,
        entry: entry.to_string(),
        uses_grad,
        nested,
        nested_defs,
        module,
        local_classes,
        bases,
        local_origins,
    };
    code.deferred = super::checks::check(&code)?;
    Ok(code)
}
