//! Shared helpers for the `rtp_analyze` interop tests: run our example and
//! tshark on the same capture, and write captures of our own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code,
    unreachable_pub
)]

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The `rtp_analyze` example binary, built if missing or stale.
pub fn example_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| crate::example_bin::example_binary("rtp_analyze", &["call-media"]))
        .clone()
}

/// tshark, which these tests need (`cargo xtask test` installs it).
pub fn tshark() -> Command {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "tshark is required for the rtp_analyze interop tests (apt-get install tshark; `cargo xtask test` does it)"
    );
    let mut cmd = Command::new("tshark");
    // No personal preferences, heuristic RTP on.
    cmd.env(
        "WIRESHARK_CONFIG_DIR",
        std::env::temp_dir().join("call-sdk-tshark-empty"),
    );
    cmd.args(["-o", "rtp.heuristic_rtp:TRUE"]);
    cmd
}

/// One row of our `--json` output.
#[derive(Clone, Debug)]
pub struct Ours {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub ssrc: u32,
    pub payload_type: u8,
    pub packets: u64,
    pub expected: u64,
    pub lost: i64,
    pub max_delta_ms: f64,
    pub mean_jitter_ms: Option<f64>,
    pub max_jitter_ms: Option<f64>,
    pub dtmf: String,
}

pub fn run_ours(capture: &Path) -> Vec<Ours> {
    let out = Command::new(example_binary())
        .arg(capture)
        .arg("--json")
        .output()
        .expect("run rtp_analyze");
    assert!(
        out.status.success(),
        "rtp_analyze failed on {}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("rtp_analyze JSON");
    rows.as_array()
        .expect("a JSON array")
        .iter()
        .map(|r| Ours {
            src: r["src"].as_str().unwrap().parse().unwrap(),
            dst: r["dst"].as_str().unwrap().parse().unwrap(),
            ssrc: r["ssrc"].as_u64().unwrap() as u32,
            payload_type: r["payload_type"].as_u64().unwrap() as u8,
            packets: r["packets"].as_u64().unwrap(),
            expected: r["expected"].as_u64().unwrap(),
            lost: r["lost"].as_i64().unwrap(),
            max_delta_ms: r["max_delta_ms"].as_f64().unwrap(),
            mean_jitter_ms: r["mean_jitter_ms"].as_f64(),
            max_jitter_ms: r["max_jitter_ms"].as_f64(),
            dtmf: r["dtmf"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// One row of `tshark -q -z rtp,streams`.
#[derive(Clone, Debug)]
pub struct Theirs {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub ssrc: u32,
    pub payload: String,
    pub packets: u64,
    pub lost: i64,
    pub min_delta_ms: f64,
    pub mean_delta_ms: f64,
    pub max_delta_ms: f64,
    pub min_jitter_ms: f64,
    pub mean_jitter_ms: f64,
    pub max_jitter_ms: f64,
}

pub fn run_tshark_streams(capture: &Path) -> Vec<Theirs> {
    let out = tshark()
        .args(["-q", "-z", "rtp,streams", "-r"])
        .arg(capture)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("=====") {
            in_table = line.contains("RTP Streams");
            continue;
        }
        if !in_table || line.trim_start().starts_with("Start time") || line.trim().is_empty() {
            continue;
        }
        let mut tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.last() == Some(&"X") {
            tokens.pop();
        }
        let n = tokens.len();
        assert!(n >= 17, "unexpected tshark row: {line}");
        let num = |i: usize| -> f64 { tokens[i].parse().unwrap() };
        let addr = |ip: &str, port: &str| -> SocketAddr {
            SocketAddr::new(ip.parse::<IpAddr>().unwrap(), port.parse().unwrap())
        };
        rows.push(Theirs {
            src: addr(tokens[2], tokens[3]),
            dst: addr(tokens[4], tokens[5]),
            ssrc: u32::from_str_radix(tokens[6].trim_start_matches("0x"), 16).unwrap(),
            payload: tokens[7..n - 9].join(" "),
            packets: tokens[n - 9].parse().unwrap(),
            lost: tokens[n - 8].parse().unwrap(),
            min_delta_ms: num(n - 6),
            mean_delta_ms: num(n - 5),
            max_delta_ms: num(n - 4),
            min_jitter_ms: num(n - 3),
            mean_jitter_ms: num(n - 2),
            max_jitter_ms: num(n - 1),
        });
    }
    rows
}

/// Compares our rows with tshark's: the same streams; packets and lost
/// exactly; max delta to tshark's printed precision; jitter within 0.01 ms
/// where a clock rate is known. Returns the number of streams compared.
pub fn assert_agree(capture: &Path) -> usize {
    let ours = run_ours(capture);
    let theirs = run_tshark_streams(capture);
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{}: stream count differs\nours: {ours:#?}\ntshark: {theirs:#?}",
        capture.display()
    );
    for t in &theirs {
        let o = ours
            .iter()
            .find(|o| o.src == t.src && o.dst == t.dst && o.ssrc == t.ssrc)
            .unwrap_or_else(|| {
                panic!(
                    "{}: tshark stream {t:?} not in ours {ours:#?}",
                    capture.display()
                )
            });
        let ctx = format!(
            "{}: stream {:#010x}\nours: {o:?}\ntshark: {t:?}",
            capture.display(),
            t.ssrc
        );
        assert_eq!(o.packets, t.packets, "packets, {ctx}");
        assert_eq!(o.lost, t.lost, "lost, {ctx}");
        assert!(
            (o.max_delta_ms - t.max_delta_ms).abs() <= 0.0015,
            "max delta, {ctx}"
        );
        if t.min_jitter_ms >= 0.0 {
            // tshark had a clock rate for this stream.
            let mean = o
                .mean_jitter_ms
                .unwrap_or_else(|| panic!("no jitter, {ctx}"));
            let max = o
                .max_jitter_ms
                .unwrap_or_else(|| panic!("no jitter, {ctx}"));
            assert!(
                (mean - t.mean_jitter_ms).abs() <= 0.01,
                "mean jitter, {ctx}"
            );
            assert!((max - t.max_jitter_ms).abs() <= 0.01, "max jitter, {ctx}");
        } else {
            assert_eq!(o.mean_jitter_ms, None, "jitter without a clock, {ctx}");
        }
    }
    theirs.len()
}

/// The container format of a written capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

/// Link types the writer can frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    EthernetVlan,
    LinuxSll,
    LinuxSll2,
    Raw,
    Null,
}

impl Link {
    fn code(self) -> u32 {
        match self {
            Link::Ethernet | Link::EthernetVlan => 1,
            Link::LinuxSll => 113,
            Link::LinuxSll2 => 276,
            Link::Raw => 101,
            Link::Null => 0,
        }
    }
}

/// Writes UDP datagrams into a pcap or pcapng capture.
#[derive(Debug)]
pub struct CaptureWriter {
    format: Format,
    link: Link,
    out: Vec<u8>,
    ip_id: u16,
    snaplen: Option<usize>,
}

impl CaptureWriter {
    pub fn new(format: Format, link: Link) -> Self {
        let mut out = Vec::new();
        match format {
            Format::Pcap => {
                out.extend_from_slice(&0xa1b2_3c4d_u32.to_le_bytes()); // nanoseconds
                out.extend_from_slice(&2u16.to_le_bytes());
                out.extend_from_slice(&4u16.to_le_bytes());
                out.extend_from_slice(&[0; 8]);
                out.extend_from_slice(&65535u32.to_le_bytes());
                out.extend_from_slice(&link.code().to_le_bytes());
            }
            Format::PcapNg => {
                // Section header block.
                let mut shb = Vec::new();
                shb.extend_from_slice(&0x1a2b_3c4d_u32.to_le_bytes());
                shb.extend_from_slice(&1u16.to_le_bytes());
                shb.extend_from_slice(&0u16.to_le_bytes());
                shb.extend_from_slice(&u64::MAX.to_le_bytes());
                push_block(&mut out, 0x0a0d_0d0a, &shb);
                // Interface description: link type, snaplen, if_tsresol = 9 (ns).
                let mut idb = Vec::new();
                idb.extend_from_slice(&(link.code() as u16).to_le_bytes());
                idb.extend_from_slice(&0u16.to_le_bytes());
                idb.extend_from_slice(&65535u32.to_le_bytes());
                idb.extend_from_slice(&9u16.to_le_bytes()); // if_tsresol
                idb.extend_from_slice(&1u16.to_le_bytes());
                idb.extend_from_slice(&[9, 0, 0, 0]);
                idb.extend_from_slice(&[0; 4]); // opt_endofopt
                push_block(&mut out, 1, &idb);
            }
        }
        CaptureWriter {
            format,
            link,
            out,
            ip_id: 1,
            snaplen: None,
        }
    }

    /// Keeps only the first `snaplen` bytes of each frame, as `tcpdump -s`.
    pub fn with_snaplen(mut self, snaplen: usize) -> Self {
        self.snaplen = Some(snaplen);
        self
    }

    /// Adds one UDP datagram arriving at `time` (since the Unix epoch).
    pub fn add(&mut self, time: Duration, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        let mut frame = self.frame(src, dst, payload);
        let original = frame.len() as u32;
        if let Some(snaplen) = self.snaplen {
            frame.truncate(snaplen);
        }
        match self.format {
            Format::Pcap => {
                self.out
                    .extend_from_slice(&(time.as_secs() as u32).to_le_bytes());
                self.out
                    .extend_from_slice(&time.subsec_nanos().to_le_bytes());
                self.out
                    .extend_from_slice(&(frame.len() as u32).to_le_bytes());
                self.out.extend_from_slice(&original.to_le_bytes());
                self.out.extend_from_slice(&frame);
            }
            Format::PcapNg => {
                let ns = time.as_nanos() as u64;
                let mut epb = Vec::new();
                epb.extend_from_slice(&0u32.to_le_bytes());
                epb.extend_from_slice(&((ns >> 32) as u32).to_le_bytes());
                epb.extend_from_slice(&(ns as u32).to_le_bytes());
                epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
                epb.extend_from_slice(&original.to_le_bytes());
                epb.extend_from_slice(&frame);
                while epb.len() % 4 != 0 {
                    epb.push(0);
                }
                push_block(&mut self.out, 6, &epb);
            }
        }
    }

    fn frame(&mut self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
        let mut udp = Vec::new();
        udp.extend_from_slice(&src.port().to_be_bytes());
        udp.extend_from_slice(&dst.port().to_be_bytes());
        udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]); // no checksum
        udp.extend_from_slice(payload);
        let (ip, v6) = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let total = (20 + udp.len()) as u16;
                let mut h = vec![0x45, 0];
                h.extend_from_slice(&total.to_be_bytes());
                h.extend_from_slice(&self.ip_id.to_be_bytes());
                self.ip_id = self.ip_id.wrapping_add(1);
                h.extend_from_slice(&[0x40, 0, 64, 17, 0, 0]);
                h.extend_from_slice(&s.octets());
                h.extend_from_slice(&d.octets());
                let sum = checksum(&h);
                h[10..12].copy_from_slice(&sum.to_be_bytes());
                h.extend_from_slice(&udp);
                (h, false)
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let mut h = vec![0x60, 0, 0, 0];
                h.extend_from_slice(&(udp.len() as u16).to_be_bytes());
                h.extend_from_slice(&[17, 64]);
                h.extend_from_slice(&s.octets());
                h.extend_from_slice(&d.octets());
                // UDP over IPv6 needs a checksum (RFC 8200 §8.1).
                let mut pseudo = Vec::new();
                pseudo.extend_from_slice(&s.octets());
                pseudo.extend_from_slice(&d.octets());
                pseudo.extend_from_slice(&(udp.len() as u32).to_be_bytes());
                pseudo.extend_from_slice(&[0, 0, 0, 17]);
                pseudo.extend_from_slice(&udp);
                let mut sum = checksum(&pseudo);
                if sum == 0 {
                    sum = 0xffff;
                }
                let mut udp = udp.clone();
                udp[6..8].copy_from_slice(&sum.to_be_bytes());
                h.extend_from_slice(&udp);
                (h, true)
            }
            _ => panic!("mixed address families"),
        };
        let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        let mut f = Vec::new();
        match self.link {
            Link::Ethernet | Link::EthernetVlan => {
                f.extend_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
                f.extend_from_slice(&[0x00, 0x66, 0x77, 0x88, 0x99, 0xaa]);
                if self.link == Link::EthernetVlan {
                    f.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
                }
                f.extend_from_slice(&ethertype);
            }
            Link::LinuxSll => {
                f.extend_from_slice(&[0, 0, 0, 1, 0, 6, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0]);
                f.extend_from_slice(&ethertype);
            }
            Link::LinuxSll2 => {
                f.extend_from_slice(&ethertype);
                f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6]);
                f.extend_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0]);
            }
            Link::Raw => {}
            Link::Null => {
                let family: u32 = if v6 { 30 } else { 2 };
                f.extend_from_slice(&family.to_le_bytes());
            }
        }
        f.extend_from_slice(&ip);
        f
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// Writes the capture to a fresh file in the temp directory.
    pub fn save(self, name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("call-sdk-rtp-analyze-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ext = match self.format {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        };
        let path = dir.join(format!("{name}.{ext}"));
        std::fs::write(&path, self.into_bytes()).unwrap();
        path
    }
}

fn push_block(out: &mut Vec<u8>, block_type: u32, body: &[u8]) {
    let len = (12 + body.len()) as u32;
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&len.to_le_bytes());
}

fn checksum(bytes: &[u8]) -> u16 {
    let mut sum = 0u32;
    for chunk in bytes.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A deterministic generator (xorshift64*), so captures are reproducible.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
