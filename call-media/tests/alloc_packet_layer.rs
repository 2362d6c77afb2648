//! Parsing, iterating and writing RTP and RTCP allocate nothing.
//!
//! The counting global allocator comes from the `allocation-counter` crate:
//! implementing `GlobalAlloc` ourselves needs `unsafe impl`, which the
//! workspace forbids (and `forbid` cannot be relaxed per test target). That
//! crate's allocator counts per thread, so the other tests running in
//! parallel do not disturb the count. It is linked into this test binary only.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use call_media::rtcp::{
    self, CompoundWriter, DlrrItem, FirEntry, NackPair, PayloadFeedbackKind, ReportBlock,
    RtcpPacket, SdesItem, SenderInfo, StatisticsSummary, TransportFeedbackKind, VoipMetrics,
    XrBlock, XrBlockToWrite,
};
use call_media::rtp::{ExtensionElement, ExtensionToWrite, OwnedRtpPacket, RtpBuilder, RtpPacket};

#[test]
fn the_counter_sees_allocations() {
    let info = allocation_counter::measure(|| {
        black_box(Vec::<u8>::with_capacity(black_box(64)));
    });
    assert_eq!(info.count_total, 1);
}

fn assert_no_alloc(what: &str, f: impl FnOnce()) {
    let info = allocation_counter::measure(f);
    assert_eq!(info.count_total, 0, "{what} allocated: {info:?}");
}

/// A compound exercising every RTCP view: SR, RR, SDES, BYE, APP, NACK,
/// transport-wide CC, PLI, FIR, REMB and XR with all seven block types.
fn rich_compound() -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let mut w = CompoundWriter::new(&mut buf);
    let block = ReportBlock {
        ssrc: 2,
        cumulative_lost: -1,
        ..ReportBlock::default()
    };
    w.sender_report(1, &SenderInfo::default(), &[block])
        .unwrap();
    w.receiver_report(1, &[block, block]).unwrap();
    w.sdes(&[(1, &[SdesItem::cname(b"host@example")])]).unwrap();
    w.nack(1, 2, &[NackPair { pid: 9, blp: 3 }]).unwrap();
    w.pli(1, 2).unwrap();
    w.app(1, 1, *b"TEST", &[0; 8]).unwrap();
    w.bye(&[1], Some(b"bye")).unwrap();
    let mut out = w.finish().to_vec();
    let packet = |out: &mut Vec<u8>, count: u8, pt: u8, body: &[u8]| {
        assert_eq!(body.len() % 4, 0);
        out.extend_from_slice(&[0x80 | count, pt]);
        out.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
        out.extend_from_slice(body);
    };
    // Transport-wide CC: base 5, 3 packets, run of "small delta", 3 deltas.
    packet(
        &mut out,
        15,
        205,
        &[
            0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 3, 0, 0, 1, 0, 0x20, 3, 4, 4, 4, 0, 0, 0,
        ],
    );
    // FIR with one entry, REMB for one SSRC.
    packet(
        &mut out,
        4,
        206,
        &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 7, 0, 0, 0],
    );
    packet(
        &mut out,
        15,
        206,
        &[
            0, 0, 0, 1, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 1, 8, 0, 0, 0, 0, 0, 2,
        ],
    );
    // XR with all seven block types.
    let mut xr = vec![0, 0, 0, 1];
    let mut block = |bt: u8, content: &[u8]| {
        xr.extend_from_slice(&[bt, 0]);
        xr.extend_from_slice(&((content.len() / 4) as u16).to_be_bytes());
        xr.extend_from_slice(content);
    };
    block(1, &[0, 0, 0, 2, 0, 1, 0, 9, 0x40, 8, 0, 0]);
    block(2, &[0, 0, 0, 2, 0, 1, 0, 9, 0x80, 1, 0, 0]);
    block(3, &[0, 0, 0, 2, 0, 1, 0, 2, 0, 0, 0, 160]);
    block(4, &[0; 8]);
    block(5, &[0; 12]);
    block(6, &[0; 36]);
    block(7, &[0; 32]);
    packet(&mut out, 0, 207, &xr);
    out
}

fn walk_rtcp(datagram: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut seen = 0;
    for packet in rtcp::packets(datagram) {
        seen += 1;
        match packet.unwrap() {
            RtcpPacket::SenderReport(sr) => {
                acc += sr.ntp_timestamp()
                    + sr.report_blocks().map(|b| u64::from(b.jitter)).sum::<u64>()
            }
            RtcpPacket::ReceiverReport(rr) => acc += rr.report_blocks().count() as u64,
            RtcpPacket::SourceDescription(s) => {
                acc += s
                    .chunks()
                    .flat_map(|c| c.items())
                    .map(|i| i.value.len() as u64)
                    .sum::<u64>()
            }
            RtcpPacket::Goodbye(b) => {
                acc += b.sources().count() as u64 + b.reason().map_or(0, |r| r.len() as u64)
            }
            RtcpPacket::App(a) => acc += a.data().len() as u64,
            RtcpPacket::TransportFeedback(fb) => match fb.kind() {
                TransportFeedbackKind::Nack(pairs) => {
                    acc += pairs.flat_map(NackPair::lost).count() as u64
                }
                TransportFeedbackKind::TransportCc(cc) => {
                    acc += cc
                        .packets()
                        .filter_map(|p| p.delta_ticks)
                        .map(|d| d as u64)
                        .sum::<u64>()
                }
                other => panic!("{other:?}"),
            },
            RtcpPacket::PayloadFeedback(fb) => match fb.kind() {
                PayloadFeedbackKind::Pli => acc += 1,
                PayloadFeedbackKind::Fir(e) => acc += e.map(|e| u64::from(e.sequence)).sum::<u64>(),
                PayloadFeedbackKind::Remb(r) => acc += r.bitrate() + r.ssrcs().count() as u64,
                other => panic!("{other:?}"),
            },
            RtcpPacket::ExtendedReport(xr) => {
                for block in xr.blocks() {
                    acc += match block {
                        XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => r.chunks().count() as u64,
                        XrBlock::PacketReceiptTimes(t) => t.receipt_times().count() as u64,
                        XrBlock::ReceiverReferenceTime { ntp_timestamp } => ntp_timestamp,
                        XrBlock::Dlrr(d) => d.count() as u64,
                        XrBlock::StatisticsSummary(s) => u64::from(s.lost_packets),
                        XrBlock::VoipMetrics(v) => u64::from(v.mos_lq),
                        other => panic!("{other:?}"),
                    }
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen, 11);
    acc
}

#[test]
fn rtp_parse_and_iterate_allocate_nothing() {
    let csrcs = [7, 8, 9];
    let one = [
        ExtensionElement::new(1, &[0x85]),
        ExtensionElement::new(3, &[1, 2, 3]),
    ];
    let two = [
        ExtensionElement::new(200, &[]),
        ExtensionElement::new(3, &[9; 20]),
    ];
    let payload = [0xd5u8; 160];
    let mut packets = Vec::new();
    for ext in [
        ExtensionToWrite::OneByte(&one),
        ExtensionToWrite::TwoByte {
            appbits: 1,
            elements: &two,
        },
        ExtensionToWrite::Generic {
            profile: 0x1234,
            data: &[0; 8],
        },
    ] {
        let mut buf = vec![0u8; 512];
        let len = RtpBuilder::new()
            .csrcs(&csrcs)
            .extension(ext)
            .payload(&payload)
            .padding(4)
            .write(&mut buf)
            .unwrap();
        buf.truncate(len);
        packets.push(buf);
    }
    let bad = [
        vec![0x90u8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 9],
        vec![0x40; 12],
    ];
    // A received datagram: `Bytes` already shared (as after a socket read
    // into `BytesMut` and `freeze`), so slicing it is a refcount bump.
    let received = Bytes::from(packets[0].clone());
    let _warm = received.clone();

    assert_no_alloc("RTP parse, fields, CSRCs, extensions, owned packet", || {
        let mut acc = 0u64;
        for p in &packets {
            let p = RtpPacket::parse(p).unwrap();
            acc += u64::from(p.sequence_number()) + u64::from(p.timestamp()) + u64::from(p.ssrc());
            acc += p.csrcs().map(u64::from).sum::<u64>();
            let ext = p.extension().unwrap();
            if let Some(elements) = ext.elements() {
                acc += elements
                    .map(|e| e.unwrap().data().len() as u64)
                    .sum::<u64>();
            }
            acc += ext.get(3).map_or(0, |d| d.len() as u64);
            acc += (p.payload().len() + p.padding().len()) as u64;
        }
        for b in &bad {
            assert!(RtpPacket::parse(b).is_err());
        }
        let owned = OwnedRtpPacket::from_bytes(received.clone()).unwrap();
        acc += owned.payload().len() as u64 + u64::from(owned.view().sequence_number());
        black_box(acc);
    });
}

#[test]
fn rtcp_walk_and_validate_allocate_nothing() {
    let compound = rich_compound();
    let broken = [0x81u8, 201, 0, 1, 0, 0, 0, 1];
    // Sanity: the walk sees what it should before we count.
    walk_rtcp(&compound);
    assert_no_alloc("RTCP compound walk and validation", || {
        black_box(walk_rtcp(&compound));
        assert!(rtcp::validate_compound(&compound).is_ok());
        assert!(rtcp::packets(&broken).any(|p| p.is_err()));
        assert!(rtcp::validate_compound(&broken).is_err());
    });
}

#[test]
fn writers_allocate_nothing() {
    let payload = [0xffu8; 160];
    let csrcs = [1, 2];
    let one = [ExtensionElement::new(1, &[0x85])];
    let mut bytes_mut = BytesMut::with_capacity(4096);
    let mut out = [0u8; 1500];
    let mut rtcp_out = [0u8; 1500];
    assert_no_alloc("RTP and RTCP writers", || {
        let builder = RtpBuilder::new()
            .payload_type(0)
            .csrcs(&csrcs)
            .extension(ExtensionToWrite::OneByte(&one))
            .payload(&payload)
            .padding(2);
        let len = builder.write(&mut out).unwrap();
        black_box(&out[..len]);
        let plain = RtpBuilder::new().payload(&payload);
        black_box(plain.write(&mut out).unwrap());
        builder.write_bytes_mut(&mut bytes_mut).unwrap();
        assert!(
            RtpBuilder::new()
                .payload(&payload)
                .write(&mut out[..20])
                .is_err()
        );

        let mut w = CompoundWriter::new(&mut rtcp_out);
        let block = ReportBlock::default();
        w.sender_report(1, &SenderInfo::default(), &[block])
            .unwrap();
        w.receiver_report(1, &[block]).unwrap();
        w.sdes(&[(1, &[SdesItem::cname(b"me@example")])]).unwrap();
        w.bye(&[1], Some(b"done")).unwrap();
        w.app(0, 1, *b"NAME", &[0; 4]).unwrap();
        w.nack(1, 2, &[NackPair { pid: 1, blp: 0 }]).unwrap();
        w.pli(1, 2).unwrap();
        w.fir(
            1,
            &[FirEntry {
                ssrc: 2,
                sequence: 1,
            }],
        )
        .unwrap();
        w.remb(1, 2_000_000, &[2]).unwrap();
        let dlrr = [DlrrItem {
            ssrc: 2,
            last_rr: 3,
            delay_since_last_rr: 4,
        }];
        w.xr(
            1,
            &[
                XrBlockToWrite::ReceiverReferenceTime { ntp_timestamp: 5 },
                XrBlockToWrite::Dlrr(&dlrr),
                XrBlockToWrite::StatisticsSummary(StatisticsSummary::default()),
                XrBlockToWrite::VoipMetrics(VoipMetrics::default()),
            ],
        )
        .unwrap();
        assert!(w.receiver_report(1, &[block; 32]).is_err());
        let pairs = rtcp::nack_pairs([1u16, 2, 3, 40]).count();
        black_box((w.finish(), pairs));
    });
    // Header, two CSRCs, extension (4 + 2 padded to 4), payload, padding.
    assert_eq!(bytes_mut.len(), 12 + 8 + 4 + 4 + 160 + 2);
}
