//! Language semantics, each pinned by a small flow with inline tests: handler
//! counts, retry resets, match fall-through, prompt tables and language
//! fallback, recording, lookups, subflows and expressions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::run_inline_tests;

use call_ivr::check::compile;
use call_ivr::session::{Action, CallContext, Event, Session, SessionLimits, Waiting};
use call_ivr::source::SourceFile;

#[test]
fn handler_counts_pick_the_highest_count_reached() {
    run_inline_tests(
        r#"
flow main
  menu "Choose."
    1 -> done
    on no-input
      say "First silence."
    on no-input 2
      say "Second silence or more."
    on no-match
      say "Wrong key."
    retries 3 then -> out
  done:
  hangup "chosen"
  out:
  hangup "gave up"

test "counts per kind"
  silence
  expect say "First silence."
  press "7"
  expect say "Wrong key."
  silence
  expect say "Second silence or more."
  silence
  expect hangup "gave up"
"#,
    );
}

#[test]
fn success_resets_the_retry_count() {
    run_inline_tests(
        r#"
flow main
  top:
  menu "Menu."
    1 -> again
    2 -> done
    retries 1 then -> out
  again:
  say "Again."
  goto top
  done:
  hangup "done"
  out:
  hangup "out"

test "a failure, a success, a failure is not exhausted"
  press "9"
  press "1"
  expect say "Again."
  press "9"
  expect say "Menu."
  press "2"
  expect hangup "done"
"#,
    );
}

#[test]
fn match_falls_through_and_if_chains() {
    run_inline_tests(
        r#"
flow main
  gather code "Code?"
    digits 1 to 2
  match code
    "1", "2" -> low
    "42"
      say "The answer."
  if len(code) == 2 and not (code == "42")
    say "Two digits."
  else if code == "42"
    say "Still the answer."
  else
    say "One digit."
  hangup "end"
  low:
  hangup "low"

test "a listed value"
  press "2"
  wait 3s
  expect hangup "low"

test "a block arm continues after the match"
  press "42"
  expect say "The answer."
  expect say "Still the answer."
  expect hangup "end"

test "no arm matches"
  press "77"
  expect say "Two digits."

test "else"
  press "9"
  wait 3s
  expect say "One digit."
"#,
    );
}

#[test]
fn prompt_tables_follow_the_language_and_fall_back() {
    run_inline_tests(
        r#"
prompt hello
  en "Hello."
  de "Hallo."

flow main
  say hello
  language "de"
  say hello
  language "it"
  say hello
  say "Ciao." in "it" voice "giulia"
  hangup

test "languages"
  expect say "Hello."
  expect say "Hallo."
  expect say "Hello."
  expect say "Ciao."
"#,
    );
}

#[test]
fn lookups_records_and_subflows() {
    run_inline_tests(
        r#"
flow main
  lookup crm caller.number -> c
    timeout 2s
    on not-found
      say "New caller."
    on error -> fail
    on timeout -> fail
  call greet(c.name, c.visits) -> visits
  record note max 30s no-beep finish *
  hangup "{c.name} {visits} {note}"
  fail:
  hangup "crm down"

flow greet(name, visits)
  if visits == 0 -> first
  say "Welcome back {name}."
  return visits + 1
  first:
  say "Welcome {name}."
  return 1

test "a returning caller"
  caller "+1555"
  expect lookup crm
  answer crm with name = "Ann", visits = 3
  expect say "Welcome back Ann."
  expect record
  recorded "r-9"
  expect hangup "Ann 4 r-9"

test "timeout branch"
  answer crm timeout
  expect hangup "crm down"
"#,
    );
}

#[test]
fn a_missing_record_field_is_empty_and_not_found_continues() {
    run_inline_tests(
        r#"
flow main
  lookup crm caller.number -> c
    on not-found
      say "New caller."
    on error -> out
    on timeout -> out
  say "Hello {c.name}!"
  out:
  hangup

test "not found"
  answer crm not-found
  expect say "New caller."
  expect say "Hello !"
"#,
    );
}

#[test]
fn the_finish_key_stops_a_recording() {
    let text = "flow main\n  record note finish *\n  hangup \"{note}\"\n";
    let file = SourceFile::new("t.ivr", text).unwrap();
    let program = compile(&file).0.unwrap();
    let now = "2026-03-02T10:00:00Z".parse().unwrap();
    let mut s = Session::start(
        &program,
        CallContext::default(),
        now,
        SessionLimits::default(),
    )
    .unwrap();
    let Some(Action::Record {
        id,
        finish: Some('*'),
        beep: true,
        max_ms: 60_000,
        mailbox: None,
    }) = s.poll_action()
    else {
        panic!()
    };
    s.handle(&program, now, Event::Digits("1*".into())).unwrap();
    assert_eq!(s.poll_action(), Some(Action::StopRecording { id }));
    assert_eq!(s.waiting(), Waiting::Recording(id));
    s.handle(&program, now, Event::RecordingFinished(id, "rec".into()))
        .unwrap();
    assert_eq!(
        s.poll_action(),
        Some(Action::Hangup {
            reason: "rec".into()
        })
    );
}

#[test]
fn stale_answers_are_ignored() {
    let text = "flow main\n  say \"One.\"\n  say \"Two.\"\n  hangup\n";
    let file = SourceFile::new("t.ivr", text).unwrap();
    let program = compile(&file).0.unwrap();
    let now = "2026-03-02T10:00:00Z".parse().unwrap();
    let mut s = Session::start(
        &program,
        CallContext::default(),
        now,
        SessionLimits::default(),
    )
    .unwrap();
    let Some(Action::Say { id: first, .. }) = s.poll_action() else {
        panic!()
    };
    s.handle(&program, now, Event::PromptFinished(first))
        .unwrap();
    let Some(Action::Say { id: second, .. }) = s.poll_action() else {
        panic!()
    };
    // A late duplicate for the first prompt does not finish the second.
    s.handle(&program, now, Event::PromptFinished(first))
        .unwrap();
    assert_eq!(s.waiting(), Waiting::Prompt(second));
    s.handle(&program, now, Event::PromptFinished(second))
        .unwrap();
    assert!(s.is_ended());
}
