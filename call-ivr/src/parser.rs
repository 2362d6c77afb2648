//! The recursive-descent parser: lines of tokens to an [`crate::ast::File`].
//!
//! Errors never stop the parse: a statement that fails is reported and
//! skipped together with its indented lines, and parsing goes on with the
//! next one, so one run reports every error in the file. Input size, nesting
//! depth, node count and the number of diagnostics are bounded by
//! [`ParseLimits`].

use std::ops::Range;

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::lexer::{Line, Token, TokenKind, lex};
use crate::source::{SourceFile, Span};

/// The words that start a statement.
const STATEMENTS: [&str; 17] = [
    "say",
    "play",
    "language",
    "set",
    "if",
    "match",
    "menu",
    "gather",
    "lookup",
    "enqueue",
    "transfer",
    "record",
    "voicemail",
    "call",
    "return",
    "goto",
    "hangup",
];

/// Hard limits on what the parser accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest source in bytes (default 8 MiB).
    pub max_bytes: usize,
    /// Deepest nesting of blocks plus expressions (default 64).
    pub max_depth: u32,
    /// Most statements, expressions and test steps in one file (default 200,000).
    pub max_nodes: u32,
    /// Most diagnostics reported before the parser gives up (default 200).
    pub max_diagnostics: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_bytes: 8 << 20,
            max_depth: 64,
            max_nodes: 200_000,
            max_diagnostics: 200,
        }
    }
}

/// Parses a flow file with the default limits.
///
/// The tree is returned even when there are errors (it then lacks the
/// statements that failed); check [`Diagnostics::has_errors`].
///
/// # Examples
///
/// ```
/// use call_ivr::parser::parse;
/// use call_ivr::source::SourceFile;
///
/// let file = SourceFile::new("a.ivr", "flow main\n  say \"Hello\"\n  hangup\n")?;
/// let (tree, diags) = parse(&file);
/// assert!(!diags.has_errors());
/// assert_eq!(tree.items.len(), 1);
/// # Ok::<(), call_ivr::error::SourceError>(())
/// ```
pub fn parse(file: &SourceFile) -> (File, Diagnostics) {
    parse_with(file, ParseLimits::default())
}

/// Parses a flow file with explicit limits.
pub fn parse_with(file: &SourceFile, limits: ParseLimits) -> (File, Diagnostics) {
    let text = file.text();
    let mut diags = Vec::new();
    if text.len() > limits.max_bytes {
        diags.push(Diagnostic::new(
            Code::INPUT_TOO_LARGE,
            Span::new(0, 0),
            format!(
                "the file is {} bytes; the limit is {}",
                text.len(),
                limits.max_bytes
            ),
        ));
        return (File::default(), Diagnostics { items: diags });
    }
    let lexed = lex(text, &mut diags);
    if diags.len() > limits.max_diagnostics {
        diags.truncate(limits.max_diagnostics);
        let at = diags.last().map_or(Span::default(), |d| d.span);
        diags.push(Diagnostic::new(
            Code::TOO_MANY_ERRORS,
            at,
            "too many errors; the rest of the file was not parsed",
        ));
        let mut diagnostics = Diagnostics { items: diags };
        diagnostics.sort();
        return (File::default(), diagnostics);
    }
    let mut p = Parser {
        text,
        toks: &lexed.tokens,
        lines: &lexed.lines,
        bad_lines: &lexed.bad_lines,
        diags,
        nodes: 0,
        depth: 0,
        limits,
        stop: false,
    };
    let items = p.items();
    let comments = lexed
        .comments
        .iter()
        .map(|&span| Comment {
            text: p.text(span).trim_start_matches('/').to_string(),
            span,
        })
        .collect();
    let mut diagnostics = Diagnostics { items: p.diags };
    diagnostics.sort();
    (File { items, comments }, diagnostics)
}

struct Parser<'a> {
    text: &'a str,
    toks: &'a [Token],
    lines: &'a [Line],
    /// Lines the lexer already reported as garbled.
    bad_lines: &'a [Span],
    diags: Vec<Diagnostic>,
    nodes: u32,
    depth: u32,
    limits: ParseLimits,
    stop: bool,
}

/// A cursor over one line's tokens.
#[derive(Clone, Copy)]
struct Cur {
    i: usize,
    end: usize,
    line: Span,
}

type Kids = Range<usize>;

impl<'a> Parser<'a> {
    // ---- plumbing -------------------------------------------------------

    fn report(&mut self, d: Diagnostic) {
        if self.stop {
            return;
        }
        if d.code == Code::UNEXPECTED_TOKEN && self.on_bad_line(d.span) {
            return;
        }
        if self.diags.len() >= self.limits.max_diagnostics {
            self.diags.push(Diagnostic::new(
                Code::TOO_MANY_ERRORS,
                d.span,
                "too many errors; the rest of the file was not parsed",
            ));
            self.stop = true;
            return;
        }
        self.diags.push(d);
    }

    /// Whether `span` starts on a line the lexer reported as garbled.
    fn on_bad_line(&self, span: Span) -> bool {
        let i = self.bad_lines.partition_point(|l| l.end < span.start);
        self.bad_lines
            .get(i)
            .is_some_and(|l| l.start <= span.start && span.start <= l.end)
    }

    fn err<T>(&mut self, code: Code, span: Span, msg: impl Into<String>) -> Option<T> {
        self.report(Diagnostic::new(code, span, msg));
        None
    }

    fn node(&mut self, span: Span) -> Option<()> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            if !self.stop {
                self.report(Diagnostic::new(
                    Code::TOO_MANY_NODES,
                    span,
                    format!("the file has more than {} nodes", self.limits.max_nodes),
                ));
                self.stop = true;
            }
            return None;
        }
        Some(())
    }

    fn enter(&mut self, span: Span) -> Option<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            self.depth -= 1;
            return self.err(
                Code::TOO_DEEP,
                span,
                format!("nested deeper than {} levels", self.limits.max_depth),
            );
        }
        Some(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn line(&self, index: usize) -> Line {
        self.lines.get(index).copied().unwrap_or(Line {
            indent: 0,
            first: 0,
            end: 0,
            span: Span::default(),
        })
    }

    fn cur(&self, index: usize) -> Cur {
        let l = self.line(index);
        Cur {
            i: l.first as usize,
            end: l.end as usize,
            line: l.span,
        }
    }

    fn peek(&self, c: &Cur) -> Option<Token> {
        if c.i < c.end {
            self.toks.get(c.i).copied()
        } else {
            None
        }
    }

    fn peek2(&self, c: &Cur) -> Option<Token> {
        if c.i + 1 < c.end {
            self.toks.get(c.i + 1).copied()
        } else {
            None
        }
    }

    fn text(&self, span: Span) -> &'a str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    fn is_kw(&self, t: Option<Token>, kw: &str) -> bool {
        matches!(t, Some(t) if t.kind == TokenKind::Ident && self.text(t.span) == kw)
    }

    fn eat_kw(&self, c: &mut Cur, kw: &str) -> bool {
        if self.is_kw(self.peek(c), kw) {
            c.i += 1;
            true
        } else {
            false
        }
    }

    fn eat(&self, c: &mut Cur, kind: TokenKind) -> Option<Token> {
        match self.peek(c) {
            Some(t) if t.kind == kind => {
                c.i += 1;
                Some(t)
            }
            _ => None,
        }
    }

    /// The span to blame when something is missing: the next token, or the
    /// end of the line.
    fn here(&self, c: &Cur) -> Span {
        self.peek(c)
            .map_or(Span::new(c.line.end, c.line.end), |t| t.span)
    }

    fn found(&self, c: &Cur) -> String {
        match self.peek(c) {
            Some(t) => format!("found `{}`", self.text(t.span)),
            None => "found the end of the line".to_string(),
        }
    }

    fn expected<T>(&mut self, c: &Cur, what: &str) -> Option<T> {
        let msg = format!("expected {what}, {}", self.found(c));
        let span = self.here(c);
        self.err(Code::UNEXPECTED_TOKEN, span, msg)
    }

    fn expect(&mut self, c: &mut Cur, kind: TokenKind, what: &str) -> Option<Token> {
        match self.eat(c, kind) {
            Some(t) => Some(t),
            None => self.expected(c, what),
        }
    }

    fn end(&mut self, c: &Cur) -> Option<()> {
        if self.peek(c).is_none() {
            Some(())
        } else {
            self.expected(c, "the end of the line")
        }
    }

    fn name(&mut self, c: &mut Cur, what: &str) -> Option<Name> {
        match self.peek(c) {
            Some(t) if t.kind == TokenKind::Ident => {
                c.i += 1;
                Some(Name {
                    text: self.text(t.span).to_string(),
                    span: t.span,
                })
            }
            _ => self.expected(c, what),
        }
    }

    fn no_kids(&mut self, kids: &Kids) -> Option<()> {
        if kids.is_empty() {
            Some(())
        } else {
            let span = self.line(kids.start).span;
            self.err(
                Code::UNEXPECTED_INDENT,
                span,
                "unexpected indentation: the line above opens no block",
            )
        }
    }

    /// The end of the indented lines under line `index` (exclusive).
    fn kids_end(&self, index: usize, limit: usize) -> usize {
        let indent = self.line(index).indent;
        let mut j = index + 1;
        while j < limit && self.line(j).indent > indent {
            j += 1;
        }
        j
    }

    /// The lines of a block at one indentation, each with its own children.
    fn siblings(&mut self, range: Kids) -> Vec<(usize, Kids)> {
        let mut out = Vec::new();
        let Some(first) = self.lines.get(range.start) else {
            return out;
        };
        let indent = first.indent;
        let mut i = range.start;
        while i < range.end && !self.stop {
            let end = self.kids_end(i, range.end);
            if self.line(i).indent == indent {
                out.push((i, i + 1..end));
            } else {
                let span = self.line(i).span;
                self.report(
                    Diagnostic::new(
                        Code::UNEXPECTED_INDENT,
                        span,
                        "this line's indentation matches no enclosing block",
                    )
                    .with_help("indent the lines of a block by the same number of spaces"),
                );
            }
            i = end;
        }
        out
    }

    // ---- items ----------------------------------------------------------

    fn items(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        let n = self.lines.len();
        let mut i = 0;
        while i < n && !self.stop {
            let end = self.kids_end(i, n);
            let line = self.line(i);
            if line.indent != 0 {
                self.report(Diagnostic::new(
                    Code::UNEXPECTED_INDENT,
                    line.span,
                    "unexpected indentation at the top level",
                ));
            } else if let Some(item) = self.item(i, i + 1..end) {
                items.push(item);
            }
            i = end;
        }
        items
    }

    fn item(&mut self, index: usize, kids: Kids) -> Option<Item> {
        let mut c = self.cur(index);
        let line = c.line;
        let head = self.peek(&c);
        if self.eat_kw(&mut c, "flow") {
            let name = self.name(&mut c, "a flow name")?;
            let mut params = Vec::new();
            if self.eat(&mut c, TokenKind::LParen).is_some()
                && self.eat(&mut c, TokenKind::RParen).is_none()
            {
                loop {
                    params.push(self.name(&mut c, "a parameter name")?);
                    if self.eat(&mut c, TokenKind::Comma).is_none() {
                        self.expect(&mut c, TokenKind::RParen, "`,` or `)`")?;
                        break;
                    }
                }
            }
            self.end(&c)?;
            let body = self.block(kids, line)?;
            Some(Item::Flow(Flow {
                name,
                params,
                body,
                span: line,
            }))
        } else if self.eat_kw(&mut c, "schedule") {
            let name = self.name(&mut c, "a schedule name")?;
            self.end(&c)?;
            self.schedule(name, kids, line).map(Item::Schedule)
        } else if self.eat_kw(&mut c, "prompt") {
            let name = self.name(&mut c, "a prompt table name")?;
            self.end(&c)?;
            self.prompt_table(name, kids, line).map(Item::Prompt)
        } else if self.eat_kw(&mut c, "test") {
            let name = self.string(&mut c, "a test name in quotes")?;
            self.end(&c)?;
            self.test(name, kids, line).map(Item::Test)
        } else {
            let span = head.map_or(line, |t| t.span);
            self.report(
                Diagnostic::new(
                    Code::UNEXPECTED_TOKEN,
                    span,
                    format!(
                        "expected `flow`, `schedule`, `prompt` or `test`, {}",
                        self.found(&c)
                    ),
                )
                .with_help("statements go in an indented block under `flow NAME`"),
            );
            None
        }
    }

    fn schedule(&mut self, name: Name, kids: Kids, span: Span) -> Option<Schedule> {
        let mut s = Schedule {
            name,
            timezone: None,
            hours: Vec::new(),
            holidays: Vec::new(),
            span,
        };
        for (i, sub) in self.siblings(kids) {
            let mut c = self.cur(i);
            let _ = self.no_kids(&sub);
            let _ = self.node(c.line);
            if self.eat_kw(&mut c, "timezone") {
                let tz = self.string(&mut c, "a time zone such as \"Europe/Paris\"");
                if let Some(tz) = tz {
                    if s.timezone.is_some() {
                        self.report(Diagnostic::new(
                            Code::DUPLICATE_SETTING,
                            c.line,
                            "the time zone is given twice",
                        ));
                    }
                    s.timezone = Some(tz);
                    let _ = self.end(&c);
                }
            } else if self.eat_kw(&mut c, "holiday") {
                let Some(t) = self.peek(&c) else {
                    let _ = self.expected::<()>(&c, "a date YYYY-MM-DD");
                    continue;
                };
                let TokenKind::Date(y, m, d) = t.kind else {
                    let _ = self.expected::<()>(&c, "a date YYYY-MM-DD");
                    continue;
                };
                c.i += 1;
                let label = if matches!(self.peek(&c), Some(t) if t.kind == TokenKind::Str) {
                    self.string(&mut c, "a name")
                } else {
                    None
                };
                if self.end(&c).is_some() {
                    s.holidays.push(Holiday {
                        date: (y, m, d),
                        name: label,
                        span: c.line,
                    });
                }
            } else if let Some(h) = self.weekly(&mut c) {
                s.hours.push(h);
            }
        }
        Some(s)
    }

    fn weekly(&mut self, c: &mut Cur) -> Option<WeeklyHours> {
        let line = c.line;
        let mut days = Vec::new();
        loop {
            days.push(self.name(
                c,
                "`timezone`, `holiday` or days such as `mon-fri` followed by hours",
            )?);
            if self.eat(c, TokenKind::Comma).is_none() {
                break;
            }
        }
        let mut ranges = Vec::new();
        loop {
            let t = self.peek(c);
            let Some(Token {
                kind: TokenKind::Time(h1, m1),
                span: s1,
            }) = t
            else {
                return self.expected(c, "opening hours such as 09:00-17:30");
            };
            c.i += 1;
            self.expect(c, TokenKind::Minus, "`-` between opening and closing times")?;
            let Some(Token {
                kind: TokenKind::Time(h2, m2),
                span: s2,
            }) = self.peek(c)
            else {
                return self.expected(c, "a closing time such as 17:30");
            };
            c.i += 1;
            ranges.push(TimeRange {
                start: (h1, m1),
                end: (h2, m2),
                span: Span::new(s1.start, s2.end),
            });
            if self.eat(c, TokenKind::Comma).is_none() {
                break;
            }
        }
        self.end(c)?;
        Some(WeeklyHours {
            days,
            ranges,
            span: line,
        })
    }

    fn prompt_table(&mut self, name: Name, kids: Kids, span: Span) -> Option<PromptTable> {
        if kids.is_empty() {
            return self.err(
                Code::EMPTY_BLOCK,
                span,
                "a prompt table needs at least one `LANGUAGE \"text\"` line",
            );
        }
        let mut entries = Vec::new();
        for (i, sub) in self.siblings(kids) {
            let mut c = self.cur(i);
            let _ = self.no_kids(&sub);
            let _ = self.node(c.line);
            let Some(lang) = self.name(&mut c, "a language code such as `en`") else {
                continue;
            };
            let prompt = if self.eat_kw(&mut c, "audio") {
                self.string(&mut c, "an audio id in quotes")
                    .map(Prompt::Audio)
            } else {
                self.string(&mut c, "the prompt text in quotes")
                    .map(Prompt::Text)
            };
            if let Some(prompt) = prompt
                && self.end(&c).is_some()
            {
                entries.push((lang, prompt));
            }
        }
        Some(PromptTable {
            name,
            entries,
            span,
        })
    }

    // ---- statements -----------------------------------------------------

    fn block(&mut self, kids: Kids, opener: Span) -> Option<Vec<Stmt>> {
        if kids.is_empty() {
            return self.err(
                Code::EMPTY_BLOCK,
                opener,
                "this opens a block but no indented lines follow",
            );
        }
        self.enter(opener)?;
        let lines = self.siblings(kids);
        let mut out = Vec::with_capacity(lines.len());
        let mut k = 0;
        while let Some(&(i, ref sub)) = lines.get(k) {
            k += 1;
            if self.stop {
                break;
            }
            let mut c = self.cur(i);
            if self.is_kw(self.peek(&c), "else") {
                self.report(Diagnostic::new(
                    Code::MISPLACED,
                    c.line,
                    "`else` without an `if` just above",
                ));
                continue;
            }
            if self.eat_kw(&mut c, "if") {
                // Collect the `else if` / `else` lines that follow.
                let mut parts = vec![(c, sub.clone())];
                while let Some(&(j, ref sub2)) = lines.get(k) {
                    let mut c2 = self.cur(j);
                    if !self.eat_kw(&mut c2, "else") {
                        break;
                    }
                    k += 1;
                    parts.push((c2, sub2.clone()));
                }
                if let Some(s) = self.if_stmt(parts) {
                    out.push(s);
                }
            } else if let Some(s) = self.stmt(i, sub.clone()) {
                out.push(s);
            }
        }
        self.leave();
        Some(out)
    }

    fn arm(&mut self, c: &mut Cur, kids: Kids) -> Option<Arm> {
        if self.eat(c, TokenKind::Arrow).is_some() {
            let target = self.name(c, "a label after `->`")?;
            self.end(c)?;
            self.no_kids(&kids)?;
            Some(Arm::Goto(target))
        } else if self.peek(c).is_none() {
            self.block(kids, c.line).map(Arm::Block)
        } else {
            self.expected(
                c,
                "`-> label` or the end of the line before an indented block",
            )
        }
    }

    fn if_stmt(&mut self, parts: Vec<(Cur, Kids)>) -> Option<Stmt> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut span = None;
        let mut ok = true;
        for (mut c, kids) in parts {
            span.get_or_insert(c.line);
            let _ = self.node(c.line);
            if otherwise.is_some() {
                self.report(Diagnostic::new(
                    Code::MISPLACED,
                    c.line,
                    "nothing can follow a final `else`",
                ));
                ok = false;
                continue;
            }
            let is_else = span != Some(c.line) && !self.eat_kw(&mut c, "if");
            if is_else {
                match self.arm(&mut c, kids) {
                    Some(a) => otherwise = Some(a),
                    None => ok = false,
                }
            } else {
                let cond = self.expr(&mut c);
                match cond.and_then(|e| Some((e, self.arm(&mut c, kids)?))) {
                    Some(b) => branches.push(b),
                    None => ok = false,
                }
            }
        }
        if !ok {
            return None;
        }
        Some(Stmt {
            kind: StmtKind::If(branches, otherwise),
            span: span.unwrap_or_default(),
        })
    }

    fn stmt(&mut self, index: usize, kids: Kids) -> Option<Stmt> {
        let mut c = self.cur(index);
        let span = c.line;
        self.node(span)?;
        let Some(head) = self.peek(&c) else {
            return self.expected(&c, "a statement");
        };
        // `label:` on its own line.
        if head.kind == TokenKind::Ident
            && matches!(self.peek2(&c), Some(t) if t.kind == TokenKind::Colon)
        {
            let name = self.name(&mut c, "a label")?;
            c.i += 1;
            self.end(&c)?;
            self.no_kids(&kids)?;
            return Some(Stmt {
                kind: StmtKind::Label(name),
                span,
            });
        }
        let kw = if head.kind == TokenKind::Ident {
            self.text(head.span)
        } else {
            ""
        };
        c.i += 1;
        let kind = match kw {
            "say" => {
                let prompt = self.prompt(&mut c)?;
                let opts = self.prompt_options(&mut c)?;
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Say(prompt, opts)
            }
            "play" => {
                let audio = self.string(&mut c, "an audio id in quotes")?;
                let opts = self.prompt_options(&mut c)?;
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Say(Prompt::Audio(audio), opts)
            }
            "language" => {
                let e = self.expr(&mut c)?;
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Language(e)
            }
            "set" => {
                let name = self.name(&mut c, "a variable name")?;
                self.expect(&mut c, TokenKind::Eq, "`=`")?;
                let e = self.expr(&mut c)?;
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Set(name, e)
            }
            "match" => self.match_stmt(&mut c, kids)?,
            "menu" => self.menu(&mut c, kids)?,
            "gather" => self.gather(&mut c, kids)?,
            "lookup" => self.lookup(&mut c, kids)?,
            "enqueue" => self.enqueue(&mut c, kids)?,
            "transfer" => {
                let target = if self.eat_kw(&mut c, "agent") {
                    TransferTarget::Agent
                } else {
                    TransferTarget::Number
                };
                let e = self.expr(&mut c)?;
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Transfer(target, e)
            }
            "record" => {
                let name = self.name(&mut c, "a variable for the recording id")?;
                let opts = self.record_options(&mut c)?;
                self.no_kids(&kids)?;
                StmtKind::Record(name, opts)
            }
            "voicemail" => {
                let mailbox = self.expr(&mut c)?;
                let opts = self.record_options(&mut c)?;
                self.no_kids(&kids)?;
                StmtKind::Voicemail(mailbox, opts)
            }
            "call" => {
                let flow = self.name(&mut c, "a flow name")?;
                self.expect(&mut c, TokenKind::LParen, "`(`")?;
                let args = self.args(&mut c)?;
                let result = if self.eat(&mut c, TokenKind::Arrow).is_some() {
                    Some(self.name(&mut c, "a variable for the returned value")?)
                } else {
                    None
                };
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Call(flow, args, result)
            }
            "return" => {
                let e = if self.peek(&c).is_some() {
                    Some(self.expr(&mut c)?)
                } else {
                    None
                };
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Return(e)
            }
            "goto" => {
                let target = self.name(&mut c, "a label")?;
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Goto(target)
            }
            "hangup" => {
                let reason = if self.peek(&c).is_some() {
                    Some(self.string(&mut c, "a reason in quotes")?)
                } else {
                    None
                };
                self.end(&c)?;
                self.no_kids(&kids)?;
                StmtKind::Hangup(reason)
            }
            _ => {
                c.i -= 1;
                let span = head.span;
                let msg = format!("expected a statement, {}", self.found(&c));
                let help = match crate::diagnostic::closest(kw, STATEMENTS) {
                    Some(word) => format!("did you mean `{word}`?"),
                    None => "statements: say, play, language, set, if, match, menu, gather, \
                                 lookup, enqueue, transfer, record, voicemail, call, return, goto, \
                                 hangup, or `label:`"
                        .to_string(),
                };
                self.report(Diagnostic::new(Code::UNEXPECTED_TOKEN, span, msg).with_help(help));
                return None;
            }
        };
        Some(Stmt { kind, span })
    }

    fn args(&mut self, c: &mut Cur) -> Option<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(c, TokenKind::RParen).is_some() {
            return Some(args);
        }
        loop {
            args.push(self.expr(c)?);
            if self.eat(c, TokenKind::Comma).is_none() {
                self.expect(c, TokenKind::RParen, "`,` or `)`")?;
                return Some(args);
            }
        }
    }

    fn prompt(&mut self, c: &mut Cur) -> Option<Prompt> {
        match self.peek(c) {
            Some(t) if t.kind == TokenKind::Str => self.string(c, "text").map(Prompt::Text),
            Some(t) if t.kind == TokenKind::Ident && self.text(t.span) == "audio" => {
                c.i += 1;
                self.string(c, "an audio id in quotes").map(Prompt::Audio)
            }
            Some(t) if t.kind == TokenKind::Ident => {
                self.name(c, "a prompt table").map(Prompt::Table)
            }
            _ => self.expected(c, "a prompt: \"text\", audio \"id\" or a prompt table name"),
        }
    }

    fn prompt_options(&mut self, c: &mut Cur) -> Option<PromptOptions> {
        let mut o = PromptOptions::default();
        loop {
            let at = self.here(c);
            if self.eat_kw(c, "voice") {
                let v = self.string(c, "a voice name in quotes")?;
                if o.voice.replace(v).is_some() {
                    self.report(Diagnostic::new(
                        Code::DUPLICATE_SETTING,
                        at,
                        "`voice` twice",
                    ));
                }
            } else if self.eat_kw(c, "in") {
                let v = self.string(c, "a language code in quotes")?;
                if o.language.replace(v).is_some() {
                    self.report(Diagnostic::new(Code::DUPLICATE_SETTING, at, "`in` twice"));
                }
            } else if self.eat_kw(c, "barge-in") {
                let v = self.on_off(c)?;
                if o.barge_in.replace(v).is_some() {
                    self.report(Diagnostic::new(
                        Code::DUPLICATE_SETTING,
                        at,
                        "`barge-in` twice",
                    ));
                }
            } else {
                return Some(o);
            }
        }
    }

    fn on_off(&mut self, c: &mut Cur) -> Option<bool> {
        if self.eat_kw(c, "on") {
            Some(true)
        } else if self.eat_kw(c, "off") {
            Some(false)
        } else {
            self.expected(c, "`on` or `off`")
        }
    }

    fn record_options(&mut self, c: &mut Cur) -> Option<RecordOptions> {
        let mut o = RecordOptions::default();
        loop {
            let at = self.here(c);
            let twice = if self.eat_kw(c, "max") {
                o.max.replace(self.duration(c)?).is_some()
            } else if self.eat_kw(c, "beep") {
                o.beep.replace(true).is_some()
            } else if self.eat_kw(c, "no-beep") {
                o.beep.replace(false).is_some()
            } else if self.eat_kw(c, "finish") {
                o.finish.replace(self.key(c)?).is_some()
            } else {
                self.end(c)?;
                return Some(o);
            };
            if twice {
                let what = self.text(at);
                self.report(Diagnostic::new(
                    Code::DUPLICATE_SETTING,
                    at,
                    format!("`{what}` repeats a setting given before"),
                ));
            }
        }
    }

    fn duration(&mut self, c: &mut Cur) -> Option<Duration> {
        match self.peek(c) {
            Some(Token {
                kind: TokenKind::Duration(ms),
                span,
            }) => {
                c.i += 1;
                Some(Duration { ms, span })
            }
            _ => self.expected(c, "a duration such as 5s or 500ms"),
        }
    }

    fn count(&mut self, c: &mut Cur, what: &str) -> Option<Count> {
        match self.peek(c) {
            Some(Token {
                kind: TokenKind::Int(value),
                span,
            }) => {
                c.i += 1;
                Some(Count { value, span })
            }
            _ => self.expected(c, what),
        }
    }

    fn key(&mut self, c: &mut Cur) -> Option<(Key, Span)> {
        let Some(t) = self.peek(c) else {
            return self.expected(c, "a key: 0-9, * or #");
        };
        let key = match t.kind {
            TokenKind::Star => Some(Key::Star),
            TokenKind::Hash => Some(Key::Hash),
            TokenKind::Int(v) if (0..=9).contains(&v) && t.span.len() == 1 => {
                Some(Key::Digit(v as u8))
            }
            _ => None,
        };
        c.i += 1;
        match key {
            Some(k) => Some((k, t.span)),
            None => {
                let msg = format!("`{}` is not a key", self.text(t.span));
                self.report(
                    Diagnostic::new(Code::BAD_KEY, t.span, msg)
                        .with_help("keys are one of 0-9, * and #"),
                );
                None
            }
        }
    }

    /// `retries N [then ARM]`, `timeout D`, `on EVENT [N] ARM`: true when
    /// the line was one of these.
    fn input_rule(
        &mut self,
        c: &mut Cur,
        kids: &Kids,
        rules: &mut InputRules,
        events: &[&str],
    ) -> Option<bool> {
        let at = c.line;
        if self.eat_kw(c, "timeout") {
            let d = self.duration(c)?;
            self.end(c)?;
            self.no_kids(kids)?;
            if rules.timeout.replace(d).is_some() {
                self.report(Diagnostic::new(
                    Code::DUPLICATE_SETTING,
                    at,
                    "`timeout` twice",
                ));
            }
            Some(true)
        } else if self.eat_kw(c, "retries") {
            let n = self.count(c, "a number of retries")?;
            let _ = self.eat(c, TokenKind::Comma);
            let then = if self.eat_kw(c, "then") {
                // `then label` is accepted as a shorthand for `then -> label`.
                if matches!(self.peek(c), Some(t) if t.kind == TokenKind::Ident) {
                    let target = self.name(c, "a label")?;
                    self.end(c)?;
                    self.no_kids(kids)?;
                    Some(Arm::Goto(target))
                } else {
                    Some(self.arm(c, kids.clone())?)
                }
            } else {
                self.end(c)?;
                self.no_kids(kids)?;
                None
            };
            if rules.retries.replace(n).is_some() {
                self.report(Diagnostic::new(
                    Code::DUPLICATE_SETTING,
                    at,
                    "`retries` twice",
                ));
            }
            rules.exhausted = then;
            Some(true)
        } else if self.eat_kw(c, "on") {
            let event = self.handler_event(c, events)?;
            let count = match self.peek(c) {
                Some(t) if matches!(t.kind, TokenKind::Int(_)) => Some(self.count(c, "a count")?),
                _ => None,
            };
            let arm = self.arm(c, kids.clone())?;
            rules.handlers.push(Handler {
                event,
                count,
                arm,
                span: at,
            });
            Some(true)
        } else {
            Some(false)
        }
    }

    fn handler_event(&mut self, c: &mut Cur, events: &[&str]) -> Option<Name> {
        let name = self.name(c, "an event name")?;
        if events.contains(&name.text.as_str()) {
            Some(name)
        } else {
            let msg = format!("`{}` is not an event here", name.text);
            self.report(
                Diagnostic::new(Code::MISPLACED, name.span, msg)
                    .with_help(format!("events here: {}", events.join(", "))),
            );
            None
        }
    }

    fn match_stmt(&mut self, c: &mut Cur, kids: Kids) -> Option<StmtKind> {
        let subject = self.expr(c)?;
        self.end(c)?;
        if kids.is_empty() {
            return self.err(Code::EMPTY_BLOCK, c.line, "`match` needs indented arms");
        }
        self.enter(c.line)?;
        let mut arms = Vec::new();
        let mut otherwise = None;
        for (i, sub) in self.siblings(kids) {
            let mut d = self.cur(i);
            let _ = self.node(d.line);
            if self.eat_kw(&mut d, "else") {
                if let Some(a) = self.arm(&mut d, sub)
                    && otherwise.replace(a).is_some()
                {
                    self.report(Diagnostic::new(
                        Code::DUPLICATE_SETTING,
                        d.line,
                        "two `else` arms",
                    ));
                }
                continue;
            }
            let mut values = Vec::new();
            let ok = loop {
                match self.literal(&mut d) {
                    Some(v) => values.push(v),
                    None => break false,
                }
                if self.eat(&mut d, TokenKind::Comma).is_none() {
                    break true;
                }
            };
            if !ok {
                continue;
            }
            if let Some(arm) = self.arm(&mut d, sub) {
                arms.push(MatchArm {
                    values,
                    arm,
                    span: d.line,
                });
            }
        }
        self.leave();
        Some(StmtKind::Match(subject, arms, otherwise))
    }

    fn literal(&mut self, c: &mut Cur) -> Option<Expr> {
        let t = self.peek(c);
        let neg = matches!(t, Some(t) if t.kind == TokenKind::Minus);
        let ok = match (t.map(|t| t.kind), neg) {
            (Some(TokenKind::Int(_) | TokenKind::Str), _) => true,
            (Some(TokenKind::Ident), _) => self.is_kw(t, "true") || self.is_kw(t, "false"),
            (_, true) => matches!(self.peek2(c), Some(t) if matches!(t.kind, TokenKind::Int(_))),
            _ => false,
        };
        if ok {
            self.unary(c)
        } else {
            self.expected(c, "a literal: a string, an integer, true or false")
        }
    }

    fn menu(&mut self, c: &mut Cur, kids: Kids) -> Option<StmtKind> {
        let prompt = self.prompt(c)?;
        let options = self.prompt_options(c)?;
        self.end(c)?;
        if kids.is_empty() {
            return self.err(
                Code::MENU_NO_OPTIONS,
                c.line,
                "a menu needs indented `KEY -> label` choices",
            );
        }
        self.enter(c.line)?;
        let mut m = Menu {
            prompt,
            options,
            choices: Vec::new(),
            rules: InputRules::default(),
        };
        for (i, sub) in self.siblings(kids) {
            let mut d = self.cur(i);
            let _ = self.node(d.line);
            match self.input_rule(&mut d, &sub, &mut m.rules, &["no-input", "no-match"]) {
                Some(true) | None => continue,
                Some(false) => {}
            }
            let Some((key, key_span)) = self.key(&mut d) else {
                continue;
            };
            if let Some(arm) = self.arm(&mut d, sub) {
                m.choices.push(MenuChoice {
                    key,
                    arm,
                    span: d.line,
                    key_span,
                });
            }
        }
        self.leave();
        Some(StmtKind::Menu(Box::new(m)))
    }

    fn gather(&mut self, c: &mut Cur, kids: Kids) -> Option<StmtKind> {
        let var = self.name(c, "a variable for the digits")?;
        let prompt = if self.peek(c).is_some() {
            Some(self.prompt(c)?)
        } else {
            None
        };
        let options = self.prompt_options(c)?;
        self.end(c)?;
        let mut g = Gather {
            var,
            prompt,
            options,
            digits: None,
            terminator: None,
            inter_digit: None,
            pattern: None,
            rules: InputRules::default(),
        };
        if kids.is_empty() {
            return Some(StmtKind::Gather(Box::new(g)));
        }
        self.enter(c.line)?;
        for (i, sub) in self.siblings(kids) {
            let mut d = self.cur(i);
            let _ = self.node(d.line);
            match self.input_rule(&mut d, &sub, &mut g.rules, &["no-input", "no-match"]) {
                Some(true) | None => continue,
                Some(false) => {}
            }
            let at = d.line;
            let dup = if self.eat_kw(&mut d, "digits") {
                let Some(min) = self.count(&mut d, "a number of digits") else {
                    continue;
                };
                let max = if self.eat_kw(&mut d, "to") {
                    match self.count(&mut d, "a maximum number of digits") {
                        Some(m) => Some(m),
                        None => continue,
                    }
                } else {
                    None
                };
                g.digits.replace((min, max)).is_some()
            } else if self.eat_kw(&mut d, "terminator") {
                let Some(k) = self.key(&mut d) else { continue };
                g.terminator.replace(k).is_some()
            } else if self.eat_kw(&mut d, "inter-digit") {
                let Some(t) = self.duration(&mut d) else {
                    continue;
                };
                g.inter_digit.replace(t).is_some()
            } else if self.eat_kw(&mut d, "pattern") {
                let Some(p) = self.string(&mut d, "a digit pattern in quotes") else {
                    continue;
                };
                g.pattern.replace(p).is_some()
            } else {
                let _ = self.expected::<()>(
                    &d,
                    "digits, terminator, timeout, inter-digit, pattern, retries or on",
                );
                continue;
            };
            if dup {
                self.report(Diagnostic::new(
                    Code::DUPLICATE_SETTING,
                    at,
                    "setting given twice",
                ));
            }
            let _ = self.end(&d);
            let _ = self.no_kids(&sub);
        }
        self.leave();
        Some(StmtKind::Gather(Box::new(g)))
    }

    fn lookup(&mut self, c: &mut Cur, kids: Kids) -> Option<StmtKind> {
        let source = self.name(c, "a data source name")?;
        let key = self.expr(c)?;
        self.expect(c, TokenKind::Arrow, "`->` and a variable for the result")?;
        let var = self.name(c, "a variable for the result")?;
        self.end(c)?;
        let mut rules = InputRules::default();
        if !kids.is_empty() {
            self.enter(c.line)?;
            for (i, sub) in self.siblings(kids) {
                let mut d = self.cur(i);
                let _ = self.node(d.line);
                if let Some(false) =
                    self.input_rule(&mut d, &sub, &mut rules, &["not-found", "error", "timeout"])
                {
                    let _ = self.expected::<()>(&d, "`timeout` or `on`");
                }
            }
            self.leave();
        }
        if let Some(n) = rules.retries {
            self.report(Diagnostic::new(
                Code::MISPLACED,
                n.span,
                "`retries` does not apply to a lookup",
            ));
        }
        Some(StmtKind::Lookup(Box::new(Lookup {
            source,
            key,
            var,
            timeout: rules.timeout,
            handlers: rules.handlers,
        })))
    }

    fn enqueue(&mut self, c: &mut Cur, kids: Kids) -> Option<StmtKind> {
        let queue = self.name(c, "a queue name")?;
        self.end(c)?;
        let mut e = Enqueue {
            queue,
            priority: None,
            skills: Vec::new(),
            attributes: Vec::new(),
        };
        for (i, sub) in self.siblings(kids) {
            let mut d = self.cur(i);
            let _ = self.no_kids(&sub);
            let _ = self.node(d.line);
            if self.eat_kw(&mut d, "priority") {
                let Some(p) = self.expr(&mut d) else { continue };
                if e.priority.replace(p).is_some() {
                    self.report(Diagnostic::new(
                        Code::DUPLICATE_SETTING,
                        d.line,
                        "`priority` twice",
                    ));
                }
            } else if self.eat_kw(&mut d, "skills") {
                while let Some(skill) = self.expr(&mut d) {
                    e.skills.push(skill);
                    if self.eat(&mut d, TokenKind::Comma).is_none() {
                        break;
                    }
                }
            } else if self.eat_kw(&mut d, "attribute") {
                let Some(n) = self.name(&mut d, "an attribute name") else {
                    continue;
                };
                if self.expect(&mut d, TokenKind::Eq, "`=`").is_none() {
                    continue;
                }
                let Some(v) = self.expr(&mut d) else { continue };
                e.attributes.push((n, v));
            } else {
                let _ = self.expected::<()>(&d, "`priority`, `skills` or `attribute`");
                continue;
            }
            let _ = self.end(&d);
        }
        Some(StmtKind::Enqueue(Box::new(e)))
    }

    // ---- tests ----------------------------------------------------------

    fn test(&mut self, name: StrLit, kids: Kids, span: Span) -> Option<Test> {
        let mut steps: Vec<TestStep> = Vec::new();
        for (i, sub) in self.siblings(kids) {
            let _ = self.no_kids(&sub);
            let mut c = self.cur(i);
            if self.node(c.line).is_none() {
                break;
            }
            if let Some(kind) = self.step(&mut c)
                && self.end(&c).is_some()
            {
                let context = matches!(
                    kind,
                    TestStepKind::Caller(_) | TestStepKind::Dialed(_) | TestStepKind::At(_)
                );
                let started = steps.iter().any(|s| {
                    !matches!(
                        s.kind,
                        TestStepKind::Caller(_) | TestStepKind::Dialed(_) | TestStepKind::At(_)
                    )
                });
                if context && started {
                    self.report(
                        Diagnostic::new(
                            Code::BAD_TEST,
                            c.line,
                            "caller, dialed and at come before the other steps",
                        )
                        .with_help("they set up the call, which starts at the first other step"),
                    );
                }
                steps.push(TestStep { kind, span: c.line });
            }
        }
        Some(Test { name, steps, span })
    }

    fn step(&mut self, c: &mut Cur) -> Option<TestStepKind> {
        let Some(head) = self.peek(c) else {
            return self.expected(c, "a test step");
        };
        let kw = self.text(head.span);
        c.i += 1;
        Some(match kw {
            "caller" => TestStepKind::Caller(self.string(c, "a calling number in quotes")?),
            "dialed" => TestStepKind::Dialed(self.string(c, "a called number in quotes")?),
            "at" => {
                let at = self.string(c, "a time such as \"2026-03-02T10:00:00Z\"")?;
                let text = at.as_plain().unwrap_or_default();
                let valid =
                    text.parse::<jiff::Timestamp>().is_ok() || text.parse::<jiff::Zoned>().is_ok();
                if !valid {
                    return self.err(
                        Code::BAD_TEST,
                        at.span,
                        "`at` takes an RFC 3339 time, or one with a zone such as \
                         \"2026-03-02T10:00:00[Europe/London]\"",
                    );
                }
                TestStepKind::At(at)
            }
            "press" => {
                let keys = self.string(c, "keys in quotes")?;
                let text = keys.as_plain().unwrap_or_default();
                if text.is_empty()
                    || !text
                        .chars()
                        .all(|k| k.is_ascii_digit() || k == '*' || k == '#')
                {
                    return self.err(
                        Code::BAD_TEST,
                        keys.span,
                        "`press` takes one or more keys: 0-9, * and #",
                    );
                }
                TestStepKind::Press(keys, self.eat_kw(c, "during"))
            }
            "silence" => TestStepKind::Silence,
            "wait" => TestStepKind::Wait(self.duration(c)?),
            "hangup" => TestStepKind::Hangup,
            "recorded" => TestStepKind::Recorded(self.string(c, "a recording id in quotes")?),
            "answer" => {
                let source = self.name(c, "a data source name")?;
                if self.eat_kw(c, "with") {
                    let mut fields = Vec::new();
                    loop {
                        let n = self.name(c, "a field name")?;
                        self.expect(c, TokenKind::Eq, "`=`")?;
                        fields.push((n, self.expr(c)?));
                        if self.eat(c, TokenKind::Comma).is_none() {
                            break;
                        }
                    }
                    TestStepKind::AnswerFound(source, fields)
                } else {
                    let what = self.name(c, "`with`, `not-found`, `error` or `timeout`")?;
                    if !["not-found", "error", "timeout"].contains(&what.text.as_str()) {
                        return self.err(
                            Code::BAD_TEST,
                            what.span,
                            "expected `with`, `not-found`, `error` or `timeout`",
                        );
                    }
                    TestStepKind::AnswerOther(source, what)
                }
            }
            "expect" => TestStepKind::Expect(self.expectation(c)?),
            _ => {
                c.i -= 1;
                let msg = format!("expected a test step, {}", self.found(c));
                self.report(Diagnostic::new(Code::BAD_TEST, head.span, msg).with_help(
                    "steps: caller, dialed, at, press, silence, wait, hangup, answer, recorded, expect",
                ));
                return None;
            }
        })
    }

    fn expectation(&mut self, c: &mut Cur) -> Option<Expectation> {
        let what = self.name(c, "what to expect")?;
        Some(match what.text.as_str() {
            "say" => Expectation::Say(self.string(c, "a text pattern in quotes")?),
            "play" => Expectation::Play(self.string(c, "an audio id pattern in quotes")?),
            "lookup" => Expectation::Lookup(self.name(c, "a data source name")?),
            "enqueue" => {
                let q = self.name(c, "a queue name")?;
                let p = if self.eat_kw(c, "priority") {
                    Some(self.count(c, "a priority")?)
                } else {
                    None
                };
                Expectation::Enqueue(q, p)
            }
            "transfer" => {
                let t = if self.eat_kw(c, "agent") {
                    TransferTarget::Agent
                } else {
                    TransferTarget::Number
                };
                Expectation::Transfer(t, self.string(c, "a destination in quotes")?)
            }
            "voicemail" => Expectation::Voicemail(self.string(c, "a mailbox in quotes")?),
            "record" => Expectation::Record,
            "hangup" => Expectation::Hangup(if self.peek(c).is_some() {
                Some(self.string(c, "a reason in quotes")?)
            } else {
                None
            }),
            "defect" => Expectation::Defect,
            _ => {
                return self.err(
                    Code::BAD_TEST,
                    what.span,
                    "expected say, play, lookup, enqueue, transfer, voicemail, record, hangup or defect",
                );
            }
        })
    }

    // ---- expressions ----------------------------------------------------

    fn expr(&mut self, c: &mut Cur) -> Option<Expr> {
        let start = self.here(c);
        self.enter(start)?;
        let e = self.or_expr(c);
        self.leave();
        e
    }

    fn binary(op: BinaryOp, l: Expr, r: Expr) -> Expr {
        let span = Span::new(l.span.start, r.span.end);
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    // A chain `a or b or c` nests one level per operator, so each counts
    // against the depth limit; the depth is restored when the chain ends.
    fn or_expr(&mut self, c: &mut Cur) -> Option<Expr> {
        let base = self.depth;
        let e = self.or_chain(c);
        self.depth = base;
        e
    }

    fn or_chain(&mut self, c: &mut Cur) -> Option<Expr> {
        let mut l = self.and_expr(c)?;
        while self.eat_kw(c, "or") {
            self.enter(l.span)?;
            let r = self.and_expr(c)?;
            self.node(r.span)?;
            l = Self::binary(BinaryOp::Or, l, r);
        }
        Some(l)
    }

    fn and_expr(&mut self, c: &mut Cur) -> Option<Expr> {
        let base = self.depth;
        let e = self.and_chain(c);
        self.depth = base;
        e
    }

    fn and_chain(&mut self, c: &mut Cur) -> Option<Expr> {
        let mut l = self.not_expr(c)?;
        while self.eat_kw(c, "and") {
            self.enter(l.span)?;
            let r = self.not_expr(c)?;
            self.node(r.span)?;
            l = Self::binary(BinaryOp::And, l, r);
        }
        Some(l)
    }

    fn not_expr(&mut self, c: &mut Cur) -> Option<Expr> {
        let at = self.here(c);
        if self.eat_kw(c, "not") {
            self.enter(at)?;
            let inner = self.not_expr(c);
            self.leave();
            let inner = inner?;
            self.node(at)?;
            let span = Span::new(at.start, inner.span.end);
            return Some(Expr {
                kind: ExprKind::Unary(UnaryOp::Not, Box::new(inner)),
                span,
            });
        }
        self.cmp_expr(c)
    }

    fn cmp_op(&self, c: &Cur) -> Option<BinaryOp> {
        Some(match self.peek(c)?.kind {
            TokenKind::EqEq => BinaryOp::Eq,
            TokenKind::Ne => BinaryOp::Ne,
            TokenKind::Lt => BinaryOp::Lt,
            TokenKind::Le => BinaryOp::Le,
            TokenKind::Gt => BinaryOp::Gt,
            TokenKind::Ge => BinaryOp::Ge,
            _ => return None,
        })
    }

    fn cmp_expr(&mut self, c: &mut Cur) -> Option<Expr> {
        let l = self.add_expr(c)?;
        let Some(op) = self.cmp_op(c) else {
            return Some(l);
        };
        c.i += 1;
        let r = self.add_expr(c)?;
        self.node(r.span)?;
        if self.cmp_op(c).is_some() {
            let span = self.here(c);
            return self.err(
                Code::UNEXPECTED_TOKEN,
                span,
                "comparisons do not chain; join them with `and`",
            );
        }
        Some(Self::binary(op, l, r))
    }

    fn add_expr(&mut self, c: &mut Cur) -> Option<Expr> {
        let base = self.depth;
        let e = self.add_chain(c);
        self.depth = base;
        e
    }

    fn add_chain(&mut self, c: &mut Cur) -> Option<Expr> {
        let mut l = self.unary(c)?;
        loop {
            let op = match self.peek(c).map(|t| t.kind) {
                Some(TokenKind::Plus) => BinaryOp::Add,
                Some(TokenKind::Minus) => BinaryOp::Sub,
                _ => return Some(l),
            };
            c.i += 1;
            self.enter(l.span)?;
            let r = self.unary(c)?;
            self.node(r.span)?;
            l = Self::binary(op, l, r);
        }
    }

    fn unary(&mut self, c: &mut Cur) -> Option<Expr> {
        let at = self.here(c);
        if self.eat(c, TokenKind::Minus).is_some() {
            // Fold `-5` into a literal so it round-trips as one.
            if let Some(Token {
                kind: TokenKind::Int(v),
                span,
            }) = self.peek(c)
            {
                c.i += 1;
                self.node(at)?;
                return Some(Expr {
                    kind: ExprKind::Int(-v),
                    span: Span::new(at.start, span.end),
                });
            }
            self.enter(at)?;
            let inner = self.unary(c);
            self.leave();
            let inner = inner?;
            self.node(at)?;
            let span = Span::new(at.start, inner.span.end);
            // `-(5)` is the literal -5 too, so every form prints the same.
            if let ExprKind::Int(v) = inner.kind
                && let Some(neg) = v.checked_neg()
            {
                return Some(Expr {
                    kind: ExprKind::Int(neg),
                    span,
                });
            }
            return Some(Expr {
                kind: ExprKind::Unary(UnaryOp::Neg, Box::new(inner)),
                span,
            });
        }
        self.primary(c)
    }

    fn primary(&mut self, c: &mut Cur) -> Option<Expr> {
        let Some(t) = self.peek(c) else {
            return self.expected(c, "an expression");
        };
        self.node(t.span)?;
        match t.kind {
            TokenKind::Int(v) => {
                c.i += 1;
                Some(Expr {
                    kind: ExprKind::Int(v),
                    span: t.span,
                })
            }
            TokenKind::Str => {
                let s = self.string(c, "a string")?;
                let span = s.span;
                Some(Expr {
                    kind: ExprKind::Str(s),
                    span,
                })
            }
            TokenKind::LParen => {
                c.i += 1;
                let inner = self.expr(c)?;
                let close = self.expect(c, TokenKind::RParen, "`)`")?;
                Some(Expr {
                    kind: inner.kind,
                    span: Span::new(t.span.start, close.span.end),
                })
            }
            TokenKind::Ident => {
                let word = self.text(t.span);
                c.i += 1;
                match word {
                    "true" | "false" => {
                        return Some(Expr {
                            kind: ExprKind::Bool(word == "true"),
                            span: t.span,
                        });
                    }
                    "and" | "or" | "not" => {
                        c.i -= 1;
                        return self.expected(c, "an expression");
                    }
                    _ => {}
                }
                let first = Name {
                    text: word.to_string(),
                    span: t.span,
                };
                if self.eat(c, TokenKind::LParen).is_some() {
                    let args = self.args(c)?;
                    let end = c.i.checked_sub(1).and_then(|i| self.toks.get(i));
                    let end = end.map_or(t.span.end, |t| t.span.end);
                    return Some(Expr {
                        kind: ExprKind::Call(first, args),
                        span: Span::new(t.span.start, end),
                    });
                }
                let mut path = vec![first];
                let mut end = t.span.end;
                while self.eat(c, TokenKind::Dot).is_some() {
                    let n = self.name(c, "a field name after `.`")?;
                    end = n.span.end;
                    path.push(n);
                }
                Some(Expr {
                    kind: ExprKind::Path(path),
                    span: Span::new(t.span.start, end),
                })
            }
            _ => self.expected(c, "an expression"),
        }
    }

    // ---- strings --------------------------------------------------------

    fn string(&mut self, c: &mut Cur, what: &str) -> Option<StrLit> {
        let t = match self.peek(c) {
            Some(t) if t.kind == TokenKind::Str => t,
            _ => return self.expected(c, what),
        };
        c.i += 1;
        self.decode(t.span)
    }

    /// Decodes escapes and splits out `{name.field}` interpolations.
    fn decode(&mut self, span: Span) -> Option<StrLit> {
        let raw = self.text(span);
        let body = raw.strip_prefix('"').unwrap_or(raw);
        // An unterminated string (already reported) has no closing quote.
        let inner = if closed_string(body) {
            body.get(..body.len() - 1).unwrap_or("")
        } else {
            body
        };
        let base = span.start as usize + 1;
        if !inner.contains(['\\', '{']) {
            let parts = if inner.is_empty() {
                Vec::new()
            } else {
                vec![StrPart::Text(inner.to_string())]
            };
            return Some(StrLit { parts, span });
        }
        let mut parts = Vec::new();
        let mut buf = String::new();
        let mut chars = inner.char_indices().peekable();
        let mut ok = true;
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\\' => {
                    let esc = chars.next();
                    let decoded = match esc.map(|e| e.1) {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('{') => '{',
                        Some('}') => '}',
                        _ => {
                            let w = esc.map_or(1, |e| 1 + e.1.len_utf8());
                            let s = Span::new((base + i) as u32, (base + i + w) as u32);
                            self.report(
                                Diagnostic::new(Code::BAD_STRING, s, "unknown escape")
                                    .with_help("escapes are \\\" \\\\ \\n \\t \\{ \\}"),
                            );
                            ok = false;
                            continue;
                        }
                    };
                    buf.push(decoded);
                }
                '{' => {
                    let mut end = None;
                    for (j, cj) in chars.by_ref() {
                        if cj == '}' {
                            end = Some(j);
                            break;
                        }
                    }
                    let Some(j) = end else {
                        let s = Span::new((base + i) as u32, (base + inner.len()) as u32);
                        self.report(
                            Diagnostic::new(Code::BAD_STRING, s, "`{` without a closing `}`")
                                .with_help("write \\{ for a literal brace"),
                        );
                        ok = false;
                        break;
                    };
                    let body = inner.get(i + 1..j).unwrap_or("");
                    let mut path = Vec::new();
                    let mut off = base + i + 1;
                    for seg in body.split('.') {
                        let valid = seg
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                            && seg
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                        if !valid {
                            let s = Span::new((base + i) as u32, (base + j + 1) as u32);
                            self.report(
                                Diagnostic::new(
                                    Code::BAD_STRING,
                                    s,
                                    "`{...}` must hold a variable name or name.field",
                                )
                                .with_help("write \\{ for a literal brace"),
                            );
                            ok = false;
                            path.clear();
                            break;
                        }
                        path.push(Name {
                            text: seg.to_string(),
                            span: Span::new(off as u32, (off + seg.len()) as u32),
                        });
                        off += seg.len() + 1;
                    }
                    if !path.is_empty() {
                        if !buf.is_empty() {
                            parts.push(StrPart::Text(std::mem::take(&mut buf)));
                        }
                        parts.push(StrPart::Var(path));
                    }
                }
                _ => buf.push(ch),
            }
        }
        if !buf.is_empty() {
            parts.push(StrPart::Text(buf));
        }
        ok.then_some(StrLit { parts, span })
    }
}

/// Whether a string body (after the opening quote) ends with an unescaped quote.
fn closed_string(body: &str) -> bool {
    let Some(rest) = body.strip_suffix('"') else {
        return false;
    };
    let backslashes = rest.bytes().rev().take_while(|&b| b == b'\\').count();
    backslashes % 2 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> (File, Diagnostics) {
        parse(&SourceFile::new("t.ivr", text).unwrap())
    }

    #[test]
    fn a_small_flow_parses() {
        let (file, d) = parse_text(
            "flow main\n  say \"Hi {caller.number}\" voice \"anna\" barge-in off\n  menu \"Press 1\"\n    1 -> a\n    on no-input 2 -> a\n    retries 3 then -> a\n  a:\n  hangup \"done\"\n",
        );
        assert!(d.items.is_empty(), "{d}");
        let Item::Flow(flow) = &file.items[0] else {
            panic!()
        };
        assert_eq!(flow.body.len(), 4);
        let StmtKind::Say(Prompt::Text(s), o) = &flow.body[0].kind else {
            panic!()
        };
        assert_eq!(s.parts.len(), 2);
        assert_eq!(o.barge_in, Some(false));
    }

    #[test]
    fn all_errors_are_reported_with_codes() {
        let (_, d) =
            parse_text("flow main\n  say\n  menu \"x\"\n    12 -> a\n  bogus 1\n   hangup\nflow\n");
        let codes: Vec<_> = d.items.iter().map(|d| d.code.0).collect();
        // The over-indented `hangup` belongs to the failed `bogus` line and is skipped with it.
        assert_eq!(codes, vec!["E0010", "E0303", "E0010", "E0010"]);
    }

    #[test]
    fn if_else_chains_and_precedence() {
        let (file, d) = parse_text(
            "flow main\n  if not a == 1 and b or c\n    hangup\n  else if x -> l\n  else\n    hangup\n  l:\n  hangup\n",
        );
        assert!(d.items.is_empty(), "{d}");
        let Item::Flow(flow) = &file.items[0] else {
            panic!()
        };
        let StmtKind::If(branches, Some(_)) = &flow.body[0].kind else {
            panic!("{:?}", flow.body[0])
        };
        assert_eq!(branches.len(), 2);
        let ExprKind::Binary(BinaryOp::Or, l, _) = &branches[0].0.kind else {
            panic!()
        };
        let ExprKind::Binary(BinaryOp::And, nl, _) = &l.kind else {
            panic!()
        };
        assert!(matches!(nl.kind, ExprKind::Unary(UnaryOp::Not, _)));
    }

    #[test]
    fn limits_stop_deep_and_big_inputs() {
        let deep = format!(
            "flow main\n  set x = {}1{}\n",
            "(".repeat(100),
            ")".repeat(100)
        );
        let (_, d) = parse_text(&deep);
        assert!(d.contains(Code::TOO_DEEP));
        let big = "flow main\n".to_string() + &"  hangup\n".repeat(50);
        let limits = ParseLimits {
            max_nodes: 10,
            ..ParseLimits::default()
        };
        let (_, d) = parse_with(&SourceFile::new("t", big).unwrap(), limits);
        assert!(d.contains(Code::TOO_MANY_NODES));
        let limits = ParseLimits {
            max_bytes: 5,
            ..ParseLimits::default()
        };
        let (_, d) = parse_with(&SourceFile::new("t", "flow main").unwrap(), limits);
        assert!(d.contains(Code::INPUT_TOO_LARGE));
    }

    #[test]
    fn long_operator_chains_count_against_the_depth_limit() {
        let chain = format!("flow main\n  set x = 1{}\n  hangup\n", " + 1".repeat(100));
        let (_, d) = parse_text(&chain);
        assert!(d.contains(Code::TOO_DEEP));
        let ok = format!(
            "flow main\n  set x = 1{}\n  set y = 1 or 2\n",
            " + 1".repeat(50)
        );
        let (_, d) = parse_text(&ok);
        assert!(!d.has_errors(), "{d}");
    }

    #[test]
    fn string_escapes_and_bad_interpolation() {
        let (_, d) = parse_text("flow main\n  say \"a \\q {x y}\"\n");
        let codes: Vec<_> = d.items.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::BAD_STRING, Code::BAD_STRING]);
    }
}
