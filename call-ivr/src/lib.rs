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
