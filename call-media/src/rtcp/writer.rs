//! Writing RTCP packets back to back into a caller-owned buffer.

use super::feedback::{FMT_NACK, FMT_PLI, NackPair};
use super::report::{REPORT_BLOCK_LEN, ReportBlock, SENDER_INFO_LEN, SenderInfo};
use super::sdes::{SdesItem, SdesItemType};
use super::{HEADER_LEN, PacketType};
use crate::error::RtcpWriteError;
use crate::wire::{Cursor, Overflow};

/// Assembles a compound (or reduced-size) RTCP datagram in `&mut [u8]`.
///
/// Each method appends one packet and checks it fits first: on error the
/// buffer keeps the packets written so far. Nothing allocates.
///
/// # Examples
///
/// ```
/// use call_media::rtcp::{self, CompoundWriter, NackPair, RtcpPacket, TransportFeedbackKind};
///
/// let mut buf = [0u8; 64];
/// let mut writer = CompoundWriter::new(&mut buf);
/// writer.nack(0x1111, 0x2222, &[NackPair { pid: 100, blp: 0b101 }])?;
/// writer.pli(0x1111, 0x2222)?;
/// let datagram = writer.finish();
/// assert_eq!(datagram.len(), 16 + 12);
///
/// let Some(Ok(RtcpPacket::TransportFeedback(fb))) = rtcp::packets(datagram).next() else {
///     panic!("not a NACK")
/// };
/// let TransportFeedbackKind::Nack(pairs) = fb.kind() else { panic!("not a NACK") };
/// let lost: Vec<u16> = pairs.flat_map(NackPair::lost).collect();
/// assert_eq!(lost, [100, 101, 103]);
/// # Ok::<(), call_media::error::RtcpWriteError>(())
/// ```
#[derive(Debug)]
pub struct CompoundWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> CompoundWriter<'b> {
    /// Starts an empty datagram at the start of `buf`.
    #[inline]
    pub fn new(buf: &'b mut [u8]) -> Self {
        CompoundWriter { buf, len: 0 }
    }

    /// Bytes written so far.
    #[inline]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The datagram written so far.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Ends the datagram and returns it.
    #[inline]
    pub fn finish(self) -> &'b [u8] {
        let len = self.len;
        let buf: &'b [u8] = self.buf;
        buf.get(..len).unwrap_or_default()
    }

    /// Reserves `body_len` bytes after a common header and runs `write`
    /// on a cursor positioned after the header.
    #[inline]
    fn packet(
        &mut self,
        count: u8,
        packet_type: PacketType,
        body_len: usize,
        write: impl FnOnce(&mut Cursor<'_>) -> Result<(), Overflow>,
    ) -> Result<&mut Self, RtcpWriteError> {
        // Bodies are padded with zeros to a 32-bit boundary.
        let total = HEADER_LEN + body_len.next_multiple_of(4);
        let words = total / 4 - 1;
        if words > usize::from(u16::MAX) {
            return Err(RtcpWriteError::PacketTooLong { len: total });
        }
        let available = self.buf.len().saturating_sub(self.len);
        if total > available {
            return Err(RtcpWriteError::BufferTooSmall {
                needed: total,
                available,
            });
        }
        let overflow = |_| RtcpWriteError::BufferTooSmall {
            needed: total,
            available,
        };
        let mut out = Cursor::at(self.buf, self.len);
        out.put(&[0x80 | count, packet_type.0]).map_err(overflow)?;
        out.put_u16(words as u16).map_err(overflow)?;
        write(&mut out).map_err(overflow)?;
        let end = self.len + total;
        out.put_zeros(end.saturating_sub(out.pos()))
            .map_err(overflow)?;
        self.len = end;
        Ok(self)
    }

    #[inline]
    fn count(packet_type: PacketType, n: usize) -> Result<u8, RtcpWriteError> {
        u8::try_from(n)
            .ok()
            .filter(|&n| n <= 31)
            .ok_or(RtcpWriteError::TooManyEntries {
                packet_type: packet_type.0,
                count: n,
            })
    }

    /// Appends a sender report (RFC 3550 §6.4.1) with up to 31 blocks.
    #[inline]
    pub fn sender_report(
        &mut self,
        ssrc: u32,
        info: &SenderInfo,
        blocks: &[ReportBlock],
    ) -> Result<&mut Self, RtcpWriteError> {
        let count = Self::count(PacketType::SR, blocks.len())?;
        let body = 4 + SENDER_INFO_LEN + REPORT_BLOCK_LEN * blocks.len();
        self.packet(count, PacketType::SR, body, |out| {
            out.put_u32(ssrc)?;
            out.put(&info.ntp_timestamp.to_be_bytes())?;
            out.put_u32(info.rtp_timestamp)?;
            out.put_u32(info.packet_count)?;
            out.put_u32(info.octet_count)?;
            blocks.iter().try_for_each(|b| out.put(&b.to_bytes()))
        })
    }

    /// Appends a receiver report (RFC 3550 §6.4.2) with up to 31 blocks.
    #[inline]
    pub fn receiver_report(
        &mut self,
        ssrc: u32,
        blocks: &[ReportBlock],
    ) -> Result<&mut Self, RtcpWriteError> {
        let count = Self::count(PacketType::RR, blocks.len())?;
        let body = 4 + REPORT_BLOCK_LEN * blocks.len();
        self.packet(count, PacketType::RR, body, |out| {
            out.put_u32(ssrc)?;
            blocks.iter().try_for_each(|b| out.put(&b.to_bytes()))
        })
    }

    /// Appends an SDES packet (RFC 3550 §6.5): one chunk per (source, items).
    #[inline]
    pub fn sdes(&mut self, chunks: &[(u32, &[SdesItem<'_>])]) -> Result<&mut Self, RtcpWriteError> {
        let count = Self::count(PacketType::SDES, chunks.len())?;
        let mut body = 0;
        for (_, items) in chunks {
            let mut len = 4;
            for item in *items {
                if item.kind == SdesItemType::END {
                    return Err(RtcpWriteError::SdesEndItem);
                }
                if item.value.len() > 255 {
                    return Err(RtcpWriteError::TextTooLong {
                        len: item.value.len(),
                    });
                }
                len += 2 + item.value.len();
            }
            // At least one null octet, then pad the chunk to a word.
            body += (len + 1).next_multiple_of(4);
        }
        self.packet(count, PacketType::SDES, body, |out| {
            for (ssrc, items) in chunks {
                let start = out.pos();
                out.put_u32(*ssrc)?;
                for item in *items {
                    out.put(&[item.kind.0, item.value.len() as u8])?;
                    out.put(item.value)?;
                }
                let len = out.pos() - start;
                out.put_zeros((len + 1).next_multiple_of(4) - len)?;
            }
            Ok(())
        })
    }

    /// Appends a BYE (RFC 3550 §6.6) for up to 31 sources, with an optional
    /// reason of at most 255 bytes.
    #[inline]
    pub fn bye(
        &mut self,
        sources: &[u32],
        reason: Option<&[u8]>,
    ) -> Result<&mut Self, RtcpWriteError> {
        let count = Self::count(PacketType::BYE, sources.len())?;
        let reason_len = match reason {
            Some(r) if r.len() > 255 => return Err(RtcpWriteError::TextTooLong { len: r.len() }),
            Some(r) => 1 + r.len(),
            None => 0,
        };
        self.packet(
            count,
            PacketType::BYE,
            4 * sources.len() + reason_len,
            |out| {
                sources.iter().try_for_each(|s| out.put_u32(*s))?;
                if let Some(r) = reason {
                    out.put_u8(r.len() as u8)?;
                    out.put(r)?;
                }
                Ok(())
            },
        )
    }

    /// Appends an APP packet (RFC 3550 §6.7); `data` must be a whole number
    /// of 32-bit words and `subtype` at most 31.
    #[inline]
    pub fn app(
        &mut self,
        subtype: u8,
        ssrc: u32,
        name: [u8; 4],
        data: &[u8],
    ) -> Result<&mut Self, RtcpWriteError> {
        if subtype > 31 || !data.len().is_multiple_of(4) {
            return Err(RtcpWriteError::BadApp {
                subtype,
                len: data.len(),
            });
        }
        self.packet(subtype, PacketType::APP, 8 + data.len(), |out| {
            out.put_u32(ssrc)?;
            out.put(&name)?;
            out.put(data)
        })
    }

    /// Appends a generic NACK (RFC 4585 §6.2.1). See
    /// [`nack_pairs`](crate::rtcp::nack_pairs) to build the entries from
    /// lost sequence numbers.
    #[inline]
    pub fn nack(
        &mut self,
        sender_ssrc: u32,
        media_ssrc: u32,
        pairs: &[NackPair],
    ) -> Result<&mut Self, RtcpWriteError> {
        if pairs.is_empty() {
            return Err(RtcpWriteError::EmptyNack);
        }
        self.packet(FMT_NACK, PacketType::RTPFB, 8 + 4 * pairs.len(), |out| {
            out.put_u32(sender_ssrc)?;
            out.put_u32(media_ssrc)?;
            pairs.iter().try_for_each(|p| {
                out.put_u16(p.pid)?;
                out.put_u16(p.blp)
            })
        })
    }

    /// Appends a picture loss indication (RFC 4585 §6.3.1).
    #[inline]
    pub fn pli(&mut self, sender_ssrc: u32, media_ssrc: u32) -> Result<&mut Self, RtcpWriteError> {
        self.packet(FMT_PLI, PacketType::PSFB, 8, |out| {
            out.put_u32(sender_ssrc)?;
            out.put_u32(media_ssrc)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{RtcpPacket, packets};

    #[test]
    fn receiver_report_round_trips() {
        let blocks = [
            ReportBlock {
                ssrc: 1,
                fraction_lost: 2,
                cumulative_lost: -3,
                extended_highest_sequence: 4,
                jitter: 5,
                last_sr: 6,
                delay_since_last_sr: 7,
            },
            ReportBlock {
                ssrc: 8,
                ..Default::default()
            },
        ];
        let mut buf = [0u8; 128];
        let mut w = CompoundWriter::new(&mut buf);
        w.receiver_report(0xabc, &blocks).unwrap();
        assert_eq!(w.len(), 8 + 48);
        let out = w.finish();
        assert_eq!(&out[..4], &[0x82, 201, 0, 13]);
        let Some(Ok(RtcpPacket::ReceiverReport(rr))) = packets(out).next() else {
            panic!()
        };
        assert_eq!(rr.ssrc(), 0xabc);
        assert_eq!(rr.report_blocks().collect::<Vec<_>>(), blocks);
    }

    #[test]
    fn sdes_chunks_are_null_terminated_and_word_aligned() {
        let mut buf = [0u8; 64];
        let mut w = CompoundWriter::new(&mut buf);
        // CNAME "ab": 4 + 2 + 2 = 8 bytes, +1 null -> 12.
        w.sdes(&[(7, &[SdesItem::cname(b"ab")])]).unwrap();
        assert_eq!(
            w.as_bytes(),
            &[0x81, 202, 0, 3, 0, 0, 0, 7, 1, 2, b'a', b'b', 0, 0, 0, 0]
        );
    }

    #[test]
    fn bye_and_app_round_trip() {
        let mut buf = [0u8; 64];
        let mut w = CompoundWriter::new(&mut buf);
        w.bye(&[1, 2], Some(b"done"))
            .unwrap()
            .app(3, 9, *b"TEST", &[1, 2, 3, 4])
            .unwrap();
        let out = w.finish();
        let got: Vec<_> = packets(out).map(Result::unwrap).collect();
        let RtcpPacket::Goodbye(bye) = got[0] else {
            panic!()
        };
        assert_eq!(bye.sources().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(bye.reason(), Some(&b"done"[..]));
        let RtcpPacket::App(app) = got[1] else {
            panic!()
        };
        assert_eq!(
            (app.subtype(), app.ssrc(), app.name(), app.data()),
            (3, 9, *b"TEST", &[1, 2, 3, 4][..])
        );
    }

    #[test]
    fn limits_are_typed_errors_and_keep_what_was_written() {
        let mut buf = [0u8; 40];
        let mut w = CompoundWriter::new(&mut buf);
        w.pli(1, 2).unwrap();
        assert!(matches!(
            w.receiver_report(1, &[ReportBlock::default(); 2]),
            Err(RtcpWriteError::BufferTooSmall {
                needed: 56,
                available: 28
            })
        ));
        assert_eq!(w.len(), 12);
        assert!(matches!(
            w.receiver_report(1, &[ReportBlock::default(); 32]),
            Err(RtcpWriteError::TooManyEntries {
                packet_type: 201,
                count: 32
            })
        ));
        assert!(matches!(
            w.bye(&[], Some(&[0; 256])),
            Err(RtcpWriteError::TextTooLong { len: 256 })
        ));
        assert!(matches!(
            w.app(32, 0, *b"ABCD", &[]),
            Err(RtcpWriteError::BadApp { .. })
        ));
        assert!(matches!(
            w.sdes(&[(
                1,
                &[SdesItem {
                    kind: SdesItemType::END,
                    value: b""
                }]
            )]),
            Err(RtcpWriteError::SdesEndItem)
        ));
        assert!(matches!(w.nack(1, 2, &[]), Err(RtcpWriteError::EmptyNack)));
    }
}
