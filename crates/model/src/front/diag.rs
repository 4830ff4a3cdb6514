//! Located error messages, rendered in the style of rustc.

use crate::ast::Span;
use std::fmt;

/// An error at a line and column of a model file: a parse error, or a runtime error the
/// interpreter reports at a node's [`Span`].
///
/// ```
/// use forkwait_model::{Diagnostic, Span};
///
/// let d = Diagnostic::new("models/foo.fw", Span::new(3, 10), "expected ':' after the condition");
/// let src = "x = 1\n\nif x == 1\n    pass\n";
/// assert_eq!(
///     d.render(src),
///     "error: expected ':' after the condition\n \
///      --> models/foo.fw:3:10\n  \
///      |\n\
///      3 | if x == 1\n  \
///      |          ^"
/// );
/// assert_eq!(d.to_string(), "models/foo.fw:3:10: error: expected ':' after the condition");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's path, as given to the parser.
    pub path: String,
    /// 1-based line (at most one past the file's last line, for an error at its end).
    pub line: u32,
    /// 1-based column in chars (at most one past the end of the line).
    pub col: u32,
    /// The message, lowercase, without a trailing period.
    pub message: String,
    /// Extra lines, rendered as `= note: ...` after the source excerpt.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic at `span` of the file at `path`.
    pub fn new(path: impl Into<String>, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line: span.line,
            col: span.col,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// Adds a note line, rendered after the source excerpt.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Where the error is.
    pub fn span(&self) -> Span {
        Span::new(self.line, self.col)
    }

    /// The rustc-like rendering with the source line and a caret under the column:
    ///
    /// ```text
    /// error: expected ':' after the condition
    ///  --> models/foo.fw:3:10
    ///   |
    /// 3 | if x == 1
    ///   |          ^
    /// ```
    ///
    /// `source` is the text the spans refer to. Lines are split at `\n` (a trailing `\r`
    /// is dropped) and control chars such as tabs are shown as single spaces so the caret
    /// stays aligned. A line past the end of the source shows as empty, a column past the
    /// end of its line puts the caret just after it, and a line's trailing spaces are not
    /// printed. There is no trailing newline.
    pub fn render(&self, source: &str) -> String {
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        let text: String = source
            .split('\n')
            .nth((self.line as usize).saturating_sub(1))
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let width = text.chars().count();
        let caret = " ".repeat((self.col as usize).saturating_sub(1).min(width));
        let (message, path) = (&self.message, &self.path);
        let source_line = format!("{number} | {text}");
        let mut out = format!(
            "error: {message}\n{pad}--> {path}:{}:{}\n{pad} |\n{}\n{pad} | {caret}^",
            self.line,
            self.col,
            source_line.trim_end(),
        );
        for note in &self.notes {
            out.push_str(&format!("\n{pad} = note: {note}"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    /// `path:line:col: error: message` (no source excerpt; see [`Diagnostic::render`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.path, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for Diagnostic {}
