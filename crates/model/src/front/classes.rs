//! Loading `.py` structure before names are resolved: the imports' paths are checked, and
//! each class's base is classified and its methods inherited.
//!
//! # Design
//!
//! * **Bases.** A class's base is a library module class (`torch.nn.Module`,
//!   `torch.jit.ScriptModule`, under any imported alias, or `object`), which adds nothing,
//!   or one class of the model (single inheritance). Anything else is a located error.
//! * **Inheritance by copying.** A class `C(B)` gets copies of `B`'s methods (`B`'s own
//!   and those `B` inherited, its base handled first) that `C` does not define, and a copy
//!   of each of `B`'s methods as `B.name`, the method `super().name` calls from `C` (see
//!   `pyfile.rs`); class attributes are inherited the same way. Each copy is resolved as
//!   a method of `C`, so the interpreter needs no lookup chain: `Value::Method` indexes
//!   the instance's own class.

use crate::ast::*;
use crate::builtins::Builtin;
use crate::diag::Diagnostic;
use crate::interp::torch;

/// Fails at the first import whose path names nothing models know.
pub(crate) fn check_imports(program: &Program) -> Result<(), Diagnostic> {
    for i in &program.imports {
        if torch::lookup(&i.path).is_none() {
            let (module, member) = i.path.rsplit_once('.').unwrap_or(("", &i.path));
            let msg = match torch::member(module, member) {
                Err(m) => format!("cannot import `{}`: {m}", i.path),
                Ok(_) => format!("cannot import `{}`", i.path),
            };
            return Err(program.error(i.span, msg));
        }
    }
    Ok(())
}

/// The dotted text of a name or attribute chain (`torch.nn.Module`), if `e` is one.
pub(crate) fn dotted(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Attribute { value, attr } => Some(format!("{}.{attr}", dotted(value)?)),
        _ => None,
    }
}

/// What the dotted `text` denotes through the file's imports (`nn.Module` with `import
/// torch.nn as nn` is `torch.nn.Module`), if it is a name of the torch modules.
pub(crate) fn torch_path(program: &Program, text: &str) -> Option<&'static str> {
    let (first, rest) = match text.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let import = program.imports.iter().rev().find(|i| i.name == first)?;
    let full = match rest {
        Some(rest) => format!("{}.{rest}", import.path),
        None => import.path.clone(),
    };
    match torch::lookup(&full)? {
        Builtin::Torch(i) => Some(torch::path_of(i)),
        _ => None,
    }
}

/// The model class that `c` derives from, by index, if any.
pub(crate) fn user_base(program: &Program, c: &ClassDef) -> Result<Option<usize>, Diagnostic> {
    base_of(program, c, "", |t| {
        program.classes.iter().position(|k| k.name == t)
    })
}

/// The model class that `c` derives from, by index, if any: a base named `t` is the
/// model class `class(t)`, else one of the library's (`object`, `torch.nn.Module`,
/// `torch.jit.ScriptModule`), else a located error (`where_defined` ends its hint). One
/// base at most.
pub(crate) fn base_of(
    program: &Program,
    c: &ClassDef,
    where_defined: &str,
    class: impl Fn(&str) -> Option<usize>,
) -> Result<Option<usize>, Diagnostic> {
    let mut found = None;
    for b in &c.bases {
        let text = dotted(b);
        if let Some(i) = text.as_deref().and_then(&class) {
            if found.is_some() {
                return Err(program.error(b.span, "multiple inheritance is not supported"));
            }
            found = Some(i);
            continue;
        }
        let library = text.as_deref().is_some_and(|t| {
            t == "object"
                || matches!(
                    torch_path(program, t),
                    Some("torch.nn.Module" | "torch.jit.ScriptModule")
                )
        });
        if !library {
            let shown = text.unwrap_or_else(|| "this expression".into());
            return Err(program.error(
                b.span,
                format!("unsupported base class `{shown}`: a model class derives from `torch.nn.Module`, `torch.jit.ScriptModule` or another class of the model{where_defined}"),
            ));
        }
    }
    Ok(found)
}

/// Copies inherited methods and class attributes into every class (see the design note).
pub(crate) fn inherit(program: &mut Program) -> Result<(), Diagnostic> {
    let n = program.classes.len();
    let mut bases = Vec::with_capacity(n);
    for c in &program.classes {
        bases.push(user_base(program, c)?);
    }
    // 0: not done, 1: in progress, 2: done.
    let mut state = vec![0u8; n];
    for i in 0..n {
        visit(program, &bases, &mut state, i)?;
    }
    Ok(())
}

fn visit(
    program: &mut Program,
    bases: &[Option<usize>],
    state: &mut [u8],
    i: usize,
) -> Result<(), Diagnostic> {
    match state[i] {
        2 => return Ok(()),
        1 => {
            let c = &program.classes[i];
            return Err(program.error(c.span, format!("class `{}` inherits from itself", c.name)));
        }
        _ => {}
    }
    state[i] = 1;
    if let Some(b) = bases[i] {
        visit(program, bases, state, b)?;
        let base = program.classes[b].clone();
        copy_inherited(&base, &mut program.classes[i]);
    }
    state[i] = 2;
    Ok(())
}

/// Copies into `class` the methods of `base` it does not define, each of `base`'s own
/// methods again as `Base.name` (what `super()` calls), and `base`'s class attributes it
/// does not define (for top-level and local classes alike). Returns the index
/// in `base` of each method appended, in order.
pub(super) fn copy_inherited(base: &ClassDef, class: &mut ClassDef) -> Vec<usize> {
    let mut extra = Vec::new();
    let mut from = Vec::new();
    for (j, m) in base.methods.iter().enumerate() {
        let own = |name: &str| class.methods.iter().any(|k| k.name == name);
        if !own(&m.name) {
            extra.push(m.clone());
            from.push(j);
        }
        if !m.name.contains('.') {
            let mut alias = m.clone();
            alias.name = format!("{}.{}", base.name, m.name);
            if !own(&alias.name) {
                extra.push(alias);
                from.push(j);
            }
        }
    }
    class.methods.extend(extra);
    let mut attrs: Vec<ClassAttr> = base
        .attrs
        .iter()
        .filter(|a| !class.attrs.iter().any(|k| k.name == a.name))
        .cloned()
        .collect();
    attrs.append(&mut class.attrs);
    class.attrs = attrs;
    from
}
