//! f-strings: `f"a {x + 1} b {y!r:>8}"` becomes a call of the hidden builtin `<fstring>`
//! (no program can name or shadow it) with the literal pieces, each expression, and its
//! conversion and format spec. The expressions are parsed by a parser over their own
//! tokens, located in the f-string's line.

use crate::*;

/// The name of the formatting builtin an f-string calls.
pub(crate) const FSTRING: &str = "<fstring>";

impl Parser<'_> {
    /// The expression of the f-string `text` (escapes resolved) that starts at `span`.
    pub(crate) fn fstring(&mut self, text: &str, span: Span) -> PResult<Expr> {
        let chars: Vec<char> = text.chars().collect();
        let mut args = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let doubled = chars.get(i + 1) == Some(&c);
            match c {
                '{' | '}' if doubled => {
                    lit.push(c);
                    i += 2;
                    continue;
                }
                '}' => {
                    bail!(self, span => "single '}}' is not allowed in an f-string (write '}}}}')")
                }
                '{' => {}
                _ => {
                    lit.push(c);
                    i += 1;
                    continue;
                }
            }
            args.push(Expr::new(ExprKind::Str(std::mem::take(&mut lit)), span));
            let (end, conv, spec) = replacement_field(&chars, i + 1)
                .ok_or_else(|| self.error(span, "expected '}' in the f-string"))?;
            let text: String = chars[i + 1..conv.or(spec).unwrap_or(end)].iter().collect();
            args.push(self.fstring_expr(&text, span, i + 1, &chars[..i + 1])?);
            let conv_text: String = match (conv, spec) {
                (Some(c), s) => chars[c..s.unwrap_or(end)].iter().collect(),
                (None, _) => String::new(),
            };
            if !matches!(conv_text.as_str(), "" | "!r" | "!s" | "!a") {
                bail!(self, span => "f-string conversion must be '!r', '!s' or '!a', not '{conv_text}'");
            }
            let spec_text: String =
                spec.map_or(String::new(), |s| chars[s + 1..end].iter().collect());
            args.push(Expr::new(ExprKind::Str(conv_text + &spec_text), span));
            i = end + 1;
        }
        if args.is_empty() {
            return Ok(Expr::new(ExprKind::Str(lit), span));
        }
        args.push(Expr::new(ExprKind::Str(lit), span));
        let call = Call {
            func: Box::new(Expr::new(ExprKind::Name(FSTRING.into()), span)),
            args,
            kwargs: Vec::new(),
            span,
            paren: span,
        };
        Ok(Expr::new(ExprKind::Call(Box::new(call)), span))
    }

    /// Parses the expression `text` found at char `offset` of an f-string at `span`
    /// (whose text before it is `before`).
    fn fstring_expr(
        &self,
        text: &str,
        span: Span,
        offset: usize,
        before: &[char],
    ) -> PResult<Expr> {
        let lead = text.chars().take_while(|c| c.is_whitespace()).count();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            bail!(self, span => "f-string: empty expression not allowed");
        }
        // `f"` is two chars before the text. Escapes only shorten the text, so on the
        // f-string's first line a position in the text is at or before its source
        // column; anything after a line break in the text is located at the f-string.
        let col0 = span.col + 2 + u32::try_from(offset + lead).unwrap_or(u32::MAX);
        let one_line = !before.contains(&'\n');
        let shift = |s: Span| match s.line {
            1 if one_line => Span::new(span.line, col0.saturating_add(s.col - 1)),
            _ => span,
        };
        let mut toks = lexer::tokenize(self.path, trimmed).map_err(|mut d| {
            let at = shift(d.span());
            (d.line, d.col) = (at.line, at.col);
            d
        })?;
        for t in &mut toks {
            (t.span, t.end) = (shift(t.span), shift(t.end));
        }
        let mut sub = Parser {
            path: self.path,
            toks,
            pos: 0,
            depth: self.depth,
            in_function: self.in_function,
            loops: self.loops,
            imports: Vec::new(),
            method: self.method.clone(),
        };
        let e = sub.expr_list()?;
        if !matches!(sub.peek(), Tok::Newline | Tok::Eof) {
            return Err(sub.unexpected("'}' after the f-string's expression"));
        }
        Ok(e)
    }
}

/// The replacement field starting after the `{` at `start`: the index of its closing
/// `}`, of its `!` conversion and of its `:` spec (outside brackets and quotes).
fn replacement_field(
    chars: &[char],
    start: usize,
) -> Option<(usize, Option<usize>, Option<usize>)> {
    let (mut depth, mut quote, mut conv, mut spec) = (0u32, None, None, None);
    for (j, &d) in chars.iter().enumerate().skip(start) {
        if let Some(q) = quote {
            if d == q {
                quote = None;
            }
            continue;
        }
        if spec.is_some() {
            if d == '}' {
                return Some((j, conv, spec));
            }
            continue;
        }
        match d {
            '\'' | '"' => quote = Some(d),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth > 0 => depth -= 1,
            '}' => return Some((j, conv, spec)),
            '!' if depth == 0 && chars.get(j + 1) != Some(&'=') && conv.is_none() => conv = Some(j),
            ':' if depth == 0 => spec = Some(j),
            _ => {}
        }
    }
    None
}
