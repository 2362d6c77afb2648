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
