//! `.py` models on the command line: directory walks take them, `--entry NAME` picks the
//! entry point of `check`, `run`, `replay` and `trace`, and `check` prints replay commands
//! that carry it.

use std::path::{Path, PathBuf};

mod common;
use common::{forkwait, stderr, stdout};

/// A scratch directory of this test file, emptied.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_py")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

const RACY: &str = "\
# expect: nondeterministic, impure, race
import torch

counter = [0]

def bump():
    counter[0] += 1

def test_race():
    a = torch.jit.fork(bump)
    b = torch.jit._fork(bump)
    torch.jit.wait(a)
    torch.jit.wait(b)
    return counter[0]

if __name__ == \"__main__\":
    test_race()
";

#[test]
fn a_directory_walk_checks_py_and_fw_models() {
    let dir = scratch_dir("walk");
    std::fs::write(
        dir.join("a.fw"),
        "# expect: deterministic\ndef main():\n    return wait(fork(abs, -1))\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.py"),
        "# expect: deterministic\nimport torch\n\ndef main():\n    return torch.jit.wait(torch.jit.fork(torch.neg, 1))\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a model").unwrap();
    let d = dir.to_string_lossy().into_owned();
    let o = forkwait(&["check", &d, "--iterations", "50"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("a.fw") && out.contains("b.py"), "{out}");
    assert!(
        out.contains("2 models: every one got the verdicts it expects"),
        "{out}"
    );
    assert!(!out.contains("notes.txt"), "{out}");
    let empty = scratch_dir("empty");
    let o = forkwait(&["check", &empty.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no .fw or .py model files in"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn entry_names_the_function_to_run_everywhere() {
    let dir = scratch_dir("entry");
    let f = dir.join("racy.py");
    std::fs::write(&f, RACY).unwrap();
    let f = f.to_string_lossy().into_owned();
    // Without --entry there is no main().
    let o = forkwait(&["check", &f, "--iterations", "50"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("no `main()` function"),
        "{}",
        stderr(&o)
    );
    let o = forkwait(&["check", &f, "--entry", "test_race", "--iterations", "200"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    // The printed replay command carries the entry point, and replays.
    let replay = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: forkwait replay "))
        .unwrap_or_else(|| panic!("no replay command in {out}"));
    assert!(replay.ends_with("--entry test_race"), "{replay}");
    let args: Vec<&str> = std::iter::once("replay")
        .chain(replay.split_whitespace())
        .collect();
    let o = forkwait(&args);
    assert!(
        stdout(&o).contains("racy.py:7:"),
        "{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let o = forkwait(&["run", &f, "--entry", "test_race"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "2");
    let o = forkwait(&["trace", &f, "--entry", "test_race"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("prim::fork"), "{}", stdout(&o));
    let o = forkwait(&["run", &f, "--entry", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no top-level function `nope()`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_bundled_torch_models_check() {
    let o = forkwait(&[
        "check",
        "models/torch_module.py",
        "models/torch_grad_mode.py",
        "--iterations",
        "100",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    let o = forkwait(&["run", "models/torch_module.py"]);
    assert_eq!(stdout(&o).trim(), "10", "{}", stderr(&o));
}
