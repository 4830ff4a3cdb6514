//! Schedules and their one-line replay tokens.
//!
//! A token is `fw1:` followed by URL-safe base64 (no padding) of
//!
//! ```text
//!   [FF 00] only in a *relative* schedule's token (see below)
//!   varint  number of choices
//!   varint* the choices (index into the runnable tasks, sorted by id; or relative)
//!   u64 LE  path fingerprint (hash of every step's task, operation and source line)
//!   u32 LE  CRC-32 of everything above
//! ```
//!
//! The checksum catches corruption and truncation; the fingerprint catches a *stale*
//! token, one made for a program that has changed since: replaying it takes another path.
//!
//! # Absolute and relative schedules
//!
//! A schedule the checker records is *absolute*: each choice is an index into the tasks
//! runnable at that point, sorted by id. That is exact, but it is a poor space to
//! generate or shrink in: index 0 means "the lowest id", which is a preemption whenever
//! another task is running, and a choice's meaning depends on every choice before it, so
//! a property's input that shrinks (one task fewer) moves every later choice.
//!
//! A generated schedule (proptest, quickcheck) is *relative*: a list of preemptions,
//! each a triple `(task, step, jump)` — at the `step`-th choice (from 0) at which task
//! number `task` (ids count from the main task, 0, in fork order) is the one running, run
//! the `jump`-th of the *other* runnable tasks after it instead (in id order, wrapping
//! among the others, so any `jump` fits and preempts whenever another task can run; 0
//! changes nothing). The task [`EVERY_FORKED_TASK`](Schedule::EVERY_FORKED_TASK) stands for each task: the preemption happens
//! at the `step`-th choice of every task. Every other choice is the default: keep running
//! the current task, else the lowest id. So the empty schedule is the non-preemptive one,
//! every list of numbers is a runnable schedule, and a preemption keeps its meaning when
//! other tasks come and go (a property's input shrinking). The choices hold the triples
//! flat; a trailing incomplete triple is dropped. Its token starts with the marker
//! `FF 00`, a non-canonical varint (127 written in two bytes) that the encoder never
//! writes for a length, so the two kinds of tokens cannot be confused.
//!
//! Why [`EVERY_FORKED_TASK`](Schedule::EVERY_FORKED_TASK): proptest shrinks the parts of a tuple one after the other, and with
//! the input first (`(vec(..), schedule())`) the schedule stays fixed while the input
//! shrinks. "Task 5 at its step 2" stops existing once the input has fewer than five
//! elements, so the failure disappears and the input cannot shrink below that; "every
//! task at its step 2" fails for any input of at least two elements, and the schedule's
//! own shrink then narrows it to the one task that matters. Generated schedules start
//! with such preemptions (`forkwait::proptest`, quickcheck).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;

/// The version prefix of every token this build writes and reads.
pub const TOKEN_PREFIX: &str = "fw1:";

/// A schedule: the list of scheduling choices of one execution.
///
/// ```
/// use forkwait::Schedule;
/// let s = Schedule::from_choices(vec![1, 0, 2]);
/// let token = s.to_token();
/// assert!(token.starts_with("fw1:"));
/// assert_eq!(Schedule::from_token(&token).unwrap().choices(), &[1, 0, 2]);
/// ```
///
/// Its `Debug` form is its token, so that a failing property's report (and proptest's
/// regression file, which keeps the `Debug` text of the shrunk input) shows a token that
/// [`replay`](crate::replay) and `FORKWAIT_REPLAY` take:
///
/// ```
/// let s = forkwait::Schedule::from_choices(vec![1]);
/// assert_eq!(format!("{s:?}"), format!("Schedule({:?})", s.to_token()));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    choices: Vec<u32>,
    fingerprint: u64,
    /// `choices` are `(task, step, jump)` preemptions (see the module notes).
    relative: bool,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Schedule").field(&self.to_token()).finish()
    }
}

/// The token marker of a relative schedule: a two-byte varint the encoder never writes.
const RELATIVE_MARKER: [u8; 2] = [0xFF, 0x00];

/// Why a replay token could not be used.
///
/// ```
/// let err = forkwait::Schedule::from_token("fw1:not-a-token").unwrap_err();
/// assert!(err.to_string().contains("token"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenError {
    message: String,
}

impl TokenError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        TokenError {
            message: message.into(),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TokenError {}

impl Schedule {
    /// The `task` of a relative schedule's preemption that stands for every task (see
    /// [`Schedule::relative`] and the notes on shrinking in `forkwait::proptest`).
    ///
    /// ```
    /// use forkwait::Schedule;
    /// // At its third choice, every task lets the next one run.
    /// let s = Schedule::relative(vec![Schedule::EVERY_FORKED_TASK, 2, 1]);
    /// assert_eq!(s.preemptions(), 1);
    /// ```
    pub const EVERY_FORKED_TASK: u32 = u32::MAX;

    /// A schedule from raw choices (no fingerprint: replaying it checks no path).
    ///
    /// ```
    /// assert_eq!(forkwait::Schedule::from_choices(vec![0, 1]).len(), 2);
    /// ```
    pub fn from_choices(choices: Vec<u32>) -> Self {
        Schedule {
            choices,
            fingerprint: 0,
            relative: false,
        }
    }

    /// A *relative* schedule: `preemptions` holds triples `(task, step, jump)`: at the
    /// `step`-th choice at which task number `task` (every task, for [`EVERY_FORKED_TASK`](Schedule::EVERY_FORKED_TASK)) is
    /// running, run the `jump`-th of the other runnable tasks after it (wrapping among
    /// them); the default everywhere else (see the module notes). Any list is runnable,
    /// which is what generated schedules (`forkwait::proptest`, quickcheck) need. A
    /// trailing incomplete triple and triples whose jump is 0 (they change nothing) are
    /// dropped. Where two triples name the same choice, the first counts.
    ///
    /// ```
    /// use forkwait::Schedule;
    /// // Task 1, at its second choice, lets the next task run; a no-op triple; a stray 5.
    /// let s = Schedule::relative(vec![1, 1, 1, 2, 0, 0, 5]);
    /// assert!(s.is_relative());
    /// assert_eq!(s.choices(), &[1, 1, 1]);
    /// assert_eq!(s.preemptions(), 1);
    /// // The token says it is relative.
    /// assert!(Schedule::from_token(&s.to_token()).unwrap().is_relative());
    /// ```
    pub fn relative(preemptions: Vec<u32>) -> Self {
        let choices = preemptions
            .chunks_exact(3)
            .filter(|p| p[2] != 0)
            .flatten()
            .copied()
            .collect();
        Schedule {
            choices,
            fingerprint: 0,
            relative: true,
        }
    }

    pub(crate) fn with_fingerprint(choices: Vec<u32>, fingerprint: u64) -> Self {
        Schedule {
            choices,
            fingerprint,
            relative: false,
        }
    }

    /// Whether the choices are relative to the default (see [`Schedule::relative`]) rather
    /// than indices into the runnable tasks (a recorded schedule).
    ///
    /// ```
    /// assert!(!forkwait::Schedule::from_choices(vec![1]).is_relative());
    /// ```
    pub fn is_relative(&self) -> bool {
        self.relative
    }

    /// The number of preemptions of a relative schedule (its triples with a nonzero
    /// jump; one for [`EVERY_FORKED_TASK`](Schedule::EVERY_FORKED_TASK) is one, though it may preempt several tasks); for an
    /// absolute one, the number of nonzero choices (which means little: index 0 is only
    /// the lowest id).
    ///
    /// ```
    /// use forkwait::Schedule;
    /// assert_eq!(Schedule::relative(vec![0, 0, 1, 3, 2, 1]).preemptions(), 2);
    /// assert_eq!(Schedule::from_choices(vec![0, 1, 0, 3]).preemptions(), 2);
    /// ```
    pub fn preemptions(&self) -> usize {
        if self.relative {
            self.choices.chunks_exact(3).filter(|p| p[2] != 0).count()
        } else {
            self.choices.iter().filter(|&&c| c != 0).count()
        }
    }

    /// The choices, each an index into the tasks runnable at that point (sorted by id).
    ///
    /// ```
    /// assert_eq!(forkwait::Schedule::from_choices(vec![3]).choices(), &[3]);
    /// ```
    pub fn choices(&self) -> &[u32] {
        &self.choices
    }

    /// The number of choices.
    ///
    /// ```
    /// assert!(forkwait::Schedule::default().is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.choices.len()
    }

    /// Whether the schedule has no choices.
    ///
    /// ```
    /// assert!(!forkwait::Schedule::from_choices(vec![0]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }

    /// The path fingerprint recorded with the schedule (0: none).
    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Runs `f` under exactly this schedule, with the default checker's settings, and
    /// returns its value: so a property can assert on one interleaving,
    /// `prop_assert_eq!(s.run(|| sum(&xs)), expected)`.
    ///
    /// Every `fork`, `wait`, `scope`, `yield_now` and `forkwait::sync` operation inside
    /// `f` is simulated, as under [`Checker::run`](crate::Checker::run), but nothing is
    /// reported: this is one execution, not a search. Any schedule value is runnable:
    /// once its choices run out the default follows (keep running the current task, else
    /// the lowest id); an absolute choice beyond the runnable tasks is the default too; a
    /// relative preemption's jump wraps among the runnable tasks (see
    /// [`Schedule::relative`]).
    /// A recorded schedule, such as a finding's token, runs the execution it was recorded
    /// from.
    ///
    /// # Panics
    ///
    /// If the program panics (in `f`, or in a task whose panic a `wait` re-raises), with
    /// that panic's own payload. If the program returns no value because the execution
    /// was aborted (a deadlock, the step limit, a stack overflow), with a message that
    /// names the schedule's token.
    ///
    /// ```
    /// use forkwait::{Schedule, fork, sync::Shared, wait};
    /// use std::sync::Arc;
    /// // Two tasks add 1 to a cell by read-then-write.
    /// let racy = || {
    ///     let cell = Arc::new(Shared::new(0));
    ///     let tasks: Vec<_> = (0..2)
    ///         .map(|_| {
    ///             let c = cell.clone();
    ///             fork(move || {
    ///                 let v = c.read();
    ///                 c.write(v + 1);
    ///             })
    ///         })
    ///         .collect();
    ///     tasks.into_iter().for_each(wait);
    ///     cell.read()
    /// };
    /// // No preemption: each task runs to its end, nothing is lost.
    /// assert_eq!(Schedule::default().run(racy), 2);
    /// // Task 1 preempted at its third choice, between its read and its write: the
    /// // other task's update is lost.
    /// assert_eq!(Schedule::relative(vec![1, 2, 1]).run(racy), 1);
    /// // A panic propagates with its payload.
    /// let p = std::panic::catch_unwind(|| Schedule::default().run(|| -> u32 { panic!("boom") }));
    /// assert_eq!(*p.unwrap_err().downcast::<&str>().unwrap(), "boom");
    /// ```
    #[track_caller]
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        super::check::run_schedule(self, f)
    }

    /// The one-line, printable replay token.
    ///
    /// ```
    /// let t = forkwait::Schedule::from_choices(vec![0; 100]).to_token();
    /// assert!(t.len() < 200 && !t.contains(char::is_whitespace));
    /// ```
    pub fn to_token(&self) -> String {
        let mut bytes = Vec::with_capacity(self.choices.len() + 18);
        if self.relative {
            bytes.extend_from_slice(&RELATIVE_MARKER);
        }
        put_varint(&mut bytes, self.choices.len() as u64);
        for &c in &self.choices {
            put_varint(&mut bytes, c as u64);
        }
        bytes.extend_from_slice(&self.fingerprint.to_le_bytes());
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Parses a token; a corrupt, truncated or foreign token is an error, never a panic.
    ///
    /// ```
    /// use forkwait::Schedule;
    /// let t = Schedule::from_choices(vec![2, 1]).to_token();
    /// assert!(Schedule::from_token(&t).is_ok());
    /// assert!(Schedule::from_token(&t[..t.len() - 2]).is_err()); // truncated
    /// assert!(Schedule::from_token("fw9:AAAA").is_err());        // other version
    /// ```
    pub fn from_token(token: &str) -> Result<Schedule, TokenError> {
        let token = token.trim();
        let Some(body) = token.strip_prefix(TOKEN_PREFIX) else {
            return Err(TokenError::new(match token.split_once(':') {
                Some((v, _)) if v.starts_with("fw") => format!(
                    "replay token version `{v}` is not supported by this forkwait (it reads \
                     `fw1`)"
                ),
                _ => "not a forkwait replay token: it must start with `fw1:`".to_string(),
            }));
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|e| TokenError::new(format!("corrupt replay token (not base64: {e})")))?;
        if bytes.len() < 13 {
            return Err(TokenError::new(
                "corrupt replay token: too short (truncated?)",
            ));
        }
        let (payload, crc) = bytes.split_at(bytes.len() - 4);
        let crc = u32::from_le_bytes(crc.try_into().expect("4 bytes"));
        if crc32fast::hash(payload) != crc {
            return Err(TokenError::new(
                "corrupt replay token: checksum mismatch (truncated or mistyped?)",
            ));
        }
        let (choice_bytes, fp) = payload.split_at(payload.len() - 8);
        let fingerprint = u64::from_le_bytes(fp.try_into().expect("8 bytes"));
        let relative = choice_bytes.starts_with(&RELATIVE_MARKER);
        let mut pos = if relative { RELATIVE_MARKER.len() } else { 0 };
        let n = get_varint(choice_bytes, &mut pos)
            .ok_or_else(|| TokenError::new("corrupt replay token: bad length"))?;
        let mut choices = Vec::new();
        for _ in 0..n {
            let c = get_varint(choice_bytes, &mut pos)
                .filter(|&c| c <= u32::MAX as u64)
                .ok_or_else(|| TokenError::new("corrupt replay token: bad choice"))?;
            choices.push(c as u32);
        }
        if pos != choice_bytes.len() {
            return Err(TokenError::new("corrupt replay token: trailing bytes"));
        }
        Ok(Schedule {
            choices,
            fingerprint,
            relative,
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_with_choices_and_fingerprint() {
        for choices in [vec![], vec![0], vec![1, 0, 300, 7, 2], (0..1000).collect()] {
            let s = Schedule::with_fingerprint(choices.clone(), 0xDEAD_BEEF_1234);
            let t = s.to_token();
            assert!(t.starts_with(TOKEN_PREFIX));
            assert!(!t.contains(char::is_whitespace), "one line: {t}");
            let back = Schedule::from_token(&t).unwrap();
            assert_eq!(back.choices(), &choices[..]);
            assert_eq!(back.fingerprint(), 0xDEAD_BEEF_1234);
        }
    }

    #[test]
    fn a_corrupted_or_foreign_token_is_an_error() {
        let t = Schedule::with_fingerprint(vec![1, 2, 3], 9).to_token();
        // Flip one character of the body: the checksum catches it.
        let mut bad: Vec<char> = t.chars().collect();
        let i = bad.len() - 3;
        bad[i] = if bad[i] == 'A' { 'B' } else { 'A' };
        let bad: String = bad.into_iter().collect();
        assert!(Schedule::from_token(&bad).is_err());
        assert!(Schedule::from_token("fw9:AAAA").is_err());
        assert!(Schedule::from_token("").is_err());
        assert!(Schedule::from_token(&t[..t.len() - 4]).is_err());
    }
}
