//! Extended reports (RFC 3611, packet type 207) with all seven standard
//! report block types.

use crate::error::RtcpErrorKind;
use crate::wire::{u8_at, u16_at, u32_at, u64_at};

/// An XR block type: an open code space (RFC 3611 §4, IANA registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct XrBlockType(pub u8);

impl XrBlockType {
    /// Loss RLE report block (§4.1).
    pub const LOSS_RLE: Self = Self(1);
    /// Duplicate RLE report block (§4.2).
    pub const DUPLICATE_RLE: Self = Self(2);
    /// Packet receipt times report block (§4.3).
    pub const PACKET_RECEIPT_TIMES: Self = Self(3);
    /// Receiver reference time report block (§4.4).
    pub const RECEIVER_REFERENCE_TIME: Self = Self(4);
    /// DLRR report block (§4.5).
    pub const DLRR: Self = Self(5);
    /// Statistics summary report block (§4.6).
    pub const STATISTICS_SUMMARY: Self = Self(6);
    /// VoIP metrics report block (§4.7).
    pub const VOIP_METRICS: Self = Self(7);
}

/// An XR packet, borrowed; its blocks are validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtendedReport<'a> {
    body: &'a [u8],
}

/// Required block content length in bytes, for the fixed-size types.
#[inline]
fn fixed_len(block_type: u8) -> Option<usize> {
    match block_type {
        4 => Some(8),
        6 => Some(36),
        7 => Some(32),
        _ => None,
    }
}

#[inline]
pub(crate) fn parse(body: &[u8]) -> Result<ExtendedReport<'_>, RtcpErrorKind> {
    if body.len() < 4 {
        return Err(RtcpErrorKind::Truncated {
            packet_type: 207,
            needed: 4,
            len: body.len(),
        });
    }
    let mut at = 4;
    while at < body.len() {
        let block_type = u8_at(body, at);
        let bad = RtcpErrorKind::BadXrBlock { block_type, at };
        if at + 4 > body.len() {
            return Err(bad);
        }
        let len = 4 * usize::from(u16_at(body, at + 2));
        let content = body.get(at + 4..at + 4 + len).ok_or(bad)?;
        let ok = match block_type {
            1..=3 => content.len() >= 8,
            5 => content.len().is_multiple_of(12),
            t => fixed_len(t).is_none_or(|n| content.len() == n),
        };
        if !ok {
            return Err(bad);
        }
        at += 4 + len;
    }
    Ok(ExtendedReport { body })
}

impl<'a> ExtendedReport<'a> {
    /// SSRC of the packet sender.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }

    /// The report blocks.
    #[inline]
    pub fn blocks(&self) -> XrBlocks<'a> {
        XrBlocks {
            body: self.body,
            at: 4,
        }
    }
}

/// Iterator over XR report blocks.
#[derive(Clone, Debug)]
pub struct XrBlocks<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Iterator for XrBlocks<'a> {
    type Item = XrBlock<'a>;

    #[inline]
    fn next(&mut self) -> Option<XrBlock<'a>> {
        let at = self.at;
        let len = 4 * usize::from(u16_at(self.body, at + 2));
        let content = self.body.get(at + 4..at + 4 + len)?;
        let block_type = u8_at(self.body, at);
        let type_specific = u8_at(self.body, at + 1);
        self.at = at + 4 + len;
        let rle = || RleReport {
            thinning: type_specific & 0x0f,
            content,
        };
        Some(match block_type {
            1 => XrBlock::LossRle(rle()),
            2 => XrBlock::DuplicateRle(rle()),
            3 => XrBlock::PacketReceiptTimes(PacketReceiptTimes {
                thinning: type_specific & 0x0f,
                content,
            }),
            4 => XrBlock::ReceiverReferenceTime {
                ntp_timestamp: u64_at(content, 0),
            },
            5 => XrBlock::Dlrr(DlrrItems {
                items: content.chunks_exact(12),
            }),
            6 => XrBlock::StatisticsSummary(StatisticsSummary::read(type_specific, content)),
            7 => XrBlock::VoipMetrics(VoipMetrics::read(content)),
            _ => XrBlock::Unknown {
                block_type: XrBlockType(block_type),
                type_specific,
                content,
            },
        })
    }
}

/// One XR report block.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum XrBlock<'a> {
    /// Loss RLE (§4.1): run-length chunks of received/lost packets.
    LossRle(RleReport<'a>),
    /// Duplicate RLE (§4.2): run-length chunks of duplicated packets.
    DuplicateRle(RleReport<'a>),
    /// Packet receipt times (§4.3).
    PacketReceiptTimes(PacketReceiptTimes<'a>),
    /// Receiver reference time (§4.4): a receiver's NTP timestamp.
    ReceiverReferenceTime {
        /// The 64-bit NTP timestamp.
        ntp_timestamp: u64,
    },
    /// DLRR (§4.5): replies to receiver reference times.
    Dlrr(DlrrItems<'a>),
    /// Statistics summary (§4.6).
    StatisticsSummary(StatisticsSummary),
    /// VoIP metrics (§4.7).
    VoipMetrics(VoipMetrics),
    /// A block type this library does not decode.
    Unknown {
        /// The block type.
        block_type: XrBlockType,
        /// The type-specific byte.
        type_specific: u8,
        /// The block contents after its 4-byte header.
        content: &'a [u8],
    },
}

/// A Loss RLE or Duplicate RLE report block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RleReport<'a> {
    thinning: u8,
    content: &'a [u8],
}

impl<'a> RleReport<'a> {
    /// Thinning (T): every 2^T-th sequence number is reported.
    #[inline]
    pub const fn thinning(&self) -> u8 {
        self.thinning
    }

    /// The source reported on.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.content, 0)
    }

    /// First sequence number covered.
    #[inline]
    pub fn begin_sequence(&self) -> u16 {
        u16_at(self.content, 4)
    }

    /// One past the last sequence number covered.
    #[inline]
    pub fn end_sequence(&self) -> u16 {
        u16_at(self.content, 6)
    }

    /// The chunks, null chunks (padding) included.
    #[inline]
    pub fn chunks(&self) -> impl Iterator<Item = RleChunk> + 'a {
        self.content
            .get(8..)
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|c| RleChunk::from_raw(u16_at(c, 0)))
    }
}

/// One 16-bit chunk of an RLE report (RFC 3611 §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RleChunk {
    /// A run of `length` packets, all received (`true`) or all lost/not
    /// duplicated (`false`).
    RunLength {
        /// The run type bit.
        run_of_ones: bool,
        /// Run length, 1..=16383.
        length: u16,
    },
    /// A 15-bit vector, most significant bit first.
    BitVector(u16),
    /// The null chunk (all zeros): padding.
    Null,
}

impl RleChunk {
    #[inline]
    fn from_raw(raw: u16) -> Self {
        if raw == 0 {
            RleChunk::Null
        } else if raw & 0x8000 != 0 {
            RleChunk::BitVector(raw & 0x7fff)
        } else {
            RleChunk::RunLength {
                run_of_ones: raw & 0x4000 != 0,
                length: raw & 0x3fff,
            }
        }
    }
}

/// A packet receipt times report block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketReceiptTimes<'a> {
    thinning: u8,
    content: &'a [u8],
}

impl<'a> PacketReceiptTimes<'a> {
    /// Thinning (T).
    #[inline]
    pub const fn thinning(&self) -> u8 {
        self.thinning
    }

    /// The source reported on.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.content, 0)
    }

    /// First sequence number covered.
    #[inline]
    pub fn begin_sequence(&self) -> u16 {
        u16_at(self.content, 4)
    }

    /// One past the last sequence number covered.
    #[inline]
    pub fn end_sequence(&self) -> u16 {
        u16_at(self.content, 6)
    }

    /// Receipt times in RTP timestamp units, one per reported packet.
    #[inline]
    pub fn receipt_times(&self) -> impl Iterator<Item = u32> + 'a {
        self.content
            .get(8..)
            .unwrap_or_default()
            .chunks_exact(4)
            .map(|c| u32_at(c, 0))
    }
}

/// One DLRR sub-block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DlrrItem {
    /// The receiver this replies to.
    pub ssrc: u32,
    /// Middle 32 bits of its last receiver reference time (LRR).
    pub last_rr: u32,
    /// Delay since that report in 1/65536 s (DLRR).
    pub delay_since_last_rr: u32,
}

/// Iterator over DLRR sub-blocks.
#[derive(Clone, Debug)]
pub struct DlrrItems<'a> {
    items: std::slice::ChunksExact<'a, u8>,
}

impl Iterator for DlrrItems<'_> {
    type Item = DlrrItem;

    #[inline]
    fn next(&mut self) -> Option<DlrrItem> {
        self.items.next().map(|c| DlrrItem {
            ssrc: u32_at(c, 0),
            last_rr: u32_at(c, 4),
            delay_since_last_rr: u32_at(c, 8),
        })
    }
}

/// A statistics summary report block (RFC 3611 §4.6), as plain data.
///
/// The flags say which fields the sender filled in; the others are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StatisticsSummary {
    /// L flag: loss report fields valid.
    pub has_loss: bool,
    /// D flag: duplicate report fields valid.
    pub has_duplicates: bool,
    /// J flag: jitter fields valid.
    pub has_jitter: bool,
    /// ToH field: 0 none, 1 IPv4 TTL, 2 IPv6 hop limit.
    pub ttl_or_hop_limit: u8,
    /// The source reported on.
    pub ssrc: u32,
    /// First sequence number covered.
    pub begin_sequence: u16,
    /// One past the last sequence number covered.
    pub end_sequence: u16,
    /// Packets lost in the interval.
    pub lost_packets: u32,
    /// Packets duplicated in the interval.
    pub duplicate_packets: u32,
    /// Minimum jitter, in timestamp units.
    pub min_jitter: u32,
    /// Maximum jitter.
    pub max_jitter: u32,
    /// Mean jitter.
    pub mean_jitter: u32,
    /// Standard deviation of jitter.
    pub dev_jitter: u32,
    /// Minimum TTL or hop limit.
    pub min_ttl_or_hl: u8,
    /// Maximum TTL or hop limit.
    pub max_ttl_or_hl: u8,
    /// Mean TTL or hop limit.
    pub mean_ttl_or_hl: u8,
    /// Standard deviation of TTL or hop limit.
    pub dev_ttl_or_hl: u8,
}

impl StatisticsSummary {
    /// The type-specific byte (L, D, J flags and ToH).
    pub(crate) fn flags(&self) -> u8 {
        (u8::from(self.has_loss) << 7)
            | (u8::from(self.has_duplicates) << 6)
            | (u8::from(self.has_jitter) << 5)
            | ((self.ttl_or_hop_limit & 0x3) << 3)
    }

    /// The 36-byte block content in wire order.
    pub(crate) fn to_bytes(self) -> [u8; 36] {
        let mut out = [0u8; 36];
        let words = [
            self.ssrc,
            (u32::from(self.begin_sequence) << 16) | u32::from(self.end_sequence),
            self.lost_packets,
            self.duplicate_packets,
            self.min_jitter,
            self.max_jitter,
            self.mean_jitter,
            self.dev_jitter,
            u32::from_be_bytes([
                self.min_ttl_or_hl,
                self.max_ttl_or_hl,
                self.mean_ttl_or_hl,
                self.dev_ttl_or_hl,
            ]),
        ];
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    #[inline]
    fn read(flags: u8, c: &[u8]) -> Self {
        StatisticsSummary {
            has_loss: flags & 0x80 != 0,
            has_duplicates: flags & 0x40 != 0,
            has_jitter: flags & 0x20 != 0,
            ttl_or_hop_limit: (flags >> 3) & 0x3,
            ssrc: u32_at(c, 0),
            begin_sequence: u16_at(c, 4),
            end_sequence: u16_at(c, 6),
            lost_packets: u32_at(c, 8),
            duplicate_packets: u32_at(c, 12),
            min_jitter: u32_at(c, 16),
            max_jitter: u32_at(c, 20),
            mean_jitter: u32_at(c, 24),
            dev_jitter: u32_at(c, 28),
            min_ttl_or_hl: u8_at(c, 32),
            max_ttl_or_hl: u8_at(c, 33),
            mean_ttl_or_hl: u8_at(c, 34),
            dev_ttl_or_hl: u8_at(c, 35),
        }
    }
}

/// A VoIP metrics report block (RFC 3611 §4.7), as plain data in wire units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VoipMetrics {
    /// The source reported on.
    pub ssrc: u32,
    /// Loss rate, fraction in 1/256.
    pub loss_rate: u8,
    /// Discard rate, fraction in 1/256.
    pub discard_rate: u8,
    /// Burst density, fraction in 1/256.
    pub burst_density: u8,
    /// Gap density, fraction in 1/256.
    pub gap_density: u8,
    /// Mean burst duration, ms.
    pub burst_duration: u16,
    /// Mean gap duration, ms.
    pub gap_duration: u16,
    /// Round trip delay, ms.
    pub round_trip_delay: u16,
    /// End system delay, ms.
    pub end_system_delay: u16,
    /// Signal level, dBm (signed; 127 = unavailable).
    pub signal_level: i8,
    /// Noise level, dBm (signed; 127 = unavailable).
    pub noise_level: i8,
    /// Residual echo return loss, dB.
    pub rerl: u8,
    /// Gap threshold.
    pub gmin: u8,
    /// R factor (127 = unavailable).
    pub r_factor: u8,
    /// External R factor (127 = unavailable).
    pub ext_r_factor: u8,
    /// MOS-LQ × 10 (127 = unavailable).
    pub mos_lq: u8,
    /// MOS-CQ × 10 (127 = unavailable).
    pub mos_cq: u8,
    /// Receiver configuration byte (PLC, JBA, JB rate).
    pub rx_config: u8,
    /// Jitter buffer nominal delay, ms.
    pub jb_nominal: u16,
    /// Jitter buffer maximum delay, ms.
    pub jb_maximum: u16,
    /// Jitter buffer absolute maximum delay, ms.
    pub jb_abs_max: u16,
}

impl VoipMetrics {
    /// The 32-byte block content in wire order.
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let words = [
            self.ssrc,
            u32::from_be_bytes([
                self.loss_rate,
                self.discard_rate,
                self.burst_density,
                self.gap_density,
            ]),
            (u32::from(self.burst_duration) << 16) | u32::from(self.gap_duration),
            (u32::from(self.round_trip_delay) << 16) | u32::from(self.end_system_delay),
            u32::from_be_bytes([
                self.signal_level as u8,
                self.noise_level as u8,
                self.rerl,
                self.gmin,
            ]),
            u32::from_be_bytes([self.r_factor, self.ext_r_factor, self.mos_lq, self.mos_cq]),
            (u32::from(self.rx_config) << 24) | u32::from(self.jb_nominal),
            (u32::from(self.jb_maximum) << 16) | u32::from(self.jb_abs_max),
        ];
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    #[inline]
    fn read(c: &[u8]) -> Self {
        VoipMetrics {
            ssrc: u32_at(c, 0),
            loss_rate: u8_at(c, 4),
            discard_rate: u8_at(c, 5),
            burst_density: u8_at(c, 6),
            gap_density: u8_at(c, 7),
            burst_duration: u16_at(c, 8),
            gap_duration: u16_at(c, 10),
            round_trip_delay: u16_at(c, 12),
            end_system_delay: u16_at(c, 14),
            signal_level: u8_at(c, 16) as i8,
            noise_level: u8_at(c, 17) as i8,
            rerl: u8_at(c, 18),
            gmin: u8_at(c, 19),
            r_factor: u8_at(c, 20),
            ext_r_factor: u8_at(c, 21),
            mos_lq: u8_at(c, 22),
            mos_cq: u8_at(c, 23),
            rx_config: u8_at(c, 24),
            jb_nominal: u16_at(c, 26),
            jb_maximum: u16_at(c, 28),
            jb_abs_max: u16_at(c, 30),
        }
    }
}

/// An XR report block to write with
/// [`CompoundWriter::xr`](crate::rtcp::CompoundWriter::xr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum XrBlockToWrite<'a> {
    /// Receiver reference time (§4.4): the receiver's NTP timestamp.
    ReceiverReferenceTime {
        /// The 64-bit NTP timestamp.
        ntp_timestamp: u64,
    },
    /// DLRR (§4.5): replies to receiver reference times.
    Dlrr(&'a [DlrrItem]),
    /// Statistics summary (§4.6).
    StatisticsSummary(StatisticsSummary),
    /// VoIP metrics (§4.7).
    VoipMetrics(VoipMetrics),
}

impl XrBlockToWrite<'_> {
    /// Block length on the wire, header included.
    pub(crate) fn wire_len(&self) -> usize {
        4 + match self {
            XrBlockToWrite::ReceiverReferenceTime { .. } => 8,
            XrBlockToWrite::Dlrr(items) => 12 * items.len(),
            XrBlockToWrite::StatisticsSummary(_) => 36,
            XrBlockToWrite::VoipMetrics(_) => 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(bt: u8, ts: u8, content: &[u8]) -> Vec<u8> {
        let mut b = vec![bt, ts];
        b.extend_from_slice(&((content.len() / 4) as u16).to_be_bytes());
        b.extend_from_slice(content);
        b
    }

    #[test]
    fn all_seven_block_types() {
        let mut body = vec![0, 0, 0, 9];
        // 1: loss RLE, T=2, ssrc 5, 10..20, a run of 8 received + a bit vector + null.
        let mut rle = vec![0, 0, 0, 5, 0, 10, 0, 20];
        rle.extend_from_slice(&(0x4000u16 | 8).to_be_bytes());
        rle.extend_from_slice(&0xc000u16.to_be_bytes());
        body.extend(block(1, 2, &rle));
        body.extend(block(2, 0, &[0, 0, 0, 5, 0, 1, 0, 2, 0, 0, 0, 0]));
        body.extend(block(3, 0, &[0, 0, 0, 5, 0, 1, 0, 2, 0, 0, 1, 0]));
        body.extend(block(4, 0, &[1, 2, 3, 4, 5, 6, 7, 8]));
        body.extend(block(5, 0, &[0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9]));
        let mut stats = vec![0u8; 36];
        stats[11] = 3; // lost 3
        stats[35] = 1;
        body.extend(block(6, 0xa8, &stats));
        let mut voip = vec![0u8; 32];
        voip[16] = (-20i8) as u8;
        voip[22] = 41;
        body.extend(block(7, 0, &voip));
        body.extend(block(42, 1, &[1, 2, 3, 4]));
        let xr = parse(&body).unwrap();
        assert_eq!(xr.ssrc(), 9);
        let blocks: Vec<_> = xr.blocks().collect();
        assert_eq!(blocks.len(), 8);
        let XrBlock::LossRle(loss) = &blocks[0] else {
            panic!()
        };
        assert_eq!((loss.thinning(), loss.ssrc()), (2, 5));
        assert_eq!((loss.begin_sequence(), loss.end_sequence()), (10, 20));
        assert_eq!(
            loss.chunks().collect::<Vec<_>>(),
            vec![
                RleChunk::RunLength {
                    run_of_ones: true,
                    length: 8
                },
                RleChunk::BitVector(0x4000),
            ]
        );
        assert!(
            matches!(&blocks[1], XrBlock::DuplicateRle(d) if d.chunks().all(|c| c == RleChunk::Null))
        );
        let XrBlock::PacketReceiptTimes(times) = &blocks[2] else {
            panic!()
        };
        assert_eq!(times.receipt_times().collect::<Vec<_>>(), vec![256]);
        assert!(matches!(
            blocks[3],
            XrBlock::ReceiverReferenceTime {
                ntp_timestamp: 0x0102_0304_0506_0708
            }
        ));
        let XrBlock::Dlrr(dlrr) = blocks[4].clone() else {
            panic!()
        };
        assert_eq!(
            dlrr.collect::<Vec<_>>(),
            vec![DlrrItem {
                ssrc: 7,
                last_rr: 8,
                delay_since_last_rr: 9
            }]
        );
        let XrBlock::StatisticsSummary(s) = blocks[5] else {
            panic!()
        };
        assert!(s.has_loss && !s.has_duplicates && s.has_jitter);
        assert_eq!(
            (s.ttl_or_hop_limit, s.lost_packets, s.dev_ttl_or_hl),
            (1, 3, 1)
        );
        let XrBlock::VoipMetrics(v) = blocks[6] else {
            panic!()
        };
        assert_eq!((v.signal_level, v.mos_lq), (-20, 41));
        assert!(matches!(
            blocks[7],
            XrBlock::Unknown {
                block_type: XrBlockType(42),
                type_specific: 1,
                ..
            }
        ));
    }

    #[test]
    fn rfc3611_block_lengths_are_checked() {
        let mut body = vec![0, 0, 0, 9];
        body.extend(block(4, 0, &[0; 12])); // RRT must be 2 words
        assert_eq!(
            parse(&body),
            Err(RtcpErrorKind::BadXrBlock {
                block_type: 4,
                at: 4
            })
        );
        let mut body = vec![0, 0, 0, 9, 5, 0, 0, 3, 0, 0];
        assert_eq!(
            parse(&body),
            Err(RtcpErrorKind::BadXrBlock {
                block_type: 5,
                at: 4
            })
        );
        body.truncate(6);
        assert_eq!(
            parse(&body),
            Err(RtcpErrorKind::BadXrBlock {
                block_type: 5,
                at: 4
            })
        );
    }
}
