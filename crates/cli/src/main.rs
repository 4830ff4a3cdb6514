//! The `forkwait` command line (see [`forkwait::cli`]).

fn main() -> std::process::ExitCode {
    forkwait_cli::main()
}
