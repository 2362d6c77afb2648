//! Sender and receiver reports (RFC 3550 §6.4): report blocks, sender info
//! and the borrowed SR / RR views.

use crate::wire::{u8_at, u24_at, u32_at, u64_at};

/// Length of one report block on the wire.
pub const REPORT_BLOCK_LEN: usize = 24;
/// Length of the SR sender info (NTP, RTP timestamp, counts).
pub const SENDER_INFO_LEN: usize = 20;

/// One reception report block (RFC 3550 §6.4.1), as plain data.
///
/// Parsed from SR/RR packets and passed to the writers
/// ([`CompoundWriter::sender_report`](crate::rtcp::CompoundWriter::sender_report),
/// [`CompoundWriter::receiver_report`](crate::rtcp::CompoundWriter::receiver_report)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReportBlock {
    /// The source this block reports on (SSRC_n).
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256 units.
    pub fraction_lost: u8,
    /// Cumulative packets lost: a 24-bit signed field on the wire (negative
    /// when duplicates outnumber losses). Values outside
    /// `-8_388_608..=8_388_607` are clamped when written.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles << 16 | highest).
    pub extended_highest_sequence: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR from this source
    /// (LSR), 0 if none.
    pub last_sr: u32,
    /// Delay since that SR in 1/65536 s (DLSR), 0 if none.
    pub delay_since_last_sr: u32,
}

/// Largest cumulative loss the 24-bit field holds.
pub const CUMULATIVE_LOST_MAX: i32 = 0x7F_FFFF;
/// Smallest cumulative loss the 24-bit field holds.
pub const CUMULATIVE_LOST_MIN: i32 = -0x80_0000;

impl ReportBlock {
    /// Reads a block from exactly [`REPORT_BLOCK_LEN`] bytes (shorter input
    /// reads as zeros; callers pass validated slices).
    #[inline]
    pub(crate) fn read(b: &[u8]) -> Self {
        let raw = u24_at(b, 5);
        // Sign-extend the 24-bit field.
        let cumulative_lost = ((raw << 8) as i32) >> 8;
        ReportBlock {
            ssrc: u32_at(b, 0),
            fraction_lost: u8_at(b, 4),
            cumulative_lost,
            extended_highest_sequence: u32_at(b, 8),
            jitter: u32_at(b, 12),
            last_sr: u32_at(b, 16),
            delay_since_last_sr: u32_at(b, 20),
        }
    }

    /// The block in wire order.
    #[inline]
    pub(crate) fn to_bytes(self) -> [u8; REPORT_BLOCK_LEN] {
        let lost = self
            .cumulative_lost
            .clamp(CUMULATIVE_LOST_MIN, CUMULATIVE_LOST_MAX) as u32
            & 0x00FF_FFFF;
        let mut out = [0u8; REPORT_BLOCK_LEN];
        let words = [
            self.ssrc,
            (u32::from(self.fraction_lost) << 24) | lost,
            self.extended_highest_sequence,
            self.jitter,
            self.last_sr,
            self.delay_since_last_sr,
        ];
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// The sender info of an SR (RFC 3550 §6.4.1), as plain data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp (seconds since 1900 in the high 32 bits,
    /// fraction in the low 32 bits).
    pub ntp_timestamp: u64,
    /// The RTP timestamp of the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent since the start of transmission.
    pub packet_count: u32,
    /// Payload octets sent since the start of transmission.
    pub octet_count: u32,
}

impl SenderInfo {
    /// The middle 32 bits of the NTP timestamp: the LSR value a receiver
    /// echoes in its report blocks.
    #[inline]
    pub const fn compact_ntp(&self) -> u32 {
        (self.ntp_timestamp >> 16) as u32
    }

    #[inline]
    pub(crate) fn read(b: &[u8]) -> Self {
        SenderInfo {
            ntp_timestamp: u64_at(b, 0),
            rtp_timestamp: u32_at(b, 8),
            packet_count: u32_at(b, 12),
            octet_count: u32_at(b, 16),
        }
    }
}

/// Iterator over the report blocks of an SR or RR.
#[derive(Clone, Debug)]
pub struct ReportBlocks<'a> {
    blocks: std::slice::ChunksExact<'a, u8>,
}

impl<'a> ReportBlocks<'a> {
    #[inline]
    pub(crate) fn new(blocks: &'a [u8]) -> Self {
        ReportBlocks {
            blocks: blocks.chunks_exact(REPORT_BLOCK_LEN),
        }
    }
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    #[inline]
    fn next(&mut self) -> Option<ReportBlock> {
        self.blocks.next().map(ReportBlock::read)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.blocks.size_hint()
    }
}

impl ExactSizeIterator for ReportBlocks<'_> {}

/// A sender report (packet type 200), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderReport<'a> {
    body: &'a [u8],
    count: u8,
}

impl<'a> SenderReport<'a> {
    /// `body` is validated to hold SSRC, sender info and `count` blocks.
    #[inline]
    pub(crate) fn new(body: &'a [u8], count: u8) -> Self {
        SenderReport { body, count }
    }

    /// The sender's SSRC.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }

    /// The sender info.
    #[inline]
    pub fn sender_info(&self) -> SenderInfo {
        SenderInfo::read(self.body.get(4..).unwrap_or_default())
    }

    /// The NTP timestamp.
    #[inline]
    pub fn ntp_timestamp(&self) -> u64 {
        u64_at(self.body, 4)
    }

    /// The RTP timestamp.
    #[inline]
    pub fn rtp_timestamp(&self) -> u32 {
        u32_at(self.body, 12)
    }

    /// The sender's packet count.
    #[inline]
    pub fn packet_count(&self) -> u32 {
        u32_at(self.body, 16)
    }

    /// The sender's octet count.
    #[inline]
    pub fn octet_count(&self) -> u32 {
        u32_at(self.body, 20)
    }

    /// The reception report blocks.
    #[inline]
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        let end = 24 + REPORT_BLOCK_LEN * usize::from(self.count);
        ReportBlocks::new(self.body.get(24..end).unwrap_or_default())
    }

    /// Profile-specific extension bytes after the report blocks.
    #[inline]
    pub fn profile_extension(&self) -> &'a [u8] {
        let end = 24 + REPORT_BLOCK_LEN * usize::from(self.count);
        self.body.get(end..).unwrap_or_default()
    }
}

/// A receiver report (packet type 201), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    body: &'a [u8],
    count: u8,
}

impl<'a> ReceiverReport<'a> {
    /// `body` is validated to hold SSRC and `count` blocks.
    #[inline]
    pub(crate) fn new(body: &'a [u8], count: u8) -> Self {
        ReceiverReport { body, count }
    }

    /// The reporter's SSRC.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }

    /// The reception report blocks.
    #[inline]
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        let end = 4 + REPORT_BLOCK_LEN * usize::from(self.count);
        ReportBlocks::new(self.body.get(4..end).unwrap_or_default())
    }

    /// Profile-specific extension bytes after the report blocks.
    #[inline]
    pub fn profile_extension(&self) -> &'a [u8] {
        let end = 4 + REPORT_BLOCK_LEN * usize::from(self.count);
        self.body.get(end..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_lost_is_24_bit_signed_and_clamped() {
        for (lost, wire) in [
            (0, [0, 0, 0]),
            (1, [0, 0, 1]),
            (-1, [0xff, 0xff, 0xff]),
            (CUMULATIVE_LOST_MAX, [0x7f, 0xff, 0xff]),
            (CUMULATIVE_LOST_MIN, [0x80, 0, 0]),
            (i32::MAX, [0x7f, 0xff, 0xff]),
            (i32::MIN, [0x80, 0, 0]),
        ] {
            let b = ReportBlock {
                fraction_lost: 0x40,
                cumulative_lost: lost,
                ..ReportBlock::default()
            };
            let bytes = b.to_bytes();
            assert_eq!(&bytes[4..8], &[0x40, wire[0], wire[1], wire[2]]);
            let back = ReportBlock::read(&bytes);
            assert_eq!(
                back.cumulative_lost,
                lost.clamp(CUMULATIVE_LOST_MIN, CUMULATIVE_LOST_MAX)
            );
        }
    }

    #[test]
    fn compact_ntp_is_the_middle_32_bits() {
        let info = SenderInfo {
            ntp_timestamp: 0x1122_3344_5566_7788,
            ..SenderInfo::default()
        };
        assert_eq!(info.compact_ntp(), 0x3344_5566);
    }
}
