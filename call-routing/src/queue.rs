//! Queue configuration: ordering, limits, overflow, empty policies,
//! bullseye rings, announcements.

use std::time::Duration;

use crate::calendar::Calendar;
use crate::id::{Channel, Level, QueueId, SkillId};

/// The most bullseye rings a queue may have.
pub const MAX_BULLSEYE_RINGS: usize = 8;

/// How waiting calls are ordered. Both orders are a static key computed once
/// at enqueue, so nothing is ever re-sorted while calls wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueOrdering {
    /// Aging: the key is the arrival time minus `boost` per priority unit,
    /// so a priority-2 call with a 30 s boost ranks like a call that arrived
    /// a minute earlier. Low priorities are never starved: every call's key
    /// is fixed, and new calls arrive with ever later keys.
    Aging {
        /// Head start per unit of priority.
        boost: Duration,
    },
    /// Strict priority: higher priority always first, then arrival order.
    /// Low priorities can starve under sustained high-priority load.
    StrictPriority,
}

/// When a queue counts as empty for its join and leave policies (Asterisk's
/// `joinempty` and `leavewhenempty`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmptyPolicy {
    /// Never: calls join and wait whatever the agents do.
    Never,
    /// When no agent with the queue's skill is logged in.
    NoAgents,
    /// When no logged-in member is ready.
    NoReadyAgents,
}

/// Where a call goes when it has waited the queue's maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverflowTarget {
    /// Another queue of this router; the call keeps its original arrival time.
    Queue(QueueId),
    /// Somewhere outside the router (voicemail, another site), named by a
    /// host-defined number. The call leaves the router.
    External(u32),
}

/// A bullseye ring: after waiting `after`, the call's requirements relax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BullseyeRing {
    /// Wait in this queue after which the ring opens.
    pub after: Duration,
    /// The minimum level the call now accepts in the queue's skill.
    pub min_level: Level,
    /// Drop the call's extra skill requirements too.
    pub drop_extra_skills: bool,
}

impl BullseyeRing {
    /// A ring that lowers the minimum level after a wait.
    pub fn new(after: Duration, min_level: Level) -> BullseyeRing {
        BullseyeRing {
            after,
            min_level,
            drop_extra_skills: false,
        }
    }
}

/// A queue's configuration.
///
/// ```
/// use std::time::Duration;
/// use call_routing::{Level, QueueConfig, SkillId};
/// use call_routing::queue::{BullseyeRing, OverflowTarget};
///
/// let mut config = QueueConfig::new(SkillId(1));
/// config.max_wait = Some(Duration::from_secs(300));
/// config.overflow = Some(OverflowTarget::External(7));
/// config.bullseye = vec![BullseyeRing::new(Duration::from_secs(30), Level::MIN)];
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct QueueConfig {
    /// The skill that makes an agent a member.
    pub skill: SkillId,
    /// The channel calls of this queue use agent capacity on.
    pub channel: Channel,
    /// Rank in the cross-queue policy [`crate::router::CrossQueueOrder::QueuePriority`].
    pub priority: i32,
    /// Weight in the cross-queue policy [`crate::router::CrossQueueOrder::Weighted`].
    pub weight: u32,
    /// How calls are ordered.
    pub ordering: QueueOrdering,
    /// The most calls that may wait; `None` is unlimited (up to the router's
    /// call limit).
    pub max_length: Option<usize>,
    /// The longest a call waits before it overflows or times out; positive
    /// ([`crate::Router::add_queue`] refuses zero).
    pub max_wait: Option<Duration>,
    /// Where calls go after `max_wait`; `None` ends them as timed out.
    pub overflow: Option<OverflowTarget>,
    /// When to refuse new calls.
    pub join_empty: EmptyPolicy,
    /// When to remove waiting calls.
    pub leave_empty: EmptyPolicy,
    /// Bullseye rings, by increasing `after`.
    pub bullseye: Vec<BullseyeRing>,
    /// How long an offer rings before it times out (ring-no-answer).
    pub ring_timeout: Duration,
    /// After-call work for agents finishing a call from this queue.
    pub wrap_up: Duration,
    /// Period of position and expected-wait updates; `None` for none.
    pub announce_every: Option<Duration>,
    /// Handle time assumed for expected-wait estimates until calls complete.
    pub expected_handle_time: Duration,
    /// Business hours: calls are refused while closed. `None` is always open.
    pub calendar: Option<Calendar>,
}

impl QueueConfig {
    /// A first-come first-served voice queue on `skill` with no limits,
    /// a 20 s ring timeout and no wrap-up.
    pub fn new(skill: SkillId) -> QueueConfig {
        QueueConfig {
            skill,
            channel: Channel::VOICE,
            priority: 0,
            weight: 1,
            ordering: QueueOrdering::Aging {
                boost: Duration::from_secs(60),
            },
            max_length: None,
            max_wait: None,
            overflow: None,
            join_empty: EmptyPolicy::Never,
            leave_empty: EmptyPolicy::Never,
            bullseye: Vec::new(),
            ring_timeout: Duration::from_secs(20),
            wrap_up: Duration::ZERO,
            announce_every: None,
            expected_handle_time: Duration::from_secs(180),
            calendar: None,
        }
    }
}
