//! Name resolution and the static checks run when a model is loaded.
//!
//! Python scoping: a name assigned anywhere in a function (and not declared `global`
//! there) is local to the whole function; every other name is global. The global
//! variables of a model are the names assigned by top-level statements and the names
//! declared `global` in any function, so the set is known before the model runs; the
//! interpreter gives each one instrumented cell.
//!
//! Checked statically (a load error, `file:line:col` with a caret): a missing `main()`,
//! unknown names, argument counts of direct calls to top-level functions, classes and
//! builtins (and of `fork(f, ...)` for such an `f`), operators on literals of the wrong
//! types (`1 + "a"`) and calls of literals (`3()`). The same errors on values known only
//! at run time are runtime errors.

use crate::ast::*;
use crate::builtins;
use crate::diag::Diagnostic;
use crate::ops;
use crate::value::Value;
use forkwait::sync::StateClass;
use std::collections::{BTreeMap, BTreeSet};

/// The local variables of one function or method, by name (sorted; a local's slot is its
/// index).
pub(crate) struct Scope {
    pub locals: Vec<String>,
}

impl Scope {
    pub(crate) fn slot(&self, name: &str) -> Option<usize> {
        self.locals.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }
}

/// A loaded model: the tree plus what the interpreter needs to run it.
pub(crate) struct Code {
    pub program: Program,
    /// The model's path, leaked once so that source spans can name it.
    pub file: &'static str,
    /// The global variables, sorted.
    pub globals: Vec<String>,
    /// Where each global is first defined: its first top-level assignment, else its first
    /// `global` declaration (parallel to `globals`).
    pub global_spans: Vec<Span>,
    /// The scope of each top-level function (same order as `program.functions`).
    pub functions: Vec<Scope>,
    /// The scope of each method, per class.
    pub methods: Vec<Vec<Scope>>,
    /// Top-level function name -> index in `program.functions` (lookups stay logarithmic
    /// however many functions a file defines).
    pub function_index: BTreeMap<String, usize>,
    /// Class name -> index in `program.classes`.
    pub class_index: BTreeMap<String, usize>,
}

impl Code {
    /// The top-level function called `name`: its index and definition.
    pub(crate) fn function(&self, name: &str) -> Option<(usize, &FunctionDef)> {
        let i = *self.function_index.get(name)?;
        Some((i, &self.program.functions[i]))
    }

    /// The class called `name`: its index and definition.
    pub(crate) fn class(&self, name: &str) -> Option<(usize, &ClassDef)> {
        let i = *self.class_index.get(name)?;
        Some((i, &self.program.classes[i]))
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

fn assigned(t: &Target, out: &mut BTreeSet<String>) {
    match &t.kind {
        TargetKind::Name(n) => {
            out.insert(n.clone());
        }
        TargetKind::Tuple(ts) => ts.iter().for_each(|t| assigned(t, out)),
        _ => {}
    }
}

fn assigned_in(stmts: &[Stmt], out: &mut BTreeSet<String>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Assign { target, .. } | StmtKind::AugAssign { target, .. } => {
                assigned(target, out)
            }
            StmtKind::For { target, body, .. } => {
                assigned(target, out);
                assigned_in(body, out);
            }
            StmtKind::With { target, body, .. } => {
                if let Some(t) = target {
                    assigned(t, out);
                }
                assigned_in(body, out);
            }
            StmtKind::If { branches, orelse } => {
                branches.iter().for_each(|b| assigned_in(&b.body, out));
                assigned_in(orelse, out);
            }
            StmtKind::While { body, .. } => assigned_in(body, out),
            _ => {}
        }
    }
}

/// The first definition of each name assigned at the top level (in source order).
fn first_assignments(stmts: &[Stmt], out: &mut BTreeMap<String, Span>) {
    fn target(t: &Target, out: &mut BTreeMap<String, Span>) {
        match &t.kind {
            TargetKind::Name(n) => {
                out.entry(n.clone()).or_insert(t.span);
            }
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
                first_assignments(body, out);
            }
            StmtKind::With {
                target: t, body, ..
            } => {
                if let Some(t) = t {
                    target(t, out);
                }
                first_assignments(body, out);
            }
            StmtKind::If { branches, orelse } => {
                branches
                    .iter()
                    .for_each(|b| first_assignments(&b.body, out));
                first_assignments(orelse, out);
            }
            StmtKind::While { body, .. } => first_assignments(body, out),
            _ => {}
        }
    }
}

/// The `global` declarations of a function body, with the statement's span.
fn declarations(stmts: &[Stmt], out: &mut BTreeMap<String, Span>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Global(names) => {
                for n in names {
                    out.entry(n.clone()).or_insert(s.span);
                }
            }
            StmtKind::If { branches, orelse } => {
                branches.iter().for_each(|b| declarations(&b.body, out));
                declarations(orelse, out);
            }
            StmtKind::While { body, .. }
            | StmtKind::For { body, .. }
            | StmtKind::With { body, .. } => declarations(body, out),
            _ => {}
        }
    }
}

fn scope_of(f: &FunctionDef, path: &str) -> Result<Scope, Diagnostic> {
    let globals = f.globals();
    if let Some(p) = f.params.iter().find(|p| globals.contains(&p.name.as_str())) {
        return Err(Diagnostic::new(
            path,
            p.span,
            format!("name '{}' is a parameter and declared global", p.name),
        ));
    }
    let mut names: BTreeSet<String> = f.params.iter().map(|p| p.name.clone()).collect();
    assigned_in(&f.body, &mut names);
    let locals = names
        .into_iter()
        .filter(|n| !globals.contains(&n.as_str()))
        .collect();
    Ok(Scope { locals })
}

/// Builds the interpreter's tables for `program` and runs the static checks.
pub(crate) fn resolve(program: Program, file: &'static str) -> Result<Code, Diagnostic> {
    let path = program.path.clone();
    let mut globals = BTreeSet::new();
    assigned_in(&program.stmts, &mut globals);
    let all_methods = program.classes.iter().flat_map(|c| c.methods.iter());
    for f in program.functions.iter().chain(all_methods) {
        globals.extend(f.globals().into_iter().map(str::to_string));
    }
    let functions = program
        .functions
        .iter()
        .map(|f| scope_of(f, &path))
        .collect::<Result<Vec<_>, _>>()?;
    let methods = program
        .classes
        .iter()
        .map(|c| c.methods.iter().map(|m| scope_of(m, &path)).collect())
        .collect::<Result<Vec<_>, _>>()?;
    let mut defined = BTreeMap::new();
    first_assignments(&program.stmts, &mut defined);
    let all_methods = program.classes.iter().flat_map(|c| c.methods.iter());
    for f in program.functions.iter().chain(all_methods) {
        declarations(&f.body, &mut defined);
    }
    let globals: Vec<String> = globals.into_iter().collect();
    let global_spans = globals
        .iter()
        .map(|g| {
            let first = defined.get(g);
            first.map_or(Span::new(1, 1), |s| *s)
        })
        .collect();
    // Names are unique (the parser rejects a second definition).
    let index = |names: &mut dyn Iterator<Item = &String>| -> BTreeMap<String, usize> {
        let mut map = BTreeMap::new();
        for (i, n) in names.enumerate() {
            map.entry(n.clone()).or_insert(i);
        }
        map
    };
    let function_index = index(&mut program.functions.iter().map(|f| &f.name));
    let class_index = index(&mut program.classes.iter().map(|c| &c.name));
    let code = Code {
        function_index,
        class_index,
        program,
        file,
        global_spans,
        globals,
        functions,
        methods,
    };
    check(&code)?;
    Ok(code)
}

struct Checker<'a> {
    code: &'a Code,
    /// The current function's locals (`None` at the top level).
    scope: Option<&'a Scope>,
}

fn check(code: &Code) -> Result<(), Diagnostic> {
    let p = &code.program;
    let Some((_, main)) = code.function("main") else {
        let at = p
            .expect_span
            .map_or(Span::new(1, 1), |s| Span::new(s.line, 1));
        return Err(p.error(
            at,
            "no `main()` function: a model's entry point is `def main():`",
        ));
    };
    if let Some(param) = main.params.iter().find(|p| p.default.is_none()) {
        return Err(p.error(param.span, "`main()` must take no arguments"));
    }
    let top = Checker { code, scope: None };
    top.block(&p.stmts)?;
    for (f, scope) in p.functions.iter().zip(&code.functions) {
        Checker {
            code,
            scope: Some(scope),
        }
        .function(f)?;
    }
    for (c, scopes) in p.classes.iter().zip(&code.methods) {
        for (m, scope) in c.methods.iter().zip(scopes) {
            Checker {
                code,
                scope: Some(scope),
            }
            .function(m)?;
        }
    }
    Ok(())
}

/// A literal's value, for the checks of operators on literals.
fn literal(e: &Expr) -> Option<Value> {
    Some(match &e.kind {
        ExprKind::Int(i) => Value::Int(*i),
        ExprKind::Float(f) => Value::Float(*f),
        ExprKind::Str(s) => Value::str(s),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::None => Value::None,
        _ => return None,
    })
}

impl Checker<'_> {
    fn err(&self, span: Span, msg: impl Into<String>) -> Diagnostic {
        self.code.program.error(span, msg)
    }

    fn function(&self, f: &FunctionDef) -> Result<(), Diagnostic> {
        for p in &f.params {
            if let Some(d) = &p.default {
                // Defaults are evaluated in the module's scope.
                Checker {
                    code: self.code,
                    scope: None,
                }
                .expr(d)?;
            }
        }
        self.block(&f.body)
    }

    fn block(&self, stmts: &[Stmt]) -> Result<(), Diagnostic> {
        stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn target(&self, t: &Target) -> Result<(), Diagnostic> {
        match &t.kind {
            TargetKind::Name(_) => Ok(()),
            TargetKind::Attribute { value, .. } => self.expr(value),
            TargetKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)
            }
            TargetKind::Tuple(ts) => ts.iter().try_for_each(|t| self.target(t)),
        }
    }

    fn stmt(&self, s: &Stmt) -> Result<(), Diagnostic> {
        match &s.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assign { target, value } => {
                self.expr(value)?;
                self.target(target)
            }
            StmtKind::AugAssign { target, value, .. } => {
                if let TargetKind::Name(n) = &target.kind {
                    self.name(n, target.span)?;
                }
                self.expr(value)?;
                self.target(target)
            }
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    self.expr(&b.cond)?;
                    self.block(&b.body)?;
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
            StmtKind::Return(Some(e)) => self.expr(e),
            StmtKind::Assert { test, msg } => {
                self.expr(test)?;
                msg.as_ref().map_or(Ok(()), |m| self.expr(m))
            }
            StmtKind::With { item, target, body } => {
                self.expr(item)?;
                if let Some(t) = target {
                    self.target(t)?;
                }
                self.block(body)
            }
            StmtKind::Return(None)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Global(_) => Ok(()),
        }
    }

    fn is_local(&self, name: &str) -> bool {
        self.scope.is_some_and(|s| s.slot(name).is_some())
    }

    fn is_global_var(&self, name: &str) -> bool {
        self.code
            .globals
            .binary_search_by(|g| g.as_str().cmp(name))
            .is_ok()
    }

    fn name(&self, n: &str, span: Span) -> Result<(), Diagnostic> {
        if self.is_local(n)
            || self.is_global_var(n)
            || self.code.function(n).is_some()
            || self.code.class(n).is_some()
            || builtins::arity(n).is_some()
        {
            return Ok(());
        }
        Err(self.err(span, format!("name '{n}' is not defined")))
    }

    /// The argument check of calling the name `callee` (if it certainly denotes a
    /// top-level function, class or builtin) with `npos` positional arguments and the
    /// keywords `kws`.
    fn call_arity(&self, callee: &str, npos: usize, kws: &[&str]) -> Result<(), String> {
        if self.is_local(callee) || self.is_global_var(callee) {
            return Ok(());
        }
        if let Some((_, f)) = self.code.function(callee) {
            return bind(callee, &f.params, 0, npos, kws).map(|_| ());
        }
        if let Some((_, c)) = self.code.class(callee) {
            return match c.method("__init__") {
                Some(init) => bind(callee, &init.params, 1, npos, kws).map(|_| ()),
                None if npos + kws.len() > 0 => Err(format!("{callee}() takes no arguments")),
                None => Ok(()),
            };
        }
        if callee == "fork" {
            if npos == 0 {
                return Err("fork() missing the function to fork".into());
            }
            return Ok(());
        }
        if let Some((min, max, allowed_kws)) = builtins::arity(callee) {
            if let Some(k) = kws.iter().find(|k| !allowed_kws.contains(k)) {
                return Err(format!(
                    "{callee}() got an unexpected keyword argument '{k}'"
                ));
            }
            if npos < min || max.is_some_and(|m| npos > m) {
                return Err(builtins::arity_message(callee, min, max, npos));
            }
        }
        Ok(())
    }

    fn expr(&self, e: &Expr) -> Result<(), Diagnostic> {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None => Ok(()),
            ExprKind::Name(n) => self.name(n, e.span),
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                items.iter().try_for_each(|i| self.expr(i))
            }
            ExprKind::Dict(entries) => entries.iter().try_for_each(|(k, v)| {
                self.expr(k)?;
                self.expr(v)
            }),
            ExprKind::Attribute { value, .. } => self.expr(value),
            ExprKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)
            }
            ExprKind::Slice { lower, upper, step } => [lower, upper, step]
                .into_iter()
                .flatten()
                .try_for_each(|x| self.expr(x)),
            ExprKind::Call(c) => self.call(c),
            ExprKind::Unary { op, operand } => {
                self.expr(operand)?;
                if let (Some(v), false) = (literal(operand), *op == UnaryOp::Not) {
                    ops::unary(*op, &v).map_err(|m| self.err(e.span, m))?;
                }
                Ok(())
            }
            ExprKind::Binary { left, rest } => {
                self.expr(left)?;
                rest.iter().try_for_each(|o| self.expr(&o.right))?;
                // Only the first link can have two literal operands (the left operand of
                // the others is the chain so far).
                if let (Some(a), Some(first)) = (literal(left), rest.first()) {
                    if let Some(b) = literal(&first.right) {
                        ops::binary(first.op, &a, &b, StateClass::Input)
                            .map_err(|m| self.err(first.span, m))?;
                    }
                }
                Ok(())
            }
            ExprKind::Logic { values, .. } => values.iter().try_for_each(|v| self.expr(v)),
            ExprKind::Compare { left, rest } => {
                self.expr(left)?;
                rest.iter().try_for_each(|c| self.expr(&c.right))
            }
            ExprKind::IfExp { cond, then, orelse } => {
                self.expr(cond)?;
                self.expr(then)?;
                self.expr(orelse)
            }
        }
    }

    fn call(&self, c: &Call) -> Result<(), Diagnostic> {
        self.expr(&c.func)?;
        c.args.iter().try_for_each(|a| self.expr(a))?;
        c.kwargs.iter().try_for_each(|k| self.expr(&k.value))?;
        let literal_callee = match &c.func.kind {
            ExprKind::Int(_) => Some("int"),
            ExprKind::Float(_) => Some("float"),
            ExprKind::Str(_) => Some("str"),
            ExprKind::Bool(_) => Some("bool"),
            ExprKind::None => Some("NoneType"),
            ExprKind::List(_) => Some("list"),
            ExprKind::Tuple(_) => Some("tuple"),
            ExprKind::Dict(_) => Some("dict"),
            _ => None,
        };
        if let Some(what) = literal_callee {
            return Err(self.err(c.span, format!("'{what}' object is not callable")));
        }
        let kws: Vec<&str> = c.kwargs.iter().map(|k| k.name.as_str()).collect();
        let ExprKind::Name(callee) = &c.func.kind else {
            return Ok(());
        };
        self.call_arity(callee, c.args.len(), &kws)
            .map_err(|m| self.err(c.span, m))?;
        // fork(f, args...) forwards the arguments to f.
        if callee == "fork" && !self.is_local("fork") && !self.is_global_var("fork") {
            if let Some(Expr {
                kind: ExprKind::Name(f),
                span,
            }) = c.args.first()
            {
                if f != "fork" {
                    self.call_arity(f, c.args.len() - 1, &kws)
                        .map_err(|m| self.err(*span, m))?;
                }
            }
        }
        Ok(())
    }
}
