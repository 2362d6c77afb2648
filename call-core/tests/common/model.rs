//! A driver that decodes arbitrary bytes into call operations, platform
//! reports and timeouts, applies them to a `Call` with a `CdrBuilder`
//! following along, and checks the model's invariants after every step.
//! Shared by the proptest suite (`tests/model_props.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/call_model.rs`, which includes this file by path).
//!
//! Invariants checked, besides `Call::check_invariants`:
//! - at most one consultation (transfer) in progress: a new consultation
//!   leg never appears while one is live;
//! - cleared legs never return: an ended leg keeps its state and end time;
//! - legs are never removed and ids never reused;
//! - every ended call has exactly one disposition and one `call_cleared`
//!   event, closed calls exactly one `closed` event, with the same disposition;
//! - event times never go backwards; every duration in the record is
//!   non-negative, queue waits fit in the call, and each agent's talk plus
//!   hold equals their connected time;
//! - the call detail record builder accepts every event the call emits.

use call_core::agent::Agent;
use call_core::call::{Call, CallLimits};
use call_core::cause::Q850Cause;
use call_core::cdr::CdrBuilder;
use call_core::event::CallEvent;
use call_core::id::{AgentId, CallId, LegId, ParkSlot, QueueId};
use call_core::leg::ConnectionState;
use call_core::party::{Address, Party};
use call_core::time::Timestamp;
use std::time::Duration;

const CAUSES: [Q850Cause; 6] = [
    Q850Cause::NORMAL_CLEARING,
    Q850Cause::USER_BUSY,
    Q850Cause::NO_ANSWER,
    Q850Cause::CALL_REJECTED,
    Q850Cause::NO_ROUTE_DESTINATION,
    Q850Cause::TEMPORARY_FAILURE,
];

/// What a run did, for coverage checks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub steps: usize,
    pub accepted: usize,
    pub events: usize,
    pub closed: bool,
    pub transfers: usize,
}

fn party(arg: u8) -> Party {
    if arg.is_multiple_of(3) {
        Party::External(Address::new("+15550123").unwrap_or_else(|_| unreachable!()))
    } else {
        Party::Agent(AgentId(u32::from(arg % 5)))
    }
}

/// Run `bytes` as a script. `Err` describes the first broken invariant.
pub fn run(bytes: &[u8]) -> Result<Stats, String> {
    let mut chunks = bytes.chunks_exact(3);
    let Some(first) = chunks.next() else {
        return Ok(Stats::default());
    };
    let limits = CallLimits {
        ring_no_answer: Some(Duration::from_millis(u64::from(first[1]) * 100 + 1)),
        wrap_up: if first[2].is_multiple_of(4) {
            None
        } else {
            Some(Duration::from_millis(u64::from(first[2]) * 50))
        },
        max_queue_wait: if first[1].is_multiple_of(3) {
            None
        } else {
            Some(Duration::from_secs(u64::from(first[1])))
        },
        max_call_length: if first[2].is_multiple_of(5) {
            Some(Duration::from_secs(600))
        } else {
            None
        },
    };
    let mut now = Timestamp::from_millis(1_000_000);
    let address = Address::new("+15550100").map_err(|e| e.to_string())?;
    let mut call = match first[0] % 3 {
        0 => Call::inbound(CallId(1), now, address, None, limits),
        1 => Call::outbound(CallId(1), now, address, None, limits),
        _ => Call::preview(CallId(1), now, address, None, limits),
    };
    let mut cdr = CdrBuilder::new(CallId(1));
    // Agents 0..5 follow the events; their own errors are allowed (the
    // script may offer a busy agent), panics and broken time order are not.
    let mut agents: Vec<Agent> = (0..5)
        .map(|id| {
            let mut agent = Agent::new(AgentId(id), now);
            let _ = agent.log_in(now);
            let _ = agent.ready(now);
            agent
        })
        .collect();
    let mut stats = Stats::default();
    let mut ended: Vec<(LegId, ConnectionState, Option<Timestamp>)> = Vec::new();
    let mut legs_seen = 1usize;
    let mut last_event_at = Timestamp::ZERO;
    let mut cleared_events = 0;
    let mut closed_events = 0;
    let mut cleared_disposition = None;

    for chunk in chunks {
        let (kind, a, b) = (chunk[0], chunk[1], chunk[2]);
        stats.steps += 1;
        now = now.saturating_add_millis(u64::from(b % 16) * 500);
        let legs = call.legs().count();
        let leg = LegId(u8::try_from(usize::from(a) % (legs + 1)).unwrap_or(0));
        let cause = CAUSES[usize::from(b) % CAUSES.len()];
        let consult_before = call.consultation_in_progress();
        let ok = match kind % 30 {
            0 => call.dial(now, leg).is_ok(),
            1 => call.ring(now, leg, b.is_multiple_of(2)).is_ok(),
            2 => call.answer(now, leg).is_ok(),
            3 => call.reject(now, leg, cause).is_ok(),
            4 => call.hold(now, leg).is_ok(),
            5 => call.retrieve(now, leg).is_ok(),
            6 => call.mute(now, leg).is_ok(),
            7 => call.unmute(now, leg).is_ok(),
            8 => call.hangup(now, leg, cause).is_ok(),
            9 => call.complete_self_service(now).is_ok(),
            10 => call.enqueue(now, QueueId(u32::from(b % 3))).is_ok(),
            11 => call.offer(now, AgentId(u32::from(b % 5))).is_ok(),
            12 => call.blind_transfer(now, leg, party(b)).is_ok(),
            13 => call.consult(now, leg, party(b)).is_ok(),
            14 => call.complete_transfer(now).is_ok(),
            15 => call.cancel_consultation(now).is_ok(),
            16 => call.conference(now).is_ok(),
            17 => call.add_participant(now, party(b)).is_ok(),
            18 => call.remove_participant(now, leg).is_ok(),
            19 => call.deflect(now, leg, party(b)).is_ok(),
            20 => call.park(now, leg, ParkSlot(u16::from(b % 2))).is_ok(),
            21 => call
                .pickup(now, ParkSlot(u16::from(b % 2)), party(b))
                .is_ok(),
            22 => call.request_callback(now).is_ok(),
            23 => call.end_wrap_up(now, leg).is_ok(),
            24 => call.handle_alerting(now, leg, b.is_multiple_of(2)).is_ok(),
            25 | 26 => call.handle_answered(now, leg).is_ok(),
            27 => call
                .handle_remote_hold(now, leg, b.is_multiple_of(2))
                .is_ok(),
            28 => call.handle_cleared(now, leg, cause).is_ok(),
            _ => {
                if b.is_multiple_of(2) {
                    call.handle_failed(now, leg, cause).is_ok()
                } else {
                    // Jump to the next deadline (or a little past it).
                    if let Some(deadline) = call.poll_timeout() {
                        now = now.max(deadline).saturating_add_millis(u64::from(a % 3));
                    }
                    call.handle_timeout(now);
                    true
                }
            }
        };
        stats.accepted += usize::from(ok);

        call.check_invariants()
            .map_err(|e| format!("step {}: {e}", stats.steps))?;

        // At most one transfer in progress: a consultation, blind transfer,
        // park or offer never starts while a consultation is in progress.
        if consult_before && ok && matches!(kind % 30, 11 | 12 | 13 | 20) {
            return Err(format!(
                "step {}: a second transfer started during a consultation",
                stats.steps
            ));
        }

        // Legs are never removed; ended legs never come back.
        let count = call.legs().count();
        if count < legs_seen {
            return Err(format!("step {}: legs disappeared", stats.steps));
        }
        legs_seen = count;
        for (id, state, at) in &ended {
            let leg = call
                .leg(*id)
                .ok_or_else(|| format!("step {}: {id} vanished", stats.steps))?;
            if leg.state() != *state || leg.ended_at() != *at {
                return Err(format!(
                    "step {}: ended {id} changed to {}",
                    stats.steps,
                    leg.state()
                ));
            }
        }
        for leg in call.legs() {
            if leg.state().is_ended() && !ended.iter().any(|(id, _, _)| *id == leg.id()) {
                ended.push((leg.id(), leg.state(), leg.ended_at()));
            }
        }

        while let Some(event) = call.poll_event() {
            stats.events += 1;
            if event.at() < last_event_at {
                return Err(format!(
                    "step {}: event time went backwards: {event:?}",
                    stats.steps
                ));
            }
            last_event_at = event.at();
            match &event {
                CallEvent::CallCleared { disposition, .. } => {
                    cleared_events += 1;
                    cleared_disposition = Some(*disposition);
                }
                CallEvent::Closed { disposition, .. } => {
                    closed_events += 1;
                    if Some(*disposition) != cleared_disposition {
                        return Err(format!(
                            "step {}: closed with another disposition",
                            stats.steps
                        ));
                    }
                }
                CallEvent::Transferred { .. } => stats.transfers += 1,
                _ => {}
            }
            cdr.observe(&event)
                .map_err(|e| format!("step {}: CDR rejected {event:?}: {e}", stats.steps))?;
            for agent in &mut agents {
                let since = agent.since();
                if let Ok(Some(change)) = agent.observe(&event)
                    && (change.from_since != since || change.at < since)
                {
                    return Err(format!(
                        "step {}: agent time went backwards: {change:?}",
                        stats.steps
                    ));
                }
            }
        }
        if cleared_events > 1 || closed_events > 1 {
            return Err(format!(
                "step {}: call cleared or closed twice",
                stats.steps
            ));
        }
        if call.is_cleared() != (cleared_events == 1) || call.is_closed() != (closed_events == 1) {
            return Err(format!(
                "step {}: cleared/closed events disagree with the call",
                stats.steps
            ));
        }
        if call.is_cleared() && call.disposition().is_none() {
            return Err(format!(
                "step {}: an ended call has no disposition",
                stats.steps
            ));
        }
        if !call.is_cleared() && call.disposition().is_some() {
            return Err(format!(
                "step {}: a live call has a disposition",
                stats.steps
            ));
        }
        if call.is_closed() {
            break;
        }
    }

    // Close the call if the script did not, then check the record.
    if !call.is_closed() {
        for id in 0..call.legs().count() {
            let id = LegId(u8::try_from(id).unwrap_or(0));
            let _ = call.hangup(now, id, Q850Cause::NORMAL_CLEARING);
        }
        now = now.saturating_add_millis(3_600_000);
        call.handle_timeout(now);
        for id in 0..call.legs().count() {
            let _ = call.end_wrap_up(now, LegId(u8::try_from(id).unwrap_or(0)));
        }
        call.check_invariants()
            .map_err(|e| format!("closing: {e}"))?;
        while let Some(event) = call.poll_event() {
            cdr.observe(&event)
                .map_err(|e| format!("closing: CDR rejected {event:?}: {e}"))?;
        }
    }
    if !call.is_closed() {
        return Err("the call could not be closed".to_owned());
    }
    stats.closed = true;
    let record = cdr.finish(&call).map_err(|e| format!("finish: {e}"))?;
    if Some(record.disposition) != call.disposition() {
        return Err("the record's disposition differs from the call's".to_owned());
    }
    let span = record.closed_at.millis_since(record.created_at);
    if record.cleared_at < record.created_at || record.closed_at < record.cleared_at {
        return Err("call times are out of order".to_owned());
    }
    if record.queue_ms() > span {
        return Err("queue waits exceed the call".to_owned());
    }
    for segment in &record.segments {
        if segment.end < segment.start {
            return Err(format!("negative segment {segment:?}"));
        }
    }
    for hold in &record.holds {
        if hold.end < hold.start {
            return Err(format!("negative hold {hold:?}"));
        }
    }
    for agent in record.agents.iter().copied() {
        let connected = record.agent_connected_ms(agent);
        if record.agent_talk_ms(agent) + record.agent_hold_ms(agent) != connected {
            return Err(format!("agent {agent}: talk + hold != connected"));
        }
    }
    let json = serde_json::to_string(&record).map_err(|e| e.to_string())?;
    let back: call_core::cdr::CallDetailRecord =
        serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if back != record {
        return Err("the record does not survive a JSON round trip".to_owned());
    }
    Ok(stats)
}
