#![no_main]
//! Arbitrary bytes as an RTCP datagram: the compound iterator, every typed
//! view and sub-iterator, and the strict validator never panic or loop. The
//! packets our writer can produce (SR, RR, SDES, BYE, APP, NACK, FIR, XR) are
//! written back and must parse to the same fields.

use call_media::rtcp::{
    self, CompoundWriter, DlrrItem, FirEntry, NackPair, PayloadFeedbackKind, ReportBlock,
    RtcpPacket, SdesItem, TransportFeedbackKind, XrBlock, XrBlockToWrite,
};
use libfuzzer_sys::fuzz_target;

/// `room` is the datagram length: a rewritten packet is never longer than
/// the original (ours has no profile extension and minimal SDES padding).
fn round_trip(packet: &RtcpPacket<'_>, room: usize) {
    let mut buf = vec![0u8; room];
    let mut w = CompoundWriter::new(&mut buf);
    match packet {
        RtcpPacket::SenderReport(sr) => {
            let blocks: Vec<ReportBlock> = sr.report_blocks().collect();
            w.sender_report(sr.ssrc(), &sr.sender_info(), &blocks)
                .unwrap();
        }
        RtcpPacket::ReceiverReport(rr) => {
            let blocks: Vec<ReportBlock> = rr.report_blocks().collect();
            w.receiver_report(rr.ssrc(), &blocks).unwrap();
        }
        RtcpPacket::SourceDescription(sdes) => {
            let items: Vec<(u32, Vec<SdesItem<'_>>)> = sdes
                .chunks()
                .map(|c| (c.ssrc(), c.items().collect()))
                .collect();
            let chunks: Vec<(u32, &[SdesItem<'_>])> =
                items.iter().map(|(s, i)| (*s, &i[..])).collect();
            w.sdes(&chunks).unwrap();
        }
        RtcpPacket::Goodbye(bye) => {
            let sources: Vec<u32> = bye.sources().collect();
            w.bye(&sources, bye.reason()).unwrap();
        }
        RtcpPacket::App(app) if app.data().len() % 4 == 0 => {
            w.app(app.subtype(), app.ssrc(), app.name(), app.data())
                .unwrap();
        }
        RtcpPacket::TransportFeedback(fb) => {
            let TransportFeedbackKind::Nack(pairs) = fb.kind() else {
                return;
            };
            let pairs: Vec<NackPair> = pairs.collect();
            w.nack(fb.sender_ssrc(), fb.media_ssrc(), &pairs).unwrap();
        }
        RtcpPacket::PayloadFeedback(fb) => {
            let PayloadFeedbackKind::Fir(entries) = fb.kind() else {
                return;
            };
            let entries: Vec<FirEntry> = entries.collect();
            w.fir(fb.sender_ssrc(), &entries).unwrap();
        }
        RtcpPacket::ExtendedReport(xr) => {
            let mut dlrr: Vec<Vec<DlrrItem>> = Vec::new();
            for block in xr.blocks() {
                if let XrBlock::Dlrr(items) = block {
                    dlrr.push(items.collect());
                }
            }
            let mut dlrr = dlrr.iter();
            let mut blocks = Vec::new();
            for block in xr.blocks() {
                blocks.push(match block {
                    XrBlock::ReceiverReferenceTime { ntp_timestamp } => {
                        XrBlockToWrite::ReceiverReferenceTime { ntp_timestamp }
                    }
                    XrBlock::Dlrr(_) => XrBlockToWrite::Dlrr(dlrr.next().unwrap()),
                    XrBlock::StatisticsSummary(s) => XrBlockToWrite::StatisticsSummary(s),
                    XrBlock::VoipMetrics(v) => XrBlockToWrite::VoipMetrics(v),
                    _ => return,
                });
            }
            w.xr(xr.ssrc(), &blocks).unwrap();
        }
        _ => return,
    }
    let out = w.finish();
    let again = rtcp::packets(out).next().unwrap().unwrap();
    match (packet, again) {
        (RtcpPacket::SenderReport(a), RtcpPacket::SenderReport(b)) => {
            assert_eq!((a.ssrc(), a.sender_info()), (b.ssrc(), b.sender_info()));
            assert!(a.report_blocks().eq(b.report_blocks()));
        }
        (RtcpPacket::ReceiverReport(a), RtcpPacket::ReceiverReport(b)) => {
            assert_eq!(a.ssrc(), b.ssrc());
            assert!(a.report_blocks().eq(b.report_blocks()));
        }
        (RtcpPacket::SourceDescription(a), RtcpPacket::SourceDescription(b)) => {
            assert!(
                a.chunks()
                    .map(|c| (c.ssrc(), c.items().collect::<Vec<_>>()))
                    .eq(b
                        .chunks()
                        .map(|c| (c.ssrc(), c.items().collect::<Vec<_>>())))
            );
        }
        (RtcpPacket::Goodbye(a), RtcpPacket::Goodbye(b)) => {
            assert!(a.sources().eq(b.sources()));
            assert_eq!(a.reason(), b.reason());
        }
        (RtcpPacket::App(a), RtcpPacket::App(b)) => assert_eq!(*a, b),
        (RtcpPacket::TransportFeedback(a), RtcpPacket::TransportFeedback(b)) => assert_eq!(*a, b),
        (RtcpPacket::PayloadFeedback(a), RtcpPacket::PayloadFeedback(b)) => {
            let (PayloadFeedbackKind::Fir(x), PayloadFeedbackKind::Fir(y)) = (a.kind(), b.kind())
            else {
                panic!("{a:?} came back as {b:?}")
            };
            assert_eq!(a.sender_ssrc(), b.sender_ssrc());
            assert!(x.eq(y));
        }
        (RtcpPacket::ExtendedReport(a), RtcpPacket::ExtendedReport(b)) => {
            assert_eq!(a.ssrc(), b.ssrc());
            assert_eq!(a.blocks().count(), b.blocks().count());
            for (x, y) in a.blocks().zip(b.blocks()) {
                match (x, y) {
                    (XrBlock::Dlrr(x), XrBlock::Dlrr(y)) => assert!(x.eq(y)),
                    (x, y) => assert_eq!(format!("{x:?}"), format!("{y:?}")),
                }
            }
        }
        (a, b) => panic!("{a:?} came back as {b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let strict = rtcp::validate_compound(data);
    let mut all_ok = true;
    for packet in rtcp::packets(data) {
        let Ok(packet) = packet else {
            all_ok = false;
            break;
        };
        match packet {
            RtcpPacket::SenderReport(sr) => {
                let _ = (
                    sr.ntp_timestamp(),
                    sr.profile_extension(),
                    sr.report_blocks().count(),
                );
            }
            RtcpPacket::ReceiverReport(rr) => {
                let _ = (rr.profile_extension(), rr.report_blocks().count());
            }
            RtcpPacket::SourceDescription(sdes) => {
                for chunk in sdes.chunks() {
                    chunk.items().for_each(drop);
                }
                let _ = sdes.cname();
            }
            RtcpPacket::Goodbye(bye) => {
                let _ = (bye.sources().count(), bye.reason());
            }
            RtcpPacket::App(app) => {
                let _ = (app.name(), app.data());
            }
            RtcpPacket::TransportFeedback(fb) => match fb.kind() {
                TransportFeedbackKind::Nack(pairs) => pairs.flat_map(NackPair::lost).for_each(drop),
                TransportFeedbackKind::TransportCc(cc) => {
                    assert_eq!(cc.packets().count(), usize::from(cc.status_count()));
                }
                _ => {}
            },
            RtcpPacket::PayloadFeedback(fb) => match fb.kind() {
                PayloadFeedbackKind::Fir(entries) => entries.for_each(drop),
                PayloadFeedbackKind::Remb(remb) => {
                    let _ = (remb.bitrate(), remb.ssrcs().count());
                }
                _ => {}
            },
            RtcpPacket::ExtendedReport(xr) => {
                for block in xr.blocks() {
                    match block {
                        XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => r.chunks().for_each(drop),
                        XrBlock::PacketReceiptTimes(t) => t.receipt_times().for_each(drop),
                        XrBlock::Dlrr(items) => items.for_each(drop),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        round_trip(&packet, data.len());
    }
    // A datagram the strict check accepts also parses packet by packet.
    if strict.is_ok() {
        assert!(all_ok);
    }
});
