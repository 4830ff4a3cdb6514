//! The builtin functions and the methods of the builtin types.
//!
//! Functions: `fork`, `wait`, `yield_now`, `Lock`, `AtomicInt` (`atomic.rs`), `print`, `len`, `range`, `min`, `max`,
//! `abs`, `sum`, `sorted`, `enumerate`, `zip`, `str`, `int`, `float`, `bool`, `list`,
//! `tuple`, `dict`, `set` (`sets.rs`), `any`, `all`, `isinstance`, the exception classes (see
//! `exceptions.rs`), the `operator` module (`operator.rs`) and the formatting an
//! f-string calls (`format.rs`). `sorted`, `min` and `max` take `key=` (`keyed.rs`),
//! `enumerate` a start. (`enumerate` and `zip` return tuples of tuples, not iterators.)
//!
//! This file holds the [`Builtin`] enum (names, arities) and [`call`], which checks a
//! call's arguments and runs the builtins with an effect (`fork`, `wait`, `yield_now`,
//! `Lock`, `print`, ...); those that compute a value from their arguments alone are in
//! `value_builtins.rs`, iteration and `in` in `items.rs`.
//!
//! Methods (in `methods.rs`): lists `append`, `pop`, `extend`, `insert`, `index`, `count`, `clear`, `copy`;
//! dicts `get`, `keys`, `values`, `items`, `pop`; strings `join`, `upper`, `lower`,
//! `strip`, `split`, `startswith`, `endswith`. A list or dict method accesses the
//! container's structure location and its item locations as the table in `value.rs`
//! says: a structural change (`append`, `pop`, ...) is one write of the structure
//! (`extend` first reads its argument), `get` reads the structure and one entry, `keys`
//! only the structure, `values`/`items`/`copy`/`index`/`count` every item.

use crate::ast::Span;
use crate::interp::{Frame, Interp, Res, Sink};
use crate::value::{Lock, Value};
use forkwait::sync::Mutex as SyncMutex;
use std::sync::Arc;

/// A builtin function: resolved from its name once (when the name is looked up), then
/// dispatched by variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `Lock`
    Lock,
    /// `AtomicInt` (see `interp/atomic.rs`)
    AtomicInt,
    /// `abs`
    Abs,
    /// `bool`
    Bool,
    /// `dict`
    Dict,
    /// `enumerate`
    Enumerate,
    /// `float`
    Float,
    /// `fork`
    Fork,
    /// `int`
    Int,
    /// `len`
    Len,
    /// `list`
    List,
    /// `max`
    Max,
    /// `min`
    Min,
    /// `print`
    Print,
    /// `range`
    Range,
    /// `sorted`
    Sorted,
    /// `str`
    Str,
    /// `sum`
    Sum,
    /// `tuple`
    Tuple,
    /// `wait`
    Wait,
    /// `yield_now`
    YieldNow,
    /// `zip`
    Zip,
    /// `set` (see `sets.rs`)
    Set,
    /// A name of the `torch` or `typing` modules (or one of those modules), by its index
    /// in the table of `interp/torch.rs`; [`Builtin::name`] is its dotted path, e.g.
    /// `"torch.jit.annotate"`. Bound by an import, never by its bare name. (An index, not
    /// the path: a builtin is part of every [`Slot`](crate::Slot) of the tree, which
    /// stays small.)
    Torch(u16),
    /// A context manager of `torch` for `with`: grad mode (`torch.no_grad()`,
    /// `torch.enable_grad()`, `torch.set_grad_enabled(b)`) or a no-op
    /// (`torch.jit.optimized_execution(b)`).
    Context {
        /// The grad mode inside the context (`None`: the context changes nothing).
        grad: Option<bool>,
        /// The mode to restore at the exit, when it was already set by the call
        /// (`set_grad_enabled`); otherwise the mode at the entry is restored.
        prev: Option<bool>,
    },
    /// `any`
    Any,
    /// `all`
    All,
    /// `isinstance`
    Isinstance,
    /// What an f-string calls (named `<fstring>`, which no program can write).
    FString,
    /// The `operator` module (its functions are attributes).
    OperatorModule,
    /// A function of the `operator` module (`operator.add`, ...): its index in its table.
    Operator(u8),
    /// An exception class: its index in [`EXCEPTIONS`](crate::EXCEPTIONS) (`Exception`,
    /// `RuntimeError`, `ValueError`, ...). Called, it makes an exception to `raise`.
    Exc(u8),
}

impl Builtin {
    /// Every builtin.
    const ALL: [Builtin; 27] = [
        Builtin::Lock,
        Builtin::AtomicInt,
        Builtin::Abs,
        Builtin::Bool,
        Builtin::Dict,
        Builtin::Enumerate,
        Builtin::Float,
        Builtin::Fork,
        Builtin::Int,
        Builtin::Len,
        Builtin::List,
        Builtin::Max,
        Builtin::Min,
        Builtin::Print,
        Builtin::Range,
        Builtin::Sorted,
        Builtin::Str,
        Builtin::Sum,
        Builtin::Tuple,
        Builtin::Wait,
        Builtin::YieldNow,
        Builtin::Zip,
        Builtin::Any,
        Builtin::All,
        Builtin::Isinstance,
        Builtin::FString,
        Builtin::OperatorModule,
    ];

    /// Its name in the language.
    ///
    /// ```
    /// use forkwait_model::{Model, Value};
    /// let m = Model::from_source("t.fw", "def main():\n    return len\n").unwrap();
    /// let v = forkwait::Runtime::eager().run(|| m.try_run_main()).unwrap();
    /// assert!(format!("{v:?}").contains("len"));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Lock => "Lock",
            Builtin::AtomicInt => "AtomicInt",
            Builtin::Abs => "abs",
            Builtin::Bool => "bool",
            Builtin::Dict => "dict",
            Builtin::Enumerate => "enumerate",
            Builtin::Float => "float",
            Builtin::Fork => "fork",
            Builtin::Int => "int",
            Builtin::Len => "len",
            Builtin::List => "list",
            Builtin::Max => "max",
            Builtin::Min => "min",
            Builtin::Print => "print",
            Builtin::Range => "range",
            Builtin::Sorted => "sorted",
            Builtin::Str => "str",
            Builtin::Sum => "sum",
            Builtin::Tuple => "tuple",
            Builtin::Wait => "wait",
            Builtin::YieldNow => "yield_now",
            Builtin::Zip => "zip",
            Builtin::Set => "set",
            Builtin::Torch(i) => crate::interp::torch::path_of(i),
            Builtin::Context { grad, .. } => crate::interp::torch::context_name(grad),
            Builtin::Any => "any",
            Builtin::All => "all",
            Builtin::Isinstance => "isinstance",
            Builtin::FString => "<fstring>",
            Builtin::OperatorModule => "operator",
            Builtin::Operator(i) => crate::interp::operator::FUNCTIONS
                .get(usize::from(i))
                .copied()
                .unwrap_or("operator"),
            Builtin::Exc(i) => crate::interp::exceptions::class_name(usize::from(i)),
        }
    }

    /// Its positional-argument bounds and allowed keywords.
    pub(crate) fn bounds(self) -> (usize, Option<usize>, &'static [&'static str]) {
        match self {
            Builtin::Lock => (0, Some(0), &[]),
            Builtin::AtomicInt => (0, Some(1), &[]),
            Builtin::Abs => (1, Some(1), &[]),
            Builtin::Bool => (0, Some(1), &[]),
            Builtin::Dict => (0, Some(1), &[]),
            Builtin::Enumerate => (1, Some(2), &[]),
            Builtin::Float => (0, Some(1), &[]),
            Builtin::Fork => (1, None, &[]),
            Builtin::Int => (0, Some(1), &[]),
            Builtin::Len => (1, Some(1), &[]),
            Builtin::List => (0, Some(1), &[]),
            Builtin::Max => (1, None, &["key"]),
            Builtin::Min => (1, None, &["key"]),
            Builtin::Print => (0, None, &[]),
            Builtin::Range => (1, Some(3), &[]),
            Builtin::Sorted => (1, Some(1), &["reverse", "key"]),
            Builtin::Str => (0, Some(1), &[]),
            Builtin::Sum => (1, Some(2), &[]),
            Builtin::Tuple => (0, Some(1), &[]),
            Builtin::Wait => (1, Some(1), &[]),
            Builtin::YieldNow => (0, Some(0), &[]),
            Builtin::Zip => (0, None, &[]),
            Builtin::Set => (0, Some(1), &[]),
            // Checked when called (see `interp/torch.rs`).
            Builtin::Torch(_) | Builtin::Context { .. } => (0, None, &[]),
            Builtin::Any | Builtin::All => (1, Some(1), &[]),
            Builtin::Isinstance => (2, Some(2), &[]),
            Builtin::FString => (1, None, &[]),
            Builtin::OperatorModule => (0, Some(0), &[]),
            Builtin::Operator(_) => (0, None, &[]),
            Builtin::Exc(_) => (0, None, &[]),
        }
    }
}

/// The builtin called `name`.
pub(crate) fn lookup(name: &str) -> Option<Builtin> {
    let exc = crate::interp::exceptions::lookup(name).map(Builtin::Exc);
    let set = (name == "set").then_some(Builtin::Set);
    exc.or(set)
        .or_else(|| Builtin::ALL.iter().copied().find(|b| b.name() == name))
}

/// The error message of calling `name` with `n` positional arguments.
pub(crate) fn arity_message(name: &str, min: usize, max: Option<usize>, n: usize) -> String {
    let s = |k: usize| if k == 1 { "" } else { "s" };
    match max {
        Some(m) if m == min => format!("{name}() takes {m} argument{} ({n} given)", s(m)),
        Some(m) if n > m => format!("{name}() takes at most {m} argument{} ({n} given)", s(m)),
        _ => format!(
            "{name}() takes at least {min} argument{} ({n} given)",
            s(min)
        ),
    }
}

/// Calls builtin `b`.
pub(crate) fn call(
    it: &Interp,
    f: &Frame,
    b: Builtin,
    args: Vec<Value>,
    kwargs: Vec<(&str, Value)>,
    span: Span,
) -> Res<Value> {
    let name = b.name();
    let e = |m: String| it.err(span, m);
    if b == Builtin::Fork {
        let mut args = args.into_iter();
        let callee = args
            .next()
            .ok_or_else(|| e("fork() missing the function to fork".into()))?;
        return it.fork(f, callee, args.collect(), kwargs, span);
    }
    match b {
        Builtin::Torch(i) => {
            let path = crate::interp::torch::path_of(i);
            return it.call_torch(f, path, args, &kwargs, span);
        }
        Builtin::Context { .. } => {
            return Err(e(format!("'{name}' context object is not callable")));
        }
        _ => {}
    }
    {
        let (min, max, allowed) = b.bounds();
        if let Some((k, _)) = kwargs.iter().find(|(k, _)| !allowed.contains(k)) {
            return Err(e(format!(
                "{name}() got an unexpected keyword argument '{k}'"
            )));
        }
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            return Err(e(arity_message(name, min, max, args.len())));
        }
    }
    let class = f.class();
    if !kwargs.is_empty() && matches!(b, Builtin::Sorted | Builtin::Min | Builtin::Max) {
        if let Some((_, key)) = kwargs.iter().find(|(k, _)| *k == "key") {
            return it.keyed(f, b, args, key, &kwargs, span);
        }
    }
    match b {
        // Dispatched before the table (its keywords are the forked call's).
        Builtin::Fork => Err(e("fork() could not be called".into())),
        Builtin::Wait => it.wait(args.first().unwrap_or(&Value::None), span),
        Builtin::YieldNow => {
            it.at(span);
            forkwait::yield_now();
            Ok(Value::None)
        }
        Builtin::Lock => Ok(Value::Lock(Arc::new(Lock {
            mutex: SyncMutex::with_class((), class),
        }))),
        Builtin::AtomicInt => crate::interp::atomic::make(&args, class).map_err(e),
        Builtin::Print => {
            print(it, &args);
            Ok(Value::None)
        }
        Builtin::Exc(i) => Ok(crate::interp::exceptions::instance(usize::from(i), &args)),
        Builtin::Operator(i) => it.operator(f, i, &args, span),
        Builtin::OperatorModule => Err(e("'module' object is not callable".into())),
        Builtin::Isinstance => match (&args[0], &args[1]) {
            // A model class's instances include its subclasses' (see `classes.rs`).
            (Value::Instance(inst), Value::Class(c, _)) => {
                Ok(Value::Bool(it.derives(inst.class, *c)))
            }
            // A local class: its subclasses' instances, or its own made by this run of
            // its class statement.
            (Value::Instance(inst), Value::LocalClass(c)) => {
                let run =
                    inst.class != c.class || inst.env.as_ref().is_some_and(|e| Arc::ptr_eq(e, c));
                Ok(Value::Bool(run && it.derives(inst.class, c.class)))
            }
            _ => crate::interp::types::isinstance(&args[0], &args[1])
                .map(Value::Bool)
                .map_err(e),
        },
        _ => super::value_builtins::value_builtin(b, args, &kwargs, class).map_err(e),
    }
}

/// `print`: to the interpreter's sink.
fn print(it: &Interp, args: &[Value]) {
    let text: Vec<String> = args.iter().map(Value::to_str).collect();
    let line = text.join(" ");
    match &it.sink {
        Sink::Stdout => println!("{line}"),
        Sink::Stderr => eprintln!("{line}"),
        Sink::Discard => {}
        Sink::FirstRun(done) => {
            if !done.load(std::sync::atomic::Ordering::Relaxed) {
                println!("{line}");
            }
        }
    }
}
