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
