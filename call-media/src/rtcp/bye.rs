//! Goodbye (RFC 3550 §6.6).

use crate::error::RtcpErrorKind;
use crate::wire::u8_at;

/// A BYE packet (type 203), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Goodbye<'a> {
    sources: &'a [u8],
    reason: Option<&'a [u8]>,
}

#[inline]
pub(crate) fn parse(body: &[u8], count: u8) -> Result<Goodbye<'_>, RtcpErrorKind> {
    let list = 4 * usize::from(count);
    let Some((sources, rest)) = body.split_at_checked(list) else {
        return Err(RtcpErrorKind::Truncated {
            packet_type: 203,
            needed: list,
            len: body.len(),
        });
    };
    let reason = if rest.is_empty() {
        None
    } else {
        let len = usize::from(u8_at(rest, 0));
        Some(
            rest.get(1..1 + len)
                .ok_or(RtcpErrorKind::ByeReasonOverrun { len })?,
        )
    };
    Ok(Goodbye { sources, reason })
}

impl<'a> Goodbye<'a> {
    /// The sources leaving.
    #[inline]
    pub fn sources(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.sources
            .as_chunks::<4>()
            .0
            .iter()
            .map(|c| u32::from_be_bytes(*c))
    }

    /// The reason for leaving, if given (UTF-8 text by the RFC, not checked).
    #[inline]
    pub const fn reason(&self) -> Option<&'a [u8]> {
        self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_reason() {
        let bye = parse(&[0, 0, 0, 1, 0, 0, 0, 2, 3, b'b', b'y', b'e'], 2).unwrap();
        assert_eq!(bye.sources().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(bye.reason(), Some(&b"bye"[..]));
        assert_eq!(parse(&[0, 0, 0, 1], 1).unwrap().reason(), None);
        assert_eq!(
            parse(&[0, 0, 0, 1, 9, b'x', 0, 0], 1),
            Err(RtcpErrorKind::ByeReasonOverrun { len: 9 })
        );
        assert!(matches!(
            parse(&[0, 0, 0, 1], 2),
            Err(RtcpErrorKind::Truncated { .. })
        ));
    }
}
