//! Routing strategies: which available agent a queue offers its call to.
//!
//! A strategy gives every available agent of a queue a [`SortKey`] at the
//! moment the agent becomes available; the router keeps the agents of each
//! queue in per-level ordered sets by that key and offers the call to the
//! lowest key (ties go to the lower [`AgentId`]). Selection is therefore a
//! lookup in an ordered set, never a scan of the agents, whatever the
//! strategy. A strategy that needs another order than "lowest key" uses the
//! two hooks the router consults: [`Strategy::prefer_higher_level`] (search
//! the level sets from the best level down) and [`Strategy::resume_after`]
//! (round-robin: start after the last agent offered, wrapping around).
//!
//! Keys are computed when an agent becomes available, not at selection time:
//! a key that depends on statistics (calls taken, talk time) reflects them as
//! of the agent's return, which is when they change.
//!
//! [`Builtin`] covers the strategies of Asterisk's `app_queue` and
//! FreeSWITCH's `mod_callcenter`, plus best-available-skills; [`OrderBy`]
//! sorts on several agent attributes like TaskRouter's `order_by`.

use std::fmt;
use std::time::Duration;

use crate::id::{AgentId, Level};
use crate::time::Timestamp;

/// A lexicographic sort key; lower keys are offered first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SortKey(pub [i64; 3]);

impl SortKey {
    /// A key on one value.
    pub const fn one(value: i64) -> SortKey {
        SortKey([value, 0, 0])
    }
}

/// What a strategy may know about an agent when computing its key.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct AgentView<'a> {
    /// The agent.
    pub id: AgentId,
    /// The agent's level in the queue's skill.
    pub level: Level,
    /// The agent's position in the member list (Asterisk's member order,
    /// FreeSWITCH's tier position): lower comes first.
    pub order: u32,
    /// When the agent last became available (end of wrap-up, ready, login).
    pub idle_since: Timestamp,
    /// When the agent's last contact ended, if any.
    pub last_call_end: Option<Timestamp>,
    /// Contacts the agent answered, over all queues.
    pub calls: u64,
    /// Contacts the agent answered from this queue.
    pub queue_calls: u64,
    /// Total time the agent spent on contacts.
    pub talk_time: Duration,
    /// Host-defined numeric attributes (seniority, cost, ...), for [`OrderBy`].
    pub attributes: &'a [i64],
    /// A fresh pseudo-random number from the router's seeded generator.
    pub random: u64,
}

/// How many agents a call is offered to at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfferMode {
    /// One agent at a time.
    One,
    /// Every eligible available agent at once (up to
    /// [`crate::router::MAX_RING_ALL`]); the first to accept wins and the
    /// other offers are cancelled.
    All,
    /// One more agent every `step`, the earlier ones still ringing
    /// (FreeSWITCH's ring-progressively).
    Progressive {
        /// Delay between adding agents.
        step: Duration,
    },
}

/// A routing strategy. Implement it to route your own way.
///
/// The router calls [`Strategy::key`] when an agent becomes available in the
/// queue and [`Strategy::offered`] when it offers a call to an agent.
///
/// ```
/// use call_routing::strategy::{AgentView, SortKey, Strategy};
///
/// /// Most senior first (attribute 0 is the hire date, in days).
/// #[derive(Debug)]
/// struct Seniority;
///
/// impl Strategy for Seniority {
///     fn name(&self) -> &str {
///         "seniority"
///     }
///     fn key(&mut self, agent: &AgentView<'_>) -> SortKey {
///         SortKey::one(agent.attributes.first().copied().unwrap_or(i64::MAX))
///     }
/// }
/// ```
pub trait Strategy: fmt::Debug + Send {
    /// A short name for logs and metrics.
    fn name(&self) -> &str;

    /// The key of an agent that just became available; lower is offered first.
    fn key(&mut self, agent: &AgentView<'_>) -> SortKey;

    /// How many agents a call rings at once.
    fn offer_mode(&self) -> OfferMode {
        OfferMode::One
    }

    /// Search the best level first (then by key within the level), instead
    /// of the lowest key over all eligible levels.
    fn prefer_higher_level(&self) -> bool {
        false
    }

    /// Start the search after this key, wrapping around (round-robin).
    fn resume_after(&self) -> Option<SortKey> {
        None
    }

    /// The router offered a call to `agent`, whose key was `key`.
    fn offered(&mut self, agent: AgentId, key: SortKey) {
        let _ = (agent, key);
    }
}

/// The built-in strategies. The documentation of each names the Asterisk
/// (`app_queue`) and FreeSWITCH (`mod_callcenter`) strategy it reproduces.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Builtin {
    /// Ring every available agent; the first to answer wins. Asterisk
    /// `ringall`, FreeSWITCH `ring-all`.
    RingAll,
    /// The agent whose last call ended longest ago (never-called agents
    /// first). Asterisk `leastrecent`.
    LeastRecent,
    /// The agent who took the fewest calls from this queue. Asterisk
    /// `fewestcalls`.
    FewestCalls,
    /// The agent who took the fewest calls over all queues. FreeSWITCH
    /// `agent-with-fewest-calls`.
    FewestCallsOverall,
    /// The agent with the least total talk time. FreeSWITCH
    /// `agent-with-least-talk-time`.
    LeastTalkTime,
    /// The agent available for the longest time. FreeSWITCH
    /// `longest-idle-agent`.
    LongestIdle,
    /// A random available agent. Asterisk `random`, FreeSWITCH `random`.
    Random,
    /// Random, weighted towards higher levels: the key is drawn from a range
    /// that grows with the penalty (`Level::MAX - level`). Asterisk `wrandom`.
    WeightedRandom,
    /// Round-robin in member order, resuming after the last agent offered.
    /// Asterisk `rrmemory` and `rrordered`, FreeSWITCH `round-robin`.
    RoundRobin,
    /// Member order, always from the top. Asterisk `linear`, FreeSWITCH
    /// `top-down`.
    Linear,
    /// Highest level first, then member order. FreeSWITCH
    /// `sequentially-by-agent-order` (tier level, then position).
    SequentialByLevel,
    /// Ring one more agent (in member order) every `step`, the earlier ones
    /// still ringing. FreeSWITCH `ring-progressively`.
    RingProgressively {
        /// Delay between adding agents.
        step: Duration,
    },
    /// Highest proficiency first, then longest idle (Amazon Connect and
    /// Genesys "best available").
    BestSkills,
}

/// Microseconds as a key component.
fn micros(t: Timestamp) -> i64 {
    i64::try_from(t.as_micros()).unwrap_or(i64::MAX)
}

fn duration_micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Builtin {
    /// Every built-in with its default parameters, for tests and tables.
    pub fn all() -> Vec<Builtin> {
        vec![
            Builtin::RingAll,
            Builtin::LeastRecent,
            Builtin::FewestCalls,
            Builtin::FewestCallsOverall,
            Builtin::LeastTalkTime,
            Builtin::LongestIdle,
            Builtin::Random,
            Builtin::WeightedRandom,
            Builtin::RoundRobin,
            Builtin::Linear,
            Builtin::SequentialByLevel,
            Builtin::RingProgressively {
                step: Duration::from_secs(5),
            },
            Builtin::BestSkills,
        ]
    }

    /// The strategy as a boxed [`Strategy`] for [`crate::Router::add_queue`].
    pub fn boxed(self) -> Box<dyn Strategy> {
        Box::new(BuiltinStrategy {
            kind: self,
            last: None,
        })
    }
}

/// A [`Builtin`] with the little state round-robin needs.
#[derive(Debug)]
struct BuiltinStrategy {
    kind: Builtin,
    /// The key of the last agent offered (round-robin memory).
    last: Option<SortKey>,
}

impl Strategy for BuiltinStrategy {
    fn name(&self) -> &str {
        match self.kind {
            Builtin::RingAll => "ringall",
            Builtin::LeastRecent => "leastrecent",
            Builtin::FewestCalls => "fewestcalls",
            Builtin::FewestCallsOverall => "agent-with-fewest-calls",
            Builtin::LeastTalkTime => "agent-with-least-talk-time",
            Builtin::LongestIdle => "longest-idle-agent",
            Builtin::Random => "random",
            Builtin::WeightedRandom => "wrandom",
            Builtin::RoundRobin => "rrmemory",
            Builtin::Linear => "linear",
            Builtin::SequentialByLevel => "sequentially-by-agent-order",
            Builtin::RingProgressively { .. } => "ring-progressively",
            Builtin::BestSkills => "best-available-skills",
        }
    }

    fn key(&mut self, agent: &AgentView<'_>) -> SortKey {
        let order = i64::from(agent.order);
        match self.kind {
            Builtin::RingAll
            | Builtin::RoundRobin
            | Builtin::Linear
            | Builtin::SequentialByLevel
            | Builtin::RingProgressively { .. } => SortKey([order, 0, 0]),
            Builtin::LeastRecent => {
                SortKey([agent.last_call_end.map_or(i64::MIN, micros), order, 0])
            }
            Builtin::FewestCalls => SortKey([count(agent.queue_calls), order, 0]),
            Builtin::FewestCallsOverall => SortKey([count(agent.calls), order, 0]),
            Builtin::LeastTalkTime => SortKey([duration_micros(agent.talk_time), order, 0]),
            Builtin::LongestIdle | Builtin::BestSkills => {
                SortKey([micros(agent.idle_since), order, 0])
            }
            Builtin::Random => SortKey([count(agent.random >> 1), 0, 0]),
            Builtin::WeightedRandom => {
                // Asterisk wrandom: random() % ((1 + penalty) * 1000).
                let penalty = u64::from(Level::MAX.get() - agent.level.get());
                SortKey([count(agent.random % ((1 + penalty) * 1000)), order, 0])
            }
        }
    }

    fn offer_mode(&self) -> OfferMode {
        match self.kind {
            Builtin::RingAll => OfferMode::All,
            Builtin::RingProgressively { step } => OfferMode::Progressive { step },
            _ => OfferMode::One,
        }
    }

    fn prefer_higher_level(&self) -> bool {
        matches!(self.kind, Builtin::SequentialByLevel | Builtin::BestSkills)
    }

    fn resume_after(&self) -> Option<SortKey> {
        match self.kind {
            Builtin::RoundRobin => self.last,
            _ => None,
        }
    }

    fn offered(&mut self, _agent: AgentId, key: SortKey) {
        if self.kind == Builtin::RoundRobin {
            self.last = Some(key);
        }
    }
}

/// An agent attribute [`OrderBy`] can sort on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute {
    /// Level in the queue's skill.
    Level,
    /// Member order.
    Order,
    /// When the agent became available.
    IdleSince,
    /// When the agent's last call ended.
    LastCallEnd,
    /// Calls answered over all queues.
    Calls,
    /// Calls answered from this queue.
    QueueCalls,
    /// Total talk time.
    TalkTime,
    /// Host attribute number `n` (missing attributes sort as 0).
    Custom(usize),
}

/// Sort direction for one [`OrderBy`] key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// Multi-key ordering on agent attributes, like TaskRouter's
/// `order_by: "worker.level DESC, worker.idle_since ASC"`. Up to three keys;
/// ties after them go to the lower agent id.
///
/// ```
/// use call_routing::strategy::{Attribute, Direction, OrderBy};
///
/// let strategy = OrderBy::new(&[
///     (Attribute::Level, Direction::Descending),
///     (Attribute::Custom(0), Direction::Ascending), // e.g. cost per minute
///     (Attribute::IdleSince, Direction::Ascending),
/// ])?;
/// # Ok::<(), call_routing::error::StrategyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    keys: Vec<(Attribute, Direction)>,
}

impl OrderBy {
    /// The most keys an [`OrderBy`] takes.
    pub const MAX_KEYS: usize = 3;

    /// An ordering on 1 to [`OrderBy::MAX_KEYS`] keys.
    pub fn new(keys: &[(Attribute, Direction)]) -> Result<OrderBy, crate::error::StrategyError> {
        if keys.is_empty() || keys.len() > OrderBy::MAX_KEYS {
            return Err(crate::error::StrategyError::KeyCount {
                got: keys.len(),
                max: OrderBy::MAX_KEYS,
            });
        }
        Ok(OrderBy {
            keys: keys.to_vec(),
        })
    }
}

impl Strategy for OrderBy {
    fn name(&self) -> &str {
        "order-by"
    }

    fn key(&mut self, agent: &AgentView<'_>) -> SortKey {
        let mut key = [0_i64; 3];
        for (slot, (attribute, direction)) in key.iter_mut().zip(&self.keys) {
            let value = match *attribute {
                Attribute::Level => i64::from(agent.level.get()),
                Attribute::Order => i64::from(agent.order),
                Attribute::IdleSince => micros(agent.idle_since),
                Attribute::LastCallEnd => agent.last_call_end.map_or(i64::MIN, micros),
                Attribute::Calls => count(agent.calls),
                Attribute::QueueCalls => count(agent.queue_calls),
                Attribute::TalkTime => duration_micros(agent.talk_time),
                Attribute::Custom(n) => agent.attributes.get(n).copied().unwrap_or(0),
            };
            *slot = match direction {
                Direction::Ascending => value,
                // Descending: flip without overflow (i64::MIN maps to MAX).
                Direction::Descending => value.checked_neg().unwrap_or(i64::MAX),
            };
        }
        SortKey(key)
    }
}
