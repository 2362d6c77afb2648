//! Who is on the other end of a leg.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::AddressError;
use crate::id::AgentId;

/// Longest address kept inline (without a heap allocation).
const INLINE: usize = 22;

/// A dialable address: an E.164 number, an extension or a SIP URI.
///
/// Telephone numbers and extensions (at most 22 bytes) are stored inline, so
/// the common call needs no heap allocation for its parties; longer addresses
/// such as SIP URIs are boxed. The size is 24 bytes either way.
///
/// Limits: at most [`Address::MAX_LEN`] bytes, no control characters.
///
/// # Examples
///
/// ```
/// use call_core::party::Address;
///
/// let ani = Address::new("+4930123456")?;
/// assert_eq!(ani.as_str(), "+4930123456");
/// assert!(Address::new("bad\nvalue").is_err());
/// # Ok::<(), call_core::error::AddressError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Address(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Address {
    /// The longest address accepted, in bytes.
    pub const MAX_LEN: usize = 256;

    /// An address from text, validated.
    pub fn new(text: &str) -> Result<Self, AddressError> {
        if text.len() > Self::MAX_LEN {
            return Err(AddressError::TooLong { len: text.len() });
        }
        if let Some(position) = text.chars().position(char::is_control) {
            return Err(AddressError::ControlCharacter { position });
        }
        if text.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            for (slot, byte) in bytes.iter_mut().zip(text.bytes()) {
                *slot = byte;
            }
            // text.len() <= 22 fits in u8.
            let len = u8::try_from(text.len()).unwrap_or(0);
            Ok(Address(Repr::Inline { len, bytes }))
        } else {
            Ok(Address(Repr::Heap(text.into())))
        }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or(""),
            Repr::Heap(text) => text,
        }
    }

    /// Whether the address is stored without a heap allocation.
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::new(s)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Address::new(&text).map_err(serde::de::Error::custom)
    }
}

/// The party a leg connects to.
///
/// Serialized as `{"agent": 7}` or `{"external": "+4930123456"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Party {
    /// Someone outside the contact center: a customer, a supplier, a number
    /// a call was transferred to.
    External(Address),
    /// One of our agents.
    Agent(AgentId),
}

impl Party {
    /// The agent, if this party is one.
    #[inline]
    pub fn agent(&self) -> Option<AgentId> {
        match self {
            Party::Agent(agent) => Some(*agent),
            Party::External(_) => None,
        }
    }
}

impl From<AgentId> for Party {
    fn from(agent: AgentId) -> Self {
        Party::Agent(agent)
    }
}

impl From<Address> for Party {
    fn from(address: Address) -> Self {
        Party::External(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_addresses_are_inline_and_long_ones_boxed() {
        let short = Address::new("+493012345678901234567").unwrap();
        assert!(short.is_inline());
        assert_eq!(short.as_str(), "+493012345678901234567");
        let long = Address::new("sip:someone@example.invalid;transport=tls").unwrap();
        assert!(!long.is_inline());
        assert_eq!(long.as_str(), "sip:someone@example.invalid;transport=tls");
        assert_eq!(std::mem::size_of::<Address>(), 24);
        assert_eq!(std::mem::size_of::<Party>(), 24);
    }

    #[test]
    fn bad_addresses_are_rejected_with_the_reason() {
        assert_eq!(
            Address::new(&"1".repeat(300)),
            Err(AddressError::TooLong { len: 300 })
        );
        assert_eq!(
            Address::new("12\t3"),
            Err(AddressError::ControlCharacter { position: 2 })
        );
        assert!(serde_json::from_str::<Address>("\"a\\u0000\"").is_err());
    }

    #[test]
    fn party_serializes_with_stable_names() {
        let p = Party::External(Address::new("100").unwrap());
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"external":"100"}"#);
        assert_eq!(
            serde_json::to_string(&Party::Agent(AgentId(7))).unwrap(),
            r#"{"agent":7}"#
        );
    }
}
