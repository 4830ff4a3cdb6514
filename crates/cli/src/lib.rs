//! The `forkwait` command line: check, replay, run and trace `.fw` and `.py` models, and fuzz the
//! checker with generated programs.
//!
//! `src/main.rs` only calls [`main`]; [`run`] takes the arguments and returns the exit
//! status, so the whole command line can be driven from tests.
//!
//! Exit status: **0** when every model got exactly the verdicts of its `# expect:` header
//! (or, without a header, nothing was found); **1** when a model did not (or, for `run`,
//! `trace` and `replay`, when the model failed at run time or the replayed schedule shows a
//! finding); **2** on bad usage or bad input: unknown flags, a missing or malformed model
//! (rendered as `file:line:col` with the source line and a caret), a corrupt or stale
//! replay token.
//!
//! ```
//! let code = forkwait_cli::run(["forkwait", "check", "--iterations", "x", "models"]);
//! assert_eq!(code, 2); // bad usage
//! ```

mod check;
mod commands;
mod fuzz;

use clap::{Args, Parser, Subcommand, ValueEnum};
use forkwait::{Strategy, WaitPolicy};
use forkwait_model::{CheckOptions, LoadError, Model};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit status: 0 when every model got exactly the verdicts of its `# expect:` header (a model
without a header: when nothing was found); 1 otherwise, or when `run`/`trace` hit a runtime
error of the model, or the replayed schedule shows a finding; 2 on bad usage or bad input
(unknown flags, a malformed model, shown as file:line:col with a caret, a bad token).";

/// forkwait: fork/wait programs (`.fw` models), checked deterministically.
#[derive(Parser, Debug)]
#[command(name = "forkwait", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Explore every model's schedules and compare the verdicts with its `# expect:` header.
    ///
    /// Prints a table of verdicts, then each finding with its interleaving (model lines)
    /// and the `forkwait replay` command that reproduces it.
    Check(CheckArgs),
    /// Run exactly one schedule of a model: the interleaving step by step, then the outcome.
    Replay(ReplayArgs),
    /// Run `main()` once and print its result (and what the model prints).
    ///
    /// A runtime error of the model is printed with its location and exits with 1.
    Run(RunArgs),
    /// Run `main()` eagerly and print the fork/wait graph: TorchScript-style IR
    /// (`prim::fork` with its subgraph, `aten::wait`), Graphviz dot or JSON.
    ///
    /// A model that deadlocks or livelocks is stopped after --timeout with where its
    /// tasks are, and exits with 1.
    Trace(TraceArgs),
    /// Generate random fork/wait programs and check each in both forms (Rust, under the
    /// simulator, and its `.fw` model): a pure program must be clean with one outcome, a
    /// planted bug (--inject) must be found, and both forms must agree.
    ///
    /// Prints the programs run, the detection rate per planted kind and the throughput. A
    /// discrepancy is shrunk to a small program, printed (or written to --out as a `.fw`
    /// model that `forkwait check` shows), and the exit status is 1.
    Fuzz(FuzzArgs),
}

/// Simulator settings shared by `check` and `replay`.
#[derive(Args, Debug, Clone)]
struct SimArgs {
    /// Model a pool of K workers (default: unbounded); see --wait.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    workers: Option<u32>,
    /// What a task blocked in `wait` does with its worker: `suspend` frees it (the
    /// TorchScript interpreter, the default), `block` holds it (Static Runtime: nested forks
    /// can starve).
    #[arg(long, value_enum, value_name = "POLICY")]
    wait: Option<WaitArg>,
    /// The step limit of one execution (default 20000); beyond it the verdict is
    /// `livelock`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_steps: Option<u64>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Model files, or directories (every `.fw` and `.py` file below them, sorted by path).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The entry point: the top-level function to run (default `main`), which must take
    /// no arguments.
    #[arg(long, default_value = "main", value_name = "NAME")]
    entry: String,
    /// How to explore schedules: random, pct:D (PCT for bugs of depth D), exhaustive, or
    /// exhaustive:K (at most K preemptions).
    #[arg(long, default_value = "random", value_parser = parse_strategy)]
    strategy: Strategy,
    /// Executions per model (at least 1; default 1000, and no limit for an exhaustive
    /// search, which runs to its end).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    iterations: Option<u64>,
    /// The seed: iteration i depends on (seed, i) only.
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed: u64,
    #[command(flatten)]
    sim: SimArgs,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// Check this many models in parallel (each model's check stays single-threaded and
    /// deterministic; the output is always in path order).
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    jobs: u32,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// The model file.
    file: PathBuf,
    /// The replay token (`fw1:...`) printed by `check`.
    token: String,
    /// The entry point: the top-level function to run (default `main`), which must take
    /// no arguments.
    #[arg(long, default_value = "main", value_name = "NAME")]
    entry: String,
    /// Give the same --workers, --wait and --max-steps as the `check` that printed the
    /// token (`check` prints them in its replay commands).
    #[command(flatten)]
    sim: SimArgs,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The model file.
    file: PathBuf,
    /// eager: forks run at the fork point; parallel: a thread pool; sim: one simulated
    /// schedule (print output is shown for its first execution only).
    #[arg(long, value_enum, default_value = "eager")]
    mode: Mode,
    /// The entry point: the top-level function to run (default `main`), which must take
    /// no arguments.
    #[arg(long, default_value = "main", value_name = "NAME")]
    entry: String,
    /// Threads of the pool in parallel mode (default: the machine's parallelism).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
    /// The seed of the schedule in sim mode.
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed: u64,
    #[command(flatten)]
    watch: WatchArgs,
}

/// The watchdog of the commands that run a model on real threads (`run` in eager and
/// parallel mode, `trace`).
#[derive(Args, Debug, Clone, Copy)]
struct WatchArgs {
    /// If `main()` has not finished after SECS seconds, report where every task is (a
    /// deadlock or a livelock) and exit with 1 (`run`: in eager and parallel mode).
    #[arg(long, default_value_t = 10, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
}

#[derive(Args, Debug)]
struct TraceArgs {
    /// The model file.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "ir")]
    format: Format,
    /// The entry point: the top-level function to run (default `main`), which must take
    /// no arguments.
    #[arg(long, default_value = "main", value_name = "NAME")]
    entry: String,
    #[command(flatten)]
    watch: WatchArgs,
}

#[derive(Args, Debug)]
struct FuzzArgs {
    /// The seed: program i depends on (seed, i) only.
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed: u64,
    /// How many programs (default 100).
    #[arg(long, value_name = "N", conflicts_with = "time",
          value_parser = clap::value_parser!(u64).range(1..))]
    programs: Option<u64>,
    /// Generate programs for SECS seconds instead of a count.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    time: Option<u64>,
    /// Plant this bug in every program (impure: input, module attribute and global in
    /// turn; panic: a waited and a lost error in turn); exit 0 only if every one is found.
    #[arg(long, value_enum, value_name = "KIND")]
    inject: Option<InjectArg>,
    /// Executions per program and form (the checker's default budget).
    #[arg(long, default_value_t = 1000, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// Write each shrunk counterexample here as a `.fw` model.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The most forked tasks of a program (default 8).
    #[arg(long, default_value_t = 8, value_name = "N",
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    max_tasks: u64,
    /// The deepest fork nesting (default 3).
    #[arg(long, default_value_t = 3, value_name = "N",
          value_parser = clap::value_parser!(u64).range(0..=100))]
    max_depth: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum InjectArg {
    Impure,
    Race,
    Nondeterminism,
    Panic,
    Deadlock,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum WaitArg {
    Suspend,
    Block,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Eager,
    Parallel,
    Sim,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Ir,
    Dot,
    Json,
}

fn parse_strategy(s: &str) -> Result<Strategy, String> {
    // The library reads `pct:0` as depth 1; on the command line it is a mistake.
    if let Some(d) = s.trim().strip_prefix("pct:") {
        if d.trim().parse::<u32>() == Ok(0) {
            return Err("the PCT depth must be at least 1 (pct:1, pct:2, ...)".into());
        }
    }
    match s.parse::<Strategy>()? {
        Strategy::Replay(_) => Err("use `forkwait replay FILE TOKEN` to replay a token".into()),
        other => Ok(other),
    }
}

impl SimArgs {
    fn options(&self) -> CheckOptions {
        let d = CheckOptions::default();
        CheckOptions {
            workers: self.workers,
            wait: match self.wait {
                Some(WaitArg::Block) => WaitPolicy::Block,
                _ => WaitPolicy::Suspend,
            },
            max_steps: self.max_steps.unwrap_or(d.max_steps),
            ..d
        }
    }
}

/// Writes to standard output, ignoring a closed pipe (`forkwait check models | head`).
pub(crate) fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// Writes to standard error, ignoring errors.
pub(crate) fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Loads a model, printing the rendered error on failure.
pub(crate) fn load(path: &std::path::Path, entry: &str) -> Result<Model, i32> {
    Model::load_entry(path, entry).map_err(|e: LoadError| {
        err(&format!("{}\n", e.render()));
        2
    })
}

/// Keeps the panics that carry model errors quiet outside the simulator (their message is
/// reported by the command itself); other panics print as usual.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            // A model's located runtime error (whatever source file raised it).
            let model_error = message.is_some_and(forkwait_model::is_model_error);
            // The pool's deadlock detection, under `forkwait run`: reported in model lines.
            let hazard = message.is_some_and(|m| {
                m.starts_with(commands::HAZARD_PREFIX) && commands::report_hazard(m)
            });
            if !model_error && !hazard {
                prev(info);
            }
        }));
    });
}

/// Runs the command line `args` (the first item is the program name) and returns the exit
/// status (see the module docs).
///
/// ```
/// assert_eq!(forkwait_cli::run(["forkwait", "run", "no/such/model.fw"]), 2);
/// ```
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    install_quiet_hook();
    match cli.command {
        Command::Check(a) => check::command(&a),
        Command::Replay(a) => commands::replay(&a),
        Command::Run(a) => commands::run(&a),
        Command::Trace(a) => commands::trace(&a),
        Command::Fuzz(a) => fuzz::command(&a),
    }
}

/// The entry point of the `forkwait` binary: [`run`] on the process's arguments.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     forkwait_cli::main()
/// }
/// ```
pub fn main() -> std::process::ExitCode {
    let code = run(std::env::args_os());
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(2))
}
