//! `fork` and `wait` of the model language on the library's [`forkwait::fork`] and
//! [`forkwait::Future::try_wait`] (see the design note of `interp/mod.rs`).

use crate::ast::Span;
use crate::diag::Diagnostic;
use crate::interp::{Frame, Interp, Res, raise};
use crate::value::{FutureCell, Value};
use std::sync::Arc;

impl Interp {
    /// `fork(callee, *args, **kwargs)`: a library fork of a task calling `callee`.
    pub(crate) fn fork(
        &self,
        f: &Frame,
        callee: Value,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        span: Span,
    ) -> Res<Value> {
        let callable = match &callee {
            Value::Function(..)
            | Value::Closure(_)
            | Value::Class(..)
            | Value::LocalClass(_)
            | Value::Method(..)
            | Value::Builtin(_)
            | Value::BuiltinMethod(..) => true,
            Value::Instance(inst) => self
                .code
                .class(inst.class)
                .is_some_and(|c| c.method("forward").is_some()),
            _ => false,
        };
        if !callable {
            let t = callee.type_name();
            return Err(self.err(span, format!("fork() expects a function, got a '{t}'")));
        }
        let me = self.arc();
        let kwargs: Vec<(String, Value)> = kwargs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let task = self.new_task(f);
        self.at(span);
        let fut = forkwait::fork(move || {
            me.at(span);
            let kw = kwargs
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            match me.call(&Frame::task(task), &callee, args, kw, span) {
                Ok(v) => v,
                Err(d) => raise(&d),
            }
        });
        self.at(span);
        Ok(Value::Future(Arc::new(FutureCell { fut: fut.shared() })))
    }

    /// `wait(fut)` and `fut.wait()`: the task's value, or its error raised again here.
    pub(crate) fn wait(&self, fut: &Value, span: Span) -> Res<Value> {
        let Value::Future(cell) = fut else {
            let t = fut.type_name();
            return Err(self.err(span, format!("wait() expects a future, got a '{t}'")));
        };
        // Any number of tasks may wait one future, any number of times (PyTorch's
        // semantics); each gets the value, or the task's error raised again here.
        self.at(span);
        let r = cell
            .fut
            .try_wait()
            .map_err(|p| self.task_error(p.message(), span));
        self.at(span);
        r
    }

    /// The located error of a task's panic message, noting where it was re-raised.
    fn task_error(&self, message: Option<&str>, span: Span) -> Box<Diagnostic> {
        let file = self.code.file;
        let waited = format!(
            "raised in a forked task, re-raised by `wait` at {file}:{}:{}",
            span.line, span.col
        );
        let Some(text) = message else {
            return self.err(span, "a forked task panicked");
        };
        match parse_located(file, text) {
            Some((at, msg)) => Box::new(self.code.program.error(at, msg).with_note(waited)),
            None => self.err(span, format!("a forked task panicked: {text}")),
        }
    }
}

/// Splits `"{file}:{line}:{col}: error: {message}"`.
pub(crate) fn parse_located(file: &str, text: &str) -> Option<(Span, String)> {
    let rest = text.strip_prefix(file)?.strip_prefix(':')?;
    let (line, rest) = rest.split_once(':')?;
    let (col, rest) = rest.split_once(':')?;
    let msg = rest.strip_prefix(" error: ")?;
    Some((
        Span::new(line.parse().ok()?, col.parse().ok()?),
        msg.to_string(),
    ))
}
