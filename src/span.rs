//! Source positions of interpreted programs: a leaf module, used by the runtime's trace,
//! the simulator's step log and the interpreter hooks alike (so that neither of the
//! first two has to name the other).

/// A position in the source of an interpreted program (see
/// [`set_source_span`](crate::hooks::set_source_span)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceSpan {
    /// The program's file, as it should be printed.
    pub file: &'static str,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl std::fmt::Display for SourceSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}
