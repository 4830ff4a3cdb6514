//! Regression files: failing schedules kept in `forkwait-regressions/<test>.txt` and
//! replayed first on later runs, as proptest keeps its `proptest-regressions/` files.
//!
//! # Format
//!
//! One bare token per line (`fw1:…`), each with a comment line above it saying what it
//! showed (`# Deadlock: …`). Lines starting with `#` and blank lines are comments. A
//! `Nondeterminism` finding keeps *both* schedules (two token lines under one comment), so
//! replaying the file reproduces the divergence. Older files that put the comment after
//! the token on the same line (`fw1:…  # Kind: message`) are read too.
//!
//! # Robustness
//!
//! * a line that is not a valid token (malformed, bad checksum, a newer format) is
//!   reported once on standard error and skipped; so is a line that is not UTF-8 — the
//!   rest of the file is still used;
//! * a token the program no longer follows (stale) is skipped by the caller;
//! * tokens are deduplicated against the file's content when saving;
//! * concurrent writers (tests of one binary run on several threads, or several test
//!   binaries) serialize on a lock file next to the regression file, created with
//!   `create_new` (atomic on every platform), and re-read the file under the lock, so no
//!   token is written twice; a writer that cannot get the lock in two seconds writes
//!   anyway (a duplicate line is harmless);
//! * a write failure is reported on standard error, never silently dropped, and never
//!   fails the test by itself.

use super::schedule::Schedule;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The regression file of one named test.
pub(crate) struct RegressionFile {
    path: PathBuf,
}

/// One thing to keep: a comment and the tokens that show it.
pub(crate) struct Entry {
    pub comment: String,
    pub tokens: Vec<String>,
}

impl RegressionFile {
    /// The file for the test `name`, under `$CARGO_MANIFEST_DIR` (or the working
    /// directory).
    pub(crate) fn for_test(name: &str) -> RegressionFile {
        let file: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| ".".into());
        RegressionFile {
            path: root
                .join("forkwait-regressions")
                .join(format!("{file}.txt")),
        }
    }

    #[cfg(test)]
    fn at(path: PathBuf) -> RegressionFile {
        RegressionFile { path }
    }

    /// The schedules kept in the file, in file order, without duplicates. Bad lines are
    /// reported on standard error (once per load) and skipped.
    pub(crate) fn load(&self) -> Vec<Schedule> {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return Vec::new();
        };
        let (schedules, problems) = parse(&bytes);
        for p in problems {
            eprintln!("forkwait: {}: {p} (skipped)", self.path.display());
        }
        schedules
    }

    /// Appends the entries whose tokens are not in the file yet.
    pub(crate) fn save(&self, entries: &[Entry]) {
        if entries.iter().all(|e| e.tokens.is_empty()) {
            return;
        }
        if let Err(e) = self.try_save(entries) {
            eprintln!(
                "forkwait: could not write the regression file {}: {e}",
                self.path.display()
            );
        }
    }

    fn try_save(&self, entries: &[Entry]) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let _lock = FileLock::acquire(&self.path.with_extension("txt.lock"));
        // Re-read under the lock: another writer may have added the same tokens.
        let existing = std::fs::read(&self.path).unwrap_or_default();
        let mut known = token_texts(&existing);
        let mut text = String::new();
        if existing.is_empty() {
            text.push_str(
                "# forkwait regression schedules: replayed first on every run of this test.\n\
                 # One token per line; `#` lines are comments. Safe to delete.\n",
            );
        }
        let mut wrote = false;
        for e in entries {
            let mut fresh: Vec<&String> = Vec::new();
            for t in &e.tokens {
                if !known.iter().any(|k| k == t) {
                    known.push(t.clone());
                    fresh.push(t);
                }
            }
            if fresh.is_empty() {
                continue;
            }
            for line in e.comment.lines() {
                text.push_str("# ");
                text.push_str(line);
                text.push('\n');
            }
            for t in fresh {
                text.push_str(t);
                text.push('\n');
            }
            wrote = true;
        }
        if !wrote {
            return Ok(());
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(text.as_bytes())?;
        file.flush()
    }
}

/// The token text of every line that holds one (valid or not).
fn token_texts(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter_map(token_of_line)
        .map(str::to_owned)
        .collect()
}

/// The token on a line, if the line is not a comment: the first word, so that an old
/// `TOKEN  # comment` line gives its token.
fn token_of_line(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    line.split_whitespace().next()
}

/// Parses a regression file: its schedules (deduplicated, in order) and a message for
/// every line that had to be skipped.
fn parse(bytes: &[u8]) -> (Vec<Schedule>, Vec<String>) {
    let mut out: Vec<Schedule> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let Ok(line) = std::str::from_utf8(raw) else {
            problems.push(format!("line {} is not UTF-8", i + 1));
            continue;
        };
        let Some(token) = token_of_line(line) else {
            continue;
        };
        if seen.iter().any(|s| s == token) {
            continue;
        }
        seen.push(token.to_owned());
        match Schedule::from_token(token) {
            Ok(s) => out.push(s),
            Err(e) => problems.push(format!("line {}: {e}", i + 1)),
        }
    }
    (out, problems)
}

/// A lock file held while writing (removed on drop).
struct FileLock {
    path: Option<PathBuf>,
}

impl FileLock {
    fn acquire(path: &Path) -> FileLock {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => {
                    return FileLock {
                        path: Some(path.to_owned()),
                    };
                }
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                // A crashed writer may have left it: write without it.
                Err(_) => return FileLock { path: None },
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(n: u32) -> String {
        Schedule::from_choices(vec![n % 2, 1]).to_token()
    }

    fn temp(name: &str) -> RegressionFile {
        let dir = std::env::temp_dir().join(format!("forkwait-persist-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        RegressionFile::at(path)
    }

    #[test]
    fn saved_tokens_load_back_bare_and_once() {
        let f = temp("once.txt");
        let e = Entry {
            comment: "Deadlock: two locks".into(),
            tokens: vec![token(0)],
        };
        f.save(std::slice::from_ref(&e));
        f.save(std::slice::from_ref(&e));
        let text = std::fs::read_to_string(&f.path).unwrap();
        assert_eq!(text.matches("fw1:").count(), 1, "{text}");
        assert!(text.contains("# Deadlock: two locks\nfw1:"), "{text}");
        assert_eq!(f.load().len(), 1);
    }

    #[test]
    fn one_token_shown_by_several_findings_is_stored_once() {
        let f = temp("shared_token.txt");
        let e = |c: &str| Entry {
            comment: c.into(),
            tokens: vec![token(0)],
        };
        f.save(&[e("Race"), e("ImpureWrite")]);
        let text = std::fs::read_to_string(&f.path).unwrap();
        assert_eq!(text.matches("fw1:").count(), 1, "{text}");
    }

    #[test]
    fn bad_lines_are_skipped_and_the_rest_is_kept() {
        let good = token(1);
        let mut bytes = format!("# c\nfw1:garbage\n{good}  # old style comment\n").into_bytes();
        bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
        bytes.extend_from_slice(format!("{good}\n").as_bytes());
        let (schedules, problems) = parse(&bytes);
        assert_eq!(schedules.len(), 1);
        assert_eq!(schedules[0].to_token(), good);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[1].contains("not UTF-8"));
    }

    #[test]
    fn concurrent_writers_store_each_token_once() {
        let f = std::sync::Arc::new(temp("concurrent.txt"));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let f = f.clone();
                std::thread::spawn(move || {
                    f.save(&[Entry {
                        comment: "Panic".into(),
                        tokens: vec![token(0), token(1)],
                    }])
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let text = std::fs::read_to_string(&f.path).unwrap();
        assert_eq!(text.matches("fw1:").count(), 2, "{text}");
    }

    #[test]
    fn a_write_failure_is_reported_not_fatal() {
        // A directory where the file should be: the write fails, nothing panics.
        let f = temp("is_a_dir.txt");
        std::fs::create_dir_all(&f.path).unwrap();
        f.save(&[Entry {
            comment: "x".into(),
            tokens: vec![token(0)],
        }]);
        assert!(
            f.try_save(&[Entry {
                comment: "x".into(),
                tokens: vec![token(1)],
            }])
            .is_err()
        );
    }
}
