//! Writing RTP packets into caller-owned buffers.

use bytes::BytesMut;

use super::extension::{ExtensionElement, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE};
use super::{FIXED_HEADER_LEN, RtpPacket};
use crate::error::RtpWriteError;
use crate::wire::Cursor;

/// The header extension to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionToWrite<'a> {
    /// RFC 8285 one-byte form: IDs 1..=14, 1..=16 bytes of data each.
    OneByte(&'a [ExtensionElement<'a>]),
    /// RFC 8285 two-byte form: IDs 1..=255, 0..=255 bytes each.
    TwoByte {
        /// The 4 application bits (low nibble of the profile value).
        appbits: u8,
        /// The elements, in order.
        elements: &'a [ExtensionElement<'a>],
    },
    /// RFC 3550 §5.3.1: a profile value and data that is a whole number of
    /// 32-bit words.
    Generic {
        /// The 16-bit "defined by profile" value.
        profile: u16,
        /// The data after the length word.
        data: &'a [u8],
    },
}

impl ExtensionToWrite<'_> {
    /// Validates and returns (profile, data length before word padding).
    #[inline]
    fn check(&self) -> Result<(u16, usize), RtpWriteError> {
        let (profile, len) = match *self {
            ExtensionToWrite::OneByte(elements) => {
                let mut len = 0;
                for e in elements {
                    if !(1..=14).contains(&e.id()) {
                        return Err(RtpWriteError::ExtensionIdOutOfRange {
                            id: e.id(),
                            form: "one-byte",
                        });
                    }
                    if !(1..=16).contains(&e.data().len()) {
                        return Err(RtpWriteError::ExtensionElementLength {
                            id: e.id(),
                            len: e.data().len(),
                            form: "one-byte",
                        });
                    }
                    len += 1 + e.data().len();
                }
                (ONE_BYTE_PROFILE, len)
            }
            ExtensionToWrite::TwoByte { appbits, elements } => {
                if appbits > 0x0f {
                    return Err(RtpWriteError::AppbitsOutOfRange { appbits });
                }
                let mut len = 0;
                for e in elements {
                    if e.id() == 0 {
                        return Err(RtpWriteError::ExtensionIdOutOfRange {
                            id: 0,
                            form: "two-byte",
                        });
                    }
                    if e.data().len() > 255 {
                        return Err(RtpWriteError::ExtensionElementLength {
                            id: e.id(),
                            len: e.data().len(),
                            form: "two-byte",
                        });
                    }
                    len += 2 + e.data().len();
                }
                (TWO_BYTE_PROFILE | u16::from(appbits), len)
            }
            ExtensionToWrite::Generic { profile, data } => {
                if !data.len().is_multiple_of(4) {
                    return Err(RtpWriteError::ExtensionNotWordAligned { len: data.len() });
                }
                (profile, data.len())
            }
        };
        let padded = len.next_multiple_of(4);
        if padded / 4 > usize::from(u16::MAX) {
            return Err(RtpWriteError::ExtensionTooLong { len: padded });
        }
        Ok((profile, len))
    }
}

/// The contributing sources to write: values the caller gives, or the wire
/// bytes of a parsed packet (so [`RtpBuilder::from_packet`] needs no buffer).
#[derive(Clone, Copy, Debug)]
enum CsrcList<'a> {
    Values(&'a [u32]),
    /// A whole number of 4-byte big-endian identifiers.
    Wire(&'a [u8]),
}

impl CsrcList<'_> {
    #[inline]
    fn len(&self) -> usize {
        match self {
            CsrcList::Values(values) => values.len(),
            CsrcList::Wire(bytes) => bytes.len() / 4,
        }
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let (values, wire): (&[u32], &[[u8; 4]]) = match self {
            CsrcList::Values(values) => (values, &[]),
            CsrcList::Wire(bytes) => (&[], bytes.as_chunks::<4>().0),
        };
        values
            .iter()
            .copied()
            .chain(wire.iter().map(|c| u32::from_be_bytes(*c)))
    }
}

impl Default for CsrcList<'_> {
    fn default() -> Self {
        CsrcList::Values(&[])
    }
}

/// Equal when the same identifiers are listed, whichever way they were given.
impl PartialEq for CsrcList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for CsrcList<'_> {}

/// Writes one RTP packet: header fields, CSRCs, a header extension, payload
/// and padding, into a `&mut [u8]` or a `BytesMut`, without allocating.
///
/// # Examples
///
/// ```
/// use call_media::rtp::{ExtensionElement, ExtensionToWrite, RtpBuilder, RtpPacket};
///
/// let audio_level = [ExtensionElement::new(1, &[0x85])];
/// let payload = [0xffu8; 160];
/// let builder = RtpBuilder::new()
///     .payload_type(0)
///     .sequence_number(7)
///     .timestamp(1120)
///     .ssrc(0x1234_5678)
///     .extension(ExtensionToWrite::OneByte(&audio_level))
///     .payload(&payload);
///
/// let mut buf = [0u8; 1500];
/// let len = builder.write(&mut buf)?;
/// let packet = RtpPacket::parse(&buf[..len]).unwrap();
/// assert_eq!(packet.sequence_number(), 7);
/// assert_eq!(packet.extension().unwrap().get(1), Some(&[0x85][..]));
/// assert_eq!(packet.payload(), &payload[..]);
/// # Ok::<(), call_media::error::RtpWriteError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct RtpBuilder<'a> {
    marker: bool,
    payload_type: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: CsrcList<'a>,
    extension: Option<ExtensionToWrite<'a>>,
    payload: &'a [u8],
    padding: u8,
}

impl<'a> RtpBuilder<'a> {
    /// A packet with every field zero, no CSRCs, no extension, no payload.
    #[inline]
    pub const fn new() -> Self {
        RtpBuilder {
            marker: false,
            payload_type: 0,
            sequence_number: 0,
            timestamp: 0,
            ssrc: 0,
            csrcs: CsrcList::Values(&[]),
            extension: None,
            payload: &[],
            padding: 0,
        }
    }

    /// A builder that writes `packet` again: every header field, the CSRCs,
    /// the header extension (as its profile value and data, whatever the
    /// form), the payload and the padding length. Change what you need
    /// before writing: this is how a relay or an SBC rewrites SSRC, sequence
    /// numbers or the payload type of the packets it forwards.
    ///
    /// Written back unchanged, the packet is the same byte for byte, except
    /// that the padding bytes before the count octet come out as zeros (RFC
    /// 3550 leaves their content open).
    ///
    /// ```
    /// use call_media::rtp::{RtpBuilder, RtpPacket};
    ///
    /// let received = [
    ///     0x81, 0x00, 0x00, 0x07, 0, 0, 0x04, 0x60, 0x12, 0x34, 0x56, 0x78, // CC=1
    ///     0xca, 0xfe, 0xf0, 0x0d, // CSRC
    ///     0xd5, 0xd5, // payload
    /// ];
    /// let packet = RtpPacket::parse(&received)?;
    /// let mut out = [0u8; 64];
    /// let len = RtpBuilder::from_packet(&packet).ssrc(0x0bad_cafe).write(&mut out)?;
    /// let forwarded = RtpPacket::parse(&out[..len])?;
    /// assert_eq!(forwarded.ssrc(), 0x0bad_cafe);
    /// assert_eq!(forwarded.csrcs().collect::<Vec<_>>(), [0xcafe_f00d]);
    /// assert_eq!(&out[12..len], &received[12..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn from_packet(packet: &RtpPacket<'a>) -> Self {
        RtpBuilder {
            marker: packet.marker(),
            payload_type: packet.payload_type(),
            sequence_number: packet.sequence_number(),
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
            csrcs: CsrcList::Wire(packet.csrc_bytes()),
            extension: packet.extension().map(|e| ExtensionToWrite::Generic {
                profile: e.profile(),
                data: e.data(),
            }),
            payload: packet.payload(),
            // The count octet is one byte, so a parsed padding fits.
            padding: u8::try_from(packet.padding().len()).unwrap_or(u8::MAX),
        }
    }

    /// Sets the marker bit.
    #[inline]
    pub const fn marker(mut self, marker: bool) -> Self {
        self.marker = marker;
        self
    }

    /// Sets the payload type (0..=127).
    #[inline]
    pub const fn payload_type(mut self, payload_type: u8) -> Self {
        self.payload_type = payload_type;
        self
    }

    /// Sets the sequence number.
    #[inline]
    pub const fn sequence_number(mut self, sequence_number: u16) -> Self {
        self.sequence_number = sequence_number;
        self
    }

    /// Sets the RTP timestamp.
    #[inline]
    pub const fn timestamp(mut self, timestamp: u32) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Sets the synchronization source.
    #[inline]
    pub const fn ssrc(mut self, ssrc: u32) -> Self {
        self.ssrc = ssrc;
        self
    }

    /// Sets the contributing sources (at most 15).
    #[inline]
    pub const fn csrcs(mut self, csrcs: &'a [u32]) -> Self {
        self.csrcs = CsrcList::Values(csrcs);
        self
    }

    /// Sets the header extension.
    #[inline]
    pub const fn extension(mut self, extension: ExtensionToWrite<'a>) -> Self {
        self.extension = Some(extension);
        self
    }

    /// Sets the payload.
    #[inline]
    pub const fn payload(mut self, payload: &'a [u8]) -> Self {
        self.payload = payload;
        self
    }

    /// Sets the number of padding bytes, the count octet included
    /// (RFC 3550 §5.1); 0 means no padding.
    #[inline]
    pub const fn padding(mut self, padding: u8) -> Self {
        self.padding = padding;
        self
    }

    /// The length of the packet on the wire, after checking every field.
    #[inline]
    pub fn wire_len(&self) -> Result<usize, RtpWriteError> {
        self.checked().map(|(len, _)| len)
    }

    #[inline]
    fn checked(&self) -> Result<(usize, Option<(u16, usize)>), RtpWriteError> {
        if self.csrcs.len() > 15 {
            return Err(RtpWriteError::TooManyCsrcs {
                count: self.csrcs.len(),
            });
        }
        if self.payload_type > 127 {
            return Err(RtpWriteError::PayloadTypeOutOfRange {
                payload_type: self.payload_type,
            });
        }
        let ext = self.extension.as_ref().map(|e| e.check()).transpose()?;
        let ext_len = ext.map_or(0, |(_, len)| 4 + len.next_multiple_of(4));
        let len = FIXED_HEADER_LEN
            + 4 * self.csrcs.len()
            + ext_len
            + self.payload.len()
            + usize::from(self.padding);
        Ok((len, ext))
    }

    /// Writes the packet at the start of `buf` and returns its length.
    #[inline]
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, RtpWriteError> {
        if self.csrcs.is_empty() && self.extension.is_none() && self.padding == 0 {
            return self.write_plain(buf);
        }
        let (needed, ext) = self.checked()?;
        if buf.len() < needed {
            return Err(RtpWriteError::BufferTooSmall {
                needed,
                len: buf.len(),
            });
        }
        let overflow = |_| RtpWriteError::BufferTooSmall {
            needed,
            len: needed,
        };
        let b0 = 0x80
            | if self.padding > 0 { 0x20 } else { 0 }
            | if ext.is_some() { 0x10 } else { 0 }
            | self.csrcs.len() as u8;
        let b1 = if self.marker { 0x80 } else { 0 } | self.payload_type;
        let [s0, s1] = self.sequence_number.to_be_bytes();
        let [t0, t1, t2, t3] = self.timestamp.to_be_bytes();
        let [c0, c1, c2, c3] = self.ssrc.to_be_bytes();
        // The fixed header in one store; the rest goes through the cursor.
        let Some((header, _)) = buf.split_first_chunk_mut::<FIXED_HEADER_LEN>() else {
            return Err(overflow(crate::wire::Overflow));
        };
        *header = [b0, b1, s0, s1, t0, t1, t2, t3, c0, c1, c2, c3];
        let mut out = Cursor::at(buf, FIXED_HEADER_LEN);
        match self.csrcs {
            CsrcList::Values(values) => {
                for &csrc in values {
                    out.put_u32(csrc).map_err(overflow)?;
                }
            }
            CsrcList::Wire(bytes) => out.put(bytes).map_err(overflow)?,
        }
        if let (Some(extension), Some((profile, len))) = (self.extension, ext) {
            let padded = len.next_multiple_of(4);
            out.put_u16(profile).map_err(overflow)?;
            out.put_u16((padded / 4) as u16).map_err(overflow)?;
            match extension {
                ExtensionToWrite::OneByte(elements) => {
                    for e in elements {
                        let header = (e.id() << 4) | (e.data().len() as u8 - 1);
                        out.put_u8(header).map_err(overflow)?;
                        out.put(e.data()).map_err(overflow)?;
                    }
                }
                ExtensionToWrite::TwoByte { elements, .. } => {
                    for e in elements {
                        out.put(&[e.id(), e.data().len() as u8]).map_err(overflow)?;
                        out.put(e.data()).map_err(overflow)?;
                    }
                }
                ExtensionToWrite::Generic { data, .. } => out.put(data).map_err(overflow)?,
            }
            // RFC 8285 §4.1: pad the block to a 32-bit boundary with zeros.
            out.put_zeros(padded - len).map_err(overflow)?;
        }
        out.put(self.payload).map_err(overflow)?;
        if self.padding > 0 {
            out.put_zeros(usize::from(self.padding) - 1)
                .map_err(overflow)?;
            out.put_u8(self.padding).map_err(overflow)?;
        }
        Ok(out.pos())
    }

    /// The common case (no CSRCs, extension or padding): header and payload
    /// in two stores.
    #[inline]
    fn write_plain(&self, buf: &mut [u8]) -> Result<usize, RtpWriteError> {
        if self.payload_type > 127 {
            return Err(RtpWriteError::PayloadTypeOutOfRange {
                payload_type: self.payload_type,
            });
        }
        let needed = FIXED_HEADER_LEN + self.payload.len();
        let len = buf.len();
        let Some((header, body)) = buf
            .get_mut(..needed)
            .and_then(|out| out.split_first_chunk_mut::<FIXED_HEADER_LEN>())
        else {
            return Err(RtpWriteError::BufferTooSmall { needed, len });
        };
        let b1 = if self.marker { 0x80 } else { 0 } | self.payload_type;
        let [s0, s1] = self.sequence_number.to_be_bytes();
        let [t0, t1, t2, t3] = self.timestamp.to_be_bytes();
        let [c0, c1, c2, c3] = self.ssrc.to_be_bytes();
        *header = [0x80, b1, s0, s1, t0, t1, t2, t3, c0, c1, c2, c3];
        body.copy_from_slice(self.payload);
        Ok(needed)
    }

    /// Appends the packet to `buf`. Allocates only when `buf` lacks capacity.
    #[inline]
    pub fn write_bytes_mut(&self, buf: &mut BytesMut) -> Result<(), RtpWriteError> {
        let needed = self.wire_len()?;
        let start = buf.len();
        buf.resize(start + needed, 0);
        let written = buf
            .get_mut(start..)
            .map(|tail| self.write(tail))
            .unwrap_or(Err(RtpWriteError::BufferTooSmall { needed, len: 0 }));
        if written.is_err() {
            buf.truncate(start);
        }
        written.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::{ExtensionForm, RtpPacket};

    #[test]
    fn writes_every_part_and_parses_back() {
        let csrcs = [1, 2, 3];
        let elements = [
            ExtensionElement::new(1, &[9]),
            ExtensionElement::new(14, &[1; 16]),
        ];
        let payload = [0xd5; 20];
        let b = RtpBuilder::new()
            .marker(true)
            .payload_type(8)
            .sequence_number(65535)
            .timestamp(u32::MAX)
            .ssrc(0xdead_beef)
            .csrcs(&csrcs)
            .extension(ExtensionToWrite::OneByte(&elements))
            .payload(&payload)
            .padding(3);
        let mut buf = [0u8; 200];
        let len = b.write(&mut buf).unwrap();
        // 12 + 12 + 4 + (2 + 17 -> 20) + 20 + 3
        assert_eq!(len, 71);
        assert_eq!(b.wire_len(), Ok(71));
        let p = RtpPacket::parse(&buf[..len]).unwrap();
        assert!(p.marker());
        assert_eq!(p.payload_type(), 8);
        assert_eq!(p.sequence_number(), 65535);
        assert_eq!(p.timestamp(), u32::MAX);
        assert_eq!(p.csrcs().collect::<Vec<_>>(), csrcs);
        let ext = p.extension().unwrap();
        assert_eq!(ext.form(), ExtensionForm::OneByte);
        let got: Vec<_> = ext.elements().unwrap().map(|e| e.unwrap()).collect();
        assert_eq!(got, elements);
        assert_eq!(p.payload(), &payload);
        assert_eq!(p.padding(), &[0, 0, 3]);
    }

    #[test]
    fn from_packet_writes_the_same_bytes_and_takes_changes() {
        let csrcs = [0x0102_0304, 0xa0b0_c0d0];
        let elements = [
            ExtensionElement::new(7, &[1, 2]),
            ExtensionElement::new(2, &[]),
        ];
        let payload = [0x55; 9];
        let mut original = [0u8; 128];
        let len = RtpBuilder::new()
            .marker(true)
            .payload_type(101)
            .sequence_number(9)
            .timestamp(160)
            .ssrc(0x0a0b_0c0d)
            .csrcs(&csrcs)
            .extension(ExtensionToWrite::TwoByte {
                appbits: 3,
                elements: &elements,
            })
            .payload(&payload)
            .padding(5)
            .write(&mut original)
            .unwrap();
        let original = &original[..len];
        let p = RtpPacket::parse(original).unwrap();

        let again = RtpBuilder::from_packet(&p);
        assert_eq!(again.wire_len(), Ok(len));
        let mut out = [0u8; 128];
        assert_eq!(again.write(&mut out), Ok(len));
        assert_eq!(&out[..len], original);
        // CSRCs given as values or carried as wire bytes compare equal.
        assert_eq!(
            again,
            RtpBuilder::new()
                .marker(true)
                .payload_type(101)
                .sequence_number(9)
                .timestamp(160)
                .ssrc(0x0a0b_0c0d)
                .csrcs(&csrcs)
                .extension(ExtensionToWrite::Generic {
                    profile: 0x1003,
                    data: p.extension().unwrap().data(),
                })
                .payload(&payload)
                .padding(5)
        );

        // A relay's rewrite: new SSRC and sequence number, the rest kept.
        let len = again
            .ssrc(0xfeed_f00d)
            .sequence_number(1000)
            .write(&mut out)
            .unwrap();
        let q = RtpPacket::parse(&out[..len]).unwrap();
        assert_eq!((q.ssrc(), q.sequence_number()), (0xfeed_f00d, 1000));
        assert_eq!(q.csrcs().collect::<Vec<_>>(), csrcs);
        assert_eq!(q.extension(), p.extension());
        assert_eq!((q.payload(), q.padding()), (p.payload(), p.padding()));
    }

    #[test]
    fn two_byte_and_generic_forms() {
        let elements = [
            ExtensionElement::new(200, &[]),
            ExtensionElement::new(3, &[7; 255]),
        ];
        let mut buf = [0u8; 400];
        let len = RtpBuilder::new()
            .extension(ExtensionToWrite::TwoByte {
                appbits: 5,
                elements: &elements,
            })
            .write(&mut buf)
            .unwrap();
        let p = RtpPacket::parse(&buf[..len]).unwrap();
        let ext = p.extension().unwrap();
        assert_eq!(ext.profile(), 0x1005);
        assert_eq!(ext.form(), ExtensionForm::TwoByte { appbits: 5 });
        let got: Vec<_> = ext.elements().unwrap().map(|e| e.unwrap()).collect();
        assert_eq!(got, elements);
        assert!(p.payload().is_empty());

        let len = RtpBuilder::new()
            .extension(ExtensionToWrite::Generic {
                profile: 0xabcd,
                data: &[1, 2, 3, 4],
            })
            .write(&mut buf)
            .unwrap();
        let ext = RtpPacket::parse(&buf[..len]).unwrap().extension().unwrap();
        assert_eq!((ext.profile(), ext.data()), (0xabcd, &[1, 2, 3, 4][..]));
    }

    #[test]
    fn rejects_what_the_wire_cannot_carry() {
        let mut buf = [0u8; 64];
        assert_eq!(
            RtpBuilder::new().payload(&[0; 60]).write(&mut buf),
            Err(RtpWriteError::BufferTooSmall {
                needed: 72,
                len: 64
            })
        );
        assert_eq!(
            RtpBuilder::new().csrcs(&[0; 16]).wire_len(),
            Err(RtpWriteError::TooManyCsrcs { count: 16 })
        );
        assert_eq!(
            RtpBuilder::new().payload_type(128).wire_len(),
            Err(RtpWriteError::PayloadTypeOutOfRange { payload_type: 128 })
        );
        let bad = [ExtensionElement::new(15, &[1])];
        assert_eq!(
            RtpBuilder::new()
                .extension(ExtensionToWrite::OneByte(&bad))
                .wire_len(),
            Err(RtpWriteError::ExtensionIdOutOfRange {
                id: 15,
                form: "one-byte"
            })
        );
        let bad = [ExtensionElement::new(1, &[])];
        assert_eq!(
            RtpBuilder::new()
                .extension(ExtensionToWrite::OneByte(&bad))
                .wire_len(),
            Err(RtpWriteError::ExtensionElementLength {
                id: 1,
                len: 0,
                form: "one-byte"
            })
        );
        assert_eq!(
            RtpBuilder::new()
                .extension(ExtensionToWrite::TwoByte {
                    appbits: 16,
                    elements: &[]
                })
                .wire_len(),
            Err(RtpWriteError::AppbitsOutOfRange { appbits: 16 })
        );
        assert_eq!(
            RtpBuilder::new()
                .extension(ExtensionToWrite::Generic {
                    profile: 1,
                    data: &[1]
                })
                .wire_len(),
            Err(RtpWriteError::ExtensionNotWordAligned { len: 1 })
        );
    }

    #[test]
    fn appends_to_bytes_mut() {
        let mut buf = BytesMut::with_capacity(64);
        RtpBuilder::new()
            .ssrc(5)
            .payload(&[1, 2])
            .write_bytes_mut(&mut buf)
            .unwrap();
        assert_eq!(buf.len(), 14);
        assert_eq!(RtpPacket::parse(&buf).unwrap().ssrc(), 5);
        let before = buf.len();
        assert!(
            RtpBuilder::new()
                .csrcs(&[0; 20])
                .write_bytes_mut(&mut buf)
                .is_err()
        );
        assert_eq!(buf.len(), before);
    }
}
