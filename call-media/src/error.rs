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
