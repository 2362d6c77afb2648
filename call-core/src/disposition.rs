//! How a call ended, derived from what happened (never stored in the model).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cause::Q850Cause;

/// The outcome of a call, one per ended call.
///
/// Derived by [`Call::disposition`](crate::call::Call::disposition) with this
/// precedence (the first that applies wins):
///
/// 1. `abandoned`: the customer hung up in self-service, in queue or while an
///    agent was alerted, before any agent answered;
/// 2. `callback_requested`: the customer left the queue asking for a callback;
/// 3. `transferred`: a transfer (blind, attended or semi-attended) completed;
/// 4. `deflected`: the customer's own unanswered call was redirected away
///    (a deflected agent offer is only a diversion in the record);
/// 5. `answered`: the customer leg was connected;
/// 6. otherwise from the customer leg's end: cause 17 (user busy) is `busy`;
///    18, 19 (no user responding, no answer) are `no_answer`; cleared by the
///    far end, or by us with cause 16 or 31, is `canceled`; anything else is
///    `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Disposition {
    /// The customer was connected.
    Answered,
    /// Rang and nobody answered.
    NoAnswer,
    /// The far end was busy.
    Busy,
    /// The call could not be set up.
    Failed,
    /// Given up before it was answered.
    Canceled,
    /// The customer hung up before reaching an agent.
    Abandoned,
    /// Handed to someone else by a transfer.
    Transferred,
    /// The customer's call was redirected away while alerting.
    Deflected,
    /// The customer chose a callback instead of waiting.
    CallbackRequested,
}

impl Disposition {
    /// The snake_case name used in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Disposition::Answered => "answered",
            Disposition::NoAnswer => "no_answer",
            Disposition::Busy => "busy",
            Disposition::Failed => "failed",
            Disposition::Canceled => "canceled",
            Disposition::Abandoned => "abandoned",
            Disposition::Transferred => "transferred",
            Disposition::Deflected => "deflected",
            Disposition::CallbackRequested => "callback_requested",
        }
    }

    /// The disposition of a customer leg that ended without being answered.
    pub(crate) fn unanswered(cause: Q850Cause, by_far_end: bool) -> Disposition {
        match cause {
            Q850Cause::USER_BUSY => Disposition::Busy,
            Q850Cause::NO_USER_RESPONSE | Q850Cause::NO_ANSWER => Disposition::NoAnswer,
            _ if by_far_end => Disposition::Canceled,
            Q850Cause::NORMAL_CLEARING | Q850Cause::NORMAL_UNSPECIFIED => Disposition::Canceled,
            _ => Disposition::Failed,
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a customer abandoned: an outcome, not a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbandonPhase {
    /// During self-service (IVR), after the call was answered.
    SelfService,
    /// While waiting in a queue.
    Queue,
    /// While an agent's phone was ringing.
    Alerting,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanswered_legs_map_by_cause() {
        assert_eq!(
            Disposition::unanswered(Q850Cause::USER_BUSY, true),
            Disposition::Busy
        );
        assert_eq!(
            Disposition::unanswered(Q850Cause::NO_ANSWER, false),
            Disposition::NoAnswer
        );
        assert_eq!(
            Disposition::unanswered(Q850Cause::NORMAL_CLEARING, false),
            Disposition::Canceled
        );
        assert_eq!(
            Disposition::unanswered(Q850Cause::NORMAL_CLEARING, true),
            Disposition::Canceled
        );
        assert_eq!(
            Disposition::unanswered(Q850Cause::NO_ROUTE_DESTINATION, false),
            Disposition::Failed
        );
        assert_eq!(
            Disposition::CallbackRequested.to_string(),
            "callback_requested"
        );
    }
}
