//! The `ivr` example's command line, run as a user runs it: `check`, `test`,
//! `fmt` and `run` on the example flows and on flows written here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod example_bin;

/// The `ivr` example binary, built if missing or stale.
fn ivr_binary() -> PathBuf {
    example_bin::example_binary("ivr", &["call-ivr"])
}

fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("flows")
}

fn example_flows() -> Vec<PathBuf> {
    let mut flows: Vec<PathBuf> = std::fs::read_dir(flows_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ivr"))
        .collect();
    flows.sort();
    assert!(
        flows.len() >= 6,
        "expected the six example flows, found {flows:?}"
    );
    flows
}

fn ivr(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(ivr_binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch directory for flows this test writes, unique per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ivr-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SMALL_FLOW: &str = r#"flow main
  menu "For sales press 1. For support press 2."
    1 -> sales
    2 -> support
    on no-input
      say "Please choose."
    retries 2 then -> support

  sales:
  enqueue sales
  support:
  enqueue support

test "1 goes to sales"
  press "1"
  expect enqueue sales
"#;

#[test]
fn test_runs_every_example_flows_inline_tests_and_counts_them() {
    let flows = example_flows();
    let mut args = vec!["test"];
    let paths: Vec<String> = flows.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let out = ivr(&args, "");
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "ivr test failed:\n{stdout}{}",
        text(&out.stderr)
    );
    let passes = stdout.lines().filter(|l| l.starts_with("PASS ")).count();
    assert!(passes >= 6, "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert_eq!(last, format!("{passes} passed, 0 failed"));
}

#[test]
fn test_exits_1_and_counts_a_failing_inline_test() {
    let dir = scratch("failing");
    let path = dir.join("wrong.ivr");
    let flow = format!(
        "{SMALL_FLOW}\ntest \"2 goes to sales (wrong on purpose)\"\n  press \"2\"\n  expect enqueue sales\n"
    );
    std::fs::write(&path, flow).unwrap();
    let out = ivr(&["test", path.to_str().unwrap()], "");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().last().unwrap(),
        "1 passed, 1 failed",
        "{stdout}"
    );
    assert!(stdout.contains("FAIL"), "{stdout}");
}

#[test]
fn check_passes_the_examples_and_points_at_errors_with_line_and_column() {
    for flow in example_flows() {
        let out = ivr(&["check", flow.to_str().unwrap()], "");
        assert!(
            out.status.success(),
            "{}: {}{}",
            flow.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    let dir = scratch("check");
    let path = dir.join("broken.ivr");
    std::fs::write(&path, "flow main\n  goto nowhere\n").unwrap();
    let out = ivr(&["check", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out.stdout) + &text(&out.stderr);
    let expected = format!("{}:2:", path.display());
    assert!(all.contains(&expected), "no {expected} location in:\n{all}");
    assert!(all.contains(": error["), "no error code in:\n{all}");
    assert!(all.contains('^'), "no caret under the span in:\n{all}");
}

#[test]
fn fmt_output_is_canonical_for_every_example() {
    let dir = scratch("fmt");
    for flow in example_flows() {
        let out = ivr(&["fmt", flow.to_str().unwrap()], "");
        assert!(
            out.status.success(),
            "{}: {}",
            flow.display(),
            text(&out.stderr)
        );
        let once = dir.join(flow.file_name().unwrap());
        std::fs::write(&once, &out.stdout).unwrap();
        let again = ivr(&["fmt", once.to_str().unwrap()], "");
        assert!(again.status.success(), "{}", text(&again.stderr));
        assert_eq!(
            text(&again.stdout),
            text(&out.stdout),
            "fmt is not idempotent on {}",
            flow.display()
        );
        let check = ivr(&["fmt", once.to_str().unwrap(), "--check"], "");
        assert!(
            check.status.success(),
            "fmt --check rejects formatted {}",
            flow.display()
        );
        // The formatted flow still passes its own inline tests.
        let tests = ivr(&["test", once.to_str().unwrap()], "");
        assert!(tests.status.success(), "{}", text(&tests.stdout));
    }
}

#[test]
fn run_reads_keys_from_stdin_and_reports_the_outcome() {
    let dir = scratch("run");
    let path = dir.join("small.ivr");
    std::fs::write(&path, SMALL_FLOW).unwrap();
    let out = ivr(
        &[
            "run",
            path.to_str().unwrap(),
            "--at",
            "2026-11-21T10:00:00Z",
        ],
        "1\n",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("[say/"), "{stdout}");
    assert!(stdout.contains("For sales press 1"), "{stdout}");
    assert!(stdout.contains("[enqueue] sales"), "{stdout}");
    assert!(stdout.contains("call ended"), "{stdout}");
}

#[test]
fn usage_errors_exit_2() {
    let out = ivr(&["frobnicate"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("usage: ivr"),
        "{}",
        text(&out.stderr)
    );
}
