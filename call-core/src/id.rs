//! Compact identifiers.
//!
//! Ids are small integers chosen by the host (or, for legs, by the call), not
//! strings: a million live calls must fit in memory, and an id is copied into
//! every event. Hosts that name agents and queues with strings keep their own
//! table from name to id.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident($int:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $int);

        impl $name {
            /// The raw value.
            pub const fn get(self) -> $int {
                self.0
            }
        }

        impl From<$int> for $name {
            fn from(value: $int) -> Self {
                $name(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id! {
    /// The root correlation id of a call: one logical interaction from the
    /// first leg to the end of wrap-up, across transfers and requeues.
    CallId(u64), "call-"
}

id! {
    /// A leg within its call, numbered from 0 in creation order. Leg 0 is the
    /// customer: the caller of an inbound call, the called party of an
    /// outbound one. Legs are never removed, so an id stays valid for the life
    /// of the call.
    LegId(u8), "leg-"
}

id! {
    /// An agent, as numbered by the host.
    AgentId(u32), "agent-"
}

id! {
    /// A queue (an ACD split, skill group or workgroup), as numbered by the host.
    QueueId(u32), "queue-"
}

id! {
    /// A parking slot (orbit), as numbered by the host.
    ParkSlot(u16), "park-"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_display_and_serialize_as_numbers() {
        assert_eq!(CallId(7).to_string(), "call-7");
        assert_eq!(LegId(1).to_string(), "leg-1");
        assert_eq!(serde_json::to_string(&AgentId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<QueueId>("3").unwrap(), QueueId(3));
    }
}
