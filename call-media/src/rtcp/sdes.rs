//! Source description (RFC 3550 §6.5): chunks of typed text items.

use crate::error::RtcpErrorKind;
use crate::wire::{u8_at, u32_at};

/// An SDES item type: an open code space (RFC 3550 §6.5, IANA registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SdesItemType(pub u8);

impl SdesItemType {
    /// End of a chunk's item list (never an item).
    pub const END: Self = Self(0);
    /// Canonical end-point identifier, required in every compound packet.
    pub const CNAME: Self = Self(1);
    /// User name.
    pub const NAME: Self = Self(2);
    /// E-mail address.
    pub const EMAIL: Self = Self(3);
    /// Phone number.
    pub const PHONE: Self = Self(4);
    /// Geographic location.
    pub const LOC: Self = Self(5);
    /// Application or tool name.
    pub const TOOL: Self = Self(6);
    /// Notice or status.
    pub const NOTE: Self = Self(7);
    /// Private extension (prefix length, prefix, value).
    pub const PRIV: Self = Self(8);
}

/// One SDES item: a type and its value (UTF-8 text by the RFC, not checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SdesItem<'a> {
    /// The item type.
    pub kind: SdesItemType,
    /// The value, at most 255 bytes.
    pub value: &'a [u8],
}

impl<'a> SdesItem<'a> {
    /// A CNAME item.
    #[inline]
    pub const fn cname(value: &'a [u8]) -> Self {
        SdesItem {
            kind: SdesItemType::CNAME,
            value,
        }
    }
}

/// An SDES packet (type 202), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceDescription<'a> {
    body: &'a [u8],
    count: u8,
}

/// Validates the chunk list; returns the view.
#[inline]
pub(crate) fn parse(body: &[u8], count: u8) -> Result<SourceDescription<'_>, RtcpErrorKind> {
    let mut pos = 0;
    for chunk in 0..usize::from(count) {
        pos = chunk_end(body, pos).ok_or(if pos >= body.len() {
            RtcpErrorKind::SdesChunkCount {
                declared: count,
                found: chunk,
            }
        } else {
            RtcpErrorKind::SdesChunkOverrun { chunk }
        })?;
    }
    Ok(SourceDescription { body, count })
}

/// Where the chunk starting at `start` ends (after its null padding), or
/// `None` if it is not complete.
#[inline]
fn chunk_end(body: &[u8], start: usize) -> Option<usize> {
    let mut pos = start.checked_add(4)?;
    if pos > body.len() {
        return None;
    }
    loop {
        let kind = *body.get(pos)?;
        if kind == 0 {
            // RFC 3550 §6.5: a null octet ends the list; more nulls pad the
            // chunk to a 32-bit boundary.
            return Some((pos + 1).next_multiple_of(4).min(body.len()));
        }
        let len = usize::from(*body.get(pos + 1)?);
        pos += 2 + len;
        if pos > body.len() {
            return None;
        }
    }
}

impl<'a> SourceDescription<'a> {
    /// The chunks, one per source.
    #[inline]
    pub fn chunks(&self) -> SdesChunks<'a> {
        SdesChunks {
            body: self.body,
            pos: 0,
            left: self.count,
        }
    }

    /// The first CNAME in the packet, if any.
    #[inline]
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.chunks()
            .flat_map(|c| c.items())
            .find(|i| i.kind == SdesItemType::CNAME)
            .map(|i| i.value)
    }
}

/// Iterator over SDES chunks.
#[derive(Clone, Debug)]
pub struct SdesChunks<'a> {
    body: &'a [u8],
    pos: usize,
    left: u8,
}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = SdesChunk<'a>;

    #[inline]
    fn next(&mut self) -> Option<SdesChunk<'a>> {
        if self.left == 0 {
            return None;
        }
        let end = chunk_end(self.body, self.pos)?;
        let chunk = SdesChunk {
            ssrc: u32_at(self.body, self.pos),
            items: self.body.get(self.pos + 4..end).unwrap_or_default(),
        };
        self.pos = end;
        self.left -= 1;
        Some(chunk)
    }
}

/// One SDES chunk: a source and its items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    ssrc: u32,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The SSRC or CSRC described.
    #[inline]
    pub const fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The items, in order.
    #[inline]
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems {
            items: self.items,
            pos: 0,
        }
    }
}

/// Iterator over the items of one chunk.
#[derive(Clone, Debug)]
pub struct SdesItems<'a> {
    items: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;

    #[inline]
    fn next(&mut self) -> Option<SdesItem<'a>> {
        let kind = u8_at(self.items, self.pos);
        if kind == 0 {
            return None;
        }
        let len = usize::from(u8_at(self.items, self.pos + 1));
        let value = self.items.get(self.pos + 2..self.pos + 2 + len)?;
        self.pos += 2 + len;
        Some(SdesItem {
            kind: SdesItemType(kind),
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3550_6_5_chunks_end_with_null_octets_to_a_word() {
        let body = [
            0, 0, 0, 1, 1, 3, b'a', b'b', b'c', 0, 0, 0, // chunk 1: CNAME "abc"
            0, 0, 0, 2, 6, 1, b'x', 0, // chunk 2: TOOL "x"
        ];
        let sdes = parse(&body, 2).unwrap();
        let chunks: Vec<_> = sdes.chunks().collect();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].ssrc(), 1);
        assert_eq!(
            chunks[0].items().collect::<Vec<_>>(),
            vec![SdesItem::cname(b"abc")]
        );
        assert_eq!(
            chunks[1].items().collect::<Vec<_>>(),
            vec![SdesItem {
                kind: SdesItemType::TOOL,
                value: b"x"
            }]
        );
        assert_eq!(sdes.cname(), Some(&b"abc"[..]));
    }

    #[test]
    fn malformed_chunks_are_typed_errors() {
        // Item runs past the end.
        assert_eq!(
            parse(&[0, 0, 0, 1, 1, 9, b'a', 0], 1),
            Err(RtcpErrorKind::SdesChunkOverrun { chunk: 0 })
        );
        // No terminating null.
        assert_eq!(
            parse(&[0, 0, 0, 1, 1, 2, b'a', b'b'], 1),
            Err(RtcpErrorKind::SdesChunkOverrun { chunk: 0 })
        );
        // Count says two chunks, one present.
        assert_eq!(
            parse(&[0, 0, 0, 1, 0, 0, 0, 0], 2),
            Err(RtcpErrorKind::SdesChunkCount {
                declared: 2,
                found: 1
            })
        );
    }
}
