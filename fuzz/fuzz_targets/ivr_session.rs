#![no_main]
//! Random event sequences against the example flows: the interpreter never
//! panics, stays within its step budget and type-ahead limit, answers a
//! stale or early event harmlessly, and every session ends or waits.

use call_ivr::check::compile;
use call_ivr::jiff::{SignedDuration, Timestamp};
use call_ivr::program::Program;
use call_ivr::session::{
    CallContext, Event, LookupResult, RequestId, Session, SessionLimits, Waiting,
};
use call_ivr::source::SourceFile;
use call_ivr::value::Value;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const FLOWS: [&str; 6] = [
    include_str!("../../examples/flows/bank.ivr"),
    include_str!("../../examples/flows/clinic.ivr"),
    include_str!("../../examples/flows/support.ivr"),
    include_str!("../../examples/flows/freeswitch_demo.ivr"),
    include_str!("../../examples/flows/asterisk_demo.ivr"),
    include_str!("../../examples/flows/twilio_phone_tree.ivr"),
];

fn programs() -> &'static Vec<Program> {
    static PROGRAMS: OnceLock<Vec<Program>> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        FLOWS
            .iter()
            .map(|text| {
                let file = SourceFile::new("flow.ivr", *text).expect("small");
                compile(&file).0.expect("example flows compile")
            })
            .collect()
    })
}

const KEYS: &[u8] = b"0123456789*#";

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let programs = programs();
    let program = &programs[first as usize % programs.len()];
    let mut now: Timestamp = "2026-03-02T15:00:00Z".parse().expect("valid");
    now += SignedDuration::from_mins(i64::from(first) * 97);
    let limits = SessionLimits {
        max_steps: 5_000,
        max_trace: 64,
        ..SessionLimits::default()
    };
    let context = CallContext {
        caller: "+15551234567".into(),
        ..CallContext::default()
    };
    let mut session = Session::start(program, context, now, limits).expect("main exists");
    for chunk in rest.chunks(2) {
        let (op, arg) = (chunk[0], chunk.get(1).copied().unwrap_or(0));
        while session.poll_action().is_some() {}
        let waiting = session.waiting();
        let id = match waiting {
            Waiting::Prompt(id) | Waiting::Lookup(id) | Waiting::Recording(id) => id,
            _ => RequestId(u32::from(arg)),
        };
        let event = match op % 9 {
            0 | 1 | 2 => Event::Digits(
                (0..1 + arg % 4)
                    .map(|i| char::from(KEYS[(arg as usize + i as usize * 7) % KEYS.len()]))
                    .collect(),
            ),
            3 => {
                // Time passes, sometimes past the deadline.
                now += SignedDuration::from_millis(i64::from(arg) * 100);
                Event::Timeout
            }
            4 => Event::PromptFinished(if arg % 8 == 0 {
                RequestId(u32::from(arg))
            } else {
                id
            }),
            5 => Event::LookupResult(
                id,
                match arg % 3 {
                    0 => LookupResult::Found(vec![
                        ("name".into(), Value::Str("Ann".into())),
                        ("pin".into(), Value::Str("1234".into())),
                        ("vip".into(), Value::Bool(arg % 2 == 0)),
                        ("balance".into(), Value::Int(i64::from(arg))),
                    ]),
                    1 => LookupResult::NotFound,
                    _ => LookupResult::Error("down".into()),
                },
            ),
            6 => Event::RecordingFinished(id, format!("rec-{arg}")),
            7 => {
                if let Some(deadline) = session.poll_timeout() {
                    now = now.max(deadline);
                }
                Event::Timeout
            }
            _ => {
                if arg == 0 {
                    Event::CallerHangup
                } else {
                    Event::Digits("x".into())
                }
            }
        };
        let _ = session.handle(program, now, event);
        assert!(session.steps() <= limits.max_steps + 1);
        assert!(session.trace().len() <= limits.max_trace as usize);
        if session.is_ended() {
            assert!(session.outcome().is_some());
            break;
        }
    }
});
