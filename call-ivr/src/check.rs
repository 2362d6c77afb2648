//! Static checks, and compilation of a checked file into a [`Program`].
//!
//! Name resolution, types, menu and gather rules and schedules are checked
//! while compiling; then the node graph is analysed for unreachable
//! statements, traps (a reachable node from which no path ends the call),
//! loops no retry count bounds, and recursive or too-deep subflow calls.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::ast::{self, Arm, BinaryOp, ExprKind, Item, Key, StmtKind, UnaryOp};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::limits;
use crate::parser;
use crate::pattern::DigitPattern;
use crate::program::*;
use crate::schedule::BusinessHours;
use crate::source::{SourceFile, Span};
use crate::value::{Type, Value};

/// Parses and checks a file. The program is `Some` when there are no errors;
/// the diagnostics hold the errors and warnings either way.
pub fn compile(file: &SourceFile) -> (Option<Program>, Diagnostics) {
    let (tree, mut diags) = parser::parse(file);
    if diags.has_errors() {
        return (None, diags);
    }
    let (program, more) = check(file, &tree);
    diags.items.extend(more.items);
    diags.sort();
    cap(&mut diags);
    (program, diags)
}

/// Checks a parsed file and compiles it.
pub fn check(file: &SourceFile, tree: &ast::File) -> (Option<Program>, Diagnostics) {
    let mut c = Checker {
        nodes: Vec::new(),
        owner: Vec::new(),
        diags: Vec::new(),
        flows: HashMap::new(),
        schedules: HashMap::new(),
        tables: HashMap::new(),
        used_schedules: HashSet::new(),
        used_tables: HashSet::new(),
        languages: Vec::new(),
        suggestions: 0,
    };
    let program = c.run(file, tree);
    let mut diags = Diagnostics { items: c.diags };
    diags.sort();
    let errors = diags.has_errors();
    cap(&mut diags);
    if errors {
        (None, diags)
    } else {
        (program, diags)
    }
}

/// Keeps the first [`parser::ParseLimits::max_diagnostics`] diagnostics in
/// source order and says that the rest were dropped (E0017), as the parser
/// does; a file with only warnings gets the note as a warning, so that it
/// still compiles.
fn cap(diags: &mut Diagnostics) {
    let max = parser::ParseLimits::default().max_diagnostics;
    if diags.items.len() <= max {
        return;
    }
    let errors = diags.has_errors();
    diags.items.truncate(max);
    let at = diags.items.last().map_or(Span::default(), |d| d.span);
    let mut note = Diagnostic::new(
        Code::TOO_MANY_ERRORS,
        at,
        "too many diagnostics; the rest were dropped",
    );
    if !errors {
        note.severity = crate::diagnostic::Severity::Warning;
    }
    diags.items.push(note);
}

struct Checker {
    nodes: Vec<Node>,
    /// The statement before each node in its block, or the enclosing one.
    owner: Vec<Option<NodeId>>,
    diags: Vec<Diagnostic>,
    flows: HashMap<String, (u16, usize)>,
    schedules: HashMap<String, u16>,
    tables: HashMap<String, u16>,
    used_schedules: HashSet<u16>,
    used_tables: HashSet<u16>,
    /// Languages set with literal `language "xx"` or `in "xx"`.
    languages: Vec<(String, Span)>,
    /// "Did you mean" searches made so far (see [`MAX_SUGGESTIONS`]).
    suggestions: u32,
}

/// The most "did you mean" searches one file gets: each compares a name
/// with every candidate, so a file with thousands of unknown names among
/// thousands of known ones would otherwise take quadratic time.
const MAX_SUGGESTIONS: u32 = 100;

/// The most flows, schedules or prompt tables in a file, and variables in a
/// flow: they are numbered with 16 bits.
const MAX_INDEXED: usize = u16::MAX as usize;

/// The most names a help text lists.
const MAX_LISTED: usize = 10;

/// `a, b, c`, or the first [`MAX_LISTED`] names and how many more.
fn listed(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(MAX_LISTED).copied().collect();
    match names.len().saturating_sub(MAX_LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

struct FlowCx {
    flow: u16,
    is_main: bool,
    vars: HashMap<String, (Slot, Option<Type>)>,
    labels: HashMap<String, NodeId>,
    gotos: Vec<(NodeId, ast::Name)>,
    slots: u16,
}

fn fnv(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Checker {
    /// Whether one more "did you mean" search fits [`MAX_SUGGESTIONS`].
    fn may_suggest(&mut self) -> bool {
        self.suggestions = self.suggestions.saturating_add(1);
        self.suggestions <= MAX_SUGGESTIONS
    }

    fn err(&mut self, code: Code, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, span, msg));
    }

    fn push(&mut self, kind: NodeKind, span: Span, flow: u16, owner: Option<NodeId>) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node { kind, span, flow });
        self.owner.push(owner);
        id
    }

    fn set(&mut self, id: NodeId, kind: NodeKind) {
        if let Some(n) = self.nodes.get_mut(id as usize) {
            n.kind = kind;
        }
    }

    fn run(&mut self, file: &SourceFile, tree: &ast::File) -> Option<Program> {
        // Declarations first, so uses may come before definitions.
        let mut schedules = Vec::new();
        let mut prompts = Vec::new();
        let mut tests = Vec::new();
        let mut flows = Vec::new();
        let mut names: HashMap<(u8, String), Span> = HashMap::new();
        for item in &tree.items {
            let (kind, name, what) = match item {
                Item::Flow(f) => (0, &f.name.text, f.name.span),
                Item::Schedule(s) => (1, &s.name.text, s.name.span),
                Item::Prompt(p) => (2, &p.name.text, p.name.span),
                Item::Test(t) => (3, &t.name.as_plain().unwrap_or_default(), t.name.span),
            };
            if let Some(first) = names.insert((kind, name.clone()), what) {
                let loc = file.location(first.start).map(|l| l.line).unwrap_or(0);
                self.diags.push(
                    Diagnostic::new(
                        Code::DUPLICATE_NAME,
                        what,
                        format!("`{name}` is defined twice"),
                    )
                    .with_help(format!("the first definition is on line {loc}")),
                );
                continue;
            }
            // Flows, schedules and tables are numbered with 16 bits.
            let (count, kind) = match item {
                Item::Flow(_) => (flows.len(), "flows"),
                Item::Schedule(_) => (schedules.len(), "schedules"),
                Item::Prompt(_) => (prompts.len(), "prompt tables"),
                Item::Test(_) => (0, "tests"),
            };
            if count >= MAX_INDEXED {
                self.err(
                    Code::TOO_MANY_NODES,
                    what,
                    format!("a file has at most {MAX_INDEXED} {kind}"),
                );
                continue;
            }
            match item {
                Item::Flow(f) => {
                    self.flows
                        .insert(f.name.text.clone(), (flows.len() as u16, f.params.len()));
                    flows.push(f);
                }
                Item::Schedule(s) => {
                    let hours = BusinessHours::from_ast(s, &mut self.diags);
                    self.schedules
                        .insert(s.name.text.clone(), schedules.len() as u16);
                    schedules.push((s.name.text.clone(), hours, s.name.span));
                }
                Item::Prompt(p) => {
                    let mut seen = HashSet::new();
                    let mut entries = Vec::new();
                    for (lang, body) in &p.entries {
                        if !seen.insert(lang.text.clone()) {
                            self.err(
                                Code::DUPLICATE_SETTING,
                                lang.span,
                                format!("language `{}` is given twice", lang.text),
                            );
                        }
                        let body = match body {
                            ast::Prompt::Text(s) => PromptBody::Text(self.static_text(s)),
                            ast::Prompt::Audio(s) => PromptBody::Audio(self.static_text(s)),
                            ast::Prompt::Table(n) => {
                                self.err(
                                    Code::MISPLACED,
                                    n.span,
                                    "a prompt table entry is text or audio",
                                );
                                continue;
                            }
                        };
                        entries.push((Arc::<str>::from(lang.text.as_str()), body));
                    }
                    self.tables
                        .insert(p.name.text.clone(), prompts.len() as u16);
                    prompts.push((PromptTable { entries }, p));
                }
                Item::Test(t) => tests.push(t.clone()),
            }
        }
        let Some(&(main, _)) = self.flows.get("main") else {
            self.err(
                Code::NO_MAIN,
                Span::new(0, 0),
                "there is no `flow main`: calls start there",
            );
            return None;
        };
        let mut infos = Vec::new();
        for (index, flow) in flows.iter().enumerate() {
            infos.push(self.flow(index as u16, flow, index as u16 == main));
        }
        if self.diags.iter().any(Diagnostic::is_error) {
            return None;
        }
        self.analyse(&infos, &flows, main);
        for (name, _, span) in &schedules {
            let used = self
                .schedules
                .get(name)
                .is_some_and(|i| self.used_schedules.contains(i));
            if !used {
                self.err(
                    Code::UNUSED_SCHEDULE,
                    *span,
                    format!("schedule `{name}` is never used"),
                );
            }
        }
        // One entry per language, so each table is compared with each
        // language once rather than with every `language` statement.
        self.languages.sort_by(|a, b| a.0.cmp(&b.0));
        self.languages.dedup_by(|a, b| a.0 == b.0);
        for (table, ast_table) in &prompts {
            let index = self.tables.get(&ast_table.name.text).copied();
            if !index.is_some_and(|i| self.used_tables.contains(&i)) {
                self.err(
                    Code::UNUSED_SCHEDULE,
                    ast_table.name.span,
                    format!("prompt table `{}` is never used", ast_table.name.text),
                );
                continue;
            }
            let mut missing: Vec<&str> = self
                .languages
                .iter()
                .map(|(l, _)| l.as_str())
                .filter(|l| !table.entries.iter().any(|(e, _)| &**e == *l))
                .collect();
            missing.sort_unstable();
            missing.dedup();
            if !missing.is_empty() {
                self.err(
                    Code::MISSING_TRANSLATION,
                    ast_table.name.span,
                    format!(
                        "prompt table `{}` has no entry for {}; the first entry is spoken instead",
                        ast_table.name.text,
                        listed(&missing)
                    ),
                );
            }
        }
        if self.diags.iter().any(Diagnostic::is_error) {
            return None;
        }
        Some(Program {
            nodes: std::mem::take(&mut self.nodes),
            flows: infos,
            main,
            schedules: schedules
                .into_iter()
                .filter_map(|(n, h, _)| Some((n, h?)))
                .collect(),
            prompts: prompts.into_iter().map(|(t, _)| t).collect(),
            tests,
            fingerprint: fnv(file.text()),
        })
    }

    fn static_text(&mut self, s: &ast::StrLit) -> Text {
        match s.as_plain() {
            Some(t) => Text::Lit(t.into()),
            None => {
                self.err(
                    Code::MISPLACED,
                    s.span,
                    "prompt tables hold fixed text; use `{...}` in a `say` instead",
                );
                Text::Lit("".into())
            }
        }
    }

    // ---- flows ----------------------------------------------------------

    fn flow(&mut self, index: u16, flow: &ast::Flow, is_main: bool) -> FlowInfo {
        let mut cx = FlowCx {
            flow: index,
            is_main,
            vars: HashMap::new(),
            labels: HashMap::new(),
            gotos: Vec::new(),
            slots: 0,
        };
        if is_main && !flow.params.is_empty() {
            self.err(Code::BAD_MAIN, flow.name.span, "`main` takes no parameters");
        }
        for p in &flow.params {
            if cx.vars.contains_key(&p.text) {
                self.err(
                    Code::DUPLICATE_NAME,
                    p.span,
                    format!("parameter `{}` is given twice", p.text),
                );
                continue;
            }
            self.declare(&mut cx, p, Some(Type::Any));
        }
        self.collect_vars(&mut cx, &flow.body);
        let end_kind = if is_main {
            NodeKind::Hangup {
                reason: Text::Lit("normal".into()),
            }
        } else {
            NodeKind::Return { value: None }
        };
        let end = self.push(end_kind, flow.span, index, None);
        let entry = self.block(&mut cx, &flow.body, end, None);
        // Sorted once per flow, not once per unknown label.
        let mut known: Option<Vec<&str>> = None;
        for (node, name) in std::mem::take(&mut cx.gotos) {
            match cx.labels.get(&name.text) {
                Some(&target) => self.set(node, NodeKind::Goto { target }),
                None => {
                    let known = known.get_or_insert_with(|| {
                        let mut k: Vec<&str> = cx.labels.keys().map(String::as_str).collect();
                        k.sort_unstable();
                        k
                    });
                    let near = if self.may_suggest() {
                        crate::diagnostic::closest(&name.text, known.iter().copied())
                    } else {
                        None
                    };
                    let help = if let Some(near) = near {
                        format!("did you mean `{near}`?")
                    } else if known.is_empty() {
                        format!(
                            "flow `{}` has no labels; mark a statement with `name:`",
                            flow.name.text
                        )
                    } else {
                        format!("labels in flow `{}`: {}", flow.name.text, listed(known))
                    };
                    self.diags.push(
                        Diagnostic::new(
                            Code::UNKNOWN_LABEL,
                            name.span,
                            format!("unknown label `{}`", name.text),
                        )
                        .with_help(help),
                    );
                }
            }
        }
        FlowInfo {
            name: flow.name.text.clone(),
            entry,
            slots: cx.slots,
        }
    }

    fn declare(&mut self, cx: &mut FlowCx, name: &ast::Name, ty: Option<Type>) {
        if matches!(name.text.as_str(), "caller" | "language") {
            self.err(
                Code::READ_ONLY,
                name.span,
                format!("`{}` is built in and cannot be assigned", name.text),
            );
            return;
        }
        if let Some(entry) = cx.vars.get_mut(&name.text) {
            match (entry.1, ty) {
                (Some(have), Some(want)) if !have.fits(want) || !want.fits(have) => {
                    let msg = format!("`{}` holds {have} elsewhere but {want} here", name.text);
                    self.err(Code::TYPE_MISMATCH, name.span, msg);
                }
                (None, Some(t)) => entry.1 = Some(t),
                _ => {}
            }
            return;
        }
        // Variables are numbered with 16 bits.
        if usize::from(cx.slots) >= MAX_INDEXED {
            self.err(
                Code::TOO_MANY_NODES,
                name.span,
                format!("a flow has at most {MAX_INDEXED} variables"),
            );
            return;
        }
        cx.vars.insert(name.text.clone(), (cx.slots, ty));
        cx.slots = cx.slots.saturating_add(1);
    }

    /// Declares every variable the flow assigns (types of `set` come later).
    fn collect_vars(&mut self, cx: &mut FlowCx, stmts: &[ast::Stmt]) {
        for s in stmts {
            match &s.kind {
                StmtKind::Set(n, _) => self.declare(cx, n, None),
                StmtKind::Gather(g) => {
                    self.declare(cx, &g.var, Some(Type::Str));
                    self.collect_input_arms(cx, &g.rules);
                }
                StmtKind::Record(n, _) => self.declare(cx, n, Some(Type::Str)),
                StmtKind::Lookup(l) => {
                    self.declare(cx, &l.var, Some(Type::Record));
                    for h in &l.handlers {
                        self.collect_arm(cx, &h.arm);
                    }
                }
                StmtKind::Call(_, _, Some(n)) => self.declare(cx, n, None),
                StmtKind::If(branches, otherwise) => {
                    for (_, a) in branches {
                        self.collect_arm(cx, a);
                    }
                    if let Some(a) = otherwise {
                        self.collect_arm(cx, a);
                    }
                }
                StmtKind::Match(_, arms, otherwise) => {
                    for a in arms {
                        self.collect_arm(cx, &a.arm);
                    }
                    if let Some(a) = otherwise {
                        self.collect_arm(cx, a);
                    }
                }
                StmtKind::Menu(m) => {
                    for c in &m.choices {
                        self.collect_arm(cx, &c.arm);
                    }
                    self.collect_input_arms(cx, &m.rules);
                }
                _ => {}
            }
        }
    }

    fn collect_input_arms(&mut self, cx: &mut FlowCx, rules: &ast::InputRules) {
        for h in &rules.handlers {
            self.collect_arm(cx, &h.arm);
        }
        if let Some(a) = &rules.exhausted {
            self.collect_arm(cx, a);
        }
    }

    fn collect_arm(&mut self, cx: &mut FlowCx, arm: &Arm) {
        if let Arm::Block(b) = arm {
            self.collect_vars(cx, b);
        }
    }

    fn block(
        &mut self,
        cx: &mut FlowCx,
        stmts: &[ast::Stmt],
        cont: NodeId,
        owner: Option<NodeId>,
    ) -> NodeId {
        let mut ids = Vec::with_capacity(stmts.len());
        let mut prev = owner;
        for s in stmts {
            let id = self.push(NodeKind::Nop { next: cont }, s.span, cx.flow, prev);
            ids.push(id);
            prev = Some(id);
        }
        for (k, s) in stmts.iter().enumerate() {
            let next = ids.get(k + 1).copied().unwrap_or(cont);
            let id = ids.get(k).copied().unwrap_or(cont);
            let kind = self.stmt(cx, s, id, next);
            self.set(id, kind);
        }
        ids.first().copied().unwrap_or(cont)
    }

    fn arm(&mut self, cx: &mut FlowCx, arm: &Arm, cont: NodeId, owner: NodeId) -> NodeId {
        match arm {
            Arm::Goto(name) => {
                let id = self.push(
                    NodeKind::Goto { target: cont },
                    name.span,
                    cx.flow,
                    Some(owner),
                );
                cx.gotos.push((id, name.clone()));
                id
            }
            Arm::Block(b) => self.block(cx, b, cont, Some(owner)),
        }
    }

    fn stmt(&mut self, cx: &mut FlowCx, s: &ast::Stmt, id: NodeId, next: NodeId) -> NodeKind {
        match &s.kind {
            StmtKind::Label(name) => {
                if cx.labels.insert(name.text.clone(), id).is_some() {
                    self.err(
                        Code::DUPLICATE_LABEL,
                        name.span,
                        format!("label `{}` is defined twice in this flow", name.text),
                    );
                }
                NodeKind::Nop { next }
            }
            StmtKind::Say(p, o) => NodeKind::Say {
                prompt: self.prompt(cx, p, o),
                next,
            },
            StmtKind::Language(e) => {
                if let ExprKind::Str(s) = &e.kind
                    && let Some(t) = s.as_plain()
                {
                    self.languages.push((t, e.span));
                }
                let expr = self.expect_type(cx, e, Type::Str, "a language");
                NodeKind::Language { expr, next }
            }
            StmtKind::Set(name, e) => {
                let (expr, ty) = self.expr(cx, e);
                self.declare(cx, name, Some(ty));
                let slot = cx.vars.get(&name.text).map_or(0, |v| v.0);
                NodeKind::Set { slot, expr, next }
            }
            StmtKind::If(branches, otherwise) => {
                let mut else_target = match otherwise {
                    Some(a) => self.arm(cx, a, next, id),
                    None => next,
                };
                // Build the chain from the last branch backwards.
                let mut first = None;
                for (k, (cond, arm)) in branches.iter().enumerate().rev() {
                    let c = self.expect_type(cx, cond, Type::Bool, "a condition");
                    let then = self.arm(cx, arm, next, id);
                    let kind = NodeKind::Branch {
                        cond: c,
                        then,
                        otherwise: else_target,
                    };
                    if k == 0 {
                        first = Some(kind);
                    } else {
                        else_target = self.push(kind, cond.span, cx.flow, Some(id));
                    }
                }
                first.unwrap_or(NodeKind::Nop { next })
            }
            StmtKind::Match(subject, arms, otherwise) => {
                let (subj, sty) = self.expr(cx, subject);
                let mut out = Vec::new();
                let mut seen: Vec<Value> = Vec::new();
                for a in arms {
                    let target = self.arm(cx, &a.arm, next, id);
                    for v in &a.values {
                        let (c, ty) = self.expr(cx, v);
                        if !ty.fits(sty) {
                            self.err(
                                Code::TYPE_MISMATCH,
                                v.span,
                                format!("matching {sty} against {ty}"),
                            );
                        }
                        if let Expr::Lit(value) = c {
                            if seen.contains(&value) {
                                self.err(
                                    Code::DUPLICATE_KEY,
                                    v.span,
                                    "this value is matched twice",
                                );
                            }
                            seen.push(value.clone());
                            out.push((value, target));
                        }
                    }
                }
                let otherwise = match otherwise {
                    Some(a) => self.arm(cx, a, next, id),
                    None => next,
                };
                NodeKind::Match {
                    subject: subj,
                    arms: out,
                    otherwise,
                }
            }
            StmtKind::Menu(m) => self.menu(cx, m, id, next, s.span),
            StmtKind::Gather(g) => self.gather(cx, g, id, next),
            StmtKind::Lookup(l) => {
                let (key, _) = self.expr(cx, &l.key);
                let timeout_ms = self.duration(l.timeout, limits::DEFAULT_LOOKUP_TIMEOUT_MS);
                let mut targets = [None, None, None];
                let mut has = [false; 3];
                for h in &l.handlers {
                    let i = match h.event.text.as_str() {
                        "not-found" => 0,
                        "error" => 1,
                        _ => 2,
                    };
                    if let Some(c) = h.count {
                        self.err(Code::BAD_HANDLER, c.span, "lookup handlers take no count");
                    }
                    if has.get(i).copied().unwrap_or(false) {
                        self.err(Code::BAD_HANDLER, h.span, "this handler is given twice");
                    }
                    if let Some(h2) = has.get_mut(i) {
                        *h2 = true;
                    }
                    let t = self.arm(cx, &h.arm, next, id);
                    if let Some(slot) = targets.get_mut(i) {
                        *slot = Some(t);
                    }
                }
                if !has[1] || !has[2] {
                    self.diags.push(
                        Diagnostic::new(
                            Code::UNHANDLED_LOOKUP,
                            l.source.span,
                            "this lookup does not handle `error` and `timeout`",
                        )
                        .with_help("without a handler the flow goes on with an empty record"),
                    );
                }
                let [not_found, error, timeout] = targets;
                NodeKind::Lookup {
                    source: l.source.text.as_str().into(),
                    key,
                    slot: cx.vars.get(&l.var.text).map_or(0, |v| v.0),
                    timeout_ms,
                    next,
                    not_found,
                    error,
                    timeout,
                }
            }
            StmtKind::Enqueue(e) => {
                let priority = e
                    .priority
                    .as_ref()
                    .map(|p| self.expect_type(cx, p, Type::Int, "a priority"));
                let skills = e
                    .skills
                    .iter()
                    .map(|s| self.expect_type(cx, s, Type::Str, "a skill"))
                    .collect();
                let attributes = e
                    .attributes
                    .iter()
                    .map(|(n, v)| (Arc::<str>::from(n.text.as_str()), self.expr(cx, v).0))
                    .collect();
                NodeKind::Enqueue {
                    queue: e.queue.text.as_str().into(),
                    priority,
                    skills,
                    attributes,
                }
            }
            StmtKind::Transfer(target, dest) => NodeKind::Transfer {
                target: *target,
                dest: self.expect_type(cx, dest, Type::Str, "a destination"),
            },
            StmtKind::Record(name, o) => NodeKind::Record {
                slot: cx.vars.get(&name.text).map_or(0, |v| v.0),
                spec: self.record_spec(o, limits::DEFAULT_RECORD_MAX_MS),
                next,
            },
            StmtKind::Voicemail(mailbox, o) => NodeKind::Voicemail {
                mailbox: self.expect_type(cx, mailbox, Type::Str, "a mailbox"),
                spec: self.record_spec(o, limits::DEFAULT_VOICEMAIL_MAX_MS),
            },
            StmtKind::Call(name, args, result) => {
                let compiled: Vec<Expr> = args.iter().map(|a| self.expr(cx, a).0).collect();
                let flow = match self.flows.get(&name.text) {
                    Some(&(f, arity)) => {
                        if arity != args.len() {
                            self.err(
                                Code::ARITY,
                                name.span,
                                format!(
                                    "`{}` takes {arity} argument(s) but {} are given",
                                    name.text,
                                    args.len()
                                ),
                            );
                        }
                        f
                    }
                    None => {
                        self.err(
                            Code::UNKNOWN_FLOW,
                            name.span,
                            format!("unknown flow `{}`", name.text),
                        );
                        0
                    }
                };
                NodeKind::Call {
                    flow,
                    args: compiled,
                    result: result
                        .as_ref()
                        .and_then(|r| cx.vars.get(&r.text).map(|v| v.0)),
                    next,
                }
            }
            StmtKind::Return(value) => {
                if cx.is_main {
                    self.err(
                        Code::BAD_MAIN,
                        s.span,
                        "`main` cannot return; end the call with hangup, transfer, enqueue or voicemail",
                    );
                }
                NodeKind::Return {
                    value: value.as_ref().map(|v| self.expr(cx, v).0),
                }
            }
            StmtKind::Goto(name) => {
                cx.gotos.push((id, name.clone()));
                NodeKind::Goto { target: next }
            }
            StmtKind::Hangup(reason) => NodeKind::Hangup {
                reason: match reason {
                    Some(r) => self.text(cx, r),
                    None => Text::Lit("normal".into()),
                },
            },
        }
    }

    fn duration(&mut self, d: Option<ast::Duration>, default: u32) -> u32 {
        match d {
            Some(d) if d.ms == 0 => {
                self.err(
                    Code::ZERO_DURATION,
                    d.span,
                    "a zero duration never lets the caller act",
                );
                default
            }
            Some(d) => d.ms,
            None => default,
        }
    }

    fn record_spec(&mut self, o: &ast::RecordOptions, default_max: u32) -> RecordSpec {
        RecordSpec {
            max_ms: self.duration(o.max, default_max),
            beep: o.beep.unwrap_or(true),
            finish: Some(o.finish.map_or('#', |(k, _)| k.as_char())),
        }
    }

    fn prompt(&mut self, cx: &mut FlowCx, p: &ast::Prompt, o: &ast::PromptOptions) -> PromptSpec {
        let body = match p {
            ast::Prompt::Text(s) => PromptBody::Text(self.text(cx, s)),
            ast::Prompt::Audio(s) => PromptBody::Audio(self.text(cx, s)),
            ast::Prompt::Table(name) => match self.tables.get(&name.text) {
                Some(&t) => {
                    self.used_tables.insert(t);
                    PromptBody::Table(t)
                }
                None => {
                    self.err(
                        Code::UNKNOWN_PROMPT,
                        name.span,
                        format!("unknown prompt table `{}`", name.text),
                    );
                    PromptBody::Text(Text::Lit("".into()))
                }
            },
        };
        let language = o.language.as_ref().and_then(|l| l.as_plain());
        if let (Some(l), Some(s)) = (&language, &o.language) {
            self.languages.push((l.clone(), s.span));
        }
        PromptSpec {
            body,
            voice: o.voice.as_ref().and_then(|v| v.as_plain()).map(Arc::from),
            language: language.map(Arc::from),
            barge_in: o.barge_in.unwrap_or(true),
        }
    }

    fn text(&mut self, cx: &mut FlowCx, s: &ast::StrLit) -> Text {
        if let Some(plain) = s.as_plain() {
            return Text::Lit(plain.into());
        }
        let mut parts = Vec::new();
        for part in &s.parts {
            match part {
                ast::StrPart::Text(t) => parts.push(TextPart::Lit(t.as_str().into())),
                ast::StrPart::Var(path) => {
                    let span = match (path.first(), path.last()) {
                        (Some(a), Some(b)) => Span::new(a.span.start, b.span.end),
                        _ => s.span,
                    };
                    let (e, _) = self.path(cx, path, span);
                    parts.push(TextPart::Expr(e));
                }
            }
        }
        Text::Parts(parts)
    }

    fn input(
        &mut self,
        cx: &mut FlowCx,
        rules: &ast::InputRules,
        prompt: Option<PromptSpec>,
        id: NodeId,
        next: NodeId,
        span: Span,
    ) -> InputSpec {
        let timeout_ms = self.duration(rules.timeout, limits::DEFAULT_INPUT_TIMEOUT_MS);
        let retries = match rules.retries {
            Some(n) if n.value > limits::MAX_RETRIES => {
                self.err(
                    Code::TOO_MANY_RETRIES,
                    n.span,
                    format!("at most {} retries are allowed", limits::MAX_RETRIES),
                );
                limits::DEFAULT_RETRIES
            }
            Some(n) => n.value.clamp(0, limits::MAX_RETRIES) as u8,
            None => limits::DEFAULT_RETRIES,
        };
        let reprompt = self.push(NodeKind::Reprompt { input: id }, span, cx.flow, Some(id));
        let mut no_input = Vec::new();
        let mut no_match = Vec::new();
        for h in &rules.handlers {
            let count = match h.count {
                Some(c) if c.value < 1 || c.value > i64::from(u32::MAX) => {
                    self.err(Code::BAD_HANDLER, c.span, "a handler count starts at 1");
                    1
                }
                Some(c) => c.value as u32,
                None => 1,
            };
            let target = self.arm(cx, &h.arm, reprompt, id);
            let list = if h.event.text == "no-input" {
                &mut no_input
            } else {
                &mut no_match
            };
            if list.iter().any(|&(c, _)| c == count) {
                self.err(
                    Code::BAD_HANDLER,
                    h.span,
                    format!("two `on {}` handlers for the same count", h.event.text),
                );
            }
            list.push((count, target));
        }
        no_input.sort_by_key(|&(c, _)| c);
        no_match.sort_by_key(|&(c, _)| c);
        let exhausted = match &rules.exhausted {
            Some(a) => self.arm(cx, a, next, id),
            None => self.push(
                NodeKind::Hangup {
                    reason: Text::Lit("retries-exhausted".into()),
                },
                span,
                cx.flow,
                Some(id),
            ),
        };
        InputSpec {
            prompt,
            timeout_ms,
            retries,
            no_input,
            no_match,
            exhausted,
        }
    }

    fn menu(
        &mut self,
        cx: &mut FlowCx,
        m: &ast::Menu,
        id: NodeId,
        next: NodeId,
        span: Span,
    ) -> NodeKind {
        let prompt = self.prompt(cx, &m.prompt, &m.options);
        let mut keys = [NONE; 12];
        if m.choices.is_empty() {
            self.err(
                Code::MENU_NO_OPTIONS,
                span,
                "this menu has no `KEY -> label` choices",
            );
        }
        for c in &m.choices {
            let target = self.arm(cx, &c.arm, next, id);
            let Some(slot) = key_index(c.key.as_char()).and_then(|i| keys.get_mut(i)) else {
                continue;
            };
            if *slot != NONE {
                self.err(
                    Code::DUPLICATE_KEY,
                    c.key_span,
                    format!("key {} is used twice in this menu", c.key.as_char()),
                );
            }
            *slot = target;
        }
        let input = self.input(cx, &m.rules, Some(prompt), id, next, span);
        NodeKind::Menu {
            input: Box::new(input),
            keys,
        }
    }

    fn gather(&mut self, cx: &mut FlowCx, g: &ast::Gather, id: NodeId, next: NodeId) -> NodeKind {
        let prompt = g.prompt.as_ref().map(|p| self.prompt(cx, p, &g.options));
        let pattern = g.pattern.as_ref().and_then(|p| {
            let text = p.as_plain().unwrap_or_default();
            match DigitPattern::parse(&text) {
                Ok(pat) => Some(pat),
                Err(e) => {
                    self.diags.push(
                        Diagnostic::new(
                            Code::BAD_PATTERN,
                            p.span,
                            format!("bad digit pattern: {e}"),
                        )
                        .with_help(
                            "X any digit, Z 1-9, N 2-9, [1-5] a class, a final . one or more",
                        ),
                    );
                    None
                }
            }
        });
        let (min, max) = match g.digits {
            None => match &pattern {
                Some(p) => {
                    let (lo, hi) = p.length_bounds();
                    if lo as i64 > limits::MAX_DIGITS
                        && let Some(text) = &g.pattern
                    {
                        self.err(
                            Code::BAD_DIGIT_COUNT,
                            text.span,
                            format!(
                                "this pattern needs at least {lo} digits; a gather takes 1 to {}",
                                limits::MAX_DIGITS
                            ),
                        );
                    }
                    (
                        lo.max(1) as i64,
                        hi.map_or(limits::MAX_DIGITS, |h| h as i64),
                    )
                }
                None => (1, i64::from(limits::DEFAULT_MAX_DIGITS)),
            },
            Some((lo, hi)) => {
                let hi = hi.unwrap_or(lo);
                if lo.value < 1 || hi.value > limits::MAX_DIGITS {
                    self.err(
                        Code::BAD_DIGIT_COUNT,
                        Span::new(lo.span.start, hi.span.end),
                        format!("a gather takes 1 to {} digits", limits::MAX_DIGITS),
                    );
                } else if lo.value > hi.value {
                    self.err(
                        Code::BAD_DIGIT_COUNT,
                        Span::new(lo.span.start, hi.span.end),
                        format!("the minimum {} is above the maximum {}", lo.value, hi.value),
                    );
                }
                (lo.value, hi.value)
            }
        };
        let terminator = match g.terminator {
            Some((key, span)) => {
                let accepted = match &pattern {
                    Some(p) => p.accepts_key(key.as_char()),
                    None => matches!(key, Key::Digit(_)),
                };
                if accepted {
                    self.diags.push(
                        Diagnostic::new(
                            Code::TERMINATOR_ACCEPTED,
                            span,
                            format!(
                                "the terminator {} is also a key this gather accepts",
                                key.as_char()
                            ),
                        )
                        .with_help("use * or # as the terminator, or narrow the pattern"),
                    );
                }
                Some(key.as_char())
            }
            None => match &pattern {
                Some(p) if p.accepts_key('#') => None,
                _ => Some('#'),
            },
        };
        let inter_ms = self.duration(g.inter_digit, limits::DEFAULT_INTER_DIGIT_MS);
        let input = self.input(cx, &g.rules, prompt, id, next, g.var.span);
        NodeKind::Gather {
            input: Box::new(input),
            slot: cx.vars.get(&g.var.text).map_or(0, |v| v.0),
            min: min.clamp(1, limits::MAX_DIGITS) as u8,
            max: max.clamp(1, limits::MAX_DIGITS) as u8,
            terminator,
            inter_ms,
            pattern,
            next,
        }
    }

    // ---- expressions ----------------------------------------------------

    fn expect_type(&mut self, cx: &mut FlowCx, e: &ast::Expr, want: Type, what: &str) -> Expr {
        let (c, ty) = self.expr(cx, e);
        if !ty.fits(want) {
            self.err(
                Code::TYPE_MISMATCH,
                e.span,
                format!("{what} must be {want}, but this is {ty}"),
            );
        }
        c
    }

    fn path(&mut self, cx: &mut FlowCx, path: &[ast::Name], span: Span) -> (Expr, Type) {
        let bad = (Expr::Lit(Value::Unset), Type::Any);
        let Some(first) = path.first() else {
            return bad;
        };
        if path.len() > 2 {
            self.err(
                Code::TYPE_MISMATCH,
                span,
                "records are flat: write `name.field`",
            );
            return bad;
        }
        let field = path.get(1);
        match (first.text.as_str(), field) {
            ("caller", None) => (Expr::Caller, Type::Record),
            ("caller", Some(f)) => (Expr::CallerField(f.text.as_str().into()), Type::Str),
            ("language", None) => (Expr::Language, Type::Str),
            (name, f) => match cx.vars.get(name) {
                Some(&(slot, ty)) => match f {
                    None => (Expr::Var(slot), ty.unwrap_or(Type::Any)),
                    Some(f) => {
                        let ty = ty.unwrap_or(Type::Any);
                        if !ty.fits(Type::Record) {
                            self.err(
                                Code::TYPE_MISMATCH,
                                span,
                                format!("`{name}` is {ty}, which has no fields"),
                            );
                        }
                        (Expr::Field(slot, f.text.as_str().into()), Type::Any)
                    }
                },
                None => {
                    let mut d = Diagnostic::new(
                        Code::UNKNOWN_VARIABLE,
                        first.span,
                        format!("unknown variable `{name}`"),
                    );
                    let near = if self.may_suggest() {
                        crate::diagnostic::closest(
                            name,
                            cx.vars
                                .keys()
                                .map(String::as_str)
                                .chain(["caller", "language"]),
                        )
                    } else {
                        None
                    };
                    if self.schedules.contains_key(name) {
                        d = d.with_help(format!("`{name}` is a schedule: write `open({name})`"));
                    } else if let Some(near) = near {
                        d = d.with_help(format!("did you mean `{near}`?"));
                    } else {
                        d = d.with_help("assign it with set, gather, lookup, record or call, or pass it as a parameter");
                    }
                    self.diags.push(d);
                    bad
                }
            },
        }
    }

    fn expr(&mut self, cx: &mut FlowCx, e: &ast::Expr) -> (Expr, Type) {
        match &e.kind {
            ExprKind::Int(i) => (Expr::Lit(Value::Int(*i)), Type::Int),
            ExprKind::Bool(b) => (Expr::Lit(Value::Bool(*b)), Type::Bool),
            ExprKind::Str(s) => match self.text(cx, s) {
                Text::Lit(t) => (Expr::Lit(Value::Str(t.to_string())), Type::Str),
                Text::Parts(parts) => {
                    // Interpolation in an expression: the parts joined.
                    let parts = parts
                        .into_iter()
                        .map(|p| match p {
                            TextPart::Lit(t) => Expr::Lit(Value::Str(t.to_string())),
                            TextPart::Expr(e) => e,
                        })
                        .collect();
                    (Expr::Concat(parts), Type::Str)
                }
            },
            ExprKind::Path(path) => self.path(cx, path, e.span),
            ExprKind::Unary(op, inner) => {
                let (want, what) = match op {
                    UnaryOp::Not => (Type::Bool, "`not` needs a boolean"),
                    UnaryOp::Neg => (Type::Int, "`-` needs an integer"),
                };
                let (c, ty) = self.expr(cx, inner);
                if !ty.fits(want) {
                    self.err(
                        Code::TYPE_MISMATCH,
                        inner.span,
                        format!("{what}, but this is {ty}"),
                    );
                }
                match op {
                    UnaryOp::Not => (Expr::Not(Box::new(c)), Type::Bool),
                    UnaryOp::Neg => (Expr::Neg(Box::new(c)), Type::Int),
                }
            }
            ExprKind::Binary(op, l, r) => {
                let (lc, lt) = self.expr(cx, l);
                let (rc, rt) = self.expr(cx, r);
                // A value of type any next to a string is joined as text,
                // whatever it holds at run time and on either side.
                if *op == BinaryOp::Add
                    && matches!((lt, rt), (Type::Any, Type::Str) | (Type::Str, Type::Any))
                {
                    return (Expr::Concat(vec![lc, rc]), Type::Str);
                }
                let ty = match op {
                    BinaryOp::And | BinaryOp::Or => {
                        for (side, t) in [(l, lt), (r, rt)] {
                            if !t.fits(Type::Bool) {
                                self.err(
                                    Code::TYPE_MISMATCH,
                                    side.span,
                                    format!("`{}` needs booleans, but this is {t}", op.symbol()),
                                );
                            }
                        }
                        Type::Bool
                    }
                    BinaryOp::Eq | BinaryOp::Ne => {
                        if !lt.fits(rt) {
                            self.err(
                                Code::TYPE_MISMATCH,
                                e.span,
                                format!("comparing {lt} with {rt} is always unequal"),
                            );
                        }
                        Type::Bool
                    }
                    BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                        for (side, t) in [(l, lt), (r, rt)] {
                            if !t.fits(Type::Int) {
                                self.err(
                                    Code::TYPE_MISMATCH,
                                    side.span,
                                    format!("`{}` compares integers, but this is {t}", op.symbol()),
                                );
                            }
                        }
                        Type::Bool
                    }
                    BinaryOp::Add => match (lt, rt) {
                        (Type::Int, Type::Int) => Type::Int,
                        (Type::Str, Type::Str) => Type::Str,
                        (Type::Any, t) | (t, Type::Any) if t == Type::Int || t == Type::Str => t,
                        (Type::Any, Type::Any) => Type::Any,
                        _ => {
                            self.err(
                                Code::TYPE_MISMATCH,
                                e.span,
                                format!("`+` adds integers or joins strings, not {lt} and {rt}"),
                            );
                            Type::Any
                        }
                    },
                    BinaryOp::Sub => {
                        for (side, t) in [(l, lt), (r, rt)] {
                            if !t.fits(Type::Int) {
                                self.err(
                                    Code::TYPE_MISMATCH,
                                    side.span,
                                    format!("`-` subtracts integers, but this is {t}"),
                                );
                            }
                        }
                        Type::Int
                    }
                };
                (Expr::Binary(*op, Box::new(lc), Box::new(rc)), ty)
            }
            ExprKind::Call(name, args) => self.function(cx, name, args, e.span),
        }
    }

    fn function(
        &mut self,
        cx: &mut FlowCx,
        name: &ast::Name,
        args: &[ast::Expr],
        span: Span,
    ) -> (Expr, Type) {
        let bad = (Expr::Lit(Value::Unset), Type::Any);
        let arity = match name.text.as_str() {
            "open" | "len" => 1,
            "starts_with" => 2,
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::UNKNOWN_FUNCTION,
                        name.span,
                        format!("unknown function `{}`", name.text),
                    )
                    .with_help("functions: open(schedule), len(text), starts_with(text, prefix)"),
                );
                return bad;
            }
        };
        if args.len() != arity {
            self.err(
                Code::ARITY,
                span,
                format!(
                    "`{}` takes {arity} argument(s), not {}",
                    name.text,
                    args.len()
                ),
            );
            return bad;
        }
        match (name.text.as_str(), args) {
            ("open", [arg]) => {
                let schedule = match &arg.kind {
                    ExprKind::Path(p) if p.len() == 1 => p.first(),
                    _ => None,
                };
                let Some(s) = schedule else {
                    self.err(
                        Code::UNKNOWN_SCHEDULE,
                        arg.span,
                        "`open` takes a schedule name",
                    );
                    return bad;
                };
                match self.schedules.get(&s.text) {
                    Some(&i) => {
                        self.used_schedules.insert(i);
                        (Expr::Open(i), Type::Bool)
                    }
                    None => {
                        self.err(
                            Code::UNKNOWN_SCHEDULE,
                            s.span,
                            format!("unknown schedule `{}`", s.text),
                        );
                        bad
                    }
                }
            }
            ("len", [arg]) => {
                let c = self.expect_type(cx, arg, Type::Str, "`len`'s argument");
                (Expr::Len(Box::new(c)), Type::Int)
            }
            ("starts_with", [a, b]) => {
                let a = self.expect_type(cx, a, Type::Str, "`starts_with`'s text");
                let b = self.expect_type(cx, b, Type::Str, "`starts_with`'s prefix");
                (Expr::StartsWith(Box::new(a), Box::new(b)), Type::Bool)
            }
            _ => bad,
        }
    }

    // ---- graph analyses -------------------------------------------------

    fn analyse(&mut self, infos: &[FlowInfo], flows: &[&ast::Flow], main: u16) {
        let n = self.nodes.len();
        // Call graph: recursion and depth.
        let mut calls: Vec<Vec<(u16, Span)>> = vec![Vec::new(); infos.len()];
        for node in &self.nodes {
            if let NodeKind::Call { flow, .. } = node.kind
                && let Some(list) = calls.get_mut(node.flow as usize)
            {
                list.push((flow, node.span));
            }
        }
        let (depths, order) = self.call_depths(&calls);
        if self.diags.iter().any(|d| d.code == Code::RECURSION) {
            return;
        }
        if let Some(d) = depths.get(main as usize)
            && *d > limits::MAX_CALL_DEPTH
        {
            let span = flows
                .get(main as usize)
                .map_or(Span::default(), |f| f.name.span);
            self.err(
                Code::CALL_TOO_DEEP,
                span,
                format!(
                    "subflow calls nest {d} deep; the limit is {}",
                    limits::MAX_CALL_DEPTH
                ),
            );
        }

        // Which flows can end the call, and which can return.
        let mut can_end = Marks::new(infos.len());
        let mut can_return = Marks::new(infos.len());
        // Callees come first in `order` (there is no recursion), so one pass
        // knows whether every callee can return before walking its callers.
        let mut reach = Marks::new(n);
        for &f in &order {
            let Some(info) = infos.get(f) else { continue };
            let (ends, returns) = self.walk(info.entry, &can_end, &can_return, &mut reach);
            can_end.put(f, ends);
            can_return.put(f, returns);
        }

        // Which flows are used at all: reachable calls, from main.
        let mut reached_calls: Vec<Vec<u16>> = vec![Vec::new(); infos.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            if let (true, NodeKind::Call { flow, .. }) = (reach.get(i), &node.kind)
                && let Some(list) = reached_calls.get_mut(node.flow as usize)
            {
                list.push(*flow);
            }
        }
        let mut used = Marks::new(infos.len());
        let mut todo = vec![main];
        while let Some(f) = todo.pop() {
            if used.set(f as usize) {
                continue;
            }
            if let Some(callees) = reached_calls.get(f as usize) {
                todo.extend(callees);
            }
        }
        for (f, flow) in flows.iter().enumerate() {
            if !used.get(f) {
                self.err(
                    Code::UNUSED_FLOW,
                    flow.name.span,
                    format!("flow `{}` is never called from `main`", flow.name.text),
                );
            }
        }

        // Unreachable statements: report the first of each run.
        let mut unreachable = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let owner = self.owner.get(i).copied().flatten();
            let owner_reached = owner.is_none_or(|o| reach.get(o as usize));
            let is_flow_end = owner.is_none()
                && infos
                    .get(node.flow as usize)
                    .is_some_and(|f| f.entry != i as NodeId);
            if !reach.get(i)
                && owner_reached
                && used.get(node.flow as usize)
                && !is_flow_end
                && !matches!(node.kind, NodeKind::Reprompt { .. })
            {
                unreachable.push(node.span);
            }
        }
        for span in unreachable {
            self.err(Code::UNREACHABLE, span, "no path reaches this statement");
        }

        // Traps: reachable nodes from which no end is reachable.
        let mut preds: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        for (i, node) in self.nodes.iter().enumerate() {
            node.kind.edges(|t, e| {
                let live = match (e, &node.kind) {
                    (Edge::AfterCall, NodeKind::Call { flow, .. }) => {
                        can_return.get(*flow as usize)
                    }
                    _ => true,
                };
                if live && let Some(p) = preds.get_mut(t as usize) {
                    p.push(i as NodeId);
                }
            });
        }
        let mut coreach = Marks::new(n);
        let mut stack: Vec<NodeId> = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let terminal = match &node.kind {
                NodeKind::Hangup { .. }
                | NodeKind::Transfer { .. }
                | NodeKind::Enqueue { .. }
                | NodeKind::Voicemail { .. }
                | NodeKind::Return { .. } => true,
                NodeKind::Call { flow, .. } => can_end.get(*flow as usize),
                _ => false,
            };
            if terminal {
                coreach.set(i);
                stack.push(i as NodeId);
            }
        }
        while let Some(t) = stack.pop() {
            for &p in preds.get(t as usize).map_or(&[][..], |v| v.as_slice()) {
                if !coreach.set(p as usize) {
                    stack.push(p);
                }
            }
        }
        let mut traps = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if !reach.get(i) || coreach.get(i) {
                continue;
            }
            let entry = infos
                .get(node.flow as usize)
                .is_some_and(|f| f.entry == i as NodeId);
            let boundary = entry
                || preds.get(i).is_some_and(|ps| {
                    ps.iter()
                        .any(|&p| reach.get(p as usize) && coreach.get(p as usize))
                });
            if boundary {
                traps.push(node.span);
            }
        }
        for span in traps {
            self.diags.push(
                Diagnostic::new(
                    Code::TRAP,
                    span,
                    "a caller who gets here can never leave: no path ends the call",
                )
                .with_help(
                    "give every path a way to hangup, transfer, enqueue, voicemail or return",
                ),
            );
        }

        // Loops a silent caller goes round forever.
        // Which flows can return without the caller choosing anything: only
        // calls to these are silent steps in a loop. Flows never share
        // nodes, so one set of marks serves every walk.
        let mut silent_return = Marks::new(infos.len());
        let mut seen = Marks::new(n);
        for &f in &order {
            let Some(info) = infos.get(f) else { continue };
            let mut returns = false;
            let mut stack = vec![info.entry];
            while let Some(i) = stack.pop() {
                if seen.set(i as usize) {
                    continue;
                }
                let Some(node) = self.nodes.get(i as usize) else {
                    continue;
                };
                returns |= matches!(node.kind, NodeKind::Return { .. });
                node.kind.edges(|t, e| {
                    if silent_edge(&node.kind, e, &silent_return) {
                        stack.push(t);
                    }
                });
            }
            silent_return.put(f, returns);
        }
        for scc in self.silent_cycles(&silent_return) {
            let mut first_input: Option<&Node> = None;
            let mut first_any: Option<&Node> = None;
            let mut has_cond = false;
            let mut reached = false;
            for &i in &scc {
                let Some(node) = self.nodes.get(i as usize) else {
                    continue;
                };
                reached |= reach.get(i as usize);
                let earlier = |f: Option<&Node>| f.is_none_or(|f| node.span.start < f.span.start);
                match node.kind {
                    NodeKind::Menu { .. } | NodeKind::Gather { .. } if earlier(first_input) => {
                        first_input = Some(node)
                    }
                    NodeKind::Branch { .. } | NodeKind::Match { .. } => has_cond = true,
                    _ => {}
                }
                if earlier(first_any) {
                    first_any = Some(node);
                }
            }
            if has_cond || !reached {
                continue;
            }
            let diagnostic = match (first_input, first_any) {
                (Some(input), _) => Diagnostic::new(
                    Code::UNBOUNDED_INPUT_LOOP,
                    input.span,
                    "a caller who stays silent or keeps pressing wrong keys loops here forever: \
                     the loop goes around the retry count",
                )
                .with_help(
                    "let a handler block end (it returns to the menu and counts a retry) \
                     instead of jumping back with `->`",
                ),
                (None, Some(node)) => Diagnostic::new(
                    Code::INFINITE_LOOP,
                    node.span,
                    "this loop has no input and no condition, so it never ends",
                ),
                (None, None) => continue,
            };
            self.diags.push(diagnostic);
        }
    }

    /// Walks a flow from `entry`, marking nodes reached; returns whether an
    /// end (its own, or in a subflow it calls) and a return are reachable.
    fn walk(
        &self,
        entry: NodeId,
        can_end: &Marks,
        can_return: &Marks,
        reach: &mut Marks,
    ) -> (bool, bool) {
        let mut ends = false;
        let mut returns = false;
        let mut stack = vec![entry];
        while let Some(i) = stack.pop() {
            if reach.set(i as usize) {
                continue;
            }
            let Some(node) = self.nodes.get(i as usize) else {
                continue;
            };
            match &node.kind {
                NodeKind::Hangup { .. }
                | NodeKind::Transfer { .. }
                | NodeKind::Enqueue { .. }
                | NodeKind::Voicemail { .. } => ends = true,
                NodeKind::Return { .. } => returns = true,
                NodeKind::Call { flow, .. } if can_end.get(*flow as usize) => ends = true,
                _ => {}
            }
            node.kind.edges(|t, e| {
                let live = match (e, &node.kind) {
                    (Edge::AfterCall, NodeKind::Call { flow, .. }) => {
                        can_return.get(*flow as usize)
                    }
                    _ => true,
                };
                if live {
                    stack.push(t);
                }
            });
        }
        (ends, returns)
    }

    /// The deepest chain of calls from each flow, by an iterative depth-first
    /// search; each call that closes a cycle is reported as recursion.
    /// Also returns the flows in post-order: every flow after the flows it
    /// calls.
    fn call_depths(&mut self, calls: &[Vec<(u16, Span)>]) -> (Vec<usize>, Vec<usize>) {
        const WHITE: u8 = 0;
        const GREY: u8 = 1;
        const BLACK: u8 = 2;
        let n = calls.len();
        let mut color = vec![WHITE; n];
        let mut depth = vec![0usize; n];
        let mut recursive = Vec::new();
        let mut order = Vec::with_capacity(n);
        let empty: &[(u16, Span)] = &[];
        let list = |f: usize| calls.get(f).map_or(empty, |v| v.as_slice());
        for root in 0..n {
            if color.get(root) != Some(&WHITE) {
                continue;
            }
            if let Some(c) = color.get_mut(root) {
                *c = GREY;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some((f, k)) = stack.last_mut() {
                let f = *f;
                if let Some(&(callee, span)) = list(f).get(*k) {
                    *k += 1;
                    let callee = usize::from(callee);
                    match color.get(callee).copied() {
                        Some(WHITE) => {
                            if let Some(c) = color.get_mut(callee) {
                                *c = GREY;
                            }
                            stack.push((callee, 0));
                        }
                        Some(GREY) => recursive.push(span),
                        _ => {}
                    }
                } else {
                    stack.pop();
                    order.push(f);
                    if let Some(c) = color.get_mut(f) {
                        *c = BLACK;
                    }
                    let d = list(f)
                        .iter()
                        .map(|&(c, _)| depth.get(usize::from(c)).copied().unwrap_or(0) + 1)
                        .max()
                        .unwrap_or(0);
                    if let Some(slot) = depth.get_mut(f) {
                        *slot = d;
                    }
                }
            }
        }
        recursive.sort_by_key(|s| (s.start, s.end));
        recursive.dedup();
        for span in recursive {
            self.err(
                Code::RECURSION,
                span,
                "this call is recursive: subflows may not call themselves, directly or not",
            );
        }
        (depth, order)
    }

    /// Strongly connected components with a cycle, over silent edges
    /// (iterative Tarjan, so deep flows cannot overflow the stack).
    fn silent_cycles(&self, silent_return: &Marks) -> Vec<Vec<NodeId>> {
        const UNSEEN: usize = usize::MAX;
        let n = self.nodes.len();
        // Adjacency in one vector: the successors of `i` are
        // `targets[starts[i]..starts[i + 1]]`.
        let mut starts = Vec::with_capacity(n + 1);
        let mut targets: Vec<usize> = Vec::with_capacity(n * 2);
        for node in &self.nodes {
            starts.push(targets.len());
            node.kind.edges(|t, e| {
                if silent_edge(&node.kind, e, silent_return) && (t as usize) < n {
                    targets.push(t as usize);
                }
            });
        }
        starts.push(targets.len());
        let succ = |i: usize| -> &[usize] {
            match (starts.get(i), starts.get(i + 1)) {
                (Some(&a), Some(&b)) => targets.get(a..b).unwrap_or_default(),
                _ => &[],
            }
        };
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0usize; n];
        let mut on_stack = Marks::new(n);
        let mut stack = Vec::new();
        let mut next_index = 0;
        let mut out = Vec::new();
        let get = |v: &[usize], i: usize| v.get(i).copied().unwrap_or(UNSEEN);
        let put = |v: &mut [usize], i: usize, x: usize| {
            if let Some(slot) = v.get_mut(i) {
                *slot = x;
            }
        };
        for root in 0..n {
            if get(&index, root) != UNSEEN {
                continue;
            }
            let mut work: Vec<(usize, &[usize], usize)> = vec![(root, succ(root), 0)];
            put(&mut index, root, next_index);
            put(&mut low, root, next_index);
            next_index += 1;
            stack.push(root);
            on_stack.put(root, true);
            while let Some((v, succs, k)) = work.last_mut() {
                let v = *v;
                if let Some(&w) = succs.get(*k) {
                    *k += 1;
                    if get(&index, w) == UNSEEN {
                        put(&mut index, w, next_index);
                        put(&mut low, w, next_index);
                        next_index += 1;
                        stack.push(w);
                        on_stack.put(w, true);
                        work.push((w, succ(w), 0));
                    } else if on_stack.get(w) {
                        let m = get(&low, v).min(get(&index, w));
                        put(&mut low, v, m);
                    }
                    continue;
                }
                work.pop();
                if let Some((parent, _, _)) = work.last() {
                    let p = *parent;
                    let m = get(&low, p).min(get(&low, v));
                    put(&mut low, p, m);
                }
                if get(&low, v) == get(&index, v) {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack.put(w, false);
                        comp.push(w as NodeId);
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 || succ(v).contains(&v) {
                        out.push(comp);
                    }
                }
            }
        }
        out
    }
}

/// Whether control follows edge `e` out of `kind` without the caller
/// choosing anything: a silent edge, or the way on after a call to a flow
/// that can return without input.
fn silent_edge(kind: &NodeKind, e: Edge, silent_return: &Marks) -> bool {
    match (e, kind) {
        (Edge::Silent, _) => true,
        (Edge::AfterCall, NodeKind::Call { flow, .. }) => silent_return.get(usize::from(*flow)),
        _ => false,
    }
}

/// One flag per node or flow; out-of-range reads are false.
struct Marks(Vec<bool>);

impl Marks {
    fn new(n: usize) -> Self {
        Marks(vec![false; n])
    }

    fn get(&self, i: usize) -> bool {
        self.0.get(i).copied().unwrap_or(false)
    }

    fn put(&mut self, i: usize, value: bool) {
        if let Some(m) = self.0.get_mut(i) {
            *m = value;
        }
    }

    /// Sets the flag; returns whether it was set already.
    fn set(&mut self, i: usize) -> bool {
        self.0.get_mut(i).is_none_or(|m| std::mem::replace(m, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        let file = SourceFile::new("t.ivr", text).unwrap();
        let (_, d) = compile(&file);
        d.items.iter().map(|d| d.code.0).collect()
    }

    #[test]
    fn a_clean_flow_has_no_diagnostics() {
        let text = "schedule hours\n  timezone \"Europe/London\"\n  mon-fri 09:00-17:00\nflow main\n  if not open(hours) -> closed\n  menu \"Press 1\"\n    1 -> sales\n    retries 2 then -> closed\n  sales:\n  enqueue sales\n  closed:\n  hangup \"closed\"\n";
        assert_eq!(codes(text), Vec::<&str>::new());
    }

    #[test]
    fn the_sample_from_the_design_compiles() {
        let text = "schedule support_hours\n  timezone \"America/New_York\"\n  mon-fri 09:00-17:00\nflow main\n  say \"Thanks for calling Acme.\"\n  lookup crm caller.number -> customer\n  if not open(support_hours) -> closed\n  menu \"For sales press 1. For support press 2.\"\n    1 -> sales\n    2 -> support\n    retries 3, then voicemail\n  sales:\n  enqueue sales\n  support:\n  enqueue support\n  closed:\n  voicemail:\n  voicemail \"general\"\n";
        // Only the warning that the lookup has no error or timeout handler.
        assert_eq!(codes(text), vec!["W0003"]);
    }

    #[test]
    fn unknown_names_are_errors() {
        let text = "flow main\n  goto nowhere\n  call sub(1)\n  set x = y\n  if open(h) -> nowhere\n  say greeting\n";
        assert_eq!(
            codes(text),
            vec!["E0103", "E0104", "E0105", "E0106", "E0103", "E0107"]
        );
    }

    #[test]
    fn traps_and_loops_are_found() {
        let trap = "flow main\n  top:\n  menu \"x\"\n    1 -> top\n    retries 1 then -> top\n";
        let c = codes(trap);
        assert!(c.contains(&"E0201"), "{c:?}");
        assert!(c.contains(&"E0202"), "{c:?}");
        let spin = "flow main\n  a:\n  say \"x\"\n  goto a\n";
        let c = codes(spin);
        assert!(c.contains(&"E0203"), "{c:?}");
        // A handler block returns to the menu: bounded, no error.
        let ok = "flow main\n  menu \"x\"\n    1 -> done\n    on no-input\n      say \"Sorry\"\n  done:\n  hangup\n";
        assert_eq!(codes(ok), Vec::<&str>::new());
        // A counter-guarded loop is accepted.
        let counted = "flow main\n  set n = 0\n  top:\n  set n = n + 1\n  if n > 3 -> done\n  goto top\n  done:\n  hangup\n";
        assert_eq!(codes(counted), Vec::<&str>::new());
    }

    #[test]
    fn input_rules() {
        let text = "flow main\n  menu \"x\"\n    1 -> a\n    1 -> a\n    timeout 0s\n    retries 50\n  a:\n  gather pin \"pin\"\n    digits 6 to 4\n    terminator 5\n  hangup\n";
        assert_eq!(
            codes(text),
            vec!["E0302", "E0306", "E0307", "E0304", "E0305"]
        );
    }

    #[test]
    fn recursion_types_and_schedules() {
        let text = "flow main\n  call a()\n  hangup\nflow a\n  call b()\nflow b\n  call a()\n";
        assert!(codes(text).contains(&"E0204"));
        let types = "flow main\n  set x = 1\n  if x -> a\n  a:\n  set y = \"a\" + 1\n  hangup\n";
        assert_eq!(codes(types), vec!["E0401", "E0401"]);
        let sched = "schedule s\n  timezone \"Mars/Olympus\"\n  mon 17:00-09:00\n  funday 09:00-10:00\n  holiday 2026-02-30\nflow main\n  if open(s) -> a\n  a:\n  hangup\n";
        assert_eq!(codes(sched), vec!["E0502", "E0501", "E0503", "E0503"]);
    }

    #[test]
    fn unreachable_and_unused_are_warnings() {
        let text =
            "flow main\n  hangup\n  say \"never\"\n  say \"never either\"\nflow spare\n  return\n";
        assert_eq!(codes(text), vec!["W0001", "W0002"]);
        let file = SourceFile::new("t.ivr", text).unwrap();
        assert!(compile(&file).0.is_some());
    }
}
