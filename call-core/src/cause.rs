//! ITU-T Q.850 cause values.
//!
//! A cause says why a call or a connection ended. The code space is seven bits
//! (0..=127) and most values are unassigned, so [`Q850Cause`] is an open
//! newtype: a value we have no name for still round-trips unchanged.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{CauseError, SipStatusError};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
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

/// A SIP final response status code (RFC 3261 §21: 300..=699 are final; this
/// type accepts the whole 100..=699 space so provisional codes round-trip).
///
/// # Examples
///
/// ```
/// use call_core::cause::{Q850Cause, SipStatus};
///
/// let busy = SipStatus::new(486)?;
/// assert_eq!(busy.to_q850(), Some(Q850Cause::USER_BUSY));
/// assert_eq!(Q850Cause::USER_BUSY.to_sip(), Some(SipStatus::BUSY_HERE));
/// // Normal clearing is a BYE, not an error response.
/// assert_eq!(Q850Cause::NORMAL_CLEARING.to_sip(), None);
/// # Ok::<(), call_core::error::SipStatusError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct SipStatus(u16);

impl SipStatus {
    /// 301 Moved Permanently.
    pub const MOVED_PERMANENTLY: SipStatus = SipStatus(301);
    /// 302 Moved Temporarily.
    pub const MOVED_TEMPORARILY: SipStatus = SipStatus(302);
    /// 400 Bad Request.
    pub const BAD_REQUEST: SipStatus = SipStatus(400);
    /// 403 Forbidden.
    pub const FORBIDDEN: SipStatus = SipStatus(403);
    /// 404 Not Found.
    pub const NOT_FOUND: SipStatus = SipStatus(404);
    /// 408 Request Timeout.
    pub const REQUEST_TIMEOUT: SipStatus = SipStatus(408);
    /// 410 Gone.
    pub const GONE: SipStatus = SipStatus(410);
    /// 480 Temporarily Unavailable.
    pub const TEMPORARILY_UNAVAILABLE: SipStatus = SipStatus(480);
    /// 484 Address Incomplete.
    pub const ADDRESS_INCOMPLETE: SipStatus = SipStatus(484);
    /// 486 Busy Here.
    pub const BUSY_HERE: SipStatus = SipStatus(486);
    /// 487 Request Terminated (the caller cancelled).
    pub const REQUEST_TERMINATED: SipStatus = SipStatus(487);
    /// 488 Not Acceptable Here.
    pub const NOT_ACCEPTABLE_HERE: SipStatus = SipStatus(488);
    /// 500 Server Internal Error.
    pub const SERVER_INTERNAL_ERROR: SipStatus = SipStatus(500);
    /// 501 Not Implemented.
    pub const NOT_IMPLEMENTED: SipStatus = SipStatus(501);
    /// 502 Bad Gateway.
    pub const BAD_GATEWAY: SipStatus = SipStatus(502);
    /// 503 Service Unavailable.
    pub const SERVICE_UNAVAILABLE: SipStatus = SipStatus(503);
    /// 504 Server Time-out.
    pub const SERVER_TIMEOUT: SipStatus = SipStatus(504);
    /// 600 Busy Everywhere.
    pub const BUSY_EVERYWHERE: SipStatus = SipStatus(600);
    /// 603 Decline.
    pub const DECLINE: SipStatus = SipStatus(603);
    /// 604 Does Not Exist Anywhere.
    pub const DOES_NOT_EXIST_ANYWHERE: SipStatus = SipStatus(604);

    /// A status code; SIP codes are three digits from 100 to 699.
    pub const fn new(code: u16) -> Result<Self, SipStatusError> {
        if code < 100 || code > 699 {
            Err(SipStatusError::OutOfRange { code })
        } else {
            Ok(SipStatus(code))
        }
    }

    /// The numeric code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// The Q.850 cause a gateway puts in the release for this response
    /// (RFC 3398 §7.2.4.1). `None` for 487 (a cancelled request has no
    /// mapping) and 488/606 (the cause comes from the Warning header, which
    /// this function does not see), and for codes below 400.
    ///
    /// Codes the table does not list map by class (our choice, documented in
    /// `docs/core.md`): 4xx to [`Q850Cause::INTERWORKING`], 5xx to
    /// [`Q850Cause::TEMPORARY_FAILURE`], 6xx to [`Q850Cause::CALL_REJECTED`].
    // The table rows come first; the ranges after them are class defaults.
    #[allow(clippy::match_overlapping_arm)]
    pub const fn to_q850(self) -> Option<Q850Cause> {
        let value = match self.0 {
            400 => 41,
            401 | 402 | 403 | 407 => 21,
            404 | 485 | 604 => 1,
            405 => 63,
            406 | 415 | 501 => 79,
            408 | 504 => 102,
            410 => 22,
            413 | 414 | 416 | 420 | 421 | 423 | 505 | 513 => 127,
            480 => 18,
            481 | 500 | 503 => 41,
            482 | 483 => 25,
            484 => 28,
            486 | 600 => 17,
            502 => 38,
            603 => 21,
            487 | 488 | 606 => return None,
            400..=499 => 127,
            500..=599 => 41,
            600..=699 => 21,
            _ => return None,
        };
        Some(Q850Cause(value))
    }
}

impl TryFrom<u16> for SipStatus {
    type Error = SipStatusError;

    fn try_from(code: u16) -> Result<Self, Self::Error> {
        SipStatus::new(code)
    }
}

impl From<SipStatus> for u16 {
    fn from(status: SipStatus) -> u16 {
        status.0
    }
}

impl fmt::Display for SipStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Q850Cause {
    /// The SIP response a gateway sends for this cause (RFC 3398 §8.2.6.1).
    ///
    /// `None` for normal call clearing (16), which is a BYE rather than an
    /// error response. Causes the RFC's table does not list map by class:
    /// normal events to 480, resource unavailable and service not available to
    /// 503, not implemented to 501, invalid message to 503, protocol errors and
    /// interworking to 500 (our choice, documented in `docs/core.md`).
    pub const fn to_sip(self) -> Option<SipStatus> {
        let code = match self.0 {
            16 => return None,
            1..=3 | 26 => 404,
            17 => 486,
            18 => 408,
            19 | 20 | 31 => 480,
            21 | 55 | 57 | 87 => 403,
            22 | 23 => 410,
            27 => 502,
            28 => 484,
            29 | 79 => 501,
            34 | 38 | 41 | 42 | 47 | 58 | 88 => 503,
            65 | 70 => 488,
            102 => 504,
            111 | 127 => 500,
            _ => match self.class() {
                CauseClass::Normal => 480,
                CauseClass::ResourceUnavailable
                | CauseClass::ServiceNotAvailable
                | CauseClass::InvalidMessage => 503,
                CauseClass::ServiceNotImplemented => 501,
                CauseClass::ProtocolError | CauseClass::Interworking => 500,
            },
        };
        Some(SipStatus(code))
    }
}

/// Why the platform (not the network) ended or moved a leg.
///
/// Platform causes are kept apart from Q.850: a leg cleared because an agent
/// did not answer in time carries the network cause the far end saw
/// ([`Q850Cause::NO_ANSWER`]) *and* the platform's reason
/// ([`PlatformCause::RING_NO_ANSWER`]). The code space is open: hosts may
/// define their own values from [`PlatformCause::FIRST_HOST_DEFINED`] up.
///
/// # Examples
///
/// ```
/// use call_core::cause::{PlatformCause, Q850Cause};
///
/// let cause = PlatformCause::RING_NO_ANSWER;
/// assert_eq!(cause.name(), Some("ring_no_answer"));
/// assert_eq!(cause.network_cause(), Q850Cause::NO_ANSWER);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlatformCause(pub u16);

macro_rules! platform_causes {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal, $q850:ident;)*) => {
        impl PlatformCause {
            $(
                $(#[$doc])*
                pub const $name: PlatformCause = PlatformCause($value);
            )*

            /// A stable snake_case name for the cause, or `None` for a
            /// host-defined value.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }

            /// The Q.850 cause to signal to the network for this platform
            /// cause ([`Q850Cause::NORMAL_CLEARING`] for host-defined values).
            pub const fn network_cause(self) -> Q850Cause {
                match self.0 {
                    $($value => Q850Cause::$q850,)*
                    _ => Q850Cause::NORMAL_CLEARING,
                }
            }
        }
    };
}

platform_causes! {
    /// An agent (or other target) was alerted and did not answer in time.
    RING_NO_ANSWER = 1, "ring_no_answer", NO_ANSWER;
    /// The call waited longer than the queue's maximum wait.
    MAX_QUEUE_WAIT = 2, "max_queue_wait", NORMAL_CLEARING;
    /// The call lasted longer than the configured maximum call length.
    MAX_CALL_LENGTH = 3, "max_call_length", NORMAL_CLEARING;
    /// The leg left the call because its party transferred the call.
    TRANSFERRED = 4, "transferred", NORMAL_CLEARING;
    /// The alerting leg was diverted (deflected) elsewhere.
    DEFLECTED = 5, "deflected", REDIRECTION_TO_NEW_DESTINATION;
    /// The leg left the call after parking the other party.
    PARKED = 6, "parked", NORMAL_CLEARING;
    /// A consultation leg was dropped when its transfer was cancelled.
    CONSULTATION_CANCELLED = 7, "consultation_cancelled", NORMAL_CLEARING;
    /// The party was removed from a conference.
    REMOVED_FROM_CONFERENCE = 8, "removed_from_conference", NORMAL_CLEARING;
    /// The caller left the queue with a callback request.
    CALLBACK_REQUESTED = 9, "callback_requested", NORMAL_CLEARING;
    /// The agent's offer was withdrawn because the caller hung up.
    CALLER_ABANDONED = 10, "caller_abandoned", NORMAL_CLEARING;
    /// The agent rejected the offered call.
    AGENT_REJECTED = 11, "agent_rejected", CALL_REJECTED;
    /// The originator cancelled the leg before it was answered.
    ORIGINATOR_CANCEL = 12, "originator_cancel", NORMAL_CLEARING;
}

impl PlatformCause {
    /// The first value hosts may use for causes of their own.
    pub const FIRST_HOST_DEFINED: u16 = 1000;
}

impl fmt::Display for PlatformCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "platform cause {}", self.0),
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

    #[test]
    fn sip_to_q850_follows_rfc_3398_section_7_2_4_1() {
        // The table of RFC 3398 §7.2.4.1, every row.
        let table: &[(u16, Option<u8>)] = &[
            (400, Some(41)),
            (401, Some(21)),
            (402, Some(21)),
            (403, Some(21)),
            (404, Some(1)),
            (405, Some(63)),
            (406, Some(79)),
            (407, Some(21)),
            (408, Some(102)),
            (410, Some(22)),
            (413, Some(127)),
            (414, Some(127)),
            (415, Some(79)),
            (416, Some(127)),
            (420, Some(127)),
            (421, Some(127)),
            (423, Some(127)),
            (480, Some(18)),
            (481, Some(41)),
            (482, Some(25)),
            (483, Some(25)),
            (484, Some(28)),
            (485, Some(1)),
            (486, Some(17)),
            (487, None),
            (488, None),
            (500, Some(41)),
            (501, Some(79)),
            (502, Some(38)),
            (503, Some(41)),
            (504, Some(102)),
            (505, Some(127)),
            (513, Some(127)),
            (600, Some(17)),
            (603, Some(21)),
            (604, Some(1)),
            (606, None),
        ];
        for &(code, cause) in table {
            let got = SipStatus::new(code)
                .unwrap()
                .to_q850()
                .map(Q850Cause::value);
            assert_eq!(got, cause, "SIP {code}");
        }
        assert_eq!(SipStatus::new(180).unwrap().to_q850(), None);
        assert!(SipStatus::new(99).is_err());
        assert!(SipStatus::new(700).is_err());
    }

    #[test]
    fn q850_to_sip_follows_rfc_3398_section_8_2_6_1() {
        let table: &[(u8, Option<u16>)] = &[
            (1, Some(404)),
            (2, Some(404)),
            (3, Some(404)),
            (16, None),
            (17, Some(486)),
            (18, Some(408)),
            (19, Some(480)),
            (20, Some(480)),
            (21, Some(403)),
            (22, Some(410)),
            (23, Some(410)),
            (26, Some(404)),
            (27, Some(502)),
            (28, Some(484)),
            (29, Some(501)),
            (31, Some(480)),
            (34, Some(503)),
            (38, Some(503)),
            (41, Some(503)),
            (42, Some(503)),
            (47, Some(503)),
            (55, Some(403)),
            (57, Some(403)),
            (58, Some(503)),
            (65, Some(488)),
            (70, Some(488)),
            (79, Some(501)),
            (87, Some(403)),
            (88, Some(503)),
            (102, Some(504)),
            (111, Some(500)),
            (127, Some(500)),
        ];
        for &(value, code) in table {
            let got = Q850Cause::new(value).unwrap().to_sip().map(SipStatus::code);
            assert_eq!(got, code, "cause {value}");
        }
        // Every cause maps somewhere sensible, by class when unlisted.
        for value in 0..=Q850Cause::MAX {
            if let Some(status) = Q850Cause::new(value).unwrap().to_sip() {
                assert!((400..=599).contains(&status.code()), "cause {value}");
            }
        }
    }

    #[test]
    fn causes_serialize_as_numbers_and_reject_out_of_range() {
        assert_eq!(serde_json::to_string(&Q850Cause::USER_BUSY).unwrap(), "17");
        assert!(serde_json::from_str::<Q850Cause>("128").is_err());
        assert_eq!(serde_json::to_string(&SipStatus::BUSY_HERE).unwrap(), "486");
        assert!(serde_json::from_str::<SipStatus>("42").is_err());
        assert_eq!(PlatformCause(1234).to_string(), "platform cause 1234");
        assert_eq!(PlatformCause::PARKED.to_string(), "parked");
    }
}
