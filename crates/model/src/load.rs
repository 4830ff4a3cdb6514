//! [`Model`]: a loaded, statically checked model that can be run in any mode.

use super::ast::{Span, VERDICTS};
use super::diag::Diagnostic;
use super::interp::{Interp, Sink, raise};
use super::resolve::{Code, resolve_entry};
use super::snapshot::Snapshot;
use super::{Program, parse};
use forkwait::hooks::{self, Mode};
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where a model's `print(...)` goes.
///
/// ```
/// assert_eq!(forkwait_model::Print::default(), forkwait_model::Print::Discard);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Print {
    /// Nowhere (the default: the checker runs a model hundreds of times).
    #[default]
    Discard,
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// Standard output during the first run of this [`Model`] value only.
    FirstRun,
}

/// A model program, parsed and checked, ready to run.
///
/// Under a [`Checker`](forkwait::Checker) of your own, give simulated tasks
/// [`MODEL_STACK_SIZE`](super::MODEL_STACK_SIZE) of stack (as
/// [`CheckOptions::checker`](super::CheckOptions::checker) does) if the model recurses
/// deeply: the default is sized for Rust closures, not for an interpreter.
///
/// Each [`run_main`](Model::run_main) starts from fresh state: the top-level statements
/// run, then `main()`, whose return value is the result. It runs in whatever forkwait
/// mode the caller is in: eager ([`Runtime::eager`](forkwait::Runtime::eager)), parallel,
/// traced ([`trace`](forkwait::trace())) or simulated ([`Checker::run`](forkwait::Checker::run)).
///
/// ```
/// use forkwait_model::Model;
/// let src = "\
/// def foo(a, b):
///     return a + b
///
/// def main():
///     fut = fork(foo, 2, b=2)
///     return [wait(fut), 'done']
/// ";
/// let model = Model::from_source("seed.fw", src).unwrap();
/// let eager = forkwait::Runtime::eager().run(|| model.run_main());
/// assert_eq!(format!("{eager:?}"), "[4, 'done']");
/// let report = forkwait::Checker::new().iterations(50).run(|| model.run_main());
/// assert!(report.is_clean());
/// assert_eq!(report.outcomes()[0].value, "[4, 'done']");
/// ```
#[derive(Clone)]
pub struct Model {
    code: Arc<Code>,
    print: Print,
    ran: Arc<AtomicBool>,
}

/// Why a model file could not be loaded.
///
/// ```
/// let err = forkwait_model::Model::load("no/such/file.fw").unwrap_err();
/// assert!(err.render().contains("no/such/file.fw"));
/// ```
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io {
        /// The path given.
        path: String,
        /// The error of the read.
        error: std::io::Error,
    },
    /// The file is not a valid model.
    Invalid {
        /// The located error.
        diagnostic: Diagnostic,
        /// The file's text (for rendering the diagnostic).
        source: String,
    },
}

impl LoadError {
    /// The error for a terminal: the rustc-like rendering with the source line and a
    /// caret for an invalid model.
    pub fn render(&self) -> String {
        match self {
            LoadError::Io { path, error } => format!("error: cannot read {path}: {error}"),
            LoadError::Invalid { diagnostic, source } => diagnostic.render(source),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, error } => write!(f, "cannot read {path}: {error}"),
            LoadError::Invalid { diagnostic, .. } => write!(f, "{diagnostic}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// The stack of the thread that runs a model in eager mode (reserved, not committed:
/// only what the model uses is touched).
const EAGER_STACK: usize = 1 << 30;

/// The stack size for the threads of a pool that runs models
/// ([`Runtime::parallel_with_stack`](forkwait::Runtime::parallel_with_stack), as
/// `forkwait run --mode parallel` does): a model call takes tens of KiB of stack in an
/// unoptimised build, and a waiting worker runs other tasks on top of the waiting one, so
/// a fork chain 1000 deep needs far more than the default 2 MiB. Reserved, not committed.
///
/// ```
/// use forkwait::Runtime;
/// use forkwait_model::{Model, POOL_STACK_SIZE};
/// let src = "def chain(n):\n    if n == 0:\n        return 0\n    return 1 + wait(fork(chain, n - 1))\n\ndef main():\n    return chain(1000)\n";
/// let m = Model::from_source("chain.fw", src).unwrap();
/// let rt = Runtime::parallel_with_stack(2, POOL_STACK_SIZE);
/// assert_eq!(format!("{:?}", rt.run(|| m.try_run_main()).unwrap()), "1000");
/// ```
pub const POOL_STACK_SIZE: usize = 512 << 20;

/// Rejects a near miss of the `# expect:` header in the file's leading comment block: a
/// comment whose text starts with `expect` in any case (`# expect panic`,
/// `# Expect: panic`, `# expects: panic`, `# expect : panic`) but not with exactly
/// `expect:`. Such a comment would otherwise be an ordinary comment, and the model would
/// silently lose its gate. The error points at the first character that differs from
/// `expect:` and shows the correct spelling. (Valid headers are checked by the parser.)
///
/// ```
/// use forkwait_model::Model;
/// let e = Model::from_source("m.fw", "# Expect: panic\ndef main():\n    pass\n").err().unwrap();
/// assert!(e.to_string().starts_with("m.fw:1:3: error: misspelled `# expect:` header"), "{e}");
/// assert!(e.notes.iter().any(|n| n.contains("`# expect: panic`")));
/// ```
fn check_header_spelling(path: &str, source: &str) -> Result<(), Diagnostic> {
    for (i, line) in source.split('\n').enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = line.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\x0c']);
        if text.trim_end().is_empty() {
            continue;
        }
        let Some(comment) = text.strip_prefix('#') else {
            break;
        };
        let body = comment.trim_start();
        let lead = line.chars().count() - body.chars().count();
        let word: String = body.chars().take(6).collect();
        if !word.eq_ignore_ascii_case("expect") || body.starts_with("expect:") {
            continue;
        }
        // The first character that differs from `expect:`.
        let off = "expect:"
            .chars()
            .zip(body.chars().chain(std::iter::repeat('\0')))
            .position(|(want, got)| want != got)
            .unwrap_or(0);
        let at = Span::new(lineno, (lead + off + 1) as u32);
        // What follows the misspelt word (`s`, `ed`, ...) and its separator is the list.
        let after_word = body[word.len()..].trim_start_matches(|c: char| c.is_alphabetic());
        let list = after_word
            .trim_start_matches([' ', '\t', ':', '=', '-'])
            .trim_end();
        let words: Vec<&str> = list
            .split([',', ' ', '\t'])
            .filter(|w| !w.is_empty())
            .collect();
        let fixed = if words.is_empty() {
            "# expect: deterministic".to_string()
        } else {
            format!("# expect: {}", words.join(", ").to_ascii_lowercase())
        };
        return Err(Diagnostic::new(
            path,
            at,
            "misspelled `# expect:` header: as written it is an ordinary comment, and the \
             model's verdicts would not be checked",
        )
        .with_note(format!("write it as `{fixed}`"))
        .with_note(format!(
            "the header is `# expect:` (lowercase, the colon right after `expect`) followed by \
             verdicts separated by commas, each one of {}",
            VERDICTS.join(", ")
        )));
    }
    Ok(())
}

/// Every model path loaded in this process.
static PATHS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// Leaks each distinct model path once, so that source spans (`&'static str`) can name it.
fn intern(path: &str) -> &'static str {
    let mut paths = PATHS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = paths.get(path) {
        return p;
    }
    let p: &'static str = Box::leak(path.to_string().into_boxed_str());
    paths.insert(p);
    p
}

impl Model {
    /// Parses and checks `source`, read from `path` (which names the file in errors, source
    /// spans and reports).
    ///
    /// # Errors
    ///
    /// A syntax error, a missing `main()`, an unknown name, a wrong argument count of a
    /// direct call, an operator applied to literals of the wrong types: a [`Diagnostic`].
    ///
    /// ```
    /// let err = forkwait_model::Model::from_source("m.fw", "def main():\n    return 1 + 'a'\n")
    ///     .err().unwrap();
    /// assert_eq!(err.to_string(), "m.fw:2:14: error: unsupported operand type(s) for +: 'int' and 'str'");
    /// ```
    pub fn from_source(path: &str, source: &str) -> Result<Model, Diagnostic> {
        Model::from_source_entry(path, source, "main")
    }

    /// [`Model::from_source`] with another entry point than `main()`: the top-level
    /// function `entry`, which must take no arguments (`forkwait check --entry NAME`).
    ///
    /// ```
    /// let src = "import torch\n\ndef test_fork():\n    return torch.jit.wait(torch.jit.fork(abs, -2))\n";
    /// let m = forkwait_model::Model::from_source_entry("t.py", src, "test_fork").unwrap();
    /// let v = forkwait::Runtime::eager().run(|| m.try_run_main()).unwrap();
    /// assert_eq!(format!("{v:?}"), "2");
    /// assert!(forkwait_model::Model::from_source("t.py", src).is_err()); // no main()
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Model::from_source`]; also when there is no such function.
    pub fn from_source_entry(path: &str, source: &str, entry: &str) -> Result<Model, Diagnostic> {
        check_header_spelling(path, source)?;
        let program = parse(path, source)?;
        let code = resolve_entry(program, intern(path), entry)?;
        Ok(Model {
            code: Arc::new(code),
            print: Print::Discard,
            ran: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Reads, parses and checks the model file at `path`.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or is not a valid model (see [`Model::from_source`]).
    ///
    /// ```no_run
    /// let model = forkwait_model::Model::load("models/seed_function.fw").unwrap();
    /// println!("{:?}", model.run_main());
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Model, LoadError> {
        Model::load_entry(path, "main")
    }

    /// [`Model::load`] with another entry point than `main()` (see
    /// [`Model::from_source_entry`]).
    ///
    /// # Errors
    ///
    /// As [`Model::load`].
    ///
    /// ```no_run
    /// let model = forkwait_model::Model::load_entry("models/torch_module.py", "main").unwrap();
    /// ```
    pub fn load_entry(path: impl AsRef<Path>, entry: &str) -> Result<Model, LoadError> {
        let shown = path.as_ref().to_string_lossy().replace('\\', "/");
        let source = std::fs::read_to_string(path.as_ref()).map_err(|error| LoadError::Io {
            path: shown.clone(),
            error,
        })?;
        Model::from_source_entry(&shown, &source, entry)
            .map_err(|diagnostic| LoadError::Invalid { diagnostic, source })
    }

    /// Sets where `print(...)` writes (see [`Print`]).
    ///
    /// ```
    /// use forkwait_model::{Model, Print};
    /// let m = Model::from_source("p.fw", "def main():\n    print('hi')\n").unwrap();
    /// let m = m.with_print(Print::Stderr);
    /// assert_eq!(format!("{:?}", m.run_main()), "None");
    /// ```
    pub fn with_print(mut self, print: Print) -> Model {
        self.print = print;
        self
    }

    /// The path the model was loaded from.
    ///
    /// ```
    /// let m = forkwait_model::Model::from_source("a/b.fw", "def main():\n    pass\n").unwrap();
    /// assert_eq!(m.path(), "a/b.fw");
    /// ```
    pub fn path(&self) -> &'static str {
        self.code.file
    }

    /// The model's source text.
    ///
    /// ```
    /// let m = forkwait_model::Model::from_source("m.fw", "def main():\n    pass\n").unwrap();
    /// assert!(m.source().starts_with("def main"));
    /// ```
    pub fn source(&self) -> &str {
        &self.code.program.source
    }

    /// The syntax tree.
    ///
    /// ```
    /// let m = forkwait_model::Model::from_source("m.fw", "def main():\n    pass\n").unwrap();
    /// assert!(m.program().function("main").is_some());
    /// ```
    pub fn program(&self) -> &Program {
        &self.code.program
    }

    /// The verdicts of the model's `# expect:` header, if it has one.
    ///
    /// ```
    /// let src = "# expect: deterministic\ndef main():\n    return 1\n";
    /// let m = forkwait_model::Model::from_source("m.fw", src).unwrap();
    /// assert_eq!(m.expect(), Some(&["deterministic".to_string()][..]));
    /// ```
    pub fn expect(&self) -> Option<&[String]> {
        self.code.program.expect.as_deref()
    }

    fn sink(&self) -> Sink {
        match self.print {
            Print::Discard => Sink::Discard,
            Print::Stdout => Sink::Stdout,
            Print::Stderr => Sink::Stderr,
            Print::FirstRun => Sink::FirstRun(self.ran.clone()),
        }
    }

    /// Runs the model once (top-level statements, then `main()`) and returns a snapshot of
    /// what `main()` returned, or the located runtime error.
    ///
    /// # Errors
    ///
    /// A runtime error of the model (an unknown name, a type error, a failed `assert`,
    /// an error raised in a waited task, ...), located in the model.
    ///
    /// ```
    /// let src = "def main():\n    xs = [1]\n    return xs[3]\n";
    /// let m = forkwait_model::Model::from_source("m.fw", src).unwrap();
    /// let err = forkwait::Runtime::eager().run(|| m.try_run_main()).unwrap_err();
    /// assert_eq!(err.to_string(), "m.fw:3:15: error: list index out of range");
    /// ```
    pub fn try_run_main(&self) -> Result<Snapshot, Diagnostic> {
        if hooks::mode() == Mode::Eager {
            // Eager forks run inline, on this stack: interpret on a thread with room for
            // Python's recursion limit in every task of a fork chain.
            let spawned = std::thread::scope(|s| {
                std::thread::Builder::new()
                    .name("forkwait-model".into())
                    .stack_size(EAGER_STACK)
                    .spawn_scoped(s, || forkwait::Runtime::eager().run(|| self.try_run_here()))
                    .map(|h| h.join())
            });
            match spawned {
                Ok(Ok(r)) => return r,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => {} // no thread: run here, within this thread's stack
            }
        }
        self.try_run_here()
    }

    fn try_run_here(&self) -> Result<Snapshot, Diagnostic> {
        let interp = Interp::new(self.code.clone(), self.sink());
        let r = interp.run_main().map(|v| v.snapshot());
        drop(interp);
        self.ran.store(true, Ordering::Relaxed);
        // Under the simulator the span is per task (the end of `main` shows its last line);
        // elsewhere it is per thread, so forget it.
        if hooks::mode() != Mode::Simulator {
            forkwait::hooks::clear_source_span();
        }
        r.map_err(|d| *d)
    }

    /// Like [`try_run_main`](Model::try_run_main), but a runtime error panics with the
    /// message `"{file}:{line}:{col}: error: {message}"`, so that under the checker it is
    /// a `Panic` finding located in the model.
    ///
    /// # Panics
    ///
    /// On a runtime error of the model.
    ///
    /// ```
    /// let src = "def main():\n    assert 1 == 2, 'no'\n";
    /// let m = forkwait_model::Model::from_source("m.fw", src).unwrap();
    /// let r = forkwait::Checker::new().iterations(3).run(|| m.run_main());
    /// assert!(r.findings()[0].message().contains("m.fw:2:5: error: assertion failed: no"));
    /// ```
    pub fn run_main(&self) -> Snapshot {
        match self.try_run_main() {
            Ok(v) => v,
            Err(d) => raise(&d),
        }
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("path", &self.code.file)
            .finish_non_exhaustive()
    }
}

/// Whether a panic message is a model's located runtime error (`file:line:col: error:
/// ...` for a model loaded in this process): a panic hook can keep such a panic quiet,
/// since the command that ran the model reports the error itself.
///
/// ```
/// use forkwait_model::{Model, is_model_error};
/// let _ = Model::from_source("quiet.fw", "def main():\n    return 1\n").unwrap();
/// assert!(is_model_error("quiet.fw:2:5: error: division by zero"));
/// assert!(!is_model_error("called `Option::unwrap()` on a `None` value"));
/// assert!(!is_model_error("unknown.fw:2:5: error: x"));
/// ```
pub fn is_model_error(message: &str) -> bool {
    let paths = PATHS.lock().unwrap_or_else(|e| e.into_inner());
    paths
        .iter()
        .any(|file| crate::tasks::parse_located(file, message).is_some())
}
