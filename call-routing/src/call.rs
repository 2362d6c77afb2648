//! What a call asks of the router when it is enqueued.

use std::time::Duration;

use crate::id::{AgentId, Level, SkillId};

/// The most extra skills a call may require.
pub const MAX_CALL_SKILLS: usize = 8;

/// An agent the call should go to first, such as the caller's last agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreferredAgent {
    /// The agent.
    pub agent: AgentId,
    /// How long to hold the call for that agent before any member may take it.
    pub timeout: Duration,
}

impl PreferredAgent {
    /// Prefer `agent` for up to `timeout`.
    pub fn new(agent: AgentId, timeout: Duration) -> PreferredAgent {
        PreferredAgent { agent, timeout }
    }
}

/// A call's requirements and priority.
///
/// `priority` is whatever the host derives from the caller's value or intent
/// (a gold customer, a cancellation intent from the IVR); higher is served
/// sooner, as the queue's [`crate::queue::QueueOrdering`] says.
///
/// ```
/// use std::time::Duration;
/// use call_routing::{AgentId, CallRequest, Level, SkillId};
/// use call_routing::call::PreferredAgent;
///
/// let request = CallRequest::new()
///     .priority(2)
///     .min_level(Level::saturating(5))
///     .skill(SkillId(100), Level::saturating(4)) // French
///     .preferred(PreferredAgent::new(AgentId(7), Duration::from_secs(15)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CallRequest {
    /// Higher is served sooner.
    pub priority: i32,
    /// Minimum level in the queue's skill.
    pub min_level: Level,
    /// Extra skills the agent must have, with minimum levels.
    pub skills: Vec<(SkillId, Level)>,
    /// An agent to try first.
    pub preferred: Option<PreferredAgent>,
}

impl CallRequest {
    /// Priority 0, any member, no extra skills.
    pub fn new() -> CallRequest {
        CallRequest::default()
    }

    /// Sets the priority.
    pub fn priority(mut self, priority: i32) -> CallRequest {
        self.priority = priority;
        self
    }

    /// Sets the minimum level in the queue's skill.
    pub fn min_level(mut self, level: Level) -> CallRequest {
        self.min_level = level;
        self
    }

    /// Requires an extra skill.
    pub fn skill(mut self, skill: SkillId, level: Level) -> CallRequest {
        self.skills.push((skill, level));
        self
    }

    /// Prefers an agent.
    pub fn preferred(mut self, preferred: PreferredAgent) -> CallRequest {
        self.preferred = Some(preferred);
        self
    }
}
