//! `call-media`: the media plane of the call SDK.
//!
//! What this crate does today: RTP and RTCP parsing and writing without
//! copies or allocation, per-SSRC receiver statistics, RFC 4733
//! telephone-event payloads, and an RTP stream analyzer with a pcap/pcapng
//! reader. Everything is sans-IO: the host reads datagrams from its own
//! sockets and passes them in with the arrival time. The rest of the media
//! plane (a jitter buffer, the G.711 and G.722 codecs, in-band DTMF,
//! packet-loss concealment, comfort noise and voice activity detection) is
//! not in this crate yet.
//!
//! How it composes with the rest of the family:
//!
//! - RFC 4733 digits read here ([`telephone_event`]) can drive `call-ivr`
//!   menus and digit collection.
//! - Nothing here depends on the other crates: a recorder or an SBC can take
//!   `call-media` alone.
//!
//! The packet layer: [`rtp`] validates a datagram once into a borrowed
//! [`rtp::RtpPacket`] (CSRCs, RFC 3550 and RFC 8285 header extensions,
//! padding), writes packets with [`rtp::RtpBuilder`] and keeps them as
//! [`rtp::OwnedRtpPacket`] over `bytes::Bytes`; [`rtcp`] walks compound
//! datagrams as typed views (SR, RR, SDES, BYE, APP, feedback, XR), checks the
//! strict compound rules, and writes compounds with
//! [`rtcp::CompoundWriter`]. None of it allocates; errors are in [`error`].
//!
//! On the receiving side, [`seq`] extends sequence numbers and timestamps
//! (RFC 3550 §A.1), [`stats`] keeps per-SSRC receiver statistics and builds
//! RTCP report blocks from them, and [`analyze`] finds RTP streams in
//! arbitrary UDP traffic and scores them the way Wireshark does; with the
//! `pcap` feature, the `capture` module reads pcap and pcapng files for it
//! (the `rtp_analyze` example is a complete host).
//!
//! # Example
//!
//! ```
//! use call_media::rtp::RtpPacket;
//!
//! let datagram = [0x80, 0x08, 0x12, 0x34, 0, 0, 0, 240, 0, 0, 0, 7, 0xd5, 0xd5];
//! let packet = RtpPacket::parse(&datagram)?;
//! assert_eq!(packet.payload_type(), 8); // PCMA
//! assert_eq!(packet.payload().len(), 2);
//! # Ok::<(), call_media::error::RtpError>(())
//! ```

pub mod analyze;
#[cfg(feature = "pcap")]
pub mod capture;
pub mod error;
pub mod rtcp;
pub mod rtp;
pub mod seq;
pub mod stats;
pub mod telephone_event;
mod wire;
