#![no_main]
//! Arbitrary bytes as an RTP header extension (the first two bytes pick the
//! profile, so the one-byte, two-byte and generic forms are all reached).
//! Element iteration never panics or loops, every element lies inside the
//! extension, and the well-formed elements written back in the same form
//! parse to the same list.

use call_media::rtp::{ExtensionElement, ExtensionForm, ExtensionToWrite, RtpBuilder, RtpPacket};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((profile, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let profile = match profile[0] % 3 {
        0 => 0xBEDE,
        1 => 0x1000 | u16::from(profile[1] & 0x0f),
        _ => u16::from_be_bytes(*profile),
    };
    let body = &rest[..rest.len() / 4 * 4];
    let mut packet = vec![0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    packet.extend_from_slice(&profile.to_be_bytes());
    packet.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
    packet.extend_from_slice(body);
    let Ok(parsed) = RtpPacket::parse(&packet) else {
        return;
    };
    let ext = parsed.extension().expect("X bit set");
    assert_eq!(ext.data(), body);
    let Some(elements) = ext.elements() else {
        assert_eq!(ext.form(), ExtensionForm::Generic);
        return;
    };
    let mut good = Vec::new();
    let mut steps = 0;
    for element in elements {
        steps += 1;
        assert!(steps <= body.len() + 1, "iteration must make progress");
        match element {
            Ok(e) => {
                let start = e.data().as_ptr() as usize - ext.data().as_ptr() as usize;
                assert!(start + e.data().len() <= body.len());
                good.push(e);
            }
            Err(_) => break,
        }
    }
    let to_write = match ext.form() {
        ExtensionForm::OneByte => ExtensionToWrite::OneByte(&good),
        ExtensionForm::TwoByte { appbits } => ExtensionToWrite::TwoByte {
            appbits,
            elements: &good,
        },
        _ => return,
    };
    let mut out = vec![0u8; 12 + 4 + 4 * body.len() + 16];
    let len = RtpBuilder::new()
        .extension(to_write)
        .write(&mut out)
        .expect("parsed elements are writable");
    let again = RtpPacket::parse(&out[..len]).unwrap();
    let back: Vec<ExtensionElement<'_>> = again
        .extension()
        .unwrap()
        .elements()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(back, good);
});
