//! Calls: evaluating a call expression, dispatching on the callee, and entering a model
//! function (binding its arguments into the new frame's first slots, which the resolver
//! gives to the parameters in order). Part of the interpreter (see `interp/mod.rs`).

use super::items;
use super::{Flow, Frame, Interp, MAX_CALL_DEPTH, Res};
use crate::ast::{Call, ExprKind, FunctionDef, Span};
use crate::builtins;
use crate::resolve::{Binding, Scope, bind};
use crate::value::{Closure, Instance, LocalClass, Value};
use forkwait::sync::Shared;
use std::sync::Arc;

impl Interp {
    /// The value of the call `c` (out of line: see [`Interp::eval`]).
    #[inline(never)]
    pub(super) fn eval_call(&self, f: &mut Frame, c: &Call) -> Res<Value> {
        let callee = self.eval(f, &c.func)?;
        let mut args = Vec::with_capacity(c.args.len());
        for a in &c.args {
            if let ExprKind::Starred(v) = &a.kind {
                let seq = self.eval(f, v)?;
                let items = items::iterate(&seq).map_err(|m| self.err(v.span, m))?;
                args.extend(items);
                continue;
            }
            args.push(self.eval(f, a)?);
        }
        let mut kwargs = Vec::with_capacity(c.kwargs.len());
        for k in &c.kwargs {
            kwargs.push((k.name.as_str(), self.eval(f, &k.value)?));
        }
        self.at(c.span);
        let r = self.call(f, &callee, args, kwargs, c.span);
        self.at(c.span);
        r
    }

    /// Calls `callee` from frame `f` (its depth and purity class matter).
    pub(crate) fn call(
        &self,
        f: &Frame,
        callee: &Value,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        span: Span,
    ) -> Res<Value> {
        let p = &self.code.program;
        match callee {
            Value::Function(i, _) => {
                let (def, scope) = (&p.functions[*i], &self.code.functions[*i]);
                self.call_def(f, def, scope, None, args, kwargs, span)
            }
            Value::Closure(c) => {
                let code = &self.code;
                let (def, scope) = match (code.nested_defs.get(c.id), code.nested.get(c.id)) {
                    (Some(d), Some(s)) => (d, s),
                    _ => return Err(self.err(span, "a nested function of another model")),
                };
                self.call_closure(f, def, scope, c, args, kwargs, span)
            }
            Value::Class(i, name) => self.instantiate(f, *i, name, None, args, kwargs, span),
            Value::LocalClass(c) => {
                self.instantiate(f, c.class, &c.name, Some(c), args, kwargs, span)
            }
            Value::Instance(inst) => {
                let methods = self
                    .code
                    .class(inst.class)
                    .map_or(&[][..], |c| &c.methods[..]);
                let Some(m) = methods.iter().position(|m| m.name == "forward") else {
                    let t = &inst.class_name;
                    return Err(self.err(
                        span,
                        format!("'{t}' object is not callable (it has no `forward` method)"),
                    ));
                };
                self.call_method(f, inst, m, args, kwargs, span)
            }
            Value::Method(inst, m) => self.call_method(f, inst, *m, args, kwargs, span),
            Value::Builtin(b) => builtins::call(self, f, *b, args, kwargs, span),
            Value::BuiltinMethod(recv, name) => {
                crate::interp::methods::call_method(self, f, recv, name, args, kwargs, span)
            }
            other => Err(self.err(
                span,
                format!("'{}' object is not callable", other.type_name()),
            )),
        }
    }

    /// Makes an instance of class `class` (for a local class, of the class value `env`):
    /// its class attributes set, then `__init__` run.
    #[allow(clippy::too_many_arguments)]
    fn instantiate(
        &self,
        f: &Frame,
        class: usize,
        name: &Arc<str>,
        env: Option<&Arc<LocalClass>>,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        span: Span,
    ) -> Res<Value> {
        let Some(def) = self.code.class(class) else {
            return Err(self.err(span, "a class of another model"));
        };
        let inst = Arc::new(Instance {
            class,
            class_name: name.clone(),
            attrs: std::sync::Mutex::new(Vec::new()),
            shape: Shared::attribute(()),
            env: env.cloned(),
        });
        let this = Value::Instance(inst.clone());
        for (k, a) in def.attrs.iter().enumerate() {
            let v = match env {
                // Evaluated when the class statement ran.
                Some(env) => env.attrs.get(k).cloned().unwrap_or(Value::None),
                None => {
                    let mut module = super::Frame::new(0, f.depth, false, f.limit);
                    self.eval(&mut module, &a.value)?
                }
            };
            self.setattr(&this, &a.name, v, a.span)?;
        }
        match def.methods.iter().position(|m| m.name == "__init__") {
            Some(m) => {
                self.call_method(f, &inst, m, args, kwargs, span)?;
            }
            None if !args.is_empty() || !kwargs.is_empty() => {
                return Err(self.err(span, format!("{name}() takes no arguments")));
            }
            None => {}
        }
        Ok(this)
    }

    /// Calls method `m` of `inst`'s class with `inst` as its receiver.
    fn call_method(
        &self,
        f: &Frame,
        inst: &Arc<Instance>,
        m: usize,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        span: Span,
    ) -> Res<Value> {
        let Some((def, scope, closure)) = self.method_of(inst, m) else {
            return Err(self.err(span, "a method of another model"));
        };
        let this = Some(Value::Instance(inst.clone()));
        self.enter(f, def, scope, this, closure, args, kwargs, span)
    }

    #[allow(clippy::too_many_arguments)]
    fn call_def(
        &self,
        f: &Frame,
        def: &FunctionDef,
        scope: &Scope,
        this: Option<Value>,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        span: Span,
    ) -> Res<Value> {
        self.enter(f, def, scope, this, None, args, kwargs, span)
    }

    /// Calls a nested function or lambda: its free variables are its closure's cells,
    /// its defaults those evaluated when it was made.
    #[allow(clippy::too_many_arguments)]
    fn call_closure(
        &self,
        f: &Frame,
        def: &FunctionDef,
        scope: &Scope,
        closure: &Closure,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        span: Span,
    ) -> Res<Value> {
        self.enter(f, def, scope, None, Some(closure), args, kwargs, span)
    }

    /// Enters a model function: binds its arguments, makes its cells, runs its body.
    #[allow(clippy::too_many_arguments)]
    fn enter(
        &self,
        f: &Frame,
        def: &FunctionDef,
        scope: &Scope,
        this: Option<Value>,
        closure: Option<&Closure>,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        span: Span,
    ) -> Res<Value> {
        if !def.decorators.is_empty() {
            self.decorated(def, span)?;
        }
        if f.depth >= MAX_CALL_DEPTH {
            return Err(self.err(
                span,
                format!(
                    "RecursionError: maximum recursion depth exceeded ({MAX_CALL_DEPTH} nested calls)"
                ),
            ));
        }
        if crate::stack::sp() < f.limit {
            return Err(self.err(
                span,
                format!(
                    "RecursionError: maximum recursion depth exceeded (the interpreter's stack is exhausted after {} nested calls)",
                    f.depth
                ),
            ));
        }
        let n = scope.locals.len();
        let depth = f.depth + 1;
        let npos = args.len() + usize::from(this.is_some());
        let varargs = def.params.last().is_some_and(|p| p.star);
        if kwargs.is_empty() && npos == def.params.len() && !varargs {
            // Every parameter gets its positional argument: they are the first slots.
            let mut locals: Vec<Option<Value>> = this.into_iter().chain(args).map(Some).collect();
            locals.resize(n, None);
            let mut frame = Frame::with_locals(locals, depth, false, f.limit);
            self.make_cells(&mut frame, def, scope, closure);
            return self.run_body(&mut frame, def);
        }
        let mut pos: Vec<Option<Value>> = this.into_iter().chain(args).map(Some).collect();
        let names: Vec<&str> = kwargs.iter().map(|(k, _)| *k).collect();
        let bindings =
            bind(&def.name, &def.params, 0, pos.len(), &names).map_err(|m| self.err(span, m))?;
        let mut kwargs: Vec<Option<Value>> = kwargs.into_iter().map(|(_, v)| Some(v)).collect();
        let mut locals: Vec<Option<Value>> = vec![None; n];
        let params = def.params.iter().zip(bindings).zip(&mut locals).enumerate();
        for (k, ((param, b), local)) in params {
            let v = match b {
                Binding::Pos(i) => pos[i].take().unwrap_or(Value::None),
                Binding::Rest(i) => {
                    let rest = pos.get_mut(i..).unwrap_or(&mut []);
                    Value::tuple(rest.iter_mut().filter_map(Option::take).collect())
                }
                Binding::Kw(j) => kwargs[j].take().unwrap_or(Value::None),
                Binding::Default => match (closure, &param.default) {
                    (Some(c), _) => c.defaults.get(k).cloned().flatten().unwrap_or(Value::None),
                    (None, Some(d)) => {
                        let n = self.code.module.locals.len();
                        self.eval(&mut Frame::new(n, depth, false, f.limit), d)?
                    }
                    (None, None) => Value::None,
                },
            };
            *local = Some(v);
        }
        let mut frame = Frame::with_locals(locals, depth, false, f.limit);
        self.make_cells(&mut frame, def, scope, closure);
        self.run_body(&mut frame, def)
    }

    fn run_body(&self, frame: &mut Frame, def: &FunctionDef) -> Res<Value> {
        match self.block(frame, &def.body)? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Value::None),
        }
    }
}
