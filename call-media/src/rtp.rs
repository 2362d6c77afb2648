//! RTP packets (RFC 3550 §5.1): a borrowed, validate-once view
//! ([`RtpPacket`]), header extensions in the RFC 3550 and RFC 8285 forms
//! ([`HeaderExtension`]), a writer ([`RtpBuilder`]) and an owned packet over
//! `bytes::Bytes` ([`OwnedRtpPacket`]).

mod builder;
mod extension;
mod owned;

use std::ops::Range;

pub use builder::{ExtensionToWrite, RtpBuilder};
pub use extension::{
    ExtensionElement, ExtensionElements, ExtensionForm, HeaderExtension, ONE_BYTE_PROFILE,
    TWO_BYTE_PROFILE,
};
pub use owned::OwnedRtpPacket;

use crate::error::RtpError;

/// Length of the fixed RTP header.
pub const FIXED_HEADER_LEN: usize = 12;

/// A validated, borrowed view of one RTP packet.
///
/// [`RtpPacket::parse`] checks the buffer once (version, CSRC list, header
/// extension and padding all fit); the accessors then read fields directly
/// from the buffer and never allocate.
///
/// # Examples
///
/// ```
/// use call_media::rtp::RtpPacket;
///
/// let bytes = [
///     0x80, 0x00, 0x00, 0x01, // V=2, PT=0 (PCMU), seq 1
///     0x00, 0x00, 0x00, 0xa0, // timestamp 160
///     0x12, 0x34, 0x56, 0x78, // SSRC
///     0xff, 0xff,             // payload
/// ];
/// let packet = RtpPacket::parse(&bytes)?;
/// assert_eq!(packet.sequence_number(), 1);
/// assert_eq!(packet.timestamp(), 160);
/// assert_eq!(packet.ssrc(), 0x1234_5678);
/// assert_eq!(packet.payload(), &[0xff, 0xff]);
/// # Ok::<(), call_media::error::RtpError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    header: &'a [u8; FIXED_HEADER_LEN],
    buf: &'a [u8],
    /// The header extension (profile value and the data after its length
    /// word), kept from validation so the accessor checks nothing again.
    extension: Option<HeaderExtension<'a>>,
    payload: &'a [u8],
    /// Where the payload starts in `buf` (the header length).
    payload_start: usize,
}

impl<'a> RtpPacket<'a> {
    /// Validates `buf` as one RTP packet.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        let len = buf.len();
        let Some(header) = buf.first_chunk::<FIXED_HEADER_LEN>() else {
            return Err(RtpError::TooShort {
                len,
                needed: FIXED_HEADER_LEN,
            });
        };
        let [b0, ..] = *header;
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion { version });
        }
        let csrc_count = b0 & 0x0f;
        let csrc_len = 4 * usize::from(csrc_count);
        let mut header_len = FIXED_HEADER_LEN + csrc_len;
        // `rest` walks forward through the packet, one checked split per part.
        let Some(mut rest) = buf.get(header_len..) else {
            return Err(RtpError::CsrcOverrun { csrc_count, len });
        };
        let mut extension = None;
        if b0 & 0x10 != 0 {
            let Some((&[p0, p1, hi, lo], after)) = rest.split_first_chunk::<4>() else {
                return Err(RtpError::ExtensionOverrun {
                    needed: header_len + 4,
                    len,
                });
            };
            let ext_len = 4 * usize::from(u16::from_be_bytes([hi, lo]));
            header_len += 4 + ext_len;
            let Some((data, after)) = after.split_at_checked(ext_len) else {
                return Err(RtpError::ExtensionOverrun {
                    needed: header_len,
                    len,
                });
            };
            extension = Some(HeaderExtension::new(u16::from_be_bytes([p0, p1]), data));
            rest = after;
        }
        let mut payload = rest;
        if b0 & 0x20 != 0 {
            // RFC 3550 §5.1: the last octet counts the padding, itself included.
            let count = buf.last().copied().unwrap_or(0);
            if count == 0 {
                return Err(RtpError::ZeroPadding);
            }
            let available = payload.len();
            let Some(unpadded) = available
                .checked_sub(usize::from(count))
                .and_then(|end| payload.get(..end))
            else {
                return Err(RtpError::PaddingOverrun { count, available });
            };
            payload = unpadded;
        }
        Ok(RtpPacket {
            header,
            buf,
            extension,
            payload,
            payload_start: header_len,
        })
    }

    /// Rebuilds a view of a packet [`RtpPacket::parse`] accepted before.
    #[inline]
    pub(crate) fn from_validated(buf: &'a [u8], payload: Range<usize>) -> Self {
        // A validated packet always has its fixed header; the fallback is
        // never taken.
        const EMPTY: [u8; FIXED_HEADER_LEN] = [0; FIXED_HEADER_LEN];
        let header = buf.first_chunk().unwrap_or(&EMPTY);
        let extension = match header[0] & 0x10 {
            0 => None,
            _ => {
                let at = FIXED_HEADER_LEN + 4 * usize::from(header[0] & 0x0f);
                buf.get(at..payload.start)
                    .and_then(|b| b.split_first_chunk::<4>())
                    .map(|(&[p0, p1, _, _], data)| {
                        HeaderExtension::new(u16::from_be_bytes([p0, p1]), data)
                    })
            }
        };
        RtpPacket {
            header,
            buf,
            extension,
            payload: buf.get(payload.clone()).unwrap_or_default(),
            payload_start: payload.start,
        }
    }

    #[inline]
    pub(crate) fn payload_range(&self) -> Range<usize> {
        self.payload_start..self.payload_start + self.payload.len()
    }

    /// The whole packet.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The RTP version (always 2 after parsing).
    #[inline]
    pub fn version(&self) -> u8 {
        self.header[0] >> 6
    }

    /// Whether the padding bit is set.
    #[inline]
    pub fn has_padding(&self) -> bool {
        self.header[0] & 0x20 != 0
    }

    /// Whether the header-extension bit is set.
    #[inline]
    pub fn has_extension(&self) -> bool {
        self.header[0] & 0x10 != 0
    }

    /// The number of contributing sources (0..=15).
    #[inline]
    pub fn csrc_count(&self) -> u8 {
        self.header[0] & 0x0f
    }

    /// The marker bit.
    #[inline]
    pub fn marker(&self) -> bool {
        self.header[1] & 0x80 != 0
    }

    /// The payload type (0..=127).
    #[inline]
    pub fn payload_type(&self) -> u8 {
        self.header[1] & 0x7f
    }

    /// The sequence number.
    #[inline]
    pub fn sequence_number(&self) -> u16 {
        let [.., s0, s1, _, _, _, _, _, _, _, _] = *self.header;
        u16::from_be_bytes([s0, s1])
    }

    /// The RTP timestamp.
    #[inline]
    pub fn timestamp(&self) -> u32 {
        let [.., t0, t1, t2, t3, _, _, _, _] = *self.header;
        u32::from_be_bytes([t0, t1, t2, t3])
    }

    /// The synchronization source.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        let [.., c0, c1, c2, c3] = *self.header;
        u32::from_be_bytes([c0, c1, c2, c3])
    }

    /// The contributing sources, in order.
    #[inline]
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.csrc_bytes()
            .as_chunks::<4>()
            .0
            .iter()
            .map(|c| u32::from_be_bytes(*c))
    }

    /// The CSRC list as it is on the wire (4 bytes per identifier).
    #[inline]
    pub(crate) fn csrc_bytes(&self) -> &'a [u8] {
        let end = FIXED_HEADER_LEN + 4 * usize::from(self.csrc_count());
        self.buf.get(FIXED_HEADER_LEN..end).unwrap_or_default()
    }

    /// The header extension, if the X bit is set.
    ///
    /// A packet may carry an extension and an empty payload.
    #[inline]
    pub fn extension(&self) -> Option<HeaderExtension<'a>> {
        self.extension
    }

    /// The payload, without header, extension or padding.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The padding bytes, including the final count octet (empty without padding).
    #[inline]
    pub fn padding(&self) -> &'a [u8] {
        self.buf
            .get(self.payload_start + self.payload.len()..)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(b0: u8) -> Vec<u8> {
        vec![b0, 0x60, 0xff, 0xff, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]
    }

    #[test]
    fn parses_csrcs_extension_and_padding() {
        let mut p = header(0x80 | 0x20 | 0x10 | 2);
        p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // two CSRCs
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]); // extension, one word
        p.extend_from_slice(&[1, 2, 3]); // payload
        p.extend_from_slice(&[0, 2]); // two bytes of padding
        let packet = RtpPacket::parse(&p).unwrap();
        assert_eq!(packet.csrcs().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(packet.payload(), &[1, 2, 3]);
        assert_eq!(packet.padding(), &[0, 2]);
        assert_eq!(packet.payload_type(), 96);
        assert_eq!(packet.sequence_number(), 0xffff);
    }

    #[test]
    fn extension_only_packet_is_valid() {
        let mut p = header(0x90);
        p.extend_from_slice(&[0xbe, 0xde, 0, 0]);
        let packet = RtpPacket::parse(&p).unwrap();
        assert_eq!(packet.payload(), &[] as &[u8]);
        let ext = packet.extension().unwrap();
        assert_eq!((ext.profile(), ext.data()), (0xbede, &[] as &[u8]));
        assert_eq!(ext.elements().unwrap().count(), 0);
    }

    #[test]
    fn rfc3550_5_1_padding_may_take_everything_after_the_header() {
        let mut p = header(0xa0);
        p.extend_from_slice(&[0, 0, 0, 4]);
        let packet = RtpPacket::parse(&p).unwrap();
        assert!(packet.payload().is_empty());
        assert_eq!(packet.padding(), &[0, 0, 0, 4]);
        // One more byte of padding than there is: an error naming both.
        p[15] = 5;
        assert_eq!(
            RtpPacket::parse(&p),
            Err(RtpError::PaddingOverrun {
                count: 5,
                available: 4
            })
        );
    }

    #[test]
    fn rfc3550_5_3_1_extension_follows_the_csrcs() {
        let mut p = header(0x91);
        p.extend_from_slice(&[0, 0, 0, 9]); // CSRC
        p.extend_from_slice(&[0x12, 0x34, 0, 1, 1, 2, 3, 4]); // generic, one word
        p.push(0x55);
        let packet = RtpPacket::parse(&p).unwrap();
        assert_eq!(packet.csrcs().collect::<Vec<_>>(), vec![9]);
        let ext = packet.extension().unwrap();
        assert_eq!((ext.profile(), ext.data()), (0x1234, &[1, 2, 3, 4][..]));
        assert_eq!(ext.form(), ExtensionForm::Generic);
        assert_eq!(packet.payload(), &[0x55]);
        // The extension header itself cut short.
        assert_eq!(
            RtpPacket::parse(&p[..18]),
            Err(RtpError::ExtensionOverrun {
                needed: 20,
                len: 18
            })
        );
    }

    #[test]
    fn rejects_bad_input_with_typed_errors() {
        assert_eq!(
            RtpPacket::parse(&[]),
            Err(RtpError::TooShort { len: 0, needed: 12 })
        );
        assert_eq!(
            RtpPacket::parse(&header(0x40)),
            Err(RtpError::BadVersion { version: 1 })
        );
        assert_eq!(
            RtpPacket::parse(&header(0x81)),
            Err(RtpError::CsrcOverrun {
                csrc_count: 1,
                len: 12
            })
        );
        let mut p = header(0x90);
        p.extend_from_slice(&[0xbe, 0xde, 0, 1]);
        assert_eq!(
            RtpPacket::parse(&p),
            Err(RtpError::ExtensionOverrun {
                needed: 20,
                len: 16
            })
        );
        let mut p = header(0xa0);
        p.push(0);
        assert_eq!(RtpPacket::parse(&p), Err(RtpError::ZeroPadding));
        let mut p = header(0xa0);
        p.push(5);
        assert_eq!(
            RtpPacket::parse(&p),
            Err(RtpError::PaddingOverrun {
                count: 5,
                available: 1
            })
        );
    }
}
