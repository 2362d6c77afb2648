//! Errors, one type per operation.

/// The inputs of an Erlang formula are outside its domain.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErlangError {
    /// Offered traffic must be a finite, non-negative number of erlangs.
    #[error("offered traffic must be a finite number of erlangs >= 0, got {traffic}")]
    InvalidTraffic {
        /// The rejected load.
        traffic: f64,
    },
    /// A handle time or threshold must be a finite, non-negative number of seconds.
    #[error("a time must be a finite number of seconds >= 0, got {seconds}")]
    InvalidDuration {
        /// The rejected time.
        seconds: f64,
    },
    /// Mean patience must be a finite number of seconds > 0 (use Erlang C for
    /// callers who never abandon).
    #[error("mean patience must be a finite number of seconds > 0, got {seconds}")]
    InvalidPatience {
        /// The rejected patience.
        seconds: f64,
    },
    /// A staffing target is outside its domain (a service level must be in
    /// `(0, 1)`, an ASA target finite and > 0).
    #[error("staffing target {target} is out of range")]
    InvalidTarget {
        /// The rejected target.
        target: f64,
    },
    /// A queue with no more agents than erlangs offered never drains.
    #[error("{agents} agents cannot serve {traffic} erlangs: the queue grows without bound")]
    Unstable {
        /// The offered load in erlangs.
        traffic: f64,
        /// The number of agents.
        agents: u32,
    },
    /// The computation would need more than the documented limit of states
    /// or agents ([`crate::erlang::MAX_QUEUE_STATES`], [`crate::erlang::MAX_AGENTS`]).
    #[error("the model needs more than {limit} {what}")]
    TooLarge {
        /// What ran over the limit ("queue states" or "agents").
        what: &'static str,
        /// The limit.
        limit: u64,
    },
}

use crate::id::{AgentId, CallId, Channel, QueueId, ReservationId, SkillId};

/// A strategy was configured wrongly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StrategyError {
    /// An `OrderBy` needs between one and its maximum number of keys.
    #[error("an order-by takes 1 to {max} keys, got {got}")]
    KeyCount {
        /// Keys given.
        got: usize,
        /// The limit.
        max: usize,
    },
}

/// [`crate::Router::add_queue`] failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// A queue with this id exists already.
    #[error("{queue} exists already")]
    Duplicate {
        /// The queue.
        queue: QueueId,
    },
    /// The router holds its maximum number of queues.
    #[error("the router already holds its limit of {limit} queues")]
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// The configuration is inconsistent.
    #[error("{queue}: {reason}")]
    InvalidConfig {
        /// The queue.
        queue: QueueId,
        /// What is wrong.
        reason: &'static str,
    },
    /// The queue does not exist.
    #[error("{queue} does not exist")]
    Unknown {
        /// The queue.
        queue: QueueId,
    },
}

/// An agent operation (login, ready, heartbeat, logout) failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// No agent with this id is logged in.
    #[error("{agent} is not logged in")]
    Unknown {
        /// The agent.
        agent: AgentId,
    },
    /// An agent with this id is logged in already.
    #[error("{agent} is logged in already")]
    Duplicate {
        /// The agent.
        agent: AgentId,
    },
    /// The router holds its maximum number of agents.
    #[error("the router already holds its limit of {limit} agents")]
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// The agent lists more skills or channels than the limit.
    #[error("{agent} lists {got} {what}, more than the limit of {limit}")]
    TooManyEntries {
        /// The agent.
        agent: AgentId,
        /// "skills", "channels" or "attributes".
        what: &'static str,
        /// How many were given.
        got: usize,
        /// The limit.
        limit: usize,
    },
    /// The agent lists a skill twice.
    #[error("{agent} lists {skill} twice")]
    DuplicateSkill {
        /// The agent.
        agent: AgentId,
        /// The skill.
        skill: SkillId,
    },
    /// The agent lists a channel's capacity twice.
    #[error("{agent} lists the capacity of {channel} twice")]
    DuplicateChannel {
        /// The agent.
        agent: AgentId,
        /// The channel.
        channel: Channel,
    },
}

/// [`crate::Router::enqueue`] refused a call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnqueueError {
    /// The queue does not exist.
    #[error("{queue} does not exist")]
    UnknownQueue {
        /// The queue.
        queue: QueueId,
    },
    /// A call with this id is in the router already.
    #[error("{call} is in the router already")]
    DuplicateCall {
        /// The call.
        call: CallId,
    },
    /// The queue holds its maximum number of waiting calls.
    #[error("{queue} is full ({max_length} calls waiting)")]
    QueueFull {
        /// The queue.
        queue: QueueId,
        /// Its maximum length.
        max_length: usize,
    },
    /// The queue's join policy refuses calls when no agent could take them.
    #[error("{queue} has no agents to take the call")]
    Empty {
        /// The queue.
        queue: QueueId,
    },
    /// The queue is outside its business hours.
    #[error("{queue} is closed")]
    Closed {
        /// The queue.
        queue: QueueId,
    },
    /// The router holds its maximum number of calls.
    #[error("the router already holds its limit of {limit} calls")]
    TooManyCalls {
        /// The limit.
        limit: usize,
    },
    /// The call requires more skills than the limit.
    #[error("{call} requires {got} skills, more than the limit of {limit}")]
    TooManySkills {
        /// The call.
        call: CallId,
        /// How many were given.
        got: usize,
        /// The limit.
        limit: usize,
    },
}

/// [`crate::Router::accept`] or [`crate::Router::reject`] failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReservationError {
    /// The reservation does not exist: never made, or already ended (accepted,
    /// rejected, timed out, or cancelled because another agent answered or the
    /// caller hung up).
    #[error("{reservation} is not pending")]
    Unknown {
        /// The reservation.
        reservation: ReservationId,
    },
}

/// A call operation (abandon, complete, callback) failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The call is not in the router.
    #[error("{call} is not in the router")]
    Unknown {
        /// The call.
        call: CallId,
    },
    /// The call is connected to an agent: it can only be completed.
    #[error("{call} is connected to an agent")]
    Connected {
        /// The call.
        call: CallId,
    },
    /// The call is not connected to an agent, so it cannot be completed.
    #[error("{call} is not connected to an agent")]
    NotConnected {
        /// The call.
        call: CallId,
    },
}

/// A business-hours calendar was built wrongly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The time zone is not in the IANA database.
    #[error("unknown time zone '{name}'")]
    UnknownTimeZone {
        /// The name given.
        name: String,
    },
    /// Not a time of day.
    #[error("{hour:02}:{minute:02} is not a time of day")]
    InvalidTime {
        /// Hour given.
        hour: i8,
        /// Minute given.
        minute: i8,
    },
    /// A window that ends before it starts.
    #[error("window {from_hour:02}:{from_minute:02}-{to_hour:02}:{to_minute:02} is empty")]
    EmptyWindow {
        /// Start hour.
        from_hour: i8,
        /// Start minute.
        from_minute: i8,
        /// End hour.
        to_hour: i8,
        /// End minute.
        to_minute: i8,
    },
    /// Not a calendar date.
    #[error("{year:04}-{month:02}-{day:02} is not a date")]
    InvalidDate {
        /// Year given.
        year: i16,
        /// Month given.
        month: i8,
        /// Day given.
        day: i8,
    },
    /// Too many windows or holidays.
    #[error("a calendar holds at most {limit} {what}")]
    TooManyEntries {
        /// "windows" or "holidays".
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// A simulation could not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A parameter is out of range.
    #[error("invalid simulation parameter: {what}")]
    InvalidParameter {
        /// Which one.
        what: &'static str,
    },
    /// The router refused an operation the scenario needs.
    #[error("the router refused the scenario: {0}")]
    Router(String),
}

/// A pluggable store failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backing service failed (network, database); the message is the
    /// backend's.
    #[error("store backend failed: {0}")]
    Backend(String),
    /// The router refused what the store returned.
    #[error("the router refused stored data: {0}")]
    Rejected(String),
}
