//! Golden JSON call detail records: the JSON of scripted calls must match the
//! files in `tests/golden/` byte for byte. After an intended schema change,
//! regenerate with `UPDATE_GOLDEN=1 cargo test -p call-core --test cdr_golden`
//! and review the diff.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use call_core::cdr::{CallDetailRecord, CdrSink, JsonLinesSink};

fn check(name: &str, record: &CallDetailRecord) {
    let json = serde_json::to_string_pretty(record).unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &json).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert_eq!(json, golden, "{name}: JSON differs from {}", path.display());
    // And the JSON reads back to the same record.
    let back: CallDetailRecord = serde_json::from_str(&golden).unwrap();
    assert_eq!(&back, record);
}

#[test]
fn transferred_call_record() {
    let record = common::transferred_call(1001, 0);
    check("transferred_call", &record);
}

#[test]
fn abandoned_call_record() {
    let record = common::abandoned_in_queue(1002, 0, "+15550102", 1, 10, 40);
    check("abandoned_in_queue", &record);
}

#[test]
fn outbound_busy_record() {
    check("outbound_busy", &common::outbound_busy(1003, 0));
}

#[test]
fn conference_and_park_record() {
    let record = common::conference_park_call(1004);
    assert!(record.conference);
    assert_eq!(
        record.disposition,
        call_core::disposition::Disposition::Answered
    );
    check("conference_park", &record);
}

/// The event stream's JSON is stable too, and a builder fed only the JSON
/// events (as a host following calls from a message bus would) produces the
/// same record.
#[test]
fn event_stream_json_is_stable_and_rebuilds_the_record() {
    let recorder = common::transferred_call_recorder(1001, 0);
    let lines: String = recorder
        .events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/transferred_call.events.jsonl");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &lines).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap();
    assert_eq!(lines, golden);

    let mut detached = call_core::cdr::CdrBuilder::new(call_core::id::CallId(1001));
    for line in golden.lines() {
        let event: call_core::event::CallEvent = serde_json::from_str(line).unwrap();
        detached.observe(&event).unwrap();
    }
    detached.service_address(recorder.call.service_address().unwrap().clone());
    detached.attribute("crm_id", "CRM-1").unwrap();
    for node in ["welcome", "billing_menu"] {
        detached.ivr_node(node).unwrap();
    }
    detached.note("customer asked about invoice 42").unwrap();
    detached.disposition_code("billing_resolved").unwrap();
    detached.survey_score(9).unwrap();
    let t = common::t;
    detached
        .speech(call_core::id::LegId(0), t(61), t(80))
        .unwrap();
    detached
        .speech(call_core::id::LegId(2), t(75), t(89))
        .unwrap();
    let rebuilt = detached.finish_detached().unwrap();
    assert_eq!(rebuilt, recorder.finish());
}

#[test]
fn json_lines_sink_writes_one_record_per_line() {
    let mut sink = JsonLinesSink::new(Vec::new());
    sink.write(&common::outbound_busy(1, 0)).unwrap();
    sink.write(&common::abandoned_in_queue(2, 0, "1", 1, 1, 2))
        .unwrap();
    let text = String::from_utf8(sink.into_inner()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        let record: CallDetailRecord = serde_json::from_str(line).unwrap();
        assert_eq!(record.schema_version, 1);
    }
}

/// Every kind of call event, as JSON: the field names are part of the API.
#[test]
fn every_event_kind_has_stable_json() {
    let mut lines = String::new();
    let mut kinds = std::collections::BTreeSet::new();
    let recorders = [
        common::transferred_call_recorder(2001, 0),
        common::conference_park_recorder(2002),
        common::callback_recorder(2003),
        common::preview_failed_recorder(2004),
    ];
    for recorder in &recorders {
        for event in &recorder.events {
            let json = serde_json::to_string(event).unwrap();
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            kinds.insert(value["event"].as_str().unwrap().to_owned());
            let back: call_core::event::CallEvent = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, event);
            lines.push_str(&json);
            lines.push('\n');
        }
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/event_kinds.jsonl");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &lines).unwrap();
    }
    assert_eq!(lines, std::fs::read_to_string(&path).unwrap());
    let expected = [
        "call_cleared",
        "callback_requested",
        "closed",
        "conferenced",
        "connection_cleared",
        "delivered",
        "dequeued",
        "diverted",
        "established",
        "failed",
        "held",
        "mute_changed",
        "offered",
        "originated",
        "parked",
        "picked_up",
        "queued",
        "retrieved",
        "service_initiated",
        "transferred",
        "wrap_up_ended",
        "wrap_up_started",
    ];
    let expected: std::collections::BTreeSet<String> =
        expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(kinds, expected);
}
