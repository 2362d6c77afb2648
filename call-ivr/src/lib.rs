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
//! How it composes with the rest of the family:
//!
//! - `call-media` detects the caller's DTMF digits; the host passes them in.
//! - An "enqueue" action names a queue, a priority and skills, which the host
//!   hands to `call-routing`.
//! - The path through the flow ends up in `call-core`'s call detail record.
//!
//! # Example
//!
//! ```
//! use call_ivr::source::SourceFile;
//!
//! let file = SourceFile::new("main.ivr", "flow main\n  hangup\n")?;
//! let at = file.location(12)?;
//! assert_eq!((at.line, at.column), (2, 3));
//! # Ok::<(), call_ivr::error::SourceError>(())
//! ```

pub mod error;
pub mod source;
