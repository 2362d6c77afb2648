//! Events a [`Call`](crate::call::Call) reports, shaped after ECMA-269 (CSTA)
//! call-control and ACD events.
//!
//! Every event carries the call's root id and the time it happened. In JSON
//! the variant is the `"event"` field (snake_case) and the other field names
//! are stable: renaming one is a breaking change.

use serde::{Deserialize, Serialize};

use crate::agent::AgentStateChanged;
use crate::cause::{PlatformCause, Q850Cause};
use crate::disposition::{AbandonPhase, Disposition};
use crate::id::{AgentId, CallId, LegId, ParkSlot, QueueId};
use crate::leg::{ClearedBy, Direction, HoldSide, LegRole};
use crate::party::Party;
use crate::time::Timestamp;

/// How a transfer was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Handed over without talking to the target first.
    Blind,
    /// Handed over after the consultation leg answered.
    Attended,
    /// Handed over while the consultation leg was still ringing.
    SemiAttended,
}

/// Why a call left a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DequeueReason {
    /// Offered to an agent.
    Offered,
    /// The customer hung up.
    Abandoned,
    /// The maximum queue wait expired.
    Timeout,
    /// The customer asked for a callback.
    Callback,
    /// Moved to another queue.
    Requeued,
    /// The call was cleared by the platform or the host (for example the
    /// maximum call length, a hang-up or a redirect of the customer).
    Cleared,
}

/// An event from a call. See the module documentation for the JSON shape.
///
/// # Examples
///
/// ```
/// use call_core::event::CallEvent;
/// use call_core::id::{CallId, LegId};
/// use call_core::time::Timestamp;
///
/// let event = CallEvent::Established {
///     call: CallId(7),
///     at: Timestamp::from_millis(1_000),
///     leg: LegId(1),
/// };
/// assert_eq!(
///     serde_json::to_string(&event).unwrap(),
///     r#"{"event":"established","call":7,"at":1000,"leg":1}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallEvent {
    /// An incoming leg arrived (CSTA Offered).
    Offered {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The new leg.
        leg: LegId,
        /// Who is calling.
        party: Party,
        /// What the leg is for.
        role: LegRole,
    },
    /// A previewed outgoing leg was created but not dialled yet (CSTA
    /// Service Initiated); `originated` follows when it is dialled.
    ServiceInitiated {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The new leg.
        leg: LegId,
        /// Who we will call.
        party: Party,
        /// What the leg is for.
        role: LegRole,
    },
    /// We started an outgoing leg (CSTA Originated).
    Originated {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The new leg.
        leg: LegId,
        /// Who we are calling.
        party: Party,
        /// What the leg is for.
        role: LegRole,
    },
    /// A leg is ringing (CSTA Delivered).
    Delivered {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg.
        leg: LegId,
        /// Whether early media flows.
        early_media: bool,
    },
    /// A leg was answered (CSTA Established).
    Established {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg.
        leg: LegId,
    },
    /// A leg was put on hold (CSTA Held).
    Held {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The held leg.
        leg: LegId,
        /// Who held it.
        side: HoldSide,
    },
    /// A hold ended (CSTA Retrieved).
    Retrieved {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg.
        leg: LegId,
        /// Whose hold ended.
        side: HoldSide,
    },
    /// A leg was muted or unmuted.
    MuteChanged {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg.
        leg: LegId,
        /// The new flag.
        muted: bool,
    },
    /// A transfer completed (CSTA Transferred).
    Transferred {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// Blind, attended or semi-attended.
        kind: TransferKind,
        /// The leg that did the transfer (now cleared).
        transferring_leg: LegId,
        /// The leg that was handed over.
        transferred_leg: LegId,
        /// The leg it was handed to.
        target_leg: LegId,
    },
    /// A party joined a conference (CSTA Conferenced).
    Conferenced {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg that joined.
        leg: LegId,
        /// Connected parties after the join.
        parties: u8,
    },
    /// An alerting leg was diverted (CSTA Diverted).
    Diverted {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg that was ringing.
        from_leg: LegId,
        /// The new leg, or `None` when the customer's own incoming call was
        /// redirected away from us.
        to_leg: Option<LegId>,
    },
    /// The call entered a queue (CSTA Queued).
    Queued {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The queue.
        queue: QueueId,
        /// Whether it came back after a failed offer (ring-no-answer, rejection).
        requeued: bool,
    },
    /// The call left a queue.
    Dequeued {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The queue.
        queue: QueueId,
        /// Why.
        reason: DequeueReason,
    },
    /// A party was parked.
    Parked {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The parked leg.
        leg: LegId,
        /// Where.
        slot: ParkSlot,
    },
    /// A parked call was picked up.
    PickedUp {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The new leg of whoever picked up.
        leg: LegId,
        /// From where.
        slot: ParkSlot,
    },
    /// The customer chose a callback.
    CallbackRequested {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The queue the customer was waiting in.
        queue: Option<QueueId>,
    },
    /// A leg ended after being set up or connected (CSTA Connection Cleared).
    ConnectionCleared {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg.
        leg: LegId,
        /// The network cause.
        cause: Q850Cause,
        /// The platform's reason, if any.
        platform_cause: Option<PlatformCause>,
        /// Who ended it.
        cleared_by: ClearedBy,
    },
    /// A leg could not be set up (CSTA Failed).
    Failed {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The leg.
        leg: LegId,
        /// The network cause.
        cause: Q850Cause,
        /// The platform's reason, if any.
        platform_cause: Option<PlatformCause>,
    },
    /// An agent's after-call work began for this call.
    WrapUpStarted {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The agent's leg.
        leg: LegId,
        /// The agent.
        agent: AgentId,
    },
    /// An agent's after-call work ended (by the host or by expiry).
    WrapUpEnded {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The agent's leg.
        leg: LegId,
        /// The agent.
        agent: AgentId,
        /// Whether the wrap-up deadline ended it.
        expired: bool,
    },
    /// Every leg has ended (CSTA Call Cleared).
    CallCleared {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The derived outcome.
        disposition: Disposition,
        /// Where the customer abandoned, if they did.
        abandoned: Option<AbandonPhase>,
    },
    /// Legs and after-call work are all over; the call detail record can be written.
    Closed {
        /// Call.
        call: CallId,
        /// When.
        at: Timestamp,
        /// The derived outcome.
        disposition: Disposition,
    },
}

impl CallEvent {
    /// The call this event is about.
    pub fn call(&self) -> CallId {
        match self {
            CallEvent::Offered { call, .. }
            | CallEvent::ServiceInitiated { call, .. }
            | CallEvent::Originated { call, .. }
            | CallEvent::Delivered { call, .. }
            | CallEvent::Established { call, .. }
            | CallEvent::Held { call, .. }
            | CallEvent::Retrieved { call, .. }
            | CallEvent::MuteChanged { call, .. }
            | CallEvent::Transferred { call, .. }
            | CallEvent::Conferenced { call, .. }
            | CallEvent::Diverted { call, .. }
            | CallEvent::Queued { call, .. }
            | CallEvent::Dequeued { call, .. }
            | CallEvent::Parked { call, .. }
            | CallEvent::PickedUp { call, .. }
            | CallEvent::CallbackRequested { call, .. }
            | CallEvent::ConnectionCleared { call, .. }
            | CallEvent::Failed { call, .. }
            | CallEvent::WrapUpStarted { call, .. }
            | CallEvent::WrapUpEnded { call, .. }
            | CallEvent::CallCleared { call, .. }
            | CallEvent::Closed { call, .. } => *call,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            CallEvent::Offered { at, .. }
            | CallEvent::ServiceInitiated { at, .. }
            | CallEvent::Originated { at, .. }
            | CallEvent::Delivered { at, .. }
            | CallEvent::Established { at, .. }
            | CallEvent::Held { at, .. }
            | CallEvent::Retrieved { at, .. }
            | CallEvent::MuteChanged { at, .. }
            | CallEvent::Transferred { at, .. }
            | CallEvent::Conferenced { at, .. }
            | CallEvent::Diverted { at, .. }
            | CallEvent::Queued { at, .. }
            | CallEvent::Dequeued { at, .. }
            | CallEvent::Parked { at, .. }
            | CallEvent::PickedUp { at, .. }
            | CallEvent::CallbackRequested { at, .. }
            | CallEvent::ConnectionCleared { at, .. }
            | CallEvent::Failed { at, .. }
            | CallEvent::WrapUpStarted { at, .. }
            | CallEvent::WrapUpEnded { at, .. }
            | CallEvent::CallCleared { at, .. }
            | CallEvent::Closed { at, .. } => *at,
        }
    }
}

/// Any event of the model, for hosts that publish one stream: call events
/// and agent state changes. The JSON is that of the inner event (both carry
/// an `"event"` field), so consumers need not know about this wrapper.
///
/// # Examples
///
/// ```
/// use call_core::agent::Agent;
/// use call_core::event::Event;
/// use call_core::id::AgentId;
/// use call_core::time::Timestamp;
///
/// let mut agent = Agent::new(AgentId(3), Timestamp::ZERO);
/// let event = Event::from(agent.log_in(Timestamp::from_millis(5))?);
/// let json = serde_json::to_string(&event).unwrap();
/// assert!(json.starts_with(r#"{"event":"agent_state_changed","agent":3"#));
/// assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
/// # Ok::<(), call_core::error::AgentError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Event {
    /// From a [`Call`](crate::call::Call).
    Call(CallEvent),
    /// From an [`Agent`](crate::agent::Agent).
    Agent(AgentStateChanged),
}

impl From<CallEvent> for Event {
    fn from(event: CallEvent) -> Self {
        Event::Call(event)
    }
}

impl From<AgentStateChanged> for Event {
    fn from(event: AgentStateChanged) -> Self {
        Event::Agent(event)
    }
}

impl Event {
    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Event::Call(event) => event.at(),
            Event::Agent(event) => event.at,
        }
    }
}

/// The compact form an event waits in until it is polled (at most 12 bytes); the
/// call fills in parties, causes and the disposition when it is polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    Offered(LegId),
    ServiceInitiated(LegId),
    Originated(LegId),
    Delivered(LegId, bool),
    Established(LegId),
    Held(LegId, HoldSide),
    Retrieved(LegId, HoldSide),
    MuteChanged(LegId, bool),
    Transferred {
        kind: TransferKind,
        transferring: LegId,
        transferred: LegId,
        target: LegId,
    },
    Conferenced(LegId, u8),
    Diverted(LegId, Option<LegId>),
    Queued(QueueId, bool),
    Dequeued(QueueId, DequeueReason),
    Parked(LegId, ParkSlot),
    PickedUp(LegId, ParkSlot),
    CallbackRequested(Option<QueueId>),
    LegEnded(LegId),
    WrapUpStarted(LegId),
    WrapUpEnded(LegId, bool),
    CallCleared,
    Closed,
}

/// Which direction a leg creation event reports.
pub(crate) fn creation(direction: Direction, leg: LegId) -> Pending {
    match direction {
        Direction::Inbound => Pending::Offered(leg),
        Direction::Outbound => Pending::Originated(leg),
    }
}

const INLINE_EVENTS: usize = 4;
const EMPTY: (Timestamp, Pending) = (Timestamp::ZERO, Pending::Closed);

/// A FIFO of pending events: four inline, more on the heap (freed when drained).
/// Once anything spilled, new events go to the spill until it drains, so order holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EventQueue {
    // Slots outside `head..head + len` hold stale values and are never read.
    inline: [(Timestamp, Pending); INLINE_EVENTS],
    head: u8,
    len: u8,
    // Boxed so an idle call pays 8 bytes, not 32, for a queue it rarely needs.
    #[allow(clippy::box_collection)]
    spill: Option<Box<std::collections::VecDeque<(Timestamp, Pending)>>>,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            inline: [EMPTY; INLINE_EVENTS],
            head: 0,
            len: 0,
            spill: None,
        }
    }
}

impl EventQueue {
    #[inline]
    pub(crate) fn push(&mut self, at: Timestamp, event: Pending) {
        let len = usize::from(self.len);
        if len < INLINE_EVENTS && self.spill.is_none() {
            let index = (usize::from(self.head) + len) % INLINE_EVENTS;
            if let Some(slot) = self.inline.get_mut(index) {
                *slot = (at, event);
                self.len += 1;
                return;
            }
        }
        self.spill
            .get_or_insert_with(Box::default)
            .push_back((at, event));
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(Timestamp, Pending)> {
        if self.len > 0 {
            let head = usize::from(self.head);
            let item = self.inline.get(head).copied();
            // Below INLINE_EVENTS (4), so the cast is exact.
            self.head = ((head + 1) % INLINE_EVENTS) as u8;
            self.len -= 1;
            return item;
        }
        let spill = self.spill.as_mut()?;
        let item = spill.pop_front();
        if spill.is_empty() {
            // Rare (more than four events from one input): give the memory back.
            self.spill = None;
        }
        item
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0 && self.spill.is_none()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.spill.as_ref().map_or(0, |spill| {
            std::mem::size_of::<std::collections::VecDeque<(Timestamp, Pending)>>()
                + spill.capacity() * std::mem::size_of::<(Timestamp, Pending)>()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_fifo_across_inline_and_spill() {
        let mut queue = EventQueue::default();
        for round in 0..3u64 {
            for i in 0..10u8 {
                queue.push(
                    Timestamp::from_millis(round * 100 + u64::from(i)),
                    Pending::Established(LegId(i)),
                );
            }
            for i in 0..10u8 {
                let (at, event) = queue.pop().unwrap();
                assert_eq!(at, Timestamp::from_millis(round * 100 + u64::from(i)));
                assert_eq!(event, Pending::Established(LegId(i)));
            }
            assert!(queue.pop().is_none());
            assert!(queue.is_empty());
            assert_eq!(queue.heap_bytes(), 0);
        }
    }

    #[test]
    fn pending_events_are_small() {
        assert!(std::mem::size_of::<Pending>() <= 12);
    }
}
