//! The library's layers point one way (CONTRIBUTING's map): the runtime never names the
//! simulator, the simulator never names the runtime or `sync`, `sync` reaches the
//! simulator only through `sim::object`, and only `backend.rs` dispatches on the mode for
//! the API. Checked on the source text, so a stray import fails here, not in review.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every non-comment line of the library's sources under `sub` naming `needle`, as
/// `path:line`.
fn uses(sub: &str, needle: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root.join(sub), &mut files);
    files.sort();
    let mut hits = Vec::new();
    for f in files {
        let text = fs::read_to_string(&f).expect("readable source");
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains(needle) {
                let rel = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
                hits.push(format!("{rel}:{}", i + 1));
            }
        }
    }
    hits
}

#[test]
fn the_runtime_never_names_the_simulator() {
    assert_eq!(uses("runtime", "crate::sim"), Vec::<String>::new());
    assert_eq!(uses("runtime", "sim::"), Vec::<String>::new());
}

#[test]
fn the_simulator_never_names_the_runtime_or_sync() {
    assert_eq!(uses("sim", "crate::runtime"), Vec::<String>::new());
    assert_eq!(uses("sim", "crate::sync::"), Vec::<String>::new());
}

#[test]
fn sync_reaches_the_simulator_only_through_its_object_interface() {
    let all = uses("sync", "sim::");
    let narrow = uses("sync", "crate::sim::object");
    assert!(
        !narrow.is_empty(),
        "sync is instrumented through sim::object"
    );
    assert_eq!(all, narrow);
    assert_eq!(uses("sync", "mode::"), Vec::<String>::new());
}

#[test]
fn only_the_backend_dispatches_on_the_mode_for_the_api() {
    // The runtime and the simulator may ask whether this thread is theirs; the API's
    // modules (everything else at the top level) go through `backend.rs`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut top: Vec<_> = fs::read_dir(&root)
        .expect("src")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    top.sort();
    let mut offenders = Vec::new();
    for f in top {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name == "backend.rs" || name == "mode.rs" {
            continue;
        }
        let text = fs::read_to_string(&f).expect("readable");
        if text.contains("context::current()") || text.contains("mode::current()") {
            offenders.push(name);
        }
    }
    assert_eq!(offenders, Vec::<String>::new());
}
