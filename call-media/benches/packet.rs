//! The RTP/RTCP packet layer against its peers, on identical input in the
//! same run: webrtc-rs (`rtc-rtp`, `rtc-rtcp`), `rtp-rs`, and a `memcpy` of
//! the same bytes as the physical reference.
//!
//! Goals (issue 3), read as ratios between lines of one group:
//! - `rtp_parse_pcmu`: ours <= `memcpy`, and >= 4x faster than `rtc-rtp`.
//! - `rtp_parse_two_extensions`: ours <= 1.5x `memcpy`.
//! - `rtcp_sr_sdes_walk`: ours >= 5x faster than `rtc-rtcp`.
//! - `rtp_write_pcmu`: ours <= 2x `memcpy`.
//!
//! Run: `cargo bench -p call-media --bench packet -- --warm-up-time 1 --measurement-time 3`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use bytes::Bytes;
use call_media::rtcp::{self, CompoundWriter, ReportBlock, RtcpPacket, SdesItem, SenderInfo};
use call_media::rtp::{ExtensionElement, ExtensionToWrite, RtpBuilder, RtpPacket};
use criterion::{Criterion, criterion_group, criterion_main};
use rtc_shared::marshal::{Marshal, Unmarshal};

const MTU: usize = 1500;

fn pcmu_payload() -> [u8; 160] {
    std::array::from_fn(|i| 0x80 ^ (i as u8))
}

/// A 172-byte PCMU packet: 12-byte header and 160 bytes (20 ms) of payload.
fn pcmu_packet() -> Vec<u8> {
    let payload = pcmu_payload();
    let mut buf = vec![0u8; MTU];
    let len = RtpBuilder::new()
        .payload_type(0)
        .sequence_number(4242)
        .timestamp(678_720)
        .ssrc(0x5eed_cafe)
        .payload(&payload)
        .write(&mut buf)
        .unwrap();
    buf.truncate(len);
    assert_eq!(len, 172);
    buf
}

/// The same packet with two one-byte extensions: audio level (ID 1, 1 byte)
/// and abs-send-time (ID 3, 3 bytes).
fn extension_packet() -> Vec<u8> {
    let payload = pcmu_payload();
    let elements = [
        ExtensionElement::new(1, &[0x85]),
        ExtensionElement::new(3, &[0x12, 0x34, 0x56]),
    ];
    let mut buf = vec![0u8; MTU];
    let len = RtpBuilder::new()
        .sequence_number(4242)
        .timestamp(678_720)
        .ssrc(0x5eed_cafe)
        .extension(ExtensionToWrite::OneByte(&elements))
        .payload(&payload)
        .write(&mut buf)
        .unwrap();
    buf.truncate(len);
    buf
}

/// A typical compound: SR with one report block, then SDES with a CNAME.
fn sr_sdes_compound() -> Vec<u8> {
    let mut buf = vec![0u8; MTU];
    let mut w = CompoundWriter::new(&mut buf);
    let info = SenderInfo {
        ntp_timestamp: 0xe8f0_1234_5678_9abc,
        rtp_timestamp: 678_720,
        packet_count: 4242,
        octet_count: 678_720,
    };
    let block = ReportBlock {
        ssrc: 0x0bad_f00d,
        fraction_lost: 3,
        cumulative_lost: 17,
        extended_highest_sequence: 0x0001_1092,
        jitter: 42,
        last_sr: 0x1234_5678,
        delay_since_last_sr: 0x0001_8000,
    };
    w.sender_report(0x5eed_cafe, &info, &[block]).unwrap();
    w.sdes(&[(
        0x5eed_cafe,
        &[SdesItem::cname(b"user3921@host-7f3a.example")],
    )])
    .unwrap();
    let len = w.len();
    buf.truncate(len);
    buf
}

fn memcpy(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, input: &[u8]) {
    let mut out = [0u8; MTU];
    c.bench_function("memcpy", |b| {
        b.iter(|| {
            let src = black_box(input);
            out[..src.len()].copy_from_slice(src);
            black_box(&out);
        })
    });
}

fn rtp_parse_pcmu(c: &mut Criterion) {
    let input = pcmu_packet();
    let shared = Bytes::from(input.clone());
    let mut g = c.benchmark_group("rtp_parse_pcmu");
    g.bench_function("call-media", |b| {
        b.iter(|| {
            let p = RtpPacket::parse(black_box(&input)).unwrap();
            black_box((
                p.marker(),
                p.payload_type(),
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.payload(),
            ));
        })
    });
    memcpy(&mut g, &input);
    g.bench_function("rtp-rs", |b| {
        b.iter(|| {
            let p = rtp_rs::RtpReader::new(black_box(&input)).unwrap();
            black_box((
                p.mark(),
                p.payload_type(),
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.payload(),
            ));
        })
    });
    g.bench_function("rtc-rtp (from &[u8])", |b| {
        b.iter(|| {
            let p = rtc_rtp::Packet::unmarshal(&mut black_box(&input[..])).unwrap();
            black_box((
                p.header.marker,
                p.header.payload_type,
                p.header.sequence_number,
                p.header.timestamp,
                p.header.ssrc,
                p.payload,
            ));
        })
    });
    g.bench_function("rtc-rtp (from Bytes)", |b| {
        b.iter(|| {
            let mut buf = black_box(&shared).clone();
            let p = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
            black_box((
                p.header.marker,
                p.header.payload_type,
                p.header.sequence_number,
                p.header.timestamp,
                p.header.ssrc,
                p.payload,
            ));
        })
    });
    g.finish();
}

fn rtp_parse_two_extensions(c: &mut Criterion) {
    let input = extension_packet();
    let mut g = c.benchmark_group("rtp_parse_two_extensions");
    g.bench_function("call-media", |b| {
        b.iter(|| {
            let p = RtpPacket::parse(black_box(&input)).unwrap();
            let mut sum = 0u32;
            if let Some(elements) = p.extension().and_then(|e| e.elements()) {
                for e in elements {
                    let e = e.unwrap();
                    sum += u32::from(e.id()) + e.data().len() as u32;
                }
            }
            black_box((
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.payload(),
                sum,
            ));
        })
    });
    memcpy(&mut g, &input);
    g.bench_function("rtp-rs (no RFC 8285 iteration)", |b| {
        b.iter(|| {
            let p = rtp_rs::RtpReader::new(black_box(&input)).unwrap();
            black_box((
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.payload(),
                p.extension(),
            ));
        })
    });
    g.bench_function("rtc-rtp (from &[u8])", |b| {
        b.iter(|| {
            let p = rtc_rtp::Packet::unmarshal(&mut black_box(&input[..])).unwrap();
            let mut sum = 0u32;
            for e in &p.header.extensions {
                sum += u32::from(e.id) + e.payload.len() as u32;
            }
            black_box((p.header.sequence_number, p.header.timestamp, p.payload, sum));
        })
    });
    g.finish();
}

fn rtcp_sr_sdes_walk(c: &mut Criterion) {
    let input = sr_sdes_compound();
    let mut g = c.benchmark_group("rtcp_sr_sdes_walk");
    g.bench_function("call-media", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for packet in rtcp::packets(black_box(&input)) {
                match packet.unwrap() {
                    RtcpPacket::SenderReport(sr) => {
                        acc += u64::from(sr.ssrc()) + sr.ntp_timestamp();
                        for block in sr.report_blocks() {
                            acc += u64::from(block.jitter) + block.cumulative_lost as u64;
                        }
                    }
                    RtcpPacket::SourceDescription(sdes) => {
                        for chunk in sdes.chunks() {
                            for item in chunk.items() {
                                acc += item.value.len() as u64;
                            }
                        }
                    }
                    _ => {}
                }
            }
            black_box(acc);
        })
    });
    memcpy(&mut g, &input);
    g.bench_function("rtc-rtcp", |b| {
        b.iter(|| {
            let packets = rtc_rtcp::packet::unmarshal(&mut black_box(&input[..])).unwrap();
            let mut acc = 0u64;
            for p in &packets {
                let any = p.as_any();
                if let Some(sr) = any.downcast_ref::<rtc_rtcp::sender_report::SenderReport>() {
                    acc += u64::from(sr.ssrc) + sr.ntp_time;
                    for r in &sr.reports {
                        acc += u64::from(r.jitter) + u64::from(r.total_lost);
                    }
                } else if let Some(sdes) =
                    any.downcast_ref::<rtc_rtcp::source_description::SourceDescription>()
                {
                    for chunk in &sdes.chunks {
                        for item in &chunk.items {
                            acc += item.text.len() as u64;
                        }
                    }
                }
            }
            black_box(acc);
        })
    });
    g.finish();
}

fn rtp_write_pcmu(c: &mut Criterion) {
    let payload = pcmu_payload();
    let reference = pcmu_packet();
    let mut g = c.benchmark_group("rtp_write_pcmu");
    let mut out = [0u8; MTU];
    g.bench_function("call-media", |b| {
        b.iter(|| {
            let len = RtpBuilder::new()
                .payload_type(0)
                .sequence_number(black_box(4242))
                .timestamp(black_box(678_720))
                .ssrc(0x5eed_cafe)
                .payload(black_box(&payload))
                .write(&mut out)
                .unwrap();
            black_box(&out[..len]);
        })
    });
    memcpy(&mut g, &reference);
    g.bench_function("rtp-rs", |b| {
        b.iter(|| {
            let len = rtp_rs::RtpPacketBuilder::new()
                .payload_type(0)
                .sequence(rtp_rs::Seq::from(black_box(4242)))
                .timestamp(black_box(678_720))
                .ssrc(0x5eed_cafe)
                .payload(black_box(&payload))
                .build_into(&mut out)
                .unwrap();
            black_box(&out[..len]);
        })
    });
    let packet = rtc_rtp::Packet {
        header: rtc_rtp::Header {
            version: 2,
            payload_type: 0,
            sequence_number: 4242,
            timestamp: 678_720,
            ssrc: 0x5eed_cafe,
            ..Default::default()
        },
        payload: Bytes::copy_from_slice(&payload),
    };
    g.bench_function("rtc-rtp", |b| {
        b.iter(|| {
            let len = black_box(&packet).marshal_to(&mut out).unwrap();
            black_box(&out[..len]);
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    rtp_parse_pcmu,
    rtp_parse_two_extensions,
    rtcp_sr_sdes_walk,
    rtp_write_pcmu
);
criterion_main!(benches);
