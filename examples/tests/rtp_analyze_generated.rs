//! Interop: captures written with our RTP writer, analysed by `rtp_analyze`
//! and by tshark. Per stream, packets and lost must match exactly and jitter
//! within 0.01 ms; per packet, every RTP field tshark dissects must match
//! what our parser reads from the same frame.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod example_bin;
mod rtp_analyze_support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use call_media::capture::{CaptureReader, decode_udp};
use call_media::rtp::{ExtensionElement, ExtensionForm, ExtensionToWrite, RtpBuilder, RtpPacket};
use rtp_analyze_support::{CaptureWriter, Format, Link, Rng, assert_agree, tshark};

/// What to do to the packets of one generated stream.
#[derive(Clone, Debug)]
struct Scenario {
    name: String,
    packets: u16,
    first_seq: u16,
    first_ts: u32,
    payload_type: u8,
    /// Timestamp step and nominal spacing.
    ts_step: u32,
    spacing_ms: u64,
    /// Uniform arrival jitter, 0..max µs.
    jitter_us: u64,
    /// Per-mille chances.
    loss: u64,
    reorder: u64,
    duplicate: u64,
    csrcs: &'static [u32],
    extension: Ext,
    padding: u8,
    /// Marker bit on every n-th packet (0: only none).
    marker_every: u16,
}

#[derive(Clone, Copy, Debug)]
enum Ext {
    None,
    OneByte,
    TwoByte,
    Generic,
}

impl Scenario {
    fn pcmu(name: &str) -> Self {
        Scenario {
            name: name.to_owned(),
            packets: 400,
            first_seq: 1000,
            first_ts: 48_000,
            payload_type: 0,
            ts_step: 160,
            spacing_ms: 20,
            jitter_us: 3000,
            loss: 0,
            reorder: 0,
            duplicate: 0,
            csrcs: &[],
            extension: Ext::None,
            padding: 0,
            marker_every: 0,
        }
    }
}

const EPOCH: Duration = Duration::from_secs(1_700_000_000);

/// Writes the scenario's packets from `src` to `dst` into `w`, starting at
/// `start`; returns how many datagrams were written.
fn write_stream(
    w: &mut CaptureWriter,
    s: &Scenario,
    ssrc: u32,
    src: SocketAddr,
    dst: SocketAddr,
    start: Duration,
    seed: u64,
) -> usize {
    let mut rng = Rng::new(seed);
    // (arrival, bytes), then sorted by arrival: reordering comes from a
    // delay larger than the spacing.
    let mut out: Vec<(Duration, Vec<u8>)> = Vec::new();
    let audio_id = [0x5a];
    let level = [0x80, 0x01, 0x02];
    let one = [
        ExtensionElement::new(1, &audio_id),
        ExtensionElement::new(3, &level),
    ];
    let two = [
        ExtensionElement::new(1, &level),
        ExtensionElement::new(200, &[]),
    ];
    let generic = [0xde, 0xad, 0xbe, 0xef];
    for i in 0..s.packets {
        let last = i + 1 == s.packets;
        if !last && i > 0 && rng.below(1000) < s.loss {
            continue;
        }
        let seq = s.first_seq.wrapping_add(i);
        let ts = s
            .first_ts
            .wrapping_add(u32::from(i).wrapping_mul(s.ts_step));
        let payload = vec![0xd5u8 ^ (i as u8); (s.ts_step as usize).min(160)];
        let mut b = RtpBuilder::new()
            .payload_type(s.payload_type)
            .sequence_number(seq)
            .timestamp(ts)
            .ssrc(ssrc)
            .marker(i == 0 || (s.marker_every != 0 && i % s.marker_every == 0))
            .csrcs(s.csrcs)
            .payload(&payload)
            .padding(s.padding);
        b = match s.extension {
            Ext::None => b,
            Ext::OneByte => b.extension(ExtensionToWrite::OneByte(&one)),
            Ext::TwoByte => b.extension(ExtensionToWrite::TwoByte {
                appbits: 5,
                elements: &two,
            }),
            Ext::Generic => b.extension(ExtensionToWrite::Generic {
                profile: 0x0067,
                data: &generic,
            }),
        };
        let mut buf = vec![0u8; 1500];
        let len = b.write(&mut buf).expect("write RTP");
        buf.truncate(len);
        let nominal = start + Duration::from_millis(s.spacing_ms * u64::from(i));
        let mut at = nominal + Duration::from_micros(rng.below(s.jitter_us.max(1)));
        if !last && i > 2 && rng.below(1000) < s.reorder {
            // Late by more than one spacing: arrives after its successor.
            at += Duration::from_millis(s.spacing_ms + s.spacing_ms / 2);
        }
        if !last && rng.below(1000) < s.duplicate {
            out.push((at + Duration::from_micros(150), buf.clone()));
        }
        out.push((at, buf));
    }
    // The last packet stays last, as both tools count up to the last arrival.
    let last_at = out.iter().map(|(t, _)| *t).max().unwrap();
    if let Some(last) = out.last_mut() {
        last.0 = last_at + Duration::from_millis(s.spacing_ms);
    }
    out.sort_by_key(|(t, _)| *t);
    let n = out.len();
    for (t, bytes) in out {
        w.add(EPOCH + t, src, dst, &bytes);
    }
    n
}

fn a(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Writes one capture for `s` (plus a second stream the other way, RTCP on
/// the odd port and unrelated UDP), runs both tools and compares.
fn check(s: &Scenario, format: Format, link: Link, v6: bool) {
    let (src, dst) = if v6 {
        (a("[2001:db8::10]:24000"), a("[2001:db8::20]:40000"))
    } else {
        (a("192.0.2.10:24000"), a("198.51.100.20:40000"))
    };
    let mut w = CaptureWriter::new(format, link);
    let mut rng = Rng::new(7);
    write_stream(&mut w, s, 0x1122_3344, src, dst, Duration::ZERO, 42);
    // The reverse direction, PCMA, a little later, different SSRC.
    let mut back = Scenario::pcmu("back");
    back.payload_type = 8;
    back.packets = 150;
    back.first_seq = rng.below(60000) as u16;
    write_stream(
        &mut w,
        &back,
        0x5566_7788,
        dst,
        src,
        Duration::from_secs(20),
        43,
    );
    // RTCP on the odd ports and some UDP that is not RTP.
    let rtcp_src = SocketAddr::new(src.ip(), src.port() + 1);
    let rtcp_dst = SocketAddr::new(dst.ip(), dst.port() + 1);
    let rr = [
        0x81, 201, 0, 7, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 1, 0, 1, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    w.add(EPOCH + Duration::from_secs(30), rtcp_src, rtcp_dst, &rr);
    // RFC 5761 rtcp-mux: RTCP on the RTP ports themselves.
    w.add(EPOCH + Duration::from_millis(30_500), src, dst, &rr);
    // An ICE connectivity check (STUN binding request) on the RTP ports.
    let stun = [
        0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];
    w.add(EPOCH + Duration::from_millis(30_600), src, dst, &stun);
    w.add(
        EPOCH + Duration::from_secs(31),
        src,
        a_like(src, 9999),
        b"GET / HTTP/1.0\r\n\r\n",
    );
    let path = w.save(&format!(
        "{}-{format:?}-{link:?}-{}",
        s.name,
        if v6 { "v6" } else { "v4" }
    ));
    let compared = assert_agree(&path);
    assert_eq!(compared, 2, "{}: both RTP streams found", path.display());
    check_fields(&path);
}

fn a_like(addr: SocketAddr, port: u16) -> SocketAddr {
    SocketAddr::new(addr.ip(), port)
}

/// Every RTP field tshark dissects equals what our parser reads.
fn check_fields(path: &Path) {
    let fields = [
        "frame.number",
        "rtp.version",
        "rtp.padding",
        "rtp.ext",
        "rtp.cc",
        "rtp.marker",
        "rtp.p_type",
        "rtp.seq",
        "rtp.timestamp",
        "rtp.ssrc",
        "rtp.csrc.item",
        "rtp.ext.profile",
        "rtp.ext.len",
        "rtp.ext.rfc5285.id",
        "rtp.ext.rfc5285.len",
        "rtp.ext.rfc5285.appbits",
        "rtp.ext.rfc5285.data",
        "rtp.padding.count",
        "rtp.payload",
    ];
    let mut cmd = tshark();
    cmd.args(["-r"]).arg(path).args([
        "-Y",
        "rtp",
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark fields: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let theirs: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect();
    assert!(
        theirs.len() > 100,
        "tshark found {} RTP packets",
        theirs.len()
    );

    let data = std::fs::read(path).unwrap();
    let mut ours: Vec<Vec<String>> = Vec::new();
    for (number, frame) in CaptureReader::new(&data).unwrap().enumerate() {
        let frame = frame.unwrap();
        let Ok(udp) = decode_udp(frame.link_type, frame.data) else {
            continue;
        };
        // tshark's heuristic: version 2 to an even port, not RTCP.
        if udp.dst.port() % 2 != 0 {
            continue;
        }
        // RFC 5761 §4: RTCP packet types share the second octet's range 192..=223.
        if udp.payload.get(1).is_some_and(|b| (192..=223).contains(b)) {
            continue;
        }
        let Ok(p) = RtpPacket::parse(udp.payload) else {
            continue;
        };
        ours.push(row(number + 1, &p));
    }
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{}: RTP packet count",
        path.display()
    );
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o.len(), t.len());
        for ((name, ov), tv) in fields.iter().zip(o).zip(t) {
            assert_eq!(ov, tv, "{}: frame {} field {name}", path.display(), o[0]);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_owned()
}

/// Our view of one packet, formatted the way `tshark -T fields` prints it.
fn row(number: usize, p: &RtpPacket<'_>) -> Vec<String> {
    let csrcs: Vec<String> = p.csrcs().map(|c| format!("0x{c:08x}")).collect();
    let (mut profile, mut ext_len) = (String::new(), String::new());
    let (mut ids, mut lens, mut appbits, mut datas) = (vec![], vec![], vec![], vec![]);
    if let Some(ext) = p.extension() {
        profile = format!("0x{:04x}", ext.profile());
        ext_len = (ext.data().len() / 4).to_string();
        if let Some(elements) = ext.elements() {
            for e in elements.map_while(Result::ok) {
                ids.push(e.id().to_string());
                match ext.form() {
                    ExtensionForm::OneByte => lens.push(e.data().len().to_string()),
                    ExtensionForm::TwoByte { appbits: bits } => {
                        lens.push(e.data().len().to_string());
                        appbits.push(bits.to_string());
                    }
                    _ => {}
                }
                if !e.data().is_empty() {
                    datas.push(hex(e.data()));
                }
            }
        }
    }
    let padding_count = if p.has_padding() {
        p.padding().len().to_string()
    } else {
        String::new()
    };
    vec![
        number.to_string(),
        p.version().to_string(),
        flag(p.has_padding()),
        flag(p.has_extension()),
        p.csrc_count().to_string(),
        flag(p.marker()),
        p.payload_type().to_string(),
        p.sequence_number().to_string(),
        p.timestamp().to_string(),
        format!("0x{:08x}", p.ssrc()),
        csrcs.join(","),
        profile,
        ext_len,
        ids.join(","),
        lens.join(","),
        appbits.join(","),
        datas.join(","),
        padding_count,
        hex(p.payload()),
    ]
}

#[test]
fn clean_stream_ethernet_pcap() {
    check(
        &Scenario::pcmu("clean"),
        Format::Pcap,
        Link::Ethernet,
        false,
    );
}

#[test]
fn loss_pcapng_vlan() {
    let mut s = Scenario::pcmu("loss");
    s.loss = 60;
    check(&s, Format::PcapNg, Link::EthernetVlan, false);
}

#[test]
fn reordering_linux_sll() {
    let mut s = Scenario::pcmu("reorder");
    s.reorder = 40;
    check(&s, Format::Pcap, Link::LinuxSll, false);
}

#[test]
fn duplicates_linux_sll2() {
    let mut s = Scenario::pcmu("duplicates");
    s.duplicate = 50;
    check(&s, Format::PcapNg, Link::LinuxSll2, false);
}

#[test]
fn sequence_wrap_raw_ip() {
    let mut s = Scenario::pcmu("seqwrap");
    s.first_seq = 65_300;
    s.loss = 20;
    check(&s, Format::Pcap, Link::Raw, false);
}

#[test]
fn timestamp_wrap_null_ipv6() {
    let mut s = Scenario::pcmu("tswrap");
    s.first_ts = u32::MAX - 160 * 100 + 1;
    check(&s, Format::Pcap, Link::Null, true);
}

#[test]
fn csrcs_and_padding_ipv6_ethernet() {
    let mut s = Scenario::pcmu("csrc-padding");
    s.csrcs = &[0x0a0b_0c0d, 7, 0xffff_ffff];
    s.padding = 3;
    check(&s, Format::PcapNg, Link::Ethernet, true);
}

#[test]
fn one_byte_extension() {
    let mut s = Scenario::pcmu("ext1");
    s.extension = Ext::OneByte;
    s.loss = 10;
    check(&s, Format::Pcap, Link::Ethernet, false);
}

#[test]
fn two_byte_extension_with_padding() {
    let mut s = Scenario::pcmu("ext2");
    s.extension = Ext::TwoByte;
    s.padding = 4;
    check(&s, Format::Pcap, Link::Ethernet, false);
}

#[test]
fn generic_extension_and_markers() {
    let mut s = Scenario::pcmu("extgen");
    s.extension = Ext::Generic;
    s.marker_every = 50;
    check(&s, Format::Pcap, Link::Ethernet, false);
}

#[test]
fn everything_at_once() {
    let mut s = Scenario::pcmu("everything");
    s.packets = 1500;
    s.first_seq = 64_800;
    s.first_ts = u32::MAX - 160 * 700;
    s.loss = 30;
    s.reorder = 20;
    s.duplicate = 20;
    s.csrcs = &[1, 2];
    s.extension = Ext::OneByte;
    s.padding = 2;
    s.marker_every = 250;
    check(&s, Format::PcapNg, Link::Ethernet, false);
}

#[test]
fn g722_and_wideband_timing() {
    // G.722 uses an 8000 Hz RTP clock (RFC 3551) for 16 kHz audio.
    let mut s = Scenario::pcmu("g722");
    s.payload_type = 9;
    s.loss = 10;
    s.jitter_us = 8000;
    check(&s, Format::Pcap, Link::Ethernet, false);
}

/// Audio with RFC 4733 events and comfort noise in the same SSRC, the way
/// a SIP phone sends them: the events replace audio for a while and carry
/// the timestamp of their start; the end packet is sent three times with
/// the same sequence number.
#[test]
fn audio_with_dtmf_events_and_comfort_noise() {
    let (src, dst) = (a("192.0.2.30:16384"), a("192.0.2.40:16390"));
    let mut w = CaptureWriter::new(Format::Pcap, Link::Ethernet);
    let mut rng = Rng::new(11);
    let mut seq: u16 = 30_000;
    let mut at = Duration::ZERO;
    let ssrc = 0x0bad_cafe;
    let send =
        |w: &mut CaptureWriter, at: Duration, bytes: &[u8]| w.add(EPOCH + at, src, dst, bytes);
    let mut buf = [0u8; 256];
    for i in 0u32..600 {
        let ts = 8000 + 160 * i;
        let jitter = Duration::from_micros(rng.below(2500));
        let digit = match i {
            100..=111 => Some(4u8),
            300..=311 => Some(11u8),
            _ => None,
        };
        let len = if let Some(digit) = digit {
            let start = if i < 200 { 100 } else { 300 };
            let event_ts = 8000 + 160 * start;
            let n = (i - start) as u16;
            let end = n >= 9;
            let duration = 160 * (n.min(9) + 1);
            let payload = [
                digit,
                if end { 0x80 | 10 } else { 10 },
                (duration >> 8) as u8,
                duration as u8,
            ];
            let len = RtpBuilder::new()
                .payload_type(101)
                .marker(n == 0)
                .sequence_number(seq)
                .timestamp(event_ts)
                .ssrc(ssrc)
                .payload(&payload)
                .write(&mut buf)
                .unwrap();
            if !end || n == 11 {
                seq = seq.wrapping_add(1);
            }
            len
        } else if i % 97 == 50 {
            // RFC 3389 comfort noise: one noise-level byte.
            let len = RtpBuilder::new()
                .payload_type(13)
                .sequence_number(seq)
                .timestamp(ts)
                .ssrc(ssrc)
                .payload(&[40])
                .write(&mut buf)
                .unwrap();
            seq = seq.wrapping_add(1);
            len
        } else {
            let len = RtpBuilder::new()
                .payload_type(0)
                .marker(i == 0 || i == 112 || i == 312)
                .sequence_number(seq)
                .timestamp(ts)
                .ssrc(ssrc)
                .payload(&[0x7f; 160])
                .write(&mut buf)
                .unwrap();
            seq = seq.wrapping_add(1);
            len
        };
        send(&mut w, at + jitter, &buf[..len]);
        at += Duration::from_millis(20);
    }
    let path = w.save("audio-dtmf-cn");
    assert_eq!(assert_agree(&path), 1);
    let ours = rtp_analyze_support::run_ours(&path);
    assert_eq!(ours[0].dtmf, "4#");
    assert_eq!(ours[0].payload_type, 0);
    check_fields(&path);
}

/// Seeded random mixes of loss, reordering, duplicates and jitter. Runs
/// whose reordering could straddle the sequence wrap are kept off the wrap:
/// tshark 4.0 double-counts a cycle there (see docs/media.md).
#[test]
fn seeded_random_impairments() {
    let mut rng = Rng::new(2024);
    let links = [
        Link::Ethernet,
        Link::LinuxSll,
        Link::Raw,
        Link::EthernetVlan,
    ];
    for round in 0..8 {
        let mut s = Scenario::pcmu("sweep");
        s.name = format!("sweep{round}");
        s.packets = 300 + rng.below(700) as u16;
        s.loss = rng.below(80);
        s.reorder = rng.below(50);
        s.duplicate = rng.below(50);
        s.jitter_us = 500 + rng.below(15_000);
        s.payload_type = [0, 8, 9, 18][rng.below(4) as usize];
        s.first_ts = rng.next_u64() as u32;
        s.first_seq = if s.reorder == 0 {
            rng.next_u64() as u16
        } else {
            rng.below(u64::from(u16::MAX - s.packets - 200)) as u16
        };
        let format = if round % 2 == 0 {
            Format::Pcap
        } else {
            Format::PcapNg
        };
        check(&s, format, links[round % links.len()], round % 3 == 0);
    }
}

/// A header-only capture (`tcpdump -s 58`: Ethernet, IPv4, UDP and the
/// 12-byte RTP header, 4 payload bytes), the usual way to monitor RTP
/// without recording the conversation.
#[test]
fn header_only_capture() {
    let mut s = Scenario::pcmu("snaplen");
    s.loss = 40;
    s.reorder = 20;
    s.duplicate = 20;
    for format in [Format::Pcap, Format::PcapNg] {
        let mut w = CaptureWriter::new(format, Link::Ethernet).with_snaplen(58);
        let (src, dst) = (a("192.0.2.50:44000"), a("192.0.2.60:46000"));
        write_stream(&mut w, &s, 0x5eed, src, dst, Duration::ZERO, 5);
        let path = w.save(&format!("snaplen-{format:?}"));
        assert_eq!(assert_agree(&path), 1);
    }
}

/// G.729 with silence suppression (RFC 3551 §4.1): talk spurts start with
/// the marker bit, silences are announced with a comfort-noise packet and
/// then send nothing while the timestamp runs on; halfway the call switches
/// to PCMA in the same SSRC, as after a re-INVITE.
#[test]
fn silence_suppression_and_codec_switch() {
    let (src, dst) = (a("192.0.2.70:16500"), a("192.0.2.80:16502"));
    let mut w = CaptureWriter::new(Format::PcapNg, Link::Ethernet);
    let mut rng = Rng::new(19);
    let mut seq: u16 = 65_000;
    let mut buf = [0u8; 256];
    let mut frame = 0u32; // 20 ms frames since the start
    let mut talk_start = true;
    while frame < 1500 {
        let pt = if frame < 750 { 18 } else { 8 };
        let talking = (frame / 100) % 3 != 2;
        let ts = 160 * frame;
        let at =
            Duration::from_millis(20 * u64::from(frame)) + Duration::from_micros(rng.below(4000));
        if talking {
            let payload: &[u8] = if pt == 18 { &[0x11; 20] } else { &[0xd5; 160] };
            let len = RtpBuilder::new()
                .payload_type(pt)
                .marker(talk_start)
                .sequence_number(seq)
                .timestamp(ts)
                .ssrc(0x7290)
                .payload(payload)
                .write(&mut buf)
                .unwrap();
            w.add(EPOCH + at, src, dst, &buf[..len]);
            seq = seq.wrapping_add(1);
            talk_start = false;
        } else if !talk_start {
            // First silent frame: one RFC 3389 comfort-noise packet.
            let len = RtpBuilder::new()
                .payload_type(13)
                .sequence_number(seq)
                .timestamp(ts)
                .ssrc(0x7290)
                .payload(&[42])
                .write(&mut buf)
                .unwrap();
            w.add(EPOCH + at, src, dst, &buf[..len]);
            seq = seq.wrapping_add(1);
            talk_start = true;
        }
        frame += 1;
    }
    let path = w.save("silence-suppression");
    assert_eq!(assert_agree(&path), 1);
    let ours = rtp_analyze_support::run_ours(&path);
    assert_eq!(ours[0].lost, 0);
    check_fields(&path);
}
