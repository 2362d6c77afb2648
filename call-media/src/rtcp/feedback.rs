//! RTP/AVPF feedback (RFC 4585): transport-layer (RTPFB, type 205) and
//! payload-specific (PSFB, type 206) messages, with typed FCI views for
//! generic NACK, transport-wide congestion control, PLI, FIR (RFC 5104) and
//! REMB.

use crate::error::RtcpErrorKind;
use crate::wire::{u8_at, u16_at, u24_at, u32_at};

/// RTPFB FMT 1: generic NACK (RFC 4585 §6.2.1).
pub const FMT_NACK: u8 = 1;
/// RTPFB FMT 15: transport-wide congestion control feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
pub const FMT_TRANSPORT_CC: u8 = 15;
/// PSFB FMT 1: picture loss indication (RFC 4585 §6.3.1).
pub const FMT_PLI: u8 = 1;
/// PSFB FMT 4: full intra request (RFC 5104 §4.3.1).
pub const FMT_FIR: u8 = 4;
/// PSFB FMT 15: application-layer feedback (RFC 4585 §6.4), which carries
/// REMB (draft-alvestrand-rmcat-remb-03).
pub const FMT_AFB: u8 = 15;

/// One generic NACK entry: a lost packet ID and a bitmask of the 16 after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NackPair {
    /// The first lost sequence number.
    pub pid: u16,
    /// Bit `i` set means `pid + i + 1` is lost too.
    pub blp: u16,
}

impl NackPair {
    /// Every sequence number this entry reports lost, in order.
    #[inline]
    pub fn lost(self) -> impl Iterator<Item = u16> {
        std::iter::once(self.pid).chain(
            (0..16u16)
                .filter(move |i| self.blp & (1 << i) != 0)
                .map(move |i| self.pid.wrapping_add(i + 1)),
        )
    }
}

/// Packs lost sequence numbers, given in transmission order (wrapping), into
/// NACK entries without allocating.
///
/// # Examples
///
/// ```
/// use call_media::rtcp::{NackPair, nack_pairs};
///
/// let pairs: Vec<_> = nack_pairs([65534, 65535, 3, 40]).collect();
/// assert_eq!(pairs, [
///     NackPair { pid: 65534, blp: 0b10001 }, // 65535 and 3
///     NackPair { pid: 40, blp: 0 },
/// ]);
/// ```
#[inline]
pub fn nack_pairs<I: IntoIterator<Item = u16>>(lost: I) -> impl Iterator<Item = NackPair> {
    let mut lost = lost.into_iter().peekable();
    std::iter::from_fn(move || {
        let pid = lost.next()?;
        let mut blp = 0u16;
        while let Some(&next) = lost.peek() {
            let gap = next.wrapping_sub(pid);
            if !(1..=16).contains(&gap) {
                break;
            }
            blp |= 1 << (gap - 1);
            lost.next();
        }
        Some(NackPair { pid, blp })
    })
}

/// A transport-layer feedback message (type 205), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportFeedback<'a> {
    fmt: u8,
    body: &'a [u8],
}

/// A payload-specific feedback message (type 206), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadFeedback<'a> {
    fmt: u8,
    body: &'a [u8],
}

#[inline]
fn check_common(packet_type: u8, body: &[u8]) -> Result<(), RtcpErrorKind> {
    if body.len() < 8 {
        return Err(RtcpErrorKind::Truncated {
            packet_type,
            needed: 8,
            len: body.len(),
        });
    }
    Ok(())
}

#[inline]
pub(crate) fn parse_rtpfb(body: &[u8], fmt: u8) -> Result<TransportFeedback<'_>, RtcpErrorKind> {
    check_common(205, body)?;
    let fci = body.get(8..).unwrap_or_default();
    let bad = RtcpErrorKind::BadFci {
        packet_type: 205,
        fmt,
        len: fci.len(),
    };
    match fmt {
        FMT_NACK if fci.is_empty() || !fci.len().is_multiple_of(4) => return Err(bad),
        FMT_TRANSPORT_CC => {
            TransportCc::parse(fci).ok_or(bad)?;
        }
        _ => {}
    }
    Ok(TransportFeedback { fmt, body })
}

#[inline]
pub(crate) fn parse_psfb(body: &[u8], fmt: u8) -> Result<PayloadFeedback<'_>, RtcpErrorKind> {
    check_common(206, body)?;
    let fci = body.get(8..).unwrap_or_default();
    let bad = RtcpErrorKind::BadFci {
        packet_type: 206,
        fmt,
        len: fci.len(),
    };
    match fmt {
        FMT_FIR if fci.is_empty() || !fci.len().is_multiple_of(8) => return Err(bad),
        FMT_AFB if fci.starts_with(b"REMB") => {
            Remb::parse(fci).ok_or(bad)?;
        }
        _ => {}
    }
    Ok(PayloadFeedback { fmt, body })
}

/// What a transport-layer feedback message says.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum TransportFeedbackKind<'a> {
    /// Generic NACK entries.
    Nack(NackPairs<'a>),
    /// Transport-wide congestion control feedback.
    TransportCc(TransportCc<'a>),
    /// Any other FMT, with its raw FCI.
    Other {
        /// The FMT value.
        fmt: u8,
        /// The feedback control information.
        fci: &'a [u8],
    },
}

impl<'a> TransportFeedback<'a> {
    /// The FMT field.
    #[inline]
    pub const fn fmt(&self) -> u8 {
        self.fmt
    }

    /// SSRC of the packet sender.
    #[inline]
    pub fn sender_ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }

    /// SSRC of the media source the feedback is about.
    #[inline]
    pub fn media_ssrc(&self) -> u32 {
        u32_at(self.body, 4)
    }

    /// The raw feedback control information.
    #[inline]
    pub fn fci(&self) -> &'a [u8] {
        self.body.get(8..).unwrap_or_default()
    }

    /// The typed FCI.
    #[inline]
    pub fn kind(&self) -> TransportFeedbackKind<'a> {
        match self.fmt {
            FMT_NACK => TransportFeedbackKind::Nack(NackPairs {
                fci: self.fci().chunks_exact(4),
            }),
            FMT_TRANSPORT_CC => match TransportCc::parse(self.fci()) {
                Some(cc) => TransportFeedbackKind::TransportCc(cc),
                None => TransportFeedbackKind::Other {
                    fmt: self.fmt,
                    fci: self.fci(),
                },
            },
            fmt => TransportFeedbackKind::Other {
                fmt,
                fci: self.fci(),
            },
        }
    }
}

/// Iterator over generic NACK entries.
#[derive(Clone, Debug)]
pub struct NackPairs<'a> {
    fci: std::slice::ChunksExact<'a, u8>,
}

impl Iterator for NackPairs<'_> {
    type Item = NackPair;

    #[inline]
    fn next(&mut self) -> Option<NackPair> {
        self.fci.next().map(|c| NackPair {
            pid: u16_at(c, 0),
            blp: u16_at(c, 2),
        })
    }
}

/// Status of one packet in transport-wide CC feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketStatus {
    /// Not received.
    NotReceived,
    /// Received; the delta fits one unsigned byte.
    SmallDelta,
    /// Received; the delta needs two signed bytes (large or negative).
    LargeDelta,
}

/// One packet reported in transport-wide CC feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TransportCcPacket {
    /// Transport-wide sequence number.
    pub sequence: u16,
    /// Received or not, and the delta size.
    pub status: PacketStatus,
    /// Receive delta in 250 µs ticks relative to the previous received
    /// packet (the first relative to the reference time); `None` when not
    /// received.
    pub delta_ticks: Option<i16>,
}

/// Transport-wide CC feedback FCI, validated: every status has its delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportCc<'a> {
    fci: &'a [u8],
    /// Bytes of status chunks, starting at FCI offset 8.
    chunks_len: usize,
}

impl<'a> TransportCc<'a> {
    #[inline]
    fn parse(fci: &'a [u8]) -> Option<Self> {
        let count = usize::from(u16_at(fci, 2));
        if fci.len() < 8 {
            return None;
        }
        let (mut covered, mut pos, mut deltas) = (0usize, 8usize, 0usize);
        while covered < count {
            let chunk = fci.get(pos..pos + 2).map(|c| u16_at(c, 0))?;
            pos += 2;
            for i in 0..chunk_len(chunk) {
                if covered >= count {
                    break;
                }
                match symbol(chunk, i)? {
                    PacketStatus::NotReceived => {}
                    PacketStatus::SmallDelta => deltas += 1,
                    PacketStatus::LargeDelta => deltas += 2,
                }
                covered += 1;
            }
        }
        if pos + deltas > fci.len() {
            return None;
        }
        Some(TransportCc {
            fci,
            chunks_len: pos - 8,
        })
    }

    /// Transport-wide sequence number of the first packet reported.
    #[inline]
    pub fn base_sequence(&self) -> u16 {
        u16_at(self.fci, 0)
    }

    /// Number of packets reported.
    #[inline]
    pub fn status_count(&self) -> u16 {
        u16_at(self.fci, 2)
    }

    /// Reference time, a signed 24-bit count of 64 ms.
    #[inline]
    pub fn reference_time(&self) -> i32 {
        ((u24_at(self.fci, 4) << 8) as i32) >> 8
    }

    /// Feedback packet count (wraps at 256).
    #[inline]
    pub fn feedback_count(&self) -> u8 {
        u8_at(self.fci, 7)
    }

    /// Every packet reported, in sequence order.
    #[inline]
    pub fn packets(&self) -> TransportCcPackets<'a> {
        TransportCcPackets {
            fci: self.fci,
            chunk_pos: 8,
            in_chunk: 0,
            delta_pos: 8 + self.chunks_len,
            index: 0,
            count: self.status_count(),
            base: self.base_sequence(),
        }
    }
}

/// Number of statuses a packet status chunk describes.
#[inline]
fn chunk_len(chunk: u16) -> usize {
    if chunk & 0x8000 == 0 {
        usize::from(chunk & 0x1fff) // run length
    } else if chunk & 0x4000 == 0 {
        14 // 1-bit symbols
    } else {
        7 // 2-bit symbols
    }
}

/// The `i`th status of a chunk (None for the reserved symbol 3).
#[inline]
fn symbol(chunk: u16, i: usize) -> Option<PacketStatus> {
    let raw = if chunk & 0x8000 == 0 {
        (chunk >> 13) & 0x3
    } else if chunk & 0x4000 == 0 {
        (chunk >> (13 - i)) & 0x1
    } else {
        (chunk >> (12 - 2 * i)) & 0x3
    };
    match raw {
        0 => Some(PacketStatus::NotReceived),
        1 => Some(PacketStatus::SmallDelta),
        2 => Some(PacketStatus::LargeDelta),
        _ => None,
    }
}

/// Iterator over the packets of transport-wide CC feedback.
#[derive(Clone, Debug)]
pub struct TransportCcPackets<'a> {
    fci: &'a [u8],
    chunk_pos: usize,
    in_chunk: usize,
    delta_pos: usize,
    index: u16,
    count: u16,
    base: u16,
}

impl Iterator for TransportCcPackets<'_> {
    type Item = TransportCcPacket;

    #[inline]
    fn next(&mut self) -> Option<TransportCcPacket> {
        if self.index >= self.count {
            return None;
        }
        let mut chunk = u16_at(self.fci, self.chunk_pos);
        while self.in_chunk >= chunk_len(chunk) {
            // Empty run-length chunks are legal; skip them.
            self.chunk_pos += 2;
            self.in_chunk = 0;
            if self.chunk_pos >= self.fci.len() {
                return None;
            }
            chunk = u16_at(self.fci, self.chunk_pos);
        }
        let status = symbol(chunk, self.in_chunk)?;
        self.in_chunk += 1;
        let delta_ticks = match status {
            PacketStatus::NotReceived => None,
            PacketStatus::SmallDelta => {
                self.delta_pos += 1;
                Some(i16::from(u8_at(self.fci, self.delta_pos - 1)))
            }
            PacketStatus::LargeDelta => {
                self.delta_pos += 2;
                Some(u16_at(self.fci, self.delta_pos - 2) as i16)
            }
        };
        let sequence = self.base.wrapping_add(self.index);
        self.index += 1;
        Some(TransportCcPacket {
            sequence,
            status,
            delta_ticks,
        })
    }
}

/// What a payload-specific feedback message says.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum PayloadFeedbackKind<'a> {
    /// Picture loss indication (no FCI).
    Pli,
    /// Full intra requests.
    Fir(FirEntries<'a>),
    /// Receiver estimated maximum bitrate.
    Remb(Remb<'a>),
    /// Any other FMT or application-layer feedback, with its raw FCI.
    Other {
        /// The FMT value.
        fmt: u8,
        /// The feedback control information.
        fci: &'a [u8],
    },
}

impl<'a> PayloadFeedback<'a> {
    /// The FMT field.
    #[inline]
    pub const fn fmt(&self) -> u8 {
        self.fmt
    }

    /// SSRC of the packet sender.
    #[inline]
    pub fn sender_ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }

    /// SSRC of the media source the feedback is about.
    #[inline]
    pub fn media_ssrc(&self) -> u32 {
        u32_at(self.body, 4)
    }

    /// The raw feedback control information.
    #[inline]
    pub fn fci(&self) -> &'a [u8] {
        self.body.get(8..).unwrap_or_default()
    }

    /// The typed FCI.
    #[inline]
    pub fn kind(&self) -> PayloadFeedbackKind<'a> {
        let fci = self.fci();
        match self.fmt {
            FMT_PLI => PayloadFeedbackKind::Pli,
            FMT_FIR => PayloadFeedbackKind::Fir(FirEntries {
                fci: fci.chunks_exact(8),
            }),
            FMT_AFB => match Remb::parse(fci) {
                Some(remb) => PayloadFeedbackKind::Remb(remb),
                None => PayloadFeedbackKind::Other { fmt: self.fmt, fci },
            },
            fmt => PayloadFeedbackKind::Other { fmt, fci },
        }
    }
}

/// One FIR entry (RFC 5104 §4.3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FirEntry {
    /// The media sender asked for a decoder refresh.
    pub ssrc: u32,
    /// Command sequence number.
    pub sequence: u8,
}

/// Iterator over FIR entries.
#[derive(Clone, Debug)]
pub struct FirEntries<'a> {
    fci: std::slice::ChunksExact<'a, u8>,
}

impl Iterator for FirEntries<'_> {
    type Item = FirEntry;

    #[inline]
    fn next(&mut self) -> Option<FirEntry> {
        self.fci.next().map(|c| FirEntry {
            ssrc: u32_at(c, 0),
            sequence: u8_at(c, 4),
        })
    }
}

/// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remb<'a> {
    fci: &'a [u8],
}

impl<'a> Remb<'a> {
    #[inline]
    fn parse(fci: &'a [u8]) -> Option<Self> {
        if !fci.starts_with(b"REMB") || fci.len() < 8 {
            return None;
        }
        let n = usize::from(u8_at(fci, 4));
        (fci.len() >= 8 + 4 * n).then_some(Remb { fci })
    }

    /// The estimate in bits per second (mantissa << exponent, saturating).
    #[inline]
    pub fn bitrate(&self) -> u64 {
        let exp = u32::from(u8_at(self.fci, 5) >> 2);
        let mantissa = u64::from(u24_at(self.fci, 5) & 0x3_ffff);
        mantissa
            .checked_shl(exp)
            .filter(|v| v >> exp == mantissa)
            .unwrap_or(u64::MAX)
    }

    /// The media sources the estimate applies to.
    #[inline]
    pub fn ssrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let n = usize::from(u8_at(self.fci, 4));
        self.fci
            .get(8..8 + 4 * n)
            .unwrap_or_default()
            .as_chunks::<4>()
            .0
            .iter()
            .map(|c| u32::from_be_bytes(*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4585_6_2_1_blp_bits_name_the_following_packets() {
        let pair = NackPair {
            pid: 65535,
            blp: 0b1000_0000_0000_0011,
        };
        assert_eq!(pair.lost().collect::<Vec<_>>(), vec![65535, 0, 1, 15]);
        let packed: Vec<_> = nack_pairs([10, 11, 26, 27]).collect();
        assert_eq!(
            packed,
            vec![
                NackPair {
                    pid: 10,
                    blp: 1 | 1 << 15
                },
                NackPair { pid: 27, blp: 0 }
            ]
        );
    }

    #[test]
    fn nack_fci_must_be_whole_entries() {
        let body = [0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0];
        assert_eq!(
            parse_rtpfb(&body, FMT_NACK),
            Err(RtcpErrorKind::BadFci {
                packet_type: 205,
                fmt: 1,
                len: 3
            })
        );
    }

    #[test]
    fn transport_cc_run_length_and_vectors() {
        // base 100, 10 packets, reference time -1, fb count 7.
        // Chunk 1: run length, status 1 (small), 3 packets.
        // Chunk 2: 2-bit vector: [2, 0, 1, 0, 0, 0, 0] (7 symbols).
        let mut fci = vec![0, 100, 0, 10, 0xff, 0xff, 0xff, 7];
        fci.extend_from_slice(&(0x2000u16 | 3).to_be_bytes());
        fci.extend_from_slice(&0b1110_0001_0000_0000u16.to_be_bytes());
        fci.extend_from_slice(&[4, 8, 12]); // three small deltas
        fci.extend_from_slice(&(-4i16).to_be_bytes()); // one large delta
        fci.push(1); // one small delta
        fci.extend_from_slice(&[0, 0, 0]); // pad
        let cc = TransportCc::parse(&fci).unwrap();
        assert_eq!((cc.base_sequence(), cc.status_count()), (100, 10));
        assert_eq!((cc.reference_time(), cc.feedback_count()), (-1, 7));
        let got: Vec<_> = cc.packets().map(|p| (p.sequence, p.delta_ticks)).collect();
        assert_eq!(
            got,
            vec![
                (100, Some(4)),
                (101, Some(8)),
                (102, Some(12)),
                (103, Some(-4)),
                (104, None),
                (105, Some(1)),
                (106, None),
                (107, None),
                (108, None),
                (109, None),
            ]
        );
        // Missing deltas are rejected.
        assert!(TransportCc::parse(&fci[..14]).is_none());
    }

    #[test]
    fn remb_bitrate_and_ssrcs() {
        // exp 2, mantissa 0x3_0000 -> 0x3_0000 << 2.
        let fci = [b'R', b'E', b'M', b'B', 1, (2 << 2) | 0x3, 0, 0, 0, 0, 0, 9];
        let remb = Remb::parse(&fci).unwrap();
        assert_eq!(remb.bitrate(), 0x3_0000 << 2);
        assert_eq!(remb.ssrcs().collect::<Vec<_>>(), vec![9]);
        assert!(Remb::parse(&fci[..10]).is_none());
    }
}
