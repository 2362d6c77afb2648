//! Receiver statistics into RTCP and back: report blocks written with our
//! RTCP writer parse to the same fields, LSR/DLSR echo a parsed sender
//! report, and the A.3/A.8 figures follow a simulated network.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use call_media::rtcp::{self, CompoundWriter, RtcpPacket, SenderInfo};
use call_media::stats::ReceiverStats;

#[test]
fn report_block_round_trips_through_an_rr_and_echoes_the_sr() {
    let sender_ssrc = 0xaaaa_0001;
    let mut stats = ReceiverStats::with_probation(sender_ssrc, 8000, 1);
    // 1000 packets, every 10th lost, 20 ms apart with 1 ms of alternating delay.
    for i in 0..1000u32 {
        if i % 10 == 5 {
            continue;
        }
        let at = Duration::from_millis(u64::from(20 * i + (i % 2)));
        stats.on_packet(at, (65_000 + i) as u16, 160 * i);
    }
    // A sender report arrives, written and parsed by our RTCP layer.
    let info = SenderInfo {
        ntp_timestamp: 0xe8f0_1234_8000_0000,
        rtp_timestamp: 160_000,
        packet_count: 1000,
        octet_count: 160_000,
    };
    let mut buf = [0u8; 256];
    let mut w = CompoundWriter::new(&mut buf);
    w.sender_report(sender_ssrc, &info, &[]).unwrap();
    let sr_bytes = w.finish().to_vec();
    let Some(Ok(RtcpPacket::SenderReport(sr))) = rtcp::packets(&sr_bytes).next() else {
        panic!("not an SR");
    };
    stats.on_sender_report(Duration::from_secs(20), sr.ntp_timestamp());

    let block = stats.report(Duration::from_millis(20_250)).unwrap();
    assert_eq!(block.ssrc, sender_ssrc);
    assert_eq!(block.cumulative_lost, 100);
    // 100 of 1000 lost: floor(100 * 256 / 1000) = 25.
    assert_eq!(block.fraction_lost, 25);
    // 65000 + 999 wrapped once.
    assert_eq!(
        block.extended_highest_sequence,
        (1 << 16) | ((65_000 + 999) & 0xffff)
    );
    assert_eq!(block.last_sr, 0x1234_8000);
    assert_eq!(block.last_sr, info.compact_ntp());
    assert_eq!(block.delay_since_last_sr, 16_384); // 0.25 s
    // Alternating 1 ms delay: |D| = 8 units each time; J converges to 8.
    assert!((7..=8).contains(&block.jitter), "jitter {}", block.jitter);

    let mut buf = [0u8; 256];
    let mut w = CompoundWriter::new(&mut buf);
    w.receiver_report(0xbbbb_0002, &[block]).unwrap();
    let rr_bytes = w.finish().to_vec();
    let Some(Ok(RtcpPacket::ReceiverReport(rr))) = rtcp::packets(&rr_bytes).next() else {
        panic!("not an RR");
    };
    let parsed: Vec<_> = rr.report_blocks().collect();
    assert_eq!(parsed, vec![block]);

    // The next interval: nothing new, nothing lost.
    let next = stats.report(Duration::from_millis(21_000)).unwrap();
    assert_eq!(next.fraction_lost, 0);
    assert_eq!(next.cumulative_lost, 100);
}

#[test]
fn duplicates_make_the_rr_field_negative() {
    let mut stats = ReceiverStats::with_probation(1, 8000, 1);
    for (i, seq) in [10u16, 11, 11, 12, 12, 12].into_iter().enumerate() {
        stats.on_packet(Duration::from_millis(20 * i as u64), seq, 0);
    }
    let block = stats.report(Duration::from_secs(1)).unwrap();
    assert_eq!(block.cumulative_lost, -3);
    assert_eq!(block.fraction_lost, 0);
    assert_eq!(stats.duplicates(), 3);
    let mut buf = [0u8; 64];
    let mut w = CompoundWriter::new(&mut buf);
    w.receiver_report(2, &[block]).unwrap();
    let bytes = w.finish().to_vec();
    let Some(Ok(RtcpPacket::ReceiverReport(rr))) = rtcp::packets(&bytes).next() else {
        panic!("not an RR");
    };
    assert_eq!(rr.report_blocks().next().unwrap().cumulative_lost, -3);
}

#[test]
fn a8_jitter_of_a_uniformly_jittered_stream_is_near_theory() {
    // Arrival offsets uniform in [0, 4) ms: E|D| for the difference of two
    // independent uniforms on [0, a) is a/3, so J tends to 4/3 ms.
    let mut stats = ReceiverStats::with_probation(1, 8000, 1);
    let mut x: u64 = 12345;
    let mut sum = 0.0;
    let mut n = 0.0;
    for i in 0..200_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let offset_us = x % 4000;
        let at = Duration::from_micros(20_000 * i + offset_us);
        stats.on_packet(at, i as u16, (160 * i) as u32);
        if i > 1000 {
            sum += stats.jitter_ms().unwrap();
            n += 1.0;
        }
    }
    let mean = sum / n;
    assert!((mean - 4.0 / 3.0).abs() < 0.02, "mean jitter {mean} ms");
}
