//! Large and pathological inputs end in diagnostics, never a crash: these run
//! on the test harness's small thread stacks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use call_ivr::check::compile;
use call_ivr::diagnostic::Code;
use call_ivr::session::{CallContext, Outcome, Session, SessionLimits};
use call_ivr::source::SourceFile;

fn diagnose(text: String) -> call_ivr::diagnostic::Diagnostics {
    let file = SourceFile::new("big.ivr", text).unwrap();
    compile(&file).1
}

#[test]
fn a_long_chain_of_subflows_is_too_deep_not_a_stack_overflow() {
    let mut text = String::from("flow main\n  call f0()\n  hangup\n");
    for i in 0..20_000 {
        text.push_str(&format!("flow f{i}\n  call f{}()\n  return\n", i + 1));
    }
    text.push_str("flow f20000\n  return\n");
    let d = diagnose(text);
    assert!(d.contains(Code::CALL_TOO_DEEP), "{d}");
}

#[test]
fn a_long_cycle_of_subflows_is_recursion() {
    let mut text = String::from("flow main\n  call f0()\n  hangup\n");
    for i in 0..5_000 {
        text.push_str(&format!(
            "flow f{i}\n  call f{}()\n  return\n",
            (i + 1) % 5_000
        ));
    }
    let d = diagnose(text);
    assert!(d.contains(Code::RECURSION), "{d}");
}

#[test]
fn long_lines_and_long_chains_stay_within_the_limits() {
    // A prompt with 100,000 interpolations.
    let text = format!(
        "flow main\n  set a = 1\n  say \"{}\"\n  hangup \"{}\"\n",
        "{a}".repeat(100_000),
        "{a}.".repeat(1000)
    );
    let file = SourceFile::new("big.ivr", text).unwrap();
    let (program, d) = compile(&file);
    assert!(!d.has_errors(), "{d}");
    let program = program.unwrap();
    let now = "2026-03-02T10:00:00Z".parse().unwrap();
    let s = Session::start(
        &program,
        CallContext::default(),
        now,
        SessionLimits::default(),
    )
    .unwrap();
    assert!(!s.is_ended());
    // 10,000 `else if` branches and a deep `+` chain.
    let mut text = String::from("flow main\n  set x = 1\n  if x == 0 -> done\n");
    for i in 1..10_000 {
        text.push_str(&format!("  else if x == {i} -> done\n"));
    }
    text.push_str(&format!(
        "  set y = 1{}\n  done:\n  hangup\n",
        " + 1".repeat(100_000)
    ));
    let d = diagnose(text);
    assert!(d.contains(Code::TOO_DEEP));
    // Deep indentation.
    let mut text = String::from("flow main\n");
    for i in 0..3_000 {
        text.push_str(&format!("{}if true\n", " ".repeat(i + 2)));
    }
    assert!(diagnose(text).contains(Code::TOO_DEEP));
}

#[test]
fn a_long_else_if_chain_runs() {
    let mut text = String::from("flow main\n  set x = 4999\n  if x == 0 -> done\n");
    for i in 1..5_000 {
        text.push_str(&format!("  else if x == {i}\n    hangup \"{i}\"\n"));
    }
    text.push_str("  done:\n  hangup \"zero\"\n");
    let file = SourceFile::new("big.ivr", text).unwrap();
    let (program, d) = compile(&file);
    let program = program.unwrap_or_else(|| panic!("{d}"));
    let now = "2026-03-02T10:00:00Z".parse().unwrap();
    let s = Session::start(
        &program,
        CallContext::default(),
        now,
        SessionLimits::default(),
    )
    .unwrap();
    assert_eq!(s.outcome(), Some(&Outcome::Hangup("4999".into())));
}
