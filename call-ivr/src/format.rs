//! Canonical formatting: one way to write every tree, so that parsing the
//! output gives the same tree back (spans aside).
//!
//! Blocks are indented by two spaces, items are separated by a blank line,
//! settings inside a menu or gather come in a fixed order, durations use the
//! largest exact unit, and expressions get only the parentheses they need.
//! Comments are kept on their own lines, above the line they preceded.
//!
//! ```
//! use call_ivr::{format::format, parser::parse, source::SourceFile};
//!
//! let file = SourceFile::new("a.ivr", "flow main\n    say   \"Hi\"  barge-in off\n    hangup\n")?;
//! let (tree, _) = parse(&file);
//! assert_eq!(format(&tree), "flow main\n  say \"Hi\" barge-in off\n  hangup\n");
//! # Ok::<(), call_ivr::error::SourceError>(())
//! ```

use std::fmt::Write;

use crate::ast::*;
use crate::source::Span;

/// Formats a file canonically.
pub fn format(file: &File) -> String {
    format_impl(file, None)
}

/// Formats a file canonically, keeping the single blank lines that separate
/// groups of statements in its source. The tree is the same as
/// [`format()`]'s; only blank lines differ.
pub fn format_source(file: &File, source: &crate::source::SourceFile) -> String {
    format_impl(file, Some(source.text()))
}

fn format_impl(file: &File, source: Option<&str>) -> String {
    let mut f = Formatter {
        out: String::new(),
        comments: &file.comments,
        next_comment: 0,
        source,
        last_end: 0,
    };
    for (i, item) in file.items.iter().enumerate() {
        if i > 0 {
            f.out.push('\n');
        }
        f.item(item);
    }
    f.flush_comments(u32::MAX, 0);
    f.out
}

struct Formatter<'a> {
    out: String,
    comments: &'a [Comment],
    next_comment: usize,
    source: Option<&'a str>,
    /// Where the last source line written ends.
    last_end: u32,
}

/// Formats a duration with the largest exact unit.
pub fn duration(ms: u32) -> String {
    if ms != 0 && ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms != 0 && ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Quotes a string literal, escaping what needs it.
pub fn string(s: &StrLit) -> String {
    let mut out = String::from("\"");
    for part in &s.parts {
        match part {
            StrPart::Text(t) => {
                for c in t.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '{' => out.push_str("\\{"),
                        c => out.push(c),
                    }
                }
            }
            StrPart::Var(path) => {
                out.push('{');
                out.push_str(&path_text(path));
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

fn path_text(path: &[Name]) -> String {
    path.iter()
        .map(|n| n.text.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// Formats an expression with the fewest parentheses.
pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, 0);
    out
}

fn expr_prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, _, _) => op.precedence(),
        ExprKind::Unary(UnaryOp::Not, _) => 3,
        ExprKind::Int(i) if *i < 0 => 6,
        _ => 7,
    }
}

fn write_expr(out: &mut String, e: &Expr, min: u8) {
    let prec = expr_prec(e);
    let paren = prec < min;
    if paren {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Int(i) => {
            let _ = write!(out, "{i}");
        }
        ExprKind::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        ExprKind::Str(s) => out.push_str(&string(s)),
        ExprKind::Path(p) => out.push_str(&path_text(p)),
        ExprKind::Call(name, args) => {
            out.push_str(&name.text);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, a, 0);
            }
            out.push(')');
        }
        ExprKind::Unary(UnaryOp::Not, inner) => {
            out.push_str("not ");
            write_expr(out, inner, 3);
        }
        ExprKind::Unary(UnaryOp::Neg, inner) => {
            out.push('-');
            // `- -x` would lex as `-` `-x`, which is the same tree.
            write_expr(out, inner, 6);
        }
        ExprKind::Binary(op, l, r) => {
            let p = op.precedence();
            let comparison = p == 4;
            write_expr(out, l, if comparison { p + 1 } else { p });
            let _ = write!(out, " {} ", op.symbol());
            write_expr(out, r, p + 1);
        }
    }
    if paren {
        out.push(')');
    }
}

fn key(k: Key) -> char {
    k.as_char()
}

fn time((h, m): (u8, u8)) -> String {
    format!("{h:02}:{m:02}")
}

impl Formatter<'_> {
    fn flush_comments(&mut self, before: u32, indent: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= before {
                break;
            }
            let start = c.span.start;
            self.blank_line_before(start);
            let _ = writeln!(self.out, "{}//{}", "  ".repeat(indent), c.text);
            self.next_comment += 1;
        }
    }

    /// Keeps one blank line where the source had one or more.
    fn blank_line_before(&mut self, start: u32) {
        let Some(src) = self.source else {
            return;
        };
        let gap = src
            .get(self.last_end as usize..start as usize)
            .unwrap_or("");
        if gap.matches('\n').count() >= 2 && !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        let line_end = src
            .get(start as usize..)
            .and_then(|r| r.find('\n'))
            .map_or(src.len(), |i| start as usize + i);
        self.last_end = self.last_end.max(line_end as u32);
    }

    /// Where the `else` line owning `arm` starts, so that the comments and
    /// blank lines above it stay above it (the tree keeps no span for it):
    /// the label of `else -> label`; for a block, the last line before its
    /// first statement that is neither blank nor a comment, found in the
    /// source, or the first statement itself without the source.
    fn else_at(&self, arm: &Arm, fallback: Span) -> Span {
        let first = match arm {
            Arm::Goto(n) => return n.span,
            Arm::Block(b) => match b.first() {
                Some(s) => s.span,
                None => return fallback,
            },
        };
        let Some(src) = self.source else {
            return first;
        };
        // Walk back line by line from the line of the first statement.
        let mut end = src
            .get(..first.start as usize)
            .and_then(|t| t.rfind('\n'))
            .unwrap_or(0);
        while end > 0 {
            let start = src
                .get(..end)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |i| i + 1);
            let line = src.get(start..end).unwrap_or("");
            let text = line.trim_start_matches([' ', '\t']);
            let trimmed = text.trim_end_matches('\r');
            if !trimmed.is_empty() && !trimmed.starts_with("//") {
                let at = (start + line.len() - text.len()) as u32;
                return Span::new(at, at);
            }
            end = start.saturating_sub(1);
        }
        first
    }

    fn line(&mut self, indent: usize, span: Span, text: &str) {
        self.flush_comments(span.start.max(1), indent);
        self.blank_line_before(span.start);
        let _ = writeln!(self.out, "{}{}", "  ".repeat(indent), text);
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Flow(f) => {
                let mut head = format!("flow {}", f.name.text);
                if !f.params.is_empty() {
                    let names: Vec<&str> = f.params.iter().map(|p| p.text.as_str()).collect();
                    let _ = write!(head, "({})", names.join(", "));
                }
                self.line(0, f.span, &head);
                self.block(&f.body, 1);
            }
            Item::Schedule(s) => {
                self.line(0, s.span, &format!("schedule {}", s.name.text));
                if let Some(tz) = &s.timezone {
                    self.line(1, tz.span, &format!("timezone {}", string(tz)));
                }
                for h in &s.hours {
                    let days: Vec<&str> = h.days.iter().map(|d| d.text.as_str()).collect();
                    let ranges: Vec<String> = h
                        .ranges
                        .iter()
                        .map(|r| format!("{}-{}", time(r.start), time(r.end)))
                        .collect();
                    self.line(
                        1,
                        h.span,
                        &format!("{} {}", days.join(", "), ranges.join(", ")),
                    );
                }
                for d in &s.holidays {
                    let (y, m, day) = d.date;
                    let mut t = format!("holiday {y:04}-{m:02}-{day:02}");
                    if let Some(n) = &d.name {
                        let _ = write!(t, " {}", string(n));
                    }
                    self.line(1, d.span, &t);
                }
            }
            Item::Prompt(p) => {
                self.line(0, p.span, &format!("prompt {}", p.name.text));
                for (lang, body) in &p.entries {
                    let text = match body {
                        Prompt::Audio(s) => format!("{} audio {}", lang.text, string(s)),
                        other => format!("{} {}", lang.text, prompt(other)),
                    };
                    self.line(1, lang.span, &text);
                }
            }
            Item::Test(t) => {
                self.line(0, t.span, &format!("test {}", string(&t.name)));
                for s in &t.steps {
                    self.line(1, s.span, &step(&s.kind));
                }
            }
        }
    }

    fn block(&mut self, stmts: &[Stmt], indent: usize) {
        for s in stmts {
            self.stmt(s, indent);
        }
    }

    /// Writes `head` followed by an arm: ` -> label` on the same line, or a
    /// block below.
    fn arm(&mut self, indent: usize, span: Span, head: &str, arm: &Arm) {
        match arm {
            Arm::Goto(n) => {
                let sep = if head.is_empty() { "" } else { " " };
                self.line(indent, span, &format!("{head}{sep}-> {}", n.text));
            }
            Arm::Block(b) => {
                self.line(indent, span, head);
                self.block(b, indent + 1);
            }
        }
    }

    fn rules(&mut self, r: &InputRules, indent: usize, span: Span) {
        if let Some(t) = r.timeout {
            self.line(indent, t.span, &format!("timeout {}", duration(t.ms)));
        }
        for h in &r.handlers {
            let mut head = format!("on {}", h.event.text);
            if let Some(c) = h.count {
                let _ = write!(head, " {}", c.value);
            }
            self.arm(indent, h.span, &head, &h.arm);
        }
        if let Some(n) = r.retries {
            match &r.exhausted {
                Some(a) => self.arm(indent, n.span, &format!("retries {} then", n.value), a),
                None => self.line(indent, n.span, &format!("retries {}", n.value)),
            }
        }
        let _ = span;
    }

    fn stmt(&mut self, s: &Stmt, indent: usize) {
        let span = s.span;
        match &s.kind {
            StmtKind::Label(n) => self.line(indent, span, &format!("{}:", n.text)),
            StmtKind::Say(Prompt::Audio(a), o) => {
                self.line(indent, span, &format!("play {}{}", string(a), options(o)))
            }
            StmtKind::Say(p, o) => {
                self.line(indent, span, &format!("say {}{}", prompt(p), options(o)))
            }
            StmtKind::Language(e) => self.line(indent, span, &format!("language {}", expr(e))),
            StmtKind::Set(n, e) => {
                self.line(indent, span, &format!("set {} = {}", n.text, expr(e)))
            }
            StmtKind::If(branches, otherwise) => {
                for (i, (cond, arm)) in branches.iter().enumerate() {
                    let head = if i == 0 {
                        format!("if {}", expr(cond))
                    } else {
                        format!("else if {}", expr(cond))
                    };
                    let at = if i == 0 { span } else { cond.span };
                    self.arm(indent, at, &head, arm);
                }
                if let Some(a) = otherwise {
                    let at = self.else_at(a, span);
                    self.arm(indent, at, "else", a);
                }
            }
            StmtKind::Match(subject, arms, otherwise) => {
                self.line(indent, span, &format!("match {}", expr(subject)));
                for a in arms {
                    let values: Vec<String> = a.values.iter().map(expr).collect();
                    self.arm(indent + 1, a.span, &values.join(", "), &a.arm);
                }
                if let Some(a) = otherwise {
                    let at = self.else_at(a, span);
                    self.arm(indent + 1, at, "else", a);
                }
            }
            StmtKind::Menu(m) => {
                let head = match &m.prompt {
                    Prompt::Audio(a) => format!("menu audio {}{}", string(a), options(&m.options)),
                    p => format!("menu {}{}", prompt(p), options(&m.options)),
                };
                self.line(indent, span, &head);
                for c in &m.choices {
                    self.arm(indent + 1, c.span, &key(c.key).to_string(), &c.arm);
                }
                self.rules(&m.rules, indent + 1, span);
            }
            StmtKind::Gather(g) => {
                let mut head = format!("gather {}", g.var.text);
                if let Some(p) = &g.prompt {
                    match p {
                        Prompt::Audio(a) => {
                            let _ = write!(head, " audio {}", string(a));
                        }
                        p => {
                            let _ = write!(head, " {}", prompt(p));
                        }
                    }
                }
                head.push_str(&options(&g.options));
                self.line(indent, span, &head);
                let i = indent + 1;
                if let Some((lo, hi)) = g.digits {
                    let text = match hi {
                        Some(hi) => format!("digits {} to {}", lo.value, hi.value),
                        None => format!("digits {}", lo.value),
                    };
                    self.line(i, lo.span, &text);
                }
                if let Some((k, at)) = g.terminator {
                    self.line(i, at, &format!("terminator {}", key(k)));
                }
                if let Some(d) = g.inter_digit {
                    self.line(i, d.span, &format!("inter-digit {}", duration(d.ms)));
                }
                if let Some(p) = &g.pattern {
                    self.line(i, p.span, &format!("pattern {}", string(p)));
                }
                self.rules(&g.rules, i, span);
            }
            StmtKind::Lookup(l) => {
                self.line(
                    indent,
                    span,
                    &format!(
                        "lookup {} {} -> {}",
                        l.source.text,
                        expr(&l.key),
                        l.var.text
                    ),
                );
                let rules = InputRules {
                    timeout: l.timeout,
                    retries: None,
                    exhausted: None,
                    handlers: l.handlers.clone(),
                };
                self.rules(&rules, indent + 1, span);
            }
            StmtKind::Enqueue(e) => {
                self.line(indent, span, &format!("enqueue {}", e.queue.text));
                if let Some(p) = &e.priority {
                    self.line(indent + 1, p.span, &format!("priority {}", expr(p)));
                }
                if let Some(first) = e.skills.first() {
                    let skills: Vec<String> = e.skills.iter().map(expr).collect();
                    self.line(
                        indent + 1,
                        first.span,
                        &format!("skills {}", skills.join(", ")),
                    );
                }
                for (n, v) in &e.attributes {
                    self.line(
                        indent + 1,
                        n.span,
                        &format!("attribute {} = {}", n.text, expr(v)),
                    );
                }
            }
            StmtKind::Transfer(t, dest) => {
                let agent = if *t == TransferTarget::Agent {
                    "agent "
                } else {
                    ""
                };
                self.line(indent, span, &format!("transfer {agent}{}", expr(dest)));
            }
            StmtKind::Record(n, o) => self.line(
                indent,
                span,
                &format!("record {}{}", n.text, record_options(o)),
            ),
            StmtKind::Voicemail(m, o) => self.line(
                indent,
                span,
                &format!("voicemail {}{}", expr(m), record_options(o)),
            ),
            StmtKind::Call(f, args, result) => {
                let args: Vec<String> = args.iter().map(expr).collect();
                let mut t = format!("call {}({})", f.text, args.join(", "));
                if let Some(r) = result {
                    let _ = write!(t, " -> {}", r.text);
                }
                self.line(indent, span, &t);
            }
            StmtKind::Return(v) => {
                let t = match v {
                    Some(v) => format!("return {}", expr(v)),
                    None => "return".to_string(),
                };
                self.line(indent, span, &t);
            }
            StmtKind::Goto(n) => self.line(indent, span, &format!("goto {}", n.text)),
            StmtKind::Hangup(r) => {
                let t = match r {
                    Some(r) => format!("hangup {}", string(r)),
                    None => "hangup".to_string(),
                };
                self.line(indent, span, &t);
            }
        }
    }
}

fn prompt(p: &Prompt) -> String {
    match p {
        Prompt::Text(s) => string(s),
        Prompt::Audio(s) => format!("audio {}", string(s)),
        Prompt::Table(n) => n.text.clone(),
    }
}

fn options(o: &PromptOptions) -> String {
    let mut t = String::new();
    if let Some(v) = &o.voice {
        let _ = write!(t, " voice {}", string(v));
    }
    if let Some(l) = &o.language {
        let _ = write!(t, " in {}", string(l));
    }
    if let Some(b) = o.barge_in {
        t.push_str(if b { " barge-in on" } else { " barge-in off" });
    }
    t
}

fn record_options(o: &RecordOptions) -> String {
    let mut t = String::new();
    if let Some(m) = o.max {
        let _ = write!(t, " max {}", duration(m.ms));
    }
    match o.beep {
        Some(true) => t.push_str(" beep"),
        Some(false) => t.push_str(" no-beep"),
        None => {}
    }
    if let Some((k, _)) = o.finish {
        let _ = write!(t, " finish {}", key(k));
    }
    t
}

fn step(s: &TestStepKind) -> String {
    match s {
        TestStepKind::Caller(c) => format!("caller {}", string(c)),
        TestStepKind::Dialed(c) => format!("dialed {}", string(c)),
        TestStepKind::At(c) => format!("at {}", string(c)),
        TestStepKind::Press(k, during) => {
            format!(
                "press {}{}",
                string(k),
                if *during { " during" } else { "" }
            )
        }
        TestStepKind::Silence => "silence".into(),
        TestStepKind::Wait(d) => format!("wait {}", duration(d.ms)),
        TestStepKind::Hangup => "hangup".into(),
        TestStepKind::AnswerFound(src, fields) => {
            let f: Vec<String> = fields
                .iter()
                .map(|(n, v)| format!("{} = {}", n.text, expr(v)))
                .collect();
            format!("answer {} with {}", src.text, f.join(", "))
        }
        TestStepKind::AnswerOther(src, what) => format!("answer {} {}", src.text, what.text),
        TestStepKind::Recorded(id) => format!("recorded {}", string(id)),
        TestStepKind::Expect(e) => format!("expect {}", expectation(e)),
    }
}

fn expectation(e: &Expectation) -> String {
    match e {
        Expectation::Say(p) => format!("say {}", string(p)),
        Expectation::Play(p) => format!("play {}", string(p)),
        Expectation::Lookup(n) => format!("lookup {}", n.text),
        Expectation::Enqueue(q, p) => match p {
            Some(p) => format!("enqueue {} priority {}", q.text, p.value),
            None => format!("enqueue {}", q.text),
        },
        Expectation::Transfer(TransferTarget::Agent, d) => format!("transfer agent {}", string(d)),
        Expectation::Transfer(_, d) => format!("transfer {}", string(d)),
        Expectation::Voicemail(m) => format!("voicemail {}", string(m)),
        Expectation::Record => "record".into(),
        Expectation::Hangup(Some(r)) => format!("hangup {}", string(r)),
        Expectation::Hangup(None) => "hangup".into(),
        Expectation::Defect => "defect".into(),
    }
}
