//! The agent state machine.
//!
//! ```text
//!                log_in                 ready
//!  LoggedOut ───────────▶ NotReady ◀──────────▶ Ready ◀───────────────┐
//!      ▲        log_out   (reason)   not_ready    │  ▲                 │
//!      └──────────────────────┘                   │  │ cancel_         │
//!                                          reserve│  │ reservation     │
//!                                                 ▼  │ (ring-no-answer │
//!                                              Reserved ─▶ NotReady)   │
//!                                                 │                    │
//!                                   connect       │  connect (direct)  │
//!                                 ┌───────────────┘◀── Ready           │
//!                                 ▼                                    │
//!                                Busy ──disconnect──▶ AfterCallWork ───┘
//!                                                     finish_wrap_up
//!                                                     (or NotReady if a
//!                                                      not-ready was requested)
//! ```
//!
//! The same states are used by `call-routing` (which reserves agents) and by
//! hosts (which log agents in and out). Every transition returns an
//! [`AgentStateChanged`] that records when the previous state began, so
//! time-in-state reports (occupancy, not-ready time) are a fold over them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cause::PlatformCause;
use crate::error::AgentError;
use crate::event::CallEvent;
use crate::id::{AgentId, CallId, LegId};
use crate::time::Timestamp;

/// Why an agent is not ready: an open code space the host defines (break,
/// lunch, training...), with a few values the model itself uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReasonCode(pub u16);

impl ReasonCode {
    /// No reason given.
    pub const UNSPECIFIED: ReasonCode = ReasonCode(0);
    /// Just logged in and not yet made ready.
    pub const LOGGED_IN: ReasonCode = ReasonCode(1);
    /// Set by the model after a ring-no-answer, so an absent agent stops
    /// receiving calls.
    pub const RING_NO_ANSWER: ReasonCode = ReasonCode(2);
    /// The first value hosts may use for their own reasons.
    pub const FIRST_HOST_DEFINED: u16 = 100;
}

/// The state an agent is in. A snapshot value: the [`Agent`] machine decides
/// which transitions are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentState {
    /// Not logged in: not counted as staffed.
    LoggedOut,
    /// Logged in but not taking calls.
    NotReady {
        /// Why.
        reason: ReasonCode,
    },
    /// Idle and available for a call.
    Ready,
    /// Picked by the router for a call that is being offered.
    Reserved {
        /// The call offered.
        call: CallId,
    },
    /// On a call (talking or holding).
    Busy {
        /// The call.
        call: CallId,
    },
    /// Wrap-up (after-call work) for a call that has ended for the agent.
    AfterCallWork {
        /// The call being wrapped up.
        call: CallId,
    },
}

impl AgentState {
    /// The state's name as used in events and errors.
    pub const fn name(self) -> &'static str {
        match self {
            AgentState::LoggedOut => "logged_out",
            AgentState::NotReady { .. } => "not_ready",
            AgentState::Ready => "ready",
            AgentState::Reserved { .. } => "reserved",
            AgentState::Busy { .. } => "busy",
            AgentState::AfterCallWork { .. } => "after_call_work",
        }
    }

    /// Whether the agent is logged in (counts as staffed).
    pub const fn is_staffed(self) -> bool {
        !matches!(self, AgentState::LoggedOut)
    }

    /// The call this state is about, if any.
    pub const fn call(self) -> Option<CallId> {
        match self {
            AgentState::Reserved { call }
            | AgentState::Busy { call }
            | AgentState::AfterCallWork { call } => Some(call),
            _ => None,
        }
    }
}

impl fmt::Display for AgentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An agent changed state. Serialized with `"event": "agent_state_changed"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename = "agent_state_changed")]
pub struct AgentStateChanged {
    /// Who.
    pub agent: AgentId,
    /// When the new state began.
    pub at: Timestamp,
    /// The previous state.
    pub from: AgentState,
    /// When the previous state began.
    pub from_since: Timestamp,
    /// The new state.
    pub to: AgentState,
}

impl AgentStateChanged {
    /// How long the agent spent in the previous state, in milliseconds.
    pub fn previous_state_millis(&self) -> u64 {
        self.at.millis_since(self.from_since)
    }
}

/// Which agent operation was attempted (used in errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AgentOperation {
    /// [`Agent::log_in`].
    LogIn,
    /// [`Agent::log_out`].
    LogOut,
    /// [`Agent::ready`].
    Ready,
    /// [`Agent::not_ready`].
    NotReady,
    /// [`Agent::reserve`].
    Reserve,
    /// [`Agent::cancel_reservation`].
    CancelReservation,
    /// [`Agent::connect`].
    Connect,
    /// [`Agent::disconnect`].
    Disconnect,
    /// [`Agent::finish_wrap_up`].
    FinishWrapUp,
}

impl fmt::Display for AgentOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AgentOperation::LogIn => "log_in",
            AgentOperation::LogOut => "log_out",
            AgentOperation::Ready => "ready",
            AgentOperation::NotReady => "not_ready",
            AgentOperation::Reserve => "reserve",
            AgentOperation::CancelReservation => "cancel_reservation",
            AgentOperation::Connect => "connect",
            AgentOperation::Disconnect => "disconnect",
            AgentOperation::FinishWrapUp => "finish_wrap_up",
        })
    }
}

/// An agent's state machine, with the time each state began.
///
/// Time is an argument: an input older than the current state's start is
/// treated as happening at that start, so durations are never negative.
///
/// # Examples
///
/// ```
/// use call_core::agent::{Agent, AgentState, ReasonCode};
/// use call_core::id::{AgentId, CallId};
/// use call_core::time::Timestamp;
///
/// let t = Timestamp::from_secs;
/// let mut agent = Agent::new(AgentId(7), t(0));
/// agent.log_in(t(1))?;
/// agent.ready(t(2))?;
/// agent.reserve(t(10), CallId(1))?;
/// agent.connect(t(14), CallId(1))?;
/// agent.disconnect(t(200), CallId(1))?;
/// let change = agent.finish_wrap_up(t(230))?;
/// assert_eq!(change.from, AgentState::AfterCallWork { call: CallId(1) });
/// assert_eq!(change.previous_state_millis(), 30_000);
/// assert_eq!(agent.state(), AgentState::Ready);
/// // A call cannot be reserved for an agent that is not ready.
/// agent.not_ready(t(240), ReasonCode(100))?;
/// assert!(agent.reserve(t(241), CallId(2)).is_err());
/// # Ok::<(), call_core::error::AgentError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    id: AgentId,
    state: AgentState,
    since: Timestamp,
    pending_not_ready: Option<ReasonCode>,
    /// The leg of the call the agent is reserved for or on (learned from events).
    leg: Option<(CallId, LegId)>,
}

impl Agent {
    /// A logged-out agent.
    pub fn new(id: AgentId, now: Timestamp) -> Self {
        Agent {
            id,
            state: AgentState::LoggedOut,
            since: now,
            pending_not_ready: None,
            leg: None,
        }
    }

    /// The agent's id.
    pub fn id(&self) -> AgentId {
        self.id
    }

    /// The current state.
    pub fn state(&self) -> AgentState {
        self.state
    }

    /// When the current state began.
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// A not-ready requested while the agent was busy, applied when wrap-up ends.
    pub fn pending_not_ready(&self) -> Option<ReasonCode> {
        self.pending_not_ready
    }

    /// Whether the router may offer this agent a call.
    pub fn is_available(&self) -> bool {
        matches!(self.state, AgentState::Ready)
    }

    fn go(&mut self, now: Timestamp, to: AgentState) -> AgentStateChanged {
        let at = now.max(self.since);
        let change = AgentStateChanged {
            agent: self.id,
            at,
            from: self.state,
            from_since: self.since,
            to,
        };
        self.state = to;
        self.since = at;
        change
    }

    fn invalid(&self, operation: AgentOperation) -> AgentError {
        AgentError::InvalidTransition {
            agent: self.id,
            operation,
            state: self.state.name(),
        }
    }

    /// Log in; the agent starts not ready ([`ReasonCode::LOGGED_IN`]).
    pub fn log_in(&mut self, now: Timestamp) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::LoggedOut => Ok(self.go(
                now,
                AgentState::NotReady {
                    reason: ReasonCode::LOGGED_IN,
                },
            )),
            _ => Err(self.invalid(AgentOperation::LogIn)),
        }
    }

    /// Log out, from ready or not ready. An agent with a call must finish it first.
    pub fn log_out(&mut self, now: Timestamp) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::Ready | AgentState::NotReady { .. } => {
                self.pending_not_ready = None;
                Ok(self.go(now, AgentState::LoggedOut))
            }
            _ => Err(self.invalid(AgentOperation::LogOut)),
        }
    }

    /// Become available, from not ready or (ending wrap-up early) after-call work.
    pub fn ready(&mut self, now: Timestamp) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::NotReady { .. } | AgentState::AfterCallWork { .. } => {
                self.pending_not_ready = None;
                Ok(self.go(now, AgentState::Ready))
            }
            _ => Err(self.invalid(AgentOperation::Ready)),
        }
    }

    /// Stop taking calls with a reason. From ready, not ready (changes the
    /// reason) or after-call work this takes effect now and returns the
    /// change; while reserved or busy it is remembered and applied when
    /// wrap-up ends, and `Ok(None)` is returned.
    pub fn not_ready(
        &mut self,
        now: Timestamp,
        reason: ReasonCode,
    ) -> Result<Option<AgentStateChanged>, AgentError> {
        match self.state {
            AgentState::Ready | AgentState::NotReady { .. } | AgentState::AfterCallWork { .. } => {
                self.pending_not_ready = None;
                Ok(Some(self.go(now, AgentState::NotReady { reason })))
            }
            AgentState::Reserved { .. } | AgentState::Busy { .. } => {
                self.pending_not_ready = Some(reason);
                Ok(None)
            }
            AgentState::LoggedOut => Err(self.invalid(AgentOperation::NotReady)),
        }
    }

    /// Reserve a ready agent for a call being offered to it.
    pub fn reserve(
        &mut self,
        now: Timestamp,
        call: CallId,
    ) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::Ready => Ok(self.go(now, AgentState::Reserved { call })),
            _ => Err(self.invalid(AgentOperation::Reserve)),
        }
    }

    /// Withdraw a reservation. After a ring-no-answer (`no_answer`), the
    /// agent goes not ready with [`ReasonCode::RING_NO_ANSWER`]; otherwise
    /// (the caller hung up, the router changed its mind) back to ready, or to
    /// a not-ready requested meanwhile.
    pub fn cancel_reservation(
        &mut self,
        now: Timestamp,
        no_answer: bool,
    ) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::Reserved { .. } => {
                let to = if no_answer {
                    AgentState::NotReady {
                        reason: ReasonCode::RING_NO_ANSWER,
                    }
                } else if let Some(reason) = self.pending_not_ready {
                    AgentState::NotReady { reason }
                } else {
                    AgentState::Ready
                };
                self.pending_not_ready = None;
                Ok(self.go(now, to))
            }
            _ => Err(self.invalid(AgentOperation::CancelReservation)),
        }
    }

    /// The agent is connected to a call: the one it was reserved for, or,
    /// from ready, a call it placed or picked up directly.
    pub fn connect(
        &mut self,
        now: Timestamp,
        call: CallId,
    ) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::Reserved { call: reserved } if reserved != call => {
                Err(AgentError::WrongCall {
                    agent: self.id,
                    expected: reserved,
                    got: call,
                })
            }
            AgentState::Reserved { .. } | AgentState::Ready => {
                Ok(self.go(now, AgentState::Busy { call }))
            }
            _ => Err(self.invalid(AgentOperation::Connect)),
        }
    }

    /// The agent left the call; wrap-up begins.
    pub fn disconnect(
        &mut self,
        now: Timestamp,
        call: CallId,
    ) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::Busy { call: busy } if busy != call => Err(AgentError::WrongCall {
                agent: self.id,
                expected: busy,
                got: call,
            }),
            AgentState::Busy { call } => Ok(self.go(now, AgentState::AfterCallWork { call })),
            _ => Err(self.invalid(AgentOperation::Disconnect)),
        }
    }

    /// Wrap-up is over: ready again, or not ready if that was requested
    /// during the call.
    pub fn finish_wrap_up(&mut self, now: Timestamp) -> Result<AgentStateChanged, AgentError> {
        match self.state {
            AgentState::AfterCallWork { .. } => {
                let to = match self.pending_not_ready.take() {
                    Some(reason) => AgentState::NotReady { reason },
                    None => AgentState::Ready,
                };
                Ok(self.go(now, to))
            }
            _ => Err(self.invalid(AgentOperation::FinishWrapUp)),
        }
    }

    /// Follow a call's events and move this agent along: an offer to the
    /// agent reserves it (if the router has not already), the agent's leg
    /// answering makes it busy, its wrap-up starting and ending move it to
    /// after-call work and back, and a ring-no-answer or failed offer
    /// withdraws the reservation (not ready after a ring-no-answer). Events
    /// about other agents or calls are ignored (`Ok(None)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use call_core::agent::{Agent, AgentState};
    /// use call_core::call::{Call, CallLimits};
    /// use call_core::id::{AgentId, CallId, LegId, QueueId};
    /// use call_core::party::Address;
    /// use call_core::time::Timestamp;
    ///
    /// let t = Timestamp::from_secs;
    /// let mut agent = Agent::new(AgentId(7), t(0));
    /// agent.log_in(t(0))?;
    /// agent.ready(t(0))?;
    /// let mut call = Call::inbound(CallId(1), t(1), Address::new("100")?, None, CallLimits::default());
    /// call.answer(t(1), LegId(0))?;
    /// call.enqueue(t(2), QueueId(1))?;
    /// let leg = call.offer(t(3), AgentId(7))?;
    /// call.handle_answered(t(5), leg)?;
    /// while let Some(event) = call.poll_event() {
    ///     agent.observe(&event)?;
    /// }
    /// assert_eq!(agent.state(), AgentState::Busy { call: CallId(1) });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe(&mut self, event: &CallEvent) -> Result<Option<AgentStateChanged>, AgentError> {
        let mine = |call: CallId, leg: LegId| self.leg == Some((call, leg));
        match *event {
            CallEvent::Originated {
                call,
                at,
                leg,
                ref party,
                ..
            } if party.agent() == Some(self.id) => match self.state {
                AgentState::Reserved { call: reserved } if reserved == call => {
                    self.leg = Some((call, leg));
                    Ok(None)
                }
                _ => {
                    let change = self.reserve(at, call)?;
                    self.leg = Some((call, leg));
                    Ok(Some(change))
                }
            },
            CallEvent::Established { call, at, leg } if mine(call, leg) => {
                if matches!(self.state, AgentState::Busy { call: busy } if busy == call) {
                    return Ok(None);
                }
                self.connect(at, call).map(Some)
            }
            CallEvent::ConnectionCleared {
                call,
                at,
                leg,
                platform_cause,
                ..
            }
            | CallEvent::Failed {
                call,
                at,
                leg,
                platform_cause,
                ..
            } if mine(call, leg) => {
                if matches!(self.state, AgentState::Reserved { .. }) {
                    self.leg = None;
                    let no_answer = platform_cause == Some(PlatformCause::RING_NO_ANSWER);
                    return self.cancel_reservation(at, no_answer).map(Some);
                }
                Ok(None)
            }
            CallEvent::WrapUpStarted {
                call, at, agent, ..
            } if agent == self.id => {
                if matches!(self.state, AgentState::Busy { call: busy } if busy == call) {
                    self.disconnect(at, call).map(Some)
                } else {
                    Ok(None)
                }
            }
            CallEvent::WrapUpEnded {
                call, at, agent, ..
            } if agent == self.id => {
                if matches!(self.state, AgentState::AfterCallWork { call: acw } if acw == call) {
                    self.leg = None;
                    self.finish_wrap_up(at).map(Some)
                } else {
                    Ok(None)
                }
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    fn ready_agent() -> Agent {
        let mut agent = Agent::new(AgentId(1), t(0));
        agent.log_in(t(0)).unwrap();
        agent.ready(t(1)).unwrap();
        agent
    }

    #[test]
    fn ring_no_answer_makes_the_agent_not_ready() {
        let mut agent = ready_agent();
        agent.reserve(t(5), CallId(9)).unwrap();
        let change = agent.cancel_reservation(t(25), true).unwrap();
        assert_eq!(
            change.to,
            AgentState::NotReady {
                reason: ReasonCode::RING_NO_ANSWER
            }
        );
        assert_eq!(change.previous_state_millis(), 20_000);
    }

    #[test]
    fn not_ready_while_busy_is_applied_after_wrap_up() {
        let mut agent = ready_agent();
        agent.reserve(t(5), CallId(9)).unwrap();
        agent.connect(t(6), CallId(9)).unwrap();
        assert_eq!(agent.not_ready(t(7), ReasonCode(100)).unwrap(), None);
        agent.disconnect(t(8), CallId(9)).unwrap();
        let change = agent.finish_wrap_up(t(9)).unwrap();
        assert_eq!(
            change.to,
            AgentState::NotReady {
                reason: ReasonCode(100)
            }
        );
    }

    #[test]
    fn invalid_transitions_name_the_operation_and_state() {
        let mut agent = Agent::new(AgentId(3), t(0));
        let err = agent.reserve(t(1), CallId(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "agent-3: reserve is not allowed in state logged_out"
        );
        let mut agent = ready_agent();
        agent.reserve(t(2), CallId(1)).unwrap();
        assert_eq!(
            agent.connect(t(3), CallId(2)).unwrap_err(),
            AgentError::WrongCall {
                agent: AgentId(1),
                expected: CallId(1),
                got: CallId(2)
            }
        );
    }

    #[test]
    fn time_never_runs_backwards_inside_the_agent() {
        let mut agent = ready_agent();
        let change = agent.reserve(t(0), CallId(1)).unwrap();
        assert_eq!(change.at, t(1));
        assert_eq!(change.previous_state_millis(), 0);
    }

    #[test]
    fn state_change_json_is_stable() {
        let mut agent = ready_agent();
        let change = agent.reserve(t(2), CallId(5)).unwrap();
        assert_eq!(
            serde_json::to_string(&change).unwrap(),
            r#"{"event":"agent_state_changed","agent":1,"at":2000,"from":{"state":"ready"},"from_since":1000,"to":{"state":"reserved","call":5}}"#
        );
    }

    #[test]
    fn observing_a_call_drives_the_agent_through_ring_no_answer_and_wrap_up() {
        use crate::call::{Call, CallLimits};
        use crate::cause::Q850Cause;
        use crate::id::QueueId;
        use crate::party::Address;

        let mut one = ready_agent();
        let mut eight = Agent::new(AgentId(8), t(0));
        eight.log_in(t(0)).unwrap();
        eight.ready(t(0)).unwrap();
        let mut call = Call::inbound(
            CallId(5),
            t(1),
            Address::new("100").unwrap(),
            None,
            CallLimits::default(),
        );
        let pump = |call: &mut Call, agents: &mut [&mut Agent]| {
            while let Some(event) = call.poll_event() {
                for agent in agents.iter_mut() {
                    agent.observe(&event).unwrap();
                }
            }
        };
        call.answer(t(1), LegId(0)).unwrap();
        call.enqueue(t(2), QueueId(1)).unwrap();
        let first = call.offer(t(3), AgentId(1)).unwrap();
        pump(&mut call, &mut [&mut one, &mut eight]);
        assert_eq!(one.state(), AgentState::Reserved { call: CallId(5) });
        call.handle_timeout(t(23));
        pump(&mut call, &mut [&mut one, &mut eight]);
        assert_eq!(
            one.state(),
            AgentState::NotReady {
                reason: ReasonCode::RING_NO_ANSWER
            }
        );
        let _ = first;
        let second = call.offer(t(30), AgentId(8)).unwrap();
        call.handle_answered(t(31), second).unwrap();
        pump(&mut call, &mut [&mut one, &mut eight]);
        assert_eq!(eight.state(), AgentState::Busy { call: CallId(5) });
        call.handle_cleared(t(90), LegId(0), Q850Cause::NORMAL_CLEARING)
            .unwrap();
        pump(&mut call, &mut [&mut one, &mut eight]);
        assert_eq!(eight.state(), AgentState::AfterCallWork { call: CallId(5) });
        call.handle_timeout(t(150));
        pump(&mut call, &mut [&mut one, &mut eight]);
        assert_eq!(eight.state(), AgentState::Ready);
        assert_eq!(eight.since(), t(150));
    }
}
