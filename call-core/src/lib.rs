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
//! # The driving loop
//!
//! The host owns the network and the clock. After every input (an operation
//! it asks for, a report of what the signalling peer did, or a timeout) it
//! drains [`Call::poll_event`](call::Call::poll_event) until `None`, then asks
//! [`Call::poll_timeout`](call::Call::poll_timeout) when to call back. When
//! the call closes, the [`CdrBuilder`](cdr::CdrBuilder) that saw every event
//! produces the record, which the [`KpiEngine`](kpi::KpiEngine) folds in.
//!
//! ```
//! use call_core::call::{Call, CallLimits, Phase};
//! use call_core::cause::{Q850Cause, SipStatus};
//! use call_core::cdr::{CdrBuilder, CdrSink};
//! use call_core::event::CallEvent;
//! use call_core::id::{AgentId, CallId, LegId, QueueId};
//! use call_core::kpi::{KpiConfig, KpiEngine};
//! use call_core::party::Address;
//! use call_core::time::Timestamp;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let t = |ms: u64| Timestamp::from_millis(1_700_000_000_000 + ms);
//! let mut kpis = KpiEngine::new(KpiConfig::default());
//!
//! // An INVITE arrives.
//! let mut call = Call::inbound(CallId(42), t(0), Address::new("+4930123456")?, None, CallLimits::default());
//! let mut cdr = CdrBuilder::new(call.id());
//! let mut drain = |call: &mut Call, cdr: &mut CdrBuilder| -> Result<(), Box<dyn std::error::Error>> {
//!     while let Some(event) = call.poll_event() {
//!         cdr.observe(&event)?;
//!         // ...and publish `event` (it serializes to JSON with serde).
//!     }
//!     Ok(())
//! };
//! drain(&mut call, &mut cdr)?;
//!
//! call.answer(t(500), LegId(0))?; // the IVR answers (send 200 OK)
//! drain(&mut call, &mut cdr)?;
//! call.enqueue(t(8_000), QueueId(3))?; // the IVR chose a queue
//! drain(&mut call, &mut cdr)?;
//! let agent = call.offer(t(9_000), AgentId(7))?; // the router picked agent 7: send an INVITE
//! drain(&mut call, &mut cdr)?;
//!
//! // The agent's phone rings but nobody answers; the host sleeps until the deadline.
//! call.handle_alerting(t(9_100), agent, false)?;
//! drain(&mut call, &mut cdr)?;
//! let wake = call.poll_timeout().expect("ring-no-answer deadline");
//! call.handle_timeout(wake);
//! drain(&mut call, &mut cdr)?;
//! assert_eq!(call.phase(), Phase::Queued { queue: QueueId(3) });
//!
//! // The next agent rejects (SIP 603), the one after answers.
//! let second = call.offer(t(30_000), AgentId(8))?;
//! call.handle_failed(t(31_000), second, SipStatus::DECLINE.to_q850().unwrap_or(Q850Cause::CALL_REJECTED))?;
//! let third = call.offer(t(32_000), AgentId(9))?;
//! call.handle_answered(t(35_000), third)?;
//! drain(&mut call, &mut cdr)?;
//!
//! // The customer hangs up (BYE); agent 9 wraps up until the deadline.
//! call.handle_cleared(t(200_000), LegId(0), Q850Cause::NORMAL_CLEARING)?;
//! drain(&mut call, &mut cdr)?;
//! while let Some(wake) = call.poll_timeout() {
//!     call.handle_timeout(wake);
//!     drain(&mut call, &mut cdr)?;
//! }
//! assert!(call.is_closed());
//!
//! let record = cdr.finish(&call)?;
//! assert_eq!(record.speed_of_answer_ms(), Some(27_000));
//! kpis.write(&record)?;
//! let queue = kpis.queue(kpis.interval_of(t(8_000)), QueueId(3)).expect("queue bucket");
//! assert_eq!((queue.offered, queue.answered), (1, 1));
//! # Ok(())
//! # }
//! ```
//!
//! `docs/core.md` has the state diagrams and every operation; `docs/cdr.md`
//! the record schema; `docs/kpis.md` the KPI formulas.

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
