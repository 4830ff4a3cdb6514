//! The `forkwait` command line (see [`forkwait_cli`]).

fn main() -> std::process::ExitCode {
    forkwait_cli::main()
}
