//! Schedules and their one-line replay tokens.
//!
//! A token is `fw1:` followed by URL-safe base64 (no padding) of
//!
//! ```text
//!   varint  number of choices
//!   varint* the choices (index into the runnable tasks, sorted by id)
//!   u64 LE  path fingerprint (hash of every step's task, operation and source line)
//!   u32 LE  CRC-32 of everything above
//! ```
//!
//! The checksum catches corruption and truncation; the fingerprint catches a *stale*
//! token, one made for a program that has changed since: replaying it takes another path.

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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    choices: Vec<u32>,
    fingerprint: u64,
}

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
    /// A schedule from raw choices (no fingerprint: replaying it checks no path).
    ///
    /// ```
    /// assert_eq!(forkwait::Schedule::from_choices(vec![0, 1]).len(), 2);
    /// ```
    pub fn from_choices(choices: Vec<u32>) -> Self {
        Schedule {
            choices,
            fingerprint: 0,
        }
    }

    pub(crate) fn with_fingerprint(choices: Vec<u32>, fingerprint: u64) -> Self {
        Schedule {
            choices,
            fingerprint,
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

    /// The one-line, printable replay token.
    ///
    /// ```
    /// let t = forkwait::Schedule::from_choices(vec![0; 100]).to_token();
    /// assert!(t.len() < 200 && !t.contains(char::is_whitespace));
    /// ```
    pub fn to_token(&self) -> String {
        let mut bytes = Vec::with_capacity(self.choices.len() + 16);
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
        let mut pos = 0;
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
