//! Reading RTP out of packet captures (pcap and pcapng), behind the `pcap`
//! feature.
//!
//! Two layers, both borrowing the caller's bytes:
//!
//! - [`CaptureReader`] walks a whole capture file held in memory (pcap in
//!   either byte order with micro- or nanosecond stamps, or pcapng with any
//!   number of sections and interfaces) and yields [`Frame`]s: the link
//!   type, the arrival time and the captured bytes. The container is parsed
//!   with the `pcap-parser` crate; a truncated or corrupt file is a
//!   [`CaptureError`] that names the byte offset of the bad record.
//! - [`decode_udp`] peels a frame down to its UDP payload: Ethernet (with
//!   802.1Q/802.1ad tags), Linux cooked capture v1 and v2, raw IP, and
//!   BSD loopback/null; IPv4 (fragments are not reassembled) and IPv6 (with
//!   hop-by-hop, routing and destination-options headers skipped).
//!
//! Feed the datagrams to [`crate::analyze::RtpAnalyzer`] to get per-stream
//! statistics.
//!
//! Limits: a record may carry at most [`MAX_FRAME_LEN`] bytes; a pcapng
//! file may declare at most [`MAX_INTERFACES`] interfaces per section.
//!
//! # Examples
//!
//! ```
//! use call_media::capture::{CaptureReader, decode_udp};
//!
//! // A pcap file header (microseconds, Ethernet) and no records.
//! let mut file = Vec::new();
//! file.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
//! file.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]);
//! let mut reader = CaptureReader::new(&file)?;
//! assert!(reader.next().is_none());
//!
//! // A truncated header names the offset.
//! let err = CaptureReader::new(&file[..10]).unwrap_err();
//! assert_eq!(err.offset(), 0);
//! # Ok::<(), call_media::error::CaptureError>(())
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use pcap_parser::PcapError;

use crate::error::CaptureError;
use pcap_parser::pcapng::Block;

/// The largest record accepted (bytes captured per frame).
pub const MAX_FRAME_LEN: usize = 256 * 1024;
/// The most interfaces a pcapng section may declare.
pub const MAX_INTERFACES: usize = 1024;

/// A link-layer header type (the pcap `LINKTYPE_*` registry; an open code
/// space, so unknown values survive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IPv4 or IPv6.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: the address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Byte offset of the record in the file.
    pub offset: usize,
    /// Arrival time since the Unix epoch (before it: zero).
    pub time: Duration,
    /// The link-layer type of `data`.
    pub link_type: LinkType,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The length of the frame on the wire (may exceed `data.len()`).
    pub original_len: usize,
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: LinkType,
    units_per_sec: u64,
    offset_secs: i64,
}

#[derive(Debug)]
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        link_type: LinkType,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Iterates over the frames of a pcap or pcapng file held in memory.
///
/// Yields `Err` once for a truncated or corrupt record and then stops.
#[derive(Debug)]
pub struct CaptureReader<'a> {
    data: &'a [u8],
    offset: usize,
    format: Format,
    failed: bool,
}

const PCAPNG_SHB: u32 = 0x0a0d_0d0a;

fn map_err<T>(
    result: Result<T, pcap_parser::nom::Err<PcapError<&[u8]>>>,
    offset: usize,
    what: &'static str,
) -> Result<T, CaptureError> {
    result.map_err(|e| match e {
        pcap_parser::nom::Err::Incomplete(_) => CaptureError::Truncated { offset, what },
        _ => CaptureError::Corrupt { offset, what },
    })
}

impl<'a> CaptureReader<'a> {
    /// Reads the file header and prepares to iterate.
    pub fn new(data: &'a [u8]) -> Result<Self, CaptureError> {
        let magic = match data.first_chunk::<4>() {
            Some(m) => u32::from_le_bytes(*m),
            None => {
                return Err(CaptureError::Truncated {
                    offset: 0,
                    what: "file header",
                });
            }
        };
        if magic == PCAPNG_SHB {
            let mut reader = CaptureReader {
                data,
                offset: 0,
                format: Format::PcapNg {
                    big_endian: false,
                    interfaces: Vec::new(),
                },
                failed: false,
            };
            // The first block must be a section header; reading it sets the byte order.
            let (rest, shb) = map_err(
                pcap_parser::parse_sectionheaderblock(data),
                0,
                "pcapng section header",
            )?;
            reader.format = Format::PcapNg {
                big_endian: shb.big_endian(),
                interfaces: Vec::new(),
            };
            reader.offset = data.len() - rest.len();
            return Ok(reader);
        }
        let pcap_magics = [0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1];
        if !pcap_magics.contains(&magic) {
            return Err(CaptureError::NotACapture { magic });
        }
        let (rest, header) = map_err(pcap_parser::parse_pcap_header(data), 0, "pcap file header")?;
        if header.is_modified_format() {
            return Err(CaptureError::Corrupt {
                offset: 0,
                what: "modified (Kuznetzov) pcap format is not supported",
            });
        }
        Ok(CaptureReader {
            data,
            offset: data.len() - rest.len(),
            format: Format::Pcap {
                big_endian: header.is_bigendian(),
                nanos: header.is_nanosecond_precision(),
                link_type: LinkType(header.network.0 as u32),
            },
            failed: false,
        })
    }

    /// The byte offset of the next record.
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn next_frame(&mut self) -> Result<Option<Frame<'a>>, CaptureError> {
        loop {
            let offset = self.offset;
            let Some(input) = self.data.get(offset..) else {
                return Ok(None);
            };
            if input.is_empty() {
                return Ok(None);
            }
            match &mut self.format {
                Format::Pcap {
                    big_endian,
                    nanos,
                    link_type,
                } => {
                    // Check the record length before the parser copies anything.
                    if let Some(&len) = input.get(8..).and_then(<[u8]>::first_chunk::<4>) {
                        let caplen = if *big_endian {
                            u32::from_be_bytes(len)
                        } else {
                            u32::from_le_bytes(len)
                        } as usize;
                        if caplen > MAX_FRAME_LEN {
                            return Err(CaptureError::FrameTooLong {
                                offset,
                                len: caplen,
                            });
                        }
                    }
                    let parsed = if *big_endian {
                        pcap_parser::parse_pcap_frame_be(input)
                    } else {
                        pcap_parser::parse_pcap_frame(input)
                    };
                    let (rest, block) = map_err(parsed, offset, "pcap record")?;
                    self.offset = self.data.len() - rest.len();
                    let sub = if *nanos {
                        u64::from(block.ts_usec)
                    } else {
                        u64::from(block.ts_usec) * 1000
                    };
                    if sub >= 1_000_000_000 {
                        return Err(CaptureError::Corrupt {
                            offset,
                            what: "pcap record timestamp fraction is not below one second",
                        });
                    }
                    return Ok(Some(Frame {
                        offset,
                        time: Duration::new(u64::from(block.ts_sec), sub as u32),
                        link_type: *link_type,
                        data: block.data,
                        original_len: block.origlen as usize,
                    }));
                }
                Format::PcapNg {
                    big_endian,
                    interfaces,
                } => {
                    // A new section may change the byte order: its byte-order
                    // magic says which.
                    if input.get(..4) == Some(&PCAPNG_SHB.to_le_bytes()[..])
                        && let Some(bom) = input.get(8..12)
                    {
                        *big_endian = bom == [0x1a, 0x2b, 0x3c, 0x4d];
                    }
                    if let Some(&len) = input.get(4..).and_then(<[u8]>::first_chunk::<4>) {
                        let block_len = if *big_endian {
                            u32::from_be_bytes(len)
                        } else {
                            u32::from_le_bytes(len)
                        } as usize;
                        if block_len > MAX_FRAME_LEN + 4096 {
                            return Err(CaptureError::FrameTooLong {
                                offset,
                                len: block_len,
                            });
                        }
                        if block_len < 12 || !block_len.is_multiple_of(4) {
                            return Err(CaptureError::Corrupt {
                                offset,
                                what: "pcapng block length is not a multiple of 4 of at least 12",
                            });
                        }
                    }
                    let parsed = if *big_endian {
                        pcap_parser::pcapng::parse_block_be(input)
                    } else {
                        pcap_parser::pcapng::parse_block_le(input)
                    };
                    let (rest, block) = map_err(parsed, offset, "pcapng block")?;
                    self.offset = self.data.len() - rest.len();
                    match block {
                        Block::SectionHeader(shb) => {
                            *big_endian = shb.big_endian();
                            interfaces.clear();
                        }
                        Block::InterfaceDescription(idb) => {
                            if interfaces.len() >= MAX_INTERFACES {
                                return Err(CaptureError::Corrupt {
                                    offset,
                                    what: "too many pcapng interfaces in one section",
                                });
                            }
                            let Some(units_per_sec) = units_per_second(idb.if_tsresol) else {
                                return Err(CaptureError::Corrupt {
                                    offset,
                                    what: "pcapng interface has an invalid timestamp resolution",
                                });
                            };
                            interfaces.push(Interface {
                                link_type: LinkType(idb.linktype.0 as u32),
                                units_per_sec,
                                offset_secs: idb.ts_offset(),
                            });
                        }
                        Block::EnhancedPacket(epb) => {
                            let Some(iface) = interfaces.get(epb.if_id as usize).copied() else {
                                return Err(CaptureError::UnknownInterface {
                                    offset,
                                    interface: epb.if_id,
                                });
                            };
                            let caplen = epb.caplen as usize;
                            let Some(data) = epb.data.get(..caplen) else {
                                return Err(CaptureError::Corrupt {
                                    offset,
                                    what: "pcapng packet captured length exceeds its block",
                                });
                            };
                            let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                            return Ok(Some(Frame {
                                offset,
                                time: ng_time(units, iface),
                                link_type: iface.link_type,
                                data,
                                original_len: epb.origlen as usize,
                            }));
                        }
                        Block::SimplePacket(spb) => {
                            let Some(iface) = interfaces.first().copied() else {
                                return Err(CaptureError::UnknownInterface {
                                    offset,
                                    interface: 0,
                                });
                            };
                            let caplen = (spb.origlen as usize).min(spb.data.len());
                            let data = spb.data.get(..caplen).unwrap_or_default();
                            // A simple packet block has no timestamp.
                            return Ok(Some(Frame {
                                offset,
                                time: Duration::ZERO,
                                link_type: iface.link_type,
                                data,
                                original_len: spb.origlen as usize,
                            }));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// pcapng `if_tsresol`: 10^-n s, or 2^-n s with the top bit set. (Decoded
/// here: `pcap-parser` 0.17 rejects every binary resolution.)
fn units_per_second(tsresol: u8) -> Option<u64> {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

fn ng_time(units: u64, iface: Interface) -> Duration {
    let per_sec = iface.units_per_sec;
    let secs = units / per_sec;
    let frac = units % per_sec;
    let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(per_sec)) as u32;
    let secs = secs.saturating_add_signed(iface.offset_secs);
    Duration::new(secs, nanos)
}

impl<'a> Iterator for CaptureReader<'a> {
    type Item = Result<Frame<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_frame() {
            Ok(frame) => frame.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// A UDP datagram found in a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UdpDatagram<'a> {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// The UDP payload, or as much of it as the capture holds.
    pub payload: &'a [u8],
    /// The capture's snap length cut the payload short (header-only
    /// captures of RTP are common); `payload` is the captured part.
    pub truncated: bool,
}

/// Why a frame yielded no UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Skip {
    /// A link type this decoder does not know.
    UnsupportedLinkType(LinkType),
    /// Not IPv4 or IPv6.
    NotIp,
    /// IP, but not UDP.
    NotUdp,
    /// An IP fragment (not reassembled).
    Fragment,
    /// A header is cut short by the capture's snap length.
    Truncated,
    /// A header is inconsistent.
    Malformed,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const IPPROTO_UDP: u8 = 17;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

/// Decodes a frame of `link_type` down to its UDP payload.
pub fn decode_udp(link_type: LinkType, frame: &[u8]) -> Result<UdpDatagram<'_>, Skip> {
    let (ethertype, ip) = match link_type {
        LinkType::ETHERNET => {
            let mut at = 12;
            let mut ethertype = be16(frame, at).ok_or(Skip::Truncated)?;
            // 802.1Q / 802.1ad tags, at most two.
            for _ in 0..2 {
                if ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ {
                    at += 4;
                    ethertype = be16(frame, at).ok_or(Skip::Truncated)?;
                }
            }
            (Some(ethertype), frame.get(at + 2..).ok_or(Skip::Truncated)?)
        }
        LinkType::LINUX_SLL => (
            Some(be16(frame, 14).ok_or(Skip::Truncated)?),
            frame.get(16..).ok_or(Skip::Truncated)?,
        ),
        LinkType::LINUX_SLL2 => (
            Some(be16(frame, 0).ok_or(Skip::Truncated)?),
            frame.get(20..).ok_or(Skip::Truncated)?,
        ),
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => (None, frame),
        LinkType::NULL | LinkType::LOOP => {
            // The family's byte order depends on the capturing host; the IP
            // version nibble says which protocol follows.
            (None, frame.get(4..).ok_or(Skip::Truncated)?)
        }
        other => return Err(Skip::UnsupportedLinkType(other)),
    };
    let version = ip.first().ok_or(Skip::Truncated)? >> 4;
    match (ethertype, version) {
        (Some(ETHERTYPE_IPV4) | None, 4) => decode_ipv4(ip),
        (Some(ETHERTYPE_IPV6) | None, 6) => decode_ipv6(ip),
        _ => Err(Skip::NotIp),
    }
}

fn decode_ipv4(ip: &[u8]) -> Result<UdpDatagram<'_>, Skip> {
    let header: &[u8; 20] = ip.first_chunk().ok_or(Skip::Truncated)?;
    let ihl = usize::from(header[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if ihl < 20 || total < ihl {
        return Err(Skip::Malformed);
    }
    let flags_frag = u16::from_be_bytes([header[6], header[7]]);
    if flags_frag & 0x3fff != 0 {
        // More-fragments set or a non-zero offset.
        return Err(Skip::Fragment);
    }
    if header[9] != IPPROTO_UDP {
        return Err(Skip::NotUdp);
    }
    let src = Ipv4Addr::new(header[12], header[13], header[14], header[15]);
    let dst = Ipv4Addr::new(header[16], header[17], header[18], header[19]);
    // Ethernet may pad short frames: the IP total length bounds the datagram.
    // A snap length may cut it: keep what was captured.
    let body = ip.get(ihl..total.min(ip.len())).ok_or(Skip::Truncated)?;
    decode_udp_header(IpAddr::V4(src), IpAddr::V4(dst), body)
}

fn decode_ipv6(ip: &[u8]) -> Result<UdpDatagram<'_>, Skip> {
    let header: &[u8; 40] = ip.first_chunk().ok_or(Skip::Truncated)?;
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let mut next = header[6];
    let mut src = [0u8; 16];
    src.copy_from_slice(&header[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&header[24..40]);
    let mut body = ip
        .get(40..(40 + payload_len).min(ip.len()))
        .ok_or(Skip::Truncated)?;
    // Skip extension headers; at most 8 so a crafted chain cannot loop long.
    for _ in 0..8 {
        match next {
            IPPROTO_UDP => {
                return decode_udp_header(
                    IpAddr::V6(Ipv6Addr::from(src)),
                    IpAddr::V6(Ipv6Addr::from(dst)),
                    body,
                );
            }
            // Hop-by-hop, routing, destination options.
            0 | 43 | 60 => {
                let [nh, len, ..] = *body else {
                    return Err(Skip::Truncated);
                };
                let ext_len = (usize::from(len) + 1) * 8;
                body = body.get(ext_len..).ok_or(Skip::Truncated)?;
                next = nh;
            }
            44 => return Err(Skip::Fragment),
            _ => return Err(Skip::NotUdp),
        }
    }
    Err(Skip::Malformed)
}

fn decode_udp_header(src: IpAddr, dst: IpAddr, body: &[u8]) -> Result<UdpDatagram<'_>, Skip> {
    let header: &[u8; 8] = body.first_chunk().ok_or(Skip::Truncated)?;
    let src_port = u16::from_be_bytes([header[0], header[1]]);
    let dst_port = u16::from_be_bytes([header[2], header[3]]);
    let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    if len < 8 {
        return Err(Skip::Malformed);
    }
    let payload = body.get(8..len.min(body.len())).ok_or(Skip::Malformed)?;
    Ok(UdpDatagram {
        src: SocketAddr::new(src, src_port),
        dst: SocketAddr::new(dst, dst_port),
        payload,
        truncated: len > body.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp_ipv4(payload: &[u8]) -> Vec<u8> {
        let total = 20 + 8 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        let udp_len = 8 + payload.len();
        p.extend_from_slice(&[
            0x13,
            0x88,
            0x0f,
            0xa0,
            (udp_len >> 8) as u8,
            udp_len as u8,
            0,
            0,
        ]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn decodes_every_link_type() {
        let ip = udp_ipv4(b"hello");
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0, 5, 0x08, 0x00]);
        eth.extend_from_slice(&ip);
        eth.extend_from_slice(&[0; 6]); // Ethernet padding must be ignored
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        for (link, frame) in [
            (LinkType::ETHERNET, &eth),
            (LinkType::LINUX_SLL, &sll),
            (LinkType::LINUX_SLL2, &sll2),
            (LinkType::NULL, &null),
            (LinkType::RAW, &ip),
        ] {
            let d = decode_udp(link, frame).unwrap();
            assert_eq!(d.payload, b"hello", "{link:?}");
            assert_eq!(d.src, "10.0.0.1:5000".parse().unwrap());
            assert_eq!(d.dst, "10.0.0.2:4000".parse().unwrap());
        }
    }

    #[test]
    fn decodes_ipv6_with_extension_header() {
        let mut ip = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
        ip.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        ip.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        // Destination options (8 bytes) then UDP.
        let body = [
            &[17u8, 0, 1, 4, 0, 0, 0, 0][..],
            &[0x10, 0x00, 0x10, 0x02, 0, 10, 0, 0, 0xaa, 0xbb][..],
        ]
        .concat();
        ip[4] = 0;
        ip[5] = body.len() as u8;
        ip[6] = 60;
        ip.extend_from_slice(&body);
        let d = decode_udp(LinkType::IPV6, &ip).unwrap();
        assert_eq!(d.payload, &[0xaa, 0xbb]);
        assert_eq!(d.dst.port(), 4098);
    }

    #[test]
    fn skips_fragments_non_udp_and_truncation() {
        let mut ip = udp_ipv4(b"x");
        ip[6] = 0x20; // more fragments
        assert_eq!(decode_udp(LinkType::RAW, &ip), Err(Skip::Fragment));
        let mut ip = udp_ipv4(b"x");
        ip[9] = 6;
        assert_eq!(decode_udp(LinkType::RAW, &ip), Err(Skip::NotUdp));
        // A snap length that cuts the payload keeps what was captured.
        let ip = udp_ipv4(b"xyz");
        let cut = decode_udp(LinkType::RAW, &ip[..ip.len() - 1]).unwrap();
        assert_eq!(cut.payload, b"xy");
        assert!(cut.truncated);
        assert!(!decode_udp(LinkType::RAW, &ip).unwrap().truncated);
        // Cut inside the UDP header: nothing to report.
        assert_eq!(decode_udp(LinkType::RAW, &ip[..24]), Err(Skip::Truncated));
        assert_eq!(
            decode_udp(LinkType(147), &ip),
            Err(Skip::UnsupportedLinkType(LinkType(147)))
        );
        assert_eq!(
            decode_udp(LinkType::ETHERNET, &[0; 5]),
            Err(Skip::Truncated)
        );
    }

    fn pcap_file(records: &[&[u8]]) -> Vec<u8> {
        let mut f = 0xa1b2_c3d4_u32.to_le_bytes().to_vec();
        f.extend_from_slice(&[
            2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0,
        ]);
        for (i, r) in records.iter().enumerate() {
            f.extend_from_slice(&(i as u32).to_le_bytes());
            f.extend_from_slice(&500_000u32.to_le_bytes());
            f.extend_from_slice(&(r.len() as u32).to_le_bytes());
            f.extend_from_slice(&(r.len() as u32).to_le_bytes());
            f.extend_from_slice(r);
        }
        f
    }

    #[test]
    fn reads_pcap_records_and_reports_truncation_offset() {
        let ip = udp_ipv4(b"abc");
        let file = pcap_file(&[&ip, &ip]);
        let frames: Vec<_> = CaptureReader::new(&file)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].time, Duration::new(1, 500_000_000));
        assert_eq!(frames[0].offset, 24);
        assert_eq!(frames[1].offset, 24 + 16 + ip.len());
        let cut = &file[..file.len() - 3];
        let results: Vec<_> = CaptureReader::new(cut).unwrap().collect();
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[1],
            Err(CaptureError::Truncated {
                offset: 24 + 16 + ip.len(),
                what: "pcap record"
            })
        );
        let msg = results[1].clone().unwrap_err().to_string();
        assert!(msg.contains("byte offset 71"), "{msg}");
    }

    fn ng_block(out: &mut Vec<u8>, be: bool, block_type: u32, body: &[u8]) {
        let len = (12 + body.len()) as u32;
        let w = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        out.extend_from_slice(&w(block_type));
        out.extend_from_slice(&w(len));
        out.extend_from_slice(body);
        out.extend_from_slice(&w(len));
    }

    /// A pcapng section: SHB, an IDB with `tsresol`, and one EPB per frame.
    fn ng_section(out: &mut Vec<u8>, be: bool, link: u16, tsresol: u8, frames: &[(u64, &[u8])]) {
        let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut shb = w32(0x1a2b_3c4d).to_vec();
        shb.extend_from_slice(&w16(1));
        shb.extend_from_slice(&w16(0));
        shb.extend_from_slice(&[0xff; 8]);
        ng_block(out, be, 0x0a0d_0d0a, &shb);
        let mut idb = w16(link).to_vec();
        idb.extend_from_slice(&w16(0));
        idb.extend_from_slice(&w32(65535));
        idb.extend_from_slice(&w16(9)); // if_tsresol
        idb.extend_from_slice(&w16(1));
        idb.extend_from_slice(&[tsresol, 0, 0, 0]);
        idb.extend_from_slice(&[0; 4]);
        ng_block(out, be, 1, &idb);
        for (units, data) in frames {
            let mut epb = w32(0).to_vec();
            epb.extend_from_slice(&w32((units >> 32) as u32));
            epb.extend_from_slice(&w32(*units as u32));
            epb.extend_from_slice(&w32(data.len() as u32));
            epb.extend_from_slice(&w32(data.len() as u32));
            epb.extend_from_slice(data);
            while epb.len() % 4 != 0 {
                epb.push(0);
            }
            ng_block(out, be, 6, &epb);
        }
    }

    #[test]
    fn reads_pcapng_sections_of_both_byte_orders_and_resolutions() {
        let ip = udp_ipv4(b"rtp!");
        let mut file = Vec::new();
        // Microseconds (the default resolution 6), little-endian, raw IP.
        ng_section(&mut file, false, 101, 6, &[(1_500_000, &ip)]);
        // A second section, big-endian, nanoseconds, Linux SLL2.
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        ng_section(&mut file, true, 276, 9, &[(2_000_000_123, &sll2)]);
        // Binary resolution: 2^-10 s units.
        ng_section(&mut file, false, 101, 0x80 | 10, &[(3 * 1024 + 512, &ip)]);
        let frames: Vec<_> = CaptureReader::new(&file)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].time, Duration::from_micros(1_500_000));
        assert_eq!(frames[1].time, Duration::new(2, 123));
        assert_eq!(frames[1].link_type, LinkType::LINUX_SLL2);
        assert_eq!(frames[2].time, Duration::from_millis(3500));
        for f in &frames {
            assert_eq!(decode_udp(f.link_type, f.data).unwrap().payload, b"rtp!");
        }
    }

    #[test]
    fn pcapng_errors_name_the_block_offset() {
        let ip = udp_ipv4(b"x");
        let mut file = Vec::new();
        ng_section(&mut file, false, 101, 9, &[(1, &ip), (2, &ip)]);
        let last_epb = file.len() - (12 + 20 + ip.len().next_multiple_of(4));
        // Cut inside the last packet block.
        let results: Vec<_> = CaptureReader::new(&file[..file.len() - 6])
            .unwrap()
            .collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[1].as_ref().unwrap_err().offset(), last_epb);
        assert!(matches!(results[1], Err(CaptureError::Truncated { .. })));
        // A packet naming interface 3, which was never described.
        let mut bad = file.clone();
        bad[last_epb + 8] = 3;
        let results: Vec<_> = CaptureReader::new(&bad).unwrap().collect();
        assert_eq!(
            results[1],
            Err(CaptureError::UnknownInterface {
                offset: last_epb,
                interface: 3
            })
        );
        // A block length that is not a multiple of four.
        let mut bad = file.clone();
        bad[last_epb + 4] ^= 1;
        let err = CaptureReader::new(&bad)
            .unwrap()
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(err, CaptureError::Corrupt { offset, .. } if offset == last_epb),
            "{err}"
        );
    }

    #[test]
    fn reads_big_endian_microsecond_pcap() {
        let ip = udp_ipv4(b"be");
        let mut f = 0xa1b2_c3d4_u32.to_be_bytes().to_vec();
        f.extend_from_slice(&[
            0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 228,
        ]);
        f.extend_from_slice(&7u32.to_be_bytes());
        f.extend_from_slice(&250u32.to_be_bytes());
        f.extend_from_slice(&(ip.len() as u32).to_be_bytes());
        f.extend_from_slice(&(ip.len() as u32).to_be_bytes());
        f.extend_from_slice(&ip);
        let frames: Vec<_> = CaptureReader::new(&f)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(frames[0].time, Duration::new(7, 250_000));
        assert_eq!(frames[0].link_type, LinkType::IPV4);
        assert_eq!(
            decode_udp(frames[0].link_type, frames[0].data)
                .unwrap()
                .payload,
            b"be"
        );
    }

    #[test]
    fn rejects_garbage_and_huge_records() {
        assert_eq!(
            CaptureReader::new(b"GIF89a..").unwrap_err(),
            CaptureError::NotACapture { magic: 0x3846_4947 }
        );
        let mut file = pcap_file(&[]);
        file.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        let err = CaptureReader::new(&file)
            .unwrap()
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(err.offset(), 24);
        assert!(matches!(err, CaptureError::FrameTooLong { .. }));
    }
}
