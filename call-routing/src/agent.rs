//! Agents as the router sees them: skills, capacity per channel, and an
//! availability model of their own.
//!
//! The router keeps the few facts routing needs, not a full agent state
//! machine:
//!
//! ```text
//!              login                      set_ready(true)
//!   (absent) ────────▶ NotReady ◀──────────────────────────┐
//!      ▲                  │  ▲   set_ready(false),          │
//!      │ logout,          │  │   N ring-no-answers          │
//!      │ expiry           ▼  │                              │
//!      └───────────── Available ──offer──▶ Reserved ──accept──▶ Busy
//!                       ▲  ▲                 │ reject,          │ complete
//!                       │  └─────────────────┘ timeout          ▼
//!                       └──────────── end of wrap-up ────── WrapUp
//! ```
//!
//! An agent with capacity for several contacts on a channel stays Available
//! on that channel while it has spare capacity. Wrap-up is a property of the
//! agent, so it holds in every queue the agent serves.

use std::time::Duration;

use crate::id::{Channel, Level, SkillId};

/// The most skills an agent may list.
pub const MAX_SKILLS_PER_AGENT: usize = 64;
/// The most channels an agent may list.
pub const MAX_CHANNELS_PER_AGENT: usize = 8;
/// The most host attributes an agent may carry.
pub const MAX_ATTRIBUTES_PER_AGENT: usize = 16;

/// What the router needs to know about an agent to route to it.
///
/// ```
/// use call_routing::{AgentConfig, Channel, Level, SkillId};
///
/// let config = AgentConfig::new()
///     .skill(SkillId(1), Level::MAX) // sales, expert
///     .skill(SkillId(100), Level::saturating(6)) // French, fluent
///     .capacity(Channel::CHAT, 3);
/// assert_eq!(config.capacity_for(Channel::VOICE), 1);
/// assert_eq!(config.capacity_for(Channel::CHAT), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentConfig {
    /// Skills with proficiency. A queue's members are the agents with its skill.
    pub skills: Vec<(SkillId, Level)>,
    /// Concurrent contacts per channel; channels not listed have capacity 0,
    /// except voice, which defaults to 1.
    pub capacity: Vec<(Channel, u16)>,
    /// Position in member order for the ordered strategies.
    pub order: u32,
    /// Host attributes for [`crate::strategy::OrderBy`].
    pub attributes: Vec<i64>,
    /// Wrap-up after each contact; `None` takes the queue's.
    pub wrap_up: Option<Duration>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig::new()
    }
}

impl AgentConfig {
    /// An agent with no skills and one voice line.
    pub fn new() -> AgentConfig {
        AgentConfig {
            skills: Vec::new(),
            capacity: vec![(Channel::VOICE, 1)],
            order: 0,
            attributes: Vec::new(),
            wrap_up: None,
        }
    }

    /// Adds a skill.
    pub fn skill(mut self, skill: SkillId, level: Level) -> AgentConfig {
        self.skills.push((skill, level));
        self
    }

    /// Sets the capacity on a channel.
    pub fn capacity(mut self, channel: Channel, contacts: u16) -> AgentConfig {
        self.capacity.retain(|(c, _)| *c != channel);
        self.capacity.push((channel, contacts));
        self
    }

    /// Sets the member order.
    pub fn order(mut self, order: u32) -> AgentConfig {
        self.order = order;
        self
    }

    /// Sets the host attributes.
    pub fn attributes(mut self, attributes: Vec<i64>) -> AgentConfig {
        self.attributes = attributes;
        self
    }

    /// Sets a wrap-up that overrides the queues'.
    pub fn wrap_up(mut self, wrap_up: Duration) -> AgentConfig {
        self.wrap_up = Some(wrap_up);
        self
    }

    /// The agent's level in `skill`, if it has it.
    pub fn level(&self, skill: SkillId) -> Option<Level> {
        self.skills
            .iter()
            .find(|(s, _)| *s == skill)
            .map(|(_, level)| *level)
    }

    /// The capacity on `channel`.
    pub fn capacity_for(&self, channel: Channel) -> u16 {
        self.capacity
            .iter()
            .find(|(c, _)| *c == channel)
            .map_or(0, |(_, n)| *n)
    }
}

/// Where an agent stands, as reported by [`crate::Router::agent_status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Availability {
    /// Logged in but not taking contacts.
    NotReady,
    /// In wrap-up (after-call work) until the given time.
    WrapUp,
    /// Ready with spare capacity on at least one channel.
    Available,
    /// Ready, every channel full, at least one offer ringing.
    Reserved,
    /// Ready, every channel full with connected contacts.
    Busy,
}

/// A snapshot of an agent's routing state.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentStatus {
    /// Where the agent stands.
    pub availability: Availability,
    /// Offers ringing.
    pub offers: usize,
    /// Connected contacts.
    pub connected: usize,
    /// Consecutive ring-no-answers.
    pub ring_no_answers: u32,
    /// Contacts answered since login.
    pub calls: u64,
}
