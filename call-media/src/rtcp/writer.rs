//! Writing RTCP packets back to back into a caller-owned buffer.

use super::feedback::{FMT_AFB, FMT_FIR, FMT_NACK, FMT_PLI, FirEntry, NackPair};
use super::report::{REPORT_BLOCK_LEN, ReportBlock, SENDER_INFO_LEN, SenderInfo};
use super::sdes::{SdesItem, SdesItemType};
use super::xr::XrBlockToWrite;
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

    /// Appends a full intra request (RFC 5104 §4.3.1); the media source
    /// field is 0 as the RFC requires.
    pub fn fir(
        &mut self,
        sender_ssrc: u32,
        entries: &[FirEntry],
    ) -> Result<&mut Self, RtcpWriteError> {
        if entries.is_empty() {
            return Err(RtcpWriteError::EmptyFir);
        }
        self.packet(FMT_FIR, PacketType::PSFB, 8 + 8 * entries.len(), |out| {
            out.put_u32(sender_ssrc)?;
            out.put_u32(0)?;
            entries.iter().try_for_each(|e| {
                out.put_u32(e.ssrc)?;
                out.put(&[e.sequence, 0, 0, 0])
            })
        })
    }

    /// Appends a receiver estimated maximum bitrate message
    /// (draft-alvestrand-rmcat-remb-03) for up to 255 sources.
    ///
    /// The bitrate is coded as an 18-bit mantissa and a 6-bit exponent, so it
    /// is rounded down to 18 significant bits.
    pub fn remb(
        &mut self,
        sender_ssrc: u32,
        bitrate: u64,
        ssrcs: &[u32],
    ) -> Result<&mut Self, RtcpWriteError> {
        let count = u8::try_from(ssrcs.len()).map_err(|_| RtcpWriteError::TooManyEntries {
            packet_type: PacketType::PSFB.0,
            count: ssrcs.len(),
        })?;
        // Smallest exponent that fits the mantissa in 18 bits (at most 46 for a u64).
        let exp = (64 - bitrate.leading_zeros()).saturating_sub(18);
        let mantissa = (bitrate >> exp) as u32;
        self.packet(FMT_AFB, PacketType::PSFB, 16 + 4 * ssrcs.len(), |out| {
            out.put_u32(sender_ssrc)?;
            out.put_u32(0)?;
            out.put(b"REMB")?;
            out.put_u8(count)?;
            out.put_u8(((exp as u8) << 2) | ((mantissa >> 16) as u8 & 0x3))?;
            out.put_u16(mantissa as u16)?;
            ssrcs.iter().try_for_each(|s| out.put_u32(*s))
        })
    }

    /// Appends an extended report (RFC 3611) with the given blocks.
    pub fn xr(
        &mut self,
        ssrc: u32,
        blocks: &[XrBlockToWrite<'_>],
    ) -> Result<&mut Self, RtcpWriteError> {
        let mut body = 4;
        for block in blocks {
            let len = block.wire_len();
            if len / 4 - 1 > usize::from(u16::MAX) {
                return Err(RtcpWriteError::PacketTooLong { len });
            }
            body += len;
        }
        self.packet(0, PacketType::XR, body, |out| {
            out.put_u32(ssrc)?;
            for block in blocks {
                let words = (block.wire_len() / 4 - 1) as u16;
                match block {
                    XrBlockToWrite::ReceiverReferenceTime { ntp_timestamp } => {
                        out.put(&[4, 0])?;
                        out.put_u16(words)?;
                        out.put(&ntp_timestamp.to_be_bytes())?;
                    }
                    XrBlockToWrite::Dlrr(items) => {
                        out.put(&[5, 0])?;
                        out.put_u16(words)?;
                        for item in *items {
                            out.put_u32(item.ssrc)?;
                            out.put_u32(item.last_rr)?;
                            out.put_u32(item.delay_since_last_rr)?;
                        }
                    }
                    XrBlockToWrite::StatisticsSummary(summary) => {
                        out.put(&[6, summary.flags()])?;
                        out.put_u16(words)?;
                        out.put(&summary.to_bytes())?;
                    }
                    XrBlockToWrite::VoipMetrics(metrics) => {
                        out.put(&[7, 0])?;
                        out.put_u16(words)?;
                        out.put(&metrics.to_bytes())?;
                    }
                }
            }
            Ok(())
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
    fn fir_remb_and_xr_round_trip() {
        use crate::rtcp::{
            DlrrItem, FirEntry, PayloadFeedbackKind, StatisticsSummary, VoipMetrics, XrBlock,
        };
        let mut buf = [0u8; 256];
        let mut w = CompoundWriter::new(&mut buf);
        let firs = [
            FirEntry {
                ssrc: 5,
                sequence: 7,
            },
            FirEntry {
                ssrc: 6,
                sequence: 255,
            },
        ];
        w.fir(1, &firs).unwrap();
        w.remb(1, 1_500_000, &[5, 6]).unwrap();
        let dlrr = [DlrrItem {
            ssrc: 9,
            last_rr: 10,
            delay_since_last_rr: 11,
        }];
        let summary = StatisticsSummary {
            has_loss: true,
            has_jitter: true,
            ttl_or_hop_limit: 2,
            ssrc: 9,
            begin_sequence: 1,
            end_sequence: 100,
            lost_packets: 3,
            max_jitter: 40,
            dev_ttl_or_hl: 1,
            ..StatisticsSummary::default()
        };
        let metrics = VoipMetrics {
            ssrc: 9,
            loss_rate: 12,
            round_trip_delay: 80,
            signal_level: -20,
            noise_level: -60,
            r_factor: 90,
            mos_lq: 42,
            mos_cq: 41,
            rx_config: 0x50,
            jb_nominal: 40,
            jb_abs_max: 200,
            ..VoipMetrics::default()
        };
        w.xr(
            1,
            &[
                XrBlockToWrite::ReceiverReferenceTime {
                    ntp_timestamp: 0x0102_0304_0506_0708,
                },
                XrBlockToWrite::Dlrr(&dlrr),
                XrBlockToWrite::StatisticsSummary(summary),
                XrBlockToWrite::VoipMetrics(metrics),
            ],
        )
        .unwrap();
        assert!(matches!(w.fir(1, &[]), Err(RtcpWriteError::EmptyFir)));
        let out = w.finish();
        let got: Vec<_> = packets(out).map(Result::unwrap).collect();
        let RtcpPacket::PayloadFeedback(fb) = got[0] else {
            panic!()
        };
        assert_eq!((fb.sender_ssrc(), fb.media_ssrc()), (1, 0));
        let PayloadFeedbackKind::Fir(entries) = fb.kind() else {
            panic!()
        };
        assert_eq!(entries.collect::<Vec<_>>(), firs);
        let RtcpPacket::PayloadFeedback(fb) = got[1] else {
            panic!()
        };
        let PayloadFeedbackKind::Remb(remb) = fb.kind() else {
            panic!()
        };
        // 1_500_000 needs 21 bits: exponent 3, rounded down to a multiple of 8.
        assert_eq!(remb.bitrate(), 1_500_000 / 8 * 8);
        assert_eq!(remb.ssrcs().collect::<Vec<_>>(), vec![5, 6]);
        let RtcpPacket::ExtendedReport(xr) = got[2] else {
            panic!()
        };
        let blocks: Vec<_> = xr.blocks().collect();
        assert!(matches!(
            blocks[0],
            XrBlock::ReceiverReferenceTime {
                ntp_timestamp: 0x0102_0304_0506_0708
            }
        ));
        let XrBlock::Dlrr(items) = blocks[1].clone() else {
            panic!()
        };
        assert_eq!(items.collect::<Vec<_>>(), dlrr);
        assert!(matches!(blocks[2], XrBlock::StatisticsSummary(s) if s == summary));
        assert!(matches!(blocks[3], XrBlock::VoipMetrics(m) if m == metrics));
    }

    #[test]
    fn remb_small_and_huge_bitrates() {
        for bitrate in [0, 1, 0x3_ffff, 0x4_0000, u64::MAX] {
            let mut buf = [0u8; 32];
            let mut w = CompoundWriter::new(&mut buf);
            w.remb(1, bitrate, &[]).unwrap();
            let Some(Ok(RtcpPacket::PayloadFeedback(fb))) = packets(w.finish()).next() else {
                panic!()
            };
            let crate::rtcp::PayloadFeedbackKind::Remb(remb) = fb.kind() else {
                panic!()
            };
            let got = remb.bitrate();
            assert!(
                got <= bitrate && bitrate - got < (bitrate >> 17).max(1),
                "{bitrate} -> {got}"
            );
        }
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
