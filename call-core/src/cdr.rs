//! Call detail records: one record per call, built from its events.
//!
//! A [`CdrBuilder`] follows a call's [`CallEvent`]s (feed it every event you
//! drain), collects what the host adds (the IVR path, notes, disposition
//! codes, a survey score, speech intervals from voice activity) and, once
//! the call is closed, produces a [`CallDetailRecord`]. Records store
//! timestamps; durations are derived by methods. The JSON schema is in
//! `docs/cdr.md`, with a mapping to Asterisk, FreeSWITCH and Twilio fields.
//!
//! Keeping the history in the builder rather than in the [`Call`] keeps a
//! live call small (see `docs/core.md`); a host that does not want records
//! does not pay for them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::call::Call;
use crate::cause::{PlatformCause, Q850Cause};
use crate::disposition::{AbandonPhase, Disposition};
use crate::error::CdrError;
use crate::event::{CallEvent, DequeueReason, TransferKind};
use crate::id::{AgentId, CallId, LegId, ParkSlot, QueueId};
use crate::leg::{ClearedBy, Direction, HoldSide, LegRole};
use crate::party::{Address, Party};
use crate::time::Timestamp;

/// The version of the record layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// How a leg ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LegEnd {
    /// Cleared after being set up or connected.
    Cleared {
        /// Network cause.
        cause: Q850Cause,
        /// Platform reason.
        platform_cause: Option<PlatformCause>,
        /// Who ended it.
        cleared_by: ClearedBy,
    },
    /// Never connected.
    Failed {
        /// Network cause.
        cause: Q850Cause,
        /// Platform reason.
        platform_cause: Option<PlatformCause>,
    },
}

/// One leg of the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegRecord {
    /// Leg id within the call.
    pub leg: LegId,
    /// Who.
    pub party: Party,
    /// What for.
    pub role: LegRole,
    /// Which way.
    pub direction: Direction,
    /// Created (offered or originated).
    pub created_at: Timestamp,
    /// First rang.
    pub alerted_at: Option<Timestamp>,
    /// Answered.
    pub answered_at: Option<Timestamp>,
    /// Ended.
    pub ended_at: Option<Timestamp>,
    /// How it ended.
    pub end: Option<LegEnd>,
}

impl LegRecord {
    /// Connected time in milliseconds (answer to end), zero if never answered.
    pub fn connected_ms(&self) -> u64 {
        match (self.answered_at, self.ended_at) {
            (Some(a), Some(e)) => e.millis_since(a),
            _ => 0,
        }
    }

    /// Time from creation to answer (or to the end, if never answered), in ms.
    pub fn setup_ms(&self) -> u64 {
        let until = self
            .answered_at
            .or(self.ended_at)
            .unwrap_or(self.created_at);
        until.millis_since(self.created_at)
    }
}

/// A hold interval on one leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRecord {
    /// The held leg.
    pub leg: LegId,
    /// Who held it.
    pub side: HoldSide,
    /// Start.
    pub start: Timestamp,
    /// End (retrieve or leg end).
    pub end: Timestamp,
}

/// A completed transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRecord {
    /// When.
    pub at: Timestamp,
    /// Blind, attended or semi-attended.
    pub kind: TransferKind,
    /// Who transferred.
    pub transferring_leg: LegId,
    /// Who was handed over.
    pub transferred_leg: LegId,
    /// To whom.
    pub target_leg: LegId,
}

/// A diversion of an alerting leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiversionRecord {
    /// When.
    pub at: Timestamp,
    /// The leg that was ringing.
    pub from_leg: LegId,
    /// Its replacement, if any.
    pub to_leg: Option<LegId>,
}

/// Time spent in one queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueWaitRecord {
    /// Which queue.
    pub queue: QueueId,
    /// Entered.
    pub entered_at: Timestamp,
    /// Left (`None` only if the call was closed without leaving, which the
    /// model never does).
    pub left_at: Option<Timestamp>,
    /// Why it left.
    pub outcome: Option<DequeueReason>,
    /// Whether this entry was a return after a failed offer.
    pub requeued: bool,
}

impl QueueWaitRecord {
    /// Waiting time in ms.
    pub fn wait_ms(&self) -> u64 {
        self.left_at.map_or(0, |l| l.millis_since(self.entered_at))
    }
}

/// An agent's after-call work for this call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUpRecord {
    /// The agent.
    pub agent: AgentId,
    /// Their leg.
    pub leg: LegId,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Option<Timestamp>,
    /// Whether the deadline ended it.
    pub expired: bool,
}

/// A park and its pickup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkRecord {
    /// Slot.
    pub slot: ParkSlot,
    /// The parked leg.
    pub leg: LegId,
    /// Parked.
    pub parked_at: Timestamp,
    /// Picked up, if it was.
    pub picked_up_at: Option<Timestamp>,
    /// The leg that picked up.
    pub picked_up_by: Option<LegId>,
}

/// A stretch of speech by the party on one leg (from voice activity detection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeechInterval {
    /// Whose speech.
    pub leg: LegId,
    /// Start.
    pub start: Timestamp,
    /// End (after start).
    pub end: Timestamp,
}

/// What kind of segment of the contact-center flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// From creation to the first queue entry or agent offer.
    SelfService,
    /// Waiting in a queue.
    Queued,
    /// An agent (or other offered party) ringing.
    Offered,
    /// An agent connected.
    Talking,
    /// An agent's after-call work.
    WrapUp,
}

/// One segment of the contact-center flow. Segments of different agents may
/// overlap (a consultation, a conference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRecord {
    /// Kind.
    pub kind: SegmentKind,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// The queue, for queued segments.
    pub queue: Option<QueueId>,
    /// The agent, for offered, talking and wrap-up segments.
    pub agent: Option<AgentId>,
}

impl SegmentRecord {
    /// Length in ms.
    pub fn duration_ms(&self) -> u64 {
        self.end.millis_since(self.start)
    }
}

/// One call's detail record. See `docs/cdr.md` for the JSON schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDetailRecord {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The call's root id.
    pub call: CallId,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The customer's address.
    pub customer: Option<Address>,
    /// The dialed number (inbound) or presented caller id (outbound).
    pub service_address: Option<Address>,
    /// Call created.
    pub created_at: Timestamp,
    /// Customer leg answered.
    pub answered_at: Option<Timestamp>,
    /// First agent answered.
    pub agent_answered_at: Option<Timestamp>,
    /// Every leg ended.
    pub cleared_at: Timestamp,
    /// After-call work ended too.
    pub closed_at: Timestamp,
    /// Derived outcome.
    pub disposition: Disposition,
    /// Where the customer abandoned.
    pub abandoned: Option<AbandonPhase>,
    /// Whether the call was ever a conference of three or more.
    pub conference: bool,
    /// Every leg.
    pub legs: Vec<LegRecord>,
    /// The contact-center segments, by start time.
    pub segments: Vec<SegmentRecord>,
    /// Queue waits, in order.
    pub queue_waits: Vec<QueueWaitRecord>,
    /// Hold intervals.
    pub holds: Vec<HoldRecord>,
    /// Completed transfers.
    pub transfers: Vec<TransferRecord>,
    /// Diversions.
    pub diversions: Vec<DiversionRecord>,
    /// Parks.
    pub parks: Vec<ParkRecord>,
    /// After-call work per agent.
    pub wrap_ups: Vec<WrapUpRecord>,
    /// Agents who were offered or handled the call, in order of first offer.
    pub agents: Vec<AgentId>,
    /// The nodes the IVR visited, in order.
    pub ivr_path: Vec<String>,
    /// Free-text notes (from agents or CRM).
    pub notes: Vec<String>,
    /// Wrap-up / disposition codes chosen by agents ("sale", "complaint").
    pub disposition_codes: Vec<String>,
    /// Post-call survey score.
    pub survey_score: Option<u8>,
    /// Per-party speech intervals.
    pub speech: Vec<SpeechInterval>,
    /// Custom attributes (call-attached data), sorted by key.
    pub attributes: BTreeMap<String, String>,
}

impl CallDetailRecord {
    /// The customer leg.
    pub fn customer_leg(&self) -> Option<&LegRecord> {
        self.legs.iter().find(|l| l.leg == LegId(0))
    }

    /// Total time in queues, ms (first entry to leaving, summed over entries).
    pub fn queue_ms(&self) -> u64 {
        // Saturating here and below: a stored record's times may be far apart.
        self.queue_waits
            .iter()
            .map(QueueWaitRecord::wait_ms)
            .fold(0, u64::saturating_add)
    }

    /// The first queue the call entered.
    pub fn first_queue(&self) -> Option<QueueId> {
        self.queue_waits.first().map(|w| w.queue)
    }

    /// When the call first entered a queue.
    pub fn first_queued_at(&self) -> Option<Timestamp> {
        self.queue_waits.first().map(|w| w.entered_at)
    }

    /// Time from first queue entry to the first agent answer at or after it,
    /// ms (speed of answer), if both happened. An agent who answered before
    /// the call was ever queued (a direct offer from self-service) did not
    /// answer it from a queue.
    pub fn speed_of_answer_ms(&self) -> Option<u64> {
        let queued = self.first_queued_at()?;
        let first = self.agent_answered_at?;
        let answered = if first >= queued {
            first
        } else {
            self.legs
                .iter()
                .filter(|l| l.leg != LegId(0) && l.party.agent().is_some())
                .filter_map(|l| l.answered_at)
                .filter(|&a| a >= queued)
                .min()?
        };
        Some(answered.millis_since(queued))
    }

    /// Time from first queue entry to the customer leaving, ms, for calls the
    /// customer abandoned; for an abandon that never queued (in self-service,
    /// or while a direct offer rang) it runs from the call's creation. The
    /// KPI engine only uses it for abandons after a queue entry.
    pub fn time_to_abandon_ms(&self) -> Option<u64> {
        self.abandoned?;
        let start = self.first_queued_at().unwrap_or(self.created_at);
        let end = self.customer_leg()?.ended_at?;
        Some(end.millis_since(start))
    }

    /// Connected time of `agent`'s legs, ms.
    pub fn agent_connected_ms(&self, agent: AgentId) -> u64 {
        self.legs
            .iter()
            .filter(|l| l.party.agent() == Some(agent))
            .map(LegRecord::connected_ms)
            .fold(0, u64::saturating_add)
    }

    /// Hold time of `agent`, ms: local holds of other legs that began while
    /// the agent was connected, clipped to the agent's connected time. (A
    /// consultation target does not inherit the hold the consulting agent
    /// placed before it answered.)
    pub fn agent_hold_ms(&self, agent: AgentId) -> u64 {
        let mut total = 0;
        for leg in self.legs.iter().filter(|l| l.party.agent() == Some(agent)) {
            let (Some(a), Some(e)) = (leg.answered_at, leg.ended_at) else {
                continue;
            };
            // Union of the clipped holds, so two parties held at once count once.
            let mut spans: Vec<(Timestamp, Timestamp)> = self
                .holds
                .iter()
                .filter(|h| {
                    h.side == HoldSide::Local && h.leg != leg.leg && h.start >= a && h.start < e
                })
                .map(|h| (h.start, h.end.min(e)))
                .collect();
            spans.sort_unstable();
            let mut covered_until = a;
            for (start, end) in spans {
                let start = start.max(covered_until);
                if end > start {
                    total = u64::saturating_add(total, end.millis_since(start));
                    covered_until = end;
                }
            }
        }
        total
    }

    /// After-call work of `agent`, ms.
    pub fn agent_wrap_up_ms(&self, agent: AgentId) -> u64 {
        self.wrap_ups
            .iter()
            .filter(|w| w.agent == agent)
            .map(|w| w.end.map_or(0, |e| e.millis_since(w.start)))
            .fold(0, u64::saturating_add)
    }

    /// Talk time of `agent` (connected minus hold), ms.
    pub fn agent_talk_ms(&self, agent: AgentId) -> u64 {
        self.agent_connected_ms(agent)
            .saturating_sub(self.agent_hold_ms(agent))
    }

    /// Agents whose leg was connected.
    pub fn handling_agents(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.agents.iter().copied().filter(|&a| {
            self.legs
                .iter()
                .any(|l| l.party.agent() == Some(a) && l.answered_at.is_some())
        })
    }
}

/// Where finished records go: a file, a database, a message bus, the KPI
/// engine. The host calls it; the trait does no I/O of its own.
pub trait CdrSink {
    /// What can go wrong writing.
    type Error;

    /// Accept one record.
    fn write(&mut self, record: &CallDetailRecord) -> Result<(), Self::Error>;
}

impl CdrSink for Vec<CallDetailRecord> {
    type Error = std::convert::Infallible;

    fn write(&mut self, record: &CallDetailRecord) -> Result<(), Self::Error> {
        self.push(record.clone());
        Ok(())
    }
}

/// A sink writing one JSON object per line (JSON Lines) to any writer.
#[derive(Debug)]
pub struct JsonLinesSink<W> {
    writer: W,
}

impl<W: std::io::Write> JsonLinesSink<W> {
    /// Write records to `writer`.
    pub fn new(writer: W) -> Self {
        JsonLinesSink { writer }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.writer
    }
}

impl<W: std::io::Write> CdrSink for JsonLinesSink<W> {
    type Error = std::io::Error;

    fn write(&mut self, record: &CallDetailRecord) -> Result<(), Self::Error> {
        serde_json::to_writer(&mut self.writer, record)?;
        self.writer.write_all(b"\n")
    }
}

/// Builds a [`CallDetailRecord`] from a call's events plus what the host adds.
///
/// Limits: at most [`CdrBuilder::MAX_ITEMS`] entries in each list and
/// [`CdrBuilder::MAX_TEXT`] bytes per text item; beyond that a [`CdrError`].
///
/// # Examples
///
/// ```
/// use call_core::call::{Call, CallLimits};
/// use call_core::cdr::CdrBuilder;
/// use call_core::cause::Q850Cause;
/// use call_core::id::{CallId, LegId};
/// use call_core::party::Address;
/// use call_core::time::Timestamp;
///
/// let t = Timestamp::from_secs;
/// let mut call = Call::inbound(CallId(9), t(0), Address::new("+15550100")?, None, CallLimits::default());
/// let mut cdr = CdrBuilder::new(CallId(9));
/// call.answer(t(1), LegId(0))?;
/// cdr.ivr_node("welcome")?;
/// call.complete_self_service(t(20))?;
/// call.handle_cleared(t(21), LegId(0), Q850Cause::NORMAL_CLEARING)?;
/// while let Some(event) = call.poll_event() {
///     cdr.observe(&event)?;
/// }
/// let record = cdr.finish(&call)?;
/// assert_eq!(record.ivr_path, ["welcome"]);
/// assert_eq!(record.customer_leg().unwrap().connected_ms(), 20_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdrBuilder {
    call: CallId,
    cleared: Option<(Timestamp, Disposition, Option<AbandonPhase>)>,
    closed_at: Option<Timestamp>,
    answered_at: Option<Timestamp>,
    agent_answered_at: Option<Timestamp>,
    conference: bool,
    legs: Vec<LegRecord>,
    open_holds: Vec<(LegId, HoldSide, Timestamp)>,
    holds: Vec<HoldRecord>,
    transfers: Vec<TransferRecord>,
    diversions: Vec<DiversionRecord>,
    queue_waits: Vec<QueueWaitRecord>,
    parks: Vec<ParkRecord>,
    wrap_ups: Vec<WrapUpRecord>,
    agents: Vec<AgentId>,
    ivr_path: Vec<String>,
    notes: Vec<String>,
    disposition_codes: Vec<String>,
    survey_score: Option<u8>,
    speech: Vec<SpeechInterval>,
    service_address: Option<Address>,
    attributes: BTreeMap<String, String>,
}

impl CdrBuilder {
    /// The most entries in any one list of a record.
    pub const MAX_ITEMS: usize = 10_000;
    /// The longest text item (IVR node, note, code), in bytes.
    pub const MAX_TEXT: usize = 4096;

    /// A builder for `call`.
    pub fn new(call: CallId) -> Self {
        CdrBuilder {
            call,
            cleared: None,
            closed_at: None,
            answered_at: None,
            agent_answered_at: None,
            conference: false,
            legs: Vec::new(),
            open_holds: Vec::new(),
            holds: Vec::new(),
            transfers: Vec::new(),
            diversions: Vec::new(),
            queue_waits: Vec::new(),
            parks: Vec::new(),
            wrap_ups: Vec::new(),
            agents: Vec::new(),
            ivr_path: Vec::new(),
            notes: Vec::new(),
            disposition_codes: Vec::new(),
            survey_score: None,
            speech: Vec::new(),
            service_address: None,
            attributes: BTreeMap::new(),
        }
    }

    fn leg_mut(&mut self, leg: LegId) -> Result<&mut LegRecord, CdrError> {
        self.legs
            .iter_mut()
            .find(|l| l.leg == leg)
            .ok_or(CdrError::UnknownLeg { leg })
    }

    fn check_len(what: &'static str, len: usize) -> Result<(), CdrError> {
        if len >= Self::MAX_ITEMS {
            Err(CdrError::TooMany {
                what,
                max: Self::MAX_ITEMS,
            })
        } else {
            Ok(())
        }
    }

    fn close_holds(&mut self, leg: LegId, side: Option<HoldSide>, at: Timestamp) {
        let holds = &mut self.holds;
        self.open_holds.retain(|&(l, s, start)| {
            let closing = l == leg && side.is_none_or(|side| side == s);
            if closing {
                holds.push(HoldRecord {
                    leg: l,
                    side: s,
                    start,
                    end: at,
                });
            }
            !closing
        });
    }

    /// Follow one event of the call.
    pub fn observe(&mut self, event: &CallEvent) -> Result<(), CdrError> {
        if event.call() != self.call {
            return Err(CdrError::WrongCall {
                expected: self.call,
                got: event.call(),
            });
        }
        if self.closed_at.is_some() {
            return Err(CdrError::AfterClose);
        }
        match event {
            CallEvent::Originated { leg, .. }
                if self.legs.iter().any(|l| {
                    l.leg == *leg
                        && l.direction == Direction::Outbound
                        && l.alerted_at.is_none()
                        && l.answered_at.is_none()
                        && l.ended_at.is_none()
                }) =>
            {
                // A previewed leg being dialled: already recorded at creation.
            }
            CallEvent::Offered {
                at,
                leg,
                party,
                role,
                ..
            }
            | CallEvent::ServiceInitiated {
                at,
                leg,
                party,
                role,
                ..
            }
            | CallEvent::Originated {
                at,
                leg,
                party,
                role,
                ..
            } => {
                Self::check_len("legs", self.legs.len())?;
                if self.legs.iter().any(|l| l.leg == *leg) {
                    return Err(CdrError::DuplicateLeg { leg: *leg });
                }
                if let Some(agent) = party.agent()
                    && !self.agents.contains(&agent)
                {
                    self.agents.push(agent);
                }
                self.legs.push(LegRecord {
                    leg: *leg,
                    party: party.clone(),
                    role: *role,
                    direction: if matches!(event, CallEvent::Offered { .. }) {
                        Direction::Inbound
                    } else {
                        Direction::Outbound
                    },
                    created_at: *at,
                    alerted_at: None,
                    answered_at: None,
                    ended_at: None,
                    end: None,
                });
            }
            CallEvent::Delivered { at, leg, .. } => {
                let record = self.leg_mut(*leg)?;
                record.alerted_at.get_or_insert(*at);
            }
            CallEvent::Established { at, leg, .. } => {
                let record = self.leg_mut(*leg)?;
                record.answered_at.get_or_insert(*at);
                let is_agent = record.party.agent().is_some();
                if *leg == LegId(0) {
                    self.answered_at.get_or_insert(*at);
                } else if is_agent {
                    self.agent_answered_at.get_or_insert(*at);
                }
            }
            CallEvent::Held { at, leg, side, .. } => {
                self.leg_mut(*leg)?;
                Self::check_len("holds", self.holds.len() + self.open_holds.len())?;
                self.open_holds.push((*leg, *side, *at));
            }
            CallEvent::Retrieved { at, leg, side, .. } => {
                self.leg_mut(*leg)?;
                self.close_holds(*leg, Some(*side), *at);
            }
            CallEvent::MuteChanged { leg, .. } => {
                self.leg_mut(*leg)?;
            }
            CallEvent::Transferred {
                at,
                kind,
                transferring_leg,
                transferred_leg,
                target_leg,
                ..
            } => {
                Self::check_len("transfers", self.transfers.len())?;
                self.transfers.push(TransferRecord {
                    at: *at,
                    kind: *kind,
                    transferring_leg: *transferring_leg,
                    transferred_leg: *transferred_leg,
                    target_leg: *target_leg,
                });
            }
            CallEvent::Conferenced { .. } => self.conference = true,
            CallEvent::Diverted {
                at,
                from_leg,
                to_leg,
                ..
            } => {
                Self::check_len("diversions", self.diversions.len())?;
                self.diversions.push(DiversionRecord {
                    at: *at,
                    from_leg: *from_leg,
                    to_leg: *to_leg,
                });
            }
            CallEvent::Queued {
                at,
                queue,
                requeued,
                ..
            } => {
                Self::check_len("queue_waits", self.queue_waits.len())?;
                self.queue_waits.push(QueueWaitRecord {
                    queue: *queue,
                    entered_at: *at,
                    left_at: None,
                    outcome: None,
                    requeued: *requeued,
                });
            }
            CallEvent::Dequeued {
                at, queue, reason, ..
            } => {
                let wait = self
                    .queue_waits
                    .iter_mut()
                    .rev()
                    .find(|w| w.queue == *queue && w.left_at.is_none())
                    .ok_or(CdrError::NotQueued { queue: *queue })?;
                wait.left_at = Some(*at);
                wait.outcome = Some(*reason);
            }
            CallEvent::Parked { at, leg, slot, .. } => {
                Self::check_len("parks", self.parks.len())?;
                self.parks.push(ParkRecord {
                    slot: *slot,
                    leg: *leg,
                    parked_at: *at,
                    picked_up_at: None,
                    picked_up_by: None,
                });
            }
            CallEvent::PickedUp { at, leg, slot, .. } => {
                if let Some(park) = self
                    .parks
                    .iter_mut()
                    .rev()
                    .find(|p| p.slot == *slot && p.picked_up_at.is_none())
                {
                    park.picked_up_at = Some(*at);
                    park.picked_up_by = Some(*leg);
                }
            }
            CallEvent::CallbackRequested { .. } => {}
            CallEvent::ConnectionCleared {
                at,
                leg,
                cause,
                platform_cause,
                cleared_by,
                ..
            } => {
                let record = self.leg_mut(*leg)?;
                record.ended_at = Some(*at);
                record.end = Some(LegEnd::Cleared {
                    cause: *cause,
                    platform_cause: *platform_cause,
                    cleared_by: *cleared_by,
                });
                self.close_holds(*leg, None, *at);
            }
            CallEvent::Failed {
                at,
                leg,
                cause,
                platform_cause,
                ..
            } => {
                let record = self.leg_mut(*leg)?;
                record.ended_at = Some(*at);
                record.end = Some(LegEnd::Failed {
                    cause: *cause,
                    platform_cause: *platform_cause,
                });
                self.close_holds(*leg, None, *at);
            }
            CallEvent::WrapUpStarted { at, leg, agent, .. } => {
                Self::check_len("wrap_ups", self.wrap_ups.len())?;
                self.wrap_ups.push(WrapUpRecord {
                    agent: *agent,
                    leg: *leg,
                    start: *at,
                    end: None,
                    expired: false,
                });
            }
            CallEvent::WrapUpEnded {
                at, leg, expired, ..
            } => {
                if let Some(w) = self
                    .wrap_ups
                    .iter_mut()
                    .find(|w| w.leg == *leg && w.end.is_none())
                {
                    w.end = Some(*at);
                    w.expired = *expired;
                }
            }
            CallEvent::CallCleared {
                at,
                disposition,
                abandoned,
                ..
            } => self.cleared = Some((*at, *disposition, *abandoned)),
            CallEvent::Closed { at, .. } => self.closed_at = Some(*at),
        }
        Ok(())
    }

    fn text(what: &'static str, list: &mut Vec<String>, text: &str) -> Result<(), CdrError> {
        Self::check_len(what, list.len())?;
        if text.len() > Self::MAX_TEXT {
            return Err(CdrError::TextTooLong {
                what,
                len: text.len(),
                max: Self::MAX_TEXT,
            });
        }
        list.push(text.to_owned());
        Ok(())
    }

    /// Record that the IVR visited `node`.
    pub fn ivr_node(&mut self, node: &str) -> Result<(), CdrError> {
        Self::text("ivr_path", &mut self.ivr_path, node)
    }

    /// Add a note.
    pub fn note(&mut self, note: &str) -> Result<(), CdrError> {
        Self::text("notes", &mut self.notes, note)
    }

    /// Add a disposition (wrap-up) code.
    pub fn disposition_code(&mut self, code: &str) -> Result<(), CdrError> {
        Self::text("disposition_codes", &mut self.disposition_codes, code)
    }

    /// Set the post-call survey score (0..=10; use the scale your survey uses,
    /// the KPI engine is told which scores count as satisfied).
    pub fn survey_score(&mut self, score: u8) -> Result<(), CdrError> {
        if score > 10 {
            return Err(CdrError::SurveyScore { score });
        }
        self.survey_score = Some(score);
        Ok(())
    }

    /// Add a speech interval for the party on `leg` (from voice activity detection).
    pub fn speech(&mut self, leg: LegId, start: Timestamp, end: Timestamp) -> Result<(), CdrError> {
        if end < start {
            return Err(CdrError::BackwardsInterval { leg });
        }
        Self::check_len("speech", self.speech.len())?;
        self.speech.push(SpeechInterval { leg, start, end });
        Ok(())
    }

    /// Set the service address (dialed number or presented caller id) for
    /// [`CdrBuilder::finish_detached`]; [`CdrBuilder::finish`] takes it from the call.
    pub fn service_address(&mut self, address: Address) {
        self.service_address = Some(address);
    }

    /// Add a custom attribute for [`CdrBuilder::finish_detached`] (the call's
    /// own attributes are merged in by [`CdrBuilder::finish`]).
    pub fn attribute(&mut self, key: &str, value: &str) -> Result<(), CdrError> {
        if key.len() > Self::MAX_TEXT || value.len() > Self::MAX_TEXT {
            return Err(CdrError::TextTooLong {
                what: "attributes",
                len: key.len().max(value.len()),
                max: Self::MAX_TEXT,
            });
        }
        if !self.attributes.contains_key(key) {
            Self::check_len("attributes", self.attributes.len())?;
        }
        self.attributes.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// The record, once the call is closed. `call` supplies the customer's
    /// address, the service address and the custom attributes.
    pub fn finish(mut self, call: &Call) -> Result<CallDetailRecord, CdrError> {
        if call.id() != self.call {
            return Err(CdrError::WrongCall {
                expected: self.call,
                got: call.id(),
            });
        }
        self.service_address = call.service_address().cloned().or(self.service_address);
        for (key, value) in call.attributes() {
            self.attributes.insert(key.to_owned(), value.to_owned());
        }
        let customer = call.customer().cloned();
        self.build(call.direction(), customer, call.created_at())
    }

    /// The record from the events alone, for a host that follows calls it
    /// does not run (events read from a bus or a log): direction, customer
    /// and start come from leg 0's creation event; the service address and
    /// attributes from [`CdrBuilder::service_address`] and [`CdrBuilder::attribute`].
    pub fn finish_detached(self) -> Result<CallDetailRecord, CdrError> {
        let leg0 = self
            .legs
            .iter()
            .find(|l| l.leg == LegId(0))
            .ok_or(CdrError::UnknownLeg { leg: LegId(0) })?;
        let customer = match &leg0.party {
            Party::External(address) => Some(address.clone()),
            Party::Agent(_) => None,
        };
        let (direction, created_at) = (leg0.direction, leg0.created_at);
        self.build(direction, customer, created_at)
    }

    fn build(
        mut self,
        direction: Direction,
        customer: Option<Address>,
        created_at: Timestamp,
    ) -> Result<CallDetailRecord, CdrError> {
        let (Some((cleared_at, disposition, abandoned)), Some(closed_at)) =
            (self.cleared, self.closed_at)
        else {
            return Err(CdrError::NotClosed);
        };
        if let Some(leg) = self
            .speech
            .iter()
            .find(|s| !self.legs.iter().any(|l| l.leg == s.leg))
        {
            return Err(CdrError::UnknownLeg { leg: leg.leg });
        }
        // Holds still open when the call closed end with it.
        let open: Vec<(LegId, HoldSide, Timestamp)> = std::mem::take(&mut self.open_holds);
        for (leg, side, start) in open {
            self.holds.push(HoldRecord {
                leg,
                side,
                start,
                end: cleared_at,
            });
        }
        self.holds.sort_by_key(|h| (h.start, h.leg));
        self.speech.sort_by_key(|s| (s.start, s.leg));
        let segments = self.segments(cleared_at);
        Ok(CallDetailRecord {
            schema_version: SCHEMA_VERSION,
            call: self.call,
            direction,
            customer,
            service_address: self.service_address,
            created_at,
            answered_at: self.answered_at,
            agent_answered_at: self.agent_answered_at,
            cleared_at,
            closed_at,
            disposition,
            abandoned,
            conference: self.conference,
            legs: self.legs,
            segments,
            queue_waits: self.queue_waits,
            holds: self.holds,
            transfers: self.transfers,
            diversions: self.diversions,
            parks: self.parks,
            wrap_ups: self.wrap_ups,
            agents: self.agents,
            ivr_path: self.ivr_path,
            notes: self.notes,
            disposition_codes: self.disposition_codes,
            survey_score: self.survey_score,
            speech: self.speech,
            attributes: self.attributes,
        })
    }

    fn segments(&self, cleared_at: Timestamp) -> Vec<SegmentRecord> {
        let mut segments = Vec::new();
        let created = self
            .legs
            .iter()
            .find(|l| l.leg == LegId(0))
            .map_or(cleared_at, |l| l.created_at);
        let first_handoff = self
            .queue_waits
            .iter()
            .map(|w| w.entered_at)
            .chain(
                self.legs
                    .iter()
                    .filter(|l| l.leg != LegId(0))
                    .map(|l| l.created_at),
            )
            .min()
            .unwrap_or(cleared_at);
        if first_handoff > created {
            segments.push(SegmentRecord {
                kind: SegmentKind::SelfService,
                start: created,
                end: first_handoff,
                queue: None,
                agent: None,
            });
        }
        for wait in &self.queue_waits {
            segments.push(SegmentRecord {
                kind: SegmentKind::Queued,
                start: wait.entered_at,
                end: wait.left_at.unwrap_or(cleared_at),
                queue: Some(wait.queue),
                agent: None,
            });
        }
        for leg in self.legs.iter().filter(|l| l.role == LegRole::Agent) {
            let rang_until = leg.answered_at.or(leg.ended_at).unwrap_or(cleared_at);
            segments.push(SegmentRecord {
                kind: SegmentKind::Offered,
                start: leg.created_at,
                end: rang_until,
                queue: None,
                agent: leg.party.agent(),
            });
        }
        for leg in self.legs.iter().filter(|l| l.party.agent().is_some()) {
            if let Some(answered) = leg.answered_at {
                segments.push(SegmentRecord {
                    kind: SegmentKind::Talking,
                    start: answered,
                    end: leg.ended_at.unwrap_or(cleared_at),
                    queue: None,
                    agent: leg.party.agent(),
                });
            }
        }
        for wrap in &self.wrap_ups {
            segments.push(SegmentRecord {
                kind: SegmentKind::WrapUp,
                start: wrap.start,
                end: wrap.end.unwrap_or(wrap.start),
                queue: None,
                agent: Some(wrap.agent),
            });
        }
        segments.sort_by_key(|s| (s.start, s.end));
        segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_rejects_other_calls_and_unknown_legs() {
        let mut builder = CdrBuilder::new(CallId(1));
        let event = CallEvent::Established {
            call: CallId(2),
            at: Timestamp::ZERO,
            leg: LegId(0),
        };
        assert_eq!(
            builder.observe(&event),
            Err(CdrError::WrongCall {
                expected: CallId(1),
                got: CallId(2)
            })
        );
        let event = CallEvent::Established {
            call: CallId(1),
            at: Timestamp::ZERO,
            leg: LegId(0),
        };
        assert_eq!(
            builder.observe(&event),
            Err(CdrError::UnknownLeg { leg: LegId(0) })
        );
        assert!(builder.survey_score(11).is_err());
        assert!(
            builder
                .speech(LegId(0), Timestamp::from_millis(5), Timestamp::ZERO)
                .is_err()
        );
        assert!(builder.note(&"x".repeat(5000)).is_err());
    }
}
