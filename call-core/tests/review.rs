//! Regression tests from an adversarial review: each one reproduces a defect
//! found by reading the code against `docs/core.md`, `docs/cdr.md` and
//! `docs/kpis.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use call_core::agent::{Agent, AgentStateChanged};
use call_core::call::Phase;
use call_core::cause::{PlatformCause, Q850Cause};
use call_core::cdr::CallDetailRecord;
use call_core::disposition::{AbandonPhase, Disposition};
use call_core::error::AgentChangeError;
use call_core::event::{CallEvent, DequeueReason};
use call_core::id::{AgentId, LegId, ParkSlot, QueueId};
use call_core::kpi::{Counters, KpiConfig, KpiEngine, ServiceLevelDefinition};
use call_core::leg::{ConnectionState, HoldState};
use call_core::party::Party;
use call_core::time::Timestamp;
use common::{Recorder, addr, t};

fn platform_cause_of(r: &Recorder, leg: LegId) -> Option<PlatformCause> {
    r.events.iter().find_map(|e| match e {
        CallEvent::ConnectionCleared {
            leg: l,
            platform_cause,
            ..
        } if *l == leg => Some(*platform_cause),
        _ => None,
    })?
}

/// An inbound call answered at 0 s, queued at 1 s, offered to agent 1 at
/// 5 s and talking to it from 10 s; returns the agent's leg too.
fn talking_to_agent_1() -> (Recorder, LegId) {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(0), LegId(0)).unwrap();
    r.call.enqueue(t(1), QueueId(1)).unwrap();
    let a = r.call.offer(t(5), AgentId(1)).unwrap();
    r.call.handle_answered(t(10), a).unwrap();
    (r, a)
}

/// The host hanging up the customer while an agent rings is not the caller
/// abandoning: the agent's leg is cancelled (`originator_cancel`), not
/// marked `caller_abandoned`, which the docs reserve for an abandon.
#[test]
fn host_hangup_while_an_agent_rings_is_not_caller_abandoned() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(0), LegId(0)).unwrap();
    r.call.enqueue(t(5), QueueId(1)).unwrap();
    let agent = r.call.offer(t(10), AgentId(7)).unwrap();
    r.call.handle_alerting(t(10), agent, false).unwrap();
    r.call
        .hangup(t(12), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    assert_eq!(r.call.abandoned(), None);
    assert_eq!(
        platform_cause_of(&r, agent),
        Some(PlatformCause::ORIGINATOR_CANCEL)
    );
}

/// The caller hanging up while the agent rings is an abandon, and the agent
/// leg says so.
#[test]
fn caller_hangup_while_an_agent_rings_is_caller_abandoned() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(0), LegId(0)).unwrap();
    r.call.enqueue(t(5), QueueId(1)).unwrap();
    let agent = r.call.offer(t(10), AgentId(7)).unwrap();
    r.call
        .handle_cleared(t(12), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    assert!(r.call.abandoned().is_some());
    assert_eq!(
        platform_cause_of(&r, agent),
        Some(PlatformCause::CALLER_ABANDONED)
    );
}

/// A call an agent answered directly from self-service, queued only after
/// that agent left, was never answered *from the queue*: speed of answer is
/// undefined (not zero) and the queue must not count it as answered within
/// the service level.
#[test]
fn an_answer_before_the_first_queue_entry_is_not_a_queue_answer() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(0), LegId(0)).unwrap();
    let agent = r.call.offer(t(5), AgentId(7)).unwrap();
    r.call.handle_answered(t(8), agent).unwrap();
    r.call
        .hangup(t(60), agent, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    assert_eq!(r.call.phase(), Phase::SelfService);
    r.call.enqueue(t(70), QueueId(1)).unwrap();
    r.call.request_callback(t(200)).unwrap();
    r.drain();
    r.call.handle_timeout(t(1000));
    let record = r.finish();
    assert_eq!(record.speed_of_answer_ms(), None);
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    let total = engine.total();
    assert_eq!(total.offered, 1);
    assert_eq!(total.answered, 0);
    assert_eq!(total.answered_within, 0);
}

/// The same call answered again from the queue: speed of answer runs from
/// the first queue entry to that later answer.
#[test]
fn a_queue_answer_after_a_direct_one_is_measured_from_the_queue() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(0), LegId(0)).unwrap();
    let first = r.call.offer(t(5), AgentId(7)).unwrap();
    r.call.handle_answered(t(8), first).unwrap();
    r.call
        .hangup(t(60), first, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.call.enqueue(t(70), QueueId(1)).unwrap();
    let second = r.call.offer(t(90), AgentId(8)).unwrap();
    r.call.handle_answered(t(100), second).unwrap();
    r.call
        .handle_cleared(t(200), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    r.call.handle_timeout(t(1000));
    let record = r.finish();
    assert_eq!(record.speed_of_answer_ms(), Some(30_000));
}

/// An outbound call's customer leg that is still ringing the customer is
/// not answered because the agent it was offered to (progressive dialling)
/// picked up first: the customer answers with its own 200 OK.
#[test]
fn an_agent_answering_does_not_answer_a_ringing_outbound_customer() {
    let mut r = Recorder::outbound(1, 0, "+15550100");
    r.call.handle_alerting(t(1), LegId(0), false).unwrap();
    let agent = r.call.offer(t(2), AgentId(7)).unwrap();
    r.call.handle_answered(t(3), agent).unwrap();
    assert_eq!(
        r.call.leg(LegId(0)).unwrap().state(),
        ConnectionState::Alerting { early_media: false }
    );
    r.call.handle_answered(t(10), LegId(0)).unwrap();
    r.drain();
    assert_eq!(r.call.leg(LegId(0)).unwrap().answered_at(), Some(t(10)));
}

/// An offer deflected to an outside number (not an agent) while the
/// customer's own incoming leg is still unanswered (queueing with early
/// media): when the new party answers, the customer must be connected, as
/// for an agent answering an offer, or the two are never joined.
#[test]
fn a_deflected_offer_answered_connects_the_unanswered_customer() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.ring(t(0), LegId(0), true).unwrap();
    r.call.enqueue(t(1), QueueId(1)).unwrap();
    let agent = r.call.offer(t(5), AgentId(7)).unwrap();
    let mobile = r
        .call
        .deflect(t(7), agent, Party::External(addr("+15550199")))
        .unwrap()
        .unwrap();
    r.call.handle_answered(t(9), mobile).unwrap();
    assert!(r.call.leg(LegId(0)).unwrap().state().is_connected());
    r.call
        .handle_cleared(t(30), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    let record = r.finish();
    assert_eq!(record.answered_at, Some(t(9)));
}

/// Logged-out time is not agent time: folding the log-in of an agent that
/// was logged out for a long span must not create an (empty) counter block
/// for every interval of that span. With `Agent::new(id, Timestamp::ZERO)`
/// and a log-in today this was two million blocks for one change.
#[test]
fn logged_out_time_creates_no_agent_buckets() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    let mut agent = Agent::new(AgentId(3), Timestamp::ZERO);
    let change = agent.log_in(t(0)).unwrap();
    engine.ingest_agent_change(&change);
    assert_eq!(engine.agent_buckets().count(), 0);
    // Time that is counted still lands in its intervals.
    let change = agent.ready(t(60)).unwrap();
    engine.ingest_agent_change(&change);
    let (_, _, counters) = engine.agent_buckets().next().unwrap();
    assert_eq!(counters.not_ready_ms, 60_000);
    assert_eq!(engine.agent_buckets().count(), 1);
}

/// A caller queueing with early media (never answered by the platform) who
/// hangs up in the queue has abandoned the queue; only a hang-up before
/// answer outside a queue, with no agent ringing, is `canceled`.
#[test]
fn hanging_up_in_an_early_media_queue_is_an_abandon() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.ring(t(0), LegId(0), true).unwrap();
    r.call.enqueue(t(1), QueueId(1)).unwrap();
    r.call
        .handle_cleared(t(30), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    let record = r.finish();
    assert_eq!(record.answered_at, None);
    assert_eq!(record.abandoned, Some(AbandonPhase::Queue));
    assert_eq!(record.disposition, Disposition::Abandoned);

    let mut r = Recorder::inbound(2, 0, "+15550100");
    r.call.ring(t(0), LegId(0), true).unwrap();
    r.call
        .handle_cleared(t(30), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    let record = r.finish();
    assert_eq!(record.abandoned, None);
    assert_eq!(record.disposition, Disposition::Canceled);
}

/// The survey belongs to the *last* agent who handled the contact: after
/// A transfers to B and B transfers back to A, that is A, although B was
/// offered the call after A first did.
#[test]
fn the_survey_goes_to_the_last_handler_after_a_transfer_back() {
    let (mut r, a) = talking_to_agent_1();
    let b = r.call.consult(t(20), a, Party::Agent(AgentId(2))).unwrap();
    r.call.handle_answered(t(25), b).unwrap();
    r.call.complete_transfer(t(30)).unwrap();
    let a_again = r.call.consult(t(40), b, Party::Agent(AgentId(1))).unwrap();
    r.call.handle_answered(t(45), a_again).unwrap();
    r.call.complete_transfer(t(50)).unwrap();
    r.call
        .handle_cleared(t(100), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    r.call.handle_timeout(t(1000));
    r.cdr.survey_score(5).unwrap();
    let record = r.finish();
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    let surveys = |agent: u32| {
        engine
            .agent_buckets()
            .filter(|(_, a, _)| *a == AgentId(agent))
            .map(|(_, _, c)| c.surveys)
            .sum::<u64>()
    };
    assert_eq!(surveys(1), 1);
    assert_eq!(surveys(2), 0);
    assert_eq!(engine.total().surveys, 1);
}

/// A reversed range is empty, not a panic (`BTreeMap::range` panics when
/// the start is after the end).
#[test]
fn reversed_kpi_ranges_are_empty() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&common::abandoned_in_queue(1, 0, "+15550100", 1, 10, 40));
    let (from, to) = (t(3600), t(0));
    assert_eq!(engine.queue_range(QueueId(1), from, to).offered, 0);
    assert_eq!(engine.agent_range(AgentId(1), from, to).handled, 0);
    assert_eq!(engine.queue_range(QueueId(1), to, from).offered, 1);
}

/// Records are plain data a host may read back from JSON: a record whose
/// agent leg ends before it was answered must not panic the KPI engine
/// (the speech KPIs subtracted end − start of such a span).
#[test]
fn a_record_with_a_backwards_leg_does_not_panic_the_kpis() {
    let mut record = common::transferred_call(1, 0);
    let leg = record
        .legs
        .iter_mut()
        .find(|l| l.party.agent() == Some(AgentId(8)))
        .unwrap();
    leg.ended_at = Some(t(50));
    assert!(leg.answered_at > leg.ended_at);
    let json = serde_json::to_string(&record).unwrap();
    let record: call_core::cdr::CallDetailRecord = serde_json::from_str(&json).unwrap();
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    let c = engine.agent_range(AgentId(8), t(0), t(3600));
    assert_eq!(c.speech_conversation_ms, 0);
    assert_eq!(c.agent_speech_ms, 0);
}

/// A blind transfer hands the other party to the target: if the
/// transferring agent had put that party on hold first (the usual way to
/// dial a transfer), it must come off our hold, as in a completed attended
/// transfer; otherwise it hears music for the rest of the call, with nobody
/// left who can retrieve it, and the record shows a hold the target never
/// placed.
#[test]
fn a_blind_transfer_takes_the_transferred_party_off_hold() {
    let (mut r, a) = talking_to_agent_1();
    r.call.hold(t(20), LegId(0)).unwrap();
    let b = r
        .call
        .blind_transfer(t(25), a, Party::Agent(AgentId(2)))
        .unwrap();
    r.call.handle_answered(t(30), b).unwrap();
    assert_eq!(
        r.call.leg(LegId(0)).unwrap().state(),
        ConnectionState::Connected {
            hold: HoldState::None
        }
    );
    r.call
        .handle_cleared(t(100), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    r.call.handle_timeout(t(1000));
    let record = r.finish();
    assert_eq!(record.holds.len(), 1);
    assert_eq!(record.holds[0].end, t(25));
    assert_eq!(record.agent_hold_ms(AgentId(1)), 5_000);
}

/// `Counters` are serde data hosts store and add back: sums near the top of
/// `u64` (a corrupt or hostile store) saturate instead of panicking (debug)
/// or wrapping to a tiny value (release).
#[test]
fn counters_from_storage_saturate_instead_of_overflowing() {
    let mut value = serde_json::to_value(Counters::default()).unwrap();
    value["handled"] = 1.into();
    value["talk_ms"] = u64::MAX.into();
    value["hold_ms"] = 1.into();
    value["occupied_ms"] = u64::MAX.into();
    value["ready_ms"] = 1.into();
    value["answered"] = u64::MAX.into();
    value["abandoned"] = 1.into();
    let stored: Counters = serde_json::from_value(value).unwrap();
    let kpis = stored.kpis(ServiceLevelDefinition::AnsweredAndAbandonedWithin);
    assert!(kpis.aht_secs.unwrap() > 1.0e15);
    assert!(kpis.occupancy.unwrap() > 0.99);
    let mut sum = stored;
    sum += &stored;
    assert_eq!(sum.talk_ms, u64::MAX);
    assert_eq!(sum.handled, 2);
}

/// The host clearing a queued customer (a hang-up or a redirect we make) is
/// not the customer hanging up: the queue wait ends `cleared`, not
/// `abandoned`, matching the call's own outcome (not abandoned).
#[test]
fn the_host_clearing_a_queued_customer_is_not_a_queue_abandon() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(0), LegId(0)).unwrap();
    r.call.enqueue(t(1), QueueId(1)).unwrap();
    r.call
        .hangup(t(30), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    let record = r.finish();
    assert_eq!(record.abandoned, None);
    assert_eq!(record.queue_waits[0].outcome, Some(DequeueReason::Cleared));

    let mut r = Recorder::inbound(2, 0, "+15550100");
    r.call.ring(t(0), LegId(0), true).unwrap();
    r.call.enqueue(t(1), QueueId(1)).unwrap();
    r.call
        .deflect(t(30), LegId(0), Party::External(addr("+15550199")))
        .unwrap();
    let record = r.finish();
    assert_eq!(record.disposition, Disposition::Deflected);
    assert_eq!(record.queue_waits[0].outcome, Some(DequeueReason::Cleared));

    // The customer hanging up is still an abandon.
    let record = common::abandoned_in_queue(3, 0, "+15550100", 1, 1, 30);
    assert_eq!(
        record.queue_waits[0].outcome,
        Some(DequeueReason::Abandoned)
    );
}

/// The consulting agent may hold the consultation leg (to speak to someone
/// else) and then complete the transfer: the target it hands the customer
/// to must come off our hold too, or the two parties joined by the
/// transfer cannot hear each other and nobody who held it is left.
#[test]
fn completing_a_transfer_takes_a_held_target_off_hold() {
    for hang_up in [false, true] {
        let (mut r, a) = talking_to_agent_1();
        let b = r.call.consult(t(20), a, Party::Agent(AgentId(2))).unwrap();
        r.call.handle_answered(t(25), b).unwrap();
        r.call.hold(t(30), b).unwrap();
        if hang_up {
            r.call.hangup(t(35), a, Q850Cause::NORMAL_CLEARING).unwrap();
        } else {
            r.call.complete_transfer(t(35)).unwrap();
        }
        for leg in [LegId(0), b] {
            assert_eq!(
                r.call.leg(leg).unwrap().state(),
                ConnectionState::Connected {
                    hold: HoldState::None
                },
                "{leg} after the transfer (hang-up: {hang_up})"
            );
        }
    }
}

/// Found by the `call_model` fuzz target after the blind-transfer fix: a
/// parked party handed over by a blind transfer stays parked and held (it
/// is retrieved by a pickup, not by the transfer).
#[test]
fn a_blind_transfer_of_a_parked_party_keeps_it_parked() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(0), LegId(0)).unwrap();
    let agent = r.call.offer(t(1), AgentId(1)).unwrap();
    r.call.handle_answered(t(2), agent).unwrap();
    let p = r
        .call
        .add_participant(t(3), Party::External(addr("+15550111")))
        .unwrap();
    // The customer parks the agent and leaves; the participant answers.
    r.call.park(t(4), LegId(0), ParkSlot(1)).unwrap();
    r.call.handle_answered(t(5), p).unwrap();
    r.call
        .blind_transfer(t(6), p, Party::External(addr("+15550122")))
        .unwrap();
    r.call.check_invariants().unwrap();
    assert_eq!(r.call.parked_in(), Some(ParkSlot(1)));
}

/// First-contact resolution counts the *customer* contacting again: an
/// outbound call we place to the same number (a follow-up) is not a repeat
/// contact and must not mark the customer's earlier call unresolved.
#[test]
fn an_outbound_follow_up_is_not_a_repeat_contact() {
    let (mut r, _) = talking_to_agent_1();
    r.call
        .handle_cleared(t(100), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    r.call.handle_timeout(t(1000));
    let first = r.finish();

    let mut r = Recorder::outbound(2, 3600, "+15550100");
    r.call.handle_answered(t(3610), LegId(0)).unwrap();
    let a = r.call.offer(t(3611), AgentId(1)).unwrap();
    r.call.handle_answered(t(3612), a).unwrap();
    r.call
        .handle_cleared(t(3700), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    r.call.handle_timeout(t(5000));
    let follow_up = r.finish();

    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&first);
    engine.ingest(&follow_up);
    let total = engine.total();
    assert_eq!(total.fcr_repeats, 0);
    assert_eq!(total.fcr_contacts, 1);
    assert_eq!(total.handled, 2);
}

/// `add_participant` documents "a conference when it answers": a
/// participant dialled before a consultation started and answering during
/// it joins the agent and the customer, so the call is a conference (only
/// the consultation leg itself answering is not one).
#[test]
fn a_participant_answering_during_a_consultation_makes_a_conference() {
    let (mut r, a) = talking_to_agent_1();
    let p = r
        .call
        .add_participant(t(12), Party::External(addr("+15550111")))
        .unwrap();
    let b = r.call.consult(t(20), a, Party::Agent(AgentId(2))).unwrap();
    r.call.handle_answered(t(25), b).unwrap();
    r.drain();
    assert!(
        !r.events
            .iter()
            .any(|e| matches!(e, CallEvent::Conferenced { .. }))
    );
    r.call.handle_answered(t(26), p).unwrap();
    r.drain();
    assert!(r.events.iter().any(|e| matches!(
        e,
        CallEvent::Conferenced { leg, parties: 3, .. } if *leg == p
    )));
}

/// `time_to_abandon_ms` of an abandon that never queued runs from creation
/// (its documentation said it was only for calls abandoned after queueing).
#[test]
fn time_to_abandon_without_a_queue_runs_from_creation() {
    let mut r = Recorder::inbound(1, 0, "+15550100");
    r.call.answer(t(2), LegId(0)).unwrap();
    r.call
        .handle_cleared(t(9), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    let record = r.finish();
    assert_eq!(record.abandoned, Some(AbandonPhase::SelfService));
    assert_eq!(record.time_to_abandon_ms(), Some(9_000));
}

/// Agent 3's change from `from` (a JSON state object) to logged out, read
/// back from a host's store.
fn stored_change(from: &str, from_since: Timestamp, at: Timestamp) -> AgentStateChanged {
    let json = format!(
        r#"{{"event":"agent_state_changed","agent":3,"at":{},"from":{from},"from_since":{},"to":{{"state":"logged_out"}}}}"#,
        at.as_millis(),
        from_since.as_millis(),
    );
    serde_json::from_str(&json).unwrap()
}

const READY: &str = r#"{"state":"ready"}"#;

/// A stored agent state change is host-supplied data: one whose span covers
/// more intervals than the engine's limit must not make a counter block for
/// each of them. A ready state from the epoch to 2025 was 1.96 million
/// blocks (830 MiB, 3 s) for one 130-byte record. Here: 20,000 intervals of
/// 15 minutes (208 days), twice the default limit, so the old code fails fast.
#[test]
fn an_agent_state_spanning_too_many_intervals_makes_no_buckets() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    let change = stored_change(READY, t(0), t(20_000 * 900));
    engine.ingest_agent_change(&change);
    assert_eq!(engine.agent_buckets().count(), 0);
    assert_eq!(engine.refused_agent_changes(), 1);
}

/// The fallible form names the agent, the span and the limit; the epoch to
/// now is refused without walking its 1.96 million intervals.
#[test]
fn an_agent_state_since_the_epoch_is_a_typed_error() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    let change = stored_change(
        r#"{"state":"not_ready","reason":100}"#,
        Timestamp::ZERO,
        Timestamp::from_millis(1_763_700_000_000),
    );
    let err = engine.try_ingest_agent_change(&change).unwrap_err();
    assert_eq!(
        err,
        AgentChangeError::SpanTooLong {
            agent: AgentId(3),
            state: "not_ready",
            from_since: Timestamp::ZERO,
            at: Timestamp::from_millis(1_763_700_000_000),
            intervals: 1_959_667,
            max: 10_000,
        }
    );
    assert_eq!(
        err.to_string(),
        "agent-3: the not_ready span from 0.000 to 1763700000.000 covers 1959667 intervals; the limit is 10000"
    );
    assert_eq!(engine.agent_buckets().count(), 0);
    // The try_ form reports instead of tallying.
    assert_eq!(engine.refused_agent_changes(), 0);
    // Far in the future is refused the same way.
    let change = stored_change(r#"{"state":"busy","call":1}"#, t(0), Timestamp::MAX);
    assert!(matches!(
        engine.try_ingest_agent_change(&change),
        Err(AgentChangeError::SpanTooLong { .. })
    ));
}

/// A stored change that ends before the previous state began counted
/// nothing and was accepted as if it were fine; it is refused with its own
/// error, and the tallying form counts it as refused. A zero-length span is
/// still fine.
#[test]
fn an_agent_state_ending_before_it_began_is_a_typed_error() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    let change = stored_change(READY, t(100), t(40));
    let err = engine.try_ingest_agent_change(&change).unwrap_err();
    assert_eq!(
        err,
        AgentChangeError::Reversed {
            agent: AgentId(3),
            state: "ready",
            from_since: t(100),
            at: t(40),
        }
    );
    assert_eq!(
        err.to_string(),
        "agent-3: the ready span ends at 1699999240.000, before it began at 1699999300.000"
    );
    engine.ingest_agent_change(&change);
    assert_eq!(engine.refused_agent_changes(), 1);
    assert_eq!(engine.agent_buckets().count(), 0);
    assert_eq!(
        engine.try_ingest_agent_change(&stored_change(READY, t(40), t(40))),
        Ok(())
    );
}

/// The limit counts the intervals a span touches, partial ones included, so
/// it is exactly the number of counter blocks the span would make; at the
/// limit the change is folded in with every millisecond accounted for.
#[test]
fn the_agent_state_limit_counts_the_buckets_a_span_makes() {
    let config = |max| KpiConfig {
        interval: Duration::from_secs(300),
        max_agent_state_intervals: max,
        ..KpiConfig::default()
    };
    // [150 s, 1350 s) touches the intervals at 0, 300, 600, 900 and 1200 s.
    let change = stored_change(READY, t(150), t(1350));
    let mut engine = KpiEngine::new(config(4));
    assert!(matches!(
        engine.try_ingest_agent_change(&change),
        Err(AgentChangeError::SpanTooLong {
            intervals: 5,
            max: 4,
            ..
        })
    ));
    assert_eq!(engine.agent_buckets().count(), 0);
    let mut engine = KpiEngine::new(config(5));
    engine.try_ingest_agent_change(&change).unwrap();
    assert_eq!(engine.agent_buckets().count(), 5);
    let whole = engine.agent_range(AgentId(3), Timestamp::ZERO, Timestamp::MAX);
    assert_eq!(whole.ready_ms, 1_200_000);

    // The default limit takes 104 days of 15-minute intervals.
    let mut engine = KpiEngine::new(KpiConfig::default());
    let change = stored_change(READY, t(0), t(10_000 * 900));
    engine.try_ingest_agent_change(&change).unwrap();
    assert_eq!(engine.agent_buckets().count(), 10_000);
    let one_more = stored_change(READY, t(0), t(10_000 * 900 + 1));
    assert!(engine.try_ingest_agent_change(&one_more).is_err());
}

/// Logged-out spans are not agent time: any length is fine, no bucket.
#[test]
fn a_logged_out_span_of_any_length_is_not_refused() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    let change = stored_change(r#"{"state":"logged_out"}"#, Timestamp::ZERO, Timestamp::MAX);
    engine.try_ingest_agent_change(&change).unwrap();
    assert_eq!(engine.agent_buckets().count(), 0);
}

/// An interval may be as long as a `Duration` allows; two overlapping stored
/// spans in it added past `u64::MAX` ms (a panic in debug builds, a wrap to
/// a tiny ready time in release).
#[test]
fn overlapping_agent_spans_in_one_huge_interval_saturate() {
    let mut engine = KpiEngine::new(KpiConfig {
        interval: Duration::MAX,
        ..KpiConfig::default()
    });
    let change = stored_change(READY, Timestamp::ZERO, Timestamp::MAX);
    engine.ingest_agent_change(&change);
    engine.ingest_agent_change(&change);
    let (_, _, counters) = engine.agent_buckets().next().unwrap();
    assert_eq!(counters.ready_ms, u64::MAX);
    assert_eq!(engine.agent_buckets().count(), 1);
}

/// The other ingestion path: a call detail record makes one bucket per
/// interval it is attributed to (its queue entry, each agent's answer),
/// never one per interval it spans. A stored record queued at the epoch and
/// abandoned in 2025 makes one interval and one queue bucket.
#[test]
fn a_record_spanning_decades_makes_one_bucket_per_attribution() {
    let mut record: serde_json::Value =
        serde_json::from_str(include_str!("golden/abandoned_in_queue.json")).unwrap();
    record["created_at"] = 0.into();
    record["segments"] = serde_json::json!([]);
    record["queue_waits"][0]["entered_at"] = 0.into();
    record["queue_waits"][0]["left_at"] = 1_763_700_000_000u64.into();
    record["legs"][0]["created_at"] = 0.into();
    record["legs"][0]["answered_at"] = 0.into();
    record["legs"][0]["ended_at"] = 1_763_700_000_000u64.into();
    let record: CallDetailRecord = serde_json::from_value(record).unwrap();
    assert_eq!(record.time_to_abandon_ms(), Some(1_763_700_000_000));
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    assert_eq!(engine.queue_buckets().count(), 1);
    assert_eq!(engine.total().time_to_abandon_ms, 1_763_700_000_000);
}

/// A record from a host's store whose times are decades (or `u64::MAX` ms)
/// apart: the engine's sums saturate instead of overflowing (a panic in
/// debug builds, a wrap to a tiny figure in release).
fn stored_record(edit: impl FnOnce(&mut serde_json::Value)) -> CallDetailRecord {
    let mut record: serde_json::Value =
        serde_json::from_str(include_str!("golden/transferred_call.json")).unwrap();
    edit(&mut record);
    serde_json::from_value(record).unwrap()
}

/// Two abandons after waits of `u64::MAX` ms add up in one queue bucket.
#[test]
fn stored_abandons_with_endless_waits_saturate() {
    let mut record: serde_json::Value =
        serde_json::from_str(include_str!("golden/abandoned_in_queue.json")).unwrap();
    record["queue_waits"][0]["entered_at"] = 0.into();
    record["legs"][0]["ended_at"] = u64::MAX.into();
    let record: CallDetailRecord = serde_json::from_value(record).unwrap();
    assert_eq!(record.time_to_abandon_ms(), Some(u64::MAX));
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    engine.ingest(&record);
    let total = engine.total();
    assert_eq!((total.abandoned, total.time_to_abandon_ms), (2, u64::MAX));
}

/// Two agents each connected for `u64::MAX` ms: the contact's handle time
/// (their sum, per queue) saturates.
#[test]
fn a_stored_contact_with_two_endless_agents_saturates() {
    let record = stored_record(|r| {
        for leg in [2, 3] {
            r["legs"][leg]["answered_at"] = 0.into();
            r["legs"][leg]["ended_at"] = u64::MAX.into();
        }
    });
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    let total = engine.total();
    assert_eq!(total.handled, 1);
    assert_eq!(total.talk_ms, u64::MAX);
    assert_eq!(total.wrap_up_ms, 90_000);
}

/// One agent on two endless legs with two endless wrap-ups, after two
/// endless queue waits: the record's sums saturate.
#[test]
fn a_stored_agent_with_two_endless_legs_saturates() {
    let record = stored_record(|r| {
        r["legs"][3]["party"] = serde_json::json!({ "agent": 8 });
        for leg in [2, 3] {
            r["legs"][leg]["answered_at"] = 0.into();
            r["legs"][leg]["ended_at"] = u64::MAX.into();
        }
        for w in [0, 1] {
            r["wrap_ups"][w]["agent"] = 8.into();
            r["wrap_ups"][w]["start"] = 0.into();
            r["wrap_ups"][w]["end"] = u64::MAX.into();
            r["queue_waits"][w]["entered_at"] = 0.into();
            r["queue_waits"][w]["left_at"] = u64::MAX.into();
        }
    });
    assert_eq!(record.queue_ms(), u64::MAX);
    assert_eq!(record.agent_connected_ms(AgentId(8)), u64::MAX);
    assert_eq!(record.agent_wrap_up_ms(AgentId(8)), u64::MAX);
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    let agent = engine.agent_range(AgentId(8), Timestamp::ZERO, Timestamp::MAX);
    assert_eq!(agent.handled, 1);
    assert_eq!(agent.wrap_up_ms, u64::MAX);
    assert_eq!(agent.talk_ms.saturating_add(agent.hold_ms), u64::MAX);
}
