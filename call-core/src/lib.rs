//! `call-core`: the shared vocabulary of the call SDK.
//!
//! This crate models calls as a contact-center platform sees them: the
//! logical call, its legs and their connection states, agents and their
//! states, why things ended (ITU-T Q.850 causes), and the call detail records
//! and KPIs computed from them. It is sans-IO: every input carries the time it
//! happened, and nothing here reads a clock, opens a socket or spawns a task.
//!
//! How it composes with the rest of the family:
//!
//! - `call-media` turns RTP into decoded audio, DTMF digits and speech
//!   intervals; the host feeds the digits to `call-ivr` and the speech
//!   intervals into the KPIs here (talk-to-listen, overtalk).
//! - `call-ivr` runs the self-service part of a call and ends it with an
//!   outcome such as "enqueue to sales", which the host turns into a queue
//!   entry in `call-routing`.
//! - `call-routing` offers queued calls to agents; the agent states it reserves
//!   are the ones defined here.
//! - Every state change comes out as an event, and finished calls become call
//!   detail records that feed the KPIs.
//!
//! # Example
//!
//! ```
//! use call_core::cause::Q850Cause;
//!
//! let cause = Q850Cause::new(16)?;
//! assert_eq!(cause, Q850Cause::NORMAL_CLEARING);
//! println!("call ended: {cause}");
//! # Ok::<(), call_core::error::CauseError>(())
//! ```

pub mod agent;
pub mod call;
pub mod cause;
pub mod cdr;
pub mod disposition;
pub mod error;
pub mod event;
pub mod id;
pub mod kpi;
pub mod leg;
pub mod party;
pub mod time;
