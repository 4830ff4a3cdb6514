//! Number and string literals (the lexer's two longest rules).

use super::{Lexer, Tok};
use crate::ast::Span;
use crate::diag::Diagnostic;

impl Lexer<'_> {
    pub(super) fn number(&mut self, start: Span) -> Result<(), Diagnostic> {
        let mut text = String::new();
        let digits = |lx: &mut Self, text: &mut String, ok: fn(char) -> bool| {
            while let Some(c) = lx.peek(0).filter(|c| ok(*c) || *c == '_') {
                if c != '_' {
                    text.push(c);
                }
                lx.bump();
            }
        };
        let radix = match (self.peek(0), self.peek(1)) {
            (Some('0'), Some('x' | 'X')) => 16,
            (Some('0'), Some('o' | 'O')) => 8,
            (Some('0'), Some('b' | 'B')) => 2,
            _ => 10,
        };
        let mut is_float = false;
        if radix != 10 {
            self.bump();
            self.bump();
            digits(self, &mut text, |c| c.is_ascii_hexdigit());
        } else {
            digits(self, &mut text, |c| c.is_ascii_digit());
            if self.peek(0) == Some('.') {
                is_float = true;
                text.push('.');
                self.bump();
                digits(self, &mut text, |c| c.is_ascii_digit());
            }
            if matches!(self.peek(0), Some('e' | 'E')) {
                let sign = matches!(self.peek(1), Some('+' | '-'));
                if self
                    .peek(1 + usize::from(sign))
                    .is_some_and(|c| c.is_ascii_digit())
                {
                    is_float = true;
                    text.push('e');
                    self.bump();
                    if sign {
                        text.extend(self.bump());
                    }
                    digits(self, &mut text, |c| c.is_ascii_digit());
                }
            }
        }
        if self
            .peek(0)
            .is_some_and(|c| c == '_' || c.is_alphanumeric())
        {
            return Err(self.error(start, "invalid number literal"));
        }
        let tok = if is_float {
            match text.parse::<f64>() {
                Ok(f) => Tok::Float(f),
                Err(_) => return Err(self.error(start, "invalid float literal")),
            }
        } else {
            if radix == 10
                && text.len() > 1
                && text.starts_with('0')
                && text.bytes().any(|b| b != b'0')
            {
                return Err(self.error(
                    start,
                    "leading zeros in decimal integer literals are not permitted",
                ));
            }
            match i64::from_str_radix(&text, radix) {
                Ok(i) => Tok::Int(i),
                Err(_) if text.is_empty() || !text.chars().all(|c| c.is_digit(radix)) => {
                    return Err(self.error(start, "invalid integer literal"));
                }
                Err(_) => {
                    return Err(self.error(
                        start,
                        "integer literal is too large (the limit is 2**63 - 1)",
                    ));
                }
            }
        };
        self.push(tok, start);
        Ok(())
    }

    pub(super) fn string(&mut self, start: Span, quote: char) -> Result<(), Diagnostic> {
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        for _ in 0..if triple { 3 } else { 1 } {
            self.bump();
        }
        let mut value = String::new();
        loop {
            let here = self.here();
            let unterminated = |lx: &Self| lx.error(start, "unterminated string literal");
            match self.peek(0) {
                None => return Err(unterminated(self)),
                Some('\n') if !triple => return Err(unterminated(self)),
                Some(c) if c == quote => {
                    if !triple {
                        self.bump();
                        break;
                    }
                    if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                        for _ in 0..3 {
                            self.bump();
                        }
                        break;
                    }
                    value.push(c);
                    self.bump();
                }
                Some('\\') => {
                    self.bump();
                    let Some(e) = self.bump() else {
                        return Err(unterminated(self));
                    };
                    match e {
                        'n' => value.push('\n'),
                        't' => value.push('\t'),
                        'r' => value.push('\r'),
                        '0' => value.push('\0'),
                        '\\' | '\'' | '"' => value.push(e),
                        '\n' => {}
                        _ => {
                            return Err(
                                self.error(here, format!("unknown escape sequence '\\{e}'"))
                            );
                        }
                    }
                }
                Some(c) => {
                    value.push(c);
                    self.bump();
                }
            }
        }
        self.push(Tok::Str(value), start);
        Ok(())
    }
}
