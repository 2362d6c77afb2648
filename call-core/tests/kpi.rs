//! KPIs against hand-computed examples. The numbers in the comments are
//! worked out by hand from the scripted calls; `docs/kpis.md` has the formulas.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use call_core::agent::Agent;
use call_core::cause::Q850Cause;
use call_core::cdr::CallDetailRecord;
use call_core::id::{AgentId, CallId, LegId, QueueId};
use call_core::kpi::{KpiConfig, KpiEngine, ServiceLevelDefinition};
use call_core::time::Timestamp;
use common::{Recorder, abandoned_in_queue, t};

struct Handled<'a> {
    id: u64,
    caller: &'a str,
    agent: u32,
    answer_at: u64,
    hold: u64,
    agent_hangup_at: u64,
    wrap: u64,
    code: &'a str,
    survey: u8,
    speech: &'a [(u8, u64, u64)],
}

/// Start at 0, IVR answers at 0, queue 1 at 10 s.
fn handled(h: Handled<'_>) -> CallDetailRecord {
    let mut r = Recorder::inbound(h.id, 0, h.caller);
    r.call.answer(t(0), LegId(0)).unwrap();
    r.call.enqueue(t(10), QueueId(1)).unwrap();
    let leg = r.call.offer(t(h.answer_at), AgentId(h.agent)).unwrap();
    r.call.handle_answered(t(h.answer_at), leg).unwrap();
    if h.hold > 0 {
        r.call.hold(t(h.answer_at), LegId(0)).unwrap();
        r.call.retrieve(t(h.answer_at + h.hold), LegId(0)).unwrap();
    }
    r.call
        .hangup(t(h.agent_hangup_at), leg, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.call
        .handle_cleared(t(h.agent_hangup_at), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.cdr.disposition_code(h.code).unwrap();
    r.cdr.survey_score(h.survey).unwrap();
    for &(l, s, e) in h.speech {
        r.cdr.speech(LegId(l), t(s), t(e)).unwrap();
    }
    r.drain();
    r.call
        .end_wrap_up(t(h.agent_hangup_at + h.wrap), leg)
        .unwrap();
    let record = r.finish();
    assert!(record.abandoned.is_none());
    record
}

fn records() -> Vec<CallDetailRecord> {
    vec![
        // A: ASA 15 s, hold 30 s, connected 300 s, wrap 60 s: handle 360 s.
        handled(Handled {
            id: 1,
            caller: "+1555000X",
            agent: 7,
            answer_at: 25,
            hold: 30,
            agent_hangup_at: 325,
            wrap: 60,
            code: "sale",
            survey: 5,
            // Customer speaks 30..90, agent 80..100: 10 s overtalk.
            speech: &[(0, 30, 90), (1, 80, 100)],
        }),
        // B: ASA 40 s, talk 60 s, wrap 20 s: handle 80 s.
        handled(Handled {
            id: 2,
            caller: "+1555000Y",
            agent: 8,
            answer_at: 50,
            hold: 0,
            agent_hangup_at: 110,
            wrap: 20,
            code: "no_sale",
            survey: 2,
            speech: &[],
        }),
        // F: ASA 10 s, talk 60 s, no wrap: handle 60 s.
        handled(Handled {
            id: 3,
            caller: "+1555000Z",
            agent: 7,
            answer_at: 20,
            hold: 0,
            agent_hangup_at: 80,
            wrap: 0,
            code: "callback",
            survey: 4,
            speech: &[],
        }),
        // C: abandons after 3 s in queue: a short abandon.
        abandoned_in_queue(4, 0, "+1555000W", 1, 10, 13),
        // D: the customer of A calls again 10 minutes later and abandons after 30 s.
        abandoned_in_queue(5, 600, "+1555000X", 1, 10, 40),
        // E: abandons after 15 s.
        abandoned_in_queue(6, 0, "+1555000V", 1, 10, 25),
    ]
}

fn engine(definition: ServiceLevelDefinition) -> KpiEngine {
    let mut engine = KpiEngine::new(KpiConfig {
        service_level: definition,
        conversion_codes: vec!["sale".to_owned()],
        ..KpiConfig::default()
    });
    for record in records() {
        engine.ingest(&record);
    }
    engine
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("KPI has a value");
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn queue_kpis_match_the_hand_computed_values() {
    let engine = engine(ServiceLevelDefinition::AnsweredWithinOverOffered);
    let interval = engine.interval_of(t(0));
    let c = engine.queue(interval, QueueId(1)).unwrap();
    // Offered: A, B, F, D, E (C is a short abandon).
    assert_eq!((c.offered, c.answered, c.answered_within), (5, 3, 2));
    assert_eq!(
        (c.abandoned, c.abandoned_within, c.short_abandons),
        (2, 1, 1)
    );
    let k = c.kpis(ServiceLevelDefinition::AnsweredWithinOverOffered);
    close(k.service_level, 2.0 / 5.0);
    close(
        c.kpis(ServiceLevelDefinition::AnsweredWithinOverAnswered)
            .service_level,
        2.0 / 3.0,
    );
    close(
        c.kpis(ServiceLevelDefinition::AnsweredAndAbandonedWithin)
            .service_level,
        3.0 / 5.0,
    );
    close(k.asa_secs, (15.0 + 40.0 + 10.0) / 3.0);
    close(k.aht_secs, (360.0 + 80.0 + 60.0) / 3.0);
    close(k.abandonment_rate, 2.0 / 5.0);
    close(k.average_time_to_abandon_secs, (30.0 + 15.0) / 2.0);
    close(k.hold_rate, 1.0 / 3.0);
    close(k.average_hold_secs, 30.0);
    close(k.transfer_rate, 0.0);
    close(k.conversion_rate, 1.0 / 3.0);
    close(k.csat, 2.0 / 3.0);
    close(k.average_survey_score, 11.0 / 3.0);
    close(k.talk_to_listen, 20.0 / 60.0);
    close(k.overtalk_rate, 10.0 / 300.0);
    // A's customer called again within the window: 2 of 3 resolved.
    close(k.fcr_rate, 2.0 / 3.0);
    assert_eq!(k.occupancy, None);
}

#[test]
fn agent_kpis_match_the_hand_computed_values() {
    let engine = engine(ServiceLevelDefinition::AnsweredWithinOverOffered);
    let interval = engine.interval_of(t(0));
    let def = ServiceLevelDefinition::AnsweredWithinOverOffered;
    let a7 = engine.agent(interval, AgentId(7)).unwrap().kpis(def);
    close(a7.aht_secs, (360.0 + 60.0) / 2.0);
    close(a7.fcr_rate, 1.0 / 2.0);
    close(a7.csat, 1.0);
    close(a7.conversion_rate, 1.0 / 2.0);
    let a8 = engine.agent(interval, AgentId(8)).unwrap().kpis(def);
    close(a8.aht_secs, 80.0);
    close(a8.csat, 0.0);
    close(a8.fcr_rate, 1.0);
}

#[test]
fn buckets_add_up_to_the_total() {
    let engine = engine(ServiceLevelDefinition::AnsweredWithinOverOffered);
    let total = engine.total();
    let mut sum = call_core::kpi::Counters::default();
    for (_, _, c) in engine.queue_buckets() {
        sum += c;
    }
    assert_eq!(sum, total);
    let range = engine.queue_range(QueueId(1), Timestamp::ZERO, t(3600));
    assert_eq!(range, total);
}

#[test]
fn short_abandon_threshold_is_configurable() {
    let mut engine = KpiEngine::new(KpiConfig {
        short_abandon: Duration::ZERO,
        ..KpiConfig::default()
    });
    for record in records() {
        engine.ingest(&record);
    }
    let c = engine.total();
    assert_eq!((c.offered, c.abandoned, c.short_abandons), (6, 3, 0));
}

#[test]
fn repeat_window_decides_first_contact_resolution() {
    let mut engine = KpiEngine::new(KpiConfig {
        repeat_window: Duration::from_secs(300),
        ..KpiConfig::default()
    });
    for record in records() {
        engine.ingest(&record);
    }
    // D came 600 s after A: outside a 5-minute window, so A was resolved.
    let k = engine
        .total()
        .kpis(ServiceLevelDefinition::AnsweredWithinOverOffered);
    close(k.fcr_rate, 1.0);
}

#[test]
fn calls_land_in_the_interval_they_were_queued_in() {
    let mut engine = KpiEngine::new(KpiConfig {
        interval: Duration::from_secs(60),
        ..KpiConfig::default()
    });
    engine.ingest(&abandoned_in_queue(1, 0, "1", 2, 10, 30)); // queued at 10 s
    engine.ingest(&abandoned_in_queue(2, 100, "2", 2, 10, 30)); // queued at 110 s
    let first = engine.interval_of(t(10));
    let second = engine.interval_of(t(110));
    assert_ne!(first, second);
    assert_eq!(engine.queue(first, QueueId(2)).unwrap().abandoned, 1);
    assert_eq!(engine.queue(second, QueueId(2)).unwrap().abandoned, 1);
}

#[test]
fn occupancy_from_agent_states() {
    // Logged in and ready at 0, reserved 100..105, busy 105..200,
    // after-call work 200..230, ready until logout at 400.
    let mut engine = KpiEngine::new(KpiConfig {
        interval: Duration::from_secs(300),
        ..KpiConfig::default()
    });
    let s = Timestamp::from_secs;
    let mut agent = Agent::new(AgentId(7), s(0));
    let mut changes = vec![agent.log_in(s(0)).unwrap(), agent.ready(s(0)).unwrap()];
    changes.push(agent.reserve(s(100), CallId(1)).unwrap());
    changes.push(agent.connect(s(105), CallId(1)).unwrap());
    changes.push(agent.disconnect(s(200), CallId(1)).unwrap());
    changes.push(agent.finish_wrap_up(s(230)).unwrap());
    changes.push(agent.log_out(s(400)).unwrap());
    for change in &changes {
        engine.ingest_agent_change(change);
    }
    let def = ServiceLevelDefinition::AnsweredWithinOverOffered;
    // First interval 0..300: occupied 5 + 95 + 30 = 130 s, ready 100 + 70 = 170 s.
    close(
        engine.agent(s(0), AgentId(7)).unwrap().kpis(def).occupancy,
        130.0 / 300.0,
    );
    // Second interval 300..400: ready only.
    close(
        engine
            .agent(s(300), AgentId(7))
            .unwrap()
            .kpis(def)
            .occupancy,
        0.0,
    );
    // Whole shift: 130 / 400.
    close(
        engine
            .agent_range(AgentId(7), s(0), s(600))
            .kpis(def)
            .occupancy,
        130.0 / 400.0,
    );
}

#[test]
fn transfer_rate_counts_the_transferring_agent() {
    let record = common::transferred_call(10, 0);
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    let def = ServiceLevelDefinition::AnsweredWithinOverOffered;
    let total = engine.total().kpis(def);
    close(total.transfer_rate, 1.0);
    // ASA: queued at 20 s, agent 8 answered at 60 s.
    close(total.asa_secs, 40.0);
    // Agent 8: connected 60..150 with holds 90..120 and 130..150 (50 s),
    // wrap 150..180: talk 40 + hold 50 + wrap 30 = 120 s.
    let i8 = engine.interval_of(t(60));
    let a8 = engine.agent(i8, AgentId(8)).unwrap();
    assert_eq!(
        (a8.talk_ms, a8.hold_ms, a8.wrap_up_ms, a8.transferred),
        (40_000, 50_000, 30_000, 1)
    );
    // Agent 9: connected 135..300; the consultation hold 130..150 began
    // before agent 9 answered, so it is agent 8's; wrap 300..360.
    let a9 = engine
        .agent(engine.interval_of(t(135)), AgentId(9))
        .unwrap();
    assert_eq!(
        (a9.talk_ms, a9.hold_ms, a9.wrap_up_ms, a9.transferred),
        (165_000, 0, 60_000, 0)
    );
    // Per contact: handled once, both agents' time summed.
    assert_eq!(engine.total().handled, 1);
}
