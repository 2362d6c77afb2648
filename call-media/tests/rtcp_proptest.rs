//! Property tests for the RTCP packet layer: compounds written by
//! `CompoundWriter` parse back to the same fields, and no byte string makes
//! the iterator, any typed view or the compound validator panic.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use call_media::rtcp::{
    self, CompoundWriter, DlrrItem, FirEntry, NackPair, PayloadFeedbackKind, ReportBlock,
    RtcpPacket, SdesItem, SdesItemType, SenderInfo, StatisticsSummary, TransportFeedbackKind,
    VoipMetrics, XrBlock, XrBlockToWrite,
};
use proptest::prelude::*;

/// An SDES chunk: source and (item type, value) pairs.
type Chunk = (u32, Vec<(u8, Vec<u8>)>);

#[derive(Clone, Debug)]
enum Op {
    Sr(u32, SenderInfo, Vec<ReportBlock>),
    Rr(u32, Vec<ReportBlock>),
    Sdes(Vec<Chunk>),
    Bye(Vec<u32>, Option<Vec<u8>>),
    App(u8, u32, [u8; 4], Vec<u8>),
    Nack(u32, u32, Vec<NackPair>),
    Pli(u32, u32),
    Fir(u32, Vec<FirEntry>),
    Remb(u32, u64, Vec<u32>),
    Xr(u32, u64, Vec<DlrrItem>, StatisticsSummary, VoipMetrics),
}

fn block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        rtcp::CUMULATIVE_LOST_MIN..=rtcp::CUMULATIVE_LOST_MAX,
        any::<[u32; 4]>(),
    )
        .prop_map(|(ssrc, fraction_lost, cumulative_lost, w)| ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost,
            extended_highest_sequence: w[0],
            jitter: w[1],
            last_sr: w[2],
            delay_since_last_sr: w[3],
        })
}

fn op() -> impl Strategy<Value = Op> {
    let blocks = || prop::collection::vec(block(), 0..=31);
    let info = any::<(u64, u32, u32, u32)>().prop_map(|(n, r, p, o)| SenderInfo {
        ntp_timestamp: n,
        rtp_timestamp: r,
        packet_count: p,
        octet_count: o,
    });
    let text = prop::collection::vec(any::<u8>(), 0..=40);
    prop_oneof![
        (any::<u32>(), info, blocks()).prop_map(|(s, i, b)| Op::Sr(s, i, b)),
        (any::<u32>(), blocks()).prop_map(|(s, b)| Op::Rr(s, b)),
        prop::collection::vec(
            (
                any::<u32>(),
                prop::collection::vec((1u8..=255, text.clone()), 0..4)
            ),
            0..=5
        )
        .prop_map(Op::Sdes),
        (
            prop::collection::vec(any::<u32>(), 0..=31),
            prop::option::of(text)
        )
            .prop_map(|(s, r)| Op::Bye(s, r)),
        (
            0u8..32,
            any::<u32>(),
            any::<[u8; 4]>(),
            prop::collection::vec(any::<[u8; 4]>(), 0..8)
        )
            .prop_map(|(st, s, n, d)| Op::App(st, s, n, d.concat())),
        (
            any::<u32>(),
            any::<u32>(),
            prop::collection::vec(
                any::<(u16, u16)>().prop_map(|(pid, blp)| NackPair { pid, blp }),
                1..10
            )
        )
            .prop_map(|(s, m, p)| Op::Nack(s, m, p)),
        any::<(u32, u32)>().prop_map(|(s, m)| Op::Pli(s, m)),
        (
            any::<u32>(),
            prop::collection::vec(
                any::<(u32, u8)>().prop_map(|(ssrc, sequence)| FirEntry { ssrc, sequence }),
                1..5
            )
        )
            .prop_map(|(s, e)| Op::Fir(s, e)),
        (
            any::<u32>(),
            any::<u64>(),
            prop::collection::vec(any::<u32>(), 0..5)
        )
            .prop_map(|(s, b, ssrcs)| Op::Remb(s, b, ssrcs)),
        (
            any::<(u32, u64)>(),
            prop::collection::vec(
                any::<(u32, u32, u32)>().prop_map(|(ssrc, last_rr, delay_since_last_rr)| {
                    DlrrItem {
                        ssrc,
                        last_rr,
                        delay_since_last_rr,
                    }
                }),
                0..4
            ),
            any::<(bool, bool, u8, u32, u16, u32, u8)>(),
            any::<(u32, u8, i8, u16, u8, u16)>(),
        )
            .prop_map(|((s, ntp), dlrr, st, v)| {
                let summary = StatisticsSummary {
                    has_loss: st.0,
                    has_jitter: st.1,
                    ttl_or_hop_limit: st.2 % 3,
                    ssrc: st.3,
                    end_sequence: st.4,
                    mean_jitter: st.5,
                    dev_ttl_or_hl: st.6,
                    ..StatisticsSummary::default()
                };
                let metrics = VoipMetrics {
                    ssrc: v.0,
                    loss_rate: v.1,
                    signal_level: v.2,
                    round_trip_delay: v.3,
                    mos_lq: v.4,
                    jb_abs_max: v.5,
                    ..VoipMetrics::default()
                };
                Op::Xr(s, ntp, dlrr, summary, metrics)
            }),
    ]
}

fn write(ops: &[Op], buf: &mut [u8]) -> usize {
    let mut w = CompoundWriter::new(buf);
    for op in ops {
        match op {
            Op::Sr(s, i, b) => w.sender_report(*s, i, b).map(|_| ()),
            Op::Rr(s, b) => w.receiver_report(*s, b).map(|_| ()),
            Op::Sdes(chunks) => {
                let items: Vec<Vec<SdesItem<'_>>> = chunks
                    .iter()
                    .map(|(_, items)| {
                        items
                            .iter()
                            .map(|(k, v)| SdesItem {
                                kind: SdesItemType(*k),
                                value: v,
                            })
                            .collect()
                    })
                    .collect();
                let chunks: Vec<(u32, &[SdesItem<'_>])> = chunks
                    .iter()
                    .zip(&items)
                    .map(|((s, _), i)| (*s, &i[..]))
                    .collect();
                w.sdes(&chunks).map(|_| ())
            }
            Op::Bye(s, r) => w.bye(s, r.as_deref()).map(|_| ()),
            Op::App(st, s, n, d) => w.app(*st, *s, *n, d).map(|_| ()),
            Op::Nack(s, m, p) => w.nack(*s, *m, p).map(|_| ()),
            Op::Pli(s, m) => w.pli(*s, *m).map(|_| ()),
            Op::Fir(s, e) => w.fir(*s, e).map(|_| ()),
            Op::Remb(s, b, ssrcs) => w.remb(*s, *b, ssrcs).map(|_| ()),
            Op::Xr(s, ntp, dlrr, summary, metrics) => w
                .xr(
                    *s,
                    &[
                        XrBlockToWrite::ReceiverReferenceTime {
                            ntp_timestamp: *ntp,
                        },
                        XrBlockToWrite::Dlrr(dlrr),
                        XrBlockToWrite::StatisticsSummary(*summary),
                        XrBlockToWrite::VoipMetrics(*metrics),
                    ],
                )
                .map(|_| ()),
        }
        .unwrap();
    }
    w.len()
}

/// Visits every view and iterator; returns a checksum so nothing is skipped.
fn walk(datagram: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut add = |v: u64| acc = acc.wrapping_add(v);
    let _ = rtcp::validate_compound(datagram);
    for packet in rtcp::packets(datagram) {
        let Ok(packet) = packet else { break };
        match packet {
            RtcpPacket::SenderReport(sr) => {
                add(u64::from(sr.ssrc()) ^ sr.ntp_timestamp());
                add(u64::from(sr.sender_info().octet_count));
                sr.report_blocks().for_each(|b| add(u64::from(b.jitter)));
                add(sr.profile_extension().len() as u64);
            }
            RtcpPacket::ReceiverReport(rr) => {
                add(u64::from(rr.ssrc()));
                rr.report_blocks()
                    .for_each(|b| add(b.cumulative_lost as u64));
                add(rr.profile_extension().len() as u64);
            }
            RtcpPacket::SourceDescription(sdes) => {
                for chunk in sdes.chunks() {
                    add(u64::from(chunk.ssrc()));
                    chunk.items().for_each(|i| add(i.value.len() as u64));
                }
                add(sdes.cname().map_or(0, |c| c.len() as u64));
            }
            RtcpPacket::Goodbye(bye) => {
                bye.sources().for_each(|s| add(u64::from(s)));
                add(bye.reason().map_or(0, |r| r.len() as u64));
            }
            RtcpPacket::App(app) => {
                add(u64::from(app.ssrc()) + u64::from(app.subtype()));
                add(app.name()[0].into());
                add(app.data().len() as u64);
            }
            RtcpPacket::TransportFeedback(fb) => {
                add(u64::from(fb.sender_ssrc()) + u64::from(fb.media_ssrc()));
                match fb.kind() {
                    TransportFeedbackKind::Nack(pairs) => {
                        pairs.flat_map(NackPair::lost).for_each(|s| add(s.into()))
                    }
                    TransportFeedbackKind::TransportCc(cc) => {
                        add(cc.reference_time() as u64 + u64::from(cc.feedback_count()));
                        assert_eq!(cc.packets().count(), usize::from(cc.status_count()));
                        cc.packets()
                            .for_each(|p| add(p.delta_ticks.unwrap_or(0) as u64));
                    }
                    TransportFeedbackKind::Other { fci, .. } => add(fci.len() as u64),
                    _ => {}
                }
            }
            RtcpPacket::PayloadFeedback(fb) => {
                add(u64::from(fb.sender_ssrc()) + u64::from(fb.media_ssrc()));
                match fb.kind() {
                    PayloadFeedbackKind::Pli => add(1),
                    PayloadFeedbackKind::Fir(entries) => {
                        entries.for_each(|e| add(u64::from(e.ssrc) + u64::from(e.sequence)))
                    }
                    PayloadFeedbackKind::Remb(remb) => {
                        add(remb.bitrate());
                        remb.ssrcs().for_each(|s| add(s.into()));
                    }
                    PayloadFeedbackKind::Other { fci, .. } => add(fci.len() as u64),
                    _ => {}
                }
            }
            RtcpPacket::ExtendedReport(xr) => {
                add(u64::from(xr.ssrc()));
                for block in xr.blocks() {
                    match block {
                        XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => {
                            add(u64::from(r.ssrc()) + u64::from(r.begin_sequence()));
                            add(u64::from(r.end_sequence()) + u64::from(r.thinning()));
                            r.chunks().for_each(|_| add(1));
                        }
                        XrBlock::PacketReceiptTimes(t) => {
                            add(u64::from(t.ssrc()) + u64::from(t.begin_sequence()));
                            t.receipt_times().for_each(|t| add(t.into()));
                        }
                        XrBlock::ReceiverReferenceTime { ntp_timestamp } => add(ntp_timestamp),
                        XrBlock::Dlrr(items) => items.for_each(|i| add(i.last_rr.into())),
                        XrBlock::StatisticsSummary(s) => add(s.lost_packets.into()),
                        XrBlock::VoipMetrics(v) => add(v.mos_lq.into()),
                        XrBlock::Unknown { content, .. } => add(content.len() as u64),
                        _ => {}
                    }
                }
            }
            RtcpPacket::Unknown { bytes, .. } => add(bytes.len() as u64),
            _ => {}
        }
    }
    acc
}

/// Builds a datagram of packets whose common headers are consistent, with
/// random bodies, so the typed parsers see plenty of input.
fn framed() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (
            0u8..32,
            prop_oneof![200u8..=207, any::<u8>()],
            prop::collection::vec(any::<[u8; 4]>(), 0..12),
        ),
        1..5,
    )
    .prop_map(|packets| {
        let mut out = Vec::new();
        for (count, pt, words) in packets {
            out.extend_from_slice(&[0x80 | count, pt]);
            out.extend_from_slice(&(words.len() as u16).to_be_bytes());
            out.extend(words.concat());
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn write_then_parse_gives_the_same_fields(ops in prop::collection::vec(op(), 1..6)) {
        let mut buf = vec![0u8; 16384];
        let len = write(&ops, &mut buf);
        let datagram = &buf[..len];
        let packets: Vec<_> = rtcp::packets(datagram).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(packets.len(), ops.len());
        for (op, packet) in ops.iter().zip(packets) {
            match (op, packet) {
                (Op::Sr(s, i, b), RtcpPacket::SenderReport(sr)) => {
                    prop_assert_eq!(sr.ssrc(), *s);
                    prop_assert_eq!(sr.sender_info(), *i);
                    prop_assert_eq!(&sr.report_blocks().collect::<Vec<_>>(), b);
                }
                (Op::Rr(s, b), RtcpPacket::ReceiverReport(rr)) => {
                    prop_assert_eq!(rr.ssrc(), *s);
                    prop_assert_eq!(&rr.report_blocks().collect::<Vec<_>>(), b);
                }
                (Op::Sdes(chunks), RtcpPacket::SourceDescription(sdes)) => {
                    let got: Vec<Chunk> = sdes
                        .chunks()
                        .map(|c| (c.ssrc(), c.items().map(|i| (i.kind.0, i.value.to_vec())).collect()))
                        .collect();
                    prop_assert_eq!(&got, chunks);
                }
                (Op::Bye(s, r), RtcpPacket::Goodbye(bye)) => {
                    prop_assert_eq!(&bye.sources().collect::<Vec<_>>(), s);
                    prop_assert_eq!(bye.reason(), r.as_deref());
                }
                (Op::App(st, s, n, d), RtcpPacket::App(app)) => {
                    prop_assert_eq!((app.subtype(), app.ssrc(), app.name(), app.data()), (*st, *s, *n, &d[..]));
                }
                (Op::Nack(s, m, p), RtcpPacket::TransportFeedback(fb)) => {
                    prop_assert_eq!((fb.sender_ssrc(), fb.media_ssrc()), (*s, *m));
                    let TransportFeedbackKind::Nack(pairs) = fb.kind() else { panic!("not a NACK") };
                    prop_assert_eq!(&pairs.collect::<Vec<_>>(), p);
                }
                (Op::Pli(s, m), RtcpPacket::PayloadFeedback(fb)) => {
                    prop_assert_eq!((fb.sender_ssrc(), fb.media_ssrc()), (*s, *m));
                    prop_assert!(matches!(fb.kind(), PayloadFeedbackKind::Pli));
                }
                (Op::Fir(s, e), RtcpPacket::PayloadFeedback(fb)) => {
                    prop_assert_eq!((fb.sender_ssrc(), fb.media_ssrc()), (*s, 0));
                    let PayloadFeedbackKind::Fir(entries) = fb.kind() else { panic!("not a FIR") };
                    prop_assert_eq!(&entries.collect::<Vec<_>>(), e);
                }
                (Op::Remb(s, b, ssrcs), RtcpPacket::PayloadFeedback(fb)) => {
                    prop_assert_eq!(fb.sender_ssrc(), *s);
                    let PayloadFeedbackKind::Remb(remb) = fb.kind() else { panic!("not a REMB") };
                    // 18 significant bits, rounded down.
                    let got = remb.bitrate();
                    prop_assert!(got <= *b && *b - got <= (*b >> 17));
                    prop_assert_eq!(&remb.ssrcs().collect::<Vec<_>>(), ssrcs);
                }
                (Op::Xr(s, ntp, dlrr, summary, metrics), RtcpPacket::ExtendedReport(xr)) => {
                    prop_assert_eq!(xr.ssrc(), *s);
                    let blocks: Vec<XrBlock<'_>> = xr.blocks().collect();
                    prop_assert_eq!(blocks.len(), 4);
                    let rrt = matches!(blocks[0], XrBlock::ReceiverReferenceTime { ntp_timestamp } if ntp_timestamp == *ntp);
                    prop_assert!(rrt);
                    let XrBlock::Dlrr(items) = blocks[1].clone() else { panic!("not DLRR") };
                    prop_assert_eq!(&items.collect::<Vec<_>>(), dlrr);
                    prop_assert!(matches!(blocks[2], XrBlock::StatisticsSummary(got) if got == *summary));
                    prop_assert!(matches!(blocks[3], XrBlock::VoipMetrics(got) if got == *metrics));
                }
                (op, packet) => panic!("{op:?} came back as {packet:?}"),
            }
        }
        walk(datagram);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..400)) {
        walk(&data);
    }

    #[test]
    fn framed_random_bodies_never_panic(data in framed()) {
        walk(&data);
    }

    #[test]
    fn nack_pairs_cover_exactly_the_lost_set(start in any::<u16>(), gaps in prop::collection::vec(1u16..40, 1..50)) {
        let mut lost = vec![start];
        for g in gaps {
            let next = lost.last().unwrap().wrapping_add(g);
            lost.push(next);
        }
        let back: Vec<u16> = rtcp::nack_pairs(lost.iter().copied()).flat_map(NackPair::lost).collect();
        prop_assert_eq!(back, lost);
    }
}
