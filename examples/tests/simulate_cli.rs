//! The `simulate` example's command line: the `--json` shape the issue
//! specifies, the human table, and usage errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

mod example_bin;

/// The `simulate` example binary, built if missing or stale.
fn simulate_binary() -> PathBuf {
    example_bin::example_binary("simulate", &["call-routing"])
}

fn run(args: &[&str]) -> Output {
    Command::new(simulate_binary()).args(args).output().unwrap()
}

const KPIS: [&str; 5] = ["p_wait", "service_level", "asa_s", "p_abandon", "occupancy"];

#[test]
fn json_has_simulated_and_erlang_kpis() {
    let out = run(&[
        "--agents",
        "14",
        "--calls-per-hour",
        "200",
        "--aht",
        "180",
        "--sl-threshold",
        "20",
        "--calls",
        "40000",
        "--replications",
        "4",
        "--seed",
        "3",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let object = v.as_object().unwrap();
    assert_eq!(object.len(), 2, "exactly simulated and erlang");
    for kpi in KPIS {
        let sim = &v["simulated"][kpi];
        assert!(sim["mean"].is_f64() || sim["mean"].is_u64(), "{kpi}: {sim}");
        assert!(sim["ci95"].as_f64().unwrap() >= 0.0, "{kpi}");
        assert!(v["erlang"][kpi].is_number(), "{kpi}");
    }
    // Erlang C with no patience: the published reference values.
    assert!((v["erlang"]["p_wait"].as_f64().unwrap() - 0.1741).abs() < 1e-4);
    assert!((v["erlang"]["service_level"].as_f64().unwrap() - 0.8884).abs() < 1e-4);
    assert!((v["erlang"]["occupancy"].as_f64().unwrap() - 0.7143).abs() < 1e-4);
    assert_eq!(v["erlang"]["p_abandon"].as_f64().unwrap(), 0.0);
    let p_wait = v["simulated"]["p_wait"]["mean"].as_f64().unwrap();
    assert!((p_wait - 0.1741).abs() < 0.05, "{p_wait}");
}

#[test]
fn patience_switches_to_erlang_a_and_same_seed_repeats() {
    let args = [
        "--agents",
        "11",
        "--calls-per-hour",
        "200",
        "--aht",
        "180",
        "--patience",
        "120",
        "--wrapup",
        "0",
        "--sl-threshold",
        "20",
        "--calls",
        "20000",
        "--replications",
        "4",
        "--seed",
        "9",
        "--json",
    ];
    let first = run(&args);
    let second = run(&args);
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout, "seeded runs are identical");
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let p_abandon = v["erlang"]["p_abandon"].as_f64().unwrap();
    assert!(p_abandon > 0.09 && p_abandon < 0.1, "{p_abandon}");
    assert!(v["simulated"]["p_abandon"]["mean"].as_f64().unwrap() > 0.0);
}

#[test]
fn human_output_and_usage_errors() {
    let out = run(&["--agents", "14", "--calls", "20000", "--replications", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Erlang C"), "{text}");
    assert!(text.contains("simulated calls/s"), "{text}");
    let bad = run(&["--agents", "many"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--agents: 'many'"));
    let unknown = run(&["--bogus", "1"]);
    assert_eq!(unknown.status.code(), Some(2));
}
