//! Application-defined packets (RFC 3550 §6.7).

use crate::error::RtcpErrorKind;
use crate::wire::u32_at;

/// An APP packet (type 204), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct App<'a> {
    body: &'a [u8],
    subtype: u8,
}

#[inline]
pub(crate) fn parse(body: &[u8], subtype: u8) -> Result<App<'_>, RtcpErrorKind> {
    if body.len() < 8 {
        return Err(RtcpErrorKind::Truncated {
            packet_type: 204,
            needed: 8,
            len: body.len(),
        });
    }
    Ok(App { body, subtype })
}

impl<'a> App<'a> {
    /// The 5-bit subtype.
    #[inline]
    pub const fn subtype(&self) -> u8 {
        self.subtype
    }

    /// The sender's SSRC or CSRC.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }

    /// The four-character name.
    #[inline]
    pub fn name(&self) -> [u8; 4] {
        u32_at(self.body, 4).to_be_bytes()
    }

    /// The application-dependent data.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.body.get(8..).unwrap_or_default()
    }
}
