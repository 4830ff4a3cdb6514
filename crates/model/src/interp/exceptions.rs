//! Exceptions: `try`/`except`/`else`/`finally`, `raise`, and the exception classes.
//!
//! # Design
//!
//! * **An exception is a model error.** The interpreter's errors are already values
//!   (`Err(Box<Diagnostic>)`) until they leave a task, and a task's error comes back at
//!   `wait` as the same located error (`tasks.rs`), so raising is returning an error and
//!   `except` is matching one: an error raised in a forked task is caught at `wait`, as
//!   in PyTorch. A raised exception's message is `"Class: message"` (Python's last
//!   traceback line); the interpreter's own errors keep their messages and are given a
//!   class from them ([`class_of`]: `division by zero` is a `ZeroDivisionError`, a failed
//!   `assert` an `AssertionError`, ...; anything unrecognised a `RuntimeError`), so
//!   `except Exception` catches every error a model can make.
//! * **What is never caught.** Harness aborts (an execution torn down, a step or stack
//!   limit) unwind the task as a Rust panic and never become an `Err`, so no `except`
//!   sees them. A forked task that panicked outside the model's errors (an interpreter
//!   bug) comes back as "a forked task panicked", which is not catchable either.
//! * **Observed errors.** A caught error is an ordinary value afterwards: the task that
//!   raised it was waited (so the simulator reports no lost error), and the caller goes
//!   on (so no panic). An uncaught one keeps today's verdicts.
//! * **Fresh values.** `ValueError("m")` and the value bound by `except ... as e` are
//!   immutable values (class and message): nothing to instrument, nothing shared.

use super::{Flow, Frame, Interp, Res};
use crate::ast::{Expr, Span, Try};
use crate::builtins::Builtin;
use crate::diag::Diagnostic;
use crate::value::{ExceptionValue, Value};
use std::sync::Arc;

/// The exception classes, each with its base class's index (`BaseException` has none).
/// `Exception` catches all the others but `BaseException`.
pub const EXCEPTIONS: [(&str, Option<usize>); 18] = [
    ("BaseException", None),
    ("Exception", Some(0)),
    ("RuntimeError", Some(1)),
    ("RecursionError", Some(2)),
    ("NotImplementedError", Some(2)),
    ("ValueError", Some(1)),
    ("TypeError", Some(1)),
    ("AssertionError", Some(1)),
    ("LookupError", Some(1)),
    ("IndexError", Some(8)),
    ("KeyError", Some(8)),
    ("ArithmeticError", Some(1)),
    ("ZeroDivisionError", Some(11)),
    ("OverflowError", Some(11)),
    ("NameError", Some(1)),
    ("UnboundLocalError", Some(14)),
    ("AttributeError", Some(1)),
    ("StopIteration", Some(1)),
];

const RUNTIME_ERROR: usize = 2;

/// The name of exception class `i`.
pub(crate) fn class_name(i: usize) -> &'static str {
    EXCEPTIONS.get(i).map_or("Exception", |(n, _)| n)
}

/// The exception class called `name`.
pub(crate) fn lookup(name: &str) -> Option<u8> {
    let i = EXCEPTIONS.iter().position(|(n, _)| *n == name)?;
    u8::try_from(i).ok()
}

/// Whether class `c` is `of` or derives from it.
pub(crate) fn is_subclass(c: usize, of: usize) -> bool {
    let mut at = Some(c);
    while let Some(i) = at {
        if i == of {
            return true;
        }
        at = EXCEPTIONS.get(i).and_then(|(_, base)| *base);
    }
    false
}

/// The class of an error with this message, and the message without its class prefix.
pub(crate) fn class_of(message: &str) -> (usize, &str) {
    if let Some((head, rest)) = message.split_once(':') {
        if let Some(i) = lookup(head) {
            return (usize::from(i), rest.trim_start());
        }
    }
    if let Some(i) = lookup(message) {
        return (usize::from(i), "");
    }
    if let Some(rest) = message.strip_prefix("assertion failed") {
        let class = lookup("AssertionError").map_or(RUNTIME_ERROR, usize::from);
        return (class, rest.strip_prefix(": ").unwrap_or(rest));
    }
    let has = |words: &[&str]| words.iter().any(|w| message.contains(w));
    let class = if has(&["by zero"]) {
        "ZeroDivisionError"
    } else if has(&["index out of range", "pop from empty"]) {
        "IndexError"
    } else if has(&["referenced before assignment"]) {
        "UnboundLocalError"
    } else if has(&["is not defined"]) {
        "NameError"
    } else if has(&["overflow", "too long"]) {
        "OverflowError"
    } else if has(&["has no attribute"]) {
        "AttributeError"
    } else if has(&[
        "could not convert",
        "invalid literal",
        "must not be zero",
        "cannot be zero",
        "empty separator",
        "empty sequence",
        "cannot unpack",
        "not in list",
    ]) {
        "ValueError"
    } else if has(&[
        "not callable",
        "not iterable",
        "unhashable",
        "unsupported operand",
        "bad operand",
        "takes",
        "argument",
        "indices must",
        "must be",
        "expects",
        "not supported between",
        "can only",
        "can't",
        "cannot",
    ]) {
        "TypeError"
    } else {
        return (RUNTIME_ERROR, message);
    };
    (lookup(class).map_or(RUNTIME_ERROR, usize::from), message)
}

/// Whether `except` may catch this error (not a task's non-model panic).
fn catchable(d: &Diagnostic) -> bool {
    !d.message.starts_with("a forked task panicked")
}

/// An exception of class `class` made by calling the class with `args`.
pub(crate) fn instance(class: usize, args: &[Value]) -> Value {
    let message = match args {
        [] => String::new(),
        [one] => one.to_str(),
        many => format!("{:?}", Value::tuple(many.to_vec())),
    };
    exception(class, &message)
}

fn exception(class: usize, message: &str) -> Value {
    Value::Exception(Arc::new(ExceptionValue {
        class,
        message: Arc::from(message),
    }))
}

impl Interp {
    /// `try`: the body; on a catchable error the first matching handler (with the
    /// error bound to its name); `else` if the body raised nothing; `finally` always (a
    /// `return`, `break` or error in it replaces the outcome, as in Python).
    pub(super) fn exec_try(&self, f: &mut Frame, t: &Try) -> Res<Flow> {
        let r = match self.block(f, &t.body) {
            Err(d) if catchable(&d) => self.handle(f, t, d),
            Ok(Flow::Next) => self.block(f, &t.orelse),
            other => other,
        };
        if t.finalbody.is_empty() {
            return r;
        }
        match self.block(f, &t.finalbody)? {
            Flow::Next => r,
            other => Ok(other),
        }
    }

    /// The first handler of `t` matching the error `d` runs with `d` bound to its name
    /// (and being handled, for a bare `raise`); with none, `d` propagates.
    fn handle(&self, f: &mut Frame, t: &Try, d: Box<Diagnostic>) -> Res<Flow> {
        let (class, message) = class_of(&d.message);
        let message = message.to_string();
        for h in &t.handlers {
            if let Some(c) = &h.class {
                let v = self.eval(f, c)?;
                if !self.matches(&v, class, c.span)? {
                    continue;
                }
            }
            self.at(h.span);
            if let Some(name) = &h.name {
                self.store(f, name, exception(class, &message))?;
            }
            let outer = f.extra().handling.replace(d);
            let r = self.block(f, &h.body);
            f.extra().handling = outer;
            return r;
        }
        Err(d)
    }

    /// Whether the class value `v` of an `except` clause catches class `class`.
    fn matches(&self, v: &Value, class: usize, span: Span) -> Res<bool> {
        match v {
            Value::Builtin(Builtin::Exc(c)) => Ok(is_subclass(class, usize::from(*c))),
            Value::Tuple(items) => {
                for item in items.iter() {
                    if self.matches(item, class, span)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            other => Err(self.err(
                span,
                format!(
                    "TypeError: catching '{}' that does not inherit from BaseException is not allowed",
                    other.type_name()
                ),
            )),
        }
    }

    /// The error `raise [e]` at `span` raises: `e` an exception or an exception class;
    /// bare, the error being handled.
    pub(super) fn exec_raise(
        &self,
        f: &mut Frame,
        e: Option<&Expr>,
        span: Span,
    ) -> Box<Diagnostic> {
        let Some(e) = e else {
            return match f.extra.as_ref().and_then(|x| x.handling.as_ref()) {
                Some(d) => d.clone(),
                None => self.err(span, "RuntimeError: no active exception to re-raise"),
            };
        };
        let v = match self.eval(f, e) {
            Ok(v) => v,
            Err(d) => return d,
        };
        let (class, message) = match &v {
            Value::Exception(x) => (x.class, x.message.to_string()),
            Value::Builtin(Builtin::Exc(c)) => (usize::from(*c), String::new()),
            other => {
                let t = other.type_name();
                return self.err(
                    span,
                    format!("TypeError: exceptions must derive from BaseException, not '{t}'"),
                );
            }
        };
        let name = class_name(class);
        match message.is_empty() {
            true => self.err(span, name),
            false => self.err(span, format!("{name}: {message}")),
        }
    }
}
