//! `call-ivr`: an IVR language for call flows that can be checked and tested
//! before a caller ever hears them.
//!
//! A flow file is plain text: prompts, menus, digit collection, data lookups,
//! business-hours checks, queueing and transfers. This crate parses it with
//! diagnostics that point at a line and column, checks it statically (no
//! unknown targets, no flow that can trap a caller), and runs it in a sans-IO
//! interpreter: the host feeds events (digits, timeouts, lookup results) with
//! the current time and drains actions (say, play, collect, enqueue,
//! transfer). Flow files carry their own tests, run offline.
//!
//! The language is specified in `docs/ivr-language.md`. The pieces:
//!
//! - [`source`], [`parser`], [`ast`], [`diagnostic`]: text to a syntax tree,
//!   with every error collected and rendered as `file:line:col: error[CODE]`.
//! - [`check`]: static checks (names, types, traps, unbounded loops,
//!   recursion, menu and gather rules, schedules) and compilation to a
//!   [`program::Program`].
//! - [`session`]: the sans-IO interpreter; [`testing`]: inline tests;
//!   [`format`](mod@format): canonical formatting; [`limits`]: every limit and default.
//!
//! # Driving a call
//!
//! Start a [`session::Session`], then loop: drain actions and carry them out,
//! wait for what the session waits for (or its deadline), feed the event with
//! the current time. The host owns the clock, the media and the data sources.
//!
//! ```
//! use call_ivr::jiff::{SignedDuration, Timestamp};
//! use call_ivr::session::{Action, CallContext, Event, LookupResult, Outcome, Session, SessionLimits, Waiting};
//! use call_ivr::value::Value;
//!
//! let text = r#"
//! flow main
//!   lookup crm caller.number -> customer
//!     on error -> menu
//!     on timeout -> menu
//!   menu:
//!   menu "Hello {customer.name}. For sales press 1."
//!     1 -> sales
//!     retries 1 then -> bye
//!   sales:
//!   enqueue sales
//!     priority 5
//!   bye:
//!   hangup "no choice"
//! "#;
//! let file = call_ivr::source::SourceFile::new("acme.ivr", text)?;
//! let (program, diagnostics) = call_ivr::check::compile(&file);
//! let Some(program) = program else {
//!     panic!("{}", diagnostics.render(&file));
//! };
//!
//! let mut now: Timestamp = "2026-03-02T09:00:00Z".parse()?;
//! let context = CallContext { caller: "+15551230000".into(), ..CallContext::default() };
//! let mut session = Session::start(&program, context, now, SessionLimits::default())?;
//! let mut heard = Vec::new();
//! loop {
//!     // 1. Carry out every action.
//!     while let Some(action) = session.poll_action() {
//!         if let Action::Say { text, .. } = &action {
//!             heard.push(text.to_string());
//!         }
//!     }
//!     // 2. Wait for what the session waits for; here the "caller" presses 1.
//!     let event = match session.waiting() {
//!         Waiting::Ended => break,
//!         Waiting::Prompt(id) => Event::PromptFinished(id),
//!         Waiting::Lookup(id) => Event::LookupResult(
//!             id,
//!             LookupResult::Found(vec![("name".into(), Value::from("Ada"))]),
//!         ),
//!         Waiting::Keys => Event::Digits("1".into()),
//!         _ => {
//!             // Nothing else to do: sleep until the deadline.
//!             now = session.poll_timeout().unwrap_or(now);
//!             Event::Timeout
//!         }
//!     };
//!     now += SignedDuration::from_millis(200);
//!     // 3. Feed it with the current time.
//!     session.handle(&program, now, event)?;
//! }
//! assert_eq!(heard, ["Hello Ada. For sales press 1."]);
//! assert_eq!(session.outcome(), Some(&Outcome::Enqueued("sales".into())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ast;
pub mod check;
pub mod diagnostic;
pub mod error;
pub mod format;
mod lexer;
pub mod limits;
pub mod parser;
pub mod pattern;
pub mod program;
pub mod schedule;
pub mod session;
pub mod source;
pub mod testing;
pub mod value;

/// The time crate the interpreter and schedules use, re-exported so hosts
/// pass the same `Timestamp` type.
pub use jiff;
