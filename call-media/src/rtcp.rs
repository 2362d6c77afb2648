//! RTCP (RFC 3550 §6) as borrowed views over a compound datagram, and a
//! writer that assembles compound packets into a caller-owned buffer.
//!
//! - [`packets`] walks a datagram and yields one typed [`RtcpPacket`] per
//!   packet: SR, RR, SDES, BYE, APP, transport and payload-specific feedback
//!   (RFC 4585, RFC 5104), XR (RFC 3611) and [`RtcpPacket::Unknown`]. It
//!   accepts reduced-size RTCP (RFC 5506): any packet may come first and a
//!   datagram may hold a single packet.
//! - [`validate_compound`] applies the strict RFC 3550 §6.1 / A.2 rules
//!   separately, for peers that must send full compounds.
//! - [`CompoundWriter`] writes SR, RR, SDES, BYE, APP, NACK, PLI, FIR, REMB
//!   and XR packets back to back.
//!
//! Nothing here allocates.
//!
//! # Examples
//!
//! ```
//! use call_media::rtcp::{self, CompoundWriter, ReportBlock, RtcpPacket, SdesItem, SenderInfo};
//!
//! let mut buf = [0u8; 256];
//! let mut writer = CompoundWriter::new(&mut buf);
//! let info = SenderInfo { ntp_timestamp: 1 << 32, rtp_timestamp: 160, packet_count: 1, octet_count: 160 };
//! let block = ReportBlock { ssrc: 0xbbbb, fraction_lost: 64, cumulative_lost: 3, ..Default::default() };
//! writer.sender_report(0xaaaa, &info, &[block])?;
//! writer.sdes(&[(0xaaaa, &[SdesItem::cname(b"alice@example.org")])])?;
//! let datagram = writer.finish();
//!
//! rtcp::validate_compound(datagram).unwrap();
//! for packet in rtcp::packets(datagram) {
//!     match packet.unwrap() {
//!         RtcpPacket::SenderReport(sr) => {
//!             assert_eq!(sr.ssrc(), 0xaaaa);
//!             assert_eq!(sr.report_blocks().next(), Some(block));
//!         }
//!         RtcpPacket::SourceDescription(sdes) => {
//!             assert_eq!(sdes.cname(), Some(&b"alice@example.org"[..]));
//!         }
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! # Ok::<(), call_media::error::RtcpWriteError>(())
//! ```

mod app;
mod bye;
mod feedback;
mod report;
mod sdes;
mod writer;
mod xr;

pub use app::App;
pub use bye::Goodbye;
pub use feedback::{
    FMT_AFB, FMT_FIR, FMT_NACK, FMT_PLI, FMT_TRANSPORT_CC, FirEntries, FirEntry, NackPair,
    NackPairs, PacketStatus, PayloadFeedback, PayloadFeedbackKind, Remb, TransportCc,
    TransportCcPacket, TransportCcPackets, TransportFeedback, TransportFeedbackKind, nack_pairs,
};
pub use report::{
    CUMULATIVE_LOST_MAX, CUMULATIVE_LOST_MIN, REPORT_BLOCK_LEN, ReceiverReport, ReportBlock,
    ReportBlocks, SENDER_INFO_LEN, SenderInfo, SenderReport,
};
pub use sdes::{SdesChunk, SdesChunks, SdesItem, SdesItemType, SdesItems, SourceDescription};
pub use writer::CompoundWriter;
pub use xr::{
    DlrrItem, DlrrItems, ExtendedReport, PacketReceiptTimes, RleChunk, RleReport,
    StatisticsSummary, VoipMetrics, XrBlock, XrBlockToWrite, XrBlockType, XrBlocks,
};

use crate::error::{RtcpCompoundError, RtcpError, RtcpErrorKind};
use crate::wire::u16_at;

/// Length of the RTCP common header.
pub const HEADER_LEN: usize = 4;

/// An RTCP packet type: an open code space (IANA "RTCP Control Packet Types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketType(pub u8);

impl PacketType {
    /// Sender report (RFC 3550).
    pub const SR: Self = Self(200);
    /// Receiver report (RFC 3550).
    pub const RR: Self = Self(201);
    /// Source description (RFC 3550).
    pub const SDES: Self = Self(202);
    /// Goodbye (RFC 3550).
    pub const BYE: Self = Self(203);
    /// Application-defined (RFC 3550).
    pub const APP: Self = Self(204);
    /// Transport-layer feedback (RFC 4585).
    pub const RTPFB: Self = Self(205);
    /// Payload-specific feedback (RFC 4585).
    pub const PSFB: Self = Self(206);
    /// Extended report (RFC 3611).
    pub const XR: Self = Self(207);
}

/// One RTCP packet from a compound datagram, as a typed borrowed view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// SR, type 200.
    SenderReport(SenderReport<'a>),
    /// RR, type 201.
    ReceiverReport(ReceiverReport<'a>),
    /// SDES, type 202.
    SourceDescription(SourceDescription<'a>),
    /// BYE, type 203.
    Goodbye(Goodbye<'a>),
    /// APP, type 204.
    App(App<'a>),
    /// RTPFB, type 205.
    TransportFeedback(TransportFeedback<'a>),
    /// PSFB, type 206.
    PayloadFeedback(PayloadFeedback<'a>),
    /// XR, type 207.
    ExtendedReport(ExtendedReport<'a>),
    /// Any other packet type; `bytes` is the whole packet, header and
    /// padding included, so it can be forwarded as is.
    Unknown {
        /// The packet type.
        packet_type: PacketType,
        /// The whole packet.
        bytes: &'a [u8],
    },
}

impl RtcpPacket<'_> {
    /// The packet type.
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        match self {
            RtcpPacket::SenderReport(_) => PacketType::SR,
            RtcpPacket::ReceiverReport(_) => PacketType::RR,
            RtcpPacket::SourceDescription(_) => PacketType::SDES,
            RtcpPacket::Goodbye(_) => PacketType::BYE,
            RtcpPacket::App(_) => PacketType::APP,
            RtcpPacket::TransportFeedback(_) => PacketType::RTPFB,
            RtcpPacket::PayloadFeedback(_) => PacketType::PSFB,
            RtcpPacket::ExtendedReport(_) => PacketType::XR,
            RtcpPacket::Unknown { packet_type, .. } => *packet_type,
        }
    }
}

/// Walks the RTCP packets of a datagram (compound or reduced-size).
///
/// # Examples
///
/// ```
/// use call_media::rtcp::{self, RtcpPacket};
///
/// // A reduced-size (RFC 5506) PLI on its own.
/// let pli = [0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
/// let mut packets = rtcp::packets(&pli);
/// assert!(matches!(packets.next(), Some(Ok(RtcpPacket::PayloadFeedback(_)))));
/// assert!(packets.next().is_none());
/// ```
#[inline]
pub fn packets(datagram: &[u8]) -> RtcpPackets<'_> {
    RtcpPackets {
        buf: datagram,
        pos: 0,
    }
}

/// Iterator over the packets of an RTCP datagram.
///
/// Yields `Err` once for a packet that does not parse and then stops: the
/// packets after it cannot be located reliably.
#[derive(Clone, Debug)]
pub struct RtcpPackets<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// Facts from one packet's common header, for the compound checks.
struct Framed<'a> {
    packet: RtcpPacket<'a>,
    padding: bool,
    len: usize,
}

#[inline]
fn parse_at(buf: &[u8], offset: usize) -> Result<Framed<'_>, RtcpErrorKind> {
    let rest = buf.get(offset..).unwrap_or_default();
    let [b0, pt, ..] = *rest else {
        return Err(RtcpErrorKind::TooShort { len: rest.len() });
    };
    if rest.len() < HEADER_LEN {
        return Err(RtcpErrorKind::TooShort { len: rest.len() });
    }
    let version = b0 >> 6;
    if version != 2 {
        return Err(RtcpErrorKind::BadVersion { version });
    }
    let len = 4 * (usize::from(u16_at(rest, 2)) + 1);
    let packet = rest.get(..len).ok_or(RtcpErrorKind::LengthOverrun {
        declared: len,
        available: rest.len(),
    })?;
    let mut body = packet.get(HEADER_LEN..).unwrap_or_default();
    let padding = b0 & 0x20 != 0;
    if padding {
        let count = packet.last().copied().unwrap_or(0);
        if count == 0 {
            return Err(RtcpErrorKind::ZeroPadding);
        }
        body = body
            .get(..body.len().wrapping_sub(usize::from(count)))
            .filter(|_| usize::from(count) <= body.len())
            .ok_or(RtcpErrorKind::PaddingOverrun {
                count,
                available: body.len(),
            })?;
    }
    let count = b0 & 0x1f;
    let truncated = |needed: usize| {
        if body.len() < needed {
            Err(RtcpErrorKind::Truncated {
                packet_type: pt,
                needed,
                len: body.len(),
            })
        } else {
            Ok(())
        }
    };
    let packet = match PacketType(pt) {
        PacketType::SR => {
            truncated(24 + REPORT_BLOCK_LEN * usize::from(count))?;
            RtcpPacket::SenderReport(SenderReport::new(body, count))
        }
        PacketType::RR => {
            truncated(4 + REPORT_BLOCK_LEN * usize::from(count))?;
            RtcpPacket::ReceiverReport(ReceiverReport::new(body, count))
        }
        PacketType::SDES => RtcpPacket::SourceDescription(sdes::parse(body, count)?),
        PacketType::BYE => RtcpPacket::Goodbye(bye::parse(body, count)?),
        PacketType::APP => RtcpPacket::App(app::parse(body, count)?),
        PacketType::RTPFB => RtcpPacket::TransportFeedback(feedback::parse_rtpfb(body, count)?),
        PacketType::PSFB => RtcpPacket::PayloadFeedback(feedback::parse_psfb(body, count)?),
        PacketType::XR => RtcpPacket::ExtendedReport(xr::parse(body)?),
        packet_type => RtcpPacket::Unknown {
            packet_type,
            bytes: packet,
        },
    };
    Ok(Framed {
        packet,
        padding,
        len,
    })
}

impl<'a> RtcpPackets<'a> {
    /// Offset in the datagram of the next packet to be read.
    #[inline]
    pub const fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for RtcpPackets<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let offset = self.pos;
        match parse_at(self.buf, offset) {
            Ok(framed) => {
                self.pos += framed.len;
                Some(Ok(framed.packet))
            }
            Err(kind) => {
                self.pos = self.buf.len();
                Some(Err(RtcpError { offset, kind }))
            }
        }
    }
}

impl std::iter::FusedIterator for RtcpPackets<'_> {}

/// Checks a datagram against the strict compound rules of RFC 3550 §6.1 and
/// the validity checks of appendix A.2: every packet parses, the first is an
/// SR or RR, only the last has padding, and an SDES CNAME is present.
///
/// Reduced-size RTCP (RFC 5506) fails this check by design; use [`packets`]
/// alone to accept it.
///
/// # Examples
///
/// ```
/// use call_media::error::RtcpCompoundError;
/// use call_media::rtcp;
///
/// let lone_rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
/// assert_eq!(rtcp::validate_compound(&lone_rr), Err(RtcpCompoundError::MissingCname));
/// ```
#[inline]
pub fn validate_compound(datagram: &[u8]) -> Result<(), RtcpCompoundError> {
    if datagram.is_empty() {
        return Err(RtcpCompoundError::Empty);
    }
    let mut offset = 0;
    let mut cname = false;
    while offset < datagram.len() {
        let framed = parse_at(datagram, offset).map_err(|kind| RtcpError { offset, kind })?;
        let packet_type = framed.packet.packet_type();
        if offset == 0 && packet_type != PacketType::SR && packet_type != PacketType::RR {
            return Err(RtcpCompoundError::FirstNotReport {
                packet_type: packet_type.0,
            });
        }
        if framed.padding && offset + framed.len < datagram.len() {
            return Err(RtcpCompoundError::PaddingNotLast { offset });
        }
        if let RtcpPacket::SourceDescription(sdes) = framed.packet {
            cname |= sdes.cname().is_some();
        }
        offset += framed.len;
    }
    if !cname {
        return Err(RtcpCompoundError::MissingCname);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3550_6_4_1_sender_report_fields() {
        let mut p = vec![0x81, 200, 0, 12, 0, 0, 0, 1];
        p.extend_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 160, 0, 0, 0, 10, 0, 0, 6, 64]);
        p.extend_from_slice(&[0, 0, 0, 2, 25, 0xff, 0xff, 0xfe, 0, 1, 0, 5]);
        p.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9]);
        let mut it = packets(&p);
        let Some(Ok(RtcpPacket::SenderReport(sr))) = it.next() else {
            panic!()
        };
        assert!(it.next().is_none());
        assert_eq!(sr.ssrc(), 1);
        assert_eq!(sr.ntp_timestamp(), 0x0102_0304_0506_0708);
        assert_eq!(
            (sr.rtp_timestamp(), sr.packet_count(), sr.octet_count()),
            (160, 10, 1600)
        );
        let blocks: Vec<_> = sr.report_blocks().collect();
        assert_eq!(
            blocks,
            vec![ReportBlock {
                ssrc: 2,
                fraction_lost: 25,
                cumulative_lost: -2,
                extended_highest_sequence: 0x1_0005,
                jitter: 7,
                last_sr: 8,
                delay_since_last_sr: 9,
            }]
        );
        assert!(sr.profile_extension().is_empty());
    }

    #[test]
    fn header_errors_name_the_offset_and_rule() {
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
        let err = |buf: &[u8]| packets(buf).find_map(Result::err).unwrap();
        let mut two = rr.to_vec();
        two.extend_from_slice(&[0x80, 201]);
        assert_eq!(
            err(&two),
            RtcpError {
                offset: 8,
                kind: RtcpErrorKind::TooShort { len: 2 }
            }
        );
        assert_eq!(
            err(&[0x40, 201, 0, 0]).kind,
            RtcpErrorKind::BadVersion { version: 1 }
        );
        assert_eq!(
            err(&[0x80, 201, 0, 5, 0, 0, 0, 1]).kind,
            RtcpErrorKind::LengthOverrun {
                declared: 24,
                available: 8
            }
        );
        assert_eq!(
            err(&[0xa0, 201, 0, 1, 0, 0, 0, 0]).kind,
            RtcpErrorKind::ZeroPadding
        );
        assert_eq!(
            err(&[0xa0, 201, 0, 1, 0, 0, 0, 9]).kind,
            RtcpErrorKind::PaddingOverrun {
                count: 9,
                available: 4
            }
        );
        // RR claims one report block but has none.
        assert_eq!(
            err(&[0x81, 201, 0, 1, 0, 0, 0, 1]).kind,
            RtcpErrorKind::Truncated {
                packet_type: 201,
                needed: 28,
                len: 4
            }
        );
    }

    #[test]
    fn padding_is_removed_from_the_body() {
        // RR with an empty profile extension and 4 bytes of padding.
        let p = [0xa0, 201, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4];
        let Some(Ok(RtcpPacket::ReceiverReport(rr))) = packets(&p).next() else {
            panic!()
        };
        assert!(rr.profile_extension().is_empty());
        assert_eq!(rr.report_blocks().len(), 0);
    }

    #[test]
    fn unknown_types_keep_their_bytes() {
        let p = [0x85, 195, 0, 1, 1, 2, 3, 4];
        let Some(Ok(RtcpPacket::Unknown { packet_type, bytes })) = packets(&p).next() else {
            panic!()
        };
        assert_eq!(packet_type, PacketType(195));
        assert_eq!(bytes, &p);
    }

    #[test]
    fn rfc5506_reduced_size_packets_are_accepted_alone() {
        // A lone NACK, a lone FIR and a lone REMB: no SR/RR, no SDES.
        let nack = [0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 100, 0, 1];
        let fir = [
            0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 3, 0, 0, 0,
        ];
        let remb = [
            0x8f, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 1, 0x0c, 0x35, 0x00,
            0, 0, 0, 9,
        ];
        let Some(Ok(RtcpPacket::TransportFeedback(fb))) = packets(&nack).next() else {
            panic!()
        };
        let TransportFeedbackKind::Nack(pairs) = fb.kind() else {
            panic!()
        };
        assert_eq!(
            pairs.flat_map(NackPair::lost).collect::<Vec<_>>(),
            vec![100, 101]
        );
        let Some(Ok(RtcpPacket::PayloadFeedback(fb))) = packets(&fir).next() else {
            panic!()
        };
        let PayloadFeedbackKind::Fir(entries) = fb.kind() else {
            panic!()
        };
        assert_eq!(
            entries.collect::<Vec<_>>(),
            vec![FirEntry {
                ssrc: 9,
                sequence: 3
            }]
        );
        let Some(Ok(RtcpPacket::PayloadFeedback(fb))) = packets(&remb).next() else {
            panic!()
        };
        let PayloadFeedbackKind::Remb(r) = fb.kind() else {
            panic!()
        };
        // exp 3, mantissa 0x03500 -> 13568 << 3
        assert_eq!(r.bitrate(), 0x3500 << 3);
        assert_eq!(r.ssrcs().collect::<Vec<_>>(), vec![9]);
        // The strict check rejects them, as RFC 3550 §6.1 requires.
        assert_eq!(
            validate_compound(&nack),
            Err(RtcpCompoundError::FirstNotReport { packet_type: 205 })
        );
        // A FIR whose FCI is not whole 8-byte entries is a typed error.
        let bad_fir = [0x84, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        assert_eq!(
            packets(&bad_fir).next(),
            Some(Err(RtcpError {
                offset: 0,
                kind: RtcpErrorKind::BadFci {
                    packet_type: 206,
                    fmt: 4,
                    len: 4
                }
            }))
        );
    }

    #[test]
    fn rfc3550_6_1_compound_rules() {
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
        let sdes = [0x81, 202, 0, 2, 0, 0, 0, 1, 1, 1, b'a', 0];
        let bye = [0x81, 203, 0, 1, 0, 0, 0, 1];
        let cat = |parts: &[&[u8]]| parts.concat();
        assert_eq!(validate_compound(&cat(&[&rr, &sdes, &bye])), Ok(()));
        assert_eq!(validate_compound(&[]), Err(RtcpCompoundError::Empty));
        assert_eq!(
            validate_compound(&cat(&[&sdes, &rr])),
            Err(RtcpCompoundError::FirstNotReport { packet_type: 202 })
        );
        assert_eq!(
            validate_compound(&cat(&[&rr, &bye])),
            Err(RtcpCompoundError::MissingCname)
        );
        let padded_rr = [0xa0, 201, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4];
        assert_eq!(
            validate_compound(&cat(&[&padded_rr, &sdes])),
            Err(RtcpCompoundError::PaddingNotLast { offset: 0 })
        );
        assert!(matches!(
            validate_compound(&cat(&[&rr, &sdes[..8]])),
            Err(RtcpCompoundError::Packet(RtcpError { offset: 8, .. }))
        ));
    }
}
