//! The interpreter driven by hand: type-ahead, timers, limits, defects,
//! resuming a serialized session, and the memory a session takes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use call_ivr::error::EventError;
use call_ivr::jiff::SignedDuration;
use call_ivr::program::Program;
use call_ivr::session::{
    Action, CallContext, Defect, Event, LookupResult, Outcome, Session, SessionLimits, TraceEntry,
    Waiting,
};
use call_ivr::value::Value;

mod common;
use common::{program, t0};

fn drain(s: &mut Session) -> Vec<Action> {
    std::iter::from_fn(|| s.poll_action()).collect()
}

const MENU: &str = "flow main
  say \"Welcome.\"
  top:
  menu \"Press 1 for sales, 2 for support.\"
    1 -> sales
    2 -> support
    on no-input
      say \"Sorry?\"
    retries 1 then -> bye
  sales:
  enqueue sales
  support:
  enqueue support
  bye:
  hangup \"no input\"
";

#[test]
fn keys_during_an_interruptible_prompt_are_kept_for_the_menu() {
    let p = program(MENU);
    let mut s = Session::start(&p, CallContext::default(), t0(), SessionLimits::default()).unwrap();
    let actions = drain(&mut s);
    let Action::Say { id, text, .. } = &actions[0] else {
        panic!()
    };
    assert_eq!(&**text, "Welcome.");
    s.handle(&p, t0(), Event::Digits("2".into())).unwrap();
    let actions = drain(&mut s);
    // The welcome stops, the menu prompt is skipped, the key picks support.
    assert_eq!(actions[0], Action::StopPrompt { id: *id });
    assert!(
        actions.iter().all(|a| !matches!(a, Action::Say { .. })),
        "{actions:?}"
    );
    assert!(matches!(actions.last(), Some(Action::Enqueue { queue, .. }) if &**queue == "support"));
    assert_eq!(s.outcome(), Some(&Outcome::Enqueued("support".into())));
}

#[test]
fn timeouts_fire_only_at_the_deadline_and_count_retries() {
    let p = program(MENU);
    let mut s = Session::start(&p, CallContext::default(), t0(), SessionLimits::default()).unwrap();
    let Some(Action::Say { id, .. }) = s.poll_action() else {
        panic!()
    };
    s.handle(&p, t0(), Event::PromptFinished(id)).unwrap();
    let Some(Action::Say { id, .. }) = s.poll_action() else {
        panic!()
    };
    s.handle(&p, t0(), Event::PromptFinished(id)).unwrap();
    assert_eq!(s.waiting(), Waiting::Keys);
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, t0() + SignedDuration::from_secs(5));
    // An early wake-up changes nothing.
    s.handle(&p, t0() + SignedDuration::from_secs(4), Event::Timeout)
        .unwrap();
    assert_eq!(s.waiting(), Waiting::Keys);
    s.handle(&p, deadline, Event::Timeout).unwrap();
    let texts: Vec<_> = drain(&mut s)
        .into_iter()
        .filter_map(|a| match a {
            Action::Say { text, .. } => Some(text.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["Sorry?"]);
    // Second silence: retries 1 is used up.
    let mut now = deadline;
    loop {
        match s.waiting() {
            Waiting::Prompt(id) => s.handle(&p, now, Event::PromptFinished(id)).unwrap(),
            Waiting::Keys => {
                now = s.poll_timeout().unwrap();
                s.handle(&p, now, Event::Timeout).unwrap();
            }
            Waiting::Ended => break,
            w => panic!("{w:?}"),
        }
    }
    assert_eq!(s.outcome(), Some(&Outcome::Hangup("no input".into())));
}

#[test]
fn a_runaway_loop_ends_as_a_defect() {
    // Accepted by the checker (the condition could end it), but it never does.
    let p = program(
        "flow main\n  set n = 0\n  top:\n  set n = n + 1\n  if n < 0 -> out\n  goto top\n  out:\n  hangup\n",
    );
    let limits = SessionLimits {
        max_steps: 500,
        ..SessionLimits::default()
    };
    let mut s = Session::start(&p, CallContext::default(), t0(), limits).unwrap();
    assert_eq!(s.outcome(), Some(&Outcome::Defect(Defect::StepBudget)));
    assert_eq!(
        drain(&mut s),
        [Action::Hangup {
            reason: "defect".into()
        }]
    );
    assert_eq!(s.steps(), 501);
}

#[test]
fn run_time_type_errors_and_depth_are_defects() {
    let p = program(
        "flow main\n  lookup crm caller.number -> c\n    on error -> out\n    on timeout -> out\n  if c.vip -> out\n  out:\n  hangup\n",
    );
    let mut s = Session::start(&p, CallContext::default(), t0(), SessionLimits::default()).unwrap();
    let Some(Action::Lookup { id, .. }) = s.poll_action() else {
        panic!()
    };
    let found = LookupResult::Found(vec![("vip".into(), Value::Str("yes".into()))]);
    s.handle(&p, t0(), Event::LookupResult(id, found)).unwrap();
    assert!(matches!(
        s.outcome(),
        Some(Outcome::Defect(Defect::Type { .. }))
    ));

    let p = program("flow main\n  call a()\n  hangup\nflow a\n  call b()\nflow b\n  return\n");
    let limits = SessionLimits {
        max_call_depth: 1,
        ..SessionLimits::default()
    };
    let s = Session::start(&p, CallContext::default(), t0(), limits).unwrap();
    assert_eq!(s.outcome(), Some(&Outcome::Defect(Defect::CallDepth)));
}

#[test]
fn subflows_take_parameters_and_return() {
    let p = program(
        "flow main\n  call double(21) -> x\n  hangup \"got {x}\"\nflow double(n)\n  return n + n\n",
    );
    let s = Session::start(&p, CallContext::default(), t0(), SessionLimits::default()).unwrap();
    assert_eq!(s.outcome(), Some(&Outcome::Hangup("got 42".into())));
}

#[test]
fn gather_collects_with_terminator_and_inter_digit_timeout() {
    let p = program(
        "flow main\n  gather pin \"PIN\"\n    digits 2 to 6\n    inter-digit 2s\n  hangup \"pin {pin}\"\n",
    );
    let mut s = Session::start(&p, CallContext::default(), t0(), SessionLimits::default()).unwrap();
    let Some(Action::Say { id, .. }) = s.poll_action() else {
        panic!()
    };
    s.handle(&p, t0(), Event::PromptFinished(id)).unwrap();
    s.handle(&p, t0(), Event::Digits("12".into())).unwrap();
    assert_eq!(s.poll_timeout(), Some(t0() + SignedDuration::from_secs(2)));
    s.handle(
        &p,
        t0() + SignedDuration::from_secs(1),
        Event::Digits("3".into()),
    )
    .unwrap();
    s.handle(&p, t0() + SignedDuration::from_secs(3), Event::Timeout)
        .unwrap();
    assert_eq!(s.outcome(), Some(&Outcome::Hangup("pin 123".into())));

    let mut s = Session::start(&p, CallContext::default(), t0(), SessionLimits::default()).unwrap();
    s.handle(&p, t0(), Event::Digits("98#".into())).unwrap();
    assert_eq!(s.outcome(), Some(&Outcome::Hangup("pin 98".into())));
}

#[test]
fn bad_events_are_typed_errors() {
    let p = program(MENU);
    let other = program("flow main\n  hangup\n");
    let mut s = Session::start(&p, CallContext::default(), t0(), SessionLimits::default()).unwrap();
    assert_eq!(
        s.handle(&p, t0(), Event::Digits("1x".into())),
        Err(EventError::BadKey('x'))
    );
    assert!(matches!(
        s.handle(&other, t0(), Event::Timeout),
        Err(EventError::ProgramMismatch { .. })
    ));
}

/// Runs MENU's happy path, saving and restoring the session between every
/// event, and compares with an uninterrupted run.
#[test]
fn a_serialized_session_resumes_where_it_stopped() {
    let p = program(&MENU.replace("say \"Welcome.\"", "say \"Welcome {caller.number}.\""));
    let context = CallContext {
        caller: "+15551234".into(),
        ..CallContext::default()
    };
    let run = |resume: bool| {
        let limits = SessionLimits {
            max_trace: 100,
            ..SessionLimits::default()
        };
        let mut s = Session::start(&p, context.clone(), t0(), limits).unwrap();
        let mut log = Vec::new();
        for _ in 0..10 {
            log.extend(drain(&mut s));
            if resume {
                let json = serde_json::to_string(&s).unwrap();
                s = serde_json::from_str(&json).unwrap();
            }
            let event = match s.waiting() {
                Waiting::Prompt(id) => Event::PromptFinished(id),
                Waiting::Keys => Event::Digits("1".into()),
                _ => break,
            };
            s.handle(&p, t0(), event).unwrap();
        }
        (log, s.outcome().cloned(), s.trace().to_vec())
    };
    let straight = run(false);
    let resumed = run(true);
    assert_eq!(straight, resumed);
    assert_eq!(straight.1, Some(Outcome::Enqueued("sales".into())));
    assert!(matches!(&straight.0[0], Action::Say { text, .. } if &**text == "Welcome +15551234."));
    assert!(straight.2.contains(&TraceEntry::Key('1')));
    assert!(
        straight
            .2
            .iter()
            .any(|t| matches!(t, TraceEntry::Visit(n) if p.node_span(*n).is_some()))
    );
}

#[test]
fn programs_and_sessions_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Program>();
    send_sync::<Session>();
}

#[test]
fn a_session_fits_in_512_bytes_plus_variables() {
    let p = program(MENU);
    let context = CallContext {
        caller: "+15551234567".into(),
        dialed: "+18005550100".into(),
        ..CallContext::default()
    };
    let mut s = Session::start(&p, context, t0(), SessionLimits::default()).unwrap();
    drain(&mut s);
    assert!(s.memory_bytes() <= 512, "{} bytes", s.memory_bytes());
}
