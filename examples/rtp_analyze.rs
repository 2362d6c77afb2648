//! `rtp_analyze`: per-stream RTP statistics from a pcap or pcapng capture.
//!
//! ```sh
//! cargo run --release --example rtp_analyze -- capture.pcap [--json]
//! ```
//!
//! Prints one row per RTP stream (source, destination, SSRC, payload type,
//! packets, expected, lost, min/mean/max delta, min/mean/max jitter, DTMF
//! digits), comparable with `tshark -o rtp.heuristic_rtp:TRUE -q -z
//! rtp,streams`. With `--json`, prints an array of objects instead.
//!
//! The host side is all here: read the file, walk the frames
//! (`call_media::capture`), and feed each UDP datagram with its arrival time
//! to the sans-IO `RtpAnalyzer`. Times are relative to the first frame, as
//! Wireshark's are.

use std::process::ExitCode;
use std::time::Duration;

use call_media::analyze::{RtpAnalyzer, StreamReport};
use call_media::capture::{CaptureReader, decode_udp};

fn usage() -> ExitCode {
    eprintln!("usage: rtp_analyze FILE [--json]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut path = None;
    let mut json = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => return usage(),
            _ if path.is_none() => path = Some(arg),
            _ => return usage(),
        }
    }
    let Some(path) = path else {
        return usage();
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rtp_analyze: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match analyze(&data) {
        Ok(streams) => {
            if json {
                print_json(&streams);
            } else {
                print_table(&streams);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rtp_analyze: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn analyze(data: &[u8]) -> Result<Vec<StreamReport>, call_media::error::CaptureError> {
    let reader = CaptureReader::new(data)?;
    let mut analyzer = RtpAnalyzer::new();
    let mut origin: Option<Duration> = None;
    for frame in reader {
        let frame = frame?;
        let origin = *origin.get_or_insert(frame.time);
        let Ok(udp) = decode_udp(frame.link_type, frame.data) else {
            continue;
        };
        // Wireshark's relative time may be negative for out-of-order
        // captures; ours saturates at the first frame.
        let now = frame.time.saturating_sub(origin);
        analyzer.feed(now, udp.src, udp.dst, udp.payload);
    }
    Ok(analyzer.streams().collect())
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

fn payload_name(pt: u8, event_pt: Option<u8>) -> String {
    let name = match pt {
        0 => "g711U",
        3 => "GSM",
        4 => "g723",
        8 => "g711A",
        9 => "g722",
        13 => "CN",
        18 => "g729",
        _ if Some(pt) == event_pt => "rtpevent",
        _ => return format!("PT{pt}"),
    };
    name.to_owned()
}

fn print_table(streams: &[StreamReport]) {
    println!(
        "{:>21} {:>21} {:>10} {:>9} {:>6} {:>8} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} DTMF",
        "Src",
        "Dst",
        "SSRC",
        "Payload",
        "Pkts",
        "Expected",
        "Lost",
        "MinDelta",
        "MeanDelta",
        "MaxDelta",
        "MinJitter",
        "MeanJittr",
        "MaxJitter",
    );
    for s in streams {
        let pct = if s.expected > 0 {
            s.lost as f64 * 100.0 / s.expected as f64
        } else {
            0.0
        };
        println!(
            "{:>21} {:>21} 0x{:08X} {:>9} {:>6} {:>8} {:>12} {:>9} {:>9.3} {:>9.3} {:>9} {:>9} {:>9} {}",
            s.key.src.to_string(),
            s.key.dst.to_string(),
            s.key.ssrc,
            payload_name(s.payload_type, s.telephone_event_pt),
            s.packets,
            s.expected,
            format!("{} ({:.1}%)", s.lost, pct),
            ms(s.min_delta_ms),
            s.mean_delta_ms,
            s.max_delta_ms,
            ms(s.min_jitter_ms),
            ms(s.mean_jitter_ms),
            ms(s.max_jitter_ms),
            s.dtmf,
        );
    }
}

fn print_json(streams: &[StreamReport]) {
    let rows: Vec<serde_json::Value> = streams
        .iter()
        .map(|s| {
            serde_json::json!({
                "src": s.key.src.to_string(),
                "dst": s.key.dst.to_string(),
                "ssrc": s.key.ssrc,
                "payload_type": s.payload_type,
                "packets": s.packets,
                "expected": s.expected,
                "lost": s.lost,
                "duplicates": s.duplicates,
                "reordered": s.reordered,
                "min_delta_ms": s.min_delta_ms,
                "mean_delta_ms": s.mean_delta_ms,
                "max_delta_ms": s.max_delta_ms,
                "min_jitter_ms": s.min_jitter_ms,
                "mean_jitter_ms": s.mean_jitter_ms,
                "max_jitter_ms": s.max_jitter_ms,
                "rfc3550_jitter_ms": s.rfc3550_jitter_ms,
                "telephone_event_pt": s.telephone_event_pt,
                "dtmf": s.dtmf,
            })
        })
        .collect();
    match serde_json::to_string_pretty(&rows) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("rtp_analyze: cannot encode JSON: {e}"),
    }
}
