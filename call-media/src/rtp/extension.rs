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
            headers: header_region(self.data),
            pos: 0,
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
    /// The part of `data` where an element header can start: everything after
    /// it is 0x00 padding (element data may still reach into it).
    headers: &'a [u8],
    pos: usize,
    two_byte: bool,
}

/// `data` without its trailing 0x00 bytes in the last 32-bit word: the block
/// usually ends with 0 to 3 bytes of padding (RFC 8285 §4.1), found here with
/// one word read instead of a loop step per byte.
#[inline]
fn header_region(data: &[u8]) -> &[u8] {
    match data.last_chunk::<4>() {
        Some(&word) => {
            let padding = (u32::from_be_bytes(word).trailing_zeros() / 8) as usize;
            data.get(..data.len() - padding).unwrap_or(data)
        }
        None => data,
    }
}

impl<'a> ExtensionElements<'a> {
    #[inline]
    fn stop(&mut self) {
        self.pos = self.data.len();
    }

    /// The general reader, for everything [`Iterator::next`] does not take
    /// inline: padding bytes, the two-byte form, an element reaching into the
    /// trailing padding, the end of the block and every error.
    #[inline]
    fn next_general(&mut self) -> Option<<Self as Iterator>::Item> {
        loop {
            let offset = self.pos;
            let &byte = self.headers.get(offset)?;
            if byte == 0 {
                // RFC 8285 §4.1: padding byte, ignored wherever it appears.
                self.pos = offset + 1;
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
                // IDs 0 and 15 in one compare.
                if id.wrapping_sub(1) >= 14 {
                    return self.one_byte_stop(offset, byte);
                }
                (id, usize::from(byte & 0x0f) + 1, offset + 1)
            };
            let Some(data) = self.data.get(start..).and_then(|rest| rest.get(..len)) else {
                return self.overrun(offset, id, len, start);
            };
            self.pos = start + len;
            return Some(Ok(ExtensionElement { id, data }));
        }
    }

    /// A one-byte header with ID 15 (stop) or ID 0 (an error unless it is
    /// the 0x00 padding byte, which never reaches here).
    fn one_byte_stop(&mut self, offset: usize, byte: u8) -> Option<<Self as Iterator>::Item> {
        self.stop();
        if byte >> 4 == 15 {
            // RFC 8285 §4.2: ID 15 terminates processing of the block.
            return None;
        }
        Some(Err(RtpExtensionError::ReservedIdZero {
            offset,
            length_field: byte & 0x0f,
        }))
    }

    fn overrun(
        &mut self,
        offset: usize,
        id: u8,
        len: usize,
        start: usize,
    ) -> Option<<Self as Iterator>::Item> {
        let available = self.data.len().saturating_sub(start);
        self.stop();
        Some(Err(RtpExtensionError::ElementOverrun {
            offset,
            id,
            len,
            available,
        }))
    }
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = Result<ExtensionElement<'a>, RtpExtensionError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // The common case, kept small so it inlines into the caller's loop: a
        // one-byte element (ID 1..=14) whose data ends before the trailing
        // padding. Its result is the one `next_general` would give.
        if !self.two_byte
            && let Some(&byte) = self.headers.get(self.pos)
        {
            let id = byte >> 4;
            let start = self.pos + 1;
            let len = usize::from(byte & 0x0f) + 1;
            if id.wrapping_sub(1) < 14
                && let Some(data) = self.headers.get(start..start + len)
            {
                self.pos = start + len;
                return Some(Ok(ExtensionElement { id, data }));
            }
        }
        self.next_general()
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

    /// RFC 8285 §4 read the plain way, one byte at a time, to check the
    /// iterator's inline fast path and its trailing-padding shortcut against.
    fn reference(data: &[u8], two_byte: bool) -> Vec<Result<(u8, Vec<u8>), RtpExtensionError>> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let byte = data[at];
            if byte == 0 {
                at += 1;
                continue;
            }
            let (id, len, start) = if two_byte {
                if at + 1 >= data.len() {
                    out.push(Err(RtpExtensionError::MissingLength {
                        offset: at,
                        id: byte,
                    }));
                    return out;
                }
                (byte, usize::from(data[at + 1]), at + 2)
            } else {
                match byte >> 4 {
                    15 => return out,
                    0 => {
                        out.push(Err(RtpExtensionError::ReservedIdZero {
                            offset: at,
                            length_field: byte & 0x0f,
                        }));
                        return out;
                    }
                    id => (id, usize::from(byte & 0x0f) + 1, at + 1),
                }
            };
            if start + len > data.len() {
                out.push(Err(RtpExtensionError::ElementOverrun {
                    offset: at,
                    id,
                    len,
                    available: data.len() - start,
                }));
                return out;
            }
            out.push(Ok((id, data[start..start + len].to_vec())));
            at = start + len;
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        #[test]
        fn elements_match_a_byte_by_byte_reading(
            words in proptest::collection::vec(
                proptest::prelude::prop_oneof![
                    // Mostly small bytes and zeros, so blocks are often well formed.
                    4 => 0u8..0x40,
                    2 => proptest::prelude::Just(0u8),
                    1 => proptest::prelude::any::<u8>(),
                ],
                0..40,
            ),
            two_byte in proptest::prelude::any::<bool>(),
        ) {
            // Extension data is a whole number of 32-bit words.
            let data = &words[..words.len() / 4 * 4];
            let got = if two_byte { two(data) } else { one(data) };
            proptest::prop_assert_eq!(got, reference(data, two_byte));
        }
    }

    #[test]
    fn get_finds_the_first_element() {
        let ext = HeaderExtension::new(ONE_BYTE_PROFILE, &[0x10, 1, 0x20, 2, 0x10, 3, 0, 0]);
        assert_eq!(ext.get(2), Some(&[2][..]));
        assert_eq!(ext.get(1), Some(&[1][..]));
        assert_eq!(ext.get(3), None);
    }
}
