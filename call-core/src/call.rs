//! The call: legs, the contact-center segment, operations, events and deadlines.
//!
//! A [`Call`] is one logical interaction with a customer, from the first leg
//! to the end of the last agent's after-call work. It owns its [legs](Leg)
//! and tracks the contact-center segment:
//!
//! ```text
//!                 enqueue                offer (agent leg rings)
//!  SelfService ───────────▶ Queued ─────────────────────────────▶ Offered
//!    ▲   │  ▲  (IVR)         ▲  │ max queue wait                    │   │
//!    │   │  └────────────────┼──┘ (back to self-service)            │   │ agent answers
//!    │   │ offer (direct)    └──────────────────────────────────────┘   ▼
//!    │   └──────────────────────────▶ Offered   ring-no-answer /     Talking ──▶ WrapUp ──▶ Closed
//!    │                                          agent rejects:          │    (per agent leg,
//!    │                                          back to the queue       │     wrap-up deadline)
//!    └──────────────── the agent left, the customer is still there ─────┘
//! ```
//!
//! Abandonment is an outcome, not a state: a customer who hangs up in
//! self-service (after the call was answered), in a queue or while an agent
//! is alerted, before any agent answered, has abandoned
//! ([`AbandonPhase`]). The [`Disposition`] is derived when the call ends.
//!
//! Inputs come in three kinds, each with its own error type:
//!
//! - **operations** the host asks for (`answer`, `hold`, `consult`...) fail
//!   with a [`CallError`] when the state does not allow them;
//! - **reports** of what the signalling peer did (`handle_answered`,
//!   `handle_cleared`...) fail with a [`ProtocolError`] when they are
//!   impossible;
//! - **deadlines**: [`Call::poll_timeout`] names the next one and
//!   [`Call::handle_timeout`] applies every deadline that has passed.
//!
//! A failed input changes nothing. Every input takes `now`; a `now` earlier
//! than the latest input is treated as equal to it, so durations are never
//! negative. After every input, drain [`Call::poll_event`].

use std::fmt;
use std::time::Duration;

use crate::cause::{PlatformCause, Q850Cause};
use crate::disposition::{AbandonPhase, Disposition};
use crate::error::{CallError, ProtocolError};
use crate::event::{self, CallEvent, DequeueReason, EventQueue, Pending, TransferKind};
use crate::id::{AgentId, CallId, LegId, ParkSlot, QueueId};
use crate::leg::{
    ClearedBy, ConnectionState, Direction, HoldSide, HoldState, Leg, LegRole, LegStore,
};
use crate::party::{Address, Party};
use crate::time::{OptTime, Timestamp};

/// The deadlines a call enforces. `None` disables one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use call_core::call::CallLimits;
///
/// let limits = CallLimits {
///     max_queue_wait: Some(Duration::from_secs(300)),
///     ..CallLimits::default()
/// };
/// assert_eq!(limits.ring_no_answer, Some(Duration::from_secs(20)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLimits {
    /// How long an agent may ring before the call goes back to its queue
    /// (default 20 s).
    pub ring_no_answer: Option<Duration>,
    /// How long after-call work may last before it is ended for the agent
    /// (default 60 s).
    pub wrap_up: Option<Duration>,
    /// How long a call may wait in queue, counted from its first entry, before
    /// it returns to self-service for the host's overflow handling (default none).
    pub max_queue_wait: Option<Duration>,
    /// How long a call may last before the platform clears every leg (default none).
    pub max_call_length: Option<Duration>,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            ring_no_answer: Some(Duration::from_secs(20)),
            wrap_up: Some(Duration::from_secs(60)),
            max_queue_wait: None,
            max_call_length: None,
        }
    }
}

/// Limits stored per call in 16 bytes: milliseconds, 0 = disabled, at most
/// `u32::MAX` ms (49.7 days; longer values are clamped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Limits {
    ring_no_answer: u32,
    wrap_up: u32,
    max_queue_wait: u32,
    max_call_length: u32,
}

fn compact(duration: Option<Duration>) -> u32 {
    match duration {
        None => 0,
        Some(d) => u32::try_from(d.as_millis()).unwrap_or(u32::MAX).max(1),
    }
}

impl From<CallLimits> for Limits {
    fn from(limits: CallLimits) -> Self {
        Limits {
            ring_no_answer: compact(limits.ring_no_answer),
            wrap_up: compact(limits.wrap_up),
            max_queue_wait: compact(limits.max_queue_wait),
            max_call_length: compact(limits.max_call_length),
        }
    }
}

fn deadline(since: Timestamp, limit_ms: u32) -> Option<Timestamp> {
    (limit_ms != 0).then(|| since.saturating_add_millis(u64::from(limit_ms)))
}

/// The contact-center segment (private: [`Phase`] is the public view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    /// IVR or other automated handling, or the customer alone after an agent left.
    SelfService,
    /// Waiting in `queue` since `since` (the first entry, kept across requeues).
    Queued { queue: QueueId, since: Timestamp },
    /// Agent leg `leg` is being offered the call since `since`.
    Offered {
        queue: Option<QueueId>,
        queued_since: OptTime,
        leg: LegId,
        since: Timestamp,
    },
    /// The customer is with an agent or another party.
    Connected,
    /// The customer has gone; what remains is other legs and after-call work.
    Ended,
}

/// The contact-center phase of a call, as the host may ask for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Self-service (IVR), or the customer alone after the agent left.
    SelfService,
    /// Waiting in a queue.
    Queued {
        /// Which.
        queue: QueueId,
    },
    /// Being offered to an agent whose phone is ringing.
    Offered {
        /// The queue it came from, if any.
        queue: Option<QueueId>,
        /// The agent, if the offered party is one.
        agent: Option<AgentId>,
    },
    /// Talking: the customer is connected to another party (or, after the
    /// customer left, other parties still are).
    Talking {
        /// The first connected agent, if any.
        agent: Option<AgentId>,
    },
    /// Every leg has ended; agents are still in after-call work.
    WrapUp,
    /// Over.
    Closed,
}

impl Phase {
    /// The phase's name, as used in errors.
    pub const fn name(self) -> &'static str {
        match self {
            Phase::SelfService => "self_service",
            Phase::Queued { .. } => "queued",
            Phase::Offered { .. } => "offered",
            Phase::Talking { .. } => "talking",
            Phase::WrapUp => "wrap_up",
            Phase::Closed => "closed",
        }
    }
}

/// A consultation in progress (at most one per call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Consultation {
    transferring: LegId,
    held: LegId,
    consult: LegId,
}

/// The operations a host may ask of a call (named in [`CallError`]s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// [`Call::dial`].
    Dial,
    /// [`Call::ring`].
    Ring,
    /// [`Call::answer`].
    Answer,
    /// [`Call::reject`].
    Reject,
    /// [`Call::hold`].
    Hold,
    /// [`Call::retrieve`].
    Retrieve,
    /// [`Call::mute`].
    Mute,
    /// [`Call::unmute`].
    Unmute,
    /// [`Call::hangup`].
    Hangup,
    /// [`Call::complete_self_service`].
    CompleteSelfService,
    /// [`Call::enqueue`].
    Enqueue,
    /// [`Call::offer`].
    Offer,
    /// [`Call::blind_transfer`].
    BlindTransfer,
    /// [`Call::consult`].
    Consult,
    /// [`Call::complete_transfer`].
    CompleteTransfer,
    /// [`Call::cancel_consultation`].
    CancelConsultation,
    /// [`Call::conference`].
    Conference,
    /// [`Call::add_participant`].
    AddParticipant,
    /// [`Call::remove_participant`].
    RemoveParticipant,
    /// [`Call::deflect`].
    Deflect,
    /// [`Call::park`].
    Park,
    /// [`Call::pickup`].
    Pickup,
    /// [`Call::request_callback`].
    RequestCallback,
    /// [`Call::end_wrap_up`].
    EndWrapUp,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Dial => "dial",
            Operation::Ring => "ring",
            Operation::Answer => "answer",
            Operation::Reject => "reject",
            Operation::Hold => "hold",
            Operation::Retrieve => "retrieve",
            Operation::Mute => "mute",
            Operation::Unmute => "unmute",
            Operation::Hangup => "hangup",
            Operation::CompleteSelfService => "complete_self_service",
            Operation::Enqueue => "enqueue",
            Operation::Offer => "offer",
            Operation::BlindTransfer => "blind_transfer",
            Operation::Consult => "consult",
            Operation::CompleteTransfer => "complete_transfer",
            Operation::CancelConsultation => "cancel_consultation",
            Operation::Conference => "conference",
            Operation::AddParticipant => "add_participant",
            Operation::RemoveParticipant => "remove_participant",
            Operation::Deflect => "deflect",
            Operation::Park => "park",
            Operation::Pickup => "pickup",
            Operation::RequestCallback => "request_callback",
            Operation::EndWrapUp => "end_wrap_up",
        })
    }
}

/// The platform reports a call accepts (named in [`ProtocolError`]s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Report {
    /// [`Call::handle_alerting`].
    Alerting,
    /// [`Call::handle_answered`].
    Answered,
    /// [`Call::handle_remote_hold`].
    RemoteHold,
    /// [`Call::handle_cleared`].
    Cleared,
    /// [`Call::handle_failed`].
    Failed,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Report::Alerting => "alerting",
            Report::Answered => "answered",
            Report::RemoteHold => "remote hold",
            Report::Cleared => "cleared",
            Report::Failed => "failed",
        })
    }
}

/// Custom attributes (call-attached data): boxed, so a call without any pays
/// one pointer.
type Attributes = Vec<(Box<str>, Box<str>)>;

/// A call: the sans-IO state machine for one customer interaction.
///
/// # Examples
///
/// An inbound call through IVR, queue and agent, with hold and wrap-up:
///
/// ```
/// use call_core::call::{Call, CallLimits, Phase};
/// use call_core::disposition::Disposition;
/// use call_core::event::CallEvent;
/// use call_core::id::{AgentId, CallId, LegId, QueueId};
/// use call_core::party::Address;
/// use call_core::cause::Q850Cause;
/// use call_core::time::Timestamp;
///
/// let t = Timestamp::from_secs;
/// let caller = Address::new("+4930123456")?;
/// let mut call = Call::inbound(CallId(1), t(0), caller, None, CallLimits::default());
/// call.answer(t(1), LegId(0))?;                 // the IVR picks up
/// call.enqueue(t(30), QueueId(5))?;             // IVR says: to sales
/// let agent_leg = call.offer(t(40), AgentId(7))?;
/// call.handle_alerting(t(40), agent_leg, false)?;
/// call.handle_answered(t(45), agent_leg)?;
/// assert_eq!(call.phase(), Phase::Talking { agent: Some(AgentId(7)) });
/// call.hold(t(60), LegId(0))?;
/// assert!(call.retrieve(t(60), agent_leg).is_err()); // the agent leg is not held
/// call.retrieve(t(90), LegId(0))?;
/// call.handle_cleared(t(200), LegId(0), Q850Cause::NORMAL_CLEARING)?;
/// assert_eq!(call.phase(), Phase::WrapUp);
/// assert_eq!(call.poll_timeout(), Some(t(260)));  // wrap-up expiry
/// call.handle_timeout(t(260));
/// assert_eq!(call.phase(), Phase::Closed);
/// assert_eq!(call.disposition(), Some(Disposition::Answered));
/// let mut events = 0;
/// while let Some(event) = call.poll_event() {
///     events += 1;
///     if let CallEvent::Closed { disposition, .. } = event {
///         assert_eq!(disposition, Disposition::Answered);
///     }
/// }
/// assert_eq!(events, 15);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    id: CallId,
    created_at: Timestamp,
    last: Timestamp,
    first_queued_at: OptTime,
    agent_answered_at: OptTime,
    cleared_at: OptTime,
    closed_at: OptTime,
    service_address: Option<Address>,
    legs: LegStore,
    events: EventQueue,
    attributes: Option<Box<Attributes>>,
    limits: Limits,
    segment: Segment,
    consultation: Option<Consultation>,
    parked: Option<(ParkSlot, LegId)>,
    last_queue: Option<QueueId>,
    direction: Direction,
    abandoned: Option<AbandonPhase>,
    transferred: bool,
    deflected: bool,
    conferenced: bool,
    callback: bool,
    self_service_done: bool,
}

const CUSTOMER: LegId = LegId(0);

impl Call {
    /// The most legs a call may have (transfers, consultations and conference
    /// participants each add one; legs are never reused).
    pub const MAX_LEGS: usize = 32;
    /// The most custom attributes a call may carry.
    pub const MAX_ATTRIBUTES: usize = 64;
    /// The longest attribute key, in bytes.
    pub const MAX_ATTRIBUTE_KEY: usize = 64;
    /// The longest attribute value, in bytes.
    pub const MAX_ATTRIBUTE_VALUE: usize = 1024;

    fn with_customer(
        id: CallId,
        now: Timestamp,
        customer: Party,
        direction: Direction,
        state: ConnectionState,
        service_address: Option<Address>,
        limits: CallLimits,
    ) -> Call {
        let mut legs = LegStore::default();
        legs.push(Leg::new(
            CUSTOMER,
            customer,
            direction,
            LegRole::Customer,
            state,
            now,
        ));
        let mut call = Call {
            id,
            created_at: now,
            last: now,
            first_queued_at: OptTime::NONE,
            agent_answered_at: OptTime::NONE,
            cleared_at: OptTime::NONE,
            closed_at: OptTime::NONE,
            service_address,
            legs,
            events: EventQueue::default(),
            attributes: None,
            limits: limits.into(),
            segment: Segment::SelfService,
            consultation: None,
            parked: None,
            last_queue: None,
            direction,
            abandoned: None,
            transferred: false,
            deflected: false,
            conferenced: false,
            callback: false,
            self_service_done: false,
        };
        let created = if state == ConnectionState::Idle {
            Pending::ServiceInitiated(CUSTOMER)
        } else {
            event::creation(direction, CUSTOMER)
        };
        call.events.push(now, created);
        call
    }

    /// A customer calls in: leg 0 is offered to us. `dialed` is the number the
    /// customer dialed (DNIS), if known.
    pub fn inbound(
        id: CallId,
        now: Timestamp,
        caller: Address,
        dialed: Option<Address>,
        limits: CallLimits,
    ) -> Call {
        Call::with_customer(
            id,
            now,
            Party::External(caller),
            Direction::Inbound,
            ConnectionState::Offered,
            dialed,
            limits,
        )
    }

    /// We call a customer: leg 0 is initiated now. `caller_id` is the number
    /// we present, if any.
    pub fn outbound(
        id: CallId,
        now: Timestamp,
        customer: Address,
        caller_id: Option<Address>,
        limits: CallLimits,
    ) -> Call {
        Call::with_customer(
            id,
            now,
            Party::External(customer),
            Direction::Outbound,
            ConnectionState::Initiated,
            caller_id,
            limits,
        )
    }

    /// A previewed outbound call: leg 0 stays idle until [`Call::dial`].
    pub fn preview(
        id: CallId,
        now: Timestamp,
        customer: Address,
        caller_id: Option<Address>,
        limits: CallLimits,
    ) -> Call {
        Call::with_customer(
            id,
            now,
            Party::External(customer),
            Direction::Outbound,
            ConnectionState::Idle,
            caller_id,
            limits,
        )
    }

    /// Change the deadlines from now on (for example the maximum queue wait
    /// of the queue the call was just put in). Running deadlines are
    /// recomputed from their original start.
    pub fn set_limits(&mut self, limits: CallLimits) {
        self.limits = limits.into();
    }

    /// The deadlines in force.
    pub fn limits(&self) -> CallLimits {
        let expand = |ms: u32| (ms != 0).then(|| Duration::from_millis(u64::from(ms)));
        CallLimits {
            ring_no_answer: expand(self.limits.ring_no_answer),
            wrap_up: expand(self.limits.wrap_up),
            max_queue_wait: expand(self.limits.max_queue_wait),
            max_call_length: expand(self.limits.max_call_length),
        }
    }

    // ----- queries -------------------------------------------------------

    /// The root correlation id.
    pub fn id(&self) -> CallId {
        self.id
    }

    /// Whether the customer called us or we called the customer.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// When the call was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// The customer's address (leg 0's party).
    pub fn customer(&self) -> Option<&Address> {
        match self.legs.get(CUSTOMER).map(Leg::party) {
            Some(Party::External(address)) => Some(address),
            _ => None,
        }
    }

    /// The number the customer dialed (inbound) or the caller id we presented (outbound).
    pub fn service_address(&self) -> Option<&Address> {
        self.service_address.as_ref()
    }

    /// A leg by id.
    pub fn leg(&self, id: LegId) -> Option<&Leg> {
        self.legs.get(id)
    }

    /// Every leg, in creation order (ended ones included).
    pub fn legs(&self) -> impl Iterator<Item = &Leg> + '_ {
        self.legs.iter()
    }

    /// The contact-center phase.
    pub fn phase(&self) -> Phase {
        match self.segment {
            Segment::SelfService => Phase::SelfService,
            Segment::Queued { queue, .. } => Phase::Queued { queue },
            Segment::Offered { queue, leg, .. } => Phase::Offered {
                queue,
                agent: self.legs.get(leg).and_then(Leg::agent),
            },
            Segment::Connected => Phase::Talking {
                agent: self.connected_agent(),
            },
            Segment::Ended => {
                if self.legs.iter().any(Leg::is_live) {
                    Phase::Talking {
                        agent: self.connected_agent(),
                    }
                } else if self.closed_at.is_some() {
                    Phase::Closed
                } else {
                    Phase::WrapUp
                }
            }
        }
    }

    fn connected_agent(&self) -> Option<AgentId> {
        self.legs
            .iter()
            .filter(|leg| leg.state.is_connected())
            .find_map(Leg::agent)
    }

    /// Whether a consultation (the first half of an attended transfer) is in progress.
    pub fn consultation_in_progress(&self) -> bool {
        self.consultation.is_some()
    }

    /// The park slot holding this call's customer, if parked.
    pub fn parked_in(&self) -> Option<ParkSlot> {
        self.parked.map(|(slot, _)| slot)
    }

    /// When the customer was first connected to an agent (for speed of answer).
    pub fn agent_answered_at(&self) -> Option<Timestamp> {
        self.agent_answered_at.get()
    }

    /// When the call first entered a queue.
    pub fn first_queued_at(&self) -> Option<Timestamp> {
        self.first_queued_at.get()
    }

    /// When every leg had ended.
    pub fn cleared_at(&self) -> Option<Timestamp> {
        self.cleared_at.get()
    }

    /// When after-call work was over too: the call is finished.
    pub fn closed_at(&self) -> Option<Timestamp> {
        self.closed_at.get()
    }

    /// Whether every leg has ended.
    pub fn is_cleared(&self) -> bool {
        self.cleared_at.is_some()
    }

    /// Whether the call is finished (cleared, and no after-call work left).
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// Where the customer abandoned, if they did.
    pub fn abandoned(&self) -> Option<AbandonPhase> {
        self.abandoned
    }

    /// The outcome, once every leg has ended; derived, never stored (see
    /// [`Disposition`] for the rules).
    pub fn disposition(&self) -> Option<Disposition> {
        if !self.is_cleared() {
            return None;
        }
        Some(self.derive_disposition())
    }

    fn derive_disposition(&self) -> Disposition {
        if self.abandoned.is_some() {
            return Disposition::Abandoned;
        }
        if self.callback {
            return Disposition::CallbackRequested;
        }
        if self.transferred {
            return Disposition::Transferred;
        }
        if self.deflected {
            return Disposition::Deflected;
        }
        let Some(customer) = self.legs.get(CUSTOMER) else {
            return Disposition::Failed;
        };
        if customer.answered_at.is_some() {
            return Disposition::Answered;
        }
        match customer.state {
            ConnectionState::Cleared {
                cause, cleared_by, ..
            } => Disposition::unanswered(cause, cleared_by == ClearedBy::Remote),
            ConnectionState::Failed { cause, .. } => Disposition::unanswered(cause, false),
            _ => Disposition::Failed,
        }
    }

    /// Call-attached data, in insertion order.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.attributes
            .iter()
            .flat_map(|attributes| attributes.iter())
            .map(|(key, value)| (&**key, &**value))
    }

    /// Set a custom attribute (replacing an existing value). Limits:
    /// [`Call::MAX_ATTRIBUTES`], [`Call::MAX_ATTRIBUTE_KEY`],
    /// [`Call::MAX_ATTRIBUTE_VALUE`]; the key must not be empty.
    pub fn set_attribute(&mut self, key: &str, value: &str) -> Result<(), CallError> {
        let problem = if key.is_empty() {
            Some("the key is empty")
        } else if key.len() > Self::MAX_ATTRIBUTE_KEY {
            Some("the key is longer than 64 bytes")
        } else if value.len() > Self::MAX_ATTRIBUTE_VALUE {
            Some("the value is longer than 1024 bytes")
        } else {
            None
        };
        if let Some(problem) = problem {
            let mut end = key.len().min(Self::MAX_ATTRIBUTE_KEY);
            while !key.is_char_boundary(end) {
                end -= 1;
            }
            return Err(CallError::Attribute {
                key: key.get(..end).unwrap_or_default().to_owned(),
                problem,
            });
        }
        let attributes = self.attributes.get_or_insert_with(Box::default);
        if let Some(slot) = attributes.iter_mut().find(|(k, _)| &**k == key) {
            slot.1 = value.into();
            return Ok(());
        }
        if attributes.len() >= Self::MAX_ATTRIBUTES {
            return Err(CallError::Attribute {
                key: key.to_owned(),
                problem: "the call already has 64 attributes",
            });
        }
        attributes.push((key.into(), value.into()));
        Ok(())
    }

    /// Heap bytes this call owns beyond `size_of::<Call>()` (extra legs,
    /// spilled events, attributes, long addresses): for memory budgets.
    pub fn heap_bytes(&self) -> usize {
        let addresses = self
            .legs
            .iter()
            .map(|leg| match &leg.party {
                Party::External(address) if !address.is_inline() => address.as_str().len(),
                _ => 0,
            })
            .sum::<usize>();
        let attributes = self.attributes.as_ref().map_or(0, |attributes| {
            std::mem::size_of::<Attributes>()
                + attributes.capacity() * std::mem::size_of::<(Box<str>, Box<str>)>()
                + attributes
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
        });
        self.legs.heap_bytes() + self.events.heap_bytes() + addresses + attributes
    }

    /// Check the model's internal invariants; `Err` names the first broken
    /// one. Cheap enough to call after every input in tests and fuzzing; a
    /// failure is a bug in this crate, never in the caller.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let mut previous: Option<&Leg> = None;
        for (index, leg) in self.legs.iter().enumerate() {
            if usize::from(leg.id.0) != index {
                return Err("leg ids are not their creation index");
            }
            if leg.created_at < self.created_at {
                return Err("a leg was created before its call");
            }
            let order = [leg.alerted_at, leg.answered_at, leg.ended_at];
            let mut last = leg.created_at;
            for t in order.iter().filter_map(|t| t.get()) {
                if t < last {
                    return Err("leg timestamps are out of order");
                }
                last = t;
            }
            if leg.state.is_ended() != leg.ended_at.is_some() {
                return Err("a leg's end time disagrees with its state");
            }
            if leg.state.is_connected() && !leg.answered_at.is_some() {
                return Err("a connected leg has no answer time");
            }
            if leg.muted && !leg.state.is_connected() {
                return Err("a leg that is not connected is muted");
            }
            if leg.wrap_up_since.is_some() && (leg.agent().is_none() || !leg.state.is_ended()) {
                return Err("wrap-up on a leg that is not an ended agent leg");
            }
            if let Some(p) = previous
                && p.created_at > leg.created_at
            {
                return Err("legs are not in creation order");
            }
            previous = Some(leg);
        }
        if let Some(c) = self.consultation {
            let live = |id: LegId| self.legs.get(id).is_some_and(Leg::is_live);
            if !live(c.consult) || !live(c.held) || !live(c.transferring) {
                return Err("a consultation refers to an ended leg");
            }
            if !self
                .legs
                .get(c.held)
                .and_then(|l| l.state.hold())
                .is_some_and(HoldState::is_local)
            {
                return Err("the party held for a consultation is not held");
            }
            if c.consult == c.held || c.consult == c.transferring || c.held == c.transferring {
                return Err("a consultation names the same leg twice");
            }
        }
        if let Some((_, parked)) = self.parked
            && !self
                .legs
                .get(parked)
                .and_then(|l| l.state.hold())
                .is_some_and(HoldState::is_local)
        {
            return Err("a parked party is not held");
        }
        if let Segment::Offered { leg, .. } = self.segment
            && !self.legs.get(leg).is_some_and(|l| l.state.is_setting_up())
        {
            return Err("the offered leg is not being set up");
        }
        let all_ended = self.legs.iter().all(|l| !l.is_live());
        if all_ended != self.is_cleared() {
            return Err("the call's cleared flag disagrees with its legs");
        }
        if self.is_cleared() && (self.consultation.is_some() || self.parked.is_some()) {
            return Err("an ended call still has a consultation or a park");
        }
        let wrapping = self.legs.iter().any(|l| l.wrap_up_since.is_some());
        if self.is_closed() != (self.is_cleared() && !wrapping) {
            return Err("the call's closed flag disagrees with cleared and wrap-up");
        }
        if self.abandoned.is_some() && (self.agent_answered_at.is_some() || self.callback) {
            return Err("an abandoned call reached an agent or asked for a callback");
        }
        if self.is_closed() && self.poll_timeout().is_some() {
            return Err("a closed call still has a deadline");
        }
        if self.legs.len() > Self::MAX_LEGS {
            return Err("more legs than the limit");
        }
        Ok(())
    }

    // ----- output --------------------------------------------------------

    /// The next event, oldest first. Drain after every input.
    pub fn poll_event(&mut self) -> Option<CallEvent> {
        loop {
            let (at, pending) = self.events.pop()?;
            // Legs are never removed, so expansion always succeeds; if it
            // ever did not, skip the event rather than stop the drain.
            if let Some(event) = self.expand(at, pending) {
                return Some(event);
            }
        }
    }

    /// The full event for a pending one.
    fn expand(&self, at: Timestamp, pending: Pending) -> Option<CallEvent> {
        let call = self.id;
        let party = |leg: LegId| self.legs.get(leg).map(|l| (l.party.clone(), l.role));
        Some(match pending {
            Pending::Offered(leg) | Pending::ServiceInitiated(leg) | Pending::Originated(leg) => {
                let (party, role) = party(leg)?;
                if matches!(pending, Pending::Offered(_)) {
                    CallEvent::Offered {
                        call,
                        at,
                        leg,
                        party,
                        role,
                    }
                } else if matches!(pending, Pending::ServiceInitiated(_)) {
                    CallEvent::ServiceInitiated {
                        call,
                        at,
                        leg,
                        party,
                        role,
                    }
                } else {
                    CallEvent::Originated {
                        call,
                        at,
                        leg,
                        party,
                        role,
                    }
                }
            }
            Pending::Delivered(leg, early_media) => CallEvent::Delivered {
                call,
                at,
                leg,
                early_media,
            },
            Pending::Established(leg) => CallEvent::Established { call, at, leg },
            Pending::Held(leg, side) => CallEvent::Held {
                call,
                at,
                leg,
                side,
            },
            Pending::Retrieved(leg, side) => CallEvent::Retrieved {
                call,
                at,
                leg,
                side,
            },
            Pending::MuteChanged(leg, muted) => CallEvent::MuteChanged {
                call,
                at,
                leg,
                muted,
            },
            Pending::Transferred {
                kind,
                transferring,
                transferred,
                target,
            } => CallEvent::Transferred {
                call,
                at,
                kind,
                transferring_leg: transferring,
                transferred_leg: transferred,
                target_leg: target,
            },
            Pending::Conferenced(leg, parties) => CallEvent::Conferenced {
                call,
                at,
                leg,
                parties,
            },
            Pending::Diverted(from_leg, to_leg) => CallEvent::Diverted {
                call,
                at,
                from_leg,
                to_leg,
            },
            Pending::Queued(queue, requeued) => CallEvent::Queued {
                call,
                at,
                queue,
                requeued,
            },
            Pending::Dequeued(queue, reason) => CallEvent::Dequeued {
                call,
                at,
                queue,
                reason,
            },
            Pending::Parked(leg, slot) => CallEvent::Parked {
                call,
                at,
                leg,
                slot,
            },
            Pending::PickedUp(leg, slot) => CallEvent::PickedUp {
                call,
                at,
                leg,
                slot,
            },
            Pending::CallbackRequested(queue) => CallEvent::CallbackRequested { call, at, queue },
            Pending::LegEnded(leg) => match self.legs.get(leg)?.state {
                ConnectionState::Cleared {
                    cause,
                    platform_cause,
                    cleared_by,
                } => CallEvent::ConnectionCleared {
                    call,
                    at,
                    leg,
                    cause,
                    platform_cause,
                    cleared_by,
                },
                ConnectionState::Failed {
                    cause,
                    platform_cause,
                } => CallEvent::Failed {
                    call,
                    at,
                    leg,
                    cause,
                    platform_cause,
                },
                _ => return None,
            },
            Pending::WrapUpStarted(leg) => CallEvent::WrapUpStarted {
                call,
                at,
                leg,
                agent: self.legs.get(leg)?.agent()?,
            },
            Pending::WrapUpEnded(leg, expired) => CallEvent::WrapUpEnded {
                call,
                at,
                leg,
                agent: self.legs.get(leg)?.agent()?,
                expired,
            },
            Pending::CallCleared => CallEvent::CallCleared {
                call,
                at,
                disposition: self.derive_disposition(),
                abandoned: self.abandoned,
            },
            Pending::Closed => CallEvent::Closed {
                call,
                at,
                disposition: self.derive_disposition(),
            },
        })
    }

    /// Whether events are waiting.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The earliest deadline: ring-no-answer, wrap-up expiry, maximum queue
    /// wait or maximum call length. Call [`Call::handle_timeout`] at or after it;
    /// an early or late call is harmless.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let mut next: Option<Timestamp> = None;
        let mut consider = |candidate: Option<Timestamp>| {
            if let Some(t) = candidate {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        match self.segment {
            Segment::Queued { since, .. } => consider(deadline(since, self.limits.max_queue_wait)),
            Segment::Offered { since, .. } => consider(deadline(since, self.limits.ring_no_answer)),
            _ => {}
        }
        if !self.is_cleared() {
            consider(deadline(self.created_at, self.limits.max_call_length));
        }
        for leg in self.legs.iter() {
            if let Some(since) = leg.wrap_up_since.get() {
                consider(deadline(since, self.limits.wrap_up));
            }
        }
        next
    }

    /// Apply every deadline that has passed by `now`, earliest first. Each
    /// takes effect at its own deadline (or at the latest earlier input, if
    /// that is later), so a late wake-up does not stretch ring or wrap-up times.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let mut floor = self.last;
        let now = self.clock(now);
        // Each round removes at least one deadline; a call has at most one
        // per leg plus three.
        for _ in 0..Self::MAX_LEGS + 3 {
            let Some(next) = self.poll_timeout() else {
                break;
            };
            if next > now {
                break;
            }
            let at = next.max(floor);
            self.expire(next, at);
            self.settle(at);
            floor = at;
        }
    }

    /// Apply the deadlines due exactly at `due`, stamping events with `at`.
    fn expire(&mut self, due: Timestamp, at: Timestamp) {
        if !self.is_cleared() && deadline(self.created_at, self.limits.max_call_length) == Some(due)
        {
            self.clear_everything(at, PlatformCause::MAX_CALL_LENGTH);
        }
        if let Segment::Offered { since, leg, .. } = self.segment
            && deadline(since, self.limits.ring_no_answer) == Some(due)
        {
            self.end_leg(
                at,
                leg,
                ConnectionState::Cleared {
                    cause: Q850Cause::NO_ANSWER,
                    platform_cause: Some(PlatformCause::RING_NO_ANSWER),
                    cleared_by: ClearedBy::Platform,
                },
            );
        }
        if let Segment::Queued { queue, since } = self.segment
            && deadline(since, self.limits.max_queue_wait).is_some_and(|d| d <= due)
        {
            self.segment = Segment::SelfService;
            self.events
                .push(at, Pending::Dequeued(queue, DequeueReason::Timeout));
        }
        let wrap_up = self.limits.wrap_up;
        loop {
            let next = self
                .legs
                .iter()
                .find(|leg| {
                    leg.wrap_up_since
                        .get()
                        .and_then(|since| deadline(since, wrap_up))
                        .is_some_and(|limit| limit <= due)
                })
                .map(Leg::id);
            let Some(leg) = next else { break };
            self.finish_wrap_up(at, leg, true);
        }
    }

    // ----- helpers -------------------------------------------------------

    fn clock(&mut self, now: Timestamp) -> Timestamp {
        self.last = self.last.max(now);
        self.last
    }

    fn live_leg(&self, operation: Operation, id: LegId) -> Result<&Leg, CallError> {
        if self.is_cleared() {
            return Err(CallError::CallEnded { operation });
        }
        self.legs
            .get(id)
            .ok_or(CallError::NoSuchLeg { operation, leg: id })
    }

    fn leg_state_error(&self, operation: Operation, id: LegId) -> CallError {
        CallError::LegState {
            operation,
            leg: id,
            state: self
                .legs
                .get(id)
                .map_or(ConnectionState::Idle, |leg| leg.state),
        }
    }

    fn reported_leg(&self, report: Report, id: LegId) -> Result<&Leg, ProtocolError> {
        let leg = self
            .legs
            .get(id)
            .ok_or(ProtocolError::NoSuchLeg { report, leg: id })?;
        if leg.state.is_ended() {
            return Err(ProtocolError::LegState {
                report,
                leg: id,
                state: leg.state,
            });
        }
        Ok(leg)
    }

    fn ensure_not_ended(&self, operation: Operation) -> Result<(), CallError> {
        if self.is_cleared() {
            Err(CallError::CallEnded { operation })
        } else {
            Ok(())
        }
    }

    fn ensure_room(&self, operation: Operation, new_legs: usize) -> Result<(), CallError> {
        if self.legs.len() + new_legs > Self::MAX_LEGS {
            Err(CallError::TooManyLegs {
                operation,
                max: Self::MAX_LEGS,
            })
        } else {
            Ok(())
        }
    }

    fn connected_legs(&self) -> impl Iterator<Item = &Leg> + '_ {
        self.legs.iter().filter(|leg| leg.state.is_connected())
    }

    /// The two connected legs, `leg` first, for transfers and park.
    fn two_parties(&self, operation: Operation, leg: LegId) -> Result<(LegId, LegId), CallError> {
        let state = self.live_leg(operation, leg)?.state;
        if !state.is_connected() {
            return Err(self.leg_state_error(operation, leg));
        }
        if self.consultation.is_some() {
            return Err(CallError::TransferInProgress { operation });
        }
        let connected = self.connected_legs().count();
        if connected != 2 {
            return Err(CallError::NotTwoParties {
                operation,
                connected,
            });
        }
        let other = self
            .connected_legs()
            .map(Leg::id)
            .find(|&id| id != leg)
            .ok_or(CallError::NotTwoParties {
                operation,
                connected,
            })?;
        Ok((leg, other))
    }

    fn add_leg(
        &mut self,
        at: Timestamp,
        party: Party,
        role: LegRole,
        state: ConnectionState,
    ) -> LegId {
        // Callers checked `ensure_room`, so the count fits in a u8.
        let id = LegId(u8::try_from(self.legs.len()).unwrap_or(u8::MAX));
        let direction = if state == ConnectionState::Offered {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let mut leg = Leg::new(id, party, direction, role, state, at);
        if state.is_connected() {
            leg.answered_at = OptTime::some(at);
        }
        self.legs.push(leg);
        self.events.push(at, event::creation(direction, id));
        id
    }

    fn set_hold(&mut self, at: Timestamp, id: LegId, side: HoldSide, on: bool) -> bool {
        let Some(leg) = self.legs.get_mut(id) else {
            return false;
        };
        let ConnectionState::Connected { hold } = leg.state else {
            return false;
        };
        let (mut local, mut remote) = (hold.is_local(), hold.is_remote());
        let flag = match side {
            HoldSide::Local => &mut local,
            HoldSide::Remote => &mut remote,
        };
        if *flag == on {
            return false;
        }
        *flag = on;
        leg.state = ConnectionState::Connected {
            hold: HoldState::with(local, remote),
        };
        let event = if on {
            Pending::Held(id, side)
        } else {
            Pending::Retrieved(id, side)
        };
        self.events.push(at, event);
        true
    }

    fn connect(&mut self, at: Timestamp, id: LegId) {
        let Some(leg) = self.legs.get_mut(id) else {
            return;
        };
        if !leg.state.is_setting_up() {
            return;
        }
        leg.state = ConnectionState::Connected {
            hold: HoldState::None,
        };
        leg.answered_at = OptTime::some(at);
        let is_agent = leg.agent().is_some() && id != CUSTOMER;
        self.events.push(at, Pending::Established(id));
        if is_agent && !self.agent_answered_at.is_some() {
            self.agent_answered_at = OptTime::some(at);
        }
        // A consultation leg answering is not a conference: the held party
        // hears nothing of it. Another leg answering during a consultation
        // (a participant dialled before it) joins the others, so the
        // consultation leg is left out of the count.
        let consult = self.consultation.map(|c| c.consult);
        let together = self
            .connected_legs()
            .filter(|l| Some(l.id) != consult)
            .count();
        if id != CUSTOMER && Some(id) != consult && together >= 3 {
            self.conferenced = true;
            let parties = u8::try_from(together).unwrap_or(u8::MAX);
            self.events.push(at, Pending::Conferenced(id, parties));
        }
    }

    /// End a leg and apply the consequences for transfers, parking and the segment.
    fn end_leg(&mut self, at: Timestamp, id: LegId, end: ConnectionState) {
        let Some(leg) = self.legs.get_mut(id) else {
            return;
        };
        if leg.state.is_ended() {
            return;
        }
        let was_connected = leg.state.is_connected();
        leg.state = end;
        leg.ended_at = OptTime::some(at);
        leg.muted = false;
        let wraps = was_connected && leg.agent().is_some() && id != CUSTOMER;
        if wraps {
            leg.wrap_up_since = OptTime::some(at);
        }
        self.events.push(at, Pending::LegEnded(id));
        if wraps {
            self.events.push(at, Pending::WrapUpStarted(id));
        }

        if let Some(consultation) = self.consultation {
            if id == consultation.consult || id == consultation.held {
                self.consultation = None;
            } else if id == consultation.transferring {
                // Hanging up during a consultation hands the held party over.
                self.consultation = None;
                let consult_state = self.legs.get(consultation.consult).map(|l| l.state);
                let kind = match consult_state {
                    Some(ConnectionState::Connected { .. }) => Some(TransferKind::Attended),
                    Some(s) if s.is_setting_up() => Some(TransferKind::SemiAttended),
                    _ => None,
                };
                if let Some(kind) = kind {
                    self.set_hold(at, consultation.held, HoldSide::Local, false);
                    self.set_hold(at, consultation.consult, HoldSide::Local, false);
                    self.transferred = true;
                    self.events.push(
                        at,
                        Pending::Transferred {
                            kind,
                            transferring: id,
                            transferred: consultation.held,
                            target: consultation.consult,
                        },
                    );
                }
            }
        }
        if self.parked.is_some_and(|(_, parked)| parked == id) {
            self.parked = None;
        }

        match self.segment {
            Segment::Offered {
                queue,
                queued_since,
                leg,
                ..
            } if leg == id && id != CUSTOMER => match (queue, queued_since.get()) {
                (Some(queue), Some(since)) => {
                    self.segment = Segment::Queued { queue, since };
                    self.events.push(at, Pending::Queued(queue, true));
                }
                _ => self.segment = Segment::SelfService,
            },
            _ => {}
        }
        if id == CUSTOMER {
            let answered = self
                .legs
                .get(CUSTOMER)
                .is_some_and(|leg| leg.answered_at.is_some());
            let before_agent = !self.agent_answered_at.is_some() && !self.callback;
            let by_customer = matches!(
                self.legs.get(CUSTOMER).map(|l| l.state),
                Some(ConnectionState::Cleared {
                    cleared_by: ClearedBy::Remote,
                    ..
                })
            );
            let previous = std::mem::replace(&mut self.segment, Segment::Ended);
            let phase = match previous {
                Segment::SelfService if answered && !self.self_service_done => {
                    Some(AbandonPhase::SelfService)
                }
                Segment::Queued { queue, .. } => {
                    // Only the customer hanging up abandons the queue; the
                    // host clearing (or redirecting) the customer clears it.
                    let reason = if by_customer {
                        DequeueReason::Abandoned
                    } else {
                        DequeueReason::Cleared
                    };
                    self.events.push(at, Pending::Dequeued(queue, reason));
                    Some(AbandonPhase::Queue)
                }
                Segment::Offered { leg, .. } => {
                    // Only the caller hanging up is an abandon; the host
                    // clearing the customer cancels the ringing agent leg.
                    let platform_cause = if by_customer {
                        PlatformCause::CALLER_ABANDONED
                    } else {
                        PlatformCause::ORIGINATOR_CANCEL
                    };
                    self.end_leg(
                        at,
                        leg,
                        ConnectionState::Cleared {
                            cause: Q850Cause::NORMAL_CLEARING,
                            platform_cause: Some(platform_cause),
                            cleared_by: ClearedBy::Platform,
                        },
                    );
                    Some(AbandonPhase::Alerting)
                }
                _ => None,
            };
            if before_agent && by_customer && self.abandoned.is_none() {
                self.abandoned = phase;
            }
        }
    }

    fn finish_wrap_up(&mut self, at: Timestamp, id: LegId, expired: bool) -> bool {
        let Some(leg) = self.legs.get_mut(id) else {
            return false;
        };
        if !leg.wrap_up_since.is_some() {
            return false;
        }
        leg.wrap_up_since = OptTime::NONE;
        self.events.push(at, Pending::WrapUpEnded(id, expired));
        true
    }

    fn clear_everything(&mut self, at: Timestamp, cause: PlatformCause) {
        if let Segment::Queued { queue, .. } = self.segment {
            self.events
                .push(at, Pending::Dequeued(queue, DequeueReason::Cleared));
        }
        self.segment = Segment::Ended;
        self.consultation = None;
        loop {
            let next = self.legs.iter().find(|l| l.is_live()).map(Leg::id);
            let Some(id) = next else { break };
            self.end_leg(
                at,
                id,
                ConnectionState::Cleared {
                    cause: cause.network_cause(),
                    platform_cause: Some(cause),
                    cleared_by: ClearedBy::Platform,
                },
            );
        }
    }

    /// Apply the call-wide rules after any change, until nothing changes.
    fn settle(&mut self, at: Timestamp) {
        // Bounded: each round ends at least one leg or breaks.
        for _ in 0..=Self::MAX_LEGS {
            let customer_live = self.legs.get(CUSTOMER).is_some_and(Leg::is_live);
            if customer_live {
                break;
            }
            let connected = self.connected_legs().count();
            let ringing = self
                .legs
                .iter()
                .find(|l| l.state.is_setting_up())
                .map(Leg::id);
            let busy = self.consultation.is_some() || self.parked.is_some();
            let next = match (connected, ringing) {
                // Nobody is left to talk to the legs still ringing.
                (0, Some(id)) => Some((id, Some(PlatformCause::ORIGINATOR_CANCEL))),
                // The last party has nobody to talk to.
                (1, None) if !busy => self.connected_legs().next().map(|l| (l.id, None)),
                _ => None,
            };
            let Some((id, platform_cause)) = next else {
                break;
            };
            self.end_leg(
                at,
                id,
                ConnectionState::Cleared {
                    cause: Q850Cause::NORMAL_CLEARING,
                    platform_cause,
                    cleared_by: ClearedBy::Platform,
                },
            );
        }
        let customer_alone = self.legs.iter().filter(|l| l.is_live()).count() == 1
            && self
                .legs
                .get(CUSTOMER)
                .is_some_and(|l| l.state.is_connected());
        if self.segment == Segment::Connected && customer_alone && self.parked.is_none() {
            // The agent left; the customer stays for whatever the host does next.
            self.segment = Segment::SelfService;
        }
        if !self.is_cleared() && self.legs.iter().all(|l| !l.is_live()) {
            self.cleared_at = OptTime::some(at);
            self.segment = Segment::Ended;
            self.consultation = None;
            self.parked = None;
            self.events.push(at, Pending::CallCleared);
        }
        if self.is_cleared()
            && !self.is_closed()
            && self.legs.iter().all(|l| !l.wrap_up_since.is_some())
        {
            self.closed_at = OptTime::some(at);
            self.events.push(at, Pending::Closed);
        }
    }

    // ----- operations ----------------------------------------------------

    /// Start dialling a previewed call's idle leg.
    pub fn dial(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        let op = Operation::Dial;
        if self.live_leg(op, leg)?.state != ConnectionState::Idle {
            return Err(self.leg_state_error(op, leg));
        }
        let now = self.clock(now);
        if let Some(l) = self.legs.get_mut(leg) {
            l.state = ConnectionState::Initiated;
        }
        self.events.push(now, Pending::Originated(leg));
        Ok(())
    }

    /// Ring an incoming leg (send 180, or 183 with `early_media`).
    pub fn ring(&mut self, now: Timestamp, leg: LegId, early_media: bool) -> Result<(), CallError> {
        let op = Operation::Ring;
        let l = self.live_leg(op, leg)?;
        if l.direction != Direction::Inbound {
            return Err(CallError::Direction {
                operation: op,
                leg,
                direction: l.direction,
            });
        }
        if !matches!(
            l.state,
            ConnectionState::Offered | ConnectionState::Alerting { .. }
        ) || l.state == (ConnectionState::Alerting { early_media })
        {
            return Err(self.leg_state_error(op, leg));
        }
        let now = self.clock(now);
        if let Some(l) = self.legs.get_mut(leg) {
            l.state = ConnectionState::Alerting { early_media };
            if !l.alerted_at.is_some() {
                l.alerted_at = OptTime::some(now);
            }
        }
        self.events.push(now, Pending::Delivered(leg, early_media));
        Ok(())
    }

    /// Answer an incoming leg (the platform picks up). Outgoing legs are
    /// answered by the far end: report that with [`Call::handle_answered`].
    pub fn answer(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        let op = Operation::Answer;
        let l = self.live_leg(op, leg)?;
        if l.direction != Direction::Inbound {
            return Err(CallError::Direction {
                operation: op,
                leg,
                direction: l.direction,
            });
        }
        if !matches!(
            l.state,
            ConnectionState::Offered | ConnectionState::Alerting { .. }
        ) {
            return Err(self.leg_state_error(op, leg));
        }
        let now = self.clock(now);
        self.connect(now, leg);
        self.settle(now);
        Ok(())
    }

    /// Refuse an incoming leg that is offered or alerting, with a cause
    /// (for example [`Q850Cause::USER_BUSY`] or [`Q850Cause::CALL_REJECTED`]).
    pub fn reject(
        &mut self,
        now: Timestamp,
        leg: LegId,
        cause: Q850Cause,
    ) -> Result<(), CallError> {
        let op = Operation::Reject;
        let l = self.live_leg(op, leg)?;
        if l.direction != Direction::Inbound {
            return Err(CallError::Direction {
                operation: op,
                leg,
                direction: l.direction,
            });
        }
        if !matches!(
            l.state,
            ConnectionState::Offered | ConnectionState::Alerting { .. }
        ) {
            return Err(self.leg_state_error(op, leg));
        }
        let now = self.clock(now);
        self.end_leg(
            now,
            leg,
            ConnectionState::Cleared {
                cause,
                platform_cause: None,
                cleared_by: ClearedBy::Local,
            },
        );
        self.settle(now);
        Ok(())
    }

    /// Put a connected leg on hold (it hears music on hold).
    pub fn hold(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        let op = Operation::Hold;
        match self.live_leg(op, leg)?.state.hold() {
            Some(hold) if !hold.is_local() => {}
            _ => return Err(self.leg_state_error(op, leg)),
        }
        let now = self.clock(now);
        self.set_hold(now, leg, HoldSide::Local, true);
        Ok(())
    }

    /// Take a leg we hold off hold.
    pub fn retrieve(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        let op = Operation::Retrieve;
        match self.live_leg(op, leg)?.state.hold() {
            Some(hold) if hold.is_local() => {}
            _ => return Err(self.leg_state_error(op, leg)),
        }
        if self.consultation.is_some_and(|c| c.held == leg) {
            // Retrieving the held party abandons the consultation.
            return Err(CallError::TransferInProgress { operation: op });
        }
        if self.parked.is_some_and(|(_, parked)| parked == leg) {
            return Err(self.leg_state_error(op, leg));
        }
        let now = self.clock(now);
        self.set_hold(now, leg, HoldSide::Local, false);
        Ok(())
    }

    fn set_mute(&mut self, now: Timestamp, leg: LegId, muted: bool) -> Result<(), CallError> {
        let op = if muted {
            Operation::Mute
        } else {
            Operation::Unmute
        };
        let l = self.live_leg(op, leg)?;
        if !l.state.is_connected() || l.muted == muted {
            return Err(self.leg_state_error(op, leg));
        }
        let now = self.clock(now);
        if let Some(l) = self.legs.get_mut(leg) {
            l.muted = muted;
        }
        self.events.push(now, Pending::MuteChanged(leg, muted));
        Ok(())
    }

    /// Mute a connected leg (its audio is not sent to the others).
    pub fn mute(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        self.set_mute(now, leg, true)
    }

    /// Unmute a muted leg.
    pub fn unmute(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        self.set_mute(now, leg, false)
    }

    /// Hang up a leg: clears a connected leg, cancels one being set up,
    /// rejects an incoming one. `cause` is what the far end is told.
    pub fn hangup(
        &mut self,
        now: Timestamp,
        leg: LegId,
        cause: Q850Cause,
    ) -> Result<(), CallError> {
        let op = Operation::Hangup;
        let state = self.live_leg(op, leg)?.state;
        if state.is_ended() {
            return Err(self.leg_state_error(op, leg));
        }
        let now = self.clock(now);
        let platform_cause = (state.is_setting_up() && state != ConnectionState::Offered)
            .then_some(PlatformCause::ORIGINATOR_CANCEL)
            .filter(|_| {
                self.legs
                    .get(leg)
                    .is_some_and(|l| l.direction == Direction::Outbound)
            });
        self.end_leg(
            now,
            leg,
            ConnectionState::Cleared {
                cause,
                platform_cause,
                cleared_by: ClearedBy::Local,
            },
        );
        self.settle(now);
        Ok(())
    }

    /// Self-service (the IVR) achieved the caller's goal: a hang-up from now
    /// on is not an abandonment.
    pub fn complete_self_service(&mut self, now: Timestamp) -> Result<(), CallError> {
        let op = Operation::CompleteSelfService;
        self.ensure_not_ended(op)?;
        if self.segment != Segment::SelfService {
            return Err(CallError::Phase {
                operation: op,
                phase: self.phase().name(),
            });
        }
        self.clock(now);
        self.self_service_done = true;
        Ok(())
    }

    /// Put the call in a queue, from self-service or from another queue.
    /// The customer leg must still be live (queueing before answer, with
    /// early media, is allowed).
    pub fn enqueue(&mut self, now: Timestamp, queue: QueueId) -> Result<(), CallError> {
        let op = Operation::Enqueue;
        if !self.live_leg(op, CUSTOMER)?.is_live() {
            return Err(self.leg_state_error(op, CUSTOMER));
        }
        let now = match self.segment {
            Segment::SelfService => {
                let now = self.clock(now);
                // Back in a queue after a timeout, the wait starts again.
                self.segment = Segment::Queued { queue, since: now };
                now
            }
            Segment::Queued {
                queue: current,
                since,
            } if current != queue => {
                let now = self.clock(now);
                self.events
                    .push(now, Pending::Dequeued(current, DequeueReason::Requeued));
                self.segment = Segment::Queued { queue, since };
                now
            }
            _ => {
                return Err(CallError::Phase {
                    operation: op,
                    phase: self.phase().name(),
                });
            }
        };
        if !self.first_queued_at.is_some() {
            self.first_queued_at = OptTime::some(now);
        }
        self.last_queue = Some(queue);
        self.events.push(now, Pending::Queued(queue, false));
        Ok(())
    }

    /// Offer the call to an agent, from a queue or directly from self-service:
    /// a new outgoing leg to the agent, which the ring-no-answer deadline
    /// watches. Returns the agent's leg.
    pub fn offer(&mut self, now: Timestamp, agent: AgentId) -> Result<LegId, CallError> {
        let op = Operation::Offer;
        if !self.live_leg(op, CUSTOMER)?.is_live() {
            return Err(self.leg_state_error(op, CUSTOMER));
        }
        let (queue, queued_since) = match self.segment {
            Segment::Queued { queue, since } => (Some(queue), OptTime::some(since)),
            Segment::SelfService => (None, OptTime::NONE),
            _ => {
                return Err(CallError::Phase {
                    operation: op,
                    phase: self.phase().name(),
                });
            }
        };
        if self.consultation.is_some() {
            return Err(CallError::TransferInProgress { operation: op });
        }
        self.ensure_room(op, 1)?;
        let now = self.clock(now);
        if let Some(queue) = queue {
            self.events
                .push(now, Pending::Dequeued(queue, DequeueReason::Offered));
        }
        let leg = self.add_leg(
            now,
            Party::Agent(agent),
            LegRole::Agent,
            ConnectionState::Initiated,
        );
        self.segment = Segment::Offered {
            queue,
            queued_since,
            leg,
            since: now,
        };
        Ok(leg)
    }

    /// Transfer without consulting: `leg` (the transferring party) leaves,
    /// and the other connected party is handed to `target` on a new leg.
    /// Needs exactly two connected parties and no consultation. Returns the
    /// target's leg.
    pub fn blind_transfer(
        &mut self,
        now: Timestamp,
        leg: LegId,
        target: Party,
    ) -> Result<LegId, CallError> {
        let op = Operation::BlindTransfer;
        let (transferring, transferred) = self.two_parties(op, leg)?;
        self.ensure_room(op, 1)?;
        let now = self.clock(now);
        let target_leg = self.add_leg(
            now,
            target,
            LegRole::TransferTarget,
            ConnectionState::Initiated,
        );
        // As in a completed consultation, the party handed over comes off
        // our hold: nobody who placed it stays to retrieve it. A parked
        // party stays held until it is picked up.
        if self.parked.is_none_or(|(_, parked)| parked != transferred) {
            self.set_hold(now, transferred, HoldSide::Local, false);
        }
        self.transferred = true;
        self.events.push(
            now,
            Pending::Transferred {
                kind: TransferKind::Blind,
                transferring,
                transferred,
                target: target_leg,
            },
        );
        self.end_leg(
            now,
            transferring,
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::TRANSFERRED),
                cleared_by: ClearedBy::Local,
            },
        );
        self.segment_after_handover();
        self.settle(now);
        Ok(target_leg)
    }

    fn segment_after_handover(&mut self) {
        if matches!(self.segment, Segment::SelfService | Segment::Connected)
            && self.legs.get(CUSTOMER).is_some_and(Leg::is_live)
        {
            self.segment = Segment::Connected;
        }
    }

    /// Start an attended transfer: the other connected party is held and a
    /// consultation leg to `target` is placed. Then [`Call::complete_transfer`],
    /// [`Call::conference`] or [`Call::cancel_consultation`]. Returns the
    /// consultation leg.
    pub fn consult(
        &mut self,
        now: Timestamp,
        leg: LegId,
        target: Party,
    ) -> Result<LegId, CallError> {
        let op = Operation::Consult;
        let (transferring, held) = self.two_parties(op, leg)?;
        if self
            .legs
            .get(held)
            .and_then(|l| l.state.hold())
            .is_some_and(HoldState::is_local)
        {
            return Err(self.leg_state_error(op, held));
        }
        self.ensure_room(op, 1)?;
        let now = self.clock(now);
        self.set_hold(now, held, HoldSide::Local, true);
        let consult = self.add_leg(
            now,
            target,
            LegRole::Consultation,
            ConnectionState::Initiated,
        );
        self.consultation = Some(Consultation {
            transferring,
            held,
            consult,
        });
        Ok(consult)
    }

    /// Complete the consultation as a transfer: attended if the consultation
    /// leg has answered, semi-attended if it is still ringing. The
    /// transferring party leaves; the held party is retrieved and joined
    /// with the consultation leg.
    pub fn complete_transfer(&mut self, now: Timestamp) -> Result<TransferKind, CallError> {
        let op = Operation::CompleteTransfer;
        self.ensure_not_ended(op)?;
        let consultation = self
            .consultation
            .ok_or(CallError::NoConsultation { operation: op })?;
        let consult_state = self
            .legs
            .get(consultation.consult)
            .map_or(ConnectionState::Idle, |l| l.state);
        let kind = match consult_state {
            ConnectionState::Connected { .. } => TransferKind::Attended,
            ConnectionState::Alerting { .. } => TransferKind::SemiAttended,
            _ => return Err(self.leg_state_error(op, consultation.consult)),
        };
        let now = self.clock(now);
        self.consultation = None;
        self.set_hold(now, consultation.held, HoldSide::Local, false);
        // The transferring party leaves: a target it had put on hold comes off it too.
        self.set_hold(now, consultation.consult, HoldSide::Local, false);
        self.transferred = true;
        self.events.push(
            now,
            Pending::Transferred {
                kind,
                transferring: consultation.transferring,
                transferred: consultation.held,
                target: consultation.consult,
            },
        );
        self.end_leg(
            now,
            consultation.transferring,
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::TRANSFERRED),
                cleared_by: ClearedBy::Local,
            },
        );
        self.segment_after_handover();
        self.settle(now);
        Ok(kind)
    }

    /// Give up the consultation: the consultation leg is cleared and the held
    /// party retrieved.
    pub fn cancel_consultation(&mut self, now: Timestamp) -> Result<(), CallError> {
        let op = Operation::CancelConsultation;
        self.ensure_not_ended(op)?;
        let consultation = self
            .consultation
            .ok_or(CallError::NoConsultation { operation: op })?;
        let now = self.clock(now);
        self.consultation = None;
        self.end_leg(
            now,
            consultation.consult,
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::CONSULTATION_CANCELLED),
                cleared_by: ClearedBy::Local,
            },
        );
        self.set_hold(now, consultation.held, HoldSide::Local, false);
        self.settle(now);
        Ok(())
    }

    /// Turn the consultation into a three-party conference: the held party is
    /// retrieved and everyone hears everyone. Needs the consultation leg connected.
    pub fn conference(&mut self, now: Timestamp) -> Result<(), CallError> {
        let op = Operation::Conference;
        self.ensure_not_ended(op)?;
        let consultation = self
            .consultation
            .ok_or(CallError::NoConsultation { operation: op })?;
        if !self
            .legs
            .get(consultation.consult)
            .is_some_and(|l| l.state.is_connected())
        {
            return Err(self.leg_state_error(op, consultation.consult));
        }
        let now = self.clock(now);
        self.consultation = None;
        self.set_hold(now, consultation.held, HoldSide::Local, false);
        self.conferenced = true;
        let parties = u8::try_from(self.connected_legs().count()).unwrap_or(u8::MAX);
        self.events
            .push(now, Pending::Conferenced(consultation.held, parties));
        Ok(())
    }

    /// Dial another party into the call; when it answers the call becomes (or
    /// stays) a conference. Returns the new leg.
    pub fn add_participant(&mut self, now: Timestamp, target: Party) -> Result<LegId, CallError> {
        let op = Operation::AddParticipant;
        self.ensure_not_ended(op)?;
        if self.consultation.is_some() {
            return Err(CallError::TransferInProgress { operation: op });
        }
        let connected = self.connected_legs().count();
        if connected < 2 {
            return Err(CallError::NotTwoParties {
                operation: op,
                connected,
            });
        }
        self.ensure_room(op, 1)?;
        let now = self.clock(now);
        Ok(self.add_leg(
            now,
            target,
            LegRole::Participant,
            ConnectionState::Initiated,
        ))
    }

    /// Remove a connected party from a conference of three or more.
    pub fn remove_participant(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        let op = Operation::RemoveParticipant;
        if !self.live_leg(op, leg)?.state.is_connected() {
            return Err(self.leg_state_error(op, leg));
        }
        let connected = self.connected_legs().count();
        if connected < 3 {
            return Err(CallError::NotTwoParties {
                operation: op,
                connected,
            });
        }
        let now = self.clock(now);
        self.end_leg(
            now,
            leg,
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::REMOVED_FROM_CONFERENCE),
                cleared_by: ClearedBy::Local,
            },
        );
        self.settle(now);
        Ok(())
    }

    /// Divert a leg that is ringing (or offered) to `target`.
    ///
    /// On the customer's own unanswered incoming leg this redirects the call
    /// away (SIP 302; the call ends, deflected) and returns `None`. On any
    /// other leg a new leg to `target` replaces it and is returned; if the
    /// deflected leg was an agent's offer and the target is an agent, the
    /// offer continues to that agent with a fresh ring-no-answer deadline.
    pub fn deflect(
        &mut self,
        now: Timestamp,
        leg: LegId,
        target: Party,
    ) -> Result<Option<LegId>, CallError> {
        let op = Operation::Deflect;
        let state = self.live_leg(op, leg)?.state;
        if !matches!(
            state,
            ConnectionState::Offered
                | ConnectionState::Alerting { .. }
                | ConnectionState::Initiated
        ) {
            return Err(self.leg_state_error(op, leg));
        }
        let needs_leg = leg != CUSTOMER;
        if needs_leg {
            self.ensure_room(op, 1)?;
        }
        let now = self.clock(now);
        // Only redirecting the customer's own call is the call's outcome; a
        // deflected agent offer is recorded as a diversion.
        self.deflected |= !needs_leg;
        let new_leg = if needs_leg {
            let role = self
                .legs
                .get(leg)
                .map_or(LegRole::TransferTarget, |l| l.role);
            let role = if role == LegRole::Agent && target.agent().is_none() {
                LegRole::TransferTarget
            } else {
                role
            };
            let target_is_agent = target.agent().is_some();
            let new_leg = self.add_leg(now, target, role, ConnectionState::Initiated);
            if let Some(c) = self.consultation.as_mut()
                && c.consult == leg
            {
                c.consult = new_leg;
            }
            if let Segment::Offered {
                queue,
                queued_since,
                leg: offered,
                ..
            } = self.segment
                && offered == leg
            {
                self.segment = if target_is_agent {
                    Segment::Offered {
                        queue,
                        queued_since,
                        leg: new_leg,
                        since: now,
                    }
                } else {
                    Segment::Connected
                };
            }
            Some(new_leg)
        } else {
            None
        };
        self.events.push(now, Pending::Diverted(leg, new_leg));
        self.end_leg(
            now,
            leg,
            ConnectionState::Cleared {
                cause: Q850Cause::REDIRECTION_TO_NEW_DESTINATION,
                platform_cause: Some(PlatformCause::DEFLECTED),
                cleared_by: ClearedBy::Local,
            },
        );
        self.settle(now);
        Ok(new_leg)
    }

    /// Park: `leg` (the parking party) leaves and the other connected party
    /// waits on hold in `slot` until [`Call::pickup`].
    pub fn park(&mut self, now: Timestamp, leg: LegId, slot: ParkSlot) -> Result<(), CallError> {
        let op = Operation::Park;
        let (parking, parked) = self.two_parties(op, leg)?;
        if self.parked.is_some() {
            return Err(self.leg_state_error(op, parked));
        }
        let now = self.clock(now);
        self.set_hold(now, parked, HoldSide::Local, true);
        self.parked = Some((slot, parked));
        self.events.push(now, Pending::Parked(parked, slot));
        self.end_leg(
            now,
            parking,
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::PARKED),
                cleared_by: ClearedBy::Local,
            },
        );
        self.settle(now);
        Ok(())
    }

    /// `party` picks up the call parked in `slot`: its leg arrives connected
    /// and the parked party is retrieved. Returns the new leg.
    pub fn pickup(
        &mut self,
        now: Timestamp,
        slot: ParkSlot,
        party: Party,
    ) -> Result<LegId, CallError> {
        let op = Operation::Pickup;
        self.ensure_not_ended(op)?;
        let Some((parked_slot, parked)) = self.parked.filter(|(s, _)| *s == slot) else {
            return Err(CallError::NotParked {
                operation: op,
                slot,
            });
        };
        self.ensure_room(op, 1)?;
        let now = self.clock(now);
        self.parked = None;
        let leg = self.add_leg(
            now,
            party,
            LegRole::Pickup,
            ConnectionState::Connected {
                hold: HoldState::None,
            },
        );
        self.events.push(now, Pending::Established(leg));
        if self.legs.get(leg).and_then(Leg::agent).is_some() && !self.agent_answered_at.is_some() {
            self.agent_answered_at = OptTime::some(now);
        }
        self.events.push(now, Pending::PickedUp(leg, parked_slot));
        self.set_hold(now, parked, HoldSide::Local, false);
        if parked == CUSTOMER {
            self.segment = Segment::Connected;
        }
        self.settle(now);
        Ok(leg)
    }

    /// The customer leaves the queue asking to be called back: the customer
    /// leg is cleared, and the call is not abandoned.
    pub fn request_callback(&mut self, now: Timestamp) -> Result<(), CallError> {
        let op = Operation::RequestCallback;
        self.ensure_not_ended(op)?;
        let Segment::Queued { queue, .. } = self.segment else {
            return Err(CallError::Phase {
                operation: op,
                phase: self.phase().name(),
            });
        };
        let now = self.clock(now);
        self.callback = true;
        self.segment = Segment::Ended;
        self.events
            .push(now, Pending::Dequeued(queue, DequeueReason::Callback));
        self.events
            .push(now, Pending::CallbackRequested(Some(queue)));
        self.end_leg(
            now,
            CUSTOMER,
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::CALLBACK_REQUESTED),
                cleared_by: ClearedBy::Local,
            },
        );
        self.settle(now);
        Ok(())
    }

    /// The agent on `leg` finished after-call work.
    pub fn end_wrap_up(&mut self, now: Timestamp, leg: LegId) -> Result<(), CallError> {
        let op = Operation::EndWrapUp;
        let l = self
            .legs
            .get(leg)
            .ok_or(CallError::NoSuchLeg { operation: op, leg })?;
        if !l.wrap_up_since.is_some() {
            return Err(CallError::NotInWrapUp { operation: op, leg });
        }
        let now = self.clock(now);
        self.finish_wrap_up(now, leg, false);
        self.settle(now);
        Ok(())
    }

    // ----- platform reports ----------------------------------------------

    /// The far end of an outgoing leg is ringing (SIP 180, or 183 with `early_media`).
    pub fn handle_alerting(
        &mut self,
        now: Timestamp,
        leg: LegId,
        early_media: bool,
    ) -> Result<(), ProtocolError> {
        let report = Report::Alerting;
        let l = self.reported_leg(report, leg)?;
        if l.direction != Direction::Outbound {
            return Err(ProtocolError::Direction { report, leg });
        }
        match l.state {
            ConnectionState::Initiated => {}
            ConnectionState::Alerting { early_media: was } if was != early_media => {}
            // A repeated 180 is harmless and changes nothing.
            ConnectionState::Alerting { .. } => return Ok(()),
            state => return Err(ProtocolError::LegState { report, leg, state }),
        }
        let now = self.clock(now);
        if let Some(l) = self.legs.get_mut(leg) {
            l.state = ConnectionState::Alerting { early_media };
            if !l.alerted_at.is_some() {
                l.alerted_at = OptTime::some(now);
            }
        }
        self.events.push(now, Pending::Delivered(leg, early_media));
        Ok(())
    }

    /// The far end of an outgoing leg answered (SIP 200 to our INVITE). An
    /// agent answering an offer connects the customer too (answering the
    /// customer's leg if the platform had not yet).
    pub fn handle_answered(&mut self, now: Timestamp, leg: LegId) -> Result<(), ProtocolError> {
        let report = Report::Answered;
        let l = self.reported_leg(report, leg)?;
        if l.direction != Direction::Outbound {
            return Err(ProtocolError::Direction { report, leg });
        }
        if !matches!(
            l.state,
            ConnectionState::Initiated | ConnectionState::Alerting { .. }
        ) {
            return Err(ProtocolError::LegState {
                report,
                leg,
                state: l.state,
            });
        }
        let now = self.clock(now);
        // Whoever answers for the customer (an agent's offer, or the party an
        // offer was deflected to) connects an incoming customer leg the
        // platform had not answered yet. Only our own platform answers an
        // incoming customer leg; an outbound one still ringing answers for
        // itself.
        if leg != CUSTOMER
            && self.legs.get(CUSTOMER).is_some_and(|c| {
                c.direction == Direction::Inbound
                    && matches!(
                        c.state,
                        ConnectionState::Offered | ConnectionState::Alerting { .. }
                    )
            })
        {
            self.connect(now, CUSTOMER);
        }
        if let Segment::Offered { leg: offered, .. } = self.segment
            && offered == leg
        {
            self.segment = Segment::Connected;
        }
        self.connect(now, leg);
        self.settle(now);
        Ok(())
    }

    /// The far end put us on hold (`held`), or took us off hold.
    /// Repeating the current state is harmless.
    pub fn handle_remote_hold(
        &mut self,
        now: Timestamp,
        leg: LegId,
        held: bool,
    ) -> Result<(), ProtocolError> {
        let report = Report::RemoteHold;
        let l = self.reported_leg(report, leg)?;
        if !l.state.is_connected() {
            return Err(ProtocolError::LegState {
                report,
                leg,
                state: l.state,
            });
        }
        let now = self.clock(now);
        self.set_hold(now, leg, HoldSide::Remote, held);
        Ok(())
    }

    /// The far end hung up or cancelled (BYE, CANCEL, an ISUP release).
    pub fn handle_cleared(
        &mut self,
        now: Timestamp,
        leg: LegId,
        cause: Q850Cause,
    ) -> Result<(), ProtocolError> {
        let report = Report::Cleared;
        let l = self.reported_leg(report, leg)?;
        if l.state == ConnectionState::Idle {
            return Err(ProtocolError::LegState {
                report,
                leg,
                state: l.state,
            });
        }
        let now = self.clock(now);
        self.end_leg(
            now,
            leg,
            ConnectionState::Cleared {
                cause,
                platform_cause: None,
                cleared_by: ClearedBy::Remote,
            },
        );
        self.settle(now);
        Ok(())
    }

    /// An outgoing leg failed before it was answered (a final error response:
    /// map SIP statuses with [`SipStatus::to_q850`](crate::cause::SipStatus::to_q850)).
    /// An agent's failed offer sends the call back to its queue.
    pub fn handle_failed(
        &mut self,
        now: Timestamp,
        leg: LegId,
        cause: Q850Cause,
    ) -> Result<(), ProtocolError> {
        let report = Report::Failed;
        let l = self.reported_leg(report, leg)?;
        if l.direction != Direction::Outbound {
            return Err(ProtocolError::Direction { report, leg });
        }
        if !matches!(
            l.state,
            ConnectionState::Initiated | ConnectionState::Alerting { .. }
        ) {
            return Err(ProtocolError::LegState {
                report,
                leg,
                state: l.state,
            });
        }
        let platform_cause = (l.role == LegRole::Agent && cause == Q850Cause::CALL_REJECTED)
            .then_some(PlatformCause::AGENT_REJECTED);
        let now = self.clock(now);
        self.end_leg(
            now,
            leg,
            ConnectionState::Failed {
                cause,
                platform_cause,
            },
        );
        self.settle(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    fn addr(s: &str) -> Address {
        Address::new(s).unwrap()
    }

    fn inbound() -> Call {
        Call::inbound(
            CallId(1),
            t(0),
            addr("+15550100"),
            Some(addr("800")),
            CallLimits::default(),
        )
    }

    fn drain(call: &mut Call) -> Vec<CallEvent> {
        std::iter::from_fn(|| call.poll_event()).collect()
    }

    /// An inbound call answered by IVR, queued and talking to agent 7.
    fn talking() -> (Call, LegId) {
        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.enqueue(t(10), QueueId(1)).unwrap();
        let agent = call.offer(t(20), AgentId(7)).unwrap();
        call.handle_alerting(t(20), agent, false).unwrap();
        call.handle_answered(t(25), agent).unwrap();
        drain(&mut call);
        (call, agent)
    }

    #[test]
    fn size_of_a_call_is_within_budget() {
        assert!(
            std::mem::size_of::<Call>() <= 480,
            "{}",
            std::mem::size_of::<Call>()
        );
        assert!(
            std::mem::size_of::<Leg>() <= 80,
            "{}",
            std::mem::size_of::<Leg>()
        );
    }

    #[test]
    fn ring_no_answer_requeues_and_keeps_the_first_queue_entry() {
        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.enqueue(t(10), QueueId(1)).unwrap();
        let agent = call.offer(t(20), AgentId(7)).unwrap();
        call.handle_alerting(t(21), agent, false).unwrap();
        assert_eq!(call.poll_timeout(), Some(t(40)));
        call.handle_timeout(t(39));
        assert!(matches!(call.phase(), Phase::Offered { .. }));
        drain(&mut call);
        call.handle_timeout(t(40));
        assert_eq!(call.phase(), Phase::Queued { queue: QueueId(1) });
        let events = drain(&mut call);
        assert_eq!(
            events,
            vec![
                CallEvent::ConnectionCleared {
                    call: CallId(1),
                    at: t(40),
                    leg: agent,
                    cause: Q850Cause::NO_ANSWER,
                    platform_cause: Some(PlatformCause::RING_NO_ANSWER),
                    cleared_by: ClearedBy::Platform,
                },
                CallEvent::Queued {
                    call: CallId(1),
                    at: t(40),
                    queue: QueueId(1),
                    requeued: true
                },
            ]
        );
        // The agent never answered: no wrap-up for them.
        assert_eq!(call.leg(agent).unwrap().wrap_up_since(), None);
        // The caller then hangs up: abandoned in queue.
        call.handle_cleared(t(50), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.abandoned(), Some(AbandonPhase::Queue));
        assert_eq!(call.disposition(), Some(Disposition::Abandoned));
        assert!(call.is_closed());
    }

    #[test]
    fn abandon_while_the_agent_rings_clears_the_agent_leg() {
        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.enqueue(t(10), QueueId(1)).unwrap();
        let agent = call.offer(t(20), AgentId(7)).unwrap();
        call.handle_cleared(t(22), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.abandoned(), Some(AbandonPhase::Alerting));
        assert_eq!(
            call.leg(agent).unwrap().state(),
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::CALLER_ABANDONED),
                cleared_by: ClearedBy::Platform
            }
        );
        assert_eq!(call.phase(), Phase::Closed);
    }

    #[test]
    fn hanging_up_in_self_service_is_abandonment_unless_completed() {
        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.handle_cleared(t(5), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.disposition(), Some(Disposition::Abandoned));

        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.complete_self_service(t(4)).unwrap();
        call.handle_cleared(t(5), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.disposition(), Some(Disposition::Answered));

        // Hanging up before the platform answered is a cancel, not an abandon.
        let mut call = inbound();
        call.ring(t(1), CUSTOMER, false).unwrap();
        call.handle_cleared(t(3), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.disposition(), Some(Disposition::Canceled));
    }

    #[test]
    fn retrieve_on_a_leg_that_is_not_held_is_a_caller_error() {
        let (mut call, agent) = talking();
        let err = call.retrieve(t(30), CUSTOMER).unwrap_err();
        assert_eq!(
            err.to_string(),
            "retrieve on leg-0: not allowed while the leg is connected (not held)"
        );
        call.hold(t(30), CUSTOMER).unwrap();
        assert!(call.hold(t(31), CUSTOMER).is_err());
        call.handle_remote_hold(t(32), CUSTOMER, true).unwrap();
        assert_eq!(
            call.leg(CUSTOMER).unwrap().state().hold(),
            Some(HoldState::Both)
        );
        call.retrieve(t(33), CUSTOMER).unwrap();
        assert_eq!(
            call.leg(CUSTOMER).unwrap().state().hold(),
            Some(HoldState::Remote)
        );
        assert!(call.answer(t(34), agent).is_err());
    }

    #[test]
    fn answer_on_a_cleared_leg_is_a_protocol_error() {
        let (mut call, agent) = talking();
        call.handle_cleared(t(40), agent, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        let err = call.handle_answered(t(41), agent).unwrap_err();
        assert!(matches!(err, ProtocolError::LegState { .. }), "{err}");
        // The customer is alone: back to self-service (e.g. a survey).
        assert_eq!(call.phase(), Phase::SelfService);
    }

    #[test]
    fn attended_transfer_hands_the_customer_over() {
        let (mut call, agent) = talking();
        let consult = call
            .consult(t(30), agent, Party::Agent(AgentId(8)))
            .unwrap();
        assert!(
            call.blind_transfer(t(30), agent, Party::Agent(AgentId(9)))
                .is_err()
        );
        assert!(call.complete_transfer(t(30)).is_err()); // not even ringing
        call.handle_alerting(t(31), consult, false).unwrap();
        call.handle_answered(t(35), consult).unwrap();
        assert_eq!(
            call.complete_transfer(t(40)).unwrap(),
            TransferKind::Attended
        );
        assert_eq!(
            call.leg(CUSTOMER).unwrap().state().hold(),
            Some(HoldState::None)
        );
        assert!(call.leg(agent).unwrap().wrap_up_since().is_some());
        assert_eq!(
            call.phase(),
            Phase::Talking {
                agent: Some(AgentId(8))
            }
        );
        call.handle_cleared(t(100), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.disposition(), Some(Disposition::Transferred));
        // Both agents wrap up; the call closes after the later one.
        assert_eq!(call.phase(), Phase::WrapUp);
        call.end_wrap_up(t(101), agent).unwrap();
        assert_eq!(call.phase(), Phase::WrapUp);
        call.end_wrap_up(t(102), consult).unwrap();
        assert_eq!(call.phase(), Phase::Closed);
    }

    #[test]
    fn cancelling_a_consultation_recovers_the_held_party() {
        let (mut call, agent) = talking();
        let consult = call
            .consult(t(30), agent, Party::External(addr("200")))
            .unwrap();
        call.handle_alerting(t(31), consult, true).unwrap();
        call.cancel_consultation(t(33)).unwrap();
        assert!(!call.consultation_in_progress());
        assert_eq!(
            call.leg(CUSTOMER).unwrap().state().hold(),
            Some(HoldState::None)
        );
        assert!(call.leg(consult).unwrap().state().is_ended());
        // A second consultation is allowed afterwards.
        call.consult(t(40), agent, Party::External(addr("201")))
            .unwrap();
    }

    #[test]
    fn hanging_up_while_the_consultation_rings_is_a_semi_attended_transfer() {
        let (mut call, agent) = talking();
        let consult = call
            .consult(t(30), agent, Party::External(addr("200")))
            .unwrap();
        call.handle_alerting(t(31), consult, false).unwrap();
        drain(&mut call);
        call.hangup(t(32), agent, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        let events = drain(&mut call);
        assert!(events.iter().any(|e| matches!(
            e,
            CallEvent::Transferred {
                kind: TransferKind::SemiAttended,
                ..
            }
        )));
        call.handle_answered(t(40), consult).unwrap();
        assert_eq!(call.phase(), Phase::Talking { agent: None });
    }

    #[test]
    fn conference_and_remove_participant() {
        let (mut call, agent) = talking();
        let consult = call
            .consult(t(30), agent, Party::Agent(AgentId(2)))
            .unwrap();
        call.handle_answered(t(31), consult).unwrap();
        call.conference(t(32)).unwrap();
        assert_eq!(call.connected_legs().count(), 3);
        let extra = call
            .add_participant(t(33), Party::External(addr("300")))
            .unwrap();
        call.handle_answered(t(34), extra).unwrap();
        assert_eq!(call.connected_legs().count(), 4);
        call.remove_participant(t(35), extra).unwrap();
        call.remove_participant(t(36), consult).unwrap();
        assert!(call.remove_participant(t(37), agent).is_err());
        assert!(
            call.blind_transfer(t(38), agent, Party::Agent(AgentId(3)))
                .is_ok()
        );
    }

    #[test]
    fn deflecting_an_offer_moves_the_ring_to_the_new_agent() {
        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.enqueue(t(2), QueueId(4)).unwrap();
        let first = call.offer(t(3), AgentId(1)).unwrap();
        call.handle_alerting(t(3), first, false).unwrap();
        let second = call
            .deflect(t(5), first, Party::Agent(AgentId(2)))
            .unwrap()
            .unwrap();
        assert_eq!(
            call.phase(),
            Phase::Offered {
                queue: Some(QueueId(4)),
                agent: Some(AgentId(2))
            }
        );
        assert_eq!(call.poll_timeout(), Some(t(25)));
        call.handle_answered(t(6), second).unwrap();
        call.hangup(t(9), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.disposition(), Some(Disposition::Answered));

        // Redirecting the customer's own unanswered call is the outcome.
        let mut call = inbound();
        call.ring(t(1), CUSTOMER, false).unwrap();
        assert_eq!(
            call.deflect(t(2), CUSTOMER, Party::External(addr("+15550999")))
                .unwrap(),
            None
        );
        assert_eq!(call.disposition(), Some(Disposition::Deflected));
    }

    #[test]
    fn park_and_pickup() {
        let (mut call, agent) = talking();
        call.park(t(30), agent, ParkSlot(701)).unwrap();
        assert_eq!(call.parked_in(), Some(ParkSlot(701)));
        assert!(call.retrieve(t(31), CUSTOMER).is_err());
        assert!(
            call.pickup(t(32), ParkSlot(702), Party::Agent(AgentId(3)))
                .is_err()
        );
        let picker = call
            .pickup(t(33), ParkSlot(701), Party::Agent(AgentId(3)))
            .unwrap();
        assert!(call.leg(picker).unwrap().state().is_connected());
        assert_eq!(
            call.leg(CUSTOMER).unwrap().state().hold(),
            Some(HoldState::None)
        );
        assert_eq!(
            call.phase(),
            Phase::Talking {
                agent: Some(AgentId(3))
            }
        );
    }

    #[test]
    fn callback_is_not_abandonment() {
        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.enqueue(t(2), QueueId(4)).unwrap();
        call.request_callback(t(60)).unwrap();
        assert_eq!(call.disposition(), Some(Disposition::CallbackRequested));
        assert_eq!(call.abandoned(), None);
    }

    #[test]
    fn max_queue_wait_and_max_call_length() {
        let limits = CallLimits {
            max_queue_wait: Some(Duration::from_secs(60)),
            max_call_length: Some(Duration::from_secs(3600)),
            ..CallLimits::default()
        };
        let mut call = Call::inbound(CallId(2), t(0), addr("1"), None, limits);
        call.answer(t(1), CUSTOMER).unwrap();
        call.enqueue(t(10), QueueId(1)).unwrap();
        assert_eq!(call.poll_timeout(), Some(t(70)));
        call.handle_timeout(t(70));
        assert_eq!(call.phase(), Phase::SelfService);
        let events = drain(&mut call);
        assert!(events.contains(&CallEvent::Dequeued {
            call: CallId(2),
            at: t(70),
            queue: QueueId(1),
            reason: DequeueReason::Timeout
        }));
        assert_eq!(call.poll_timeout(), Some(t(3600)));
        call.handle_timeout(t(4000));
        assert!(call.is_closed());
        assert_eq!(
            call.leg(CUSTOMER).unwrap().state(),
            ConnectionState::Cleared {
                cause: Q850Cause::NORMAL_CLEARING,
                platform_cause: Some(PlatformCause::MAX_CALL_LENGTH),
                cleared_by: ClearedBy::Platform
            }
        );
        // Not the caller's doing: not abandoned.
        assert_eq!(call.abandoned(), None);
    }

    #[test]
    fn outbound_busy_and_no_answer() {
        let mut call = Call::outbound(CallId(3), t(0), addr("555"), None, CallLimits::default());
        call.handle_failed(t(2), CUSTOMER, Q850Cause::USER_BUSY)
            .unwrap();
        assert_eq!(call.disposition(), Some(Disposition::Busy));
        let mut call = Call::outbound(CallId(3), t(0), addr("555"), None, CallLimits::default());
        call.handle_alerting(t(1), CUSTOMER, false).unwrap();
        call.hangup(t(30), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert_eq!(call.disposition(), Some(Disposition::Canceled));
        assert!(call.ring(t(31), CUSTOMER, false).is_err());
    }

    #[test]
    fn preview_dials_an_idle_leg() {
        let mut call = Call::preview(CallId(4), t(0), addr("555"), None, CallLimits::default());
        assert!(matches!(
            call.poll_event(),
            Some(CallEvent::ServiceInitiated { .. })
        ));
        assert!(call.handle_answered(t(1), CUSTOMER).is_err());
        call.dial(t(2), CUSTOMER).unwrap();
        assert!(matches!(
            call.poll_event(),
            Some(CallEvent::Originated { .. })
        ));
        assert!(call.dial(t(3), CUSTOMER).is_err());
    }

    #[test]
    fn limits_can_change_mid_call() {
        let mut call = inbound();
        call.answer(t(1), CUSTOMER).unwrap();
        call.enqueue(t(10), QueueId(1)).unwrap();
        assert_eq!(call.poll_timeout(), None);
        let limits = CallLimits {
            max_queue_wait: Some(Duration::from_secs(30)),
            ..call.limits()
        };
        call.set_limits(limits);
        assert_eq!(call.limits(), limits);
        assert_eq!(call.poll_timeout(), Some(t(40)));
    }

    #[test]
    fn the_common_call_needs_no_heap() {
        let (mut call, agent) = talking();
        call.hold(t(30), CUSTOMER).unwrap();
        call.retrieve(t(31), CUSTOMER).unwrap();
        call.hangup(t(40), agent, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        call.hangup(t(40), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        drain(&mut call);
        assert_eq!(call.heap_bytes(), 0);
        // A third leg and a burst of events spill to the heap, and the event
        // spill is given back once drained.
        let (mut call, agent) = talking();
        call.consult(t(30), agent, Party::Agent(AgentId(2)))
            .unwrap();
        assert!(call.heap_bytes() > 0);
        call.hangup(t(31), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        drain(&mut call);
        assert_eq!(call.heap_bytes(), call.legs.heap_bytes());
    }

    #[test]
    fn attributes_are_limited() {
        let mut call = inbound();
        call.set_attribute("crm_id", "42").unwrap();
        call.set_attribute("crm_id", "43").unwrap();
        assert_eq!(
            call.attributes().collect::<Vec<_>>(),
            vec![("crm_id", "43")]
        );
        assert!(call.set_attribute("", "x").is_err());
        assert!(call.set_attribute("k", &"x".repeat(2000)).is_err());
        for i in 1..64 {
            call.set_attribute(&format!("k{i}"), "v").unwrap();
        }
        assert!(call.set_attribute("one_more", "v").is_err());
    }

    #[test]
    fn operations_on_an_ended_call_fail_cleanly() {
        let (mut call, agent) = talking();
        call.hangup(t(30), CUSTOMER, Q850Cause::NORMAL_CLEARING)
            .unwrap();
        assert!(call.is_cleared());
        assert_eq!(
            call.hold(t(31), agent),
            Err(CallError::CallEnded {
                operation: Operation::Hold
            })
        );
        assert!(call.enqueue(t(31), QueueId(1)).is_err());
        assert!(
            call.handle_cleared(t(31), agent, Q850Cause::NORMAL_CLEARING)
                .is_err()
        );
    }
}
