//! Helpers shared by the CLI tests: running the `forkwait` binary from the repository
//! root.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the `forkwait` binary with `args`, from the repository root.
pub fn forkwait(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forkwait"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("the binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
