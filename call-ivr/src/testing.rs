//! Inline tests: `test "name"` blocks in a flow file script a caller and
//! expect actions, and run offline against the file's own `main` flow.
//!
//! The harness drives a [`Session`] with virtual time. Prompts finish on
//! their own whenever the script needs the flow to move on (a `press`, a
//! `silence`, an `answer`); an `expect` searches the actions since the last
//! caller step, letting prompts finish until the action shows up or the flow
//! waits for the caller. `press "1" during` presses while the last prompt
//! still plays, to test barge-in and type-ahead.
//!
//! ```
//! let text = "flow main\n  menu \"Press 1 for sales\"\n    1 -> sales\n  sales:\n  enqueue sales\n\
//!             test \"sales\"\n  expect say \"*sales*\"\n  press \"1\"\n  expect enqueue sales\n";
//! let file = call_ivr::source::SourceFile::new("a.ivr", text)?;
//! let program = call_ivr::check::compile(&file).0.expect("valid");
//! let results = call_ivr::testing::run_tests(&program);
//! assert!(results[0].passed(), "{:?}", results[0].failure);
//! # Ok::<(), call_ivr::error::SourceError>(())
//! ```

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::ast::{Expectation, Expr, ExprKind, Test, TestStepKind, TransferTarget};
use crate::program::Program;
use crate::session::{
    Action, CallContext, Event, LookupResult, Outcome, RequestId, Session, SessionLimits,
    TraceEntry, Waiting,
};
use crate::source::Span;
use crate::value::Value;

/// The time a test starts at when it has no `at` step: Monday 2026-01-05,
/// 12:00 UTC.
pub const DEFAULT_START: &str = "2026-01-05T12:00:00Z";

/// How one test went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// The `test` line.
    pub span: Span,
    /// Why it failed, if it did.
    pub failure: Option<TestFailure>,
}

impl TestResult {
    /// Whether the test passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// The step that failed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFailure {
    /// The failing step's line.
    pub span: Span,
    /// What went wrong.
    pub message: String,
    /// The statements the call went through, oldest first (at most
    /// [`PATH_LEN`]), to show how the flow got where it failed.
    pub path: Vec<Span>,
}

/// Statements kept in [`TestFailure::path`].
pub const PATH_LEN: usize = 24;

/// Runs every inline test of a program.
pub fn run_tests(program: &Program) -> Vec<TestResult> {
    program
        .tests()
        .iter()
        .map(|t| run_test(program, t))
        .collect()
}

/// Runs one test.
pub fn run_test(program: &Program, test: &Test) -> TestResult {
    let failure = Harness::run(program, test).err();
    TestResult {
        name: test.name.as_plain().unwrap_or_default(),
        span: test.span,
        failure,
    }
}

struct Harness<'p> {
    program: &'p Program,
    session: Session,
    now: Timestamp,
    /// Actions since the last caller step, not yet matched.
    pending: VecDeque<Action>,
    /// Everything seen since the last caller step, for messages.
    seen: Vec<String>,
    lookup_source: Option<(RequestId, String)>,
}

fn fail<T>(span: Span, message: impl Into<String>) -> Result<T, TestFailure> {
    Err(TestFailure {
        span,
        message: message.into(),
        path: Vec::new(),
    })
}

/// `*` matches any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

fn literal(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Int(i) => Some(Value::Int(*i)),
        ExprKind::Bool(b) => Some(Value::Bool(*b)),
        ExprKind::Str(s) => s.as_plain().map(Value::Str),
        _ => None,
    }
}

fn describe(a: &Action) -> String {
    match a {
        Action::Say { text, .. } => format!("say \"{text}\""),
        Action::Play { audio, .. } => format!("play \"{audio}\""),
        Action::StopPrompt { .. } => "stop prompt".into(),
        Action::CollectDigits { .. } => "collect digits".into(),
        Action::StartTimer { .. } => "start timer".into(),
        Action::Lookup { source, key, .. } => format!("lookup {source} \"{key}\""),
        Action::Record {
            mailbox: Some(m), ..
        } => format!("voicemail \"{m}\""),
        Action::Record { .. } => "record".into(),
        Action::StopRecording { .. } => "stop recording".into(),
        Action::Enqueue {
            queue, priority, ..
        } => format!("enqueue {queue} priority {priority}"),
        Action::Transfer {
            target,
            destination,
        } => match target {
            TransferTarget::Agent => format!("transfer agent \"{destination}\""),
            TransferTarget::Number => format!("transfer \"{destination}\""),
        },
        Action::Hangup { reason } => format!("hangup \"{reason}\""),
    }
}

impl<'p> Harness<'p> {
    fn run(program: &'p Program, test: &Test) -> Result<(), TestFailure> {
        let mut context = CallContext::default();
        let mut now: Timestamp = DEFAULT_START.parse().unwrap_or(Timestamp::UNIX_EPOCH);
        let mut first = 0;
        for step in &test.steps {
            match &step.kind {
                TestStepKind::Caller(s) => context.caller = s.as_plain().unwrap_or_default(),
                TestStepKind::Dialed(s) => context.dialed = s.as_plain().unwrap_or_default(),
                TestStepKind::At(s) => {
                    let text = s.as_plain().unwrap_or_default();
                    now = match text.parse::<Timestamp>() {
                        Ok(t) => t,
                        Err(_) => match text.parse::<jiff::Zoned>() {
                            Ok(z) => z.timestamp(),
                            Err(e) => return fail(step.span, format!("bad time `{text}`: {e}")),
                        },
                    };
                }
                _ => break,
            }
            first += 1;
        }
        let limits = SessionLimits {
            max_trace: 4096,
            ..SessionLimits::default()
        };
        let session = match Session::start(program, context, now, limits) {
            Ok(s) => s,
            Err(e) => return fail(test.span, e.to_string()),
        };
        let mut h = Harness {
            program,
            session,
            now,
            pending: VecDeque::new(),
            seen: Vec::new(),
            lookup_source: None,
        };
        h.drain();
        for step in test.steps.iter().skip(first) {
            if let Err(mut f) = h.step(&step.kind, step.span) {
                f.path = h.path();
                return Err(f);
            }
            if let Some(Outcome::Defect(d)) = h.session.outcome()
                && !matches!(step.kind, TestStepKind::Expect(Expectation::Defect))
            {
                let d = d.clone();
                if !h.expects_defect_later(test, step.span) {
                    let mut f = TestFailure {
                        span: step.span,
                        message: format!("the flow failed at run time: {d:?}"),
                        path: Vec::new(),
                    };
                    f.path = h.path();
                    return Err(f);
                }
            }
        }
        Ok(())
    }

    /// The last statements visited, without repeats of the same one in a row.
    fn path(&self) -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        for entry in self.session.trace() {
            if let TraceEntry::Visit(node) = entry
                && let Some(span) = self.program.node_span(*node)
                && spans.last() != Some(&span)
            {
                spans.push(span);
            }
        }
        let skip = spans.len().saturating_sub(PATH_LEN);
        spans.split_off(skip)
    }

    fn expects_defect_later(&self, test: &Test, after: Span) -> bool {
        test.steps.iter().any(|s| {
            s.span.start > after.start
                && matches!(s.kind, TestStepKind::Expect(Expectation::Defect))
        })
    }

    fn drain(&mut self) {
        while let Some(a) = self.session.poll_action() {
            if let Action::Lookup { id, source, .. } = &a {
                self.lookup_source = Some((*id, source.to_string()));
            }
            self.seen.push(describe(&a));
            self.pending.push_back(a);
        }
    }

    /// Lets the playing prompt finish. Returns false when the session is not
    /// waiting on a prompt.
    fn finish_prompt(&mut self) -> bool {
        self.drain();
        let Waiting::Prompt(id) = self.session.waiting() else {
            return false;
        };
        let _ = self
            .session
            .handle(self.program, self.now, Event::PromptFinished(id));
        self.drain();
        true
    }

    fn finish_prompts(&mut self) {
        let mut guard = 0;
        while self.finish_prompt() && guard < 100_000 {
            guard += 1;
        }
    }

    fn feed(&mut self, span: Span, event: Event) -> Result<(), TestFailure> {
        self.pending.clear();
        self.seen.clear();
        if let Err(e) = self.session.handle(self.program, self.now, event) {
            return fail(span, e.to_string());
        }
        self.drain();
        Ok(())
    }

    fn state(&self) -> String {
        let waiting = match self.session.waiting() {
            Waiting::Keys => "the flow is waiting for keys".to_string(),
            Waiting::Lookup(_) => "the flow is waiting for a lookup answer".to_string(),
            Waiting::Recording(_) => "the flow is waiting for a recording".to_string(),
            Waiting::Ended => match self.session.outcome() {
                Some(o) => format!("the call has ended ({o:?})"),
                None => "the call has ended".to_string(),
            },
            _ => "the flow is waiting".to_string(),
        };
        if self.seen.is_empty() {
            format!("{waiting}; no actions since the last caller step")
        } else {
            format!(
                "{waiting}; actions since the last caller step: {}",
                self.seen.join(", ")
            )
        }
    }

    fn step(&mut self, kind: &TestStepKind, span: Span) -> Result<(), TestFailure> {
        match kind {
            TestStepKind::Caller(_) | TestStepKind::Dialed(_) | TestStepKind::At(_) => fail(
                span,
                "caller, dialed and at must come before the other steps",
            ),
            TestStepKind::Press(keys, during) => {
                if !during {
                    self.finish_prompts();
                }
                if self.session.is_ended() {
                    return fail(span, format!("cannot press keys: {}", self.state()));
                }
                self.feed(span, Event::Digits(keys.as_plain().unwrap_or_default()))
            }
            TestStepKind::Silence => {
                self.finish_prompts();
                let Some(deadline) = self.session.poll_timeout() else {
                    return fail(span, format!("nothing times out: {}", self.state()));
                };
                self.now = self.now.max(deadline);
                self.feed(span, Event::Timeout)
            }
            TestStepKind::Wait(d) => {
                self.finish_prompts();
                self.now = self
                    .now
                    .checked_add(jiff::SignedDuration::from_millis(i64::from(d.ms)))
                    .unwrap_or(self.now);
                self.feed(span, Event::Timeout)
            }
            TestStepKind::Hangup => self.feed(span, Event::CallerHangup),
            TestStepKind::Recorded(id) => {
                self.finish_prompts();
                let Waiting::Recording(req) = self.session.waiting() else {
                    return fail(span, format!("no recording is running: {}", self.state()));
                };
                self.feed(
                    span,
                    Event::RecordingFinished(req, id.as_plain().unwrap_or_default()),
                )
            }
            TestStepKind::AnswerFound(source, fields) => {
                let req = self.lookup(span, &source.text)?;
                let mut record = Vec::new();
                for (name, e) in fields {
                    let Some(v) = literal(e) else {
                        return fail(
                            e.span,
                            "answers are literals: strings, integers, true or false",
                        );
                    };
                    record.push((name.text.clone(), v));
                }
                self.feed(span, Event::LookupResult(req, LookupResult::Found(record)))
            }
            TestStepKind::AnswerOther(source, what) => {
                let req = self.lookup(span, &source.text)?;
                match what.text.as_str() {
                    "not-found" => {
                        self.feed(span, Event::LookupResult(req, LookupResult::NotFound))
                    }
                    "error" => self.feed(
                        span,
                        Event::LookupResult(req, LookupResult::Error("test".into())),
                    ),
                    _ => {
                        if let Some(d) = self.session.poll_timeout() {
                            self.now = self.now.max(d);
                        }
                        self.feed(span, Event::Timeout)
                    }
                }
            }
            TestStepKind::Expect(e) => self.expect(e, span),
        }
    }

    fn lookup(&mut self, span: Span, source: &str) -> Result<RequestId, TestFailure> {
        self.finish_prompts();
        let Waiting::Lookup(req) = self.session.waiting() else {
            return fail(
                span,
                format!("no lookup is waiting for an answer: {}", self.state()),
            );
        };
        match &self.lookup_source {
            Some((id, s)) if *id == req && s == source => Ok(req),
            Some((_, s)) => fail(
                span,
                format!("the waiting lookup is on `{s}`, not `{source}`"),
            ),
            None => fail(span, "no lookup was started"),
        }
    }

    fn expect(&mut self, e: &Expectation, span: Span) -> Result<(), TestFailure> {
        if let Expectation::Defect = e {
            self.finish_prompts();
            return match self.session.outcome() {
                Some(Outcome::Defect(_)) => Ok(()),
                _ => fail(span, format!("expected a defect: {}", self.state())),
            };
        }
        loop {
            while let Some(a) = self.pending.pop_front() {
                if matches(e, &a) {
                    return Ok(());
                }
            }
            if !self.finish_prompt() {
                return fail(span, format!("expected {}: {}", expected(e), self.state()));
            }
        }
    }
}

fn plain(s: &crate::ast::StrLit) -> String {
    s.as_plain().unwrap_or_default()
}

fn expected(e: &Expectation) -> String {
    match e {
        Expectation::Say(p) => format!("say \"{}\"", plain(p)),
        Expectation::Play(p) => format!("play \"{}\"", plain(p)),
        Expectation::Lookup(n) => format!("lookup {}", n.text),
        Expectation::Enqueue(q, Some(p)) => format!("enqueue {} priority {}", q.text, p.value),
        Expectation::Enqueue(q, None) => format!("enqueue {}", q.text),
        Expectation::Transfer(TransferTarget::Agent, d) => {
            format!("transfer agent \"{}\"", plain(d))
        }
        Expectation::Transfer(_, d) => format!("transfer \"{}\"", plain(d)),
        Expectation::Voicemail(m) => format!("voicemail \"{}\"", plain(m)),
        Expectation::Record => "record".into(),
        Expectation::Hangup(Some(r)) => format!("hangup \"{}\"", plain(r)),
        Expectation::Hangup(None) => "hangup".into(),
        Expectation::Defect => "defect".into(),
    }
}

fn matches(e: &Expectation, a: &Action) -> bool {
    match (e, a) {
        (Expectation::Say(p), Action::Say { text, .. }) => glob_match(&plain(p), text),
        (Expectation::Play(p), Action::Play { audio, .. }) => glob_match(&plain(p), audio),
        (Expectation::Lookup(n), Action::Lookup { source, .. }) => **source == *n.text,
        (
            Expectation::Enqueue(q, p),
            Action::Enqueue {
                queue, priority, ..
            },
        ) => **queue == *q.text && p.is_none_or(|p| p.value == *priority),
        (
            Expectation::Transfer(t, d),
            Action::Transfer {
                target,
                destination,
            },
        ) => t == target && glob_match(&plain(d), destination),
        (
            Expectation::Voicemail(m),
            Action::Record {
                mailbox: Some(b), ..
            },
        ) => glob_match(&plain(m), b),
        (Expectation::Record, Action::Record { mailbox: None, .. }) => true,
        (Expectation::Hangup(r), Action::Hangup { reason }) => {
            r.as_ref().is_none_or(|r| glob_match(&plain(r), reason))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    #[test]
    fn globs() {
        assert!(glob_match("*sales*", "For sales press 1"));
        assert!(glob_match("Press ?", "Press 1"));
        assert!(!glob_match("Press ?", "Press 12"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "acbd"));
    }

    fn run(text: &str) -> Vec<TestResult> {
        let file = SourceFile::new("t.ivr", text).unwrap();
        let (program, d) = crate::check::compile(&file);
        let program = program.unwrap_or_else(|| panic!("{}", d.render(&file)));
        run_tests(&program)
    }

    #[test]
    fn failing_tests_say_why() {
        let r =
            run("flow main\n  say \"Hello\"\n  hangup\ntest \"wrong\"\n  expect say \"Goodbye\"\n");
        let f = r[0].failure.as_ref().unwrap();
        assert!(
            f.message.contains("expected say \"Goodbye\""),
            "{}",
            f.message
        );
        assert!(f.message.contains("say \"Hello\""), "{}", f.message);
    }
}
