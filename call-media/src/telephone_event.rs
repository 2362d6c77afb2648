//! RFC 4733 telephone-event payloads (DTMF and other named events).
//!
//! An event payload is four octets (RFC 4733 §2.3):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! All packets of one event carry the timestamp of its start and a growing
//! duration; the last ones have the E bit set and are usually sent three
//! times (§2.5.1.4).
//!
//! # Examples
//!
//! ```
//! use call_media::telephone_event::{EventCode, TelephoneEvent};
//!
//! let event = TelephoneEvent::parse(&[0x05, 0x8a, 0x03, 0x20])?;
//! assert_eq!(event.event(), EventCode::DIGIT_5);
//! assert_eq!(event.event().dtmf_char(), Some('5'));
//! assert!(event.end());
//! assert_eq!(event.volume(), 10); // -10 dBm0
//! assert_eq!(event.duration(), 800); // timestamp units
//! # Ok::<(), call_media::error::TelephoneEventError>(())
//! ```

use crate::error::TelephoneEventError;

/// Length of one event payload.
pub const EVENT_LEN: usize = 4;

/// An RFC 4733 event code (an open code space: unknown codes survive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventCode(pub u8);

impl EventCode {
    /// DTMF digit 0 (RFC 4733 §3.2, table 7).
    pub const DIGIT_0: EventCode = EventCode(0);
    /// DTMF digit 5.
    pub const DIGIT_5: EventCode = EventCode(5);
    /// DTMF digit 9.
    pub const DIGIT_9: EventCode = EventCode(9);
    /// DTMF `*`.
    pub const STAR: EventCode = EventCode(10);
    /// DTMF `#`.
    pub const POUND: EventCode = EventCode(11);
    /// DTMF `A`.
    pub const A: EventCode = EventCode(12);
    /// DTMF `D`.
    pub const D: EventCode = EventCode(15);
    /// Flash (hook flash).
    pub const FLASH: EventCode = EventCode(16);

    /// The DTMF key for codes 0..=15 (`0`-`9`, `*`, `#`, `A`-`D`).
    pub fn dtmf_char(self) -> Option<char> {
        const KEYS: &[u8; 16] = b"0123456789*#ABCD";
        KEYS.get(usize::from(self.0)).map(|&b| char::from(b))
    }

    /// Whether the code is a DTMF key or flash (the events of RFC 4733 §3.2).
    pub fn is_dtmf(self) -> bool {
        self.0 <= 16
    }
}

/// A validated, borrowed telephone-event payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelephoneEvent {
    bytes: [u8; EVENT_LEN],
}

impl TelephoneEvent {
    /// Parses the first event of an RTP payload. The payload must be at least
    /// four octets; further events (RFC 4733 §2.5.1.5 packs several per
    /// packet) are available through [`TelephoneEvent::iter`].
    pub fn parse(payload: &[u8]) -> Result<Self, TelephoneEventError> {
        match payload.first_chunk::<EVENT_LEN>() {
            Some(bytes) => Ok(TelephoneEvent { bytes: *bytes }),
            None => Err(TelephoneEventError::TooShort { len: payload.len() }),
        }
    }

    /// Iterates over every event in a payload, which must be a whole number
    /// of four-octet events.
    pub fn iter(
        payload: &[u8],
    ) -> Result<impl ExactSizeIterator<Item = TelephoneEvent> + '_, TelephoneEventError> {
        let (chunks, rest) = payload.as_chunks::<EVENT_LEN>();
        if chunks.is_empty() || !rest.is_empty() {
            return Err(TelephoneEventError::BadLength { len: payload.len() });
        }
        Ok(chunks.iter().map(|c| TelephoneEvent { bytes: *c }))
    }

    /// The event code.
    pub fn event(&self) -> EventCode {
        let [event, ..] = self.bytes;
        EventCode(event)
    }

    fn flags(&self) -> u8 {
        let [_, flags, ..] = self.bytes;
        flags
    }

    /// The E bit: this packet ends the event.
    pub fn end(&self) -> bool {
        self.flags() & 0x80 != 0
    }

    /// The R bit (reserved; senders set it to zero).
    pub fn reserved(&self) -> bool {
        self.flags() & 0x40 != 0
    }

    /// The power level in -dBm0 (0..=63); 0 is loudest.
    pub fn volume(&self) -> u8 {
        self.flags() & 0x3f
    }

    /// The duration so far, in timestamp units.
    pub fn duration(&self) -> u16 {
        let [_, _, hi, lo] = self.bytes;
        u16::from_be_bytes([hi, lo])
    }

    /// The four octets.
    pub fn as_bytes(&self) -> &[u8; EVENT_LEN] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4733_fields() {
        // §2.3: event 11 (#), E=1, R=0, volume 63, duration 0xffff.
        let e = TelephoneEvent::parse(&[11, 0xbf, 0xff, 0xff]).unwrap();
        assert_eq!(e.event(), EventCode::POUND);
        assert!(e.end());
        assert!(!e.reserved());
        assert_eq!(e.volume(), 63);
        assert_eq!(e.duration(), 65535);
        let e = TelephoneEvent::parse(&[0, 0x40, 0, 160]).unwrap();
        assert!(!e.end());
        assert!(e.reserved());
        assert_eq!(e.volume(), 0);
        assert_eq!(e.duration(), 160);
    }

    #[test]
    fn dtmf_keys_cover_table_7() {
        let keys: String = (0..16).filter_map(|c| EventCode(c).dtmf_char()).collect();
        assert_eq!(keys, "0123456789*#ABCD");
        assert_eq!(EventCode::FLASH.dtmf_char(), None);
        assert!(EventCode::FLASH.is_dtmf());
        assert!(!EventCode(17).is_dtmf());
        assert_eq!(EventCode::DIGIT_0.dtmf_char(), Some('0'));
        assert_eq!(EventCode::DIGIT_9.dtmf_char(), Some('9'));
        assert_eq!(EventCode::A.dtmf_char(), Some('A'));
        assert_eq!(EventCode::D.dtmf_char(), Some('D'));
        assert_eq!(EventCode::STAR.dtmf_char(), Some('*'));
    }

    #[test]
    fn short_and_ragged_payloads_are_errors() {
        assert_eq!(
            TelephoneEvent::parse(&[1, 2, 3]),
            Err(TelephoneEventError::TooShort { len: 3 })
        );
        assert!(matches!(
            TelephoneEvent::iter(&[1, 2, 3, 4, 5]),
            Err(TelephoneEventError::BadLength { len: 5 })
        ));
        assert!(TelephoneEvent::iter(&[]).is_err());
        let two: Vec<_> = TelephoneEvent::iter(&[1, 0, 0, 1, 2, 0x80, 0, 2])
            .unwrap()
            .collect();
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].event(), EventCode(2));
        assert!(two[1].end());
    }
}
