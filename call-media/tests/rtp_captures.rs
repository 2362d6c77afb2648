//! The packet layer on real captures (`../shared/testdata/pcap`), checked
//! against tshark's dissector packet by packet, and rewritten byte for byte
//! by our writer.
//!
//! It also leaves fuzz seeds under `fuzz/corpus/<target>/` (gitignored), so
//! the fuzz targets start from real packets without copying capture data
//! into the repository.
#![cfg(feature = "pcap")]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use call_media::capture::{CaptureReader, decode_udp};
use call_media::rtcp::{CompoundWriter, NackPair, ReportBlock, SdesItem, SenderInfo};
use call_media::rtp::{OwnedRtpPacket, RtpBuilder, RtpPacket};

const CAPTURES: &[&str] = &[
    "pcap/sipp/g711a.pcap",
    "pcap/sipp/dtmf_2833_0.pcap",
    "pcap/sipp/dtmf_2833_5.pcap",
    "pcap/sipp/dtmf_2833_pound.pcap",
    "pcap/sipp/dtmf_2833_star.pcap",
    "pcap/freeswitch/milliwatt.pcmu.rtp.pcap",
    "pcap/freeswitch/milliwatt.long.pcmu.rtp.pcap",
];

/// Header fields as tshark prints them: seq, timestamp, ssrc, pt, marker,
/// padding bit, extension bit, CSRC count.
type Fields = (u16, u32, u32, u8, bool, bool, bool, u8);

fn udp_payloads(file: &[u8]) -> Vec<Vec<u8>> {
    CaptureReader::new(file)
        .unwrap()
        .map(|frame| {
            let frame = frame.unwrap();
            decode_udp(frame.link_type, frame.data)
                .unwrap()
                .payload
                .to_vec()
        })
        .collect()
}

fn flag(s: &str) -> bool {
    matches!(s, "1" | "True" | "true")
}

fn tshark_fields(path: &Path) -> Vec<Fields> {
    let out = Command::new("tshark")
        .args([
            "-o",
            "rtp.heuristic_rtp:TRUE",
            "-T",
            "fields",
            "-E",
            "separator=,",
        ])
        .args([
            "-e",
            "rtp.seq",
            "-e",
            "rtp.timestamp",
            "-e",
            "rtp.ssrc",
            "-e",
            "rtp.p_type",
        ])
        .args([
            "-e",
            "rtp.marker",
            "-e",
            "rtp.padding",
            "-e",
            "rtp.ext",
            "-e",
            "rtp.cc",
            "-r",
        ])
        .arg(path)
        .output()
        .expect("tshark is needed (cargo xtask test installs it)");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                u32::from_str_radix(f[2].trim_start_matches("0x"), 16).unwrap(),
                f[3].parse().unwrap(),
                flag(f[4]),
                flag(f[5]),
                flag(f[6]),
                f[7].parse().unwrap(),
            )
        })
        .collect()
}

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_packet_matches_tshark_and_rewrites_identically() {
    for capture in CAPTURES {
        let path = call_testdata::require(capture);
        let file = std::fs::read(&path).unwrap();
        let datagrams = udp_payloads(&file);
        let expected = tshark_fields(&path);
        assert_eq!(
            datagrams.len(),
            expected.len(),
            "{capture}: every datagram is RTP"
        );
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        for (i, (datagram, want)) in datagrams.iter().zip(&expected).enumerate() {
            let p =
                RtpPacket::parse(datagram).unwrap_or_else(|e| panic!("{capture} packet {i}: {e}"));
            let got: Fields = (
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.payload_type(),
                p.marker(),
                p.has_padding(),
                p.has_extension(),
                p.csrc_count(),
            );
            assert_eq!(&got, want, "{capture} packet {i}");

            // Our writer reproduces the packet byte for byte.
            let builder = RtpBuilder::from_packet(&p);
            let mut out = vec![0u8; datagram.len()];
            assert_eq!(builder.write(&mut out), Ok(datagram.len()));
            if p.padding().iter().rev().skip(1).all(|&b| b == 0) {
                assert_eq!(&out, datagram, "{capture} packet {i} rewritten");
            }

            // The owned packet over `Bytes` shares the datagram's memory.
            let shared = Bytes::copy_from_slice(datagram);
            let owned = OwnedRtpPacket::from_bytes(shared.clone()).unwrap();
            assert_eq!(owned.view(), RtpPacket::parse(&shared).unwrap());
            assert_eq!(
                owned.payload().as_ptr(),
                shared[datagram.len() - p.payload().len() - p.padding().len()..].as_ptr()
            );

            // Seeds: the first packets of each stream and every marked one.
            if i < 4 || p.marker() {
                let name = format!("capture-{stem}-{i}");
                for target in ["rtp_packet", "rtp_roundtrip", "rtp_extensions"] {
                    std::fs::write(corpus(target).join(&name), datagram).unwrap();
                }
            }
        }
    }
}

#[test]
fn reference_streams_have_the_documented_shape() {
    // From the test data README: g711a.pcap is 236 PCMA packets, 30 ms each.
    let file = std::fs::read(call_testdata::require("pcap/sipp/g711a.pcap")).unwrap();
    let packets = udp_payloads(&file);
    assert_eq!(packets.len(), 236);
    let parsed: Vec<_> = packets
        .iter()
        .map(|d| RtpPacket::parse(d).unwrap())
        .collect();
    assert!(
        parsed
            .iter()
            .all(|p| p.payload_type() == 8 && p.payload().len() == 240)
    );
    for pair in parsed.windows(2) {
        assert_eq!(pair[1].timestamp().wrapping_sub(pair[0].timestamp()), 240);
        assert_eq!(
            pair[1].sequence_number(),
            pair[0].sequence_number().wrapping_add(1)
        );
    }
    // RFC 4733 events: payload type 101, marker on the first packet, and at
    // least three end packets (E bit) at the end.
    let file = std::fs::read(call_testdata::require("pcap/sipp/dtmf_2833_1.pcap")).unwrap();
    let packets = udp_payloads(&file);
    let events: Vec<_> = packets
        .iter()
        .map(|d| RtpPacket::parse(d).unwrap())
        .collect();
    assert!(
        events
            .iter()
            .all(|p| p.payload_type() == 101 && p.payload().len() == 4)
    );
    assert!(events[0].marker());
    assert_eq!(events[0].payload()[0], 1, "key 1");
    assert!(
        events
            .iter()
            .rev()
            .take(3)
            .all(|p| p.payload()[1] & 0x80 != 0)
    );
}

#[test]
fn rtcp_seeds_from_our_writer() {
    // No RTCP in the captures: seed the RTCP target with what our writer
    // makes from the captured SSRC, so the fuzzer starts from valid framing.
    let file = std::fs::read(call_testdata::require("pcap/sipp/g711a.pcap")).unwrap();
    let first = udp_payloads(&file).remove(0);
    let ssrc = RtpPacket::parse(&first).unwrap().ssrc();
    let mut buf = [0u8; 512];
    let mut w = CompoundWriter::new(&mut buf);
    let block = ReportBlock {
        ssrc,
        fraction_lost: 1,
        cumulative_lost: 2,
        ..ReportBlock::default()
    };
    w.sender_report(ssrc, &SenderInfo::default(), &[block])
        .unwrap();
    w.sdes(&[(ssrc, &[SdesItem::cname(b"seed@example")])])
        .unwrap();
    w.nack(ssrc, ssrc, &[NackPair { pid: 1, blp: 5 }]).unwrap();
    w.pli(ssrc, ssrc).unwrap();
    w.bye(&[ssrc], Some(b"seed")).unwrap();
    let compound = w.finish();
    call_media::rtcp::validate_compound(compound).unwrap();
    std::fs::write(
        corpus("rtcp_compound").join("writer-sr-sdes-nack-pli-bye"),
        compound,
    )
    .unwrap();
}
