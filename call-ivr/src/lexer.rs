//! The lexer: source text to tokens, grouped by line with each line's
//! indentation. Comments (`//` to the end of the line) and blank lines are
//! dropped here.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// What a token is. Identifier and string texts are read back from the span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `name`, `no-input`, `mon-fri`: ASCII letters, digits, `_`, and `-`
    /// followed by a letter.
    Ident,
    /// A decimal integer.
    Int(i64),
    /// A string literal, quotes included; decoded by the parser.
    Str,
    /// `5s`, `500ms`, `2m`, `1h`, in milliseconds.
    Duration(u32),
    /// `09:30` as hour and minute (ranges are checked later).
    Time(u8, u8),
    /// `2026-12-25` as year, month and day (validity is checked later).
    Date(i16, u8, u8),
    Arrow,
    Eq,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Hash,
    LParen,
    RParen,
    Comma,
    Dot,
    Colon,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Span,
}

/// One non-blank line: its indentation in columns and its tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) indent: u32,
    /// Index range into the token vector.
    pub(crate) first: u32,
    pub(crate) end: u32,
    /// From the first token to the end of the last.
    pub(crate) span: Span,
}

#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) lines: Vec<Line>,
    /// `//` comments, from the slashes to the end of the line.
    pub(crate) comments: Vec<Span>,
    /// Lines (start of the line to its end, in order) where a character or
    /// number was dropped or a string left open: the parser does not add
    /// its own "expected ..." errors there, which would only repeat the
    /// problem.
    pub(crate) bad_lines: Vec<Span>,
}

/// Splits `text` into lines of tokens, adding problems to `diags`.
pub(crate) fn lex(text: &str, diags: &mut Vec<Diagnostic>) -> Lexed {
    let bytes = text.as_bytes();
    let mut out = Lexed {
        tokens: Vec::with_capacity(text.len() / 4),
        lines: Vec::with_capacity(text.len() / 24),
        comments: Vec::new(),
        bad_lines: Vec::new(),
    };
    // A UTF-8 byte-order mark is not part of the text.
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while pos < bytes.len() {
        let line_end = bytes
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(bytes.len(), |i| pos + i);
        lex_line(text, pos, line_end, &mut out, diags);
        pos = line_end + 1;
    }
    out
}

fn span(start: usize, end: usize) -> Span {
    // SourceFile guarantees offsets fit in u32.
    Span::new(start as u32, end as u32)
}

fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

fn lex_line(text: &str, start: usize, end: usize, out: &mut Lexed, diags: &mut Vec<Diagnostic>) {
    let before = diags.len();
    lex_tokens(text, start, end, out, diags);
    let garbled = diags.get(before..).unwrap_or_default().iter().any(|d| {
        matches!(
            d.code,
            Code::UNEXPECTED_CHARACTER | Code::BAD_NUMBER | Code::UNTERMINATED_STRING
        )
    });
    if garbled {
        out.bad_lines.push(span(start, end));
    }
}

fn lex_tokens(text: &str, start: usize, end: usize, out: &mut Lexed, diags: &mut Vec<Diagnostic>) {
    let bytes = text.as_bytes();
    let mut i = start;
    let mut indent = 0u32;
    while i < end {
        match at(bytes, i) {
            b' ' => indent += 1,
            b'\t' => {
                indent += 1;
                diags.push(
                    Diagnostic::new(Code::TAB_INDENT, span(i, i + 1), "tab in indentation")
                        .with_help("indent with spaces"),
                );
            }
            _ => break,
        }
        i += 1;
    }
    let first = out.tokens.len() as u32;
    while i < end {
        let c = at(bytes, i);
        let begin = i;
        let kind = match c {
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if at(bytes, i + 1) == b'/' => {
                let stop = text
                    .get(i..end)
                    .map_or(end, |c| i + c.trim_end_matches('\r').len());
                out.comments.push(span(i, stop));
                break;
            }
            b'"' => {
                i += 1;
                let mut closed = false;
                while i < end {
                    match at(bytes, i) {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            closed = true;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                if !closed {
                    i = end;
                    let trimmed = text
                        .get(begin..end)
                        .map_or(end, |s| begin + s.trim_end_matches('\r').len());
                    diags.push(
                        Diagnostic::new(
                            Code::UNTERMINATED_STRING,
                            span(begin, trimmed),
                            "unterminated string",
                        )
                        .with_help("close the string with `\"` on the same line"),
                    );
                    // Keep the token so the parser does not report it again.
                    out.tokens.push(Token {
                        kind: TokenKind::Str,
                        span: span(begin, trimmed),
                    });
                    continue;
                }
                TokenKind::Str
            }
            b'0'..=b'9' => {
                let (kind, next) = lex_number(bytes, i, end, diags);
                i = next;
                match kind {
                    Some(k) => k,
                    None => continue,
                }
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                i += 1;
                loop {
                    let b = at(bytes, i);
                    if i < end && (b.is_ascii_alphanumeric() || b == b'_') {
                        i += 1;
                    } else if i + 1 < end && b == b'-' && at(bytes, i + 1).is_ascii_alphabetic() {
                        i += 2;
                    } else {
                        break;
                    }
                }
                TokenKind::Ident
            }
            _ => {
                let two = (c, if i + 1 < end { at(bytes, i + 1) } else { 0 });
                let (kind, len) = match two {
                    (b'-', b'>') => (Some(TokenKind::Arrow), 2),
                    (b'=', b'=') => (Some(TokenKind::EqEq), 2),
                    (b'!', b'=') => (Some(TokenKind::Ne), 2),
                    (b'<', b'=') => (Some(TokenKind::Le), 2),
                    (b'>', b'=') => (Some(TokenKind::Ge), 2),
                    (b'=', _) => (Some(TokenKind::Eq), 1),
                    (b'<', _) => (Some(TokenKind::Lt), 1),
                    (b'>', _) => (Some(TokenKind::Gt), 1),
                    (b'+', _) => (Some(TokenKind::Plus), 1),
                    (b'-', _) => (Some(TokenKind::Minus), 1),
                    (b'*', _) => (Some(TokenKind::Star), 1),
                    (b'#', _) => (Some(TokenKind::Hash), 1),
                    (b'(', _) => (Some(TokenKind::LParen), 1),
                    (b')', _) => (Some(TokenKind::RParen), 1),
                    (b',', _) => (Some(TokenKind::Comma), 1),
                    (b'.', _) => (Some(TokenKind::Dot), 1),
                    (b':', _) => (Some(TokenKind::Colon), 1),
                    _ => (None, 1),
                };
                match kind {
                    Some(k) => {
                        i += len;
                        k
                    }
                    None => {
                        // Skip the whole character, not just its first byte.
                        let ch = text.get(i..).and_then(|s| s.chars().next());
                        let width = ch.map_or(1, char::len_utf8);
                        diags.push(Diagnostic::new(
                            Code::UNEXPECTED_CHARACTER,
                            span(i, i + width),
                            format!("unexpected character `{}`", ch.unwrap_or('?')),
                        ));
                        i += width;
                        continue;
                    }
                }
            }
        };
        out.tokens.push(Token {
            kind,
            span: span(begin, i.min(end)),
        });
    }
    let last = out.tokens.len() as u32;
    if last > first {
        let s = out.tokens.get(first as usize).map_or(0, |t| t.span.start);
        let e = out.tokens.last().map_or(s, |t| t.span.end);
        out.lines.push(Line {
            indent,
            first,
            end: last,
            span: Span::new(s, e),
        });
    }
}

fn digits(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && at(bytes, i).is_ascii_digit() {
        i += 1;
    }
    i
}

fn number(bytes: &[u8], from: usize, to: usize) -> Option<i64> {
    let mut v: i64 = 0;
    for i in from..to {
        v = v
            .checked_mul(10)?
            .checked_add(i64::from(at(bytes, i) - b'0'))?;
    }
    Some(v)
}

/// Integers, durations, times and dates. Returns the token (or `None` after
/// reporting a problem) and the offset after it.
fn lex_number(
    bytes: &[u8],
    start: usize,
    end: usize,
    diags: &mut Vec<Diagnostic>,
) -> (Option<TokenKind>, usize) {
    let int_end = digits(bytes, start, end);
    let bad = |diags: &mut Vec<Diagnostic>, to: usize, what: &str| {
        diags.push(Diagnostic::new(
            Code::BAD_NUMBER,
            span(start, to),
            what.to_string(),
        ));
    };
    // A date: 4 digits, '-', 2 digits, '-', 2 digits.
    if int_end - start == 4 && at(bytes, int_end) == b'-' && at(bytes, int_end + 1).is_ascii_digit()
    {
        let m_end = digits(bytes, int_end + 1, end);
        let d_end = if at(bytes, m_end) == b'-' {
            digits(bytes, m_end + 1, end)
        } else {
            m_end
        };
        if m_end - int_end == 3 && d_end - m_end == 3 {
            let y = number(bytes, start, int_end).unwrap_or(0);
            let m = number(bytes, int_end + 1, m_end).unwrap_or(0);
            let d = number(bytes, m_end + 1, d_end).unwrap_or(0);
            return (Some(TokenKind::Date(y as i16, m as u8, d as u8)), d_end);
        }
        bad(diags, d_end, "malformed date; write YYYY-MM-DD");
        return (None, d_end);
    }
    // A time of day: H or HH, ':', MM.
    if at(bytes, int_end) == b':' && at(bytes, int_end + 1).is_ascii_digit() {
        let m_end = digits(bytes, int_end + 1, end);
        if int_end - start <= 2 && m_end - int_end == 3 {
            let h = number(bytes, start, int_end).unwrap_or(0);
            let m = number(bytes, int_end + 1, m_end).unwrap_or(0);
            return (Some(TokenKind::Time(h as u8, m as u8)), m_end);
        }
        bad(diags, m_end, "malformed time of day; write HH:MM");
        return (None, m_end);
    }
    let mut unit_end = int_end;
    while unit_end < end && at(bytes, unit_end).is_ascii_alphanumeric() {
        unit_end += 1;
    }
    let Some(value) = number(bytes, start, int_end) else {
        bad(diags, unit_end, "number too large");
        return (None, unit_end);
    };
    if unit_end == int_end {
        return (Some(TokenKind::Int(value)), int_end);
    }
    let unit = bytes.get(int_end..unit_end).unwrap_or_default();
    let scale: i64 = match unit {
        b"ms" => 1,
        b"s" => 1_000,
        b"m" => 60_000,
        b"h" => 3_600_000,
        _ => {
            bad(diags, unit_end, "unknown duration unit; use ms, s, m or h");
            return (None, unit_end);
        }
    };
    match value
        .checked_mul(scale)
        .and_then(|ms| u32::try_from(ms).ok())
    {
        Some(ms) => (Some(TokenKind::Duration(ms)), unit_end),
        None => {
            bad(diags, unit_end, "duration too long");
            (None, unit_end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let mut d = Vec::new();
        let lexed = lex(text, &mut d);
        assert!(d.is_empty(), "{d:?}");
        lexed.tokens.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn numbers_durations_times_dates() {
        use TokenKind::*;
        assert_eq!(
            kinds("12 5s 250ms 2m 09:30 2026-12-25 4-6"),
            vec![
                Int(12),
                Duration(5000),
                Duration(250),
                Duration(120_000),
                Time(9, 30),
                Date(2026, 12, 25),
                Int(4),
                Minus,
                Int(6)
            ]
        );
    }

    #[test]
    fn hyphenated_identifiers_and_comments() {
        let mut d = Vec::new();
        let text = "  on no-input -> a // comment\n\n// only\nx - 1";
        let l = lex(text, &mut d);
        assert!(d.is_empty());
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.lines[0].indent, 2);
        let t = l.tokens[1];
        assert_eq!(
            &text[t.span.start as usize..t.span.end as usize],
            "no-input"
        );
        assert_eq!(l.lines[1].end - l.lines[1].first, 3);
    }

    #[test]
    fn errors_are_collected() {
        let mut d = Vec::new();
        lex("say \"abc\n\tx @ 99999999999999999999 3q", &mut d);
        let codes: Vec<_> = d.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            vec![
                Code::UNTERMINATED_STRING,
                Code::TAB_INDENT,
                Code::UNEXPECTED_CHARACTER,
                Code::BAD_NUMBER,
                Code::BAD_NUMBER
            ]
        );
    }
}
