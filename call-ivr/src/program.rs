//! A checked program: flows compiled to a graph of nodes that the
//! interpreter walks. Only [`crate::check`] builds one, so a `Program` has
//! passed every static check.

use std::sync::Arc;

use crate::ast::{BinaryOp, Test, TransferTarget};
use crate::pattern::DigitPattern;
use crate::schedule::BusinessHours;
use crate::source::Span;
use crate::value::Value;

pub(crate) type NodeId = u32;
pub(crate) type Slot = u16;

/// No node (an unused menu key).
pub(crate) const NONE: NodeId = u32::MAX;

/// A compiled, checked flow file, ready to run.
///
/// # Examples
///
/// ```
/// let file = call_ivr::source::SourceFile::new("a.ivr", "flow main\n  hangup\n")?;
/// let (program, diags) = call_ivr::check::compile(&file);
/// assert!(!diags.has_errors());
/// assert_eq!(program.unwrap().flow_names().collect::<Vec<_>>(), ["main"]);
/// # Ok::<(), call_ivr::error::SourceError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) nodes: Vec<Node>,
    pub(crate) flows: Vec<FlowInfo>,
    pub(crate) main: u16,
    pub(crate) schedules: Vec<(String, BusinessHours)>,
    pub(crate) prompts: Vec<PromptTable>,
    pub(crate) tests: Vec<Test>,
    pub(crate) fingerprint: u64,
}

impl Program {
    /// The names of the flows, `main` included.
    pub fn flow_names(&self) -> impl Iterator<Item = &str> {
        self.flows.iter().map(|f| f.name.as_str())
    }

    /// Number of compiled nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The inline tests of the file.
    pub fn tests(&self) -> &[Test] {
        &self.tests
    }

    /// A hash of the source text: a saved session resumes only on the
    /// program it was started with.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether the named schedule is open at `now` (`None`: no such schedule).
    pub fn is_open(&self, schedule: &str, now: jiff::Timestamp) -> Option<bool> {
        self.schedules
            .iter()
            .find(|(n, _)| n == schedule)
            .map(|(_, h)| h.is_open(now))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct FlowInfo {
    pub(crate) name: String,
    pub(crate) entry: NodeId,
    pub(crate) slots: u16,
}

#[derive(Clone, Debug)]
pub(crate) struct PromptTable {
    pub(crate) entries: Vec<(Arc<str>, PromptBody)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) span: Span,
    pub(crate) flow: u16,
}

/// Text with `{var}` parts.
#[derive(Clone, Debug)]
pub(crate) enum Text {
    Lit(Arc<str>),
    Parts(Vec<TextPart>),
}

#[derive(Clone, Debug)]
pub(crate) enum TextPart {
    Lit(Arc<str>),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub(crate) enum PromptBody {
    Text(Text),
    Audio(Text),
    Table(u16),
}

#[derive(Clone, Debug)]
pub(crate) struct PromptSpec {
    pub(crate) body: PromptBody,
    pub(crate) voice: Option<Arc<str>>,
    pub(crate) language: Option<Arc<str>>,
    pub(crate) barge_in: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Lit(Value),
    Var(Slot),
    Field(Slot, Arc<str>),
    Caller,
    CallerField(Arc<str>),
    Language,
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Open(u16),
    Len(Box<Expr>),
    StartsWith(Box<Expr>, Box<Expr>),
    /// An interpolated string: the parts' texts joined.
    Concat(Vec<Expr>),
}

#[derive(Clone, Debug)]
pub(crate) struct InputSpec {
    pub(crate) prompt: Option<PromptSpec>,
    pub(crate) timeout_ms: u32,
    pub(crate) retries: u8,
    pub(crate) no_input: Vec<(u32, NodeId)>,
    pub(crate) no_match: Vec<(u32, NodeId)>,
    pub(crate) exhausted: NodeId,
}

#[derive(Clone, Debug)]
pub(crate) struct RecordSpec {
    pub(crate) max_ms: u32,
    pub(crate) beep: bool,
    pub(crate) finish: Option<char>,
}

#[derive(Clone, Debug)]
pub(crate) enum NodeKind {
    Nop {
        next: NodeId,
    },
    Say {
        prompt: PromptSpec,
        next: NodeId,
    },
    Language {
        expr: Expr,
        next: NodeId,
    },
    Set {
        slot: Slot,
        expr: Expr,
        next: NodeId,
    },
    Branch {
        cond: Expr,
        then: NodeId,
        otherwise: NodeId,
    },
    Match {
        subject: Expr,
        arms: Vec<(Value, NodeId)>,
        otherwise: NodeId,
    },
    Menu {
        input: Box<InputSpec>,
        /// Targets for 0-9, `*`, `#`.
        keys: [NodeId; 12],
    },
    Gather {
        input: Box<InputSpec>,
        slot: Slot,
        min: u8,
        max: u8,
        terminator: Option<char>,
        inter_ms: u32,
        pattern: Option<DigitPattern>,
        next: NodeId,
    },
    Lookup {
        source: Arc<str>,
        key: Expr,
        slot: Slot,
        timeout_ms: u32,
        next: NodeId,
        not_found: Option<NodeId>,
        error: Option<NodeId>,
        timeout: Option<NodeId>,
    },
    Enqueue {
        queue: Arc<str>,
        priority: Option<Expr>,
        skills: Vec<Expr>,
        attributes: Vec<(Arc<str>, Expr)>,
    },
    Transfer {
        target: TransferTarget,
        dest: Expr,
    },
    Record {
        slot: Slot,
        spec: RecordSpec,
        next: NodeId,
    },
    Voicemail {
        mailbox: Expr,
        spec: RecordSpec,
    },
    Call {
        flow: u16,
        args: Vec<Expr>,
        result: Option<Slot>,
        next: NodeId,
    },
    Return {
        value: Option<Expr>,
    },
    Goto {
        target: NodeId,
    },
    Hangup {
        reason: Text,
    },
    Reprompt {
        input: NodeId,
    },
}

/// How an edge is taken, for the loop and trap analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Edge {
    /// Taken without the caller doing anything right.
    Silent,
    /// Taken because the caller chose it (a menu key, a complete gather).
    Input,
    /// Back to a menu or gather, keeping its retry count.
    Reprompt,
    /// Past a subflow call (only when the callee can return).
    AfterCall,
}

pub(crate) fn key_index(c: char) -> Option<usize> {
    match c {
        '0'..='9' => Some(c as usize - '0' as usize),
        '*' => Some(10),
        '#' => Some(11),
        _ => None,
    }
}

impl NodeKind {
    /// Calls `f` for every successor of this node.
    pub(crate) fn edges(&self, mut f: impl FnMut(NodeId, Edge)) {
        use Edge::*;
        match self {
            NodeKind::Nop { next }
            | NodeKind::Say { next, .. }
            | NodeKind::Language { next, .. }
            | NodeKind::Set { next, .. }
            | NodeKind::Record { next, .. } => f(*next, Silent),
            NodeKind::Branch {
                then, otherwise, ..
            } => {
                f(*then, Silent);
                f(*otherwise, Silent);
            }
            NodeKind::Match {
                arms, otherwise, ..
            } => {
                for (_, t) in arms {
                    f(*t, Silent);
                }
                f(*otherwise, Silent);
            }
            NodeKind::Menu { input, keys } => {
                for &k in keys.iter().filter(|&&k| k != NONE) {
                    f(k, Input);
                }
                input_edges(input, &mut f);
            }
            NodeKind::Gather { input, next, .. } => {
                f(*next, Input);
                input_edges(input, &mut f);
            }
            NodeKind::Lookup {
                next,
                not_found,
                error,
                timeout,
                ..
            } => {
                f(*next, Silent);
                for t in [not_found, error, timeout].into_iter().flatten() {
                    f(*t, Silent);
                }
            }
            NodeKind::Call { next, .. } => f(*next, AfterCall),
            NodeKind::Goto { target } => f(*target, Silent),
            NodeKind::Reprompt { input } => f(*input, Reprompt),
            NodeKind::Enqueue { .. }
            | NodeKind::Transfer { .. }
            | NodeKind::Voicemail { .. }
            | NodeKind::Return { .. }
            | NodeKind::Hangup { .. } => {}
        }
    }
}

fn input_edges(input: &InputSpec, f: &mut impl FnMut(NodeId, Edge)) {
    for (_, t) in input.no_input.iter().chain(&input.no_match) {
        f(*t, Edge::Silent);
    }
    f(input.exhausted, Edge::Silent);
}
