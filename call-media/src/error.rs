//! Errors, one type per operation. None of them allocates.

/// Why a buffer is not a valid RTP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// The buffer is shorter than the fixed header.
    #[error("RTP packet is {len} bytes; the fixed header needs {needed}")]
    TooShort {
        /// Length of the buffer.
        len: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// The version field is not 2.
    #[error("RTP version is {version}, expected 2")]
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// The CSRC list runs past the end of the buffer.
    #[error("RTP CSRC count {csrc_count} does not fit a {len}-byte packet")]
    CsrcOverrun {
        /// The CSRC count from the header.
        csrc_count: u8,
        /// Length of the buffer.
        len: usize,
    },
    /// The header extension runs past the end of the buffer.
    #[error("RTP header extension needs {needed} bytes but the packet has {len}")]
    ExtensionOverrun {
        /// Bytes the extension needs, counted from the start of the packet.
        needed: usize,
        /// Length of the buffer.
        len: usize,
    },
    /// The padding bit is set but the padding count octet is zero.
    #[error("RTP padding bit is set but the padding count is 0")]
    ZeroPadding,
    /// The padding count runs back past the end of the header.
    #[error("RTP padding count {count} is larger than the {available} bytes after the header")]
    PaddingOverrun {
        /// The padding count octet.
        count: u8,
        /// Bytes after the header (payload plus padding).
        available: usize,
    },
}

/// Why an RFC 8285 header-extension element could not be read.
///
/// The element iterator yields this once and then stops: the elements after a
/// malformed one cannot be located.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpExtensionError {
    /// A one-byte header has ID 0 with a non-zero length field: ID 0 is
    /// reserved for the padding byte 0x00 (RFC 8285 §4.2).
    #[error(
        "RTP extension byte {offset}: ID 0 is reserved for padding but the length field is {length_field}"
    )]
    ReservedIdZero {
        /// Offset of the element header inside the extension data.
        offset: usize,
        /// The length field found (non-zero).
        length_field: u8,
    },
    /// A two-byte element header is cut off after its ID.
    #[error("RTP extension byte {offset}: two-byte element {id} has no length byte")]
    MissingLength {
        /// Offset of the element header inside the extension data.
        offset: usize,
        /// The element ID.
        id: u8,
    },
    /// An element's data runs past the end of the extension.
    #[error(
        "RTP extension byte {offset}: element {id} declares {len} bytes but only {available} remain"
    )]
    ElementOverrun {
        /// Offset of the element header inside the extension data.
        offset: usize,
        /// The element ID.
        id: u8,
        /// The declared data length.
        len: usize,
        /// Bytes left in the extension after the element header.
        available: usize,
    },
}

/// Why an RTP packet could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpWriteError {
    /// The output buffer is too small for the packet.
    #[error("RTP packet needs {needed} bytes but the buffer has {len}")]
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
        /// Length of the buffer.
        len: usize,
    },
    /// More than 15 CSRCs.
    #[error("RTP packet has {count} CSRCs; the header holds at most 15")]
    TooManyCsrcs {
        /// CSRCs given.
        count: usize,
    },
    /// The payload type does not fit in 7 bits.
    #[error("RTP payload type {payload_type} does not fit in 7 bits")]
    PayloadTypeOutOfRange {
        /// The payload type given.
        payload_type: u8,
    },
    /// An extension element ID is not usable in the chosen form (one-byte:
    /// 1..=14; two-byte: 1..=255).
    #[error("RTP extension element ID {id} is not valid in the {form} form")]
    ExtensionIdOutOfRange {
        /// The element ID.
        id: u8,
        /// `"one-byte"` or `"two-byte"`.
        form: &'static str,
    },
    /// An extension element's data does not fit its form (one-byte: 1..=16
    /// bytes; two-byte: 0..=255 bytes).
    #[error("RTP extension element {id} has {len} bytes, not valid in the {form} form")]
    ExtensionElementLength {
        /// The element ID.
        id: u8,
        /// The data length.
        len: usize,
        /// `"one-byte"` or `"two-byte"`.
        form: &'static str,
    },
    /// The two-byte form's appbits do not fit in 4 bits.
    #[error("RTP two-byte extension appbits {appbits:#x} do not fit in 4 bits")]
    AppbitsOutOfRange {
        /// The appbits given.
        appbits: u8,
    },
    /// RFC 3550 generic extension data must be a whole number of 32-bit words.
    #[error("RTP generic extension data is {len} bytes, not a multiple of 4")]
    ExtensionNotWordAligned {
        /// The data length.
        len: usize,
    },
    /// The extension is longer than its 16-bit word count can express.
    #[error("RTP header extension is {len} bytes; at most 262140 fit")]
    ExtensionTooLong {
        /// The extension data length in bytes (after padding to a word).
        len: usize,
    },
}

/// Why an RTCP packet inside a compound datagram could not be read.
///
/// `offset` is where the offending RTCP packet starts in the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("RTCP packet at byte {offset}: {kind}")]
#[non_exhaustive]
pub struct RtcpError {
    /// Byte offset of the RTCP packet (its common header) in the datagram.
    pub offset: usize,
    /// What is wrong.
    pub kind: RtcpErrorKind,
}

/// What is wrong with an RTCP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpErrorKind {
    /// Fewer than 4 bytes are left for a common header.
    #[error("{len} bytes left; the common header needs 4")]
    TooShort {
        /// Bytes left in the datagram.
        len: usize,
    },
    /// The version field is not 2.
    #[error("version is {version}, expected 2")]
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// The length field declares more bytes than the datagram holds.
    #[error("length field declares {declared} bytes but {available} remain")]
    LengthOverrun {
        /// Packet length from the header, in bytes.
        declared: usize,
        /// Bytes left in the datagram from this packet on.
        available: usize,
    },
    /// The padding bit is set but the padding count octet is zero.
    #[error("padding bit is set but the padding count is 0")]
    ZeroPadding,
    /// The padding count is larger than the packet body.
    #[error("padding count {count} is larger than the {available}-byte body")]
    PaddingOverrun {
        /// The padding count octet.
        count: u8,
        /// Bytes after the common header.
        available: usize,
    },
    /// The body is too short for what the header says it holds.
    #[error("packet type {packet_type} needs {needed} bytes of body but has {len}")]
    Truncated {
        /// The packet type.
        packet_type: u8,
        /// Body bytes needed.
        needed: usize,
        /// Body bytes present (after removing padding).
        len: usize,
    },
    /// An SDES chunk runs past the end of the packet or lacks its
    /// terminating null item.
    #[error("SDES chunk {chunk} runs past the end of the packet")]
    SdesChunkOverrun {
        /// Index of the chunk.
        chunk: usize,
    },
    /// The SDES source count does not match the chunks present.
    #[error("SDES header counts {declared} chunks but {found} are present")]
    SdesChunkCount {
        /// Chunks declared by the source count.
        declared: u8,
        /// Chunks found in the body.
        found: usize,
    },
    /// A BYE reason length runs past the end of the packet.
    #[error("BYE reason of {len} bytes runs past the end of the packet")]
    ByeReasonOverrun {
        /// Declared reason length.
        len: usize,
    },
    /// A feedback message's FCI has the wrong size for its format.
    #[error("feedback packet type {packet_type} FMT {fmt}: FCI of {len} bytes is malformed")]
    BadFci {
        /// 205 (RTPFB) or 206 (PSFB).
        packet_type: u8,
        /// The feedback message type.
        fmt: u8,
        /// FCI length in bytes.
        len: usize,
    },
    /// An XR report block runs past the end of the packet or has the wrong
    /// length for its type.
    #[error("XR block type {block_type} at body byte {at} has a bad length")]
    BadXrBlock {
        /// The block type.
        block_type: u8,
        /// Offset of the block inside the XR body.
        at: usize,
    },
}

/// Why a compound RTCP datagram breaks the RFC 3550 §6.1 rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpCompoundError {
    /// One of its packets does not parse.
    #[error(transparent)]
    Packet(#[from] RtcpError),
    /// The datagram is empty.
    #[error("RTCP compound datagram is empty")]
    Empty,
    /// The first packet is not an SR or RR.
    #[error("RTCP compound starts with packet type {packet_type}, not SR or RR")]
    FirstNotReport {
        /// Type of the first packet.
        packet_type: u8,
    },
    /// A packet other than the last has its padding bit set.
    #[error("RTCP packet at byte {offset} has padding but is not the last in the compound")]
    PaddingNotLast {
        /// Offset of the packet.
        offset: usize,
    },
    /// No SDES packet carries a CNAME item.
    #[error("RTCP compound has no SDES CNAME item")]
    MissingCname,
}

/// Why an RTCP packet could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpWriteError {
    /// The output buffer has no room for the packet.
    #[error("RTCP packet needs {needed} bytes but {available} are left in the buffer")]
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
        /// Bytes left in the buffer.
        available: usize,
    },
    /// More items than the 5-bit count field holds (report blocks, SDES
    /// chunks, BYE sources).
    #[error("RTCP packet type {packet_type} has {count} entries; the count field holds at most 31")]
    TooManyEntries {
        /// The packet type.
        packet_type: u8,
        /// Entries given.
        count: usize,
    },
    /// A value longer than its 8-bit length field holds (SDES item, BYE reason).
    #[error("RTCP text of {len} bytes is longer than 255")]
    TextTooLong {
        /// Length given.
        len: usize,
    },
    /// An SDES item type of 0 (reserved for the end of a chunk).
    #[error("RTCP SDES item type 0 is the chunk terminator, not an item")]
    SdesEndItem,
    /// APP subtype above 31, or APP data not a multiple of 4 bytes.
    #[error(
        "RTCP APP subtype {subtype} or {len}-byte data is invalid (subtype <= 31, data a multiple of 4)"
    )]
    BadApp {
        /// Subtype given.
        subtype: u8,
        /// Data length given.
        len: usize,
    },
    /// The packet would be longer than the 16-bit length field holds.
    #[error("RTCP packet of {len} bytes is too long for the length field")]
    PacketTooLong {
        /// Packet length in bytes.
        len: usize,
    },
    /// A generic NACK needs at least one entry (RFC 4585 §6.2.1).
    #[error("RTCP generic NACK needs at least one entry")]
    EmptyNack,
    /// A FIR needs at least one entry (RFC 5104 §4.3.1).
    #[error("RTCP FIR needs at least one entry")]
    EmptyFir,
}

/// Why a payload is not an RFC 4733 telephone-event payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TelephoneEventError {
    /// Fewer than four octets.
    #[error("telephone-event payload is {len} bytes; an event needs 4")]
    TooShort {
        /// Length of the payload.
        len: usize,
    },
    /// Not a whole, non-zero number of four-octet events.
    #[error("telephone-event payload of {len} bytes is not a whole number of 4-byte events")]
    BadLength {
        /// Length of the payload.
        len: usize,
    },
}

/// Why a capture file cannot be read (`capture` module, feature `pcap`).
#[cfg(feature = "pcap")]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng file: magic {magic:#010x} at byte offset 0")]
    NotACapture {
        /// The first four bytes, little-endian.
        magic: u32,
    },
    /// The file ends inside a header or record.
    #[error("capture truncated: {what} at byte offset {offset} runs past the end of the file")]
    Truncated {
        /// Byte offset of the header or record that is cut short.
        offset: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A header or record is malformed.
    #[error("capture corrupt: {what} at byte offset {offset}")]
    Corrupt {
        /// Byte offset of the bad header or record.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A record is larger than [`crate::capture::MAX_FRAME_LEN`].
    #[error(
        "capture record at byte offset {offset} claims {len} bytes (limit {})",
        crate::capture::MAX_FRAME_LEN
    )]
    FrameTooLong {
        /// Byte offset of the record.
        offset: usize,
        /// Captured length it claims.
        len: usize,
    },
    /// A pcapng packet names an interface that was not described.
    #[error("pcapng packet at byte offset {offset} names undeclared interface {interface}")]
    UnknownInterface {
        /// Byte offset of the packet block.
        offset: usize,
        /// The interface id.
        interface: u32,
    },
}

#[cfg(feature = "pcap")]
impl CaptureError {
    /// The byte offset the error is about.
    pub fn offset(&self) -> usize {
        match self {
            CaptureError::NotACapture { .. } => 0,
            CaptureError::Truncated { offset, .. }
            | CaptureError::Corrupt { offset, .. }
            | CaptureError::FrameTooLong { offset, .. }
            | CaptureError::UnknownInterface { offset, .. } => *offset,
        }
    }
}
