//! The sans-IO router: queues, agents, offers and timers.
//!
//! # Driving loop
//!
//! Every input (`add_agent`, `set_ready`, `enqueue`, `accept`, `reject`,
//! `complete`, `abandon`, `handle_timeout`, ...) takes the current instant.
//! After each one the host drains [`Router::poll_output`] until it returns
//! `None`, acts on the outputs (ring the agent named in an [`Offer`], play a
//! position announcement, transfer an overflowed call), then sleeps until
//! [`Router::poll_timeout`] and calls [`Router::handle_timeout`]. A wake-up
//! that is early or late is harmless.
//!
//! # How selection stays logarithmic
//!
//! Each queue keeps its available members in an ordered set keyed by the
//! queue's strategy (plus one such set per proficiency level once the queue
//! uses levels: a level-preferring strategy, bullseye rings, or a call with a
//! minimum level), and its waiting calls in one ordered set per minimum
//! level, keyed by the static queue key. A call is in a set exactly while it
//! waits; an agent has a live entry in a queue's sets exactly while it can
//! take a contact of that queue's channel. So:
//!
//! - a call arriving looks at the first eligible agent of one set, or of at
//!   most [`Level::COUNT`] per-level sets;
//! - an agent becoming free looks at the first eligible call of at most
//!   [`Level::COUNT`] sets in each queue it serves, and the cross-queue policy
//!   picks among those heads.
//!
//! Nothing is polled, and no decision visits all agents or all calls. Extra
//! per-call skill requirements are checked on the candidates in key order,
//! which costs one step per available agent that lacks them.
//!
//! The sets are sorted runs plus a B-tree: keys arrive almost in order (the
//! time an agent became free, a call's arrival time less its priority boost),
//! so most inserts append to a run and taking the best entry pops a run's
//! front, both in constant time; only out-of-order entries pay the B-tree's
//! logarithm. An agent that stops being available does not search its other
//! queues' sets: its entries there go stale in place (each queue keeps a
//! generation per member), are dropped when met at the head of a set, and
//! once they outnumber three times the live entries plus 64 a sweep drops
//! them, 16 entries per later staleness event, which bounds the memory
//! without a linear pass in any one decision. Records live in slabs: a host
//! id is looked up once per input, and everything inside a decision follows
//! slot numbers (a connected call's agent slot sits in the call index).
//!
//! # Atomic select-and-reserve
//!
//! Selecting an agent and reserving its capacity are one step inside one
//! `&mut self` call: the capacity is taken before the offer is emitted, so no
//! later decision can see it. A call offered to several agents (ring-all) is
//! connected to the first that accepts; the other offers are cancelled in the
//! same step, and their `accept` fails with [`ReservationError::Unknown`].
//! Double answers are impossible by construction.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};
use std::ops::Bound;
use std::time::Duration;

use crate::agent::{
    AgentConfig, AgentStatus, Availability, MAX_ATTRIBUTES_PER_AGENT, MAX_CHANNELS_PER_AGENT,
    MAX_SKILLS_PER_AGENT,
};
use crate::call::{CallRequest, MAX_CALL_SKILLS, PreferredAgent};
use crate::error::{AgentError, CallError, EnqueueError, QueueError, ReservationError};
use crate::id::{AgentId, CallId, Channel, Level, QueueId, ReservationId, SkillId};
use crate::queue::{EmptyPolicy, MAX_BULLSEYE_RINGS, OverflowTarget, QueueConfig, QueueOrdering};
use crate::run_set::RunSet;
use crate::small_vec::SmallVec;
use crate::strategy::{AgentView, OfferMode, SortKey, Strategy};
use crate::table::{IdMap, Slot, Table};
use crate::time::Timestamp;

/// The most agents a ring-all or ring-progressively call rings at once.
pub const MAX_RING_ALL: usize = 64;

/// How an agent serving several queues chooses among their waiting calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrossQueueOrder {
    /// The call with the earliest queue key (arrival time less its priority
    /// boost) wins, whatever its queue.
    LongestWait,
    /// The queue with the highest [`QueueConfig::priority`] wins; ties go to
    /// the longest wait.
    QueuePriority,
    /// The call with the largest wait times its queue's
    /// [`QueueConfig::weight`] wins.
    Weighted,
}

/// The cross-queue policy: an order, and a starvation bound that overrides it.
///
/// A call that has waited at least `starvation_bound` beats every call that
/// has not, so no queue starves behind a favoured one for longer than the
/// bound plus one handle time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CrossQueuePolicy {
    /// The order in normal operation.
    pub order: CrossQueueOrder,
    /// The wait after which a call overrides the order.
    pub starvation_bound: Option<Duration>,
}

impl CrossQueuePolicy {
    /// A policy with the given order and starvation bound.
    pub fn new(order: CrossQueueOrder, starvation_bound: Option<Duration>) -> CrossQueuePolicy {
        CrossQueuePolicy {
            order,
            starvation_bound,
        }
    }
}

/// Router-wide settings and limits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterConfig {
    /// After this many consecutive ring-no-answers an agent is set not ready
    /// (Asterisk's `autopause`); `None` never.
    pub max_ring_no_answer: Option<u32>,
    /// An agent not heard from for this long (login, ready, heartbeat) is
    /// logged out; `None` never.
    pub agent_ttl: Option<Duration>,
    /// How agents choose among queues.
    pub cross_queue: CrossQueuePolicy,
    /// Seed of the generator behind the random strategies.
    pub seed: u64,
    /// Most agents.
    pub max_agents: usize,
    /// Most queues.
    pub max_queues: usize,
    /// Most calls (waiting, ringing and connected).
    pub max_calls: usize,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            max_ring_no_answer: Some(3),
            agent_ttl: None,
            cross_queue: CrossQueuePolicy::new(
                CrossQueueOrder::LongestWait,
                Some(Duration::from_secs(300)),
            ),
            seed: 0x5EED,
            max_agents: 100_000,
            max_queues: 10_000,
            max_calls: 1_000_000,
        }
    }
}

/// An offer of a call to an agent: ring the agent, then report
/// [`Router::accept`] or [`Router::reject`] with the reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Offer {
    /// The handle for accept and reject.
    pub reservation: ReservationId,
    /// The call.
    pub call: CallId,
    /// The agent.
    pub agent: AgentId,
    /// The queue the call waited in.
    pub queue: QueueId,
    /// When the offer times out as a ring-no-answer.
    pub expires: Timestamp,
    /// The caller asked to be called back: the agent dials out.
    pub callback: bool,
}

/// Why an offer was withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancelReason {
    /// Another agent ringing for the same call answered.
    AnsweredElsewhere,
    /// The caller hung up.
    CallerAbandoned,
    /// The agent logged out or expired.
    AgentGone,
}

/// Why the router set an agent not ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotReadyReason {
    /// Too many consecutive ring-no-answers.
    RingNoAnswer,
}

/// Something the host must act on. Drain with [`Router::poll_output`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Ring an agent.
    Offer(Offer),
    /// Stop ringing: the offer is withdrawn.
    OfferCancelled {
        /// The reservation.
        reservation: ReservationId,
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: CancelReason,
    },
    /// Stop ringing: nobody answered in time. The call is back in its queue
    /// with its place kept.
    OfferTimedOut {
        /// The reservation.
        reservation: ReservationId,
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// The router set an agent not ready.
    AgentNotReady {
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: NotReadyReason,
    },
    /// An agent's state was not refreshed within the TTL: it is logged out.
    AgentExpired {
        /// The agent.
        agent: AgentId,
    },
    /// A call waited its queue's maximum and moved to the overflow target.
    /// With [`OverflowTarget::External`] the call has left the router.
    Overflow {
        /// The call.
        call: CallId,
        /// The queue it left.
        from: QueueId,
        /// Where it goes.
        to: OverflowTarget,
    },
    /// A call waited its queue's maximum and has no overflow target (or the
    /// target refused it). It has left the router.
    TimedOut {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
    },
    /// The queue became empty under its leave policy; the call has left the
    /// router.
    LeftEmpty {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
    },
    /// Position and expected wait, for an announcement.
    Position {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// 1 for the next call to be served.
        position: usize,
        /// Estimated time to an agent.
        expected_wait: Duration,
    },
}

/// A call that has not reached an agent yet, as saved by
/// [`Router::waiting_calls`] and put back by [`Router::restore`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitingCall {
    /// The call.
    pub call: CallId,
    /// Its queue.
    pub queue: QueueId,
    /// What it asks for now: its priority and preferred agent, and its
    /// requirements as bullseye rings have relaxed them so far (a lowered
    /// level, extra skills dropped), so a restored call is exactly as
    /// eligible as the live one was.
    pub request: CallRequest,
    /// When it first arrived.
    pub arrived: Timestamp,
    /// Whether the caller asked for a callback.
    pub callback: bool,
}

/// The result of a successful [`Router::accept`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answered {
    /// The call.
    pub call: CallId,
    /// The agent now connected to it.
    pub agent: AgentId,
    /// The queue it was answered from.
    pub queue: QueueId,
    /// Time from first enqueue to answer.
    pub waited: Duration,
}

/// Where a call stands, as reported by [`Router::call_status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallStatus {
    /// Waiting in a queue (possibly held for a preferred agent).
    Waiting {
        /// The queue.
        queue: QueueId,
    },
    /// Ringing one or more agents.
    Offered {
        /// The queue.
        queue: QueueId,
        /// How many agents ring.
        agents: usize,
    },
    /// Connected to an agent.
    Connected {
        /// The agent.
        agent: AgentId,
    },
}

/// The static queue key: compared once, never recomputed while waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CallKey {
    /// `-priority` under strict priority, 0 under aging.
    class: i64,
    /// Arrival time in µs, less the priority boost under aging.
    time: i64,
    /// Arrival sequence: FIFO among equal keys.
    seq: u64,
    /// Arrival time in µs (never decides the order: `seq` is unique). Kept
    /// in the key so the cross-queue policy needs no lookup.
    arrived: i64,
}

#[derive(Clone, Debug)]
enum CallState {
    Waiting,
    Preferred(AgentId),
    Offered(Ringing),
    Connected {
        agent: AgentId,
        /// The agent's slot in the router's agent table.
        aslot: Slot,
        since: Timestamp,
    },
}

/// The offers ringing for one call; the first is stored inline, since a
/// call rings one agent except under ring-all and ring-progressively.
#[derive(Clone, Debug, Default)]
struct Ringing {
    head: Option<ReservationId>,
    rest: Vec<ReservationId>,
}

impl Ringing {
    fn one(reservation: ReservationId) -> Ringing {
        Ringing {
            head: Some(reservation),
            rest: Vec::new(),
        }
    }

    fn push(&mut self, reservation: ReservationId) {
        if self.head.is_none() {
            self.head = Some(reservation);
        } else {
            self.rest.push(reservation);
        }
    }

    fn remove(&mut self, reservation: ReservationId) {
        if self.head == Some(reservation) {
            self.head = if self.rest.is_empty() {
                None
            } else {
                Some(self.rest.remove(0))
            };
        } else {
            self.rest.retain(|r| *r != reservation);
        }
    }

    fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    fn iter(&self) -> impl Iterator<Item = &ReservationId> {
        self.head.iter().chain(self.rest.iter())
    }

    fn into_iter(self) -> impl Iterator<Item = ReservationId> {
        self.head.into_iter().chain(self.rest)
    }
}

/// A call. What a decision reads comes first (`repr(C)`).
#[derive(Debug)]
#[repr(C)]
struct Call {
    state: CallState,
    /// The queue's slot in the router's queue table.
    qslot: Slot,
    queue: QueueId,
    /// From a router-wide counter, taken anew on every queue change, so
    /// timers of an earlier visit (of this call, or of an earlier call with
    /// the same id) are stale.
    visit: u32,
    /// Current minimum level (lowered by bullseye rings).
    level: Level,
    callback: bool,
    key: CallKey,
    skills: Vec<(SkillId, Level)>,
    arrived: Timestamp,
    entered: Timestamp,
    priority: i32,
    preferred: Option<PreferredAgent>,
    /// Next bullseye ring to open (at most [`MAX_BULLSEYE_RINGS`]; a `u32`
    /// so that it and `round` share one word).
    ring: u32,
    /// The ring-progressively round: taken from the visit counter when the
    /// call is offered afresh, so the progressive timer of an earlier round
    /// (the call was declined and offered again) is stale.
    round: u32,
}

#[derive(Debug)]
struct Reservation {
    call: CallId,
    agent: AgentId,
    queue: QueueId,
    /// The queue's slot in the router's queue table.
    qslot: Slot,
    channel: Channel,
    expires: Timestamp,
}

#[derive(Clone, Copy, Debug)]
struct ChannelUse {
    channel: Channel,
    capacity: u16,
    in_use: u16,
}

/// An agent's membership in one queue: 16 bytes, so the inline ones and
/// the spill pointer fill one cache line. The queue is named by its slot
/// only (its id is the queue table's, [`Table::id_at`]).
#[derive(Clone, Copy, Debug)]
struct Membership {
    /// The queue's slot in the router's queue table.
    qslot: Slot,
    /// The agent's index in the queue's member table.
    member: u32,
    /// Calls the agent answered in this queue (saturating).
    calls: u32,
    level: Level,
    channel: Channel,
    /// Whether the agent is available in the queue: it has a live entry
    /// in the queue's sets, whose generation and key are in the queue's
    /// member table (see [`Queue::stale`]).
    listed: bool,
}

/// Memberships kept in the agent's record; more spill to the heap. Three
/// fill the record's first cache line (agents in more queues read one
/// more line, the spill's).
const MEMBERSHIPS_INLINE: usize = 3;
/// Channels kept in the agent's record; more spill to the heap.
const CHANNELS_INLINE: usize = 2;

// Filler for the unused inline slots of `SmallVec`; never read.
impl Default for Membership {
    fn default() -> Self {
        Membership {
            qslot: 0,
            member: 0,
            calls: 0,
            level: Level::MIN,
            channel: Channel::VOICE,
            listed: false,
        }
    }
}

impl Default for ChannelUse {
    fn default() -> Self {
        ChannelUse {
            channel: Channel::VOICE,
            capacity: 0,
            in_use: 0,
        }
    }
}

/// Offers kept in the agent's record; more spill to the heap (only agents
/// with several channels or a capacity above one ring more than once).
const OFFERS_INLINE: usize = 1;

/// A mark with one valid value out of 2^64, so that its niche is the
/// largest in an agent's or a queue's record (see [`Agent::_occupied`]).
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
enum Occupied {
    Yes = 1,
}

/// An agent's routing record. The fields a decision reads come first, in
/// declaration order (`repr(C)`), and the record starts a 128-byte pair of
/// cache lines (which the processor's adjacent-line prefetch fetches
/// together): an offer or an unlisting reads that pair only (memberships;
/// channels, id, flags and offers), a completion the third line too (the
/// strategy's inputs); skills, attributes and held calls follow.
#[derive(Debug)]
#[repr(C, align(128))]
struct Agent {
    /// Inline up to a few queues: read on every decision. Line 0.
    memberships: SmallVec<Membership, MEMBERSHIPS_INLINE>,
    /// Inline: read on every decision that involves the agent. Line 1.
    channels: SmallVec<ChannelUse, CHANNELS_INLINE>,
    /// The agent's id (a copy of the table's, which sits at the far end of
    /// the slot), so a decision by slot reads no other line for it.
    id: AgentId,
    ready: bool,
    /// Whether `wrap_up_until` is set (read on every decision; the time
    /// only by the wrap-up timer).
    wrapping_up: bool,
    /// Never read: the agent table's records are `Option`s, and the compiler
    /// keeps their discriminant in the largest niche of the record, which
    /// is this one (without it, the niche of a cold `Option<Timestamp>`,
    /// one more cache line for every look at the slot).
    _occupied: Occupied,
    /// Reservations ringing, by number (inline: touched on every offer).
    offers: SmallVec<u64, OFFERS_INLINE>,
    /// Calls connected, by number (inline: touched on every completion).
    connected: SmallVec<u64, 2>,
    ring_no_answers: u32,
    idle_since: Timestamp,
    last_call_end: Option<Timestamp>,
    calls: u64,
    talk_time: Duration,
    order: u32,
    wrap_up: Option<Duration>,
    wrap_up_until: Option<Timestamp>,
    last_seen: Timestamp,
    attributes: Vec<i64>,
    /// Skills sorted by id.
    skills: Vec<(SkillId, Level)>,
    /// Calls held for this agent as their preferred agent.
    preferred: BTreeSet<(CallKey, CallId)>,
    /// When its expiry timer is due: an expiry timer due at another time
    /// is left from an earlier login with the same id, and is stale.
    expiry_due: Timestamp,
}

impl Agent {
    fn level_in(&self, skill: SkillId) -> Option<Level> {
        self.skills
            .binary_search_by_key(&skill, |(s, _)| *s)
            .ok()
            .and_then(|i| self.skills.get(i))
            .map(|(_, l)| *l)
    }

    fn meets(&self, skills: &[(SkillId, Level)]) -> bool {
        skills
            .iter()
            .all(|(s, min)| self.level_in(*s).is_some_and(|l| l >= *min))
    }

    /// Sets or clears the end of the agent's wrap-up.
    fn set_wrap_up_until(&mut self, until: Option<Timestamp>) {
        self.wrap_up_until = until;
        self.wrapping_up = until.is_some();
    }

    /// Whether the agent can take a contact on some channel.
    fn can_take_any(&self) -> bool {
        self.ready && !self.wrapping_up && self.channels.iter().any(|c| c.in_use < c.capacity)
    }

    fn can_take(&self, channel: Channel) -> bool {
        self.ready
            && !self.wrapping_up
            && self
                .channels
                .iter()
                .any(|c| c.channel == channel && c.in_use < c.capacity)
    }

    fn channel_mut(&mut self, channel: Channel) -> Option<&mut ChannelUse> {
        self.channels.iter_mut().find(|c| c.channel == channel)
    }
}

/// A queue. The counters and sets a decision reads come first, in
/// declaration order (`repr(C)`): the first cache line holds the slot
/// mark, the member table and the counters an agent's unlisting touches
/// (so an offer reads one line of each of the agent's other queues), and
/// the waiting-call sets follow the counters, so finding a queue's head
/// call reads two cache lines.
#[derive(Debug)]
#[repr(C)]
struct Queue {
    /// Never read: as for [`Agent::_occupied`], so that the queue table's
    /// check of a slot reads this first line, not the last of the level
    /// sets (the largest niche otherwise, 6 KiB into the record).
    _occupied: Occupied,
    /// Per member index: the generation and key of the member's live entry;
    /// generation 0 while it is not available (or the index is free).
    member_table: Vec<Member>,
    /// Members available now (live entries of `all_agents`).
    available: usize,
    /// Stale entries in `all_agents` (the level sets hold copies of some of
    /// them). Once they exceed twice the live entries plus [`STALE_SLACK`],
    /// a sweep starts: every later staleness event examines the next
    /// [`SWEEP_STEP`] entries and drops the stale ones, until the sweep has
    /// passed the whole set. (An agent serving k queues leaves k - 1 stale
    /// entries per contact, which leave at the head in the normal flow; the
    /// factor lets that steady state run without sweeping, and sweeping in
    /// steps keeps any one decision's share of it small.)
    stale: usize,
    waiting: usize,
    sweeping: bool,
    /// Whether `agents` (the per-level sets) is maintained: from the start
    /// for level-preferring strategies and bullseye queues, and from the
    /// first call with a minimum level otherwise.
    level_index: bool,
    /// Bit `l` set when `calls[l]` is not empty.
    call_levels: u16,
    members: u32,
    ready_members: u32,
    /// Waiting calls with extra skill requirements (0: no filtering needed).
    filtered_calls: usize,
    strategy: Box<dyn Strategy>,
    /// Moving average of handle time, for expected-wait estimates.
    aht_s: f64,
    /// Waiting calls per current minimum level (keys are unique, so the
    /// ids and slots never decide the order).
    calls: [RunSet<CallEntry>; Level::COUNT],
    config: QueueConfig,
    /// Available members of every level, for calls that accept any level.
    all_agents: RunSet<AgentEntry>,
    /// Available members per level. Entries are removed lazily: an agent
    /// that stops being available (or gets a new key) leaves its entry
    /// behind, stale, and stale entries are dropped when met at the head of
    /// a set or by a sweep (see `stale`).
    agents: [RunSet<AgentEntry>; Level::COUNT],
    /// Member indexes free for reuse.
    free_members: Vec<u32>,
    /// Where the running sweep continues: after this entry (`None`: from the
    /// start); `sweeping` is false between sweeps.
    sweep_after: Option<AgentEntry>,
}

/// An available agent in a queue's set: its key, id, the generation of
/// the entry, its slot, its member index in the queue and its level there.
/// The order is by key then id; an agent has at most one live entry per
/// set, so the rest never decides it.
type AgentEntry = (SortKey, AgentId, u64, Slot, u32, Level);

/// Stale agent entries a queue tolerates beyond twice its live ones before
/// it starts sweeping.
const STALE_SLACK: usize = 64;
/// Entries a sweep examines per staleness event.
const SWEEP_STEP: usize = 16;

/// Whether an agent entry is live: it is the newest entry of a member that
/// is available now. Reads only the queue's own member table, never the
/// agent's record.
fn agent_entry_live(members: &[Member], (_, _, generation, _, member, _): &AgentEntry) -> bool {
    members
        .get(*member as usize)
        .is_some_and(|m| m.generation == *generation)
}

/// A queue's view of one member: its live entry, if it is available.
#[derive(Clone, Copy, Debug, Default)]
struct Member {
    /// Generation of the live entry; 0 while not available.
    generation: u64,
    /// Key of the live entry.
    key: SortKey,
}

/// Pops the stale entries at the head of `set`.
fn trim(set: &mut RunSet<AgentEntry>, members: &[Member]) {
    set.pop_first_while(|e| !agent_entry_live(members, e), |_| {});
}
/// A waiting call in a queue's set: its key, id and slot.
type CallEntry = (CallKey, CallId, Slot);

impl Queue {
    fn insert_agent(&mut self, level: Level, entry: AgentEntry) {
        if self.level_index
            && let Some(set) = self.agents.get_mut(level.index())
        {
            set.insert(entry);
        }
        self.all_agents.insert(entry);
    }

    /// Drops the stale entries at the head of `all_agents` and of the level
    /// sets from `from` up, so a search finds a live entry first.
    fn trim_agents(&mut self, from: Level) {
        self.trim_all_agents();
        if self.level_index {
            for set in self.agents.get_mut(from.index()..).unwrap_or(&mut []) {
                trim(set, &self.member_table);
            }
        }
    }

    /// Pops the stale entries at the head of `all_agents`, and drops their
    /// copies in the level sets (if those are kept and still hold them).
    /// Stale entries pile up at the head between arrivals (agents taken by
    /// their other queues), a dozen at times; each costs a read of its
    /// member's line in the member table and a pop, so the pops are a tight
    /// loop in which those reads overlap.
    fn trim_all_agents(&mut self) {
        let members = &self.member_table;
        let level_sets = &mut self.agents;
        let level_index = self.level_index;
        let dropped = self.all_agents.pop_first_while(
            |e| !agent_entry_live(members, e),
            |e| {
                if level_index && let Some(set) = level_sets.get_mut(e.5.index()) {
                    set.remove(e);
                }
            },
        );
        self.stale = self.stale.saturating_sub(dropped);
    }

    /// A stale entry left `all_agents` (swept): count it, and drop its copy
    /// in its level set (if that set is kept and still holds it).
    fn drop_level_copy(&mut self, entry: &AgentEntry) {
        self.stale = self.stale.saturating_sub(1);
        if self.level_index
            && let Some(set) = self.agents.get_mut(entry.5.index())
        {
            set.remove(entry);
        }
    }

    /// A member stops being available: its entries go stale in place.
    fn unlist(&mut self, member: u32) {
        if let Some(m) = self.member_table.get_mut(member as usize) {
            m.generation = 0;
        }
        self.available -= 1;
        self.note_stale();
    }

    /// One more entry went stale: start a sweep past the bound, and advance
    /// a running one.
    #[inline]
    fn note_stale(&mut self) {
        self.stale += 1;
        if self.sweeping || self.stale > 3 * self.available + STALE_SLACK {
            self.sweep_step();
        }
    }

    /// Examines the next [`SWEEP_STEP`] entries of `all_agents` and drops
    /// the stale ones; the sweep ends when it reaches the end of the set.
    #[cold]
    #[inline(never)]
    fn sweep_step(&mut self) {
        if !self.sweeping {
            self.sweeping = true;
            self.sweep_after = None;
        }
        let lower = self.sweep_after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut stale: [Option<AgentEntry>; SWEEP_STEP] = [None; SWEEP_STEP];
        let mut seen = 0;
        for (e, slot) in self
            .all_agents
            .range((lower, Bound::Unbounded))
            .zip(stale.iter_mut())
        {
            seen += 1;
            self.sweep_after = Some(e);
            if !agent_entry_live(&self.member_table, &e) {
                *slot = Some(e);
            }
        }
        for e in stale.iter().flatten() {
            if self.all_agents.remove(e) {
                self.drop_level_copy(e);
            }
        }
        if seen < SWEEP_STEP {
            self.sweeping = false;
            self.sweep_after = None;
        }
    }

    fn insert_call(&mut self, level: Level, entry: CallEntry, filtered: bool) {
        if let Some(set) = self.calls.get_mut(level.index()) {
            set.insert(entry);
            self.waiting += 1;
            self.call_levels |= 1 << level.index();
            if filtered {
                self.filtered_calls += 1;
            }
        }
    }

    fn remove_call(&mut self, level: Level, entry: CallEntry, filtered: bool) {
        if let Some(set) = self.calls.get_mut(level.index())
            && set.remove(&entry)
        {
            self.waiting -= 1;
            if set.is_empty() {
                self.call_levels &= !(1 << level.index());
            }
            if filtered {
                self.filtered_calls -= 1;
            }
        }
    }

    fn is_empty_under(&self, policy: EmptyPolicy) -> bool {
        match policy {
            EmptyPolicy::Never => false,
            EmptyPolicy::NoAgents => self.members == 0,
            EmptyPolicy::NoReadyAgents => self.ready_members == 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Reservation(ReservationId),
    MaxWait(CallId, u32),
    Preferred(CallId, u32),
    Bullseye(CallId, u32),
    Announce(CallId, u32),
    /// The call and its ring-progressively round (see `Call::round`).
    Progressive(CallId, u32),
    WrapUp(AgentId),
    /// Stale unless due at the agent's `expiry_due`.
    Expiry(AgentId),
}

/// The automatic call distributor. See the [module docs](self) for the
/// driving loop and the crate docs for an example.
#[derive(Debug)]
pub struct Router {
    config: RouterConfig,
    agents: Table<AgentId, Agent>,
    queues: Table<QueueId, Queue>,
    queues_by_skill: IdMap<SkillId, Vec<QueueId>>,
    agents_by_skill: IdMap<SkillId, BTreeSet<AgentId>>,
    calls: Table<CallId, Call>,
    reservations: IdMap<ReservationId, Reservation>,
    timers: BinaryHeap<Reverse<(Timestamp, Timer)>>,
    outputs: VecDeque<Output>,
    next_reservation: u64,
    next_seq: u64,
    /// Generation of the newest available-set entry.
    next_generation: u64,
    /// The next call visit number (see `Call::visit`).
    next_visit: u32,
    rng: u64,
}

/// Microseconds as a signed key component.
fn key_micros(t: Timestamp) -> i64 {
    i64::try_from(t.as_micros()).unwrap_or(i64::MAX)
}

fn duration_key(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn call_key(ordering: QueueOrdering, priority: i32, arrived: Timestamp, seq: u64) -> CallKey {
    match ordering {
        QueueOrdering::Aging { boost } => CallKey {
            arrived: key_micros(arrived),
            class: 0,
            time: key_micros(arrived)
                .saturating_sub(duration_key(boost).saturating_mul(i64::from(priority))),
            seq,
        },
        QueueOrdering::StrictPriority => CallKey {
            arrived: key_micros(arrived),
            class: -i64::from(priority),
            time: key_micros(arrived),
            seq,
        },
    }
}

/// SplitMix64: small and seeded, enough to shuffle agents for the random
/// strategies.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The strategy's key for an agent that is (or is about to be) available.
fn strategy_key(
    strategy: &mut dyn Strategy,
    id: AgentId,
    agent: &Agent,
    level: Level,
    queue_calls: u64,
    rng: &mut u64,
) -> SortKey {
    strategy.key(&AgentView {
        id,
        level,
        order: agent.order,
        idle_since: agent.idle_since,
        last_call_end: agent.last_call_end,
        calls: agent.calls,
        queue_calls,
        talk_time: agent.talk_time,
        attributes: &agent.attributes,
        random: splitmix(rng),
    })
}

/// The first agent of `set` (optionally after `resume`, wrapping) that
/// passes `ok`, with whether the search wrapped.
fn first_agent(
    set: &RunSet<AgentEntry>,
    resume: Option<SortKey>,
    mut ok: impl FnMut(&AgentEntry) -> bool,
) -> Option<(bool, AgentEntry)> {
    match resume {
        None => match set.first() {
            // The common case: the best agent qualifies; no merge iterator.
            Some(first) if ok(&first) => Some((false, first)),
            Some(_) => set.iter().skip(1).find(|e| ok(e)).map(|e| (false, e)),
            None => None,
        },
        Some(after) => set
            .range((
                Bound::Excluded((
                    after,
                    AgentId(u32::MAX),
                    u64::MAX,
                    Slot::MAX,
                    u32::MAX,
                    Level::MAX,
                )),
                Bound::Unbounded,
            ))
            .find(|e| ok(e))
            .map(|e| (false, e))
            .or_else(|| set.iter().find(|e| ok(e)).map(|e| (true, e))),
    }
}

impl Router {
    /// An empty router.
    pub fn new(config: RouterConfig) -> Router {
        let rng = config.seed;
        Router {
            config,
            agents: Table::default(),
            queues: Table::default(),
            queues_by_skill: IdMap::default(),
            agents_by_skill: IdMap::default(),
            calls: Table::default(),
            reservations: IdMap::default(),
            timers: BinaryHeap::new(),
            outputs: VecDeque::new(),
            next_reservation: 1,
            next_seq: 0,
            next_generation: 0,
            next_visit: 0,
            rng,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The next output for the host, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The next deadline: call [`Router::handle_timeout`] at or after it.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    /// Drops deadlines that can no longer fire (offers already answered,
    /// calls gone) from the top of the heap, so [`Router::poll_timeout`]
    /// rarely reports a deadline with nothing to do.
    fn prune_timers(&mut self) {
        while let Some(&Reverse((at, timer))) = self.timers.peek() {
            let stale = match timer {
                Timer::Reservation(r) => !self.reservations.contains_key(&r),
                Timer::MaxWait(c, v)
                | Timer::Preferred(c, v)
                | Timer::Bullseye(c, v)
                | Timer::Announce(c, v) => self.call_visit(c, v).is_none(),
                Timer::Progressive(c, round) => self.call_round(c, round).is_none(),
                Timer::WrapUp(a) => self
                    .agents
                    .get(&a)
                    .is_none_or(|agent| agent.wrap_up_until.is_none()),
                Timer::Expiry(a) => self.agents.get(&a).is_none_or(|a| a.expiry_due != at),
            };
            if !stale {
                break;
            }
            self.timers.pop();
        }
    }

    /// Arms a timer. [`Timestamp::MAX`] stands for never: a deadline that
    /// reaches it (adding to a time saturates there) is not armed, so at the
    /// end of time a timer never re-arms itself at `now` (an overflow cycle
    /// between two queues, a periodic announcement) and fires forever.
    fn schedule(&mut self, at: Timestamp, timer: Timer) {
        if at < Timestamp::MAX {
            self.timers.push(Reverse((at, timer)));
        }
    }

    /// Re-arms a periodic timer one `period` after `now`, unless that is not
    /// later than `now` (a zero period, or the end of time, where adding
    /// saturates): such a timer would fire again in the same
    /// [`Router::handle_timeout`], forever.
    fn rearm(&mut self, now: Timestamp, period: Duration, timer: Timer) {
        let at = now + period;
        if at > now {
            self.schedule(at, timer);
        }
    }

    // ----- queues -------------------------------------------------------

    /// Adds a queue. Agents already logged in with its skill become members.
    pub fn add_queue(
        &mut self,
        id: QueueId,
        config: QueueConfig,
        strategy: Box<dyn Strategy>,
        now: Timestamp,
    ) -> Result<(), QueueError> {
        if self.queues.contains_key(&id) {
            return Err(QueueError::Duplicate { queue: id });
        }
        if self.queues.len() >= self.config.max_queues {
            return Err(QueueError::TooMany {
                limit: self.config.max_queues,
            });
        }
        if config.bullseye.len() > MAX_BULLSEYE_RINGS {
            return Err(QueueError::InvalidConfig {
                queue: id,
                reason: "too many bullseye rings",
            });
        }
        if config.bullseye.windows(2).any(|w| match w {
            [a, b] => a.after > b.after,
            _ => false,
        }) {
            return Err(QueueError::InvalidConfig {
                queue: id,
                reason: "bullseye rings must be sorted by their delay",
            });
        }
        if let Some(OverflowTarget::Queue(target)) = config.overflow
            && target == id
        {
            return Err(QueueError::InvalidConfig {
                queue: id,
                reason: "a queue cannot overflow to itself",
            });
        }
        if config.ring_timeout.is_zero() {
            return Err(QueueError::InvalidConfig {
                queue: id,
                reason: "the ring timeout must be positive",
            });
        }
        // A call overflowing into a queue with no wait overflows again in the
        // same `handle_timeout`: two such queues overflowing to each other
        // would pass it back and forth forever.
        if config.max_wait.is_some_and(|wait| wait.is_zero()) {
            return Err(QueueError::InvalidConfig {
                queue: id,
                reason: "the maximum wait must be positive",
            });
        }
        // Periodic timers re-arm themselves one period after they fire: a
        // zero period would keep `handle_timeout` from returning.
        if config.announce_every.is_some_and(|every| every.is_zero()) {
            return Err(QueueError::InvalidConfig {
                queue: id,
                reason: "the announcement period must be positive",
            });
        }
        if let OfferMode::Progressive { step } = strategy.offer_mode()
            && step.is_zero()
        {
            return Err(QueueError::InvalidConfig {
                queue: id,
                reason: "the ring-progressively step must be positive",
            });
        }
        let skill = config.skill;
        let aht_s = config.expected_handle_time.as_secs_f64();
        let level_index = strategy.prefer_higher_level() || !config.bullseye.is_empty();
        self.queues.insert(
            id,
            Queue {
                _occupied: Occupied::Yes,
                config,
                strategy,
                agents: Default::default(),
                all_agents: RunSet::default(),
                sweep_after: None,
                sweeping: false,
                available: 0,
                member_table: Vec::new(),
                free_members: Vec::new(),
                stale: 0,
                level_index,
                calls: Default::default(),
                call_levels: 0,
                filtered_calls: 0,
                waiting: 0,
                members: 0,
                ready_members: 0,
                aht_s,
            },
        );
        self.queues_by_skill.entry(skill).or_default().push(id);
        let members: Vec<AgentId> = self
            .agents_by_skill
            .get(&skill)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        for agent in members {
            self.join(agent, id);
            self.refresh_agent(agent, now, false);
            self.dispatch_agent(agent, now);
        }
        Ok(())
    }

    /// Makes `agent` a member of `queue` (bookkeeping only).
    fn join(&mut self, agent: AgentId, queue: QueueId) {
        let Some(qslot) = self.queues.slot(&queue) else {
            return;
        };
        let (Some(a), Some(q)) = (self.agents.get_mut(&agent), self.queues.at_mut(qslot)) else {
            return;
        };
        let Some(level) = a.level_in(q.config.skill) else {
            return;
        };
        if a.memberships.iter().any(|m| m.qslot == qslot) {
            return;
        }
        q.members += 1;
        if a.ready {
            q.ready_members += 1;
        }
        let member = match q.free_members.pop() {
            Some(member) => member,
            None => {
                q.member_table.push(Member::default());
                u32::try_from(q.member_table.len() - 1).unwrap_or(u32::MAX)
            }
        };
        a.memberships.push(Membership {
            qslot,
            member,
            calls: 0,
            level,
            channel: q.config.channel,
            listed: false,
        });
    }

    /// Waiting calls in `queue` (ringing and connected calls not counted).
    pub fn queue_len(&self, queue: QueueId) -> Option<usize> {
        self.queues.get(&queue).map(|q| q.waiting)
    }

    /// Available members of `queue`.
    pub fn available_agents(&self, queue: QueueId) -> Option<usize> {
        self.queues.get(&queue).map(|q| q.available)
    }

    // ----- agents -------------------------------------------------------

    /// Logs an agent in, not ready. It becomes a member of every queue whose
    /// skill it has.
    pub fn add_agent(
        &mut self,
        id: AgentId,
        config: AgentConfig,
        now: Timestamp,
    ) -> Result<(), AgentError> {
        if self.agents.contains_key(&id) {
            return Err(AgentError::Duplicate { agent: id });
        }
        if self.agents.len() >= self.config.max_agents {
            return Err(AgentError::TooMany {
                limit: self.config.max_agents,
            });
        }
        for (what, got, limit) in [
            ("skills", config.skills.len(), MAX_SKILLS_PER_AGENT),
            ("channels", config.capacity.len(), MAX_CHANNELS_PER_AGENT),
            (
                "attributes",
                config.attributes.len(),
                MAX_ATTRIBUTES_PER_AGENT,
            ),
        ] {
            if got > limit {
                return Err(AgentError::TooManyEntries {
                    agent: id,
                    what,
                    got,
                    limit,
                });
            }
        }
        let mut skills = config.skills.clone();
        skills.sort_unstable_by_key(|(s, _)| *s);
        if let Some(w) = skills
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.0 == b.0))
            && let Some((skill, _)) = w.first()
        {
            return Err(AgentError::DuplicateSkill {
                agent: id,
                skill: *skill,
            });
        }
        // A channel listed twice would be checked on one entry and charged
        // on the other: capacity without a limit.
        if let Some((channel, _)) = config
            .capacity
            .iter()
            .enumerate()
            .find(|(i, (c, _))| config.capacity.iter().take(*i).any(|(d, _)| d == c))
            .map(|(_, entry)| entry)
        {
            return Err(AgentError::DuplicateChannel {
                agent: id,
                channel: *channel,
            });
        }
        let channels = config
            .capacity
            .iter()
            .map(|(channel, capacity)| ChannelUse {
                channel: *channel,
                capacity: *capacity,
                in_use: 0,
            })
            .collect();
        self.agents.insert(
            id,
            Agent {
                skills: skills.clone(),
                order: config.order,
                attributes: config.attributes,
                wrap_up: config.wrap_up,
                ready: false,
                wrap_up_until: None,
                wrapping_up: false,
                id,
                last_seen: now,
                ring_no_answers: 0,
                channels,
                idle_since: now,
                last_call_end: None,
                calls: 0,
                talk_time: Duration::ZERO,
                memberships: SmallVec::default(),
                preferred: BTreeSet::new(),
                offers: SmallVec::default(),
                _occupied: Occupied::Yes,
                connected: SmallVec::default(),
                expiry_due: now + self.config.agent_ttl.unwrap_or_default(),
            },
        );
        for (skill, _) in &skills {
            self.agents_by_skill.entry(*skill).or_default().insert(id);
            let queues = self.queues_by_skill.get(skill).cloned().unwrap_or_default();
            for queue in queues {
                self.join(id, queue);
            }
        }
        if let Some(ttl) = self.config.agent_ttl {
            self.schedule(now + ttl, Timer::Expiry(id));
        }
        Ok(())
    }

    /// Logs an agent out. Its ringing offers are cancelled and their calls go
    /// back to their queues; calls it is connected to are forgotten (they
    /// were answered).
    pub fn remove_agent(&mut self, id: AgentId, now: Timestamp) -> Result<(), AgentError> {
        if !self.agents.contains_key(&id) {
            return Err(AgentError::Unknown { agent: id });
        }
        self.drop_agent(id, now);
        Ok(())
    }

    fn drop_agent(&mut self, id: AgentId, now: Timestamp) {
        // Leave every available set first, so nothing is offered to it.
        if self.agents.get(&id).is_some_and(|a| a.ready) {
            self.set_ready_flag(id, false, now);
        }
        let Some(agent) = self.agents.remove(&id) else {
            return;
        };
        for (skill, _) in &agent.skills {
            if let Some(set) = self.agents_by_skill.get_mut(skill) {
                set.remove(&id);
            }
        }
        for call in agent.connected.iter() {
            self.calls.remove(&CallId(*call));
        }
        let mut requeue = Vec::new();
        for reservation in agent.offers.iter().map(|r| ReservationId(*r)) {
            if let Some(r) = self.reservations.remove(&reservation) {
                self.outputs.push_back(Output::OfferCancelled {
                    reservation,
                    call: r.call,
                    agent: id,
                    reason: CancelReason::AgentGone,
                });
                if let Some(call) = self.calls.get_mut(&r.call)
                    && let CallState::Offered(list) = &mut call.state
                {
                    list.remove(reservation);
                    if list.is_empty() {
                        requeue.push(r.call);
                    }
                }
            }
        }
        for (_, call) in &agent.preferred {
            requeue.push(*call);
        }
        let mut touched = Vec::new();
        for m in agent.memberships.iter() {
            if let Some(q) = self.queues.at_mut(m.qslot) {
                q.members = q.members.saturating_sub(1);
                // Not ready any more, so its entries are stale already.
                if let Some(entry) = q.member_table.get_mut(m.member as usize) {
                    entry.generation = 0;
                }
                q.free_members.push(m.member);
                touched.push(m.qslot);
            }
        }
        for call in requeue {
            self.return_to_queue(call, now);
        }
        for qslot in touched {
            if let Some(queue) = self.queues.id_at(qslot) {
                self.check_empty(queue, now);
            }
        }
    }

    /// Sets an agent ready or not ready. Ready agents take offers from
    /// every queue they serve; an agent set ready also has its ring-no-answer
    /// count cleared.
    pub fn set_ready(
        &mut self,
        id: AgentId,
        ready: bool,
        now: Timestamp,
    ) -> Result<(), AgentError> {
        let agent = self
            .agents
            .get_mut(&id)
            .ok_or(AgentError::Unknown { agent: id })?;
        agent.last_seen = now;
        if agent.ready == ready {
            return Ok(());
        }
        if ready {
            agent.ring_no_answers = 0;
            agent.idle_since = now;
        }
        self.set_ready_flag(id, ready, now);
        if ready {
            self.dispatch_agent(id, now);
        }
        Ok(())
    }

    fn set_ready_flag(&mut self, id: AgentId, ready: bool, now: Timestamp) {
        let Some(agent) = self.agents.get_mut(&id) else {
            return;
        };
        agent.ready = ready;
        let qslots: Vec<Slot> = agent.memberships.iter().map(|m| m.qslot).collect();
        for qslot in &qslots {
            if let Some(q) = self.queues.at_mut(*qslot) {
                if ready {
                    q.ready_members += 1;
                } else {
                    q.ready_members = q.ready_members.saturating_sub(1);
                }
            }
        }
        self.refresh_agent(id, now, false);
        if !ready {
            for qslot in qslots {
                if let Some(queue) = self.queues.id_at(qslot) {
                    self.check_empty(queue, now);
                }
            }
        }
    }

    /// Records that the agent's state was refreshed (its desktop is alive).
    pub fn heartbeat(&mut self, id: AgentId, now: Timestamp) -> Result<(), AgentError> {
        let agent = self
            .agents
            .get_mut(&id)
            .ok_or(AgentError::Unknown { agent: id })?;
        agent.last_seen = now;
        Ok(())
    }

    /// The agent's routing state, if logged in.
    pub fn agent_status(&self, id: AgentId) -> Option<AgentStatus> {
        let a = self.agents.get(&id)?;
        let availability = if !a.ready {
            Availability::NotReady
        } else if a.wrap_up_until.is_some() {
            Availability::WrapUp
        } else if a.channels.iter().any(|c| c.in_use < c.capacity) {
            Availability::Available
        } else if a.offers.is_empty() {
            Availability::Busy
        } else {
            Availability::Reserved
        };
        Some(AgentStatus {
            availability,
            offers: a.offers.len(),
            connected: a.connected.len(),
            ring_no_answers: a.ring_no_answers,
            calls: a.calls,
        })
    }

    /// Puts the agent into or out of each of its queues' available sets to
    /// match its state; with `rekey`, recomputes its keys (its statistics
    /// changed).
    fn refresh_agent(&mut self, id: AgentId, _now: Timestamp, rekey: bool) {
        if let Some(aslot) = self.agents.slot(&id) {
            self.refresh_agent_at(aslot, rekey);
        }
    }

    /// [`Router::refresh_agent`] by slot. An agent leaving a queue's
    /// available set leaves a stale entry behind (removed lazily).
    fn refresh_agent_at(&mut self, aslot: Slot, rekey: bool) {
        let Some(agent) = self.agents.at_mut(aslot) else {
            return;
        };
        let id = agent.id;
        if !agent.can_take_any() {
            // The common cases after an offer or a completion: the agent
            // leaves every set it is in (its entries go stale in place),
            // or is in none.
            for m in agent.memberships.iter_mut() {
                if m.listed {
                    m.listed = false;
                    if let Some(queue) = self.queues.at_mut(m.qslot) {
                        queue.unlist(m.member);
                    }
                }
            }
            return;
        }
        for i in 0..agent.memberships.len() {
            let Some(&Membership {
                qslot,
                member,
                level,
                channel,
                listed,
                calls,
            }) = agent.memberships.get(i)
            else {
                continue;
            };
            let can = agent.can_take(channel);
            if !can && !listed || can && listed && !rekey {
                continue;
            }
            let Some(queue) = self.queues.at_mut(qslot) else {
                continue;
            };
            let old = queue
                .member_table
                .get(member as usize)
                .filter(|_| listed)
                .map(|m| m.key);
            let (key, generation) = if can {
                let key = strategy_key(
                    queue.strategy.as_mut(),
                    id,
                    agent,
                    level,
                    u64::from(calls),
                    &mut self.rng,
                );
                if old == Some(key) {
                    // Same key: the live entry stays as it is.
                    continue;
                }
                self.next_generation += 1;
                let generation = self.next_generation;
                queue.insert_agent(level, (key, id, generation, aslot, member, level));
                (Some(key), generation)
            } else {
                (None, 0)
            };
            if let Some(m) = queue.member_table.get_mut(member as usize) {
                m.generation = generation;
                if let Some(key) = key {
                    m.key = key;
                }
            }
            if old.is_some() {
                queue.available -= 1;
                queue.note_stale();
            }
            if key.is_some() {
                queue.available += 1;
            }
            if let Some(m) = agent.memberships.get_mut(i) {
                m.listed = generation != 0;
            }
        }
    }

    // ----- calls --------------------------------------------------------

    /// Puts a call in a queue. It is offered at once if an eligible agent is
    /// available.
    pub fn enqueue(
        &mut self,
        call: CallId,
        queue: QueueId,
        request: CallRequest,
        now: Timestamp,
    ) -> Result<(), EnqueueError> {
        self.admit(call, queue, request, now, now, false)
    }

    /// Puts back a call saved with [`Router::waiting_calls`] (after a restart
    /// or a fail-over): it keeps its original arrival time, so its place in
    /// the queue and its callback flag survive. Admission rules apply as for
    /// [`Router::enqueue`].
    pub fn restore(&mut self, saved: &WaitingCall, now: Timestamp) -> Result<(), EnqueueError> {
        let arrived = saved.arrived.min(now);
        self.admit(
            saved.call,
            saved.queue,
            saved.request.clone(),
            arrived,
            now,
            saved.callback,
        )
    }

    /// Every call not yet connected, in queue order per queue: what a
    /// [`crate::store::RoutingStore`] persists to survive a restart.
    pub fn waiting_calls(&self) -> Vec<WaitingCall> {
        let mut calls: Vec<(QueueId, CallKey, WaitingCall)> = self
            .calls
            .iter()
            .filter(|(_, c)| !matches!(c.state, CallState::Connected { .. }))
            .map(|(id, c)| {
                // What the call requires now: bullseye relaxations only ever
                // loosen, so a restored call is exactly as eligible as this one.
                let mut request = CallRequest::new().priority(c.priority).min_level(c.level);
                request.skills.clone_from(&c.skills);
                request.preferred = c.preferred;
                (
                    c.queue,
                    c.key,
                    WaitingCall {
                        call: *id,
                        queue: c.queue,
                        request,
                        arrived: c.arrived,
                        callback: c.callback,
                    },
                )
            })
            .collect();
        calls.sort_unstable_by_key(|(q, k, _)| (*q, *k));
        calls.into_iter().map(|(_, _, w)| w).collect()
    }

    fn admit(
        &mut self,
        call: CallId,
        queue: QueueId,
        request: CallRequest,
        arrived: Timestamp,
        now: Timestamp,
        callback: bool,
    ) -> Result<(), EnqueueError> {
        if self.calls.contains_key(&call) {
            return Err(EnqueueError::DuplicateCall { call });
        }
        if self.calls.len() >= self.config.max_calls {
            return Err(EnqueueError::TooManyCalls {
                limit: self.config.max_calls,
            });
        }
        if request.skills.len() > MAX_CALL_SKILLS {
            return Err(EnqueueError::TooManySkills {
                call,
                got: request.skills.len(),
                limit: MAX_CALL_SKILLS,
            });
        }
        let qslot = self
            .queues
            .slot(&queue)
            .ok_or(EnqueueError::UnknownQueue { queue })?;
        self.check_admission_at(qslot, queue, now)?;
        let seq = self.next_seq;
        self.next_seq += 1;
        let Some(q) = self.queues.at(qslot) else {
            return Err(EnqueueError::UnknownQueue { queue });
        };
        let key = call_key(q.config.ordering, request.priority, arrived, seq);
        let visit = self.next_visit;
        self.next_visit = visit.wrapping_add(1);
        let cslot = self.calls.insert(
            call,
            Call {
                queue,
                qslot,
                key,
                arrived,
                entered: now,
                priority: request.priority,
                level: request.min_level,
                skills: request.skills,
                preferred: request.preferred,
                ring: 0,
                visit,
                round: 0,
                callback,
                state: CallState::Waiting,
            },
        );
        self.start_visit(cslot, now);
        self.prune_timers();
        Ok(())
    }

    fn check_admission(&self, queue: QueueId, now: Timestamp) -> Result<(), EnqueueError> {
        let qslot = self
            .queues
            .slot(&queue)
            .ok_or(EnqueueError::UnknownQueue { queue })?;
        self.check_admission_at(qslot, queue, now)
    }

    /// [`Router::check_admission`] by slot.
    fn check_admission_at(
        &self,
        qslot: Slot,
        queue: QueueId,
        now: Timestamp,
    ) -> Result<(), EnqueueError> {
        let q = self
            .queues
            .at(qslot)
            .ok_or(EnqueueError::UnknownQueue { queue })?;
        if let Some(max_length) = q.config.max_length
            && q.waiting >= max_length
        {
            return Err(EnqueueError::QueueFull { queue, max_length });
        }
        if q.is_empty_under(q.config.join_empty) {
            return Err(EnqueueError::Empty { queue });
        }
        if let Some(calendar) = &q.config.calendar
            && !calendar.is_open(now)
        {
            return Err(EnqueueError::Closed { queue });
        }
        Ok(())
    }

    /// Schedules a call's timers in its (new) queue and places it: with its
    /// preferred agent if that agent serves the queue, else in the queue.
    fn start_visit(&mut self, cslot: Slot, now: Timestamp) {
        let Some(id) = self.calls.id_at(cslot) else {
            return;
        };
        if let Some(call) = self.calls.at(cslot)
            && call.level > Level::MIN
        {
            self.enable_level_index(call.queue);
        }
        let Some(call) = self.calls.at(cslot) else {
            return;
        };
        let Some(q) = self.queues.at(call.qslot) else {
            return;
        };
        let visit = call.visit;
        // Up to three timers, without an allocation.
        let timers = [
            q.config
                .max_wait
                .map(|d| (now + d, Timer::MaxWait(id, visit))),
            q.config
                .bullseye
                .first()
                .map(|ring| (now + ring.after, Timer::Bullseye(id, visit))),
            q.config
                .announce_every
                .map(|every| (now + every, Timer::Announce(id, visit))),
        ];
        let announce = q.config.announce_every.is_some();
        let (qslot, key) = (call.qslot, call.key);
        let preferred = call.preferred.filter(|p| {
            self.agents
                .get(&p.agent)
                .is_some_and(|a| a.memberships.iter().any(|m| m.qslot == qslot))
        });
        for (at, timer) in timers.into_iter().flatten() {
            self.schedule(at, timer);
        }
        if let Some(p) = preferred {
            if let Some(call) = self.calls.at_mut(cslot) {
                call.state = CallState::Preferred(p.agent);
            }
            if let Some(agent) = self.agents.get_mut(&p.agent) {
                agent.preferred.insert((key, id));
            }
            self.schedule(now + p.timeout, Timer::Preferred(id, visit));
            self.dispatch_agent(p.agent, now);
        } else if !self.offer_at_once(cslot, now) {
            self.insert_waiting(id, now);
            self.dispatch_call(id, now);
        }
        if announce
            && let Some(call) = self.calls.at(cslot)
            && !matches!(
                call.state,
                CallState::Offered(_) | CallState::Connected { .. }
            )
        {
            self.announce(id);
        }
    }

    /// Starts maintaining a queue's per-level sets, filling them from its
    /// available members (once per queue).
    fn enable_level_index(&mut self, queue: QueueId) {
        let Some(qslot) = self.queues.slot(&queue) else {
            return;
        };
        let Some(q) = self.queues.at_mut(qslot) else {
            return;
        };
        if q.level_index {
            return;
        }
        q.level_index = true;
        for entry in q.all_agents.iter() {
            if !agent_entry_live(&q.member_table, &entry) {
                continue;
            }
            let level = self
                .agents
                .at(entry.3)
                .and_then(|a| a.memberships.iter().find(|m| m.qslot == qslot))
                .map(|m| m.level);
            if let Some(level) = level
                && let Some(set) = q.agents.get_mut(level.index())
            {
                set.insert(entry);
            }
        }
    }

    /// Offers a call that just entered a queue to a free agent, if there is
    /// one, without passing through the waiting set. Ring-all calls take the
    /// general path.
    fn offer_at_once(&mut self, cslot: Slot, now: Timestamp) -> bool {
        let Some(call) = self.calls.at(cslot) else {
            return false;
        };
        let one = self
            .queues
            .at(call.qslot)
            .is_some_and(|q| !matches!(q.strategy.offer_mode(), OfferMode::All));
        if !one {
            return false;
        }
        self.trim_agents_for(cslot);
        let Some(call) = self.calls.at(cslot) else {
            return false;
        };
        match self.find_agent(call, &[]) {
            Some((_, _, _, aslot, _, _)) => self.offer(cslot, aslot, false, now),
            None => false,
        }
    }

    /// Puts a call into its queue's waiting set, unless the queue is empty
    /// under its leave policy, in which case the call leaves.
    fn insert_waiting(&mut self, id: CallId, now: Timestamp) {
        let _ = now;
        let Some(cslot) = self.calls.slot(&id) else {
            return;
        };
        let Some(call) = self.calls.at_mut(cslot) else {
            return;
        };
        call.state = CallState::Waiting;
        let (queue_id, qslot, key, level) = (call.queue, call.qslot, call.key, call.level);
        let filtered = !call.skills.is_empty();
        let Some(q) = self.queues.at_mut(qslot) else {
            return;
        };
        if q.is_empty_under(q.config.leave_empty) {
            self.calls.remove(&id);
            self.outputs.push_back(Output::LeftEmpty {
                call: id,
                queue: queue_id,
            });
            return;
        }
        q.insert_call(level, (key, id, cslot), filtered);
    }

    /// Takes a waiting call out of its queue's waiting set or its preferred
    /// agent's hold.
    fn remove_waiting(&mut self, id: CallId) {
        if let Some(cslot) = self.calls.slot(&id) {
            self.remove_waiting_at(cslot);
        }
    }

    /// [`Router::remove_waiting`] by slot.
    fn remove_waiting_at(&mut self, cslot: Slot) {
        let (Some(id), Some(call)) = (self.calls.id_at(cslot), self.calls.at(cslot)) else {
            return;
        };
        match call.state {
            CallState::Waiting => {
                if let Some(q) = self.queues.at_mut(call.qslot) {
                    q.remove_call(call.level, (call.key, id, cslot), !call.skills.is_empty());
                }
            }
            CallState::Preferred(agent) => {
                if let Some(a) = self.agents.get_mut(&agent) {
                    a.preferred.remove(&(call.key, id));
                }
            }
            CallState::Offered(_) | CallState::Connected { .. } => {}
        }
    }

    /// A call whose offers all ended goes back to waiting with its key, and
    /// is offered again if it can be.
    fn return_to_queue(&mut self, id: CallId, now: Timestamp) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if !matches!(&call.state, CallState::Offered(list) if list.is_empty())
            && !matches!(call.state, CallState::Preferred(_))
        {
            return;
        }
        self.remove_waiting(id);
        self.insert_waiting(id, now);
        // A maximum wait that passed while ringing applies now.
        if let Some(call) = self.calls.get(&id)
            && let Some(q) = self.queues.get(&call.queue)
            && let Some(max_wait) = q.config.max_wait
            && !call.callback
            && now >= call.entered + max_wait
        {
            self.expire_wait(id, now);
            return;
        }
        self.dispatch_call(id, now);
    }

    /// The call has a caller who hung up. Ringing offers are cancelled.
    pub fn abandon(&mut self, id: CallId, now: Timestamp) -> Result<Duration, CallError> {
        let call = self.calls.get(&id).ok_or(CallError::Unknown { call: id })?;
        if matches!(call.state, CallState::Connected { .. }) {
            return Err(CallError::Connected { call: id });
        }
        let waited = now.saturating_duration_since(call.arrived);
        self.remove_waiting(id);
        let Some(call) = self.calls.remove(&id) else {
            return Ok(waited);
        };
        if let CallState::Offered(list) = call.state {
            for reservation in list.into_iter() {
                self.release_reservation(reservation, CancelReason::CallerAbandoned, now);
            }
        }
        self.prune_timers();
        Ok(waited)
    }

    /// Cancels a reservation whose call is gone or answered elsewhere, and
    /// frees the agent.
    fn release_reservation(&mut self, id: ReservationId, reason: CancelReason, now: Timestamp) {
        let Some(r) = self.reservations.remove(&id) else {
            return;
        };
        self.outputs.push_back(Output::OfferCancelled {
            reservation: id,
            call: r.call,
            agent: r.agent,
            reason,
        });
        self.free_agent_capacity(r.agent, id, r.channel, now);
        self.dispatch_agent(r.agent, now);
    }

    fn free_agent_capacity(
        &mut self,
        agent: AgentId,
        reservation: ReservationId,
        channel: Channel,
        now: Timestamp,
    ) {
        if let Some(a) = self.agents.get_mut(&agent) {
            a.offers.retain(|x| *x != reservation.0);
            if let Some(c) = a.channel_mut(channel) {
                c.in_use = c.in_use.saturating_sub(1);
            }
        }
        self.refresh_agent(agent, now, false);
    }

    /// The caller asked to be called back: the call keeps its place, no
    /// longer times out, and its offer will say `callback`.
    pub fn request_callback(&mut self, id: CallId) -> Result<(), CallError> {
        let call = self
            .calls
            .get_mut(&id)
            .ok_or(CallError::Unknown { call: id })?;
        if matches!(call.state, CallState::Connected { .. }) {
            return Err(CallError::Connected { call: id });
        }
        call.callback = true;
        Ok(())
    }

    /// An agent accepted an offer: the call is connected to it, and every
    /// other offer of the call is cancelled.
    pub fn accept(
        &mut self,
        reservation: ReservationId,
        now: Timestamp,
    ) -> Result<Answered, ReservationError> {
        let r = self
            .reservations
            .remove(&reservation)
            .ok_or(ReservationError::Unknown { reservation })?;
        let aslot = self.agents.slot(&r.agent);
        let (Some(call), Some(aslot)) = (self.calls.get_mut(&r.call), aslot) else {
            // Unreachable by construction: reservations die with their call
            // or their agent.
            self.free_agent_capacity(r.agent, reservation, r.channel, now);
            return Err(ReservationError::Unknown { reservation });
        };
        let others = match std::mem::replace(
            &mut call.state,
            CallState::Connected {
                agent: r.agent,
                aslot,
                since: now,
            },
        ) {
            CallState::Offered(list) => list,
            _ => Ringing::default(),
        };
        let answered = Answered {
            call: r.call,
            agent: r.agent,
            queue: r.queue,
            waited: now.saturating_duration_since(call.arrived),
        };
        self.calls.set_hint(&r.call, aslot);
        if let Some(a) = self.agents.get_mut(&r.agent) {
            a.offers.retain(|x| *x != reservation.0);
            a.connected.push(r.call.0);
            a.calls += 1;
            a.ring_no_answers = 0;
            if let Some(m) = a.memberships.iter_mut().find(|m| m.qslot == r.qslot) {
                m.calls = m.calls.saturating_add(1);
            }
        }
        for other in others.into_iter() {
            if other != reservation {
                self.release_reservation(other, CancelReason::AnsweredElsewhere, now);
            }
        }
        self.dispatch_agent(r.agent, now);
        self.refresh_agent(r.agent, now, true);
        self.prune_timers();
        Ok(answered)
    }

    /// An agent declined an offer. The call goes back to its place in the
    /// queue (if no other offer rings) and is offered elsewhere first.
    pub fn reject(
        &mut self,
        reservation: ReservationId,
        now: Timestamp,
    ) -> Result<(), ReservationError> {
        if !self.reservations.contains_key(&reservation) {
            return Err(ReservationError::Unknown { reservation });
        }
        self.end_offer(reservation, false, now);
        self.prune_timers();
        Ok(())
    }

    /// Ends an offer by rejection or timeout.
    fn end_offer(&mut self, reservation: ReservationId, timed_out: bool, now: Timestamp) {
        let Some(r) = self.reservations.remove(&reservation) else {
            return;
        };
        if timed_out {
            self.outputs.push_back(Output::OfferTimedOut {
                reservation,
                call: r.call,
                agent: r.agent,
            });
            let limit = self.config.max_ring_no_answer;
            let mut pause = false;
            if let Some(a) = self.agents.get_mut(&r.agent) {
                a.ring_no_answers += 1;
                pause = a.ready && limit.is_some_and(|n| a.ring_no_answers >= n);
            }
            if pause {
                self.set_ready_flag(r.agent, false, now);
                self.outputs.push_back(Output::AgentNotReady {
                    agent: r.agent,
                    reason: NotReadyReason::RingNoAnswer,
                });
            }
        }
        let mut back = false;
        if let Some(call) = self.calls.get_mut(&r.call)
            && let CallState::Offered(list) = &mut call.state
        {
            list.remove(reservation);
            back = list.is_empty();
        }
        // Offer the call elsewhere while this agent still holds the capacity,
        // so a declined call does not bounce straight back to the same agent.
        if back {
            self.return_to_queue(r.call, now);
        }
        self.free_agent_capacity(r.agent, reservation, r.channel, now);
        self.dispatch_agent(r.agent, now);
    }

    /// The agent finished a connected call. Wrap-up starts (the agent's own
    /// or the queue's), in every queue the agent serves.
    pub fn complete(&mut self, id: CallId, now: Timestamp) -> Result<(), CallError> {
        let (cslot, hint) = self
            .calls
            .slot_and_hint(&id)
            .ok_or(CallError::Unknown { call: id })?;
        let call = self
            .calls
            .at(cslot)
            .ok_or(CallError::Unknown { call: id })?;
        let CallState::Connected {
            agent,
            aslot: connected,
            since,
        } = call.state
        else {
            return Err(CallError::NotConnected { call: id });
        };
        // The index keeps a connected call's agent slot beside the call's
        // slot: the agent's record is addressed without waiting for the
        // call's record, so the processor fetches both at once.
        debug_assert_eq!(hint, connected);
        let aslot = hint;
        let qslot = call.qslot;
        self.calls.discard(&id);
        let handle = now.saturating_duration_since(since);
        let (channel, queue_wrap) = match self.queues.at_mut(qslot) {
            Some(q) => {
                // Moving average over about 100 calls.
                q.aht_s += (handle.as_secs_f64() - q.aht_s) / 100.0;
                (q.config.channel, q.config.wrap_up)
            }
            None => (Channel::VOICE, Duration::ZERO),
        };
        let Some(a) = self.agents.at_mut(aslot) else {
            return Ok(());
        };
        a.connected.retain(|c| *c != id.0);
        if let Some(c) = a.channel_mut(channel) {
            c.in_use = c.in_use.saturating_sub(1);
        }
        a.talk_time += handle;
        a.last_call_end = Some(now);
        let wrap = a.wrap_up.unwrap_or(queue_wrap);
        if wrap.is_zero() {
            if a.wrap_up_until.is_none() {
                a.idle_since = now;
            }
        } else {
            let until = now + wrap;
            a.set_wrap_up_until(Some(a.wrap_up_until.map_or(until, |t| t.max(until))));
            self.schedule(until, Timer::WrapUp(agent));
        }
        // Offer a waiting call first: an agent that takes one at once never
        // enters (and leaves) the available sets.
        self.dispatch_agent_at(aslot, now);
        self.refresh_agent_at(aslot, true);
        self.prune_timers();
        Ok(())
    }

    /// Where a call stands.
    pub fn call_status(&self, id: CallId) -> Option<CallStatus> {
        let call = self.calls.get(&id)?;
        Some(match &call.state {
            CallState::Waiting | CallState::Preferred(_) => {
                CallStatus::Waiting { queue: call.queue }
            }
            CallState::Offered(list) => CallStatus::Offered {
                queue: call.queue,
                agents: list.len(),
            },
            CallState::Connected { agent, .. } => CallStatus::Connected { agent: *agent },
        })
    }

    /// Number of calls in the router (waiting, ringing, connected).
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Number of pending reservations.
    pub fn reservation_count(&self) -> usize {
        self.reservations.len()
    }

    /// The 1-based position of a waiting call in its queue. Costs one step
    /// per call ahead; meant for announcements, not per-decision use.
    pub fn position(&self, id: CallId) -> Option<usize> {
        let call = self.calls.get(&id)?;
        let q = self.queues.get(&call.queue)?;
        let ahead: usize = q
            .calls
            .iter()
            .map(|set| {
                set.range((Bound::Unbounded, Bound::Excluded((call.key, CallId(0), 0))))
                    .count()
            })
            .sum();
        Some(ahead + 1)
    }

    /// Expected wait of a waiting call: its position times the queue's
    /// average handle time, shared among its ready members.
    pub fn expected_wait(&self, id: CallId) -> Option<Duration> {
        let position = self.position(id)?;
        let call = self.calls.get(&id)?;
        let q = self.queues.get(&call.queue)?;
        #[allow(clippy::cast_precision_loss)]
        let seconds = position as f64 * q.aht_s / f64::from(q.ready_members.max(1));
        Some(Duration::from_secs_f64(seconds.clamp(0.0, 1e9)))
    }

    fn announce(&mut self, id: CallId) {
        if let (Some(position), Some(expected_wait), Some(call)) = (
            self.position(id),
            self.expected_wait(id),
            self.calls.get(&id),
        ) {
            self.outputs.push_back(Output::Position {
                call: id,
                queue: call.queue,
                position,
                expected_wait,
            });
        }
    }

    // ----- decisions ----------------------------------------------------

    /// Drops the stale entries at the head of the sets a search for the
    /// call's agent reads.
    fn trim_agents_for(&mut self, cslot: Slot) {
        if let Some(call) = self.calls.at(cslot)
            && let Some(q) = self.queues.at_mut(call.qslot)
        {
            q.trim_agents(call.level);
        }
    }

    /// The best available agent of `queue` for `call`, skipping `exclude`
    /// (and stale entries).
    fn find_agent(&self, call: &Call, exclude: &[AgentId]) -> Option<AgentEntry> {
        let q = self.queues.at(call.qslot)?;
        let resume = q.strategy.resume_after();
        let ok = |e: &AgentEntry| {
            let (_, a, _, slot, _, _) = e;
            !exclude.contains(a)
                && agent_entry_live(&q.member_table, e)
                && (call.skills.is_empty()
                    || self
                        .agents
                        .at(*slot)
                        .is_some_and(|agent| agent.meets(&call.skills)))
        };
        if q.strategy.prefer_higher_level() {
            let levels = q.agents.get(call.level.index()..).unwrap_or(&[]);
            return levels
                .iter()
                .rev()
                .find_map(|set| first_agent(set, resume, ok))
                .map(|(_, e)| e);
        }
        if call.level == Level::MIN {
            return first_agent(&q.all_agents, resume, ok).map(|(_, e)| e);
        }
        let levels = q.agents.get(call.level.index()..).unwrap_or(&[]);
        levels
            .iter()
            .filter_map(|set| first_agent(set, resume, ok))
            .min()
            .map(|(_, e)| e)
    }

    /// The best waiting call of `queue` for an agent at `level` with `agent`'s skills.
    fn head_call(&self, q: &Queue, level: Level, agent: &Agent) -> Option<CallEntry> {
        // Only the non-empty levels the agent qualifies for.
        let mut levels = q.call_levels & ((2_u32 << level.index()) - 1) as u16;
        let mut best: Option<CallEntry> = None;
        while levels != 0 {
            let l = levels.trailing_zeros() as usize;
            levels &= levels - 1;
            let Some(set) = q.calls.get(l) else {
                continue;
            };
            let head = if q.filtered_calls == 0 {
                set.first()
            } else {
                set.iter().find(|(_, _, c)| {
                    self.calls
                        .at(*c)
                        .is_some_and(|call| call.skills.is_empty() || agent.meets(&call.skills))
                })
            };
            if let Some(head) = head
                && best.is_none_or(|b| head < b)
            {
                best = Some(head);
            }
        }
        best
    }

    /// Offers calls to an agent while it has capacity and calls wait for it.
    fn dispatch_agent(&mut self, id: AgentId, now: Timestamp) {
        if let Some(aslot) = self.agents.slot(&id) {
            self.dispatch_agent_at(aslot, now);
        }
    }

    /// [`Router::dispatch_agent`] by slot.
    fn dispatch_agent_at(&mut self, aslot: Slot, now: Timestamp) {
        while let Some(cslot) = self.find_call(aslot, now) {
            if !self.offer(cslot, aslot, true, now) {
                break;
            }
        }
    }

    /// The call an available agent should take next, by the cross-queue
    /// policy; calls held for it as preferred agent come first.
    fn find_call(&self, aslot: Slot, now: Timestamp) -> Option<Slot> {
        let agent = self.agents.at(aslot)?;
        if !agent.can_take_any() {
            return None;
        }
        for (_, call) in &agent.preferred {
            if let Some(cslot) = self.calls.slot(call)
                && let Some(c) = self.calls.at(cslot)
                && agent
                    .memberships
                    .iter()
                    .any(|m| m.qslot == c.qslot && agent.can_take(m.channel))
            {
                return Some(cslot);
            }
        }
        let policy = self.config.cross_queue;
        let now_key = key_micros(now);
        let bound = policy.starvation_bound.map(duration_key);
        // (not starving, score, queue key without its tie-breaking arrival
        // time, slot): the smallest wins; `seq` is unique, so the slot
        // never decides.
        let mut best: Option<(bool, i128, i64, i64, u64, Slot)> = None;
        for m in agent.memberships.iter() {
            if !agent.can_take(m.channel) {
                continue;
            }
            let Some(q) = self.queues.at(m.qslot) else {
                continue;
            };
            if q.waiting == 0 {
                continue;
            }
            let Some(head) = self.head_call(q, m.level, agent) else {
                continue;
            };
            // The key carries the arrival time, so the head call's record
            // (cold: it was written when the call arrived) is not touched.
            let key = head.0;
            let arrived = key.arrived;
            let starving = bound.is_some_and(|b| now_key.saturating_sub(arrived) >= b);
            let score: i128 = if starving {
                i128::from(arrived)
            } else {
                match policy.order {
                    CrossQueueOrder::LongestWait => 0,
                    CrossQueueOrder::QueuePriority => -i128::from(q.config.priority),
                    CrossQueueOrder::Weighted => {
                        -(i128::from(now_key.saturating_sub(key.time))
                            * i128::from(q.config.weight))
                    }
                }
            };
            let candidate = (!starving, score, key.class, key.time, key.seq, head.2);
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
        best.map(|(_, _, _, _, _, cslot)| cslot)
    }

    /// Offers a waiting call to the best agents its queue's strategy names.
    fn dispatch_call(&mut self, id: CallId, now: Timestamp) {
        let Some(cslot) = self.calls.slot(&id) else {
            return;
        };
        let Some(call) = self.calls.at(cslot) else {
            return;
        };
        if !matches!(call.state, CallState::Waiting) {
            return;
        }
        let Some(q) = self.queues.at(call.qslot) else {
            return;
        };
        let fan_out = match q.strategy.offer_mode() {
            OfferMode::All => MAX_RING_ALL,
            _ => 1,
        };
        let mut rung: Vec<AgentId> = Vec::new();
        while rung.len() < fan_out {
            self.trim_agents_for(cslot);
            let Some(call) = self.calls.at(cslot) else {
                return;
            };
            let Some((_, agent, _, aslot, _, _)) = self.find_agent(call, &rung) else {
                break;
            };
            if !self.offer(cslot, aslot, true, now) {
                break;
            }
            if fan_out == 1 {
                break;
            }
            rung.push(agent);
        }
    }

    /// Reserves an agent for a call (both by slot) and emits the offer.
    /// `listed` is false for a call that has not been put in a waiting set
    /// yet. Returns false if the pair is not valid (which the callers'
    /// selection rules out).
    fn offer(&mut self, cslot: Slot, aslot: Slot, listed: bool, now: Timestamp) -> bool {
        let (Some(id), Some(call)) = (self.calls.id_at(cslot), self.calls.at(cslot)) else {
            return false;
        };
        let (queue_id, qslot) = (call.queue, call.qslot);
        let Some(q) = self.queues.at(qslot) else {
            return false;
        };
        let (channel, expires, mode) = (
            q.config.channel,
            now + q.config.ring_timeout,
            q.strategy.offer_mode(),
        );
        let Some(agent) = self.agents.at(aslot) else {
            return false;
        };
        let agent_id = agent.id;
        let Some(membership) = agent.memberships.iter().find(|m| m.qslot == qslot) else {
            return false;
        };
        let (level, queue_calls, member, available) = (
            membership.level,
            u64::from(membership.calls),
            membership.member,
            membership.listed,
        );
        if !agent.can_take(channel) {
            return false;
        }
        let first_offer = !matches!(call.state, CallState::Offered(_));
        let callback = call.callback;
        if listed {
            self.remove_waiting_at(cslot);
        }
        let reservation = ReservationId(self.next_reservation);
        self.next_reservation += 1;
        if let Some(call) = self.calls.at_mut(cslot) {
            match &mut call.state {
                CallState::Offered(list) => list.push(reservation),
                state => *state = CallState::Offered(Ringing::one(reservation)),
            }
        }
        if let Some(a) = self.agents.at_mut(aslot) {
            a.offers.push(reservation.0);
            if let Some(c) = a.channel_mut(channel) {
                c.in_use += 1;
            }
        }
        self.reservations.insert(
            reservation,
            Reservation {
                call: id,
                agent: agent_id,
                queue: queue_id,
                qslot,
                channel,
                expires,
            },
        );
        if let (Some(q), Some(agent)) = (self.queues.at_mut(qslot), self.agents.at(aslot)) {
            // An agent taking a waiting call when it frees up was never put
            // back in the queue's set, so its key is computed here.
            let known_key = q
                .member_table
                .get(member as usize)
                .filter(|_| available)
                .map(|m| m.key);
            let key = known_key.unwrap_or_else(|| {
                strategy_key(
                    q.strategy.as_mut(),
                    agent_id,
                    agent,
                    level,
                    queue_calls,
                    &mut self.rng,
                )
            });
            q.strategy.offered(agent_id, key);
        }
        self.refresh_agent_at(aslot, false);
        self.schedule(expires, Timer::Reservation(reservation));
        if first_offer && let OfferMode::Progressive { step } = mode {
            let round = self.next_visit;
            self.next_visit = round.wrapping_add(1);
            if let Some(call) = self.calls.at_mut(cslot) {
                call.round = round;
            }
            self.schedule(now + step, Timer::Progressive(id, round));
        }
        self.outputs.push_back(Output::Offer(Offer {
            reservation,
            call: id,
            agent: agent_id,
            queue: queue_id,
            expires,
            callback,
        }));
        true
    }

    // ----- timers -------------------------------------------------------

    /// Processes every deadline at or before `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        while let Some(Reverse((at, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.fire(at, timer, now);
        }
        self.prune_timers();
    }

    fn call_visit(&self, id: CallId, visit: u32) -> Option<&Call> {
        self.calls.get(&id).filter(|c| c.visit == visit)
    }

    fn call_round(&self, id: CallId, round: u32) -> Option<&Call> {
        self.calls.get(&id).filter(|c| c.round == round)
    }

    /// Fires `timer`, due `at`.
    fn fire(&mut self, at: Timestamp, timer: Timer, now: Timestamp) {
        match timer {
            Timer::Reservation(r) => {
                if self.reservations.get(&r).is_some_and(|r| r.expires <= now) {
                    self.end_offer(r, true, now);
                }
            }
            Timer::MaxWait(id, visit) => {
                let Some(call) = self.call_visit(id, visit) else {
                    return;
                };
                match &call.state {
                    CallState::Waiting | CallState::Preferred(_) if !call.callback => {
                        self.expire_wait(id, now);
                    }
                    // Ringing: handled when the offers end (return_to_queue).
                    _ => {}
                }
            }
            Timer::Preferred(id, visit) => {
                if let Some(call) = self.call_visit(id, visit)
                    && matches!(call.state, CallState::Preferred(_))
                {
                    self.return_to_queue(id, now);
                }
            }
            Timer::Bullseye(id, visit) => self.open_ring(id, visit, now),
            Timer::Announce(id, visit) => {
                if let Some(call) = self.call_visit(id, visit)
                    && matches!(call.state, CallState::Waiting | CallState::Preferred(_))
                    && let Some(every) = self
                        .queues
                        .get(&call.queue)
                        .and_then(|q| q.config.announce_every)
                {
                    self.announce(id);
                    self.rearm(now, every, Timer::Announce(id, visit));
                }
            }
            Timer::Progressive(id, round) => {
                let Some(call) = self.call_round(id, round) else {
                    return;
                };
                let CallState::Offered(list) = &call.state else {
                    return;
                };
                if list.len() >= MAX_RING_ALL {
                    return;
                }
                let rung: Vec<AgentId> = list
                    .iter()
                    .filter_map(|r| self.reservations.get(r).map(|r| r.agent))
                    .collect();
                let step = match self
                    .queues
                    .get(&call.queue)
                    .map(|q| q.strategy.offer_mode())
                {
                    Some(OfferMode::Progressive { step }) => step,
                    _ => return,
                };
                let Some(cslot) = self.calls.slot(&id) else {
                    return;
                };
                self.trim_agents_for(cslot);
                if let Some(call) = self.calls.at(cslot)
                    && let Some((_, _, _, aslot, _, _)) = self.find_agent(call, &rung)
                {
                    self.offer(cslot, aslot, true, now);
                }
                // A strategy that reports a zero step after the queue was
                // added rings no further.
                self.rearm(now, step, Timer::Progressive(id, round));
            }
            Timer::WrapUp(id) => {
                if let Some(a) = self.agents.get_mut(&id)
                    && a.wrap_up_until.is_some_and(|t| t <= now)
                {
                    a.set_wrap_up_until(None);
                    a.idle_since = now;
                    self.dispatch_agent(id, now);
                    self.refresh_agent(id, now, true);
                }
            }
            Timer::Expiry(id) => {
                let (Some(ttl), Some(a)) = (self.config.agent_ttl, self.agents.get_mut(&id)) else {
                    return;
                };
                if a.expiry_due != at {
                    // The timer of an earlier login with the same id.
                    return;
                }
                let deadline = a.last_seen + ttl;
                if deadline <= now {
                    self.drop_agent(id, now);
                    self.outputs.push_back(Output::AgentExpired { agent: id });
                } else {
                    a.expiry_due = deadline;
                    self.schedule(deadline, Timer::Expiry(id));
                }
            }
        }
    }

    /// Opens the next bullseye ring of a call: lower its minimum level.
    fn open_ring(&mut self, id: CallId, visit: u32, now: Timestamp) {
        let Some(call) = self.call_visit(id, visit) else {
            return;
        };
        let Some(q) = self.queues.get(&call.queue) else {
            return;
        };
        let Some(ring) = q.config.bullseye.get(call.ring as usize).copied() else {
            return;
        };
        let next = q
            .config
            .bullseye
            .get(call.ring as usize + 1)
            .map(|r| call.entered + r.after);
        let waiting = matches!(call.state, CallState::Waiting);
        if waiting {
            self.remove_waiting(id);
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.ring += 1;
            call.level = call.level.min(ring.min_level);
            if ring.drop_extra_skills {
                call.skills.clear();
            }
        }
        if waiting {
            self.insert_waiting(id, now);
            self.dispatch_call(id, now);
        }
        if let Some(at) = next {
            self.schedule(at, Timer::Bullseye(id, visit));
        }
    }

    /// A call waited its queue's maximum: overflow it or time it out.
    fn expire_wait(&mut self, id: CallId, now: Timestamp) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let from = call.queue;
        let (seq, priority, arrived) = (call.key.seq, call.priority, call.arrived);
        let target = self.queues.get(&from).and_then(|q| q.config.overflow);
        self.remove_waiting(id);
        match target {
            Some(OverflowTarget::Queue(to)) if self.check_admission(to, now).is_ok() => {
                let ordering = self.queues.get(&to).map(|q| q.config.ordering);
                let to_slot = self.queues.slot(&to);
                let visit = self.next_visit;
                self.next_visit = visit.wrapping_add(1);
                if let Some(call) = self.calls.get_mut(&id)
                    && let Some(to_slot) = to_slot
                {
                    call.queue = to;
                    call.qslot = to_slot;
                    call.visit = visit;
                    call.entered = now;
                    call.ring = 0;
                    call.state = CallState::Waiting;
                    if let Some(ordering) = ordering {
                        // The original arrival time keeps the caller's seniority.
                        call.key = call_key(ordering, priority, arrived, seq);
                    }
                }
                self.outputs.push_back(Output::Overflow {
                    call: id,
                    from,
                    to: OverflowTarget::Queue(to),
                });
                if let Some(cslot) = self.calls.slot(&id) {
                    self.start_visit(cslot, now);
                }
            }
            Some(OverflowTarget::External(x)) => {
                self.calls.remove(&id);
                self.outputs.push_back(Output::Overflow {
                    call: id,
                    from,
                    to: OverflowTarget::External(x),
                });
            }
            _ => {
                self.calls.remove(&id);
                self.outputs.push_back(Output::TimedOut {
                    call: id,
                    queue: from,
                });
            }
        }
    }

    /// Removes the waiting calls of a queue that became empty under its
    /// leave policy.
    fn check_empty(&mut self, queue: QueueId, now: Timestamp) {
        let _ = now;
        let Some(q) = self.queues.get_mut(&queue) else {
            return;
        };
        if q.waiting == 0 || !q.is_empty_under(q.config.leave_empty) {
            return;
        }
        let mut leaving: Vec<CallEntry> = Vec::with_capacity(q.waiting);
        for set in &mut q.calls {
            leaving.extend(set.take_all());
        }
        q.waiting = 0;
        q.call_levels = 0;
        q.filtered_calls = 0;
        leaving.sort_unstable();
        for (_, call, _) in leaving {
            self.calls.remove(&call);
            self.outputs.push_back(Output::LeftEmpty { call, queue });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Builtin;

    impl Router {
        /// Checks the router's internal bookkeeping and that it is work
        /// conserving: no waiting call an available agent could take.
        fn check_invariants(&self) -> Result<(), String> {
            for (qid, q) in self.queues.iter() {
                let live: Vec<AgentEntry> = q
                    .all_agents
                    .iter()
                    .filter(|e| agent_entry_live(&q.member_table, e))
                    .collect();
                if live.len() != q.available {
                    return Err(format!(
                        "{qid:?}: {} live, available {}",
                        live.len(),
                        q.available
                    ));
                }
                let stale = q.all_agents.iter().count() - live.len();
                if stale != q.stale {
                    return Err(format!("{qid:?}: {stale} stale, counted {}", q.stale));
                }
                let stored = q.all_agents.stored();
                if stored > 5 * q.available + 2 * STALE_SLACK {
                    return Err(format!("{qid:?}: {stored} stored, {} live", q.available));
                }
                let waiting: usize = q.calls.iter().map(RunSet::len).sum();
                if waiting != q.waiting {
                    return Err(format!("{qid:?}: {waiting} in sets, waiting {}", q.waiting));
                }
            }
            for (aid, a) in self.agents.iter() {
                let aslot = self.agents.slot(aid).unwrap_or(u32::MAX);
                let in_use: usize = a.channels.iter().map(|c| usize::from(c.in_use)).sum();
                if in_use != a.offers.len() + a.connected.len()
                    || a.channels.iter().any(|c| c.in_use > c.capacity)
                {
                    return Err(format!("{aid:?}: capacity books wrong"));
                }
                if a.id != *aid || a.wrapping_up != a.wrap_up_until.is_some() {
                    return Err(format!("{aid:?}: record's id or wrap-up flag wrong"));
                }
                for m in a.memberships.iter() {
                    let q = self.queues.at(m.qslot).ok_or("membership of no queue")?;
                    let queue = self.queues.id_at(m.qslot);
                    let table_gen = q.member_table.get(m.member as usize).map(|x| x.generation);
                    if a.can_take(m.channel) != m.listed
                        || table_gen.is_none_or(|g| (g != 0) != m.listed)
                    {
                        return Err(format!(
                            "{aid:?} in {queue:?}: can take {}, listed {}, table {table_gen:?}",
                            a.can_take(m.channel),
                            m.listed
                        ));
                    }
                    if let Some(generation) = table_gen.filter(|_| m.listed) {
                        let key = q
                            .member_table
                            .get(m.member as usize)
                            .map(|x| x.key)
                            .unwrap_or_default();
                        let entry = (key, *aid, generation, aslot, m.member, m.level);
                        if !q.all_agents.contains(&entry) {
                            return Err(format!("{aid:?} listed in {queue:?} without entry"));
                        }
                        if q.level_index && !q.agents[m.level.index()].contains(&entry) {
                            return Err(format!("{aid:?} listed in {queue:?} without level entry"));
                        }
                    }
                }
            }
            for (cid, c) in self.calls.iter() {
                let (cslot, hint) = self.calls.slot_and_hint(cid).ok_or("no slot")?;
                let q = self.queues.at(c.qslot).ok_or("call of no queue")?;
                match &c.state {
                    CallState::Waiting => {
                        if !q.calls[c.level.index()].contains(&(c.key, *cid, cslot)) {
                            return Err(format!("{cid:?} waiting outside its set"));
                        }
                        for (aid, a) in self.agents.iter() {
                            let fits = a.memberships.iter().any(|m| {
                                m.qslot == c.qslot && m.level >= c.level && a.can_take(m.channel)
                            }) && a.meets(&c.skills);
                            if fits {
                                return Err(format!(
                                    "{cid:?} waits in {:?} while {aid:?} is free",
                                    c.queue
                                ));
                            }
                        }
                    }
                    CallState::Preferred(agent) => {
                        if self.agents.get(agent).is_some_and(|a| {
                            a.memberships
                                .iter()
                                .any(|m| m.qslot == c.qslot && a.can_take(m.channel))
                        }) {
                            return Err(format!("{cid:?} held for {agent:?}, who is free"));
                        }
                        if !self
                            .agents
                            .get(agent)
                            .is_some_and(|a| a.preferred.contains(&(c.key, *cid)))
                        {
                            return Err(format!("{cid:?} held for {agent:?} who does not hold it"));
                        }
                    }
                    CallState::Offered(list) => {
                        for r in list.iter() {
                            if self.reservations.get(r).is_none_or(|r| r.call != *cid) {
                                return Err(format!("{cid:?} rings a dead reservation {r:?}"));
                            }
                        }
                    }
                    CallState::Connected { agent, aslot, .. } => {
                        if hint != *aslot
                            || self.agents.id_at(*aslot) != Some(*agent)
                            || !self
                                .agents
                                .at(*aslot)
                                .is_some_and(|a| a.connected.contains(&cid.0))
                        {
                            return Err(format!("{cid:?} connected to {agent:?} at a wrong slot"));
                        }
                    }
                }
            }
            for (rid, r) in &self.reservations {
                let a = self.agents.get(&r.agent).ok_or("reservation of no agent")?;
                if !a.offers.contains(&rid.0) || !self.calls.contains_key(&r.call) {
                    return Err(format!("{rid:?} dangling"));
                }
            }
            Ok(())
        }
    }

    /// The layout the agent and queue records' comments promise.
    #[test]
    fn an_offer_reads_two_cache_lines_of_the_agent() {
        use std::mem::{align_of, offset_of, size_of};
        assert_eq!(size_of::<Membership>(), 16);
        assert_eq!(align_of::<Agent>(), 128);
        assert_eq!(size_of::<Agent>(), 384);
        // Line 0: the memberships; line 1: channels, id, flags, offers.
        assert_eq!(offset_of!(Agent, memberships), 0);
        assert!(size_of::<SmallVec<Membership, MEMBERSHIPS_INLINE>>() <= 64);
        assert_eq!(offset_of!(Agent, channels), 64);
        assert!(offset_of!(Agent, ready) < 128 && offset_of!(Agent, wrapping_up) < 128);
        assert!(offset_of!(Agent, id) < 128);
        assert!(offset_of!(Agent, _occupied) < 128);
        assert!(offset_of!(Agent, offers) + size_of::<SmallVec<u64, OFFERS_INLINE>>() <= 128);
        // The slot's `Option` takes its discriminant from a niche.
        assert_eq!(size_of::<Option<Agent>>(), size_of::<Agent>());
        // What an unlisting touches is in the queue's first line.
        for end in [
            offset_of!(Queue, member_table) + size_of::<Vec<Member>>(),
            offset_of!(Queue, available) + 8,
            offset_of!(Queue, stale) + 8,
            offset_of!(Queue, sweeping) + 1,
            offset_of!(Queue, _occupied) + 8,
        ] {
            assert!(end <= 64);
        }
    }

    /// An agent that logs out and back in with the same id before its
    /// expiry timer fires keeps one expiry timer, not one per login (each
    /// would re-arm itself for ever).
    #[test]
    fn relogin_keeps_one_expiry_timer() {
        let mut router = Router::new(RouterConfig {
            agent_ttl: Some(Duration::from_secs(60)),
            ..RouterConfig::default()
        });
        let agent = AgentId(7);
        let mut now = Timestamp::from_secs(0);
        router.add_agent(agent, AgentConfig::new(), now).unwrap();
        for _ in 0..50 {
            now = now + Duration::from_secs(10);
            router.remove_agent(agent, now).unwrap();
            router.add_agent(agent, AgentConfig::new(), now).unwrap();
            router.heartbeat(agent, now).unwrap();
            router.handle_timeout(now);
        }
        let expiry = router
            .timers
            .iter()
            .filter(|Reverse((_, t))| matches!(t, Timer::Expiry(a) if *a == agent))
            .count();
        assert_eq!(expiry, 1, "{expiry} expiry timers for one agent");
        // And it still expires once, on time.
        now = now + Duration::from_secs(60);
        router.handle_timeout(now);
        let expired: Vec<Output> = std::iter::from_fn(|| router.poll_output()).collect();
        assert_eq!(expired, vec![Output::AgentExpired { agent }]);
    }

    /// A long random sequence of every input over small id spaces (ids are
    /// reused after removal, so slots, member indexes and generations are
    /// recycled), with the bookkeeping and work conservation checked after
    /// every step.
    #[test]
    fn random_sequences_keep_the_books_and_serve_every_free_agent() {
        let mut state = 0x1234_5678_u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let strategies = Builtin::all();
        let mut swept = false;
        for round in 0..30_u64 {
            let mut router = Router::new(RouterConfig {
                agent_ttl: if round % 3 == 0 {
                    Some(Duration::from_secs(40))
                } else {
                    None
                },
                ..RouterConfig::default()
            });
            let t0 = Timestamp::from_secs(1);
            for q in 0..3_u32 {
                let mut config = QueueConfig::new(SkillId(q));
                match (round + u64::from(q)) % 4 {
                    0 => {
                        config.max_wait = Some(Duration::from_secs(30));
                        config.overflow = Some(OverflowTarget::Queue(QueueId((q + 1) % 3)));
                        config.wrap_up = Duration::from_secs(3);
                    }
                    1 => {
                        config.bullseye = vec![
                            crate::queue::BullseyeRing::new(
                                Duration::from_secs(5),
                                Level::new(3).unwrap_or(Level::MIN),
                            ),
                            crate::queue::BullseyeRing::new(Duration::from_secs(10), Level::MIN),
                        ];
                        config.announce_every = Some(Duration::from_secs(7));
                    }
                    2 => {
                        config.ordering = QueueOrdering::StrictPriority;
                        config.channel = Channel::CHAT;
                    }
                    _ => {}
                }
                let strategy = strategies
                    [((round * 3 + u64::from(q)) % strategies.len() as u64) as usize]
                    .clone();
                router
                    .add_queue(QueueId(q), config, strategy.boxed(), t0)
                    .unwrap();
            }
            let mut now = t0;
            let mut offers: Vec<ReservationId> = Vec::new();
            let mut connected: Vec<CallId> = Vec::new();
            // Every third round: 60 agents in all three queues and most
            // calls in queue 0, so the other queues' stale entries pile up
            // past the bound and the sweep runs.
            let big = round % 3 == 2;
            let agents: u64 = if big { 60 } else { 10 };
            if big {
                for a in 0..agents {
                    let mut config = AgentConfig::new()
                        .capacity(Channel::VOICE, 1)
                        .capacity(Channel::CHAT, 1);
                    for skill in 0..3 {
                        config = config.skill(SkillId(skill), Level::saturating(next(11) as u8));
                    }
                    router.add_agent(AgentId(a as u32), config, now).unwrap();
                    router.set_ready(AgentId(a as u32), true, now).unwrap();
                }
            }
            for step in 0..1500 {
                let mut op = next(12);
                // Odd rounds are agent-rich: fewer arrivals.
                if round % 2 == 1 && matches!(op, 3 | 4) && next(3) > 0 {
                    op = 8;
                }
                match op {
                    0 => {
                        let id = AgentId(next(agents) as u32);
                        let mut config = AgentConfig::new()
                            .capacity(Channel::VOICE, 1 + next(2) as u16)
                            .capacity(Channel::CHAT, 1 + next(2) as u16);
                        for s in 0..3 {
                            if next(3) > 0 {
                                config =
                                    config.skill(SkillId(s), Level::saturating(next(11) as u8));
                            }
                        }
                        if next(3) == 0 {
                            config = config.wrap_up(Duration::from_secs(next(4)));
                        }
                        let _ = router.add_agent(id, config, now);
                        if next(2) == 0 {
                            let _ = router.set_ready(id, true, now);
                        }
                    }
                    1 => {
                        let _ = router.remove_agent(AgentId(next(agents) as u32), now);
                    }
                    2 => {
                        let _ = router.set_ready(AgentId(next(agents) as u32), next(3) > 0, now);
                    }
                    3 | 4 => {
                        let mut request = CallRequest::new()
                            .priority(next(3) as i32)
                            .min_level(Level::saturating(next(5) as u8));
                        if next(4) == 0 {
                            request = request
                                .skill(SkillId(next(3) as u32), Level::saturating(next(6) as u8));
                        }
                        if next(5) == 0 {
                            request = request.preferred(crate::call::PreferredAgent::new(
                                AgentId(next(agents) as u32),
                                Duration::from_secs(next(10)),
                            ));
                        }
                        let _ = router.enqueue(
                            CallId(next(25)),
                            QueueId(if big && next(10) > 0 {
                                0
                            } else {
                                next(3) as u32
                            }),
                            request,
                            now,
                        );
                    }
                    5 => {
                        let _ = router.abandon(CallId(next(25)), now);
                    }
                    6 if !offers.is_empty() => {
                        let r = offers.swap_remove(next(offers.len() as u64) as usize);
                        if let Ok(answered) = router.accept(r, now) {
                            connected.push(answered.call);
                        }
                    }
                    7 if !offers.is_empty() => {
                        let r = offers.swap_remove(next(offers.len() as u64) as usize);
                        let _ = router.reject(r, now);
                    }
                    8 if !connected.is_empty() => {
                        let c = connected.swap_remove(next(connected.len() as u64) as usize);
                        let _ = router.complete(c, now);
                    }
                    9 => {
                        let _ = router.request_callback(CallId(next(25)));
                    }
                    10 => {
                        let _ = router.heartbeat(AgentId(next(agents) as u32), now);
                    }
                    _ => {
                        now = now + Duration::from_millis(next(8000));
                        router.handle_timeout(now);
                    }
                }
                while let Some(output) = router.poll_output() {
                    if let Output::Offer(offer) = output {
                        offers.push(offer.reservation);
                    }
                }
                if let Err(e) = router.check_invariants() {
                    panic!("round {round}, step {step}: {e}");
                }
                swept |= router.queues.iter().any(|(_, q)| q.sweeping);
            }
        }
        assert!(swept, "no sequence reached the sweep");
    }

    /// Agents serving two queues take calls from one only: their entries in
    /// the other go stale and are never met at its head, so only the sweep
    /// bounds them.
    #[test]
    fn stale_agent_entries_stay_bounded() {
        let mut router = Router::new(RouterConfig::default());
        let t0 = Timestamp::from_secs(1);
        for q in 0..2 {
            router
                .add_queue(
                    QueueId(q),
                    QueueConfig::new(SkillId(q)),
                    Builtin::LongestIdle.boxed(),
                    t0,
                )
                .unwrap();
        }
        for a in 0..20 {
            let config = AgentConfig::new().skill(SkillId(0), Level::MAX).skill(
                SkillId(1),
                Level::new(u8::try_from(a % 11).unwrap()).unwrap(),
            );
            router.add_agent(AgentId(a), config, t0).unwrap();
            router.set_ready(AgentId(a), true, t0).unwrap();
        }
        let mut now = t0;
        let mut most = 0;
        for i in 0..20_000 {
            now = now + Duration::from_millis(1);
            // A minimum level turns on queue 1's per-level sets too.
            let request = if i == 0 {
                CallRequest::new().min_level(Level::new(1).unwrap())
            } else {
                CallRequest::new()
            };
            let queue = if i == 0 { QueueId(1) } else { QueueId(0) };
            router.enqueue(CallId(i), queue, request, now).unwrap();
            while let Some(output) = router.poll_output() {
                if let Output::Offer(offer) = output {
                    router.accept(offer.reservation, now).unwrap();
                    router.complete(offer.call, now).unwrap();
                }
            }
            let q = router.queues.get(&QueueId(1)).unwrap();
            assert!(q.level_index);
            assert_eq!(q.available, 20);
            let stored = q.all_agents.stored();
            // Sweeping starts past 3 x live + slack and runs SWEEP_STEP entries
            // per staleness event, so stale entries stay within about
            // 3.3 x live + slack + a few.
            let bound = 5 * q.available + 2 * STALE_SLACK;
            assert!(stored <= bound, "{stored} stored");
            for set in &q.agents {
                assert!(set.stored() <= bound);
            }
            let stale = q
                .all_agents
                .iter()
                .filter(|e| !agent_entry_live(&q.member_table, e))
                .count();
            assert_eq!(q.stale, stale, "the stale count is exact");
            most = most.max(stored);
        }
        // Stale entries did pile up to the sweep threshold.
        assert!(most > 3 * 20 + STALE_SLACK, "{most}");
        assert_eq!(router.available_agents(QueueId(1)), Some(20));
    }
}
