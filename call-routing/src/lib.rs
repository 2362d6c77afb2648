//! `call-routing`: a pluggable, sans-IO automatic call distributor (ACD).
//!
//! Calls wait in queues; agents have skills, proficiency levels and
//! capacity; a routing strategy decides which waiting call goes to which
//! available agent, and the reservation that follows is atomic, so an agent
//! is never offered more contacts than it can take. Time is an argument: the
//! host calls in with `now` and asks for the next deadline, and the router
//! never polls.
//!
//! How it composes with the rest of the family:
//!
//! - `call-ivr` ends self-service with an "enqueue" action naming a queue,
//!   priority and required skills; the host turns it into a queue entry here.
//! - The agent states this crate reserves and releases are `call-core`'s.
//! - Offers, overflows and timeouts come out as outputs for the host to act
//!   on (ring the agent, play a position announcement, transfer elsewhere).
//! - The [`erlang`] module predicts waiting and staffing from queueing theory,
//!   which the simulator checks the router against.
//!
//! # Example
//!
//! ```
//! use call_routing::erlang::erlang_c;
//!
//! // How likely is a caller to wait with 14 agents and 10 erlangs offered?
//! let p_wait = erlang_c(10.0, 14)?;
//! assert!(p_wait < 0.2);
//! # Ok::<(), call_routing::error::ErlangError>(())
//! ```

pub mod erlang;
pub mod error;
