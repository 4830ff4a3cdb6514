//! Helpers shared by the integration tests (each test binary uses some of them).
#![allow(dead_code)]

use forkwait::{FindingKind, Report, Strategy};
use std::time::Duration;

/// Runs `f` on a thread and fails (instead of hanging) if it takes longer than 30 s.
pub fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("{what}: did not finish within 30 s (hang on the real pool)"),
    }
}

/// The distinct outcomes of a report, sorted.
pub fn values(r: &Report) -> Vec<String> {
    let mut v: Vec<String> = r.outcomes().iter().map(|o| o.value.clone()).collect();
    v.sort();
    v
}

/// The kinds of the findings that are errors (not warnings).
pub fn errors(r: &Report) -> Vec<FindingKind> {
    r.findings()
        .iter()
        .filter(|f| !f.is_warning())
        .map(|f| f.kind())
        .collect()
}

/// The message of the report's `Deadlock` finding.
///
/// # Panics
///
/// If there is none.
pub fn deadlock_message(r: &Report) -> String {
    r.findings()
        .iter()
        .find(|f| f.kind() == FindingKind::Deadlock)
        .unwrap_or_else(|| panic!("no deadlock found: {r}"))
        .message()
        .to_string()
}

/// One strategy of each kind: random, PCT, bounded exhaustive.
pub fn strategies() -> [Strategy; 3] {
    [
        Strategy::Random,
        Strategy::Pct { depth: 2 },
        Strategy::Exhaustive {
            max_preemptions: Some(2),
        },
    ]
}

/// Runs the ignored test `name` of this test binary in a child process (at most 30 s) and
/// returns its standard error and whether it passed.
pub fn probe(name: &str) -> (String, bool) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", name, "--nocapture"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the probe {name} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// The smallest lost update: main and one task each read a counter and write it plus
/// one (a race, an impure write of an input, and two outcomes: 1 and 2).
pub fn lost_update() -> usize {
    use forkwait::sync::{Arc, Shared};
    let c = Arc::new(Shared::new(0));
    let c2 = c.clone();
    let t = forkwait::fork(move || c2.write(c2.read() + 1));
    c.write(c.read() + 1);
    forkwait::wait(t);
    c.read()
}
