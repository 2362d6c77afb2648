#![no_main]
//! Arbitrary bytes as an RTP packet: parsing never panics, and every
//! accessor of an accepted packet stays inside the buffer.

use call_media::rtp::RtpPacket;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = RtpPacket::parse(data) {
        assert_eq!(packet.version(), 2);
        assert_eq!(packet.csrcs().len(), usize::from(packet.csrc_count()));
        let header = data.len() - packet.payload().len() - packet.padding().len();
        assert!(header >= 12);
        assert!(packet.padding().is_empty() || packet.has_padding());
        let _ = (packet.marker(), packet.payload_type(), packet.sequence_number());
        let _ = (packet.timestamp(), packet.ssrc());
    }
});
