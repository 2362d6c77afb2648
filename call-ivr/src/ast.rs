//! The syntax tree of a flow file. Every node carries the [`Span`] of the
//! source it came from; [`crate::format`] prints a tree back as canonical text.

use crate::source::Span;

/// A parsed flow file: flows, schedules, prompt tables and tests, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// The top-level items.
    pub items: Vec<Item>,
    /// The `//` comments, kept so formatting does not lose them.
    pub comments: Vec<Comment>,
}

/// A `//` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The text after `//`.
    pub text: String,
    /// From the slashes to the end of the line.
    pub span: Span,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Item {
    /// `flow NAME(PARAMS)` and its statements.
    Flow(Flow),
    /// `schedule NAME`: business hours.
    Schedule(Schedule),
    /// `prompt NAME`: one prompt in several languages.
    Prompt(PromptTable),
    /// `test "NAME"`: a scripted caller and expectations.
    Test(Test),
}

/// An identifier and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    /// The identifier.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// A flow: the entry `main` or a subflow with parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    /// The flow's name.
    pub name: Name,
    /// Parameter names, bound to the call's arguments.
    pub params: Vec<Name>,
    /// The statements.
    pub body: Vec<Stmt>,
    /// The header line.
    pub span: Span,
}

/// A statement in a flow.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What it does.
    pub kind: StmtKind,
    /// The statement's first line.
    pub span: Span,
}

/// Where control goes: a label, or an indented block of statements.
#[derive(Clone, Debug, PartialEq)]
pub enum Arm {
    /// `-> label`.
    Goto(Name),
    /// An indented block.
    Block(Vec<Stmt>),
}

/// The kinds of statement.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StmtKind {
    /// `name:` marks the next statement as a `goto` target.
    Label(Name),
    /// `say PROMPT` or `play "audio-id"`, with options.
    Say(Prompt, PromptOptions),
    /// `language EXPR`: the language for prompt tables and text-to-speech.
    Language(Expr),
    /// `set NAME = EXPR`.
    Set(Name, Expr),
    /// `if COND -> label`, or `if` / `else if` / `else` blocks.
    If(Vec<(Expr, Arm)>, Option<Arm>),
    /// `match EXPR` with literal arms and an optional `else`.
    Match(Expr, Vec<MatchArm>, Option<Arm>),
    /// `menu PROMPT`: keys to targets, with retries and handlers.
    Menu(Box<Menu>),
    /// `gather NAME PROMPT`: digit collection into a variable.
    Gather(Box<Gather>),
    /// `lookup SOURCE KEY -> NAME`: a data dip the host answers.
    Lookup(Box<Lookup>),
    /// `enqueue QUEUE`: hand the call to a queue (ends the flow).
    Enqueue(Box<Enqueue>),
    /// `transfer EXPR` or `transfer agent EXPR`: a blind transfer (ends the flow).
    Transfer(TransferTarget, Expr),
    /// `record NAME`: record the caller into a variable holding the recording id.
    Record(Name, RecordOptions),
    /// `voicemail MAILBOX`: record a message, then hang up (ends the flow).
    Voicemail(Expr, RecordOptions),
    /// `call FLOW(ARGS) -> NAME`: run a subflow, which returns.
    Call(Name, Vec<Expr>, Option<Name>),
    /// `return [EXPR]` from a subflow.
    Return(Option<Expr>),
    /// `goto label`.
    Goto(Name),
    /// `hangup ["reason"]` (ends the flow).
    Hangup(Option<StrLit>),
}

/// What a prompt says or plays.
#[derive(Clone, Debug, PartialEq)]
pub enum Prompt {
    /// Text for text-to-speech, with `{var}` interpolation.
    Text(StrLit),
    /// A recorded audio id (`play "id"`, or `audio "id"` after `menu`).
    Audio(StrLit),
    /// A prompt table by name, spoken in the session's language.
    Table(Name),
}

/// Voice, language and barge-in, written after a prompt.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PromptOptions {
    /// `voice "name"`.
    pub voice: Option<StrLit>,
    /// `in "fr"`: this prompt's language, overriding the session's.
    pub language: Option<StrLit>,
    /// `barge-in on|off` (default on).
    pub barge_in: Option<bool>,
}

/// A `match` arm: one or more literal values.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    /// The literals.
    pub values: Vec<Expr>,
    /// Where to go.
    pub arm: Arm,
    /// The arm's line.
    pub span: Span,
}

/// A DTMF key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// `0` to `9`.
    Digit(u8),
    /// `*`.
    Star,
    /// `#`.
    Hash,
}

impl Key {
    /// The key as the character a caller presses.
    pub fn as_char(self) -> char {
        match self {
            Key::Digit(d) => char::from(b'0' + d.min(9)),
            Key::Star => '*',
            Key::Hash => '#',
        }
    }

    /// The key for a character, if it is one of `0-9 * #`.
    pub fn from_char(c: char) -> Option<Key> {
        match c {
            '0'..='9' => Some(Key::Digit(c as u8 - b'0')),
            '*' => Some(Key::Star),
            '#' => Some(Key::Hash),
            _ => None,
        }
    }
}

/// Settings and handlers shared by `menu` and `gather`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputRules {
    /// `timeout DURATION`: how long to wait for the first key.
    pub timeout: Option<Duration>,
    /// `retries N`: failures tolerated before `then`.
    pub retries: Option<Count>,
    /// `retries N then ARM`: where to go when retries run out.
    pub exhausted: Option<Arm>,
    /// `on no-input [N] ARM`, `on no-match [N] ARM`.
    pub handlers: Vec<Handler>,
}

/// A number with its span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// The value.
    pub value: i64,
    /// Where it is.
    pub span: Span,
}

/// A duration in milliseconds with its span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration {
    /// Milliseconds.
    pub ms: u32,
    /// Where it is.
    pub span: Span,
}

/// `on EVENT [COUNT] ARM`.
#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    /// The event name (`no-input`, `no-match`, `not-found`, `error`, `timeout`).
    pub event: Name,
    /// Applies from the N-th occurrence on (default 1).
    pub count: Option<Count>,
    /// Where to go; a block returns to the menu or gather when it ends.
    pub arm: Arm,
    /// The handler's line.
    pub span: Span,
}

/// `menu PROMPT`.
#[derive(Clone, Debug, PartialEq)]
pub struct Menu {
    /// What the caller hears.
    pub prompt: Prompt,
    /// Voice, language, barge-in.
    pub options: PromptOptions,
    /// `KEY ARM` lines.
    pub choices: Vec<MenuChoice>,
    /// Timeout, retries and handlers.
    pub rules: InputRules,
}

/// `KEY ARM` in a menu.
#[derive(Clone, Debug, PartialEq)]
pub struct MenuChoice {
    /// The key.
    pub key: Key,
    /// Where it leads.
    pub arm: Arm,
    /// The choice's line.
    pub span: Span,
    /// The key's span.
    pub key_span: Span,
}

/// `gather NAME [PROMPT]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Gather {
    /// The variable that receives the digits.
    pub var: Name,
    /// What the caller hears first.
    pub prompt: Option<Prompt>,
    /// Voice, language, barge-in.
    pub options: PromptOptions,
    /// `digits MIN [to MAX]`.
    pub digits: Option<(Count, Option<Count>)>,
    /// `terminator KEY`.
    pub terminator: Option<(Key, Span)>,
    /// `inter-digit DURATION`.
    pub inter_digit: Option<Duration>,
    /// `pattern "..."`: a digit pattern the input must match.
    pub pattern: Option<StrLit>,
    /// Timeout, retries and handlers.
    pub rules: InputRules,
}

/// `lookup SOURCE KEY -> NAME`.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    /// The data source the host knows (`crm`).
    pub source: Name,
    /// The key to look up.
    pub key: Expr,
    /// The variable receiving the record.
    pub var: Name,
    /// `timeout DURATION`.
    pub timeout: Option<Duration>,
    /// `on not-found|error|timeout ARM`.
    pub handlers: Vec<Handler>,
}

/// `enqueue QUEUE` and its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Enqueue {
    /// The queue.
    pub queue: Name,
    /// `priority EXPR`.
    pub priority: Option<Expr>,
    /// `skills EXPR, ...`.
    pub skills: Vec<Expr>,
    /// `attribute NAME = EXPR` lines.
    pub attributes: Vec<(Name, Expr)>,
}

/// Where a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TransferTarget {
    /// A phone number or SIP address.
    Number,
    /// An agent id.
    Agent,
}

/// `max DURATION`, `beep`/`no-beep`, `finish KEY`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordOptions {
    /// Maximum length.
    pub max: Option<Duration>,
    /// Whether a beep is played first (default yes).
    pub beep: Option<bool>,
    /// The key that ends the recording.
    pub finish: Option<(Key, Span)>,
}

/// A string literal, split into text and `{name}` / `{name.field}` parts.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    /// The parts in order.
    pub parts: Vec<StrPart>,
    /// The literal with its quotes.
    pub span: Span,
}

impl StrLit {
    /// The text when there is no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Var(_) => return None,
            }
        }
        Some(out)
    }
}

/// A piece of a string literal.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text, escapes decoded.
    Text(String),
    /// `{name}` or `{name.field}`.
    Var(Vec<Name>),
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// A string literal.
    Str(StrLit),
    /// `true` or `false`.
    Bool(bool),
    /// `name` or `name.field`.
    Path(Vec<Name>),
    /// `open(schedule)`, `len(x)`, `starts_with(x, y)`.
    Call(Name, Vec<Expr>),
    /// `not x`, `-x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a + b`, `a == b`, `a and b`...
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`.
    Not,
    /// `-`.
    Neg,
}

/// Infix operators, lowest precedence first: `or`, `and`, comparisons, `+ -`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`.
    Or,
    /// `and`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+` (integers, or strings joined).
    Add,
    /// `-`.
    Sub,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
        }
    }
}

/// `schedule NAME`: weekly opening hours in a time zone, minus holidays.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The name `open(NAME)` uses.
    pub name: Name,
    /// `timezone "Area/City"`.
    pub timezone: Option<StrLit>,
    /// `DAYS HH:MM-HH:MM[, HH:MM-HH:MM]` lines.
    pub hours: Vec<WeeklyHours>,
    /// `holiday YYYY-MM-DD ["name"]` lines.
    pub holidays: Vec<Holiday>,
    /// The header line.
    pub span: Span,
}

/// Days of the week and the time ranges open on each.
#[derive(Clone, Debug, PartialEq)]
pub struct WeeklyHours {
    /// Days as names (`mon`, `mon-fri`, `sat`), as written.
    pub days: Vec<Name>,
    /// Open ranges, `(start, end)` each as (hour, minute).
    pub ranges: Vec<TimeRange>,
    /// The line.
    pub span: Span,
}

/// `HH:MM-HH:MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    /// Opening time (hour, minute).
    pub start: (u8, u8),
    /// Closing time (hour, minute); `24:00` is the end of the day.
    pub end: (u8, u8),
    /// Where it is.
    pub span: Span,
}

/// `holiday YYYY-MM-DD ["name"]`: closed all day.
#[derive(Clone, Debug, PartialEq)]
pub struct Holiday {
    /// (year, month, day).
    pub date: (i16, u8, u8),
    /// An optional description.
    pub name: Option<StrLit>,
    /// The line.
    pub span: Span,
}

/// `prompt NAME`: `LANG "text"` or `LANG audio "id"` lines.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptTable {
    /// The table's name.
    pub name: Name,
    /// One entry per language; the first is the fallback.
    pub entries: Vec<(Name, Prompt)>,
    /// The header line.
    pub span: Span,
}

/// `test "NAME"`: steps run against `main`.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    /// The test's name.
    pub name: StrLit,
    /// The steps.
    pub steps: Vec<TestStep>,
    /// The header line.
    pub span: Span,
}

/// One line of a test.
#[derive(Clone, Debug, PartialEq)]
pub struct TestStep {
    /// What it does.
    pub kind: TestStepKind,
    /// The line.
    pub span: Span,
}

/// The kinds of test step.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TestStepKind {
    /// `caller "+15551234"`: the calling number.
    Caller(StrLit),
    /// `dialed "8005550100"`: the called number.
    Dialed(StrLit),
    /// `at "2026-03-02T10:00:00[Europe/London]"`: the call's start time.
    At(StrLit),
    /// `press "12#"`; `during` presses while the current prompt plays.
    Press(StrLit, bool),
    /// `silence`: the caller does nothing until the next timeout.
    Silence,
    /// `wait DURATION`: time passes.
    Wait(Duration),
    /// `hangup`: the caller hangs up.
    Hangup,
    /// `answer SOURCE with NAME = EXPR, ...`: the lookup finds a record.
    AnswerFound(Name, Vec<(Name, Expr)>),
    /// `answer SOURCE not-found|error|timeout`.
    AnswerOther(Name, Name),
    /// `recorded "id"`: the recording finishes.
    Recorded(StrLit),
    /// `expect ...`.
    Expect(Expectation),
}

/// What `expect` looks for among the actions.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Expectation {
    /// `expect say "pattern"`: a text prompt matching a `*`/`?` pattern.
    Say(StrLit),
    /// `expect play "pattern"`: an audio prompt.
    Play(StrLit),
    /// `expect lookup SOURCE`.
    Lookup(Name),
    /// `expect enqueue QUEUE [priority N]`.
    Enqueue(Name, Option<Count>),
    /// `expect transfer "number"` / `expect transfer agent "id"`.
    Transfer(TransferTarget, StrLit),
    /// `expect voicemail "mailbox"`.
    Voicemail(StrLit),
    /// `expect record`.
    Record,
    /// `expect hangup ["reason"]`.
    Hangup(Option<StrLit>),
    /// `expect defect`: the session stops on a limit.
    Defect,
}
