//! Tokens and the tokenizer.
//!
//! Layout follows Python: a logical line ends with a `Newline` token; a line indented
//! deeper than the previous one starts with `Indent`, a shallower one with one `Dedent`
//! per closed level. Blank and comment-only lines produce nothing, and newlines inside
//! `()`, `[]`, `{}` or after a `\` are ignored. Indentation is counted in spaces; a tab in
//! the indentation of a line is an error (elsewhere a tab is ordinary whitespace). `\r`
//! is whitespace, so `\r\n` files work; only `\n` starts a new line.

use crate::ast::{BinOp, Span};
use crate::diag::Diagnostic;

mod literal;

/// Python keywords that the model language reserves but does not support.
const RESERVED: [&str; 6] = ["async", "await", "del", "from", "import", "yield"];

/// Keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kw {
    And,
    As,
    Assert,
    Break,
    Class,
    Continue,
    Def,
    Elif,
    Else,
    Except,
    False,
    Finally,
    For,
    Global,
    If,
    In,
    Is,
    Lambda,
    None,
    Nonlocal,
    Not,
    Or,
    Pass,
    Raise,
    Return,
    True,
    Try,
    While,
    With,
    /// A Python keyword the model language does not support, e.g. `import`.
    Reserved(&'static str),
}

impl Kw {
    /// The keyword as written.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kw::And => "and",
            Kw::As => "as",
            Kw::Assert => "assert",
            Kw::Break => "break",
            Kw::Class => "class",
            Kw::Continue => "continue",
            Kw::Def => "def",
            Kw::Elif => "elif",
            Kw::Else => "else",
            Kw::Except => "except",
            Kw::False => "False",
            Kw::Finally => "finally",
            Kw::For => "for",
            Kw::Global => "global",
            Kw::If => "if",
            Kw::In => "in",
            Kw::Is => "is",
            Kw::Lambda => "lambda",
            Kw::None => "None",
            Kw::Nonlocal => "nonlocal",
            Kw::Not => "not",
            Kw::Or => "or",
            Kw::Pass => "pass",
            Kw::Raise => "raise",
            Kw::Return => "return",
            Kw::True => "True",
            Kw::Try => "try",
            Kw::While => "while",
            Kw::With => "with",
            Kw::Reserved(w) => w,
        }
    }

    fn from_word(w: &str) -> Option<Kw> {
        if !(2..=8).contains(&w.len()) || !w.as_bytes()[0].is_ascii_alphabetic() {
            return None;
        }
        Some(match w {
            "and" => Kw::And,
            "as" => Kw::As,
            "assert" => Kw::Assert,
            "break" => Kw::Break,
            "class" => Kw::Class,
            "continue" => Kw::Continue,
            "def" => Kw::Def,
            "elif" => Kw::Elif,
            "else" => Kw::Else,
            "except" => Kw::Except,
            "False" => Kw::False,
            "finally" => Kw::Finally,
            "for" => Kw::For,
            "global" => Kw::Global,
            "if" => Kw::If,
            "in" => Kw::In,
            "is" => Kw::Is,
            "lambda" => Kw::Lambda,
            "None" => Kw::None,
            "nonlocal" => Kw::Nonlocal,
            "not" => Kw::Not,
            "or" => Kw::Or,
            "pass" => Kw::Pass,
            "raise" => Kw::Raise,
            "return" => Kw::Return,
            "True" => Kw::True,
            "try" => Kw::Try,
            "while" => Kw::While,
            "with" => Kw::With,
            _ => return RESERVED.iter().find(|r| **r == w).map(|r| Kw::Reserved(r)),
        })
    }
}

impl Tok {
    /// Whether the token is a name.
    pub(crate) fn is_name(&self) -> bool {
        matches!(self, Tok::Name(_))
    }
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    /// An f-string's text (escapes resolved, braces as written).
    FStr(String),
    Kw(Kw),
    /// A punctuation or operator token, as written (`"("`, `"//"`, `"=="`, ...).
    Op(&'static str),
    /// An augmented assignment operator such as `+=`.
    AugAssign(BinOp),
    Newline,
    Indent,
    Dedent,
    Eof,
}

impl Tok {
    /// How the token is named in "found ..." messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Name(n) => format!("identifier `{n}`"),
            Tok::Int(_) | Tok::Float(_) => "a number".to_string(),
            Tok::Str(_) | Tok::FStr(_) => "a string".to_string(),
            Tok::Kw(k) => format!("`{}`", k.as_str()),
            Tok::Op(op) => format!("`{op}`"),
            Tok::AugAssign(op) => format!("`{}=`", op.symbol()),
            Tok::Newline => "end of line".to_string(),
            Tok::Indent => "an indented block".to_string(),
            Tok::Dedent => "the end of the block".to_string(),
            Tok::Eof => "end of file".to_string(),
        }
    }
}

/// A token with the position of its first char and the position just past its last.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
    pub(crate) end: Span,
}

/// One-char operators and punctuation.
const SHORT_OPS: &str = "()[]{},:;.+-*/%<>=@|&^";

/// The chars that form a two-char operator with a following `=`, and those operators.
const EQ_FIRST: &str = "=!<>+-*/%|&^";
const EQ_OPS: [&str; 12] = [
    "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=",
];

/// Whether `c` may continue an identifier.
fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || (!c.is_ascii() && c.is_alphanumeric())
}

struct Lexer<'a> {
    path: &'a str,
    chars: Vec<char>,
    pos: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
    indents: Vec<u32>,
    brackets: Vec<(char, Span)>,
}

/// Splits `source` into tokens, ending with `Newline` (if the last line has code), one
/// `Dedent` per open indentation level, and `Eof`.
pub(crate) fn tokenize(path: &str, source: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut lx = Lexer {
        path,
        chars: source.chars().collect(),
        pos: 0,
        line: 1,
        col: 1,
        tokens: Vec::new(),
        indents: vec![0],
        brackets: Vec::new(),
    };
    if lx.peek(0) == Some('\u{feff}') {
        lx.bump();
    }
    lx.run()?;
    Ok(lx.tokens)
}

impl Lexer<'_> {
    fn here(&self) -> Span {
        Span::new(self.line, self.col)
    }

    fn peek(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.path, span, message)
    }

    fn push(&mut self, tok: Tok, span: Span) {
        let end = self.here();
        self.tokens.push(Token { tok, span, end });
    }

    /// Tokenizes the whole input: layout (newlines, indentation) here, each token by
    /// [`Lexer::token`], then the tokens that close the file.
    fn run(&mut self) -> Result<(), Diagnostic> {
        let mut line_start = true;
        let mut line_has_code = false;
        loop {
            if line_start && self.brackets.is_empty() {
                line_start = false;
                self.indentation()?;
            }
            let start = self.here();
            let Some(c) = self.peek(0) else { break };
            if c == '\n' {
                self.bump();
                if self.brackets.is_empty() {
                    if line_has_code {
                        self.mark(Tok::Newline, start);
                    }
                    line_has_code = false;
                    line_start = true;
                }
                continue;
            }
            if self.skip_blank(c, start)? {
                continue;
            }
            line_has_code = true;
            self.token(c, start)?;
        }
        self.finish(line_has_code)
    }

    /// Pushes the empty token `tok` (a layout token or the end) at `at`.
    fn mark(&mut self, tok: Tok, at: Span) {
        self.tokens.push(Token {
            tok,
            span: at,
            end: at,
        });
    }

    /// Skips whitespace, a comment or a line continuation starting with `c` (at
    /// `start`), if it is one: whether it was.
    fn skip_blank(&mut self, c: char, start: Span) -> Result<bool, Diagnostic> {
        match c {
            ' ' | '\t' | '\r' | '\x0c' => {
                self.bump();
            }
            '#' => {
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.bump();
                }
            }
            '\\' => {
                self.bump();
                if self.peek(0) == Some('\r') {
                    self.bump();
                }
                if self.bump() != Some('\n') {
                    let msg = "a line continuation '\\' must end its line";
                    return Err(self.error(start, msg));
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The token starting with `c` at `start`: a number, a string, a word or an operator.
    fn token(&mut self, c: char, start: Span) -> Result<(), Diagnostic> {
        if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            self.number(start)
        } else if c == '"' || c == '\'' {
            self.string(start, c)
        } else if c == '_' || c.is_alphabetic() {
            self.word(start)
        } else {
            self.operator(start, c)
        }
    }

    /// A word at `start`: a name, a keyword, or the prefix of a string (`f"..."` an
    /// f-string, `u"..."` a plain one).
    fn word(&mut self, start: Span) -> Result<(), Diagnostic> {
        let len = self.chars[self.pos..]
            .iter()
            .take_while(|c| is_ident(**c))
            .count();
        let word: String = self.chars[self.pos..self.pos + len].iter().collect();
        self.pos += len;
        self.col = self.col.saturating_add(len as u32);
        if let (Some(q @ ('"' | '\'')), "f" | "F" | "u" | "U") = (self.peek(0), &*word) {
            self.string(start, q)?;
            if let (Some(t), "f" | "F") = (self.tokens.last_mut(), &*word) {
                if let Tok::Str(s) = &mut t.tok {
                    t.tok = Tok::FStr(std::mem::take(s));
                }
            }
            return Ok(());
        }
        let tok = Kw::from_word(&word).map_or(Tok::Name(word), Tok::Kw);
        self.push(tok, start);
        Ok(())
    }

    /// At the end of the input: an error if a bracket is still open, else the last
    /// line's `Newline` (if it had code), a `Dedent` per open level, and `Eof`.
    fn finish(&mut self, line_has_code: bool) -> Result<(), Diagnostic> {
        let eof = self.here();
        if let Some((open, span)) = self.brackets.last() {
            return Err(self.error(*span, format!("'{open}' was never closed")));
        }
        if line_has_code {
            self.mark(Tok::Newline, eof);
        }
        for _ in 1..self.indents.len() {
            self.mark(Tok::Dedent, eof);
        }
        self.mark(Tok::Eof, eof);
        Ok(())
    }

    /// At the start of a line outside brackets: skips blank and comment-only lines, then
    /// compares the indentation with the stack and emits `Indent`/`Dedent`.
    fn indentation(&mut self) -> Result<(), Diagnostic> {
        loop {
            let mut width: u32 = 0;
            loop {
                match self.peek(0) {
                    Some(' ') => width = width.saturating_add(1),
                    Some('\x0c') => width = 0,
                    Some('\r') => {}
                    Some('\t') => {
                        return Err(
                            self.error(self.here(), "tab in indentation (indent with spaces only)")
                        );
                    }
                    _ => break,
                }
                self.bump();
            }
            match self.peek(0) {
                None => return Ok(()),
                Some('\n') => {
                    self.bump();
                    continue;
                }
                Some('#') => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                    continue;
                }
                Some(_) => {}
            }
            let here = self.here();
            let top = self.indents.last().copied().unwrap_or(0);
            if width > top {
                self.indents.push(width);
                self.tokens.push(Token {
                    tok: Tok::Indent,
                    span: here,
                    end: here,
                });
            }
            while width < self.indents.last().copied().unwrap_or(0) {
                self.indents.pop();
                self.tokens.push(Token {
                    tok: Tok::Dedent,
                    span: here,
                    end: here,
                });
            }
            if width != self.indents.last().copied().unwrap_or(0) {
                return Err(self.error(here, "unindent does not match any outer indentation level"));
            }
            return Ok(());
        }
    }

    fn operator(&mut self, start: Span, c: char) -> Result<(), Diagnostic> {
        let (c1, c2) = (self.peek(1).unwrap_or(' '), self.peek(2).unwrap_or(' '));
        let long = match (c, c1, c2) {
            ('*', '*', '=') => Some("**="),
            ('/', '/', '=') => Some("//="),
            ('*', '*', _) => Some("**"),
            ('/', '/', _) => Some("//"),
            ('-', '>', _) => Some("->"),
            (_, '=', _) => EQ_FIRST.find(c).map(|i| EQ_OPS[i]),
            _ => None,
        };
        let short = || SHORT_OPS.find(c).and_then(|i| SHORT_OPS.get(i..i + 1));
        let Some(op) = long.or_else(short) else {
            let message = if c == '~' {
                format!("the operator '{c}' is not supported")
            } else {
                format!("unexpected character {c:?}")
            };
            return Err(self.error(start, message));
        };
        for _ in 0..op.len() {
            self.bump();
        }
        match op {
            "(" | "[" | "{" => self.brackets.push((c, start)),
            ")" | "]" | "}" => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match self.brackets.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, span)) => {
                        return Err(self.error(
                            start,
                            format!("closing '{c}' does not match '{open}' opened at {span}"),
                        ));
                    }
                    None => return Err(self.error(start, format!("unmatched '{c}'"))),
                }
            }
            _ => {}
        }
        let tok = match op {
            "+=" => Tok::AugAssign(BinOp::Add),
            "-=" => Tok::AugAssign(BinOp::Sub),
            "*=" => Tok::AugAssign(BinOp::Mul),
            "/=" => Tok::AugAssign(BinOp::Div),
            "//=" => Tok::AugAssign(BinOp::FloorDiv),
            "%=" => Tok::AugAssign(BinOp::Mod),
            "**=" => Tok::AugAssign(BinOp::Pow),
            "|=" => Tok::AugAssign(BinOp::BitOr),
            "&=" => Tok::AugAssign(BinOp::BitAnd),
            "^=" => Tok::AugAssign(BinOp::BitXor),
            _ => Tok::Op(op),
        };
        self.push(tok, start);
        Ok(())
    }
}

/// An upper bound on how deep the parser recurses on `toks`: one level for the statement,
/// one per open indentation level, and one per token of its logical line that can open a
/// nested parse (a bracket, a prefix `-`/`+` or `**` operator, `:`, `if`/`else`, `not`).
/// A binary `+`/`-` (one that follows an operand) opens nothing: a chain of binary
/// operators is parsed by a loop, so `1 + 1 + ... + 1` is shallow however long.
pub(crate) fn nesting_bound(toks: &[Token]) -> u32 {
    let (mut indent, mut line, mut max) = (0u32, 0u32, 0u32);
    let mut after_operand = false;
    for t in toks {
        match &t.tok {
            Tok::Indent => indent += 1,
            Tok::Dedent => indent = indent.saturating_sub(1),
            Tok::Newline => line = 0,
            Tok::Op("-" | "+") if after_operand => {}
            Tok::Op("(" | "[" | "{" | "-" | "+" | "**" | ":") => line += 1,
            // An f-string's expressions are parsed from its text: count what they open.
            Tok::FStr(s) => {
                let opens = s.chars().filter(|c| "([{:-+".contains(*c)).count();
                line = line.saturating_add(u32::try_from(opens).unwrap_or(u32::MAX));
            }
            Tok::Kw(
                Kw::Not | Kw::If | Kw::Else | Kw::Elif | Kw::Lambda | Kw::For | Kw::Reserved(_),
            ) => line += 1,
            _ => {}
        }
        after_operand = matches!(
            &t.tok,
            Tok::Name(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::FStr(_)
                | Tok::Op(")" | "]" | "}")
                | Tok::Kw(Kw::True | Kw::False | Kw::None)
        );
        max = max.max(indent.saturating_add(line));
    }
    max.saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize("t.fw", src)
            .unwrap_or_else(|d| panic!("{}", d.message))
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn indentation_becomes_indent_and_dedent_tokens() {
        let toks = kinds("if x:\n    y = 1\nz\n");
        let indents = toks.iter().filter(|t| **t == Tok::Indent).count();
        let dedents = toks.iter().filter(|t| **t == Tok::Dedent).count();
        assert_eq!((indents, dedents), (1, 1), "{toks:?}");
        assert_eq!(toks.last(), Some(&Tok::Eof));
    }

    #[test]
    fn numbers_strings_operators_and_keywords() {
        let toks = kinds("a //= 7 + 2.5 ** 'x' != None\n");
        assert!(toks.contains(&Tok::Int(7)));
        assert!(toks.contains(&Tok::Float(2.5)));
        assert!(toks.contains(&Tok::Str("x".into())));
        assert!(toks.contains(&Tok::Op("**")));
        assert!(toks.contains(&Tok::Op("!=")));
        assert!(toks.contains(&Tok::Kw(Kw::None)));
        assert!(toks.iter().any(|t| matches!(t, Tok::AugAssign(_))));
    }

    #[test]
    fn brackets_join_lines_and_comments_vanish() {
        let toks = kinds("x = [1,\n     2]  # two\n");
        let newlines = toks.iter().filter(|t| **t == Tok::Newline).count();
        assert_eq!(newlines, 1, "{toks:?}");
    }

    #[test]
    fn errors_are_located() {
        let d = tokenize("t.fw", "x = 'open\n").unwrap_err();
        assert_eq!((d.line, d.col), (1, 5), "{}", d.message);
        let d = tokenize("t.fw", "if x:\n    a\n  b\n").unwrap_err();
        assert_eq!(d.line, 3, "{}", d.message);
    }

    #[test]
    fn token_spans_point_at_the_source() {
        let toks = tokenize("t.fw", "ab = 12\n").unwrap();
        assert_eq!((toks[0].span.line, toks[0].span.col), (1, 1));
        assert_eq!((toks[2].span.line, toks[2].span.col), (1, 6));
    }
}
