//! f-string formatting: each value converted (`!r` its repr, `!s` its `str`) and laid
//! out by its format spec, `[[fill]align][sign][0][width][,][.precision][type]` with the
//! types `s d f F % x X o b` (Python's format mini-language, without `e`/`g`).

use crate::value::Value;

/// The text of an f-string from its pieces: a literal, then (value, conversion and
/// spec, literal) for each replacement field.
pub(crate) fn fstring(args: &[Value]) -> Result<Value, String> {
    let text = |v: Option<&Value>| match v {
        Some(Value::Str(s)) => s.to_string(),
        _ => String::new(),
    };
    let mut out = text(args.first());
    for field in args.get(1..).unwrap_or(&[]).chunks(3) {
        let [v, spec, lit] = field else {
            return Err("malformed f-string".into());
        };
        out.push_str(&format_value(v, &text(Some(spec)))?);
        out.push_str(&text(Some(lit)));
    }
    Ok(Value::str(&out))
}

/// `v` converted (`!r`, `!a`, `!s`) and laid out by the format spec that follows.
fn format_value(v: &Value, spec: &str) -> Result<String, String> {
    let (converted, spec) = match spec.get(..2) {
        Some("!r" | "!a") => (Some(format!("{v:?}")), &spec[2..]),
        Some("!s") => (Some(v.to_str()), &spec[2..]),
        _ => (None, spec),
    };
    let value = match &converted {
        Some(s) => Value::str(s),
        None => v.clone(),
    };
    if spec.is_empty() {
        return Ok(converted.unwrap_or_else(|| v.to_str()));
    }
    let spec = Spec::parse(spec)?;
    let mut body = body(&value, spec.ty, spec.precision)?;
    let numeric = matches!(value, Value::Int(_) | Value::Float(_) | Value::Bool(_));
    if spec.grouping && numeric {
        body = group(&body);
    }
    if numeric && !body.starts_with('-') && spec.sign != '-' {
        body.insert(0, spec.sign);
    }
    Ok(spec.pad(body, numeric))
}

/// A parsed format spec, `[[fill]align][sign][0][width][,][.precision][type]`.
struct Spec {
    fill: char,
    align: Option<char>,
    sign: char,
    zero: bool,
    width: usize,
    grouping: bool,
    precision: Option<usize>,
    ty: Option<char>,
}

impl Spec {
    /// Parses `spec` (not empty), or says why it is invalid.
    fn parse(spec: &str) -> Result<Spec, String> {
        let chars: Vec<char> = spec.chars().collect();
        let mut i = 0;
        let is_align = |c: Option<&char>| matches!(c, Some('<' | '>' | '^' | '='));
        let (mut fill, mut align) = (' ', None);
        if is_align(chars.get(1)) {
            (fill, align) = (chars[0], Some(chars[1]));
            i = 2;
        } else if is_align(chars.first()) {
            align = Some(chars[0]);
            i = 1;
        }
        let sign = match chars.get(i) {
            Some(c @ ('+' | '-' | ' ')) => {
                i += 1;
                *c
            }
            _ => '-',
        };
        let zero = chars.get(i) == Some(&'0');
        if zero {
            i += 1;
        }
        let width = digits(&chars, &mut i).unwrap_or(0);
        let grouping = chars.get(i) == Some(&',');
        if grouping {
            i += 1;
        }
        let precision = if chars.get(i) == Some(&'.') {
            i += 1;
            Some(digits(&chars, &mut i).ok_or("format specifier missing precision")?)
        } else {
            None
        };
        let ty = chars.get(i).copied();
        if chars.len() > i + usize::from(ty.is_some()) || width > 10_000 || precision > Some(1000) {
            return Err(format!("invalid format specifier '{spec}'"));
        }
        Ok(Spec {
            fill,
            align,
            sign,
            zero,
            width,
            grouping,
            precision,
            ty,
        })
    }

    /// `body` padded to the spec's width by its fill and alignment (the default: numbers
    /// right, `0` padding after the sign, the rest left).
    fn pad(&self, body: String, numeric: bool) -> String {
        let len = body.chars().count();
        if len >= self.width {
            return body;
        }
        let pad = self.width - len;
        let (fill, align) = match (self.zero, self.align) {
            (true, None) if numeric => ('0', '='),
            (_, Some(a)) => (self.fill, a),
            (_, None) if numeric => (self.fill, '>'),
            _ => (self.fill, '<'),
        };
        let fills = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
        match align {
            '<' => body + &fills(pad),
            '^' => fills(pad / 2) + &body + &fills(pad - pad / 2),
            '=' if body.starts_with(['-', '+', ' ']) => {
                let (s, rest) = body.split_at(1);
                format!("{s}{}{rest}", fills(pad))
            }
            _ => fills(pad) + &body,
        }
    }
}

/// The number written at `chars[*i..]`, if any, moving `*i` past its digits.
fn digits(chars: &[char], i: &mut usize) -> Option<usize> {
    let start = *i;
    while chars.get(*i).is_some_and(char::is_ascii_digit) {
        *i += 1;
    }
    chars[start..*i]
        .iter()
        .collect::<String>()
        .parse::<usize>()
        .ok()
}

/// `value` written by the type `ty` with `precision`, before sign, grouping and padding.
fn body(value: &Value, ty: Option<char>, precision: Option<usize>) -> Result<String, String> {
    let bad = || {
        format!(
            "unknown format code '{}' for object of type '{}'",
            ty.unwrap_or('s'),
            value.type_name()
        )
    };
    Ok(match (ty, value) {
        (None | Some('s'), Value::Str(s)) => match precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        },
        (Some('s'), _) => return Err(bad()),
        (None, Value::Float(x)) if precision.is_some() => {
            format!("{:.*}", precision.unwrap_or(6), x)
        }
        (None, _) => value.to_str(),
        (Some('f' | 'F'), _) => {
            let x = value.as_f64().ok_or_else(bad)?;
            format!("{:.*}", precision.unwrap_or(6), x)
        }
        (Some('%'), _) => {
            let x = value.as_f64().ok_or_else(bad)?;
            format!("{:.*}%", precision.unwrap_or(6), x * 100.0)
        }
        (Some(t @ ('d' | 'x' | 'X' | 'o' | 'b')), _) => {
            let n = match value {
                Value::Int(n) => *n,
                Value::Bool(b) => i64::from(*b),
                _ => return Err(bad()),
            };
            int_body(n, t)
        }
        _ => return Err(bad()),
    })
}

/// The integer `n` in the base of the type `t` (`d x X o b`), its sign first.
fn int_body(n: i64, t: char) -> String {
    let m = n.unsigned_abs();
    let digits = match t {
        'x' => format!("{m:x}"),
        'X' => format!("{m:X}"),
        'o' => format!("{m:o}"),
        'b' => format!("{m:b}"),
        _ => m.to_string(),
    };
    if n < 0 { format!("-{digits}") } else { digits }
}

/// `1234567.5` as `1,234,567.5`.
fn group(body: &str) -> String {
    let (sign, rest) = match body.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", body),
    };
    let (int, frac) = rest.split_at(rest.find(['.', '%']).unwrap_or(rest.len()));
    let mut out = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}
