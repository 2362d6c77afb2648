//! An owned RTP packet over `bytes::Bytes`, for packets that outlive the
//! receive buffer (a jitter buffer, a retransmission cache).

use std::ops::Range;

use bytes::Bytes;

use super::RtpPacket;
use crate::error::RtpError;

/// A validated RTP packet that owns its bytes.
///
/// Built from a received [`Bytes`] without copying: the payload is handed out
/// as a slice of the same buffer ([`OwnedRtpPacket::payload`]).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use call_media::rtp::OwnedRtpPacket;
///
/// let datagram = Bytes::from_static(&[0x80, 0x00, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x7f]);
/// let packet = OwnedRtpPacket::from_bytes(datagram.clone())?;
/// assert_eq!(packet.view().sequence_number(), 9);
/// let payload = packet.payload();
/// assert_eq!(&payload[..], &[0xff, 0x7f]);
/// // Same memory, no copy.
/// assert_eq!(payload.as_ptr(), datagram[12..].as_ptr());
/// # Ok::<(), call_media::error::RtpError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRtpPacket {
    bytes: Bytes,
    payload: Range<usize>,
}

impl OwnedRtpPacket {
    /// Validates `bytes` as one RTP packet (the same checks as
    /// [`RtpPacket::parse`]) and keeps them.
    #[inline]
    pub fn from_bytes(bytes: Bytes) -> Result<Self, RtpError> {
        let payload = RtpPacket::parse(&bytes)?.payload_range();
        Ok(OwnedRtpPacket { bytes, payload })
    }

    /// A borrowed view with every accessor of [`RtpPacket`]; no re-validation.
    #[inline]
    pub fn view(&self) -> RtpPacket<'_> {
        RtpPacket::from_validated(&self.bytes, self.payload.clone())
    }

    /// The payload, sharing this packet's buffer.
    #[inline]
    pub fn payload(&self) -> Bytes {
        self.bytes.slice(self.payload.clone())
    }

    /// The whole packet.
    #[inline]
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Gives the buffer back.
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The sequence number.
    #[inline]
    pub fn sequence_number(&self) -> u16 {
        self.view().sequence_number()
    }

    /// The RTP timestamp.
    #[inline]
    pub fn timestamp(&self) -> u32 {
        self.view().timestamp()
    }

    /// The synchronization source.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        self.view().ssrc()
    }

    /// The payload type.
    #[inline]
    pub fn payload_type(&self) -> u8 {
        self.view().payload_type()
    }

    /// The marker bit.
    #[inline]
    pub fn marker(&self) -> bool {
        self.view().marker()
    }
}

impl TryFrom<Bytes> for OwnedRtpPacket {
    type Error = RtpError;

    #[inline]
    fn try_from(bytes: Bytes) -> Result<Self, RtpError> {
        OwnedRtpPacket::from_bytes(bytes)
    }
}

impl From<RtpPacket<'_>> for OwnedRtpPacket {
    /// Copies a borrowed packet into an owned one (one allocation).
    #[inline]
    fn from(packet: RtpPacket<'_>) -> Self {
        OwnedRtpPacket {
            bytes: Bytes::copy_from_slice(packet.as_bytes()),
            payload: packet.payload_range(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_the_view_rejects() {
        assert_eq!(
            OwnedRtpPacket::from_bytes(Bytes::from_static(&[0x80; 4])),
            Err(RtpError::TooShort { len: 4, needed: 12 })
        );
    }

    #[test]
    fn keeps_fields_and_payload() {
        let raw = [0xa0u8, 0x88, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 7, 8, 0, 2];
        let owned = OwnedRtpPacket::from_bytes(Bytes::copy_from_slice(&raw)).unwrap();
        assert_eq!(&owned.payload()[..], &[7, 8]);
        assert!(owned.marker());
        assert_eq!((owned.payload_type(), owned.sequence_number()), (8, 1));
        assert_eq!((owned.timestamp(), owned.ssrc()), (2, 3));
        let from_view = OwnedRtpPacket::from(RtpPacket::parse(&raw).unwrap());
        assert_eq!(from_view, owned);
        assert_eq!(owned.clone().into_bytes(), &raw[..]);
    }
}
