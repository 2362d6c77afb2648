//! Property tests for the RTP packet layer: whatever the writer produces
//! parses back to the same fields, and no byte string makes the parser or
//! any accessor panic.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::Bytes;
use call_media::rtp::{
    ExtensionElement, ExtensionForm, ExtensionToWrite, OwnedRtpPacket, RtpBuilder, RtpPacket,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Ext {
    None,
    OneByte(Vec<(u8, Vec<u8>)>),
    TwoByte(u8, Vec<(u8, Vec<u8>)>),
    Generic(u16, Vec<u8>),
}

fn ext() -> impl Strategy<Value = Ext> {
    prop_oneof![
        Just(Ext::None),
        prop::collection::vec((1u8..=14, prop::collection::vec(any::<u8>(), 1..=16)), 0..6)
            .prop_map(Ext::OneByte),
        (
            0u8..16,
            prop::collection::vec(
                (1u8..=255, prop::collection::vec(any::<u8>(), 0..=40)),
                0..6
            )
        )
            .prop_map(|(a, e)| Ext::TwoByte(a, e)),
        (
            any::<u16>().prop_filter("generic profile", |p| {
                matches!(ExtensionForm::from_profile(*p), ExtensionForm::Generic)
            }),
            prop::collection::vec(any::<[u8; 4]>(), 0..5)
        )
            .prop_map(|(p, words)| Ext::Generic(p, words.concat())),
    ]
}

#[derive(Clone, Debug)]
struct Fields {
    marker: bool,
    payload_type: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: Vec<u32>,
    ext: Ext,
    payload: Vec<u8>,
    padding: u8,
}

fn fields() -> impl Strategy<Value = Fields> {
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u32>(), 0..=15),
        ext(),
        prop::collection::vec(any::<u8>(), 0..400),
        any::<u8>(),
    )
        .prop_map(
            |(
                marker,
                payload_type,
                sequence_number,
                timestamp,
                ssrc,
                csrcs,
                ext,
                payload,
                padding,
            )| {
                Fields {
                    marker,
                    payload_type,
                    sequence_number,
                    timestamp,
                    ssrc,
                    csrcs,
                    ext,
                    payload,
                    padding,
                }
            },
        )
}

/// Reads every accessor of a parsed packet; returns the element list.
fn touch_everything(p: &RtpPacket<'_>) -> Vec<(u8, Vec<u8>)> {
    let _ = (
        p.version(),
        p.marker(),
        p.payload_type(),
        p.sequence_number(),
    );
    let _ = (p.timestamp(), p.ssrc(), p.has_padding(), p.as_bytes());
    assert_eq!(p.csrcs().count(), usize::from(p.csrc_count()));
    assert!(p.as_bytes().len() >= 12 + p.payload().len() + p.padding().len());
    let mut out = Vec::new();
    if let Some(ext) = p.extension() {
        assert_eq!(ext.data().len() % 4, 0);
        if let Some(elements) = ext.elements() {
            for e in elements {
                match e {
                    Ok(e) => out.push((e.id(), e.data().to_vec())),
                    Err(_) => break,
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn write_then_parse_gives_the_same_fields(f in fields()) {
        let elements: Vec<ExtensionElement<'_>>;
        let mut builder = RtpBuilder::new()
            .marker(f.marker)
            .payload_type(f.payload_type)
            .sequence_number(f.sequence_number)
            .timestamp(f.timestamp)
            .ssrc(f.ssrc)
            .csrcs(&f.csrcs)
            .payload(&f.payload)
            .padding(f.padding);
        match &f.ext {
            Ext::None => {}
            Ext::OneByte(e) => {
                elements = e.iter().map(|(id, d)| ExtensionElement::new(*id, d)).collect();
                builder = builder.extension(ExtensionToWrite::OneByte(&elements));
            }
            Ext::TwoByte(appbits, e) => {
                elements = e.iter().map(|(id, d)| ExtensionElement::new(*id, d)).collect();
                builder = builder.extension(ExtensionToWrite::TwoByte { appbits: *appbits, elements: &elements });
            }
            Ext::Generic(profile, data) => {
                builder = builder.extension(ExtensionToWrite::Generic { profile: *profile, data });
            }
        }
        let mut buf = vec![0u8; 2048];
        let len = builder.write(&mut buf).unwrap();
        prop_assert_eq!(Ok(len), builder.wire_len());
        let p = RtpPacket::parse(&buf[..len]).unwrap();
        prop_assert_eq!(p.marker(), f.marker);
        prop_assert_eq!(p.payload_type(), f.payload_type);
        prop_assert_eq!(p.sequence_number(), f.sequence_number);
        prop_assert_eq!(p.timestamp(), f.timestamp);
        prop_assert_eq!(p.ssrc(), f.ssrc);
        prop_assert_eq!(p.csrcs().collect::<Vec<_>>(), f.csrcs.clone());
        prop_assert_eq!(p.payload(), &f.payload[..]);
        prop_assert_eq!(p.padding().len(), usize::from(f.padding));
        prop_assert_eq!(p.has_padding(), f.padding > 0);
        let got = touch_everything(&p);
        match &f.ext {
            Ext::None => prop_assert!(p.extension().is_none()),
            Ext::OneByte(e) => {
                prop_assert_eq!(p.extension().unwrap().form(), ExtensionForm::OneByte);
                prop_assert_eq!(&got, e);
            }
            Ext::TwoByte(appbits, e) => {
                prop_assert_eq!(p.extension().unwrap().form(), ExtensionForm::TwoByte { appbits: *appbits });
                prop_assert_eq!(&got, e);
            }
            Ext::Generic(profile, data) => {
                let ext = p.extension().unwrap();
                prop_assert_eq!(ext.profile(), *profile);
                prop_assert_eq!(ext.data(), &data[..]);
            }
        }
        // The owned packet sees the same thing, sharing the buffer.
        let owned = OwnedRtpPacket::from_bytes(Bytes::copy_from_slice(&buf[..len])).unwrap();
        prop_assert_eq!(owned.view(), p);
        prop_assert_eq!(&owned.payload()[..], &f.payload[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(p) = RtpPacket::parse(&data) {
            touch_everything(&p);
        }
    }

    #[test]
    fn plausible_headers_never_panic(
        b0 in 0x80u8..0xc0,
        rest in prop::collection::vec(any::<u8>(), 0..120),
        ext_words in 0u16..8,
    ) {
        // Version 2 with random P/X/CC, and a plausible extension length so
        // the extension and padding paths are reached often.
        let mut data = vec![b0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        data.extend((0..usize::from(b0 & 0x0f)).flat_map(|i| (i as u32).to_be_bytes()));
        data.extend_from_slice(&[0xbe, 0xde]);
        data.extend_from_slice(&ext_words.to_be_bytes());
        data.extend_from_slice(&rest);
        if let Ok(p) = RtpPacket::parse(&data) {
            touch_everything(&p);
        }
    }

    #[test]
    fn parsed_packets_rewrite_to_the_same_fields(data in prop::collection::vec(any::<u8>(), 12..200)) {
        let mut data = data;
        data[0] = 0x80 | (data[0] & 0x3f);
        let Ok(p) = RtpPacket::parse(&data) else { return Ok(()) };
        let csrcs: Vec<u32> = p.csrcs().collect();
        let mut by_hand = RtpBuilder::new()
            .marker(p.marker())
            .payload_type(p.payload_type())
            .sequence_number(p.sequence_number())
            .timestamp(p.timestamp())
            .ssrc(p.ssrc())
            .csrcs(&csrcs)
            .payload(p.payload())
            .padding(p.padding().len() as u8);
        if let Some(ext) = p.extension() {
            by_hand = by_hand.extension(ExtensionToWrite::Generic { profile: ext.profile(), data: ext.data() });
        }
        let builder = RtpBuilder::from_packet(&p);
        prop_assert_eq!(builder, by_hand);
        let mut out = vec![0u8; 512];
        let len = builder.write(&mut out).unwrap();
        let q = RtpPacket::parse(&out[..len]).unwrap();
        prop_assert_eq!(q.payload(), p.payload());
        prop_assert_eq!(q.extension(), p.extension());
        prop_assert_eq!(q.csrcs().collect::<Vec<_>>(), csrcs);
        prop_assert_eq!((q.marker(), q.payload_type(), q.sequence_number(), q.timestamp(), q.ssrc()),
            (p.marker(), p.payload_type(), p.sequence_number(), p.timestamp(), p.ssrc()));
        // Header and payload bytes are identical; padding content may differ
        // (the writer pads with zeros).
        prop_assert_eq!(&out[..len - p.padding().len()], &data[..data.len() - p.padding().len()]);
    }
}
