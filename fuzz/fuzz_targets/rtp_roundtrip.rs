#![no_main]
//! Round trip: when arbitrary bytes parse as RTP, `RtpBuilder::from_packet`
//! writes them back, and parsing again gives the same packet, byte for
//! byte apart from the content of the padding (the writer pads with zeros).

use call_media::rtp::{RtpBuilder, RtpPacket};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = RtpPacket::parse(data) else {
        return;
    };
    let builder = RtpBuilder::from_packet(&p);
    let mut out = vec![0u8; data.len()];
    let len = builder
        .write(&mut out)
        .expect("a parsed packet is writable");
    assert_eq!(len, data.len());
    let q = RtpPacket::parse(&out).expect("our output parses");
    assert_eq!(
        (
            q.marker(),
            q.payload_type(),
            q.sequence_number(),
            q.timestamp(),
            q.ssrc()
        ),
        (
            p.marker(),
            p.payload_type(),
            p.sequence_number(),
            p.timestamp(),
            p.ssrc()
        )
    );
    assert!(q.csrcs().eq(p.csrcs()));
    assert_eq!(q.extension(), p.extension());
    assert_eq!(q.payload(), p.payload());
    assert_eq!(q.padding().len(), p.padding().len());
    let body = len - p.padding().len();
    assert_eq!(out[..body], data[..body]);
});
