//! Diagnostics: an error or warning with a stable code, a span and help text,
//! rendered the way compilers print them.
//!
//! ```text
//! bank.ivr:4:9: error[E0201]: unknown label `sales`
//!   4 |   1 -> sales
//!     |        ^^^^^
//!     = help: labels in flow `main`: menu, support
//! ```

use std::fmt;

use crate::source::{SourceFile, Span};

/// A stable diagnostic code such as `E0201`. Codes never change meaning;
/// new ones are added. `E` codes are errors and `W` codes warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(pub &'static str);

impl Code {
    // Lexical and parse errors: E00xx.
    /// The source is larger than the input-size limit.
    pub const INPUT_TOO_LARGE: Code = Code("E0001");
    /// A string literal is not closed on its line.
    pub const UNTERMINATED_STRING: Code = Code("E0002");
    /// A character that starts no token.
    pub const UNEXPECTED_CHARACTER: Code = Code("E0003");
    /// A tab character in indentation.
    pub const TAB_INDENT: Code = Code("E0004");
    /// A number that does not fit or a malformed number, duration, time or date.
    pub const BAD_NUMBER: Code = Code("E0005");
    /// An unknown escape sequence or a malformed `{...}` interpolation.
    pub const BAD_STRING: Code = Code("E0006");
    /// The parser expected something else here.
    pub const UNEXPECTED_TOKEN: Code = Code("E0010");
    /// A line is indented where no block is opened.
    pub const UNEXPECTED_INDENT: Code = Code("E0011");
    /// A block is opened but has no indented lines.
    pub const EMPTY_BLOCK: Code = Code("E0012");
    /// A statement or setting does not belong in this block.
    pub const MISPLACED: Code = Code("E0013");
    /// A setting is given twice.
    pub const DUPLICATE_SETTING: Code = Code("E0014");
    /// Blocks or expressions are nested deeper than the limit.
    pub const TOO_DEEP: Code = Code("E0015");
    /// The file has more nodes than the limit.
    pub const TOO_MANY_NODES: Code = Code("E0016");
    /// Too many diagnostics; the rest were dropped.
    pub const TOO_MANY_ERRORS: Code = Code("E0017");

    // Name resolution: E01xx.
    /// Two flows, schedules, prompt tables or tests share a name.
    pub const DUPLICATE_NAME: Code = Code("E0101");
    /// Two labels in one flow share a name.
    pub const DUPLICATE_LABEL: Code = Code("E0102");
    /// A `goto` or `->` names no label of the flow.
    pub const UNKNOWN_LABEL: Code = Code("E0103");
    /// A `call` names no flow.
    pub const UNKNOWN_FLOW: Code = Code("E0104");
    /// A variable is read but never assigned in its flow.
    pub const UNKNOWN_VARIABLE: Code = Code("E0105");
    /// `open(...)` names no schedule.
    pub const UNKNOWN_SCHEDULE: Code = Code("E0106");
    /// A prompt names no prompt table.
    pub const UNKNOWN_PROMPT: Code = Code("E0107");
    /// There is no `flow main`.
    pub const NO_MAIN: Code = Code("E0108");
    /// A call passes the wrong number of arguments.
    pub const ARITY: Code = Code("E0109");
    /// An unknown function in an expression.
    pub const UNKNOWN_FUNCTION: Code = Code("E0110");
    /// `main` takes parameters or returns.
    pub const BAD_MAIN: Code = Code("E0111");
    /// A built-in name is assigned.
    pub const READ_ONLY: Code = Code("E0112");

    // Flow structure: E02xx.
    /// A reachable node from which no path ends the call.
    pub const TRAP: Code = Code("E0201");
    /// A loop a silent caller goes round forever: no retry count bounds it.
    pub const UNBOUNDED_INPUT_LOOP: Code = Code("E0202");
    /// A loop with no input and no condition.
    pub const INFINITE_LOOP: Code = Code("E0203");
    /// Subflows call each other recursively.
    pub const RECURSION: Code = Code("E0204");
    /// Subflow calls nest deeper than the depth limit.
    pub const CALL_TOO_DEEP: Code = Code("E0205");

    // Input nodes: E03xx.
    /// A menu has no options.
    pub const MENU_NO_OPTIONS: Code = Code("E0301");
    /// A menu lists a key twice.
    pub const DUPLICATE_KEY: Code = Code("E0302");
    /// A key other than 0-9, `*` or `#`.
    pub const BAD_KEY: Code = Code("E0303");
    /// A gather's minimum is above its maximum, or a bound is out of range.
    pub const BAD_DIGIT_COUNT: Code = Code("E0304");
    /// A gather's terminator is one of the keys it accepts.
    pub const TERMINATOR_ACCEPTED: Code = Code("E0305");
    /// A zero timeout or zero length.
    pub const ZERO_DURATION: Code = Code("E0306");
    /// A retry count above the limit.
    pub const TOO_MANY_RETRIES: Code = Code("E0307");
    /// A malformed digit pattern.
    pub const BAD_PATTERN: Code = Code("E0308");
    /// A handler count of zero or a duplicate handler.
    pub const BAD_HANDLER: Code = Code("E0309");

    // Types: E04xx.
    /// An expression has the wrong type.
    pub const TYPE_MISMATCH: Code = Code("E0401");

    // Schedules: E05xx.
    /// A time range whose start is not before its end, or an invalid time.
    pub const BAD_RANGE: Code = Code("E0501");
    /// An unknown IANA time zone.
    pub const BAD_TIME_ZONE: Code = Code("E0502");
    /// An invalid date or day name.
    pub const BAD_DATE: Code = Code("E0503");
    /// A schedule without a time zone.
    pub const NO_TIME_ZONE: Code = Code("E0504");

    // Tests: E06xx.
    /// A malformed test step.
    pub const BAD_TEST: Code = Code("E0601");

    // Warnings: W0xxx.
    /// A statement no path reaches.
    pub const UNREACHABLE: Code = Code("W0001");
    /// A flow no path calls.
    pub const UNUSED_FLOW: Code = Code("W0002");
    /// A lookup without `on error` or `on timeout` handler.
    pub const UNHANDLED_LOOKUP: Code = Code("W0003");
    /// A prompt table without an entry for a language used by `language`.
    pub const MISSING_TRANSLATION: Code = Code("W0004");
    /// A schedule with no opening hours.
    pub const NEVER_OPEN: Code = Code("W0005");
    /// A schedule or prompt table nothing uses.
    pub const UNUSED_SCHEDULE: Code = Code("W0006");

    /// Whether this code is a warning.
    pub fn is_warning(self) -> bool {
        self.0.starts_with('W')
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// The flow is usable; something looks wrong.
    Warning,
    /// The flow is refused.
    Error,
}

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a likely typo (at most one edit per three characters, and at most 2).
/// Long words get no suggestion, which keeps this cheap on hostile input.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    const LONGEST: usize = 64;
    let len = word.chars().count();
    if len > LONGEST {
        return None;
    }
    let limit = (len / 3).clamp(1, 2);
    candidates
        .into_iter()
        .filter(|c| {
            *c != word && c.len() <= LONGEST * 4 && c.chars().count().abs_diff(len) <= limit
        })
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of
/// two neighbouring characters (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let get = |d: &[usize], i: usize, j: usize| d.get(i * w + j).copied().unwrap_or(usize::MAX / 2);
    let ch = |v: &[char], i: usize| v.get(i).copied();
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            let value = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(ch(&a, i - 1) != ch(&b, j - 1));
                let mut v = (get(&d, i - 1, j) + 1)
                    .min(get(&d, i, j - 1) + 1)
                    .min(get(&d, i - 1, j - 1) + cost);
                if i > 1
                    && j > 1
                    && ch(&a, i - 1) == ch(&b, j - 2)
                    && ch(&a, i - 2) == ch(&b, j - 1)
                {
                    v = v.min(get(&d, i - 2, j - 2) + 1);
                }
                v
            };
            if let Some(slot) = d.get_mut(i * w + j) {
                *slot = value;
            }
        }
    }
    get(&d, a.len(), b.len())
}

/// Characters of a source line shown under a diagnostic.
const WINDOW: usize = 120;

/// One finding about a flow file: what, where and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code.
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where: byte offsets into the source.
    pub span: Span,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic whose severity follows from its code.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: if code.is_warning() {
                Severity::Warning
            } else {
                Severity::Error
            },
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// Adds help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders as `file:line:col: error[CODE]: message`, the source line, a
    /// caret line under the span, and the help text.
    ///
    /// # Examples
    ///
    /// ```
    /// use call_ivr::diagnostic::{Code, Diagnostic};
    /// use call_ivr::source::{SourceFile, Span};
    ///
    /// let file = SourceFile::new("a.ivr", "flow main\n  goto nowhere\n")?;
    /// let d = Diagnostic::new(Code::UNKNOWN_LABEL, Span::new(17, 24), "unknown label `nowhere`");
    /// let text = d.render(&file);
    /// assert!(text.starts_with("a.ivr:2:8: error[E0103]: unknown label `nowhere`\n"));
    /// assert!(text.contains("  |        ^^^^^^^"));
    /// # Ok::<(), call_ivr::error::SourceError>(())
    /// ```
    pub fn render(&self, file: &SourceFile) -> String {
        let mut out = String::new();
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let start = file.location(self.span.start).ok();
        let (line, column) = start.map_or((0, 0), |l| (l.line, l.column));
        out.push_str(&format!(
            "{}:{}:{}: {}[{}]: {}\n",
            file.name(),
            line,
            column,
            kind,
            self.code,
            self.message
        ));
        if let Some(full) = file.line_text(line) {
            let number = line.to_string();
            let pad = " ".repeat(number.len());
            let before = column.saturating_sub(1) as usize;
            // Long lines are shown as a window around the column.
            let skip = before.saturating_sub(WINDOW / 2);
            let total = full.chars().count();
            let shown: String = full.chars().skip(skip).take(WINDOW).collect();
            let (lead, trail) = (
                if skip > 0 { "..." } else { "" },
                if skip + WINDOW < total { "..." } else { "" },
            );
            out.push_str(&format!("{number} | {lead}{shown}{trail}\n"));
            let before = before - skip;
            // The caret covers the span's characters on this line, at least one.
            let avail = shown.chars().count().saturating_sub(before);
            let width = file
                .slice(self.span)
                .map_or(1, |s| s.lines().next().map_or(0, |l| l.chars().count()))
                .clamp(1, avail.max(1));
            let indent: String = lead
                .chars()
                .chain(shown.chars().take(before))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("{pad} | {indent}{}\n", "^".repeat(width)));
            if let Some(help) = &self.help {
                out.push_str(&format!("{pad} = help: {help}\n"));
            }
        } else if let Some(help) = &self.help {
            out.push_str(&format!("  = help: {help}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// A list of diagnostics for one file, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// The diagnostics, sorted by position.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// Renders every diagnostic (see [`Diagnostic::render`]).
    pub fn render(&self, file: &SourceFile) -> String {
        self.items.iter().map(|d| d.render(file)).collect()
    }

    /// Whether any diagnostic has this code.
    pub fn contains(&self, code: Code) -> bool {
        self.items.iter().any(|d| d.code == code)
    }

    pub(crate) fn sort(&mut self) {
        self.items
            .sort_by_key(|d| (d.span.start, d.span.end, d.code, d.message.clone()));
        self.items.dedup();
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(feature = "miette")]
mod miette_impl {
    use super::{Diagnostic, Diagnostics, Severity};

    /// The collection reports its items as related diagnostics.
    impl miette::Diagnostic for Diagnostics {
        fn related<'a>(
            &'a self,
        ) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
            Some(Box::new(
                self.items.iter().map(|d| d as &dyn miette::Diagnostic),
            ))
        }
    }

    impl miette::Diagnostic for Diagnostic {
        fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
            Some(Box::new(self.code))
        }

        fn severity(&self) -> Option<miette::Severity> {
            Some(match self.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            })
        }

        fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
            self.help
                .as_ref()
                .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
        }

        fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
            let span = miette::LabeledSpan::new_primary_with_span(
                Some(self.message.clone()),
                (self.span.start as usize, self.span.len() as usize),
            );
            Some(Box::new(std::iter::once(span)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_the_span_with_help() {
        let file = SourceFile::new("x.ivr", "flow main\n  say \"hi\n").unwrap();
        let d = Diagnostic::new(
            Code::UNTERMINATED_STRING,
            Span::new(16, 19),
            "unterminated string",
        )
        .with_help("close it with `\"`");
        assert_eq!(
            d.render(&file),
            "x.ivr:2:7: error[E0002]: unterminated string\n2 |   say \"hi\n  |       ^^^\n  = help: close it with `\"`\n"
        );
    }

    #[test]
    fn long_lines_are_shown_around_the_column() {
        let line = format!("  say \"{}\" oops", "a".repeat(500));
        let file = SourceFile::new("x.ivr", format!("flow main\n{line}\n")).unwrap();
        let at = 10 + line.find("oops").unwrap() as u32;
        let d = Diagnostic::new(Code::UNEXPECTED_TOKEN, Span::new(at, at + 4), "x");
        let text = d.render(&file);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].starts_with("2 | ...aaa") && lines[1].ends_with("\" oops"),
            "{text}"
        );
        assert!(lines[1].len() < 140);
        let caret = lines[2].find('^').unwrap();
        assert_eq!(&lines[1][caret..caret + 4], "oops");
    }

    #[test]
    fn typos_find_their_closest_word() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("sael", "sale"), 1);
        assert_eq!(
            closest("gahter", ["gather", "goto", "menu"]),
            Some("gather")
        );
        assert_eq!(closest("sya", ["say", "set"]), Some("say"));
        assert_eq!(closest("xyz", ["say", "set"]), None);
    }

    #[test]
    fn warnings_follow_their_code() {
        let d = Diagnostic::new(Code::UNREACHABLE, Span::new(0, 1), "x");
        assert_eq!(d.severity, Severity::Warning);
        assert!(!d.is_error());
    }
}
