#![no_main]
//! Arbitrary bytes as an RTP packet: parsing never panics, and every
//! accessor of an accepted packet stays inside the buffer.

use call_media::rtp::{OwnedRtpPacket, RtpPacket};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = RtpPacket::parse(data);
    // The owned packet accepts exactly what the view accepts.
    let owned = OwnedRtpPacket::from_bytes(bytes::Bytes::copy_from_slice(data));
    assert_eq!(parsed.is_ok(), owned.is_ok());
    if let Ok(packet) = parsed {
        assert_eq!(packet.version(), 2);
        assert_eq!(packet.csrcs().len(), usize::from(packet.csrc_count()));
        let header = data.len() - packet.payload().len() - packet.padding().len();
        assert!(header >= 12 + 4 * usize::from(packet.csrc_count()));
        assert!(packet.padding().is_empty() || packet.has_padding());
        assert_eq!(packet.extension().is_some(), packet.has_extension());
        if let Some(ext) = packet.extension() {
            assert_eq!(ext.data().len() % 4, 0);
            for element in ext.elements().into_iter().flatten() {
                let _ = element.map(|e| (e.id(), e.data().len()));
            }
        }
        let _ = (
            packet.marker(),
            packet.payload_type(),
            packet.sequence_number(),
        );
        let _ = (packet.timestamp(), packet.ssrc());
        if let Ok(owned) = owned {
            assert_eq!(owned.view(), packet);
            assert_eq!(&owned.payload()[..], packet.payload());
        }
    }
});
