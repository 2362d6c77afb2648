//! Errors, one type per operation.

/// A value could not be turned into a [`Q850Cause`](crate::cause::Q850Cause).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CauseError {
    /// Q.850 causes are seven bits wide.
    #[error("Q.850 cause {value} is out of range (0..=127)")]
    OutOfRange {
        /// The rejected value.
        value: u8,
    },
}

/// A number could not be turned into a [`SipStatus`](crate::cause::SipStatus).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SipStatusError {
    /// SIP status codes are three digits, 100..=699 (RFC 3261 §7.2).
    #[error("SIP status {code} is out of range (100..=699)")]
    OutOfRange {
        /// The rejected code.
        code: u16,
    },
}

/// Text could not be turned into an [`Address`](crate::party::Address).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Longer than [`Address::MAX_LEN`](crate::party::Address::MAX_LEN).
    #[error("address is {len} bytes long; the limit is 256")]
    TooLong {
        /// The length given.
        len: usize,
    },
    /// Addresses are single-line printable text.
    #[error("address has a control character at position {position}")]
    ControlCharacter {
        /// Character index of the first control character.
        position: usize,
    },
}

/// An [`Agent`](crate::agent::Agent) operation was not allowed.
///
/// Both variants are caller errors: the host or router asked for a
/// transition the agent's current state does not permit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The operation is not allowed in the agent's current state.
    #[error("{agent}: {operation} is not allowed in state {state}")]
    InvalidTransition {
        /// The agent.
        agent: crate::id::AgentId,
        /// What was attempted.
        operation: crate::agent::AgentOperation,
        /// The state's name (see [`AgentState::name`](crate::agent::AgentState::name)).
        state: &'static str,
    },
    /// The operation names a different call from the one the agent has.
    #[error("{agent}: the agent is on {expected}, not {got}")]
    WrongCall {
        /// The agent.
        agent: crate::id::AgentId,
        /// The call the agent is reserved for or busy on.
        expected: crate::id::CallId,
        /// The call the operation named.
        got: crate::id::CallId,
    },
}

/// A [`Call`](crate::call::Call) operation the host asked for that the call's
/// current state does not allow. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The leg does not exist in this call.
    #[error("{operation}: the call has no {leg}")]
    NoSuchLeg {
        /// What was attempted.
        operation: crate::call::Operation,
        /// The leg named.
        leg: crate::id::LegId,
    },
    /// The leg's connection state does not allow the operation.
    #[error("{operation} on {leg}: not allowed while the leg is {state}")]
    LegState {
        /// What was attempted.
        operation: crate::call::Operation,
        /// The leg named.
        leg: crate::id::LegId,
        /// Its state.
        state: crate::leg::ConnectionState,
    },
    /// The operation only applies to legs set up the other way (for example
    /// answering a leg we placed: the far end answers those).
    #[error("{operation} on {leg}: not allowed on a {direction:?} leg")]
    Direction {
        /// What was attempted.
        operation: crate::call::Operation,
        /// The leg named.
        leg: crate::id::LegId,
        /// Its direction.
        direction: crate::leg::Direction,
    },
    /// The operation is not allowed in the call's contact-center phase.
    #[error("{operation}: not allowed while the call is in phase {phase}")]
    Phase {
        /// What was attempted.
        operation: crate::call::Operation,
        /// The phase's name.
        phase: &'static str,
    },
    /// A transfer or consultation is already in progress (at most one per call).
    #[error("{operation}: a transfer is already in progress")]
    TransferInProgress {
        /// What was attempted.
        operation: crate::call::Operation,
    },
    /// The operation needs a consultation in progress.
    #[error("{operation}: no consultation is in progress")]
    NoConsultation {
        /// What was attempted.
        operation: crate::call::Operation,
    },
    /// Transfers and park need exactly two connected parties.
    #[error("{operation}: needs exactly two connected parties, the call has {connected}")]
    NotTwoParties {
        /// What was attempted.
        operation: crate::call::Operation,
        /// Connected legs now.
        connected: usize,
    },
    /// The call already has [`Call::MAX_LEGS`](crate::call::Call::MAX_LEGS) legs.
    #[error("{operation}: the call already has the maximum of {max} legs")]
    TooManyLegs {
        /// What was attempted.
        operation: crate::call::Operation,
        /// The limit.
        max: usize,
    },
    /// Nothing is parked in that slot.
    #[error("{operation}: nothing is parked in {slot}")]
    NotParked {
        /// What was attempted.
        operation: crate::call::Operation,
        /// The slot named.
        slot: crate::id::ParkSlot,
    },
    /// No agent on that leg is in after-call work.
    #[error("{operation}: no agent on {leg} is in wrap-up")]
    NotInWrapUp {
        /// What was attempted.
        operation: crate::call::Operation,
        /// The leg named.
        leg: crate::id::LegId,
    },
    /// The call has ended; it accepts no more operations.
    #[error("{operation}: the call has ended")]
    CallEnded {
        /// What was attempted.
        operation: crate::call::Operation,
    },
    /// A custom attribute broke a documented limit.
    #[error("attribute {key:?}: {problem}")]
    Attribute {
        /// The key given (truncated to 64 bytes).
        key: String,
        /// What is wrong.
        problem: &'static str,
    },
}

/// A platform report (`handle_*`) that cannot happen in the call's current
/// state: the signalling peer or the host's glue misbehaved. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The report names a leg the call does not have.
    #[error("{report}: the call has no {leg}")]
    NoSuchLeg {
        /// What was reported.
        report: crate::call::Report,
        /// The leg named.
        leg: crate::id::LegId,
    },
    /// The report cannot happen in the leg's state (for example an answer on a
    /// leg that was already cleared).
    #[error("{report} on {leg}: impossible while the leg is {state}")]
    LegState {
        /// What was reported.
        report: crate::call::Report,
        /// The leg named.
        leg: crate::id::LegId,
        /// Its state.
        state: crate::leg::ConnectionState,
    },
    /// The report only makes sense for legs we placed (the far end answering
    /// or ringing), and this one is incoming.
    #[error("{report} on {leg}: impossible on an incoming leg")]
    Direction {
        /// What was reported.
        report: crate::call::Report,
        /// The leg named.
        leg: crate::id::LegId,
    },
}

/// A [`CdrBuilder`](crate::cdr::CdrBuilder) input that does not fit the call
/// being recorded, or breaks a documented limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CdrError {
    /// The event or call belongs to another call.
    #[error("the record is for {expected}, not {got}")]
    WrongCall {
        /// The call being recorded.
        expected: crate::id::CallId,
        /// The call given.
        got: crate::id::CallId,
    },
    /// An event names a leg that was never offered or originated.
    #[error("no {leg} has been seen in this call")]
    UnknownLeg {
        /// The leg.
        leg: crate::id::LegId,
    },
    /// A leg was created twice.
    #[error("{leg} was created twice")]
    DuplicateLeg {
        /// The leg.
        leg: crate::id::LegId,
    },
    /// A dequeue for a queue the call is not waiting in.
    #[error("the call is not waiting in {queue}")]
    NotQueued {
        /// The queue.
        queue: crate::id::QueueId,
    },
    /// An event arrived after the call closed.
    #[error("the call is already closed")]
    AfterClose,
    /// `finish` before the call closed.
    #[error("the call has not closed yet")]
    NotClosed,
    /// A list is full.
    #[error("too many {what} (the limit is {max})")]
    TooMany {
        /// Which list.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// A text item is too long.
    #[error("{what} item is {len} bytes; the limit is {max}")]
    TextTooLong {
        /// Which list.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Survey scores are 0..=10.
    #[error("survey score {score} is out of range (0..=10)")]
    SurveyScore {
        /// The score given.
        score: u8,
    },
    /// A speech interval ends before it starts.
    #[error("speech interval on {leg} ends before it starts")]
    BackwardsInterval {
        /// The leg.
        leg: crate::id::LegId,
    },
}

/// An agent state change the [`KpiEngine`](crate::kpi::KpiEngine) refused
/// (see [`KpiEngine::try_ingest_agent_change`](crate::kpi::KpiEngine::try_ingest_agent_change)).
/// Nothing was counted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentChangeError {
    /// The previous state's span covers more reporting intervals than
    /// [`KpiConfig::max_agent_state_intervals`](crate::kpi::KpiConfig::max_agent_state_intervals):
    /// each would need its own counter block. Usually a corrupt or
    /// hand-made record (a state "since" the epoch) or a lost log-out.
    #[error(
        "{agent}: the {state} span from {from_since} to {at} covers {intervals} intervals; the limit is {max}"
    )]
    SpanTooLong {
        /// The agent.
        agent: crate::id::AgentId,
        /// The previous state's name (see [`AgentState::name`](crate::agent::AgentState::name)).
        state: &'static str,
        /// When the previous state began.
        from_since: crate::time::Timestamp,
        /// When it ended.
        at: crate::time::Timestamp,
        /// How many intervals `[from_since, at)` touches.
        intervals: u64,
        /// The configured limit.
        max: u32,
    },
    /// The change ends before the previous state began: a corrupt or
    /// hand-made record (the state machine never makes one).
    #[error("{agent}: the {state} span ends at {at}, before it began at {from_since}")]
    Reversed {
        /// The agent.
        agent: crate::id::AgentId,
        /// The previous state's name (see [`AgentState::name`](crate::agent::AgentState::name)).
        state: &'static str,
        /// When the previous state began.
        from_since: crate::time::Timestamp,
        /// When it ended, earlier.
        at: crate::time::Timestamp,
    },
}
