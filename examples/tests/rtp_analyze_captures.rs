//! Interop: `rtp_analyze` against tshark on every reference capture in
//! `../shared/testdata/pcap`, and its behaviour on damaged files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod example_bin;
mod rtp_analyze_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use rtp_analyze_support::{assert_agree, example_binary, run_ours};

fn captures() -> Vec<PathBuf> {
    let dir = call_testdata::require("pcap");
    let mut found = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn agrees_with_tshark_on_every_reference_capture() {
    let all = captures();
    assert!(
        all.len() >= 15,
        "expected the shared captures, found {all:?}"
    );
    let mut streams = 0;
    for capture in &all {
        streams += assert_agree(capture);
    }
    assert!(streams >= all.len());
}

#[test]
fn named_captures_give_the_documented_figures() {
    // The README of the test data: 236 PCMA packets, 30 ms apart.
    let rows = run_ours(&call_testdata::require("pcap/sipp/g711a.pcap"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].payload_type, 8);
    assert_eq!(rows[0].packets, 236);
    assert_eq!(rows[0].lost, 0);
    // One RFC 4733 key per file; three end packets repeat the last sequence number.
    for (file, key) in [
        ("0", "0"),
        ("1", "1"),
        ("2", "2"),
        ("3", "3"),
        ("4", "4"),
        ("5", "5"),
        ("6", "6"),
        ("7", "7"),
        ("8", "8"),
        ("9", "9"),
        ("star", "*"),
        ("pound", "#"),
    ] {
        let path = call_testdata::require(format!("pcap/sipp/dtmf_2833_{file}.pcap"));
        let rows = run_ours(&path);
        assert_eq!(rows.len(), 1, "{file}");
        assert_eq!(rows[0].dtmf, key, "{file}");
        assert_eq!(rows[0].payload_type, 101, "{file}");
        assert_eq!(
            rows[0].mean_jitter_ms, None,
            "{file}: events have no jitter"
        );
        assert_eq!(rows[0].lost, -2, "{file}: duplicates make loss negative");
    }
}

fn run(path: &Path) -> (i32, String, String) {
    let out = Command::new(example_binary()).arg(path).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("call-sdk-rtp-analyze-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Byte offsets of the records of a little-endian pcap file.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        offsets.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    offsets
}

#[test]
fn truncated_capture_names_the_byte_offset_of_the_cut_record() {
    let original = std::fs::read(call_testdata::require("pcap/sipp/g711a.pcap")).unwrap();
    let offsets = record_offsets(&original);
    assert_eq!(offsets.len(), 236);
    // Cut inside the record header and inside the data of several records.
    for (record, into) in [(0usize, 5usize), (17, 20), (100, 40), (235, 1)] {
        let start = offsets[record];
        let cut = &original[..start + into];
        let path = scratch(&format!("cut-{record}-{into}.pcap"), cut);
        let (code, _, stderr) = run(&path);
        assert_eq!(code, 1, "clean failure, not a panic: {stderr}");
        assert!(
            stderr.contains(&format!("byte offset {start}")) && stderr.contains("truncated"),
            "record {record}: {stderr}"
        );
    }
    // A cut inside the file header.
    let (code, _, stderr) = run(&scratch("cut-header.pcap", &original[..11]));
    assert_eq!(code, 1);
    assert!(stderr.contains("byte offset 0"), "{stderr}");
}

#[test]
fn corrupt_capture_is_a_clear_error() {
    let original = std::fs::read(call_testdata::require("pcap/sipp/g711a.pcap")).unwrap();
    let offsets = record_offsets(&original);
    // A record claiming 2 GiB.
    let mut huge = original.clone();
    let at = offsets[3];
    huge[at + 8..at + 12].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    let (code, _, stderr) = run(&scratch("huge.pcap", &huge));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&format!("byte offset {at}")), "{stderr}");
    // Not a capture at all.
    let (code, _, stderr) = run(&scratch("text.pcap", b"this is not a capture file\n"));
    assert_eq!(code, 1);
    assert!(stderr.contains("not a pcap or pcapng file"), "{stderr}");
    // Random bytes after a valid header never panic.
    let mut rng = rtp_analyze_support::Rng::new(99);
    for i in 0..20 {
        let mut garbage = original[..24].to_vec();
        for _ in 0..(rng.below(3000) as usize) {
            garbage.push(rng.next_u64() as u8);
        }
        let (code, _, stderr) = run(&scratch(&format!("garbage-{i}.pcap"), &garbage));
        assert!(code == 0 || code == 1, "exit {code}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
