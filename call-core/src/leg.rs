//! Legs: one party's connection to a call, with CSTA-like connection states.
//!
//! ```text
//!   outgoing leg                           incoming leg
//!
//!     Idle ──dial──▶ Initiated               Offered ──ring──▶ Alerting
//!                       │ far end rings        │                 │
//!                       ▼                      │ answer          │ answer
//!                    Alerting ─far end──┐      ▼                 ▼
//!                    (early media?)     └──▶ Connected { hold: none | local | remote | both }
//!                                                 │
//!   any live state ──hangup / far end hangs up──▶ Cleared { cause, platform cause, cleared by }
//!   Initiated / Alerting ──final error──────────▶ Failed { cause, platform cause }
//! ```
//!
//! `Cleared` and `Failed` are final: a leg never comes back, and its id is
//! never reused. Mute is a flag on a connected leg, not a state. Hold is part
//! of `Connected`: *local* hold is ours (the leg hears music), *remote* hold
//! is the far end's (a SIP re-INVITE with `sendonly`), and both can be on at
//! once.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cause::{PlatformCause, Q850Cause};
use crate::id::{AgentId, LegId};
use crate::party::Party;
use crate::time::{OptTime, Timestamp};

/// Which way a leg was set up, seen from the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The far end called us.
    Inbound,
    /// We called the far end.
    Outbound,
}

/// What a leg is for in the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LegRole {
    /// Leg 0: the customer the interaction is about.
    Customer,
    /// An agent the call was offered to.
    Agent,
    /// The consultation leg of an attended or semi-attended transfer.
    Consultation,
    /// The new party of a blind transfer or a deflection.
    TransferTarget,
    /// A party added to a conference.
    Participant,
    /// A party that picked up a parked call.
    Pickup,
}

/// Hold on a connected leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldState {
    /// Not held.
    None,
    /// We hold the leg (it hears music on hold).
    Local,
    /// The far end holds us.
    Remote,
    /// Both.
    Both,
}

impl HoldState {
    /// Whether we hold the leg.
    #[inline]
    pub const fn is_local(self) -> bool {
        matches!(self, HoldState::Local | HoldState::Both)
    }

    /// Whether the far end holds us.
    #[inline]
    pub const fn is_remote(self) -> bool {
        matches!(self, HoldState::Remote | HoldState::Both)
    }

    pub(crate) const fn with(local: bool, remote: bool) -> HoldState {
        match (local, remote) {
            (false, false) => HoldState::None,
            (true, false) => HoldState::Local,
            (false, true) => HoldState::Remote,
            (true, true) => HoldState::Both,
        }
    }
}

/// Which side of a hold an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldSide {
    /// We held or retrieved the leg.
    Local,
    /// The far end held or retrieved us.
    Remote,
}

/// Who ended a leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearedBy {
    /// The host, through an operation (hang up, reject, transfer).
    Local,
    /// The far end (BYE, CANCEL, a release from the network).
    Remote,
    /// The model itself: a deadline expired, or the call's other parties left.
    Platform,
}

/// The connection state of a leg (a snapshot; see the module diagram).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConnectionState {
    /// Created but no signalling yet (a previewed outbound call before dialling).
    Idle,
    /// We sent the request (INVITE); the far end has not rung yet.
    Initiated,
    /// An incoming call we have not rung or answered yet.
    Offered,
    /// Ringing, possibly with early media (SIP 183).
    Alerting {
        /// Whether early media flows.
        early_media: bool,
    },
    /// Answered; audio may flow subject to hold.
    Connected {
        /// Hold on this leg.
        hold: HoldState,
    },
    /// Ended by someone hanging up, cancelling or rejecting.
    Cleared {
        /// The network cause.
        cause: Q850Cause,
        /// The platform's reason, if the platform had one.
        platform_cause: Option<PlatformCause>,
        /// Who ended it.
        cleared_by: ClearedBy,
    },
    /// Never connected: the far end or the network refused the call.
    Failed {
        /// The network cause.
        cause: Q850Cause,
        /// The platform's reason, if any.
        platform_cause: Option<PlatformCause>,
    },
}

impl ConnectionState {
    /// Whether the leg has ended (cleared or failed); final.
    #[inline]
    pub const fn is_ended(self) -> bool {
        matches!(
            self,
            ConnectionState::Cleared { .. } | ConnectionState::Failed { .. }
        )
    }

    /// Whether the leg is connected (held or not).
    #[inline]
    pub const fn is_connected(self) -> bool {
        matches!(self, ConnectionState::Connected { .. })
    }

    /// Whether the leg is being set up (idle, initiated, offered, alerting).
    #[inline]
    pub const fn is_setting_up(self) -> bool {
        matches!(
            self,
            ConnectionState::Idle
                | ConnectionState::Initiated
                | ConnectionState::Offered
                | ConnectionState::Alerting { .. }
        )
    }

    /// The hold state, when connected.
    #[inline]
    pub const fn hold(self) -> Option<HoldState> {
        match self {
            ConnectionState::Connected { hold } => Some(hold),
            _ => None,
        }
    }

    /// The Q.850 cause, when ended.
    pub const fn cause(self) -> Option<Q850Cause> {
        match self {
            ConnectionState::Cleared { cause, .. } | ConnectionState::Failed { cause, .. } => {
                Some(cause)
            }
            _ => None,
        }
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionState::Idle => f.write_str("idle"),
            ConnectionState::Initiated => f.write_str("initiated"),
            ConnectionState::Offered => f.write_str("offered"),
            ConnectionState::Alerting { early_media: true } => {
                f.write_str("alerting with early media")
            }
            ConnectionState::Alerting { early_media: false } => f.write_str("alerting"),
            ConnectionState::Connected {
                hold: HoldState::None,
            } => f.write_str("connected (not held)"),
            ConnectionState::Connected {
                hold: HoldState::Local,
            } => f.write_str("connected (held by us)"),
            ConnectionState::Connected {
                hold: HoldState::Remote,
            } => f.write_str("connected (held by the far end)"),
            ConnectionState::Connected {
                hold: HoldState::Both,
            } => f.write_str("connected (held by both sides)"),
            ConnectionState::Cleared { cause, .. } => {
                write!(f, "cleared (cause {})", cause.value())
            }
            ConnectionState::Failed { cause, .. } => write!(f, "failed (cause {})", cause.value()),
        }
    }
}

/// One party's connection to a call. Read-only: the [`Call`](crate::call::Call)
/// changes legs through its operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leg {
    pub(crate) party: Party,
    pub(crate) created_at: Timestamp,
    pub(crate) alerted_at: OptTime,
    pub(crate) answered_at: OptTime,
    pub(crate) ended_at: OptTime,
    pub(crate) wrap_up_since: OptTime,
    pub(crate) state: ConnectionState,
    pub(crate) id: LegId,
    pub(crate) direction: Direction,
    pub(crate) role: LegRole,
    pub(crate) muted: bool,
}

impl Leg {
    pub(crate) fn new(
        id: LegId,
        party: Party,
        direction: Direction,
        role: LegRole,
        state: ConnectionState,
        at: Timestamp,
    ) -> Leg {
        Leg {
            party,
            created_at: at,
            alerted_at: OptTime::NONE,
            answered_at: OptTime::NONE,
            ended_at: OptTime::NONE,
            wrap_up_since: OptTime::NONE,
            state,
            id,
            direction,
            role,
            muted: false,
        }
    }

    /// The leg's id within its call.
    pub fn id(&self) -> LegId {
        self.id
    }

    /// Who is on the other end.
    pub fn party(&self) -> &Party {
        &self.party
    }

    /// The agent on this leg, if its party is one.
    #[inline]
    pub fn agent(&self) -> Option<AgentId> {
        self.party.agent()
    }

    /// Which way the leg was set up.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// What the leg is for.
    pub fn role(&self) -> LegRole {
        self.role
    }

    /// The connection state.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// Whether the leg is muted (only a connected leg can be).
    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// When the leg was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// When it started ringing, if it did.
    pub fn alerted_at(&self) -> Option<Timestamp> {
        self.alerted_at.get()
    }

    /// When it was answered, if it was.
    pub fn answered_at(&self) -> Option<Timestamp> {
        self.answered_at.get()
    }

    /// When it ended, if it has.
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at.get()
    }

    /// When the agent on this leg started after-call work, while it runs.
    pub fn wrap_up_since(&self) -> Option<Timestamp> {
        self.wrap_up_since.get()
    }

    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        !self.state.is_ended()
    }
}

/// The legs of a call: two inline (the common customer-and-agent call needs
/// no heap allocation), more on the heap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LegStore {
    inline: [Option<Leg>; 2],
    more: Vec<Leg>,
}

impl LegStore {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.inline.iter().flatten().count() + self.more.len()
    }

    #[inline]
    pub(crate) fn push(&mut self, leg: Leg) {
        for slot in &mut self.inline {
            if slot.is_none() {
                *slot = Some(leg);
                return;
            }
        }
        self.more.push(leg);
    }

    #[inline]
    pub(crate) fn get(&self, id: LegId) -> Option<&Leg> {
        let index = usize::from(id.0);
        match self.inline.get(index) {
            Some(slot) => slot.as_ref(),
            None => self.more.get(index - self.inline.len()),
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, id: LegId) -> Option<&mut Leg> {
        let index = usize::from(id.0);
        let inline = self.inline.len();
        match self.inline.get_mut(index) {
            Some(slot) => slot.as_mut(),
            None => self.more.get_mut(index - inline),
        }
    }

    #[inline]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Leg> + '_ {
        self.inline.iter().flatten().chain(self.more.iter())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.more.capacity() * std::mem::size_of::<Leg>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::party::Address;

    #[test]
    fn leg_store_indexes_inline_and_heap_legs() {
        let mut store = LegStore::default();
        for i in 0..5u8 {
            store.push(Leg::new(
                LegId(i),
                Party::External(Address::new("1").unwrap()),
                Direction::Outbound,
                LegRole::Participant,
                ConnectionState::Initiated,
                Timestamp::ZERO,
            ));
        }
        assert_eq!(store.len(), 5);
        for i in 0..5u8 {
            assert_eq!(store.get(LegId(i)).unwrap().id(), LegId(i));
            assert_eq!(store.get_mut(LegId(i)).unwrap().id(), LegId(i));
        }
        assert!(store.get(LegId(5)).is_none());
        assert_eq!(store.iter().count(), 5);
    }

    #[test]
    fn states_display_for_error_messages() {
        assert_eq!(
            ConnectionState::Connected {
                hold: HoldState::None
            }
            .to_string(),
            "connected (not held)"
        );
        assert_eq!(
            serde_json::to_string(&ConnectionState::Alerting { early_media: true }).unwrap(),
            r#"{"state":"alerting","early_media":true}"#
        );
    }
}
