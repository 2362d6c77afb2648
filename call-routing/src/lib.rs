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
//!   priority and required skills; the host turns it into a
//!   [`Router::enqueue`] here.
//! - The router keeps its own small availability model of agents (see
//!   [`agent`]); `call-core` owns the full agent state machine.
//! - Offers, overflows and timeouts come out as [`Output`]s for the host to
//!   act on (ring the agent, play a position announcement, transfer elsewhere).
//! - The [`erlang`] module predicts waiting and staffing from queueing theory,
//!   and the `sim` module (feature `sim`, on by default) checks the router
//!   against it with a discrete-event simulation.
//!
//! # The driving loop
//!
//! Every input carries `now`. After each input, drain [`Router::poll_output`]
//! until it is empty; then wait until [`Router::poll_timeout`] and call
//! [`Router::handle_timeout`].
//!
//! ```
//! use std::time::Duration;
//! use call_routing::strategy::Builtin;
//! use call_routing::{
//!     AgentConfig, AgentId, CallId, CallRequest, Level, Output, QueueConfig, QueueId, Router,
//!     RouterConfig, SkillId, Timestamp,
//! };
//!
//! let sales = SkillId(1);
//! let mut router = Router::new(RouterConfig::default());
//! let t0 = Timestamp::from_secs(0);
//! router.add_queue(QueueId(1), QueueConfig::new(sales), Builtin::LongestIdle.boxed(), t0)?;
//! router.add_agent(AgentId(7), AgentConfig::new().skill(sales, Level::MAX), t0)?;
//! router.set_ready(AgentId(7), true, t0)?;
//!
//! // A call arrives: the router reserves agent 7 and asks the host to ring it.
//! router.enqueue(CallId(100), QueueId(1), CallRequest::new(), Timestamp::from_secs(5))?;
//! let Some(Output::Offer(offer)) = router.poll_output() else { panic!("no offer") };
//! assert_eq!(offer.agent, AgentId(7));
//!
//! // Nobody answers: at the deadline the offer times out and the call waits again.
//! let deadline = router.poll_timeout().unwrap();
//! router.handle_timeout(deadline);
//! assert!(matches!(router.poll_output(), Some(Output::OfferTimedOut { .. })));
//! // The agent is free again, so the call is offered once more; this time it answers.
//! let Some(Output::Offer(offer)) = router.poll_output() else { panic!("no re-offer") };
//! let answered = router.accept(offer.reservation, deadline + Duration::from_secs(2))?;
//! assert_eq!(answered.waited, Duration::from_secs(22));
//! router.complete(CallId(100), deadline + Duration::from_secs(200))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod agent;
pub mod calendar;
pub mod call;
pub mod erlang;
pub mod error;
pub mod id;
pub mod queue;
pub mod router;
mod run_set;
#[cfg(feature = "sim")]
pub mod sim;
mod small_vec;
pub mod store;
pub mod strategy;
mod table;
pub mod time;

pub use agent::{AgentConfig, AgentStatus, Availability};
pub use call::CallRequest;
pub use id::{AgentId, CallId, Channel, Level, QueueId, ReservationId, SkillId};
pub use queue::QueueConfig;
pub use router::{Answered, CallStatus, Offer, Output, Router, RouterConfig, WaitingCall};
pub use time::Timestamp;
