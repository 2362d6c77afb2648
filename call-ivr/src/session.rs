//! The sans-IO interpreter: one [`Session`] per call.
//!
//! The host starts a session with a checked [`Program`], the call's
//! [`CallContext`] and the current time, then loops:
//!
//! 1. drain [`Session::poll_action`] and carry each [`Action`] out (speak a
//!    prompt, start a lookup, enqueue the call...);
//! 2. wait for something to happen: a key, a prompt that finished, a lookup
//!    answer, the caller hanging up, or the deadline from
//!    [`Session::poll_timeout`];
//! 3. feed it to [`Session::handle`] with the current time, and go to 1.
//!
//! The session never reads a clock: `now` is an argument, and a wake-up
//! before the deadline is harmless. It stops by itself on a runaway flow: a
//! step budget, the subflow depth limit and the retry counts end the call
//! with [`Outcome::Defect`] instead of looping.
//!
//! ```text
//!            start ──▶ Running ──▶ Prompt ──(finished / key with barge-in)──▶ Running
//!                         │  ▲         └─(menu, gather)─▶ Input ──(key, timeout)──▶ Running
//!                         │  └──────── Lookup ◀─(answer, timeout)
//!                         │  └──────── Record ◀─(recording finished)
//!                         └──▶ Ended (hangup, transfer, enqueue, voicemail, defect, caller hung up)
//! ```
//!
//! Keys pressed while an interruptible prompt plays stop it and are kept
//! (type-ahead) for the next menu or gather, which then skips its own
//! interruptible prompts. Keys pressed during a prompt with `barge-in off`
//! are dropped.
//!
//! A `Session` holds no reference to its program and is serde-serializable,
//! so a call can be saved and resumed on another machine with the same
//! program (checked by fingerprint).

use std::collections::VecDeque;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::ast::{BinaryOp, TransferTarget};
use crate::error::{EventError, StartError, ValueOrigin};
use crate::limits;
use crate::program::*;
use crate::value::{Value, drop_fields};

/// What the host knows about the call when it starts.
///
/// Deserializing refuses attributes that nest too deep, as
/// [`Session::start`] does (and so does deserializing a saved [`Session`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CallContextFields")]
pub struct CallContext {
    /// The calling number (`caller.number`).
    pub caller: String,
    /// The called number (`caller.dialed`).
    pub dialed: String,
    /// The starting language (`language`); `"en"` when empty.
    pub language: String,
    /// Further `caller.NAME` fields the host supplies. `caller` is a record
    /// around them, so each may nest records at most
    /// [`limits::MAX_VALUE_DEPTH`] - 1 deep; [`Session::start`] refuses a
    /// deeper one.
    pub attributes: Vec<(String, Value)>,
}

/// A [`CallContext`] as it deserializes, before its attributes are checked.
#[derive(Deserialize)]
struct CallContextFields {
    caller: String,
    dialed: String,
    language: String,
    attributes: Vec<(String, Value)>,
}

impl TryFrom<CallContextFields> for CallContext {
    type Error = StartError;

    fn try_from(fields: CallContextFields) -> Result<Self, StartError> {
        if let Some(name) = too_deep(&fields.attributes) {
            return Err(StartError::ValueTooDeep {
                origin: ValueOrigin::CallerAttribute(name.to_string()),
                max: limits::MAX_VALUE_DEPTH,
            });
        }
        Ok(CallContext {
            caller: fields.caller,
            dialed: fields.dialed,
            language: fields.language,
            attributes: fields.attributes,
        })
    }
}

/// Limits that end a runaway session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLimits {
    /// Nodes executed in the whole call before it ends as a defect (default 10,000).
    pub max_steps: u32,
    /// Deepest subflow nesting at run time (default 16).
    pub max_call_depth: u16,
    /// Entries kept in the trace; 0 (the default) records none.
    pub max_trace: u32,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_steps: 10_000,
            max_call_depth: limits::MAX_CALL_DEPTH as u16,
            max_trace: 0,
        }
    }
}

/// Identifies one prompt, lookup or recording request, to match the host's
/// answer with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u32);

/// Something the host must do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Action {
    /// Speak text; answer with [`Event::PromptFinished`].
    Say {
        /// The request.
        id: RequestId,
        /// The text, variables filled in.
        text: Arc<str>,
        /// The language to speak in.
        language: Arc<str>,
        /// A voice name, if the flow chose one.
        voice: Option<Arc<str>>,
        /// Whether a key stops the prompt.
        barge_in: bool,
    },
    /// Play recorded audio; answer with [`Event::PromptFinished`].
    Play {
        /// The request.
        id: RequestId,
        /// The audio id.
        audio: Arc<str>,
        /// The session's language, for hosts that keep audio per language.
        language: Arc<str>,
        /// Whether a key stops the prompt.
        barge_in: bool,
    },
    /// Stop a prompt a key interrupted.
    StopPrompt {
        /// The prompt.
        id: RequestId,
    },
    /// Listen for keys (a menu or gather is waiting for the caller).
    CollectDigits {
        /// Most keys the gather takes (1 for a menu).
        max: u8,
        /// The key that ends the input, if any.
        terminator: Option<char>,
    },
    /// Wake the session at this time with [`Event::Timeout`].
    StartTimer {
        /// The deadline.
        at: Timestamp,
    },
    /// Look a key up in a data source; answer with [`Event::LookupResult`].
    Lookup {
        /// The request.
        id: RequestId,
        /// The data source (`crm`).
        source: Arc<str>,
        /// The key.
        key: Value,
    },
    /// Record the caller; answer with [`Event::RecordingFinished`].
    Record {
        /// The request.
        id: RequestId,
        /// The voicemail box, for `voicemail`; `None` for `record`.
        mailbox: Option<String>,
        /// Longest recording in milliseconds.
        max_ms: u32,
        /// Play a beep first.
        beep: bool,
        /// The key that ends the recording.
        finish: Option<char>,
    },
    /// Stop a recording: the caller pressed its finish key.
    StopRecording {
        /// The request.
        id: RequestId,
    },
    /// Hand the call to a queue. The session has ended.
    Enqueue {
        /// The queue.
        queue: Arc<str>,
        /// Higher is served sooner (default 0).
        priority: i64,
        /// Skills an agent needs.
        skills: Vec<String>,
        /// Attributes for the agent's screen.
        attributes: Vec<(String, Value)>,
    },
    /// Blind-transfer the call. The session has ended.
    Transfer {
        /// A number or an agent.
        target: TransferTarget,
        /// The destination.
        destination: String,
    },
    /// Hang up. The session has ended.
    Hangup {
        /// Why.
        reason: String,
    },
}

/// Something that happened to the call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Event {
    /// The caller pressed keys (each of 0-9, `*`, `#`), in order.
    Digits(String),
    /// The timer from [`Action::StartTimer`] fired (early wake-ups are ignored).
    Timeout,
    /// A prompt finished playing.
    PromptFinished(RequestId),
    /// A lookup's answer.
    LookupResult(RequestId, LookupResult),
    /// A recording finished; the host's id for the recording.
    RecordingFinished(RequestId, String),
    /// The caller hung up.
    CallerHangup,
}

/// The answer to a lookup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LookupResult {
    /// A record with named fields. The record may nest at most
    /// [`limits::MAX_VALUE_DEPTH`] deep, so each field one level less;
    /// [`Session::handle`] refuses a deeper answer.
    Found(Vec<(String, Value)>),
    /// Nothing under that key.
    NotFound,
    /// The data source failed.
    Error(String),
}

/// How a call left the flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Outcome {
    /// `hangup`, with its reason.
    Hangup(String),
    /// `enqueue` to this queue.
    Enqueued(String),
    /// `transfer` to this destination.
    Transferred(String),
    /// `voicemail` into this mailbox.
    Voicemail(String),
    /// The caller hung up.
    CallerHangup,
    /// The flow misbehaved at run time and the call was hung up.
    Defect(Defect),
}

/// A run-time failure of the flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Defect {
    /// More nodes executed than [`SessionLimits::max_steps`].
    StepBudget,
    /// Subflows nested deeper than [`SessionLimits::max_call_depth`].
    CallDepth,
    /// A value had the wrong type (a record field used as a condition...).
    Type {
        /// The node where it happened.
        node: u32,
    },
    /// A variable was read before it was assigned.
    Unset {
        /// The node where it happened.
        node: u32,
    },
    /// Integer overflow, or a string built with `+` or interpolation
    /// longer than [`limits::MAX_STRING_BYTES`].
    Overflow {
        /// The node where it happened.
        node: u32,
    },
}

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TraceEntry {
    /// A node was executed (see [`Program::node_span`]).
    Visit(u32),
    /// A key arrived.
    Key(char),
    /// The deadline passed.
    Timeout,
    /// A prompt finished.
    PromptFinished,
    /// A lookup was answered.
    LookupAnswered,
    /// A recording finished.
    RecordingFinished,
    /// The caller hung up.
    CallerHangup,
}

/// What a session is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Waiting {
    /// A prompt to finish (or a key, if it allows barge-in).
    Prompt(RequestId),
    /// Keys for a menu or gather, or the timeout.
    Keys,
    /// A lookup's answer, or the timeout.
    Lookup(RequestId),
    /// A recording to finish.
    Recording(RequestId),
    /// Nothing: the call has left the flow.
    Ended,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Wait {
    Running,
    Prompt {
        id: u32,
        barge_in: bool,
        listen: bool,
    },
    Input,
    Lookup {
        id: u32,
    },
    Record {
        id: u32,
        voicemail: bool,
    },
    Ended,
}

/// The failure counts of one menu or gather in one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Retry {
    /// Index of the frame in `Session::frames`.
    frame: u16,
    node: u32,
    failures: u8,
    no_input: u8,
    no_match: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Frame {
    flow: u16,
    pc: u32,
    base: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Failure {
    NoInput,
    NoMatch,
}

/// One call's run through a program. See the module docs for the loop.
///
/// # Examples
///
/// ```
/// use call_ivr::session::{Action, CallContext, Event, Session, SessionLimits};
///
/// let text = "flow main\n  menu \"Press 1 for sales\"\n    1 -> sales\n  sales:\n  enqueue sales\n";
/// let file = call_ivr::source::SourceFile::new("a.ivr", text)?;
/// let (program, _) = call_ivr::check::compile(&file);
/// let program = program.expect("valid");
/// let now: jiff::Timestamp = "2026-03-02T10:00:00Z".parse()?;
/// let mut session = Session::start(&program, CallContext::default(), now, SessionLimits::default())?;
/// let Some(Action::Say { id, text, .. }) = session.poll_action() else { panic!() };
/// assert_eq!(&*text, "Press 1 for sales");
/// session.handle(&program, now, Event::PromptFinished(id))?;
/// while session.poll_action().is_some() {} // collect digits, start timer
/// session.handle(&program, now, Event::Digits("1".into()))?;
/// assert!(matches!(session.poll_action(), Some(Action::Enqueue { .. })));
/// assert!(session.is_ended());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    fingerprint: u64,
    frames: Vec<Frame>,
    /// Counts of the menus and gathers that failed since control last
    /// arrived at them other than from their own handler blocks (one entry
    /// per frame and node, so a menu inside a handler block keeps the counts
    /// of the menu it handles).
    retries: Vec<Retry>,
    vars: Vec<Value>,
    context: CallContext,
    language: Arc<str>,
    wait: Wait,
    type_ahead: String,
    collected: String,
    deadline: Option<Timestamp>,
    next_id: u32,
    steps: u32,
    actions: VecDeque<Action>,
    outcome: Option<Outcome>,
    trace: Vec<TraceEntry>,
    limits: SessionLimits,
}

fn at(now: Timestamp, ms: u32) -> Timestamp {
    now.checked_add(SignedDuration::from_millis(i64::from(ms)))
        .unwrap_or(Timestamp::MAX)
}

enum EvalError {
    Type,
    Unset,
    Overflow,
}

/// The first field that would make the record around `fields` nest deeper
/// than [`limits::MAX_VALUE_DEPTH`].
fn too_deep(fields: &[(String, Value)]) -> Option<&str> {
    let max = limits::MAX_VALUE_DEPTH.saturating_sub(1);
    fields
        .iter()
        .find(|(_, v)| v.nests_deeper_than(max))
        .map(|(k, _)| k.as_str())
}

/// Refuses a string the flow built past [`limits::MAX_STRING_BYTES`].
fn bounded(s: &str) -> Result<(), EvalError> {
    if s.len() > limits::MAX_STRING_BYTES {
        Err(EvalError::Overflow)
    } else {
        Ok(())
    }
}

impl Session {
    /// Starts a call at `now` and runs until the flow waits for something.
    ///
    /// Refuses a caller attribute that nests records too deep
    /// ([`StartError::ValueTooDeep`], see [`limits::MAX_VALUE_DEPTH`]).
    pub fn start(
        program: &Program,
        mut context: CallContext,
        now: Timestamp,
        limits: SessionLimits,
    ) -> Result<Session, StartError> {
        if let Some(name) = too_deep(&context.attributes) {
            let origin = ValueOrigin::CallerAttribute(name.to_string());
            drop_fields(std::mem::take(&mut context.attributes));
            return Err(StartError::ValueTooDeep {
                origin,
                max: limits::MAX_VALUE_DEPTH,
            });
        }
        let main = program
            .flows
            .get(program.main as usize)
            .ok_or(StartError::NoMain)?;
        let language: Arc<str> = if context.language.is_empty() {
            "en".into()
        } else {
            context.language.as_str().into()
        };
        let mut s = Session {
            fingerprint: program.fingerprint,
            frames: vec![Frame {
                flow: program.main,
                pc: main.entry,
                base: 0,
            }],
            retries: Vec::new(),
            vars: vec![Value::Unset; usize::from(main.slots)],
            context,
            language,
            wait: Wait::Running,
            type_ahead: String::new(),
            collected: String::new(),
            deadline: None,
            next_id: 0,
            steps: 0,
            actions: VecDeque::new(),
            outcome: None,
            trace: Vec::new(),
            limits,
        };
        s.run(program, now);
        Ok(s)
    }

    /// The next action for the host, oldest first.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When the session wants [`Event::Timeout`], if it is waiting on a timer.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.deadline
    }

    /// How the call ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Whether the call has left the flow.
    pub fn is_ended(&self) -> bool {
        self.wait == Wait::Ended
    }

    /// The nodes visited and events received, when tracing is on.
    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }

    /// What the session waits for now.
    pub fn waiting(&self) -> Waiting {
        match self.wait {
            Wait::Prompt { id, .. } => Waiting::Prompt(RequestId(id)),
            Wait::Input | Wait::Running => Waiting::Keys,
            Wait::Lookup { id } => Waiting::Lookup(RequestId(id)),
            Wait::Record { id, .. } => Waiting::Recording(RequestId(id)),
            Wait::Ended => Waiting::Ended,
        }
    }

    /// Nodes executed so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// The session's language.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// Bytes this session occupies: the struct and its heap, not counting
    /// the values of variables (their slots are counted) or queued actions.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Session>()
            + self.frames.capacity() * std::mem::size_of::<Frame>()
            + self.retries.capacity() * std::mem::size_of::<Retry>()
            + self.vars.capacity() * std::mem::size_of::<Value>()
            + self.context.caller.capacity()
            + self.context.dialed.capacity()
            + self.context.language.capacity()
            + self.language.len()
            + self.type_ahead.capacity()
            + self.collected.capacity()
            + self.trace.capacity() * std::mem::size_of::<TraceEntry>()
    }

    /// Bytes held by variable values on the heap.
    pub fn variable_bytes(&self) -> usize {
        self.vars.iter().map(Value::heap_bytes).sum::<usize>()
            + self
                .context
                .attributes
                .iter()
                .map(|(k, v)| k.capacity() + v.heap_bytes())
                .sum::<usize>()
    }

    /// Feeds one event at `now` and runs until the flow waits again.
    ///
    /// A lookup answer that nests records too deep is refused first, whatever
    /// the session waits for ([`EventError::ValueTooDeep`], see
    /// [`limits::MAX_VALUE_DEPTH`]); the session does not change.
    pub fn handle(
        &mut self,
        program: &Program,
        now: Timestamp,
        mut event: Event,
    ) -> Result<(), EventError> {
        if let Event::LookupResult(request, LookupResult::Found(fields)) = &mut event
            && let Some(field) = too_deep(fields)
        {
            let origin = ValueOrigin::LookupAnswer {
                request: *request,
                field: field.to_string(),
            };
            drop_fields(std::mem::take(fields));
            return Err(EventError::ValueTooDeep {
                origin,
                max: limits::MAX_VALUE_DEPTH,
            });
        }
        if program.fingerprint != self.fingerprint {
            return Err(EventError::ProgramMismatch {
                expected: self.fingerprint,
                got: program.fingerprint,
            });
        }
        if self.wait == Wait::Ended {
            return Ok(());
        }
        match event {
            Event::Digits(keys) => {
                if let Some(bad) = keys.chars().find(|&c| key_index(c).is_none()) {
                    return Err(EventError::BadKey(bad));
                }
                for key in keys.chars() {
                    self.key(program, now, key);
                }
            }
            Event::Timeout => {
                if self.deadline.is_some_and(|d| now >= d) {
                    self.deadline = None;
                    self.record(TraceEntry::Timeout);
                    self.timeout(program, now);
                }
            }
            Event::PromptFinished(RequestId(id)) => {
                if let Wait::Prompt {
                    id: waiting,
                    listen,
                    ..
                } = self.wait
                    && waiting == id
                {
                    self.record(TraceEntry::PromptFinished);
                    self.after_prompt(program, now, listen);
                }
            }
            Event::LookupResult(RequestId(id), result) => {
                if self.wait == (Wait::Lookup { id }) {
                    self.record(TraceEntry::LookupAnswered);
                    self.deadline = None;
                    self.lookup_done(program, now, Some(result));
                }
            }
            Event::RecordingFinished(RequestId(id), recording) => {
                if let Wait::Record {
                    id: waiting,
                    voicemail,
                } = self.wait
                    && waiting == id
                {
                    self.record(TraceEntry::RecordingFinished);
                    self.recorded(program, now, voicemail, recording);
                }
            }
            Event::CallerHangup => {
                self.record(TraceEntry::CallerHangup);
                self.end(Outcome::CallerHangup);
            }
        }
        Ok(())
    }

    // ---- internals ------------------------------------------------------

    fn record(&mut self, entry: TraceEntry) {
        if (self.trace.len() as u64) < u64::from(self.limits.max_trace) {
            self.trace.push(entry);
        }
    }

    fn frame(&self) -> Frame {
        self.frames.last().copied().unwrap_or(Frame {
            flow: 0,
            pc: NONE,
            base: 0,
        })
    }

    /// The index of the running frame in `frames`.
    fn frame_index(&self) -> u16 {
        self.frames.len().saturating_sub(1) as u16
    }

    fn frame_mut(&mut self) -> Option<&mut Frame> {
        self.frames.last_mut()
    }

    fn goto(&mut self, pc: NodeId) {
        if let Some(f) = self.frame_mut() {
            f.pc = pc;
        }
        self.wait = Wait::Running;
    }

    fn id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn end(&mut self, outcome: Outcome) {
        self.wait = Wait::Ended;
        self.deadline = None;
        self.outcome = Some(outcome);
    }

    fn defect(&mut self, defect: Defect) {
        self.actions.push_back(Action::Hangup {
            reason: "defect".to_string(),
        });
        self.end(Outcome::Defect(defect));
    }

    fn set_deadline(&mut self, at: Timestamp) {
        self.deadline = Some(at);
        self.actions.push_back(Action::StartTimer { at });
    }

    fn run(&mut self, p: &Program, now: Timestamp) {
        while self.wait == Wait::Running {
            self.steps = self.steps.saturating_add(1);
            if self.steps > self.limits.max_steps {
                self.defect(Defect::StepBudget);
                return;
            }
            let frame = self.frame();
            let pc = frame.pc;
            let Some(node) = p.nodes.get(pc as usize) else {
                self.defect(Defect::Type { node: pc });
                return;
            };
            self.record(TraceEntry::Visit(pc));
            if let Err(e) = self.step(p, now, pc, &node.kind) {
                self.defect(match e {
                    EvalError::Type => Defect::Type { node: pc },
                    EvalError::Unset => Defect::Unset { node: pc },
                    EvalError::Overflow => Defect::Overflow { node: pc },
                });
            }
        }
    }

    fn step(
        &mut self,
        p: &Program,
        now: Timestamp,
        pc: NodeId,
        kind: &NodeKind,
    ) -> Result<(), EvalError> {
        match kind {
            NodeKind::Nop { next } | NodeKind::Goto { target: next } => self.goto(*next),
            NodeKind::Say { prompt, next } => {
                if !self.say(p, prompt, false)? {
                    self.goto(*next);
                }
            }
            NodeKind::Language { expr, next } => {
                match self.eval(p, now, expr)? {
                    Value::Str(s) => self.language = s.into(),
                    _ => return Err(EvalError::Type),
                }
                self.goto(*next);
            }
            NodeKind::Set { slot, expr, next } => {
                let v = self.eval(p, now, expr)?;
                self.store(*slot, v);
                self.goto(*next);
            }
            NodeKind::Branch {
                cond,
                then,
                otherwise,
            } => match self.eval(p, now, cond)? {
                Value::Bool(true) => self.goto(*then),
                Value::Bool(false) => self.goto(*otherwise),
                _ => return Err(EvalError::Type),
            },
            NodeKind::Match {
                subject,
                arms,
                otherwise,
            } => {
                let v = self.eval(p, now, subject)?;
                let target = arms
                    .iter()
                    .find(|(a, _)| *a == v)
                    .map_or(*otherwise, |(_, t)| *t);
                self.goto(target);
            }
            NodeKind::Menu { .. } | NodeKind::Gather { .. } => {
                // Arriving other than from a handler block: fresh counts.
                let frame = self.frame_index();
                self.retries.retain(|r| !(r.frame == frame && r.node == pc));
                self.present(p, now, kind)?;
            }
            NodeKind::Reprompt { input } => {
                if let Some(f) = self.frame_mut() {
                    f.pc = *input;
                }
                let Some(node) = p.nodes.get(*input as usize) else {
                    return Err(EvalError::Type);
                };
                self.present(p, now, &node.kind)?;
            }
            NodeKind::Lookup {
                source,
                key,
                timeout_ms,
                ..
            } => {
                let key = self.eval(p, now, key)?;
                let id = self.id();
                self.actions.push_back(Action::Lookup {
                    id: RequestId(id),
                    source: source.clone(),
                    key,
                });
                self.wait = Wait::Lookup { id };
                self.set_deadline(at(now, *timeout_ms));
            }
            NodeKind::Enqueue {
                queue,
                priority,
                skills,
                attributes,
            } => {
                let priority = match priority {
                    Some(e) => match self.eval(p, now, e)? {
                        Value::Int(i) => i,
                        _ => return Err(EvalError::Type),
                    },
                    None => 0,
                };
                let mut s = Vec::with_capacity(skills.len());
                for e in skills {
                    s.push(self.eval(p, now, e)?.to_string());
                }
                let mut a = Vec::with_capacity(attributes.len());
                for (k, e) in attributes {
                    a.push((k.to_string(), self.eval(p, now, e)?));
                }
                self.actions.push_back(Action::Enqueue {
                    queue: queue.clone(),
                    priority,
                    skills: s,
                    attributes: a,
                });
                self.end(Outcome::Enqueued(queue.to_string()));
            }
            NodeKind::Transfer { target, dest } => {
                let destination = self.eval(p, now, dest)?.to_string();
                self.actions.push_back(Action::Transfer {
                    target: *target,
                    destination: destination.clone(),
                });
                self.end(Outcome::Transferred(destination));
            }
            NodeKind::Record { spec, .. } => {
                let id = self.id();
                self.actions.push_back(Action::Record {
                    id: RequestId(id),
                    mailbox: None,
                    max_ms: spec.max_ms,
                    beep: spec.beep,
                    finish: spec.finish,
                });
                self.wait = Wait::Record {
                    id,
                    voicemail: false,
                };
            }
            NodeKind::Voicemail { mailbox, spec } => {
                let mailbox = self.eval(p, now, mailbox)?.to_string();
                let id = self.id();
                self.actions.push_back(Action::Record {
                    id: RequestId(id),
                    mailbox: Some(mailbox),
                    max_ms: spec.max_ms,
                    beep: spec.beep,
                    finish: spec.finish,
                });
                self.wait = Wait::Record {
                    id,
                    voicemail: true,
                };
            }
            NodeKind::Call { flow, args, .. } => {
                // `frames` holds `main` too, so after this call the subflows
                // nest `frames.len()` deep.
                if self.frames.len() > usize::from(self.limits.max_call_depth) {
                    self.defect(Defect::CallDepth);
                    return Ok(());
                }
                let Some(info) = p.flows.get(*flow as usize) else {
                    return Err(EvalError::Type);
                };
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(p, now, a)?);
                }
                let base = self.vars.len();
                self.vars
                    .resize(base + usize::from(info.slots), Value::Unset);
                for (i, v) in values.into_iter().enumerate() {
                    if let Some(slot) = self.vars.get_mut(base + i) {
                        *slot = v;
                    }
                }
                self.frames.push(Frame {
                    flow: *flow,
                    pc: info.entry,
                    base: base as u32,
                });
            }
            NodeKind::Return { value } => {
                let v = match value {
                    Some(e) => self.eval(p, now, e)?,
                    None => Value::Unset,
                };
                let Some(done) = self.frames.pop() else {
                    return Err(EvalError::Type);
                };
                self.vars.truncate(done.base as usize);
                let gone = self.frames.len() as u16;
                self.retries.retain(|r| r.frame < gone);
                let caller = self.frame();
                match p.nodes.get(caller.pc as usize).map(|n| &n.kind) {
                    Some(NodeKind::Call { result, next, .. }) => {
                        if let Some(slot) = result {
                            self.store(*slot, v);
                        }
                        self.goto(*next);
                    }
                    _ => return Err(EvalError::Type),
                }
            }
            NodeKind::Hangup { reason } => {
                let reason = self.text(p, now, reason)?.to_string();
                self.actions.push_back(Action::Hangup {
                    reason: reason.clone(),
                });
                self.end(Outcome::Hangup(reason));
            }
        }
        Ok(())
    }

    fn store(&mut self, slot: Slot, v: Value) {
        let base = self.frame().base as usize;
        if let Some(s) = self.vars.get_mut(base + usize::from(slot)) {
            *s = v;
        }
    }

    /// Emits a prompt; returns whether the session now waits for it. An
    /// interruptible prompt is skipped while type-ahead is pending.
    fn say(&mut self, p: &Program, spec: &PromptSpec, listen: bool) -> Result<bool, EvalError> {
        if spec.barge_in && !self.type_ahead.is_empty() {
            return Ok(false);
        }
        let language = spec
            .language
            .clone()
            .unwrap_or_else(|| self.language.clone());
        let id = self.id();
        let body = match &spec.body {
            PromptBody::Table(t) => {
                let Some(table) = p.prompts.get(*t as usize) else {
                    return Err(EvalError::Type);
                };
                let entry = table
                    .entries
                    .iter()
                    .find(|(l, _)| **l == *language)
                    .or_else(|| table.entries.first());
                match entry {
                    Some((_, b)) => b,
                    None => return Ok(false),
                }
            }
            b => b,
        };
        let action = match body {
            PromptBody::Text(t) => Action::Say {
                id: RequestId(id),
                text: self.text(p, Timestamp::UNIX_EPOCH, t)?,
                language,
                voice: spec.voice.clone(),
                barge_in: spec.barge_in,
            },
            PromptBody::Audio(t) => Action::Play {
                id: RequestId(id),
                audio: self.text(p, Timestamp::UNIX_EPOCH, t)?,
                language,
                barge_in: spec.barge_in,
            },
            PromptBody::Table(_) => return Ok(false),
        };
        self.actions.push_back(action);
        self.wait = Wait::Prompt {
            id,
            barge_in: spec.barge_in,
            listen,
        };
        Ok(true)
    }

    fn present(&mut self, p: &Program, now: Timestamp, kind: &NodeKind) -> Result<(), EvalError> {
        let input = match kind {
            NodeKind::Menu { input, .. } | NodeKind::Gather { input, .. } => input,
            _ => return Err(EvalError::Type),
        };
        self.collected.clear();
        if let Some(prompt) = &input.prompt
            && self.say(p, prompt, true)?
        {
            return Ok(());
        }
        self.listen(p, now);
        Ok(())
    }

    fn after_prompt(&mut self, p: &Program, now: Timestamp, listen: bool) {
        if listen {
            self.listen(p, now);
        } else {
            let pc = self.frame().pc;
            if let Some(NodeKind::Say { next, .. }) = p.nodes.get(pc as usize).map(|n| &n.kind) {
                self.goto(*next);
            }
        }
        self.run(p, now);
    }

    fn input_node<'p>(&self, p: &'p Program) -> Option<&'p NodeKind> {
        p.nodes.get(self.frame().pc as usize).map(|n| &n.kind)
    }

    /// Starts waiting for keys, consuming type-ahead first.
    fn listen(&mut self, p: &Program, now: Timestamp) {
        self.wait = Wait::Input;
        let (max, terminator, timeout_ms) = match self.input_node(p) {
            Some(NodeKind::Menu { input, .. }) => (1, None, input.timeout_ms),
            Some(NodeKind::Gather {
                input,
                max,
                terminator,
                ..
            }) => (*max, *terminator, input.timeout_ms),
            _ => return,
        };
        self.deadline = None;
        self.actions
            .push_back(Action::CollectDigits { max, terminator });
        while self.wait == Wait::Input && !self.type_ahead.is_empty() {
            let key = self.type_ahead.remove(0);
            self.input_key(p, now, key);
        }
        if self.wait == Wait::Input && self.deadline.is_none() {
            self.set_deadline(at(now, timeout_ms));
        }
    }

    fn key(&mut self, p: &Program, now: Timestamp, key: char) {
        self.record(TraceEntry::Key(key));
        match self.wait {
            Wait::Prompt {
                id,
                barge_in: true,
                listen,
            } => {
                self.actions
                    .push_back(Action::StopPrompt { id: RequestId(id) });
                self.push_type_ahead(key);
                self.after_prompt(p, now, listen);
            }
            Wait::Prompt {
                barge_in: false, ..
            }
            | Wait::Ended
            | Wait::Running => {}
            Wait::Input => {
                self.input_key(p, now, key);
                self.run(p, now);
            }
            Wait::Lookup { .. } => self.push_type_ahead(key),
            Wait::Record { id, .. } => {
                let finish = match self.input_node(p) {
                    Some(NodeKind::Record { spec, .. } | NodeKind::Voicemail { spec, .. }) => {
                        spec.finish
                    }
                    _ => None,
                };
                if finish == Some(key) {
                    self.actions
                        .push_back(Action::StopRecording { id: RequestId(id) });
                }
            }
        }
    }

    fn push_type_ahead(&mut self, key: char) {
        if self.type_ahead.len() < limits::MAX_TYPE_AHEAD {
            self.type_ahead.push(key);
        }
    }

    /// One key for the waiting menu or gather. Leaves the session Running
    /// (the caller then runs it) or still in Input.
    fn input_key(&mut self, p: &Program, now: Timestamp, key: char) {
        match self.input_node(p) {
            Some(NodeKind::Menu { keys, .. }) => {
                self.deadline = None;
                match key_index(key).and_then(|i| keys.get(i)).copied() {
                    Some(target) if target != NONE => {
                        self.goto(target);
                    }
                    _ => self.fail(p, now, Failure::NoMatch),
                }
            }
            Some(NodeKind::Gather {
                max,
                terminator,
                inter_ms,
                ..
            }) => {
                if *terminator == Some(key) {
                    self.deadline = None;
                    self.complete(p, now);
                    return;
                }
                self.collected.push(key);
                if self.collected.len() >= usize::from(*max) {
                    self.deadline = None;
                    self.complete(p, now);
                } else {
                    self.set_deadline(at(now, *inter_ms));
                }
            }
            _ => {}
        }
    }

    fn complete(&mut self, p: &Program, now: Timestamp) {
        let Some(NodeKind::Gather {
            slot,
            min,
            max,
            pattern,
            next,
            ..
        }) = self.input_node(p)
        else {
            return;
        };
        let n = self.collected.len();
        // Without a pattern a gather takes digits only.
        let valid = n >= usize::from(*min)
            && n <= usize::from(*max)
            && match pattern {
                Some(pat) => pat.matches(&self.collected),
                None => self.collected.bytes().all(|b| b.is_ascii_digit()),
            };
        if valid {
            let digits = std::mem::take(&mut self.collected);
            let (slot, next) = (*slot, *next);
            self.store(slot, Value::Str(digits));
            self.goto(next);
        } else if n == 0 {
            self.fail(p, now, Failure::NoInput);
        } else {
            self.fail(p, now, Failure::NoMatch);
        }
    }

    fn fail(&mut self, p: &Program, now: Timestamp, kind: Failure) {
        let pc = self.frame().pc;
        let Some(NodeKind::Menu { input, .. } | NodeKind::Gather { input, .. }) =
            p.nodes.get(pc as usize).map(|n| &n.kind)
        else {
            return;
        };
        self.collected.clear();
        self.type_ahead.clear();
        self.deadline = None;
        let frame = self.frame_index();
        let index = match self
            .retries
            .iter()
            .position(|r| r.frame == frame && r.node == pc)
        {
            Some(i) => i,
            None => {
                self.retries.push(Retry {
                    frame,
                    node: pc,
                    ..Retry::default()
                });
                self.retries.len() - 1
            }
        };
        let Some(r) = self.retries.get_mut(index) else {
            return;
        };
        r.failures = r.failures.saturating_add(1);
        let (count, handlers) = match kind {
            Failure::NoInput => {
                r.no_input = r.no_input.saturating_add(1);
                (r.no_input, &input.no_input)
            }
            Failure::NoMatch => {
                r.no_match = r.no_match.saturating_add(1);
                (r.no_match, &input.no_match)
            }
        };
        if r.failures > input.retries {
            self.retries.swap_remove(index);
            self.goto(input.exhausted);
            return;
        }
        let handler = handlers
            .iter()
            .rev()
            .find(|&&(c, _)| c <= u32::from(count))
            .map(|&(_, t)| t);
        match handler {
            Some(t) => self.goto(t),
            None => {
                if let Some(node) = p.nodes.get(pc as usize)
                    && self.present(p, now, &node.kind).is_err()
                {
                    self.defect(Defect::Type { node: pc });
                }
            }
        }
    }

    fn timeout(&mut self, p: &Program, now: Timestamp) {
        match self.wait {
            Wait::Input => {
                match self.input_node(p) {
                    Some(NodeKind::Gather { .. }) if !self.collected.is_empty() => {
                        self.complete(p, now)
                    }
                    _ => self.fail(p, now, Failure::NoInput),
                }
                self.run(p, now);
            }
            Wait::Lookup { .. } => self.lookup_done(p, now, None),
            _ => {}
        }
    }

    fn lookup_done(&mut self, p: &Program, now: Timestamp, result: Option<LookupResult>) {
        let Some(NodeKind::Lookup {
            slot,
            next,
            not_found,
            error,
            timeout,
            ..
        }) = self.input_node(p)
        else {
            return;
        };
        let (value, target) = match result {
            Some(LookupResult::Found(fields)) => (Value::Record(fields), *next),
            Some(LookupResult::NotFound) => (Value::Record(Vec::new()), not_found.unwrap_or(*next)),
            Some(LookupResult::Error(_)) => (Value::Record(Vec::new()), error.unwrap_or(*next)),
            None => (Value::Record(Vec::new()), timeout.unwrap_or(*next)),
        };
        let slot = *slot;
        self.store(slot, value);
        self.goto(target);
        self.run(p, now);
    }

    fn recorded(&mut self, p: &Program, now: Timestamp, voicemail: bool, recording: String) {
        let pc = self.frame().pc;
        match p.nodes.get(pc as usize).map(|n| &n.kind) {
            Some(NodeKind::Voicemail { mailbox, .. }) if voicemail => {
                // The outcome names the mailbox, as the Record action did;
                // nothing ran since, so it evaluates the same.
                let Ok(mailbox) = self.eval(p, now, mailbox) else {
                    self.defect(Defect::Type { node: pc });
                    return;
                };
                self.actions.push_back(Action::Hangup {
                    reason: "voicemail".to_string(),
                });
                self.end(Outcome::Voicemail(mailbox.to_string()));
            }
            Some(NodeKind::Record { slot, next, .. }) => {
                let (slot, next) = (*slot, *next);
                self.store(slot, Value::Str(recording));
                self.goto(next);
                self.run(p, now);
            }
            _ => {}
        }
    }

    fn text(&self, p: &Program, now: Timestamp, t: &Text) -> Result<Arc<str>, EvalError> {
        match t {
            Text::Lit(s) => Ok(s.clone()),
            Text::Parts(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        TextPart::Lit(s) => out.push_str(s),
                        TextPart::Expr(e) => {
                            use std::fmt::Write;
                            let v = self.eval(p, now, e)?;
                            let _ = write!(out, "{v}");
                            bounded(&out)?;
                        }
                    }
                }
                Ok(out.into())
            }
        }
    }

    fn eval(&self, p: &Program, now: Timestamp, e: &Expr) -> Result<Value, EvalError> {
        let base = self.frame().base as usize;
        Ok(match e {
            Expr::Lit(v) => v.clone(),
            Expr::Var(slot) => match self.vars.get(base + usize::from(*slot)) {
                Some(Value::Unset) | None => return Err(EvalError::Unset),
                Some(v) => v.clone(),
            },
            Expr::Field(slot, name) => match self.vars.get(base + usize::from(*slot)) {
                Some(Value::Unset) | None => return Err(EvalError::Unset),
                Some(v @ Value::Record(_)) => v.field(name),
                Some(_) => return Err(EvalError::Type),
            },
            Expr::Caller => Value::Record(self.caller_fields()),
            Expr::CallerField(name) => match &**name {
                "number" => Value::Str(self.context.caller.clone()),
                "dialed" => Value::Str(self.context.dialed.clone()),
                other => self
                    .context
                    .attributes
                    .iter()
                    .find(|(k, _)| k == other)
                    .map_or(Value::Str(String::new()), |(_, v)| v.clone()),
            },
            Expr::Language => Value::Str(self.language.to_string()),
            Expr::Not(inner) => match self.eval(p, now, inner)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => return Err(EvalError::Type),
            },
            Expr::Neg(inner) => match self.eval(p, now, inner)? {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or(EvalError::Overflow)?),
                _ => return Err(EvalError::Type),
            },
            Expr::Open(s) => Value::Bool(
                p.schedules
                    .get(*s as usize)
                    .is_some_and(|(_, h)| h.is_open(now)),
            ),
            Expr::Len(inner) => match self.eval(p, now, inner)? {
                Value::Str(s) => Value::Int(s.chars().count() as i64),
                _ => return Err(EvalError::Type),
            },
            Expr::StartsWith(a, b) => match (self.eval(p, now, a)?, self.eval(p, now, b)?) {
                (Value::Str(a), Value::Str(b)) => Value::Bool(a.starts_with(&b)),
                _ => return Err(EvalError::Type),
            },
            Expr::Concat(parts) => {
                use std::fmt::Write;
                let mut out = String::new();
                for part in parts {
                    let v = self.eval(p, now, part)?;
                    let _ = write!(out, "{v}");
                    bounded(&out)?;
                }
                Value::Str(out)
            }
            Expr::Binary(op, l, r) => {
                // `and` / `or` short-circuit.
                if matches!(op, BinaryOp::And | BinaryOp::Or) {
                    let Value::Bool(a) = self.eval(p, now, l)? else {
                        return Err(EvalError::Type);
                    };
                    if (*op == BinaryOp::And) != a {
                        return Ok(Value::Bool(a));
                    }
                    return match self.eval(p, now, r)? {
                        Value::Bool(b) => Ok(Value::Bool(b)),
                        _ => Err(EvalError::Type),
                    };
                }
                let a = self.eval(p, now, l)?;
                let b = self.eval(p, now, r)?;
                match (op, a, b) {
                    (BinaryOp::Eq, a, b) => Value::Bool(a == b),
                    (BinaryOp::Ne, a, b) => Value::Bool(a != b),
                    (BinaryOp::Add, Value::Int(a), Value::Int(b)) => {
                        Value::Int(a.checked_add(b).ok_or(EvalError::Overflow)?)
                    }
                    (BinaryOp::Add, Value::Str(mut a), b) => {
                        use std::fmt::Write;
                        let _ = write!(a, "{b}");
                        bounded(&a)?;
                        Value::Str(a)
                    }
                    (BinaryOp::Sub, Value::Int(a), Value::Int(b)) => {
                        Value::Int(a.checked_sub(b).ok_or(EvalError::Overflow)?)
                    }
                    (BinaryOp::Lt, Value::Int(a), Value::Int(b)) => Value::Bool(a < b),
                    (BinaryOp::Le, Value::Int(a), Value::Int(b)) => Value::Bool(a <= b),
                    (BinaryOp::Gt, Value::Int(a), Value::Int(b)) => Value::Bool(a > b),
                    (BinaryOp::Ge, Value::Int(a), Value::Int(b)) => Value::Bool(a >= b),
                    _ => return Err(EvalError::Type),
                }
            }
        })
    }

    fn caller_fields(&self) -> Vec<(String, Value)> {
        let mut fields = vec![
            (
                "number".to_string(),
                Value::Str(self.context.caller.clone()),
            ),
            (
                "dialed".to_string(),
                Value::Str(self.context.dialed.clone()),
            ),
        ];
        fields.extend(self.context.attributes.iter().cloned());
        fields
    }
}

impl Program {
    /// The source span of a node named in a trace or a defect.
    pub fn node_span(&self, node: u32) -> Option<crate::source::Span> {
        self.nodes.get(node as usize).map(|n| n.span)
    }
}
