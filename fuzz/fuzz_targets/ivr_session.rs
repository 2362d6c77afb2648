#![no_main]
//! Random event sequences against the example flows: the interpreter never
//! panics, stays within its step budget and type-ahead limit, answers a
//! stale or early event harmlessly, and every session ends or waits.
//!
//! The input also drives:
//! - host values nested 0..=40 records deep (around
//!   `limits::MAX_VALUE_DEPTH`) as caller attributes and lookup answers: a
//!   too-deep one is refused with the typed error naming where it came from
//!   and leaves the session unchanged, one within the limit is accepted, and
//!   serde_json refuses exactly the values, contexts and events past it;
//! - save/restore through serde_json at random points: the restored session
//!   runs side by side with the original for the rest of the input, and both
//!   must produce the same results, actions, waits, deadlines, traces and
//!   saved form;
//! - a saved session with one byte changed: restoring it never panics, and a
//!   restored one round-trips and runs a few events without panicking;
//! - the whole input deserialized as a `Session`, a `Value` and an `Event`:
//!   never a panic, and what deserializes round-trips.

use call_ivr::check::compile;
use call_ivr::error::{EventError, StartError, ValueOrigin};
use call_ivr::jiff::{SignedDuration, Timestamp};
use call_ivr::limits::MAX_VALUE_DEPTH;
use call_ivr::program::Program;
use call_ivr::session::{
    Action, CallContext, Event, LookupResult, RequestId, Session, SessionLimits, Waiting,
};
use call_ivr::source::SourceFile;
use call_ivr::value::Value;
use call_sdk_fuzz::Bytes;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Reads `caller` and lookup answers whole: displays, compares, passes to a
/// subflow, uses as a lookup key and copies into the enqueue action values
/// that may be as deep as the limit.
const NESTED_FLOW: &str = "flow main
  say \"Hello {caller.profile}\"
  lookup crm caller -> c
    timeout 2s
    on not-found -> plain
    on error -> plain
    on timeout -> plain
  say \"Welcome {c.name}, {c.profile}\"
  if c.profile == caller.profile -> same
  call show(c.profile) -> shown
  lookup history shown -> h
    on not-found -> same
  gather pin \"Enter your PIN\"
    digits 4
    retries 1 then -> same
  if pin == c.pin -> same
  hangup \"different\"
  same:
  enqueue sales
    attribute profile = c.profile
    attribute who = caller
  plain:
  menu \"Press 1 for {caller}\"
    1 -> same
    retries 1 then -> same
  hangup

flow show(v)
  say \"{v}\"
  return v
";

const FLOWS: [&str; 7] = [
    include_str!("../../examples/flows/bank.ivr"),
    include_str!("../../examples/flows/clinic.ivr"),
    include_str!("../../examples/flows/support.ivr"),
    include_str!("../../examples/flows/freeswitch_demo.ivr"),
    include_str!("../../examples/flows/asterisk_demo.ivr"),
    include_str!("../../examples/flows/twilio_phone_tree.ivr"),
    NESTED_FLOW,
];

fn programs() -> &'static Vec<Program> {
    static PROGRAMS: OnceLock<Vec<Program>> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        FLOWS
            .iter()
            .map(|text| {
                let file = SourceFile::new("flow.ivr", *text).expect("small");
                compile(&file).0.expect("flows compile")
            })
            .collect()
    })
}

const KEYS: &[u8] = b"0123456789*#";
/// Field names the flows read, and some they don't.
const FIELDS: [&str; 8] = [
    "name",
    "pin",
    "balance",
    "vip",
    "card_last4",
    "profile",
    "number",
    "x",
];
/// Deepest host value the input builds: past the limit, within serde_json's
/// own recursion limit (128, three per record).
const MAX_BUILT_DEPTH: usize = 40;

fn leaf(input: &mut Bytes<'_>) -> Value {
    let b = input.byte();
    match b % 3 {
        0 => Value::Str(format!("s{}", b / 3)),
        1 => Value::Int(i64::from(b) - 128),
        _ => Value::Bool(b & 4 != 0),
    }
}

/// A value whose records nest exactly `depth` deep: a chain of records,
/// each with up to two scalar fields beside the next one.
fn nested(input: &mut Bytes<'_>, depth: usize) -> Value {
    let mut value = leaf(input);
    for _ in 0..depth {
        let shape = input.byte();
        let mut fields: Vec<(String, Value)> = (0..shape % 3)
            .map(|i| {
                (
                    FIELDS[(usize::from(shape) + i as usize) % FIELDS.len()].into(),
                    leaf(input),
                )
            })
            .collect();
        let at = usize::from(shape / 3) % (fields.len() + 1);
        fields.insert(
            at,
            (FIELDS[usize::from(shape) % FIELDS.len()].into(), value),
        );
        value = Value::Record(fields);
    }
    value
}

/// Up to `max` named fields of random depth. Returns them with the name of
/// the first one that makes the record around them deeper than the limit.
fn nested_fields(input: &mut Bytes<'_>, max: u8) -> (Vec<(String, Value)>, Option<String>) {
    let count = input.byte() % (max + 1);
    let mut fields = Vec::new();
    let mut first_too_deep = None;
    for _ in 0..count {
        let name = FIELDS[usize::from(input.byte()) % FIELDS.len()].to_string();
        // Half the values are within two levels of a limit (31 for a field,
        // 32 for a value on its own), the rest anywhere in 0..=40.
        let b = input.byte();
        let depth = if b & 1 == 0 {
            usize::from(b >> 1) % (MAX_BUILT_DEPTH + 1)
        } else {
            MAX_VALUE_DEPTH - 3 + usize::from(b >> 1) % 5
        };
        let value = nested(input, depth);
        assert!(!value.nests_deeper_than(depth));
        assert_eq!(value.nests_deeper_than(depth.saturating_sub(1)), depth > 0);
        check_value_serde(&value, depth);
        // `caller` and an answer are records around the fields.
        if depth + 1 > MAX_VALUE_DEPTH && first_too_deep.is_none() {
            first_too_deep = Some(name.clone());
        }
        fields.push((name, value));
    }
    (fields, first_too_deep)
}

/// serde_json takes back exactly the values within the limit, unchanged.
fn check_value_serde(value: &Value, depth: usize) {
    let json = serde_json::to_string(value).expect("serializes");
    match serde_json::from_str::<Value>(&json) {
        Ok(back) => {
            assert!(depth <= MAX_VALUE_DEPTH, "depth {depth} deserialized");
            assert_eq!(&back, value);
        }
        Err(e) => {
            assert!(depth > MAX_VALUE_DEPTH, "depth {depth}: {e}");
            assert!(e.to_string().contains("MAX_VALUE_DEPTH"), "{e}");
        }
    }
}

fn save(session: &Session) -> String {
    serde_json::to_string(session).expect("a session serializes")
}

fn restore(session: &Session) -> Session {
    let saved = save(session);
    let restored: Session = serde_json::from_str(&saved).expect("a saved session restores");
    assert_eq!(save(&restored), saved);
    restored
}

fn drain(session: &mut Session) -> Vec<Action> {
    std::iter::from_fn(|| session.poll_action()).collect()
}

/// Everything a host can observe of a session, for comparing two after each
/// event; `saved` compares their saved forms too (whole state, but slow).
fn assert_same(a: &Session, b: &Session, saved: bool) {
    assert_eq!(a.waiting(), b.waiting());
    assert_eq!(a.poll_timeout(), b.poll_timeout());
    assert_eq!(a.outcome(), b.outcome());
    assert_eq!(a.steps(), b.steps());
    assert_eq!(a.trace(), b.trace());
    assert_eq!(a.language(), b.language());
    assert_eq!(a.is_ended(), b.is_ended());
    if saved {
        assert_eq!(save(a), save(b));
    }
}

/// The whole input as a saved session, a value and an event: never a
/// panic, and whatever deserializes round-trips.
fn deserialize_arbitrary(data: &[u8]) {
    if let Ok(session) = serde_json::from_slice::<Session>(data) {
        restore(&session);
    }
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        assert!(!value.nests_deeper_than(MAX_VALUE_DEPTH));
        let json = serde_json::to_string(&value).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Value>(&json).expect("restores"),
            value
        );
    }
    if let Ok(event) = serde_json::from_slice::<Event>(data) {
        let json = serde_json::to_string(&event).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Event>(&json).expect("restores"),
            event
        );
    }
    if let Ok(context) = serde_json::from_slice::<CallContext>(data) {
        for (_, value) in &context.attributes {
            assert!(!value.nests_deeper_than(MAX_VALUE_DEPTH - 1));
        }
        let json = serde_json::to_string(&context).expect("serializes");
        assert_eq!(
            serde_json::from_str::<CallContext>(&json).expect("restores"),
            context
        );
    }
}

/// Numbers to put in a saved session: limits, boundaries of its integer
/// fields, and ones no field takes.
const NUMBERS: [&str; 14] = [
    "0",
    "1",
    "2",
    "15",
    "16",
    "17",
    "255",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "-1",
];

/// A saved session with one byte changed, or one number replaced:
/// restoring never panics, and a session that restores round-trips and
/// takes a few events without panicking.
fn corrupt_and_run(program: &Program, session: &Session, now: Timestamp, input: &mut Bytes<'_>) {
    let mut saved = save(session).into_bytes();
    let pick = usize::from(input.byte()) << 8 | usize::from(input.byte());
    if input.byte() % 2 == 0 {
        let at = pick % saved.len();
        saved[at] = input.byte();
    } else {
        // The digit runs: numbers, and digits inside strings.
        let mut runs = Vec::new();
        let mut i = 0;
        while i < saved.len() {
            if saved[i].is_ascii_digit() {
                let start = i;
                while i < saved.len() && saved[i].is_ascii_digit() {
                    i += 1;
                }
                runs.push(start..i);
            } else {
                i += 1;
            }
        }
        if runs.is_empty() {
            return;
        }
        let run = runs[pick % runs.len()].clone();
        let number = NUMBERS[usize::from(input.byte()) % NUMBERS.len()];
        saved.splice(run, number.bytes());
    }
    let Ok(mut corrupt) = serde_json::from_slice::<Session>(&saved) else {
        return;
    };
    corrupt = restore(&corrupt);
    for _ in 0..1 + input.byte() % 8 {
        drain(&mut corrupt);
        let id = match corrupt.waiting() {
            Waiting::Prompt(id) | Waiting::Lookup(id) | Waiting::Recording(id) => id,
            _ => RequestId(0),
        };
        let arg = input.byte();
        let event = match arg % 7 {
            0 | 1 => Event::Digits(char::from(KEYS[usize::from(arg / 7) % KEYS.len()]).to_string()),
            2 => Event::Timeout,
            3 => Event::PromptFinished(id),
            4 => Event::LookupResult(
                id,
                LookupResult::Found(vec![("name".into(), Value::Str("Ann".into()))]),
            ),
            5 => Event::RecordingFinished(id, "rec".into()),
            _ => Event::CallerHangup,
        };
        let wake = corrupt.poll_timeout().map_or(now, |d| d.max(now));
        let _ = corrupt.handle(program, wake, event);
    }
}

fuzz_target!(|data: &[u8]| {
    deserialize_arbitrary(data);

    let mut input = Bytes::new(data);
    if input.is_empty() {
        return;
    }
    let first = input.byte();
    let programs = programs();
    let program = &programs[usize::from(first) % programs.len()];
    let mut now: Timestamp = "2026-03-02T15:00:00Z".parse().expect("valid");
    now += SignedDuration::from_mins(i64::from(first) * 97);
    let limits = SessionLimits {
        max_steps: 5_000,
        max_trace: 64,
        ..SessionLimits::default()
    };

    // Caller attributes, some of them too deep.
    let (attributes, too_deep) = nested_fields(&mut input, 3);
    let context = CallContext {
        caller: "+15551234567".into(),
        attributes,
        ..CallContext::default()
    };
    let json = serde_json::to_string(&context).expect("serializes");
    match serde_json::from_str::<CallContext>(&json) {
        Ok(back) => {
            assert!(too_deep.is_none());
            assert_eq!(back, context);
        }
        Err(e) => assert!(too_deep.is_some(), "{e}"),
    }
    let context = match too_deep {
        Some(name) => {
            let mut within = context.clone();
            within
                .attributes
                .retain(|(_, v)| !v.nests_deeper_than(MAX_VALUE_DEPTH - 1));
            let refused = Session::start(program, context, now, limits)
                .expect_err("a too-deep caller attribute is refused");
            assert_eq!(
                refused,
                StartError::ValueTooDeep {
                    origin: ValueOrigin::CallerAttribute(name),
                    max: MAX_VALUE_DEPTH,
                }
            );
            within
        }
        None => context,
    };
    let mut session = Session::start(program, context, now, limits).expect("main exists");
    // A restored copy that must behave exactly like `session` from then on.
    let mut twin: Option<Session> = None;
    // Saving is the slow part of a run: a few saves per input are enough.
    let (mut restores, mut corruptions) = (0, 0);

    while !input.is_empty() {
        let (op, arg) = (input.byte(), input.byte());
        let actions = drain(&mut session);
        if let Some(twin) = &mut twin {
            assert_eq!(drain(twin), actions);
        }
        let waiting = session.waiting();
        let id = match waiting {
            Waiting::Prompt(id) | Waiting::Lookup(id) | Waiting::Recording(id) => id,
            _ => RequestId(u32::from(arg)),
        };
        let event = match op % 12 {
            0..=2 => Event::Digits(
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
            8 => {
                if arg == 0 {
                    Event::CallerHangup
                } else {
                    Event::Digits("x".into())
                }
            }
            9 => {
                // A lookup answer with nested fields, mostly for the lookup
                // the session waits for.
                let request = if arg % 8 == 0 {
                    RequestId(u32::from(arg))
                } else {
                    id
                };
                let (fields, too_deep) = nested_fields(&mut input, 3);
                // serde_json refuses a field past the limit, not the record
                // around the fields: that is the session's check.
                let lone_too_deep = fields
                    .iter()
                    .any(|(_, v)| v.nests_deeper_than(MAX_VALUE_DEPTH));
                let event = Event::LookupResult(request, LookupResult::Found(fields));
                let json = serde_json::to_string(&event).expect("serializes");
                match serde_json::from_str::<Event>(&json) {
                    Ok(back) => {
                        assert!(!lone_too_deep);
                        assert_eq!(back, event);
                    }
                    Err(e) => assert!(lone_too_deep, "{e}"),
                }
                let Some(field) = too_deep else {
                    let expected_wait = session.waiting() == Waiting::Lookup(request);
                    let result = session.handle(program, now, event.clone());
                    assert_eq!(result, Ok(()));
                    if expected_wait {
                        assert_ne!(session.waiting(), Waiting::Lookup(request));
                    }
                    if let Some(twin) = &mut twin {
                        assert_eq!(twin.handle(program, now, event), result);
                        assert_same(&session, twin, false);
                    }
                    continue;
                };
                let before = save(&session);
                let refused = EventError::ValueTooDeep {
                    origin: ValueOrigin::LookupAnswer { request, field },
                    max: MAX_VALUE_DEPTH,
                };
                assert_eq!(
                    session.handle(program, now, event.clone()),
                    Err(refused.clone())
                );
                assert_eq!(session.waiting(), waiting);
                assert_eq!(save(&session), before);
                if let Some(twin) = &mut twin {
                    assert_eq!(twin.handle(program, now, event), Err(refused));
                    assert_same(&session, twin, false);
                }
                continue;
            }
            10 if restores < 4 => {
                restores += 1;
                // Save and restore: the restored session takes over as the
                // twin (restored from the twin, if there is one).
                let restored = restore(twin.as_ref().unwrap_or(&session));
                assert_same(&session, &restored, true);
                twin = Some(restored);
                continue;
            }
            10 => continue,
            _ => {
                if corruptions < 4 {
                    corruptions += 1;
                    corrupt_and_run(program, &session, now, &mut input);
                }
                continue;
            }
        };
        let result = session.handle(program, now, event.clone());
        assert!(session.steps() <= limits.max_steps + 1);
        assert!(session.trace().len() <= limits.max_trace as usize);
        if let Some(twin) = &mut twin {
            assert_eq!(twin.handle(program, now, event), result);
            assert_same(&session, twin, false);
        }
        if session.is_ended() {
            assert!(session.outcome().is_some());
            break;
        }
    }
    if let Some(twin) = &mut twin {
        assert_eq!(drain(twin), drain(&mut session));
        assert_same(&session, twin, true);
    }
});
