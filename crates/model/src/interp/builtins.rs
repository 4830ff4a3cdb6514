//! The builtin functions and the methods of the builtin types.
//!
//! Functions: `fork`, `wait`, `yield_now`, `Lock`, `AtomicInt` (`atomic.rs`), `print`, `len`, `range`, `min`, `max`,
//! `abs`, `sum`, `sorted`, `enumerate`, `zip`, `str`, `int`, `float`, `bool`, `list`,
//! `tuple`, `dict`, `set` (`sets.rs`), `any`, `all`, `isinstance`, the exception classes (see
//! `exceptions.rs`), the `operator` module (`operator.rs`) and the formatting an
//! f-string calls (`format.rs`). `sorted`, `min` and `max` take `key=` (`keyed.rs`),
//! `enumerate` a start. (`enumerate` and `zip` return tuples of tuples, not iterators.)
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
use crate::value::{Dict, List, Lock, Value, key_eq, range_len};
use forkwait::sync::{Mutex as SyncMutex, StateClass};
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

/// The items of an iterable value.
pub(crate) enum Items {
    Vec(std::vec::IntoIter<Value>),
    Range(i64, i64, i64),
}

impl Iterator for Items {
    type Item = Value;
    fn next(&mut self) -> Option<Value> {
        match self {
            Items::Vec(it) => it.next(),
            Items::Range(cur, stop, step) => {
                if range_len(*cur, *stop, *step) == 0 {
                    return None;
                }
                let v = *cur;
                *cur = cur.saturating_add(*step);
                if *cur == v {
                    *stop = v; // saturated: end
                }
                Some(Value::Int(v))
            }
        }
    }
}

/// Iterates a value: a list is read once (a snapshot of its items), a dict gives its keys.
pub(crate) fn iterate(v: &Value) -> Result<Items, String> {
    Ok(Items::Vec(match v {
        Value::List(l) => l.items().into_iter(),
        Value::Tuple(t) => t.iter().cloned().collect::<Vec<_>>().into_iter(),
        Value::Str(s) => s
            .chars()
            .map(|c| Value::str(&c.to_string()))
            .collect::<Vec<_>>()
            .into_iter(),
        Value::Dict(d) => d.keys().into_iter(),
        Value::Set(s) => crate::interp::sets::elements(s).into_iter(),
        Value::Range(a, b, s) => return Ok(Items::Range(*a, *b, *s)),
        other => return Err(format!("'{}' object is not iterable", other.type_name())),
    }))
}

/// `item in container`.
pub(crate) fn contains(container: &Value, item: &Value) -> Result<bool, String> {
    match container {
        Value::Str(s) => match item {
            Value::Str(sub) => Ok(s.contains(&**sub)),
            other => Err(format!(
                "'in <string>' requires string as left operand, not {}",
                other.type_name()
            )),
        },
        Value::Dict(d) | Value::Set(d) => {
            if !item.hashable() {
                return Err(format!("unhashable type: '{}'", item.type_name()));
            }
            Ok(d.contains(item))
        }
        Value::Range(a, b, s) => Ok(item.as_int().is_some_and(|i| {
            let n = range_len(*a, *b, *s);
            let off = i128::from(i) - i128::from(*a);
            off % i128::from(*s) == 0 && (0..i128::from(n)).contains(&(off / i128::from(*s)))
        })),
        other => {
            for x in iterate(other)
                .map_err(|_| format!("argument of type '{}' is not iterable", other.type_name()))?
            {
                if x.py_eq(item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn sort_values(items: &mut [Value]) -> Result<(), String> {
    let mut error = None;
    items.sort_by(|a, b| {
        a.py_cmp(b).unwrap_or_else(|e| {
            error.get_or_insert(e);
            std::cmp::Ordering::Equal
        })
    });
    error.map_or(Ok(()), Err)
}

fn extreme(name: &str, args: Vec<Value>, want: std::cmp::Ordering) -> Result<Value, String> {
    let items: Vec<Value> = if args.len() == 1 {
        iterate(&args[0])?.collect()
    } else {
        args
    };
    let mut best: Option<Value> = None;
    for x in items {
        best = Some(match best {
            Some(b) if x.py_cmp(&b)? != want => b,
            _ => x,
        });
    }
    best.ok_or_else(|| format!("{name}() arg is an empty sequence"))
}

fn to_int(v: &Value) -> Result<Value, String> {
    match v {
        Value::Float(f) if f.is_finite() && f.abs() < 9.2e18 => Ok(Value::Int(f.trunc() as i64)),
        Value::Float(_) => Err("cannot convert float infinity or nan to integer".into()),
        Value::Str(s) => s
            .trim()
            .replace('_', "")
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("invalid literal for int() with base 10: {v:?}")),
        v => v.as_int().map(Value::Int).ok_or_else(|| {
            format!(
                "int() argument must be a number or string, not '{}'",
                v.type_name()
            )
        }),
    }
}

fn to_float(v: &Value) -> Result<Value, String> {
    match v {
        Value::Str(s) => {
            let t = s.trim().to_ascii_lowercase();
            let f = match t.as_str() {
                "inf" | "+inf" | "infinity" => f64::INFINITY,
                "-inf" | "-infinity" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                _ => t
                    .parse::<f64>()
                    .map_err(|_| format!("could not convert string to float: {v:?}"))?,
            };
            Ok(Value::Float(f))
        }
        v => v.as_f64().map(Value::Float).ok_or_else(|| {
            format!(
                "float() argument must be a number or string, not '{}'",
                v.type_name()
            )
        }),
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
        _ => value_builtin(b, args, &kwargs, class).map_err(e),
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

/// The builtins that compute a value from their arguments alone (no task, no output).
fn value_builtin(
    b: Builtin,
    args: Vec<Value>,
    kwargs: &[(&str, Value)],
    class: StateClass,
) -> Result<Value, String> {
    let first = args.first().cloned().unwrap_or(Value::None);
    match b {
        Builtin::Len => len(&first),
        Builtin::Range => range(&args),
        Builtin::Min => extreme(b.name(), args, std::cmp::Ordering::Less),
        Builtin::Max => extreme(b.name(), args, std::cmp::Ordering::Greater),
        Builtin::Abs => abs(&first),
        Builtin::Sum => {
            let mut acc = args.get(1).cloned().unwrap_or(Value::Int(0));
            for x in iterate(&first)? {
                acc = crate::ops::binary(crate::ast::BinOp::Add, &acc, &x, class)?;
            }
            Ok(acc)
        }
        Builtin::Sorted => {
            let mut items: Vec<Value> = iterate(&first)?.collect();
            sort_values(&mut items)?;
            if kwargs.iter().any(|(k, v)| *k == "reverse" && v.truthy()) {
                items.reverse();
            }
            Ok(Value::List(List::new(items, class)))
        }
        Builtin::Enumerate => {
            let start = match args.get(1) {
                Some(s) => s.as_int().ok_or("enumerate() start must be an integer")?,
                None => 0,
            };
            iterate(&first).map(|items| {
                let pairs = (start..)
                    .zip(items)
                    .map(|(i, x)| Value::tuple(vec![Value::Int(i), x]));
                Value::tuple(pairs.collect())
            })
        }
        Builtin::Zip => zip(&args),
        Builtin::FString => crate::interp::format::fstring(&args),
        Builtin::Any => Ok(Value::Bool(iterate(&first)?.any(|x| x.truthy()))),
        Builtin::All => Ok(Value::Bool(iterate(&first)?.all(|x| x.truthy()))),
        Builtin::Str => Ok(args
            .first()
            .map_or(Value::str(""), |v| Value::str(&v.to_str()))),
        Builtin::Int => args.first().map_or(Ok(Value::Int(0)), to_int),
        Builtin::Float => args.first().map_or(Ok(Value::Float(0.0)), to_float),
        Builtin::Bool => Ok(Value::Bool(args.first().is_some_and(Value::truthy))),
        Builtin::List => match args.first() {
            None => Ok(Value::List(List::new(Vec::new(), class))),
            Some(v) => iterate(v).map(|i| Value::List(List::new(i.collect(), class))),
        },
        Builtin::Tuple => match args.first() {
            None => Ok(Value::tuple(Vec::new())),
            Some(v) => iterate(v).map(|i| Value::tuple(i.collect())),
        },
        Builtin::Dict => dict_from(args.first(), class),
        Builtin::Set => crate::interp::sets::from(args.first(), class),
        other => Err(format!("{}() could not be called", other.name())),
    }
}

fn len(v: &Value) -> Result<Value, String> {
    match v {
        Value::Str(s) => Ok(Value::Int(s.chars().count() as i64)),
        Value::List(l) => Ok(Value::Int(l.len() as i64)),
        Value::Dict(d) | Value::Set(d) => Ok(Value::Int(d.len() as i64)),
        Value::Tuple(t) => Ok(Value::Int(t.len() as i64)),
        Value::Range(a, b, s) => Ok(Value::Int(range_len(*a, *b, *s))),
        v => Err(format!("object of type '{}' has no len()", v.type_name())),
    }
}

fn range(args: &[Value]) -> Result<Value, String> {
    let mut n = Vec::new();
    for a in args {
        n.push(a.as_int().ok_or_else(|| {
            format!(
                "'{}' object cannot be interpreted as an integer",
                a.type_name()
            )
        })?);
    }
    match n[..] {
        [stop] => Ok(Value::Range(0, stop, 1)),
        [start, stop] => Ok(Value::Range(start, stop, 1)),
        [_, _, 0] => Err("range() arg 3 must not be zero".into()),
        [start, stop, step] => Ok(Value::Range(start, stop, step)),
        _ => Err("range() takes 1 to 3 arguments".into()),
    }
}

fn abs(v: &Value) -> Result<Value, String> {
    match v {
        Value::Float(x) => Ok(Value::Float(x.abs())),
        v => match v.as_int() {
            Some(i) => i
                .checked_abs()
                .map(Value::Int)
                .ok_or_else(|| "integer overflow (model integers are 64-bit)".into()),
            None => Err(format!("bad operand type for abs(): '{}'", v.type_name())),
        },
    }
}

fn zip(args: &[Value]) -> Result<Value, String> {
    let cols: Vec<Vec<Value>> = args
        .iter()
        .map(|a| iterate(a).map(Iterator::collect))
        .collect::<Result<_, _>>()?;
    let n = cols.iter().map(Vec::len).min().unwrap_or(0);
    let rows = (0..n).map(|i| Value::tuple(cols.iter().map(|c| c[i].clone()).collect()));
    Ok(Value::tuple(rows.collect()))
}

/// `dict()`, `dict(a_dict)` or `dict(pairs)`.
fn dict_from(arg: Option<&Value>, class: StateClass) -> Result<Value, String> {
    let mut out: Vec<(Value, Value)> = Vec::new();
    if let Some(Value::Dict(d)) = arg {
        out = d.entries();
    } else if let Some(v) = arg {
        for pair in iterate(v)? {
            let kv: Vec<Value> = iterate(&pair)?.collect();
            let [k, v] = <[Value; 2]>::try_from(kv)
                .map_err(|_| "dict() needs pairs of (key, value)".to_string())?;
            if !k.hashable() {
                return Err(format!("unhashable type: '{}'", k.type_name()));
            }
            match out.iter_mut().find(|(k2, _)| key_eq(k2, &k)) {
                Some((_, slot)) => *slot = v,
                None => out.push((k, v)),
            }
        }
    }
    Ok(Value::Dict(Dict::new(out, class)))
}
