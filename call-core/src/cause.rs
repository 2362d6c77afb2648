//! ITU-T Q.850 cause values.
//!
//! A cause says why a call or a connection ended. The code space is seven bits
//! (0..=127) and most values are unassigned, so [`Q850Cause`] is an open
//! newtype: a value we have no name for still round-trips unchanged.

use std::fmt;

use crate::error::CauseError;

/// A Q.850 cause value (0..=127).
///
/// # Examples
///
/// ```
/// use call_core::cause::{CauseClass, Q850Cause};
///
/// let cause = Q850Cause::new(17)?;
/// assert_eq!(cause, Q850Cause::USER_BUSY);
/// assert_eq!(cause.description(), Some("user busy"));
/// assert_eq!(cause.class(), CauseClass::Normal);
/// assert!(Q850Cause::new(200).is_err());
/// # Ok::<(), call_core::error::CauseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Q850Cause(u8);

/// The class of a cause: the top three bits of the seven-bit value (Q.850 §2.2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CauseClass {
    /// Values 0..=31: normal events (including busy and no answer).
    Normal,
    /// Values 32..=47: resource unavailable.
    ResourceUnavailable,
    /// Values 48..=63: service or option not available.
    ServiceNotAvailable,
    /// Values 64..=79: service or option not implemented.
    ServiceNotImplemented,
    /// Values 80..=95: invalid message.
    InvalidMessage,
    /// Values 96..=111: protocol error.
    ProtocolError,
    /// Values 112..=127: interworking.
    Interworking,
}

macro_rules! causes {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        impl Q850Cause {
            $(
                $(#[$doc])*
                pub const $name: Q850Cause = Q850Cause($value);
            )*

            /// The Q.850 description of this cause, or `None` for a value the
            /// recommendation does not assign.
            pub const fn description(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

causes! {
    /// 1: the number is not assigned.
    UNALLOCATED_NUMBER = 1, "unallocated (unassigned) number";
    /// 2: no route to the specified transit network.
    NO_ROUTE_TRANSIT_NETWORK = 2, "no route to specified transit network";
    /// 3: no route to the destination.
    NO_ROUTE_DESTINATION = 3, "no route to destination";
    /// 4: send special information tone.
    SEND_SPECIAL_INFORMATION_TONE = 4, "send special information tone";
    /// 5: misdialled trunk prefix.
    MISDIALLED_TRUNK_PREFIX = 5, "misdialled trunk prefix";
    /// 6: channel unacceptable.
    CHANNEL_UNACCEPTABLE = 6, "channel unacceptable";
    /// 7: call awarded and being delivered in an established channel.
    CALL_AWARDED_DELIVERED = 7, "call awarded and being delivered in an established channel";
    /// 8: preemption.
    PREEMPTION = 8, "preemption";
    /// 9: preemption, circuit reserved for reuse.
    PREEMPTION_CIRCUIT_RESERVED = 9, "preemption - circuit reserved for reuse";
    /// 14: query on release, number ported.
    NUMBER_PORTED = 14, "QoR: ported number";
    /// 16: normal call clearing.
    NORMAL_CLEARING = 16, "normal call clearing";
    /// 17: user busy.
    USER_BUSY = 17, "user busy";
    /// 18: no user responding.
    NO_USER_RESPONSE = 18, "no user responding";
    /// 19: no answer from user (user alerted).
    NO_ANSWER = 19, "no answer from user (user alerted)";
    /// 20: subscriber absent.
    SUBSCRIBER_ABSENT = 20, "subscriber absent";
    /// 21: call rejected.
    CALL_REJECTED = 21, "call rejected";
    /// 22: number changed.
    NUMBER_CHANGED = 22, "number changed";
    /// 23: redirection to new destination.
    REDIRECTION_TO_NEW_DESTINATION = 23, "redirection to new destination";
    /// 25: exchange routing error.
    EXCHANGE_ROUTING_ERROR = 25, "exchange routing error";
    /// 26: non-selected user clearing.
    NON_SELECTED_USER_CLEARING = 26, "non-selected user clearing";
    /// 27: destination out of order.
    DESTINATION_OUT_OF_ORDER = 27, "destination out of order";
    /// 28: invalid number format (address incomplete).
    INVALID_NUMBER_FORMAT = 28, "invalid number format (address incomplete)";
    /// 29: facility rejected.
    FACILITY_REJECTED = 29, "facility rejected";
    /// 30: response to STATUS ENQUIRY.
    RESPONSE_TO_STATUS_ENQUIRY = 30, "response to STATUS ENQUIRY";
    /// 31: normal, unspecified.
    NORMAL_UNSPECIFIED = 31, "normal, unspecified";
    /// 34: no circuit/channel available.
    NO_CIRCUIT_AVAILABLE = 34, "no circuit/channel available";
    /// 38: network out of order.
    NETWORK_OUT_OF_ORDER = 38, "network out of order";
    /// 39: permanent frame mode connection out of service.
    FRAME_MODE_OUT_OF_SERVICE = 39, "permanent frame mode connection out of service";
    /// 40: permanent frame mode connection operational.
    FRAME_MODE_OPERATIONAL = 40, "permanent frame mode connection operational";
    /// 41: temporary failure.
    TEMPORARY_FAILURE = 41, "temporary failure";
    /// 42: switching equipment congestion.
    SWITCHING_EQUIPMENT_CONGESTION = 42, "switching equipment congestion";
    /// 43: access information discarded.
    ACCESS_INFORMATION_DISCARDED = 43, "access information discarded";
    /// 44: requested circuit/channel not available.
    REQUESTED_CHANNEL_NOT_AVAILABLE = 44, "requested circuit/channel not available";
    /// 46: precedence call blocked.
    PRECEDENCE_CALL_BLOCKED = 46, "precedence call blocked";
    /// 47: resource unavailable, unspecified.
    RESOURCE_UNAVAILABLE = 47, "resource unavailable, unspecified";
    /// 49: quality of service not available.
    QOS_NOT_AVAILABLE = 49, "quality of service not available";
    /// 50: requested facility not subscribed.
    FACILITY_NOT_SUBSCRIBED = 50, "requested facility not subscribed";
    /// 53: outgoing calls barred within the closed user group.
    OUTGOING_BARRED_WITHIN_CUG = 53, "outgoing calls barred within CUG";
    /// 55: incoming calls barred within the closed user group.
    INCOMING_BARRED_WITHIN_CUG = 55, "incoming calls barred within CUG";
    /// 57: bearer capability not authorized.
    BEARER_CAPABILITY_NOT_AUTHORIZED = 57, "bearer capability not authorized";
    /// 58: bearer capability not presently available.
    BEARER_CAPABILITY_NOT_AVAILABLE = 58, "bearer capability not presently available";
    /// 62: inconsistency in outgoing access information and subscriber class.
    INCONSISTENT_ACCESS_INFORMATION = 62, "inconsistency in designated outgoing access information and subscriber class";
    /// 63: service or option not available, unspecified.
    SERVICE_NOT_AVAILABLE = 63, "service or option not available, unspecified";
    /// 65: bearer capability not implemented.
    BEARER_CAPABILITY_NOT_IMPLEMENTED = 65, "bearer capability not implemented";
    /// 66: channel type not implemented.
    CHANNEL_TYPE_NOT_IMPLEMENTED = 66, "channel type not implemented";
    /// 69: requested facility not implemented.
    FACILITY_NOT_IMPLEMENTED = 69, "requested facility not implemented";
    /// 70: only restricted digital information bearer capability is available.
    ONLY_RESTRICTED_DIGITAL = 70, "only restricted digital information bearer capability is available";
    /// 79: service or option not implemented, unspecified.
    SERVICE_NOT_IMPLEMENTED = 79, "service or option not implemented, unspecified";
    /// 81: invalid call reference value.
    INVALID_CALL_REFERENCE = 81, "invalid call reference value";
    /// 82: identified channel does not exist.
    CHANNEL_DOES_NOT_EXIST = 82, "identified channel does not exist";
    /// 83: a suspended call exists, but this call identity does not.
    SUSPENDED_CALL_EXISTS = 83, "a suspended call exists, but this call identity does not";
    /// 84: call identity in use.
    CALL_IDENTITY_IN_USE = 84, "call identity in use";
    /// 85: no call suspended.
    NO_CALL_SUSPENDED = 85, "no call suspended";
    /// 86: call having the requested call identity has been cleared.
    CALL_IDENTITY_CLEARED = 86, "call having the requested call identity has been cleared";
    /// 87: user not member of the closed user group.
    USER_NOT_MEMBER_OF_CUG = 87, "user not member of CUG";
    /// 88: incompatible destination.
    INCOMPATIBLE_DESTINATION = 88, "incompatible destination";
    /// 90: non-existent closed user group.
    NON_EXISTENT_CUG = 90, "non-existent CUG";
    /// 91: invalid transit network selection.
    INVALID_TRANSIT_NETWORK = 91, "invalid transit network selection";
    /// 95: invalid message, unspecified.
    INVALID_MESSAGE = 95, "invalid message, unspecified";
    /// 96: mandatory information element is missing.
    MANDATORY_IE_MISSING = 96, "mandatory information element is missing";
    /// 97: message type non-existent or not implemented.
    MESSAGE_TYPE_NON_EXISTENT = 97, "message type non-existent or not implemented";
    /// 98: message not compatible with call state or message type non-existent.
    WRONG_MESSAGE = 98, "message not compatible with call state or message type non-existent or not implemented";
    /// 99: information element or parameter non-existent or not implemented.
    IE_NON_EXISTENT = 99, "information element / parameter non-existent or not implemented";
    /// 100: invalid information element contents.
    INVALID_IE_CONTENTS = 100, "invalid information element contents";
    /// 101: message not compatible with call state.
    WRONG_CALL_STATE = 101, "message not compatible with call state";
    /// 102: recovery on timer expiry.
    RECOVERY_ON_TIMER_EXPIRY = 102, "recovery on timer expiry";
    /// 103: parameter non-existent or not implemented, passed on.
    PARAMETER_NON_EXISTENT = 103, "parameter non-existent or not implemented, passed on";
    /// 110: message with unrecognized parameter, discarded.
    UNRECOGNIZED_PARAMETER_DISCARDED = 110, "message with unrecognized parameter, discarded";
    /// 111: protocol error, unspecified.
    PROTOCOL_ERROR = 111, "protocol error, unspecified";
    /// 127: interworking, unspecified.
    INTERWORKING = 127, "interworking, unspecified";
}

impl Q850Cause {
    /// The largest value the seven-bit code space holds.
    pub const MAX: u8 = 127;

    /// A cause from its numeric value; values above 127 are not Q.850 causes.
    pub const fn new(value: u8) -> Result<Self, CauseError> {
        if value > Self::MAX {
            Err(CauseError::OutOfRange { value })
        } else {
            Ok(Q850Cause(value))
        }
    }

    /// The numeric value.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// The class this cause belongs to.
    pub const fn class(self) -> CauseClass {
        match self.0 >> 4 {
            0 | 1 => CauseClass::Normal,
            2 => CauseClass::ResourceUnavailable,
            3 => CauseClass::ServiceNotAvailable,
            4 => CauseClass::ServiceNotImplemented,
            5 => CauseClass::InvalidMessage,
            6 => CauseClass::ProtocolError,
            _ => CauseClass::Interworking,
        }
    }
}

impl TryFrom<u8> for Q850Cause {
    type Error = CauseError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Q850Cause::new(value)
    }
}

impl From<Q850Cause> for u8 {
    fn from(cause: Q850Cause) -> u8 {
        cause.0
    }
}

impl fmt::Display for Q850Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(text) => write!(f, "{} ({text})", self.0),
            None => write!(f, "{} (unassigned)", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_in_range_round_trips() {
        for value in 0..=Q850Cause::MAX {
            let cause = Q850Cause::new(value).unwrap();
            assert_eq!(u8::from(cause), value);
        }
        for value in 128..=u8::MAX {
            assert_eq!(Q850Cause::new(value), Err(CauseError::OutOfRange { value }));
        }
    }

    #[test]
    fn classes_follow_the_top_three_bits() {
        assert_eq!(Q850Cause::NORMAL_CLEARING.class(), CauseClass::Normal);
        assert_eq!(
            Q850Cause::NO_CIRCUIT_AVAILABLE.class(),
            CauseClass::ResourceUnavailable
        );
        assert_eq!(
            Q850Cause::SERVICE_NOT_AVAILABLE.class(),
            CauseClass::ServiceNotAvailable
        );
        assert_eq!(
            Q850Cause::SERVICE_NOT_IMPLEMENTED.class(),
            CauseClass::ServiceNotImplemented
        );
        assert_eq!(
            Q850Cause::INVALID_MESSAGE.class(),
            CauseClass::InvalidMessage
        );
        assert_eq!(Q850Cause::PROTOCOL_ERROR.class(), CauseClass::ProtocolError);
        assert_eq!(Q850Cause::INTERWORKING.class(), CauseClass::Interworking);
    }

    #[test]
    fn display_names_unassigned_values() {
        assert_eq!(Q850Cause::USER_BUSY.to_string(), "17 (user busy)");
        assert_eq!(Q850Cause::new(24).unwrap().to_string(), "24 (unassigned)");
    }
}
