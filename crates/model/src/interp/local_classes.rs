//! Classes defined inside functions and blocks at run time: the class value a `class`
//! statement makes (its attributes evaluated and its methods' closures made in the
//! enclosing frame), and how a method of any instance is found (its definition, frame
//! layout and, for a local class, closure). The shapes are decided when the model is
//! loaded (see `front/local_classes.rs`); part of the interpreter (see `interp/mod.rs`).

use super::{Frame, Interp, Res};
use crate::ast::{ClassDef, FunctionDef};
use crate::resolve::Scope;
use crate::value::{Closure, Instance, LocalClass, Value};
use std::sync::Arc;

impl Interp {
    /// Runs the class statement `c` in frame `f`: the class value, its attributes'
    /// values and its methods' closures made now (as Python runs a class body when the
    /// statement runs, and as nested `def`s capture their cells).
    pub(super) fn local_class(&self, f: &mut Frame, c: &ClassDef) -> Res<Value> {
        let mut attrs = Vec::with_capacity(c.attrs.len());
        for a in &c.attrs {
            attrs.push(self.eval(f, &a.value)?);
        }
        let mut methods = Vec::with_capacity(c.methods.len());
        for m in &c.methods {
            match self.closure(f, m)? {
                Value::Closure(cl) => methods.push(cl),
                _ => return Err(self.err(m.span, "a method without a closure")),
            }
        }
        let class = c.id as usize;
        let name = match self.code.class_names.get(class) {
            Some(n) => n.clone(),
            None => Arc::from(&*c.name),
        };
        Ok(Value::LocalClass(Arc::new(LocalClass {
            class,
            name,
            methods,
            attrs,
        })))
    }

    /// Method `m` of `inst`'s class: its definition, its frame layout and, for a class
    /// defined inside a function, the closure its class statement made (none for a
    /// method inherited from a top-level class: see `front/local_classes.rs`).
    pub(crate) fn method_of<'a>(
        &'a self,
        inst: &'a Instance,
        m: usize,
    ) -> Option<(&'a FunctionDef, &'a Scope, Option<&'a Closure>)> {
        let code = &self.code;
        let ntop = code.program.classes.len();
        let origin = match inst.class.checked_sub(ntop) {
            Some(k) => code
                .local_origins
                .get(k)
                .and_then(|o| o.get(m))
                .copied()
                .flatten(),
            None => None,
        };
        if let Some((class, j)) = origin {
            // Inherited from a top-level class: that method itself, no closure.
            let def = code.program.classes.get(class)?.methods.get(j)?;
            return Some((def, code.methods.get(class)?.get(j)?, None));
        }
        match &inst.env {
            Some(env) => {
                let c = env.methods.get(m)?;
                Some((code.nested_defs.get(c.id)?, code.nested.get(c.id)?, Some(c)))
            }
            None => {
                let def = code.program.classes.get(inst.class)?.methods.get(m)?;
                Some((def, code.methods.get(inst.class)?.get(m)?, None))
            }
        }
    }

    /// The name of the model base class of the class called `name` in the inheritance
    /// chain of class `class` (what `super()` in a method of `name` reaches), if any.
    pub(crate) fn super_base(&self, class: usize, name: &str) -> Option<&str> {
        let mut at = Some(class);
        // The chain is acyclic (checked at load); bounded anyway.
        for _ in 0..=self.code.bases.len() {
            let i = at?;
            let base = self.code.bases.get(i).copied().flatten();
            if self.code.class(i)?.name == name {
                return Some(self.code.class(base?)?.name.as_str());
            }
            at = base;
        }
        None
    }
}
