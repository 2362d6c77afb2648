//! RTP header extensions: the RFC 3550 §5.3.1 generic form (profile + data)
//! and the RFC 8285 one-byte and two-byte element forms.

use crate::error::RtpExtensionError;

/// The "defined by profile" value of the RFC 8285 one-byte form.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// The RFC 8285 two-byte form: the top 12 bits of the profile value; the low
/// 4 bits are the appbits.
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// Which form an extension block uses, from its 16-bit profile value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionForm {
    /// RFC 8285 §4.2, profile `0xBEDE`.
    OneByte,
    /// RFC 8285 §4.3, profile `0x100X`.
    TwoByte {
        /// The 4 application bits from the low nibble of the profile value.
        appbits: u8,
    },
    /// Any other profile value: RFC 3550 §5.3.1 opaque data.
    Generic,
}

impl ExtensionForm {
    /// The form a profile value selects.
    #[inline]
    pub const fn from_profile(profile: u16) -> Self {
        if profile == ONE_BYTE_PROFILE {
            ExtensionForm::OneByte
        } else if profile & 0xFFF0 == TWO_BYTE_PROFILE {
            ExtensionForm::TwoByte {
                appbits: (profile & 0x0F) as u8,
            }
        } else {
            ExtensionForm::Generic
        }
    }
}

/// The header extension of an RTP packet: a 16-bit profile value and the
/// data that follows the length word (a whole number of 32-bit words).
///
/// # Examples
///
/// ```
/// use call_media::rtp::{ExtensionForm, RtpPacket};
///
/// let bytes = [
///     0x90, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, // X=1
///     0xBE, 0xDE, 0x00, 0x01, // one-byte form, 1 word
///     0x10, 0x7f, 0x00, 0x00, // ID 1, 1 byte (0x7f), two padding bytes
/// ];
/// let packet = RtpPacket::parse(&bytes)?;
/// let ext = packet.extension().unwrap();
/// assert_eq!(ext.form(), ExtensionForm::OneByte);
/// assert_eq!(ext.get(1), Some(&[0x7f][..]));
/// # Ok::<(), call_media::error::RtpError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    profile: u16,
    data: &'a [u8],
}

impl<'a> HeaderExtension<'a> {
    #[inline]
    pub(crate) const fn new(profile: u16, data: &'a [u8]) -> Self {
        HeaderExtension { profile, data }
    }

    /// The 16-bit "defined by profile" value.
    #[inline]
    pub const fn profile(&self) -> u16 {
        self.profile
    }

    /// The extension data after the length word (RFC 3550 generic form: the
    /// whole of it is profile-defined).
    #[inline]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The form selected by the profile value.
    #[inline]
    pub const fn form(&self) -> ExtensionForm {
        ExtensionForm::from_profile(self.profile)
    }

    /// The RFC 8285 elements, or `None` for the generic form.
    #[inline]
    pub fn elements(&self) -> Option<ExtensionElements<'a>> {
        let two_byte = match self.form() {
            ExtensionForm::OneByte => false,
            ExtensionForm::TwoByte { .. } => true,
            ExtensionForm::Generic => return None,
        };
        Some(ExtensionElements {
            data: self.data,
            pos: 0,
            scan_end: scan_end(self.data),
            two_byte,
        })
    }

    /// The data of the first well-formed element with this ID, if any.
    #[inline]
    pub fn get(&self, id: u8) -> Option<&'a [u8]> {
        self.elements()?
            .map_while(Result::ok)
            .find(|e| e.id() == id)
            .map(|e| e.data())
    }
}

/// One RFC 8285 extension element: a local ID and its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtensionElement<'a> {
    id: u8,
    data: &'a [u8],
}

impl<'a> ExtensionElement<'a> {
    /// An element to write (see [`RtpBuilder`](crate::rtp::RtpBuilder));
    /// the writer checks the ID and length against the chosen form.
    #[inline]
    pub const fn new(id: u8, data: &'a [u8]) -> Self {
        ExtensionElement { id, data }
    }

    /// The local identifier (one-byte form: 1..=14; two-byte form: 1..=255).
    #[inline]
    pub const fn id(&self) -> u8 {
        self.id
    }

    /// The element data.
    #[inline]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// Iterator over RFC 8285 elements, exactly as §4.2 and §4.3 read them.
///
/// - A 0x00 byte is padding: skipped, in both forms.
/// - One-byte form: ID 15 stops parsing (its length field is ignored); ID 0
///   with a non-zero length is an error.
/// - Two-byte form: the length byte may be 0 (an element with no data).
///
/// An error is yielded once and ends the iteration.
#[derive(Clone, Debug)]
pub struct ExtensionElements<'a> {
    data: &'a [u8],
    pos: usize,
    /// Every byte from here to the end of `data` is 0x00: once `pos` reaches
    /// it, only padding is left.
    scan_end: usize,
    two_byte: bool,
}

/// Where the trailing 0x00 bytes of the last 32-bit word begin: the block
/// usually ends with 0 to 3 bytes of padding (RFC 8285 §4.1), found here with
/// one word read instead of a loop step per byte. The zeros may still belong
/// to an element's data; only the header scan stops there.
#[inline]
fn scan_end(data: &[u8]) -> usize {
    match data.last_chunk::<4>() {
        Some(&word) => data.len() - (u32::from_be_bytes(word).trailing_zeros() / 8) as usize,
        None => data.len(),
    }
}

impl<'a> ExtensionElements<'a> {
    #[inline]
    fn stop(&mut self) {
        self.pos = self.data.len();
    }
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = Result<ExtensionElement<'a>, RtpExtensionError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let offset = self.pos;
            if offset >= self.scan_end {
                return None;
            }
            let &byte = self.data.get(offset)?;
            if byte == 0 {
                // RFC 8285 §4.1: padding byte, ignored wherever it appears.
                self.pos += 1;
                continue;
            }
            let (id, len, start) = if self.two_byte {
                let Some(&len) = self.data.get(offset + 1) else {
                    self.stop();
                    return Some(Err(RtpExtensionError::MissingLength { offset, id: byte }));
                };
                (byte, usize::from(len), offset + 2)
            } else {
                let id = byte >> 4;
                if id == 15 {
                    // RFC 8285 §4.2: ID 15 terminates processing of the block.
                    self.stop();
                    return None;
                }
                if id == 0 {
                    self.stop();
                    return Some(Err(RtpExtensionError::ReservedIdZero {
                        offset,
                        length_field: byte & 0x0f,
                    }));
                }
                (id, usize::from(byte & 0x0f) + 1, offset + 1)
            };
            let Some(data) = self.data.get(start..start + len) else {
                let available = self.data.len().saturating_sub(start);
                self.stop();
                return Some(Err(RtpExtensionError::ElementOverrun {
                    offset,
                    id,
                    len,
                    available,
                }));
            };
            self.pos = start + len;
            return Some(Ok(ExtensionElement { id, data }));
        }
    }
}

impl std::iter::FusedIterator for ExtensionElements<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(data: &[u8]) -> Vec<Result<(u8, Vec<u8>), RtpExtensionError>> {
        HeaderExtension::new(ONE_BYTE_PROFILE, data)
            .elements()
            .unwrap()
            .map(|r| r.map(|e| (e.id(), e.data().to_vec())))
            .collect()
    }

    fn two(data: &[u8]) -> Vec<Result<(u8, Vec<u8>), RtpExtensionError>> {
        HeaderExtension::new(0x1003, data)
            .elements()
            .unwrap()
            .map(|r| r.map(|e| (e.id(), e.data().to_vec())))
            .collect()
    }

    #[test]
    fn forms_follow_the_profile_value() {
        assert_eq!(ExtensionForm::from_profile(0xBEDE), ExtensionForm::OneByte);
        assert_eq!(
            ExtensionForm::from_profile(0x100F),
            ExtensionForm::TwoByte { appbits: 0xF }
        );
        assert_eq!(ExtensionForm::from_profile(0x1010), ExtensionForm::Generic);
        assert!(
            HeaderExtension::new(0xABCD, &[1, 2, 3, 4])
                .elements()
                .is_none()
        );
    }

    #[test]
    fn rfc8285_4_2_one_byte_length_is_field_plus_one() {
        // ID 1 L=0 -> 1 byte; ID 2 L=3 -> 4 bytes.
        assert_eq!(
            one(&[0x10, 0xaa, 0x23, 1, 2, 3, 4, 0]),
            vec![Ok((1, vec![0xaa])), Ok((2, vec![1, 2, 3, 4]))]
        );
    }

    #[test]
    fn rfc8285_4_1_padding_bytes_are_skipped_anywhere() {
        assert_eq!(
            one(&[0, 0, 0x10, 0xaa, 0, 0, 0x20, 0xbb, 0, 0, 0, 0]),
            vec![Ok((1, vec![0xaa])), Ok((2, vec![0xbb]))]
        );
        assert_eq!(
            two(&[0, 0x05, 0, 0, 0x06, 1, 9, 0]),
            vec![Ok((5, vec![])), Ok((6, vec![9]))]
        );
    }

    #[test]
    fn rfc8285_4_2_id_15_stops_parsing() {
        // The element after ID 15 is not reported, and its length is ignored.
        assert_eq!(
            one(&[0x10, 0xaa, 0xff, 0x20, 0xbb, 0, 0, 0]),
            vec![Ok((1, vec![0xaa]))]
        );
    }

    #[test]
    fn id_zero_with_length_is_an_error_in_one_byte_form() {
        assert_eq!(
            one(&[0x10, 0xaa, 0x03, 0]),
            vec![
                Ok((1, vec![0xaa])),
                Err(RtpExtensionError::ReservedIdZero {
                    offset: 2,
                    length_field: 3
                })
            ]
        );
    }

    #[test]
    fn overruns_are_typed_errors() {
        assert_eq!(
            one(&[0x13, 1, 2, 3]),
            vec![Err(RtpExtensionError::ElementOverrun {
                offset: 0,
                id: 1,
                len: 4,
                available: 3
            })]
        );
        assert_eq!(
            two(&[0x07, 9, 1, 2]),
            vec![Err(RtpExtensionError::ElementOverrun {
                offset: 0,
                id: 7,
                len: 9,
                available: 2
            })]
        );
        assert_eq!(
            two(&[0, 0, 0, 0x07]),
            vec![Err(RtpExtensionError::MissingLength { offset: 3, id: 7 })]
        );
    }

    #[test]
    fn two_byte_ids_above_14_and_empty_elements_are_fine() {
        assert_eq!(
            two(&[0xff, 2, 1, 2, 15, 0, 0, 0]),
            vec![Ok((255, vec![1, 2])), Ok((15, vec![]))]
        );
    }

    #[test]
    fn trailing_zeros_inside_an_element_are_data_not_padding() {
        // The header scan stops at the trailing zeros, but an element that
        // reaches into them still gets its whole data.
        assert_eq!(one(&[0x12, 5, 0, 0]), vec![Ok((1, vec![5, 0, 0]))]);
        assert_eq!(one(&[0x10, 0, 0, 0]), vec![Ok((1, vec![0]))]);
        assert_eq!(two(&[0x05, 2, 0, 0]), vec![Ok((5, vec![0, 0]))]);
        assert_eq!(two(&[0x05, 0, 0, 0]), vec![Ok((5, vec![]))]);
        assert_eq!(
            one(&[0x10, 1, 0x20, 2, 0x10, 0, 0, 0]),
            vec![Ok((1, vec![1])), Ok((2, vec![2])), Ok((1, vec![0]))]
        );
        // Only padding, or an element cut short by the end of the block.
        assert_eq!(one(&[0, 0, 0, 0, 0, 0, 0, 0]), vec![]);
        assert_eq!(
            one(&[0, 0, 0, 0x13, 0, 0, 0, 0]),
            vec![Ok((1, vec![0, 0, 0, 0]))]
        );
        assert_eq!(
            one(&[0, 0, 0, 0x14, 0, 0, 0, 0]),
            vec![Err(RtpExtensionError::ElementOverrun {
                offset: 3,
                id: 1,
                len: 5,
                available: 4
            })]
        );
    }

    #[test]
    fn get_finds_the_first_element() {
        let ext = HeaderExtension::new(ONE_BYTE_PROFILE, &[0x10, 1, 0x20, 2, 0x10, 3, 0, 0]);
        assert_eq!(ext.get(2), Some(&[2][..]));
        assert_eq!(ext.get(1), Some(&[1][..]));
        assert_eq!(ext.get(3), None);
    }
}
