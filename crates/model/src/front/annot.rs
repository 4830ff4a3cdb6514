//! The static check of annotations, where TorchScript checks them: a `Future[T]` whose
//! element type contradicts what the forked function is annotated to return, and a
//! waited value that contradicts its annotation, are located load errors.
//!
//! # Design
//!
//! * **Types from annotations only.** An annotation is read as a [`Ty`] (`int`,
//!   `Future[List[Tensor]]`, ...; `typing` and `torch` names through the file's imports).
//!   Expressions get a type where it is certain: literals, calls of top-level functions
//!   and methods of the enclosing class that have a return annotation, `fork` of those
//!   (`Future[R]`), `wait`/`.wait()` of a future whose type is known,
//!   `torch.jit.annotate(T, e)`, and names annotated in their function (or assigned once
//!   from a typed expression). Everything else is [`Ty::Unknown`], which fits anything:
//!   the check never refuses what it cannot see.
//! * **Where.** An annotated assignment (`x: T = e`), a `return e` in a function with a
//!   return annotation, `torch.jit.annotate(T, e)`, and the positional arguments of a
//!   call of a function (or of a method through `self`) with parameter annotations. `Future` is covariant, as in
//!   TorchScript (`Future[int]` fits `Future[Any]`, not `Future[float]`); tensors are
//!   ints in models, so `Tensor` fits the numbers both ways. `Future` without an element
//!   type is itself an error (TorchScript: "Future without a contained type").

use super::classes::{dotted, torch_path};
use crate::ast::*;
use crate::builtins::Builtin;
use crate::diag::Diagnostic;
use std::collections::BTreeMap;
use std::fmt;

/// A type as annotations write it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    Int,
    Float,
    Bool,
    Str,
    NoneT,
    Tensor,
    Any,
    Future(Box<Ty>),
    List(Box<Ty>),
    Optional(Box<Ty>),
    Tuple(Vec<Ty>),
    /// Not known (or a type the check does not model): fits anything.
    Unknown,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Int => write!(f, "int"),
            Ty::Float => write!(f, "float"),
            Ty::Bool => write!(f, "bool"),
            Ty::Str => write!(f, "str"),
            Ty::NoneT => write!(f, "None"),
            Ty::Tensor => write!(f, "Tensor"),
            Ty::Any => write!(f, "Any"),
            Ty::Future(t) => write!(f, "Future[{t}]"),
            Ty::List(t) => write!(f, "List[{t}]"),
            Ty::Optional(t) => write!(f, "Optional[{t}]"),
            Ty::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(Ty::to_string).collect();
                write!(f, "Tuple[{}]", inner.join(", "))
            }
            Ty::Unknown => write!(f, "?"),
        }
    }
}

/// Whether a value of type `actual` fits where `declared` is expected.
pub(crate) fn fits(actual: &Ty, declared: &Ty) -> bool {
    use Ty::*;
    let number = |t: &Ty| matches!(t, Int | Float | Bool | Tensor);
    match (actual, declared) {
        (Unknown, _) | (_, Unknown) | (_, Any) | (Any, _) => true,
        (Tensor, d) => number(d),
        (a, Tensor) => number(a),
        (Future(a), Future(d)) | (List(a), List(d)) => fits(a, d),
        (Optional(a), Optional(d)) => fits(a, d),
        (NoneT, Optional(_)) => true,
        (a, Optional(d)) => fits(a, d),
        (Tuple(a), Tuple(d)) => a.len() == d.len() && a.iter().zip(d).all(|(a, d)| fits(a, d)),
        (a, d) => a == d,
    }
}

/// What one function's check knows.
struct Env<'a> {
    program: &'a Program,
    /// The enclosing class, for `self.method`.
    class: Option<&'a ClassDef>,
    /// The receiver's name (`self`) in a method.
    receiver: Option<&'a str>,
    /// Variables with a known type.
    vars: BTreeMap<&'a str, Ty>,
    /// The nested functions visible here (those of the enclosing functions too), by name.
    defs: BTreeMap<&'a str, &'a FunctionDef>,
    /// The errors of nested functions so far, by `id`.
    deferred: BTreeMap<u32, Diagnostic>,
}

/// The nested `def`s of `stmts` (not those inside them), by name.
fn nested_defs<'a>(stmts: &'a [Stmt], out: &mut BTreeMap<&'a str, &'a FunctionDef>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Def(def) => {
                out.insert(&def.name, def);
            }
            other => other.blocks().for_each(|b| nested_defs(b, out)),
        }
    }
}

/// Checks every function and method of `program` (see the module's design note): the
/// first error of a top-level function or method is returned as the error; those of
/// nested functions are collected by the function's `id`, to be raised when its `def`
/// runs (TorchScript compiles, and refuses, a nested function when its definition is
/// scripted: a program may catch that error).
pub(crate) fn check(program: &Program) -> Result<BTreeMap<u32, Diagnostic>, Diagnostic> {
    let mut deferred = BTreeMap::new();
    for f in &program.functions {
        check_function(program, None, f, None, &mut deferred)?;
    }
    for c in &program.classes {
        for m in &c.methods {
            check_function(program, Some(c), m, None, &mut deferred)?;
        }
    }
    Ok(deferred)
}

fn check_function<'a>(
    program: &'a Program,
    class: Option<&'a ClassDef>,
    f: &'a FunctionDef,
    outer: Option<&Env<'a>>,
    deferred: &mut BTreeMap<u32, Diagnostic>,
) -> Result<(), Diagnostic> {
    let mut env = Env {
        program,
        class,
        receiver: class.and(f.params.first()).map(|p| p.name.as_str()),
        vars: outer.map(|o| o.vars.clone()).unwrap_or_default(),
        deferred: std::mem::take(deferred),
        defs: outer.map(|o| o.defs.clone()).unwrap_or_default(),
    };
    if let Some(o) = outer {
        env.receiver = o.receiver;
    }
    nested_defs(&f.body, &mut env.defs);
    let r = env.function(f);
    *deferred = std::mem::take(&mut env.deferred);
    r
}

impl<'a> Env<'a> {
    fn function(&mut self, f: &'a FunctionDef) -> Result<(), Diagnostic> {
        for p in &f.params {
            if let Some(a) = &p.annotation {
                let t = self.annotation(a)?;
                self.vars.insert(&p.name, t);
            }
        }
        let returns = match &f.returns {
            Some(r) => Some(self.annotation(r)?),
            None => None,
        };
        self.block(&f.body, f, returns.as_ref())
    }
}

impl<'a> Env<'a> {
    fn err(&self, span: Span, msg: String) -> Diagnostic {
        self.program.error(span, msg)
    }

    /// The type an annotation expression writes.
    fn annotation(&self, e: &Expr) -> Result<Ty, Diagnostic> {
        let (head, args): (&Expr, Vec<&Expr>) = match &e.kind {
            ExprKind::Subscript { value, index } => match &index.kind {
                ExprKind::Tuple(items) => (value, items.iter().collect()),
                _ => (value, vec![index]),
            },
            ExprKind::None => return Ok(Ty::NoneT),
            ExprKind::Str(_) => return Ok(Ty::Unknown), // a forward reference
            _ => (e, Vec::new()),
        };
        let Some(text) = dotted(head) else {
            return Ok(Ty::Unknown);
        };
        let path = torch_path(self.program, &text).map(str::to_string);
        let name = path.as_deref().unwrap_or(&text);
        let arg = |i: usize| -> Result<Ty, Diagnostic> {
            args.get(i).map_or(Ok(Ty::Unknown), |a| self.annotation(a))
        };
        Ok(match name {
            "int" => Ty::Int,
            "float" => Ty::Float,
            "bool" => Ty::Bool,
            "str" => Ty::Str,
            "None" => Ty::NoneT,
            "torch.Tensor" => Ty::Tensor,
            "typing.Any" => Ty::Any,
            "torch.jit.Future" => {
                if args.is_empty() {
                    return Err(self.err(
                        e.span,
                        "Future without a contained type: write `Future[T]` (e.g. `torch.jit.Future[int]`)"
                            .into(),
                    ));
                }
                Ty::Future(Box::new(arg(0)?))
            }
            "typing.List" => Ty::List(Box::new(arg(0)?)),
            "typing.Optional" => Ty::Optional(Box::new(arg(0)?)),
            "typing.Tuple" => Ty::Tuple(
                args.iter()
                    .map(|a| self.annotation(a))
                    .collect::<Result<_, _>>()?,
            ),
            _ => Ty::Unknown,
        })
    }

    fn block(
        &mut self,
        stmts: &'a [Stmt],
        f: &FunctionDef,
        returns: Option<&Ty>,
    ) -> Result<(), Diagnostic> {
        for s in stmts {
            self.stmt(s, f, returns)?;
        }
        Ok(())
    }

    /// Checks statement `s` of function `f` (which returns `returns`, if annotated) and
    /// the blocks inside it, recording the types of the variables it assigns.
    fn stmt(
        &mut self,
        s: &'a Stmt,
        f: &FunctionDef,
        returns: Option<&Ty>,
    ) -> Result<(), Diagnostic> {
        match &s.kind {
            StmtKind::Assign { target, value } => self.assign(target, value)?,
            StmtKind::Return(Some(value)) => {
                let actual = self.expr(value)?;
                if let Some(declared) = returns {
                    if !fits(&actual, declared) {
                        return Err(self.err(value.span, format!(
                            "`{}` is annotated as returning `{declared}` but this value is of type `{actual}`{}",
                            f.name,
                            self.why(value)
                        )));
                    }
                }
            }
            StmtKind::Expr(e) | StmtKind::AugAssign { value: e, .. } => {
                self.expr(e)?;
            }
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    self.expr(&b.cond)?;
                    self.block(&b.body, f, returns)?;
                }
                self.block(orelse, f, returns)?;
            }
            StmtKind::While { cond, body } => {
                self.expr(cond)?;
                self.block(body, f, returns)?;
            }
            StmtKind::For { iter, body, .. } => {
                self.expr(iter)?;
                self.block(body, f, returns)?;
            }
            StmtKind::With { item, body, .. } => {
                self.expr(item)?;
                self.block(body, f, returns)?;
            }
            StmtKind::Try(_) => {
                for b in s.kind.blocks() {
                    self.block(b, f, returns)?;
                }
            }
            StmtKind::Def(def) => self.nested_def(def),
            StmtKind::Class(c) => self.local_class(c),
            _ => {}
        }
        Ok(())
    }

    /// Checks `target = value`: the value against the target's annotation, if any; a
    /// name's type is then the annotation's, else (the first time) the value's if known.
    fn assign(&mut self, target: &'a Target, value: &'a Expr) -> Result<(), Diagnostic> {
        let actual = self.expr(value)?;
        if let TargetKind::Name(n) = &target.kind {
            match &target.annotation {
                Some(a) => {
                    let declared = self.annotation(a)?;
                    if !fits(&actual, &declared) {
                        return Err(self.err(value.span, format!(
                            "`{n}` is annotated as `{declared}` but this value is of type `{actual}`{}",
                            self.why(value)
                        )));
                    }
                    self.vars.insert(n, declared);
                }
                None if actual != Ty::Unknown => {
                    self.vars.entry(n).or_insert(actual);
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Checks a nested function like a top-level one (seeing the enclosing variables);
    /// its error is deferred to when the `def` runs.
    fn nested_def(&mut self, def: &'a FunctionDef) {
        let mut deferred = std::mem::take(&mut self.deferred);
        let r = check_function(self.program, self.class, def, Some(self), &mut deferred);
        if let Err(d) = r {
            deferred.entry(def.id).or_insert(d);
        }
        self.deferred = deferred;
    }

    /// A class inside a function: each method is checked like a nested function (seeing
    /// the enclosing variables) with its own receiver; an error is raised when the class
    /// statement runs.
    fn local_class(&mut self, c: &'a ClassDef) {
        for m in &c.methods {
            let mut deferred = std::mem::take(&mut self.deferred);
            let mut env = Env {
                program: self.program,
                class: Some(c),
                receiver: m.params.first().map(|p| p.name.as_str()),
                vars: self.vars.clone(),
                deferred: std::mem::take(&mut deferred),
                defs: self.defs.clone(),
            };
            nested_defs(&m.body, &mut env.defs);
            let r = env.function(m);
            deferred = std::mem::take(&mut env.deferred);
            if let Err(d) = r {
                deferred.entry(m.id).or_insert(d);
            }
            self.deferred = deferred;
        }
    }

    /// Why `value` has the type it has, when it is a fork: the forked function's
    /// annotation.
    fn why(&self, value: &Expr) -> String {
        let ExprKind::Call(c) = &value.kind else {
            return String::new();
        };
        if self.builtin(&c.func) != Some(Builtin::Fork) {
            return String::new();
        }
        match c
            .args
            .first()
            .and_then(|g| Some((dotted(g)?, self.returns_of(g)?)))
        {
            Some((name, (t, span))) => format!(
                " (the forked `{name}` is annotated `-> {t}` on line {})",
                span.line
            ),
            None => String::new(),
        }
    }

    /// The builtin a name or attribute chain certainly denotes.
    fn builtin(&self, e: &Expr) -> Option<Builtin> {
        match &e.kind {
            ExprKind::Name(_) => match e.slot {
                Slot::Builtin(b) => Some(b),
                _ => None,
            },
            ExprKind::Attribute { value, attr } => match self.builtin(value)? {
                Builtin::Torch(i) => {
                    crate::interp::torch::member(crate::interp::torch::path_of(i), attr).ok()
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The return annotation of the function `callee` certainly denotes, with where the
    /// function is.
    fn returns_of(&self, callee: &Expr) -> Option<(Ty, Span)> {
        let (def, _) = self.def_of(callee)?;
        let r = def.returns.as_ref()?;
        Some((self.annotation(r).ok()?, def.span))
    }

    /// The function `callee` certainly denotes, and whether it is a method called through
    /// the receiver (its first parameter is then bound).
    fn def_of(&self, callee: &Expr) -> Option<(&'a FunctionDef, bool)> {
        Some(match &callee.kind {
            ExprKind::Name(n) => match callee.slot {
                Slot::Function(i) => (self.program.functions.get(i as usize)?, false),
                _ => (*self.defs.get(n.as_str())?, false),
            },
            ExprKind::Attribute { value, attr } => {
                let is_self =
                    matches!(&value.kind, ExprKind::Name(n) if Some(n.as_str()) == self.receiver);
                if !is_self {
                    return None;
                }
                (self.class?.method(attr)?, true)
            }
            _ => return None,
        })
    }

    /// A call's positional arguments against the callee's parameter annotations, as
    /// TorchScript checks them (only where both types are known and contradict).
    fn check_arguments(&self, c: &Call, args: &[Ty]) -> Result<(), Diagnostic> {
        let Some((def, bound)) = self.def_of(&c.func) else {
            return Ok(());
        };
        let params = def.params.get(usize::from(bound)..).unwrap_or(&[]);
        for ((p, actual), arg) in params.iter().zip(args).zip(&c.args) {
            let Some(a) = &p.annotation else { continue };
            let declared = self.annotation(a)?;
            if !fits(actual, &declared) {
                return Err(self.err(
                    arg.span,
                    format!(
                        "argument `{}` of `{}` is annotated as `{declared}` but this value is of type `{actual}`{}",
                        p.name,
                        def.name,
                        self.why(arg)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The type of `e` where certain (see the module's design note); checks the
    /// `torch.jit.annotate` calls inside it.
    fn expr(&mut self, e: &'a Expr) -> Result<Ty, Diagnostic> {
        Ok(match &e.kind {
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Float(_) => Ty::Float,
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::None => Ty::NoneT,
            ExprKind::Name(n) => self.vars.get(n.as_str()).cloned().unwrap_or(Ty::Unknown),
            ExprKind::Call(c) => {
                let mut args = Vec::with_capacity(c.args.len());
                for a in &c.args {
                    args.push(self.expr(a)?);
                }
                for k in &c.kwargs {
                    self.expr(&k.value)?;
                }
                self.call_type(c, &args)?
            }
            ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Set(items) => {
                for i in items {
                    self.expr(i)?;
                }
                Ty::Unknown
            }
            _ => Ty::Unknown,
        })
    }

    fn call_type(&self, c: &Call, args: &[Ty]) -> Result<Ty, Diagnostic> {
        let first = args.first().cloned().unwrap_or(Ty::Unknown);
        let waited = |t: Ty| match t {
            Ty::Future(inner) => *inner,
            _ => Ty::Unknown,
        };
        match self.builtin(&c.func) {
            Some(Builtin::Fork) => {
                let r = c.args.first().and_then(|g| self.returns_of(g));
                return Ok(r.map_or(Ty::Unknown, |(t, _)| Ty::Future(Box::new(t))));
            }
            Some(Builtin::Wait) => return Ok(waited(first)),
            Some(Builtin::Torch(i)) if crate::interp::torch::path_of(i) == "torch.jit.annotate" => {
                let (Some(t), Some(v)) = (c.args.first(), c.args.get(1)) else {
                    return Ok(Ty::Unknown);
                };
                let declared = self.annotation(t)?;
                let actual = args.get(1).cloned().unwrap_or(Ty::Unknown);
                if !fits(&actual, &declared) {
                    return Err(self.err(v.span, format!(
                        "torch.jit.annotate: the value is of type `{actual}`, not `{declared}`{}",
                        self.why(v)
                    )));
                }
                return Ok(declared);
            }
            _ => {}
        }
        // `fut.wait()`
        if let ExprKind::Attribute { value, attr } = &c.func.kind {
            if attr == "wait" && c.args.is_empty() {
                if let ExprKind::Name(n) = &value.kind {
                    return Ok(waited(
                        self.vars.get(n.as_str()).cloned().unwrap_or(Ty::Unknown),
                    ));
                }
            }
        }
        if !c
            .args
            .iter()
            .any(|a| matches!(a.kind, ExprKind::Starred(_)))
        {
            self.check_arguments(c, args)?;
        }
        Ok(self.returns_of(&c.func).map_or(Ty::Unknown, |(t, _)| t))
    }
}
