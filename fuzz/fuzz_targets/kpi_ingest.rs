#![no_main]
//! The KPI engine fed what a host reads from storage or another system.
//!
//! An input starting with `{` is JSON Lines: each line is deserialized as a
//! call detail record or an agent state change and ingested. Any other input
//! is a script (at most 256 steps) over an engine whose configuration is
//! taken from the input (a 1 ms or `Duration::MAX` interval, zero or maximal
//! thresholds and windows, a small span limit): steps build records field by
//! field (legs, queue waits, holds, transfers, wrap-ups, speech, agents,
//! listed twice included) with times near zero, near the end of time,
//! reversed, out of order and on interval boundaries, ingest them through
//! `ingest` and `CdrSink::write`, ingest agent state changes through both
//! ingest methods, and query every bucket, range and total.
//!
//! Checked on every ingest, and over the whole engine on every query step
//! and at the end: no panic (overflow checks are on); a record
//! makes at most one interval and one queue bucket and one bucket per agent
//! it lists, and counts each agent's contact once; an agent state change is
//! refused exactly when its span ends before it begins or covers more
//! intervals than the configured limit, a refused change leaves the engine unchanged and an accepted one
//! adds exactly its span to the agent's time in at most that many buckets;
//! totals only grow; a record adds at most one customer to the
//! first-contact memory; ranges equal the sums of their buckets; every bucket's
//! interval is aligned and its queue buckets add up to no more than the
//! interval's counters; every ratio KPI under all three service level
//! definitions is in [0, 1] and every KPI is finite and non-negative.

use std::collections::BTreeSet;
use std::time::Duration;

use call_core::agent::{AgentState, AgentStateChanged, ReasonCode};
use call_core::cause::Q850Cause;
use call_core::cdr::{
    CallDetailRecord, CdrSink, HoldRecord, LegEnd, LegRecord, QueueWaitRecord, SCHEMA_VERSION,
    SpeechInterval, TransferRecord, WrapUpRecord,
};
use call_core::disposition::{AbandonPhase, Disposition};
use call_core::event::{DequeueReason, TransferKind};
use call_core::id::{AgentId, CallId, LegId, QueueId};
use call_core::kpi::{Counters, KpiConfig, KpiEngine, Kpis, ServiceLevelDefinition};
use call_core::leg::{ClearedBy, Direction, HoldSide, LegRole};
use call_core::party::{Address, Party};
use call_core::time::Timestamp;
use call_sdk_fuzz::Bytes;
use libfuzzer_sys::fuzz_target;

/// Steps per input: keeps one run well under a millisecond or two.
const MAX_STEPS: usize = 256;
/// Entries per list of a scripted record.
const MAX_LIST: usize = 48;

/// A duration from the edges (zero, the largest) or from the input.
fn duration(input: &mut Bytes<'_>) -> Duration {
    match input.byte() % 6 {
        0 => Duration::ZERO,
        1 => Duration::MAX,
        2 => Duration::from_millis(u64::from(input.u16())),
        3 => Duration::from_secs(u64::from(input.byte())),
        4 => Duration::from_millis(input.u64()),
        _ => Duration::from_secs(15 * 60),
    }
}

/// Times chosen to hit the edges: the epoch, the end of time, just around
/// `base` (before it: out of order or reversed), interval boundaries and
/// huge jumps.
fn time(input: &mut Bytes<'_>, base: Timestamp, interval_ms: u64) -> Timestamp {
    let tag = input.byte();
    let base_ms = base.as_millis();
    let ms = match tag % 8 {
        0 => u64::from(input.byte()),
        1 => u64::MAX - u64::from(input.byte()),
        2 => base_ms.saturating_add(u64::from(input.u16()) * 100),
        3 => base_ms.saturating_sub(u64::from(input.u16()) * 100),
        4 => input.u64(),
        5 => {
            // An interval boundary near base, or one millisecond either side.
            let k = u64::from(input.byte() % 4);
            let boundary = (base_ms / interval_ms)
                .saturating_add(k)
                .saturating_mul(interval_ms);
            match input.byte() % 3 {
                0 => boundary.saturating_sub(1),
                1 => boundary,
                _ => boundary.saturating_add(1),
            }
        }
        6 => base_ms,
        _ => base_ms.saturating_add(1 << (input.byte() % 64)),
    };
    Timestamp::from_millis(ms)
}

fn opt_time(input: &mut Bytes<'_>, base: Timestamp, interval_ms: u64) -> Option<Timestamp> {
    (input.byte() % 4 != 0).then(|| time(input, base, interval_ms))
}

fn config(input: &mut Bytes<'_>) -> KpiConfig {
    let mut config = KpiConfig::default();
    config.interval = duration(input);
    config.service_level_threshold = duration(input);
    config.service_level = definition(input.byte());
    config.short_abandon = duration(input);
    config.repeat_window = duration(input);
    if input.byte() & 1 != 0 {
        config.conversion_codes = vec!["sale".to_owned()];
    }
    config.csat_satisfied_min = input.byte() % 7;
    // Small limits: each accepted span may make that many buckets, and a
    // run has up to 256 of them.
    config.max_agent_state_intervals = [0, 1, 2, 3, 16, 64, 256][usize::from(input.byte() % 7)];
    config
}

fn definition(b: u8) -> ServiceLevelDefinition {
    match b % 3 {
        0 => ServiceLevelDefinition::AnsweredWithinOverAnswered,
        1 => ServiceLevelDefinition::AnsweredAndAbandonedWithin,
        _ => ServiceLevelDefinition::AnsweredWithinOverOffered,
    }
}

fn customer(b: u8) -> Option<Address> {
    (b % 5 != 0).then(|| Address::new(&format!("+1555010{}", b % 5)).expect("valid address"))
}

fn agent(b: u8) -> AgentId {
    // Mostly a handful of agents, sometimes the edges of the id space.
    match b % 8 {
        6 => AgentId(0),
        7 => AgentId(u32::MAX),
        n => AgentId(u32::from(n)),
    }
}

fn queue(b: u8) -> QueueId {
    match b % 6 {
        5 => QueueId(u32::MAX),
        n => QueueId(u32::from(n)),
    }
}

fn state(input: &mut Bytes<'_>) -> AgentState {
    let call = CallId(u64::from(input.byte()));
    match input.byte() % 6 {
        0 => AgentState::LoggedOut,
        1 => AgentState::Ready,
        2 => AgentState::Reserved { call },
        3 => AgentState::Busy { call },
        4 => AgentState::AfterCallWork { call },
        _ => AgentState::NotReady {
            reason: ReasonCode(u16::from(input.byte())),
        },
    }
}

fn empty_record(call: CallId, created_at: Timestamp) -> CallDetailRecord {
    CallDetailRecord {
        schema_version: SCHEMA_VERSION,
        call,
        direction: Direction::Inbound,
        customer: None,
        service_address: None,
        created_at,
        answered_at: None,
        agent_answered_at: None,
        cleared_at: created_at,
        closed_at: created_at,
        disposition: Disposition::Answered,
        abandoned: None,
        conference: false,
        legs: Vec::new(),
        segments: Vec::new(),
        queue_waits: Vec::new(),
        holds: Vec::new(),
        transfers: Vec::new(),
        diversions: Vec::new(),
        parks: Vec::new(),
        wrap_ups: Vec::new(),
        agents: Vec::new(),
        ivr_path: Vec::new(),
        notes: Vec::new(),
        disposition_codes: Vec::new(),
        survey_score: None,
        speech: Vec::new(),
        attributes: Default::default(),
    }
}

fn push<T>(list: &mut Vec<T>, item: T) {
    if list.len() < MAX_LIST {
        list.push(item);
    }
}

fn fields(c: &Counters) -> [u64; 28] {
    [
        c.offered,
        c.answered,
        c.answered_within,
        c.abandoned,
        c.abandoned_within,
        c.short_abandons,
        c.self_service_abandons,
        c.speed_of_answer_ms,
        c.time_to_abandon_ms,
        c.handled,
        c.talk_ms,
        c.hold_ms,
        c.wrap_up_ms,
        c.held,
        c.transferred,
        c.converted,
        c.surveys,
        c.survey_score_sum,
        c.satisfied,
        c.fcr_contacts,
        c.fcr_repeats,
        c.agent_speech_ms,
        c.customer_speech_ms,
        c.overtalk_ms,
        c.speech_conversation_ms,
        c.ready_ms,
        c.occupied_ms,
        c.not_ready_ms,
    ]
}

fn at_most(small: &Counters, big: &Counters, what: &str) {
    for (i, (s, b)) in fields(small).iter().zip(fields(big)).enumerate() {
        assert!(
            *s <= b,
            "{what}: field {i} went from {b} to {s}: {small:?} vs {big:?}"
        );
    }
}

/// Every KPI finite and non-negative, every ratio in [0, 1], under all
/// three service level definitions; counts that are subsets of others stay so.
fn check_counters(c: &Counters, what: &str) {
    assert!(c.answered_within <= c.answered, "{what}: {c:?}");
    assert!(c.abandoned_within <= c.abandoned, "{what}: {c:?}");
    assert!(
        c.answered.saturating_add(c.abandoned) <= c.offered,
        "{what}: {c:?}"
    );
    assert!(c.held <= c.handled, "{what}: {c:?}");
    assert!(c.transferred <= c.handled, "{what}: {c:?}");
    assert!(c.converted <= c.handled, "{what}: {c:?}");
    assert!(c.satisfied <= c.surveys, "{what}: {c:?}");
    assert!(c.fcr_contacts <= c.handled, "{what}: {c:?}");
    assert!(
        c.fcr_repeats <= c.fcr_contacts,
        "{what}: repeats of uncounted contacts: {c:?}"
    );
    assert!(c.overtalk_ms <= c.speech_conversation_ms, "{what}: {c:?}");
    for b in 0..3 {
        let k: Kpis = c.kpis(definition(b));
        let ratios = [
            k.service_level,
            k.abandonment_rate,
            k.fcr_rate,
            k.transfer_rate,
            k.hold_rate,
            k.conversion_rate,
            k.csat,
            k.overtalk_rate,
            k.occupancy,
        ];
        for r in ratios.into_iter().flatten() {
            assert!(
                (0.0..=1.0).contains(&r),
                "{what}: ratio {r} in {k:?} from {c:?}"
            );
        }
        let others = [
            k.aht_secs,
            k.asa_secs,
            k.average_time_to_abandon_secs,
            k.average_hold_secs,
            k.average_survey_score,
            k.talk_to_listen,
        ];
        for v in others.into_iter().flatten() {
            assert!(v.is_finite() && v >= 0.0, "{what}: {v} in {k:?} from {c:?}");
        }
    }
}

/// Invariants over the whole engine.
fn check_engine(engine: &KpiEngine) {
    let mut total_of_queues = Counters::default();
    for (i, q, c) in engine.queue_buckets() {
        assert_eq!(
            engine.interval_of(i),
            i,
            "queue bucket off the interval grid"
        );
        assert_eq!(engine.queue(i, q), Some(c));
        check_counters(c, "queue bucket");
        total_of_queues += c;
    }
    let mut previous: Option<Timestamp> = None;
    let mut in_interval = Counters::default();
    for (i, _, c) in engine.queue_buckets() {
        if previous != Some(i) {
            in_interval = Counters::default();
            previous = Some(i);
        }
        in_interval += c;
        let interval = engine
            .interval(i)
            .expect("a queue bucket's interval exists");
        at_most(
            &in_interval,
            interval,
            "queues of an interval above the interval",
        );
        check_counters(interval, "interval");
    }
    for (i, a, c) in engine.agent_buckets() {
        assert_eq!(
            engine.interval_of(i),
            i,
            "agent bucket off the interval grid"
        );
        assert_eq!(engine.agent(i, a), Some(c));
        check_counters(c, "agent bucket");
    }
    let total = engine.total();
    check_counters(&total, "total");
    at_most(&total_of_queues, &total, "queues above the total");
}

/// `queue_range` and `agent_range` against the buckets they cover.
fn check_ranges(engine: &KpiEngine, q: QueueId, a: AgentId, from: Timestamp, to: Timestamp) {
    let mut expected = Counters::default();
    for (i, bq, c) in engine.queue_buckets() {
        if bq == q && i >= from && i < to {
            expected += c;
        }
    }
    let got = engine.queue_range(q, from, to);
    assert_eq!(got, expected, "queue_range({q}, {from}, {to})");
    check_counters(&got, "queue range");
    let mut expected = Counters::default();
    for (i, ba, c) in engine.agent_buckets() {
        if ba == a && i >= from && i < to {
            expected += c;
        }
    }
    let got = engine.agent_range(a, from, to);
    assert_eq!(got, expected, "agent_range({a}, {from}, {to})");
    check_counters(&got, "agent range");
    for t in [from, to] {
        let start = engine.interval_of(t);
        assert!(start <= t);
        assert!(t.millis_since(start) < interval_ms(engine));
    }
}

fn interval_ms(engine: &KpiEngine) -> u64 {
    u64::try_from(engine.config().interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn agent_handled(engine: &KpiEngine, agent: AgentId) -> u64 {
    engine
        .agent_buckets()
        .filter(|(_, a, _)| *a == agent)
        .fold(0, |sum, (_, _, c)| sum.saturating_add(c.handled))
}

/// Ingest one record and check what it may change.
fn ingest_record(engine: &mut KpiEngine, record: &CallDetailRecord, through_sink: bool) {
    let queue_buckets = engine.queue_buckets().count();
    let agent_buckets = engine.agent_buckets().count();
    let before = engine.total();
    let listed: BTreeSet<AgentId> = record.agents.iter().copied().collect();
    let handled_before: Vec<u64> = listed.iter().map(|&a| agent_handled(engine, a)).collect();
    let remembered = engine.remembered_customers();
    if through_sink {
        let Ok(()) = engine.write(record);
    } else {
        engine.ingest(record);
    }
    let after = engine.total();
    at_most(&before, &after, "total shrank");
    assert!(
        after.handled - before.handled <= 1,
        "one record, one contact"
    );
    assert!(after.offered - before.offered <= 1, "one record, one offer");
    assert!(engine.queue_buckets().count() <= queue_buckets + 1);
    assert!(
        engine.remembered_customers() <= remembered + 1,
        "one record, at most one customer to remember"
    );
    assert!(
        engine.agent_buckets().count() <= agent_buckets + listed.len(),
        "more agent buckets than agents on the record"
    );
    for (&a, before) in listed.iter().zip(handled_before) {
        let after = agent_handled(engine, a);
        assert!(
            after.saturating_sub(before) <= 1,
            "{a} counted {} handled contacts for one record",
            after.saturating_sub(before)
        );
    }
}

/// Ingest one agent state change (through either method) and check it.
fn ingest_change(engine: &mut KpiEngine, change: &AgentStateChanged, try_form: bool) {
    let ims = interval_ms(engine);
    let (start, end) = (change.from_since.as_millis(), change.at.as_millis());
    let intervals = if start >= end {
        0
    } else {
        (end - 1) / ims - start / ims + 1
    };
    let staffed = change.from != AgentState::LoggedOut;
    let refuse = staffed
        && (end < start || intervals > u64::from(engine.config().max_agent_state_intervals));
    let buckets = engine.agent_buckets().count();
    let time_of = |e: &KpiEngine| -> (u128, bool) {
        e.agent_buckets()
            .filter(|(_, a, _)| *a == change.agent)
            .fold((0, false), |(sum, sat), (_, _, c)| {
                let t = [c.ready_ms, c.occupied_ms, c.not_ready_ms];
                (
                    sum + t.iter().map(|&x| u128::from(x)).sum::<u128>(),
                    sat || t.contains(&u64::MAX),
                )
            })
    };
    let (time_before, _) = time_of(engine);
    let refused_before = engine.refused_agent_changes();
    let before = engine.total();
    if try_form {
        let result = engine.try_ingest_agent_change(change);
        assert_eq!(result.is_err(), refuse, "{change:?}: {result:?}");
        if let Err(e) = result {
            assert!(!e.to_string().is_empty());
        }
    } else {
        engine.ingest_agent_change(change);
        assert_eq!(
            engine.refused_agent_changes() - refused_before,
            u64::from(refuse),
            "{change:?}"
        );
    }
    assert_eq!(
        engine.total(),
        before,
        "agent time is not in the interval totals"
    );
    let new_buckets = engine.agent_buckets().count() - buckets;
    let (time_after, saturated) = time_of(engine);
    if refuse || !staffed {
        assert_eq!(new_buckets, 0, "a refused or logged-out span made buckets");
        assert_eq!(time_after, time_before);
    } else {
        assert!(
            new_buckets as u64 <= intervals,
            "{change:?}: {new_buckets} buckets"
        );
        if !saturated {
            assert_eq!(
                time_after - time_before,
                u128::from(end.saturating_sub(start)),
                "{change:?}: agent time not conserved"
            );
        }
    }
}

fn json_lines(data: &[u8]) {
    let mut engine = KpiEngine::new(KpiConfig::default());
    for line in data.split(|&b| b == b'\n').take(MAX_STEPS) {
        if let Ok(record) = serde_json::from_slice::<CallDetailRecord>(line) {
            ingest_record(&mut engine, &record, false);
        } else if let Ok(change) = serde_json::from_slice::<AgentStateChanged>(line) {
            ingest_change(&mut engine, &change, true);
        }
    }
    check_engine(&engine);
}

fn script(data: &[u8]) {
    let mut input = Bytes::new(data);
    let config = config(&mut input);
    let mut engine = KpiEngine::new(config);
    let ims = interval_ms(&engine);
    let mut base = match input.byte() % 4 {
        0 => Timestamp::ZERO,
        1 => Timestamp::MAX,
        2 => Timestamp::from_millis(input.u64()),
        _ => Timestamp::from_millis(1_763_700_000_000),
    };
    let mut record = empty_record(CallId(0), base);
    let mut next_call = 1;
    for _ in 0..MAX_STEPS {
        if input.is_empty() {
            break;
        }
        let op = input.byte();
        match op % 16 {
            0 => {
                record = empty_record(CallId(next_call), time(&mut input, base, ims));
                next_call += 1;
                record.direction = if op & 16 != 0 {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                };
                record.customer = customer(input.byte());
            }
            1 => {
                let who = input.byte();
                let party = if who & 8 != 0 {
                    Party::External(Address::new("+15550199").expect("valid address"))
                } else {
                    Party::Agent(agent(who))
                };
                let leg = LegRecord {
                    leg: LegId(who >> 4),
                    party,
                    role: if who >> 4 == 0 {
                        LegRole::Customer
                    } else {
                        LegRole::Agent
                    },
                    direction: Direction::Inbound,
                    created_at: time(&mut input, base, ims),
                    alerted_at: opt_time(&mut input, base, ims),
                    answered_at: opt_time(&mut input, base, ims),
                    ended_at: opt_time(&mut input, base, ims),
                    end: (op & 16 != 0).then_some(LegEnd::Cleared {
                        cause: Q850Cause::NORMAL_CLEARING,
                        platform_cause: None,
                        cleared_by: ClearedBy::Remote,
                    }),
                };
                push(&mut record.legs, leg);
            }
            2 => {
                let how = input.byte();
                let wait = QueueWaitRecord {
                    queue: queue(how),
                    entered_at: time(&mut input, base, ims),
                    left_at: opt_time(&mut input, base, ims),
                    outcome: match how >> 4 {
                        0 => None,
                        1 => Some(DequeueReason::Offered),
                        2 => Some(DequeueReason::Abandoned),
                        3 => Some(DequeueReason::Timeout),
                        4 => Some(DequeueReason::Callback),
                        5 => Some(DequeueReason::Requeued),
                        _ => Some(DequeueReason::Cleared),
                    },
                    requeued: how & 8 != 0,
                };
                push(&mut record.queue_waits, wait);
            }
            3 => {
                let how = input.byte();
                let hold = HoldRecord {
                    leg: LegId(how % 4),
                    side: if how & 4 != 0 {
                        HoldSide::Remote
                    } else {
                        HoldSide::Local
                    },
                    start: time(&mut input, base, ims),
                    end: time(&mut input, base, ims),
                };
                push(&mut record.holds, hold);
            }
            4 => {
                let how = input.byte();
                let transfer = TransferRecord {
                    at: time(&mut input, base, ims),
                    kind: TransferKind::Blind,
                    transferring_leg: LegId(how % 4),
                    transferred_leg: LegId(how >> 2 & 3),
                    target_leg: LegId(how >> 4 & 3),
                };
                push(&mut record.transfers, transfer);
            }
            5 => {
                let who = input.byte();
                let wrap = WrapUpRecord {
                    agent: agent(who),
                    leg: LegId(who >> 4),
                    start: time(&mut input, base, ims),
                    end: opt_time(&mut input, base, ims),
                    expired: false,
                };
                push(&mut record.wrap_ups, wrap);
            }
            6 => {
                // Listed twice is possible: a stored record may say so.
                let who = input.byte();
                push(&mut record.agents, agent(who));
            }
            7 => {
                let leg = LegId(input.byte() % 4);
                let speech = SpeechInterval {
                    leg,
                    start: time(&mut input, base, ims),
                    end: time(&mut input, base, ims),
                };
                push(&mut record.speech, speech);
            }
            8 => {
                let how = input.byte();
                record.abandoned = match how % 4 {
                    0 => None,
                    1 => Some(AbandonPhase::SelfService),
                    2 => Some(AbandonPhase::Queue),
                    _ => Some(AbandonPhase::Alerting),
                };
                record.survey_score = (how & 4 != 0).then(|| input.byte());
                record.agent_answered_at = opt_time(&mut input, base, ims);
                if how & 8 != 0 {
                    push(&mut record.disposition_codes, "sale".to_owned());
                }
            }
            9 => {
                // Grow one list by copies of its last entry.
                let n = usize::from(input.byte() % 16);
                for _ in 0..n {
                    match op >> 4 & 3 {
                        0 => {
                            if let Some(l) = record.legs.last().cloned() {
                                push(&mut record.legs, l);
                            }
                        }
                        1 => {
                            if let Some(&h) = record.holds.last() {
                                push(&mut record.holds, h);
                            }
                        }
                        2 => {
                            if let Some(&s) = record.speech.last() {
                                push(&mut record.speech, s);
                            }
                        }
                        _ => {
                            if let Some(&w) = record.queue_waits.last() {
                                push(&mut record.queue_waits, w);
                            }
                        }
                    }
                }
            }
            10 | 11 => ingest_record(&mut engine, &record, op & 16 != 0),
            12 | 13 => {
                let change = AgentStateChanged {
                    agent: agent(input.byte()),
                    from_since: time(&mut input, base, ims),
                    at: time(&mut input, base, ims),
                    from: state(&mut input),
                    to: state(&mut input),
                };
                ingest_change(&mut engine, &change, op & 16 != 0);
            }
            14 => {
                let who = input.byte();
                let from = time(&mut input, base, ims);
                let to = time(&mut input, base, ims);
                check_ranges(&engine, queue(who), agent(who >> 4), from, to);
                check_engine(&engine);
                let i = engine.interval_of(from);
                if let Some(c) = engine.queue(i, queue(who)) {
                    check_counters(c, "queue lookup");
                }
                if let Some(c) = engine.agent(i, agent(who >> 4)) {
                    check_counters(c, "agent lookup");
                }
                if let Some(c) = engine.interval(i) {
                    check_counters(c, "interval lookup");
                }
            }
            _ => base = time(&mut input, base, ims),
        }
    }
    check_engine(&engine);
    assert!(
        engine.remembered_customers() <= 4,
        "four customers in a script"
    );
    // Whole-range queries over every queue and agent seen.
    let queues: BTreeSet<QueueId> = engine.queue_buckets().map(|(_, q, _)| q).collect();
    let agents: BTreeSet<AgentId> = engine.agent_buckets().map(|(_, a, _)| a).collect();
    let some_agent = agents.first().copied().unwrap_or(AgentId(0));
    let some_queue = queues.first().copied().unwrap_or(QueueId(0));
    for &q in &queues {
        check_ranges(&engine, q, some_agent, Timestamp::ZERO, Timestamp::MAX);
    }
    for &a in &agents {
        check_ranges(&engine, some_queue, a, Timestamp::ZERO, Timestamp::MAX);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'{') {
        json_lines(data);
    } else {
        script(data);
    }
});
