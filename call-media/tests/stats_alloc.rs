//! The receive path allocates nothing per packet: sequence unwrapping,
//! receiver statistics, report blocks and the stream analyzer in steady
//! state, shown with a counting global allocator.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::SocketAddr;
use std::time::Duration;

use call_media::analyze::RtpAnalyzer;
use call_media::rtp::RtpBuilder;
use call_media::seq::{SequenceTracker, TimestampUnwrapper};
use call_media::stats::ReceiverStats;

/// Allocations made by `f` on this thread (the `allocation-counter`
/// crate's allocator: the workspace forbids the `unsafe impl GlobalAlloc` a
/// hand-written one needs).
fn allocations_during(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

#[test]
fn the_counter_sees_allocations() {
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(vec![1u8; 8]))),
        1
    );
}

#[test]
fn receive_path_does_not_allocate_per_packet() {
    // Packets written up front so that only the receive path is measured.
    let mut packets = Vec::new();
    for i in 0..5000u32 {
        if i % 50 == 7 {
            continue;
        }
        let mut buf = vec![0u8; 200];
        let len = RtpBuilder::new()
            .payload_type(0)
            .sequence_number((64_000 + i) as u16)
            .timestamp(160 * i)
            .ssrc(0x77)
            .payload(&[0x55; 160])
            .write(&mut buf)
            .unwrap();
        buf.truncate(len);
        packets.push((
            Duration::from_millis(20 * u64::from(i) + u64::from(i % 3)),
            buf,
        ));
    }
    let src: SocketAddr = "10.0.0.1:4000".parse().unwrap();
    let dst: SocketAddr = "10.0.0.2:5000".parse().unwrap();

    let mut tracker = SequenceTracker::new(64_000);
    let mut unwrapper = TimestampUnwrapper::new();
    let mut stats = ReceiverStats::new(0x77, 8000);
    let mut analyzer = RtpAnalyzer::new();
    // The analyzer allocates once per new stream: let it see the stream first.
    for (now, bytes) in &packets[..2] {
        analyzer.feed(*now, src, dst, bytes);
    }
    let n = allocations_during(|| {
        for (now, bytes) in &packets[2..] {
            let seq = u16::from_be_bytes([bytes[2], bytes[3]]);
            let ts = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            tracker.update(seq);
            unwrapper.extend(ts);
            stats.on_packet(*now, seq, ts);
            analyzer.feed(*now, src, dst, bytes);
        }
        let block = stats.report(Duration::from_secs(200)).unwrap();
        assert!(block.cumulative_lost > 0);
        assert_eq!(analyzer.streams().count(), 1);
    });
    // `streams()` builds one report (its DTMF string is empty: no allocation).
    assert_eq!(n, 0, "allocations on the receive path");
    assert!(tracker.cycles() >= 1);
}
