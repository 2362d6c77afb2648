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
    /// A queue with no more agents than erlangs offered never drains.
    #[error("{agents} agents cannot serve {traffic} erlangs: the queue grows without bound")]
    Unstable {
        /// The offered load in erlangs.
        traffic: f64,
        /// The number of agents.
        agents: u32,
    },
}
