//! The model language: a small Python subset (`.fw` files) mirroring the TorchScript code
//! that uses `fork`/`wait`, parsed here into a tree for an interpreter.
//!
//! ```python
//! # expect: nondeterministic, impure
//! counter = 0
//!
//! class AddMod:
//!     def forward(self, a, b):
//!         return a + b
//!
//! def bump():
//!     global counter
//!     counter = counter + 1
//!
//! def main():
//!     a = fork(bump)
//!     wait(a)
//!     return wait(fork(AddMod(), counter, b=2))
//! ```
//!
//! # Syntax
//!
//! * **Layout.** Blocks are indented with spaces (a tab in indentation is an error; a tab
//!   elsewhere is whitespace). `#` starts a comment. Newlines inside `()`, `[]`, `{}` and
//!   after a trailing `\` are ignored. Several simple statements may share a line with
//!   `;`, and a block may follow its `:` on the same line (`if x: pass`).
//! * **Header.** Among the comment and blank lines that open the file, a
//!   `# expect: word, word` comment lists the expected verdicts, each one of
//!   [`VERDICTS`]; it becomes [`Program::expect`].
//! * **Definitions:** `def name(params):` with optional defaults (`b=2`), a last
//!   `*args` parameter (a tuple of the extra positional arguments), and annotations
//!   (`x: int`, `-> int`, kept in the tree: see below); `class Name(Base):` (the base is
//!   `torch.nn.Module`, `torch.jit.ScriptModule`, `object` or a model class) whose body
//!   holds methods, `pass` and docstrings (and, in `.py` files, class attributes).
//!   Top-level functions and classes are hoisted: all are visible from the start.
//! * **Nested functions and lambdas:** a `def` inside a function (or inside a block of
//!   the module) and `lambda params: expr` make function values closing over the
//!   enclosing function's variables with Python's scoping: reads see the variable's
//!   current value (cells, late binding), `nonlocal x` writes it, defaults are
//!   evaluated when the function is made. They are called and forked like any function.
//! * **Classes inside functions:** a `class` statement inside a function (or a block)
//!   makes a class value when it runs, bound to its name: its class attributes are
//!   evaluated then, its methods close over the enclosing function's variables like
//!   nested `def`s (so a module defined in a test function can fork a local helper or
//!   instantiate another local class); its base is a library module class, a top-level
//!   class or a local class defined before it. Each run of the statement makes a new
//!   class.
//! * **Statements:** assignment to a name, attribute, subscript or tuple of targets
//!   (`a, b = ...`), `x: T = e` (annotation kept), augmented assignment
//!   (`+= -= *= /= //= %= **=`), `if`/`elif`/`else`, `while`, `for t in e:`, `break`,
//!   `continue`, `return [e]`, `assert e[, msg]`, `pass`, `global a, b`, `nonlocal a, b`,
//!   `with e [as t]:`, `try:` with `except [E [as e]]:` clauses (`E` a class or a tuple
//!   of classes), `else:` and `finally:`, `raise [e [from c]]`, and expression
//!   statements.
//! * **Exceptions:** the classes of [`EXCEPTIONS`] (`Exception`, `RuntimeError`,
//!   `ValueError`, `AssertionError`, `TypeError`, `IndexError`, `KeyError`,
//!   `ZeroDivisionError`, ...) are builtins; `ValueError("msg")` makes an exception.
//!   The interpreter's own errors have classes too (a failed `assert` is an
//!   `AssertionError`, `1 // 0` a `ZeroDivisionError`, ...), so `except Exception`
//!   catches every error of a model. An error raised in a forked task is raised again
//!   by `wait` and can be caught there, as in PyTorch; a caught error is neither a panic
//!   nor a lost error. Aborts of the checker itself (step limits, torn-down
//!   executions) are never caught.
//! * **Expressions**, loosest first: `a if c else b`; `or`; `and`; `not`; comparisons
//!   `== != < <= > >= in, not in, is, is not` (chains such as `a < b < c` allowed);
//!   `|`; `^`; `&` (bitwise on ints and bools; union, symmetric difference and
//!   intersection on sets); `+ -`; `* / // %`; unary `- +`; `**`; calls `f(a, b=2)`, attributes `a.b`,
//!   subscripts `a[i]` and slices `a[i:j:k]`; literals: integers (decimal, `0x`, `0o`,
//!   `0b`, `_` separators), floats, strings in `'` or `"` (or tripled) with escapes
//!   `\n \t \r \0 \\ \' \"`, `True`, `False`, `None`, lists, tuples (`()`, `(x,)`), dicts,
//!   sets (`{a, b}`; `set()` is the empty one).
//!   f-strings (`f"{x!r:>8} {y:.2f}"`: conversions `!r !s`, format specs with the
//!   types `s d f % x X o b`); `*seq` among a call's positional arguments; `lambda`;
//!   comprehensions (below).
//!   Builtins (`fork`, `wait`, `len`, `range`, `Lock`, `AtomicInt`, `isinstance`, `any`, `all`,
//!   `enumerate`, `zip`, `sorted`, `sum`, `min`, `max`, `abs`, ...) are ordinary names;
//!   so is `operator`, the module's functions as attributes (`operator.add`).
//!   A chain of operators of one level (`1 + 2 + ... + n`, `a and b and ...`) may be of
//!   any length: it is one flat node, so only true nesting counts against [`MAX_DEPTH`].
//! * **Sets:** `{1, 2}`, `set()`, `set(iterable)`, `{e for ...}`; `x in s`, `len`,
//!   iteration, `==`, `s | t`, `s & t`, `s - t`, `s ^ t` and `|= &= -= ^=` (in place);
//!   methods `add`, `discard`, `remove` (a `KeyError`), `pop`, `clear`, `update`,
//!   `union`, `intersection`, `difference`, `symmetric_difference`, `issubset`,
//!   `issuperset`, `isdisjoint`, `copy`. Elements must be hashable (ints, floats,
//!   strings, bools, `None`, tuples of those): anything else is a located
//!   `TypeError: unhashable type`. A set iterates, pops and prints (`{1, 2}`, `set()`)
//!   in a canonical order of its elements (`None`, numbers ascending, strings, tuples),
//!   not Python's hash order, so its behaviour depends only on its contents. Its
//!   elements are instrumented as a dict's keys (`interp/sets.rs`): adding or removing
//!   is a write of the set's structure, so a forked task adding to a set it was handed
//!   is an impure `input` write, and two tasks adding to one set race.
//! * **Comprehensions:** `[e for t in it if c ...]`, `{k: v for ...}` and generator
//!   expressions (`(e for ...)`, or `f(e for ...)` as a sole argument, evaluated eagerly
//!   as a list); several `for` and `if` clauses; the variables are the
//!   comprehension's own (a function made inside one cannot capture them: pass them as
//!   defaults). Every target, here and in `for` and assignments, may unpack tuples
//!   (`for i, (a, b) in enumerate(pairs)`).
//! * **TorchScript as written (`.py` files):** `import torch`, `import torch.nn as nn`,
//!   `from typing import List, ...`, `from torch.jit import Future`, `import operator`
//!   (top level; [`Program::imports`]; no other module exists); decorators
//!   `@torch.jit.script`, `script_method`, `export`, `ignore`, `unused` (calling it
//!   raises), `_overload_method` ([`DecoratorKind`]); `if __name__ == "__main__":` is
//!   skipped; `super().__init__()` and `super(Cls, self).m()` in methods; a class inside
//!   a function or block is a class value made when its statement runs, its methods
//!   closing over the function's variables. The names of `torch`, `typing` and
//!   `operator` are values ([`Builtin::Torch`]): `torch.jit.fork`/`_fork`/`wait`/`_wait`
//!   are `fork`/`wait`, `torch.jit.annotate(T, v)` is `v`, `torch.jit.script`/`trace`
//!   return what they wrap, grad mode (`torch.no_grad()`, `torch.set_grad_enabled(b)`,
//!   ...) is thread-local state a forked task inherits, and the common tensor functions
//!   work on ints (tensors are ints in models); see `interp/torch.rs`. So do the tensor
//!   methods with a plain int meaning (`x.t()`, `x.neg()`, `x.item()`, ...), and an
//!   int's `requires_grad` is the reading task's grad mode; see `interp/tensor.rs`. Annotations are
//!   checked where TorchScript checks them: a `Future[T]` contradicting the forked
//!   function's return annotation is a located error. The entry point is `main()` or
//!   another function ([`Model::from_source_entry`], `--entry NAME`).
//! * **Atomics:** `AtomicInt(v)` (`v` an int, 0 if omitted) is an atomic integer with
//!   `a.fetch_add(k)` (returns the old value), `a.load()` and `a.store(v)`, over the
//!   library's instrumented `AtomicI64` ([`AtomicInt`], `interp/atomic.rs`): each call is a
//!   scheduling point and synchronizes, so atomics never race; `fetch_add` counts are
//!   deterministic, a `load`/`store` lost update is nondeterministic, and a forked task's
//!   write to an atomic it does not own is an impure write *through synchronization* (a
//!   warning by default, so not the `impure` verdict; an error under strict purity).
//! * **Rejected with a clear error** (naming the supported spelling where there is
//!   one): `async`/`await`, `yield`, `del`, `**kwargs` and keyword-only
//!   parameters, `**kwargs` in calls, `~`, shifts and `@` as an operator, imports
//!   of other modules than `torch`, `typing` and `operator`, loop `else`, chained
//!   assignment `a = b = c`, nesting deeper than [`MAX_DEPTH`].
//!
//! Errors are [`Diagnostic`]s located at a line and column, rendered like rustc's:
//!
//! ```
//! let src = "x = 1\nif x == 1\n    pass\n";
//! let err = forkwait_model::parse("models/foo.fw", src).unwrap_err();
//! assert_eq!((err.line, err.col), (2, 10));
//! assert_eq!(
//!     err.render(src),
//!     "error: expected ':' after the condition\n \
//!      --> models/foo.fw:2:10\n  |\n2 | if x == 1\n  |          ^"
//! );
//! ```
//!
//! # Running models
//!
//! [`Model`] loads a file (parse, then static checks: unknown names, argument counts of
//! direct calls, operators on literals), and [`Model::run_main`] runs it on the library:
//! `fork` is [`forkwait::fork`], and every global variable, instance attribute, list, dict
//! and set is [`forkwait::sync`] state, so a model runs in every mode and the simulator classifies its
//! impure writes as `input`, `module-attribute` or `global`. [`check_model`] is what
//! `forkwait check` runs: it explores a model with [`CheckOptions`] and compares the
//! [`verdicts`] with the `# expect:` header.
//!
//! ```
//! use forkwait_model::{CheckOptions, Model, check_model};
//! let src = "\
//! ## expect: nondeterministic, impure
//! def add(log, x):
//!     with lock:
//!         log.append(x)
//!
//! lock = Lock()
//!
//! def main():
//!     log = []
//!     a = fork(add, log, 1)
//!     b = fork(add, log, 2)
//!     wait(a)
//!     wait(b)
//!     return log
//! ";
//! let model = Model::from_source("appends.fw", src).unwrap();
//! let check = check_model(&model, &CheckOptions { iterations: 200, ..Default::default() });
//! assert!(check.ok, "{}", check.report);
//! let outcomes: Vec<&str> = check.report.outcomes().iter().map(|o| o.value.as_str()).collect();
//! assert!(outcomes.contains(&"[1, 2]") && outcomes.contains(&"[2, 1]"));
//! ```

mod check;
mod front;
mod interp;
mod load;

// The front end (lexer, parsers, tree, resolver, diagnostics) and the interpreter's
// parts, named at the root so that every file says `crate::value`, `crate::ast`, ...
pub use self::front::{ast, diag};
pub(crate) use self::front::{lexer, parser, resolve};
pub(crate) use self::interp::{builtins, ops, snapshot, stack, tasks, value};

pub use self::ast::{
    BinOp, Call, ClassAttr, ClassDef, CmpOp, CompFor, CompKind, Comparison, Comprehension,
    Decorator, DecoratorKind, Expr, ExprKind, FunctionDef, Handler, IfBranch, Import, Keyword,
    LogicOp, Operation, Param, Program, Slot, Span, Stmt, StmtKind, Target, TargetKind, Try,
    UnaryOp, VERDICTS,
};
pub use self::builtins::Builtin;
pub use self::check::{
    CheckOptions, MODEL_STACK_SIZE, ModelCheck, NO_ITERATION_LIMIT, ProgressFn, check_model,
    matches_expectation, verdict, verdicts,
};
pub use self::diag::Diagnostic;
pub use self::interp::atomic::AtomicInt;
pub use self::interp::exceptions::EXCEPTIONS;
pub use self::interp::{MAX_CALL_DEPTH, YIELD_EVERY};
pub use self::load::{LoadError, Model, POOL_STACK_SIZE, Print, is_model_error};
pub use self::parser::MAX_DEPTH;
pub use self::snapshot::Snapshot;
pub use self::value::{
    Closure, Dict, ExceptionValue, FutureCell, Instance, List, LocalClass, Lock, Value,
};

use self::lexer::{Kw, Tok};
use self::parser::{PResult, Parser, bail};

/// Parses the model file `source`, read from `path` (used in diagnostics only).
///
/// Never panics; on error, the diagnostic's line is at most one past the file's last line
/// and its column at most one past the end of that line. Input nested deeper than a dozen
/// levels is parsed on a short-lived helper thread with a large stack, so nesting up to
/// [`MAX_DEPTH`] is safe whatever the caller's stack size.
///
/// ```
/// let src = "# expect: deterministic\ndef main():\n    return 1\n";
/// let p = forkwait_model::parse("m.fw", src)?;
/// assert_eq!(p.expect, Some(vec!["deterministic".to_string()]));
/// assert_eq!(p.function("main").unwrap().body.len(), 1);
/// # Ok::<(), forkwait_model::Diagnostic>(())
/// ```
pub fn parse(path: &str, source: &str) -> Result<Program, Diagnostic> {
    let expect = scan_expect(path, source)?;
    let toks = lexer::tokenize(path, source)?;
    let shallow = lexer::nesting_bound(&toks) <= INLINE_NESTING;
    let mut p = Parser {
        path,
        toks,
        pos: 0,
        depth: 0,
        in_function: false,
        loops: 0,
        imports: Vec::new(),
        method: None,
    };
    let (stmts, functions, classes) = if shallow {
        p.program()?
    } else {
        p.program_on_big_stack()?
    };
    let (expect, expect_span) = expect.map_or((None, None), |(w, s)| (Some(w), Some(s)));
    let (path, source) = (path.to_string(), source.to_string());
    Ok(Program {
        path,
        source,
        expect,
        expect_span,
        stmts,
        functions,
        classes,
        imports: p.imports,
    })
}

/// Inputs whose nesting bound is at most this are parsed on the caller's stack: in an
/// unoptimised build that takes up to about a quarter of a MiB, far less when optimised.
const INLINE_NESTING: u32 = 12;

/// The helper thread's stack for deeper inputs: room for [`MAX_DEPTH`] levels of the most
/// stack-hungry nesting in an unoptimised build, with a wide margin.
const PARSER_STACK: usize = 32 << 20;

type Items = (Vec<Stmt>, Vec<FunctionDef>, Vec<ClassDef>);

/// Reads the `# expect: a, b` comment among the comment and blank lines that open the
/// file. Returns the verdict words and the span of `expect`, or `None` if there is no such
/// comment. Each word must be one of [`VERDICTS`]; a second `expect` comment, an empty
/// list, an empty, unknown or repeated word is an error at that word.
fn scan_expect(path: &str, source: &str) -> Result<Option<(Vec<String>, Span)>, Diagnostic> {
    let mut found: Option<(Vec<String>, Span)> = None;
    for (i, line) in source.split('\n').enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = line.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\x0c']);
        let mut col = (line.chars().count() - text.chars().count()) as u32 + 1;
        if text.trim_end().is_empty() {
            continue;
        }
        let Some(comment) = text.strip_prefix('#') else {
            break;
        };
        let body = comment.trim_start();
        col += 1 + (comment.chars().count() - body.chars().count()) as u32;
        let Some(list) = body.strip_prefix("expect:") else {
            continue;
        };
        let at = Span::new(lineno, col);
        if found.is_some() {
            return Err(Diagnostic::new(path, at, "a second `expect` comment"));
        }
        col += "expect:".len() as u32;
        let list = list.trim_end_matches(['\r', ' ', '\t']);
        if list.trim().is_empty() {
            return Err(Diagnostic::new(
                path,
                Span::new(lineno, col + list.chars().count() as u32),
                format!(
                    "expected a verdict after `expect:` (one of {})",
                    VERDICTS.join(", ")
                ),
            ));
        }
        let mut words = Vec::new();
        for piece in list.split(',') {
            let word = piece.trim();
            let lead = piece.chars().count() - piece.trim_start().chars().count();
            let span = Span::new(lineno, col + lead as u32);
            col += piece.chars().count() as u32 + 1;
            if word.is_empty() {
                return Err(Diagnostic::new(path, span, "expected a verdict word"));
            }
            if !VERDICTS.contains(&word) {
                return Err(Diagnostic::new(
                    path,
                    span,
                    format!(
                        "unknown verdict `{word}` (expected one of {})",
                        VERDICTS.join(", ")
                    ),
                ));
            }
            if words.iter().any(|w| w == word) {
                return Err(Diagnostic::new(
                    path,
                    span,
                    format!("verdict `{word}` is repeated"),
                ));
            }
            words.push(word.to_string());
        }
        found = Some((words, at));
    }
    Ok(found)
}
