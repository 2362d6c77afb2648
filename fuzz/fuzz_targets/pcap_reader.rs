#![no_main]
//! Arbitrary bytes as a capture file: the pcap/pcapng reader, the link/IP/UDP
//! decoder and the RTP stream analyzer never panic, record offsets only move
//! forward and stay inside the input, and an error names an offset inside it.

use std::time::Duration;

use call_media::analyze::{AnalyzerLimits, RtpAnalyzer};
use call_media::capture::{CaptureReader, decode_udp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = CaptureReader::new(data) else {
        return;
    };
    let mut analyzer = RtpAnalyzer::with_limits(AnalyzerLimits {
        max_streams: 64,
        max_candidates: 64,
    });
    let mut last_offset = 0;
    for frame in reader {
        match frame {
            Ok(frame) => {
                assert!(frame.offset >= last_offset && frame.offset < data.len());
                last_offset = frame.offset;
                if let Ok(udp) = decode_udp(frame.link_type, frame.data) {
                    assert!(udp.payload.len() <= frame.data.len());
                    let now = frame.time.min(Duration::from_secs(1 << 40));
                    analyzer.feed(now, udp.src, udp.dst, udp.payload);
                }
            }
            Err(e) => {
                assert!(e.offset() <= data.len());
                let _ = e.to_string();
            }
        }
    }
    for stream in analyzer.streams() {
        assert!(stream.packets >= 2);
        assert!(stream.dtmf.len() <= call_media::analyze::MAX_DIGITS);
    }
});
