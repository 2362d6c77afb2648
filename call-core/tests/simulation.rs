//! A deterministic contact-center simulation: calls arrive at random (seeded),
//! wait in one queue, are offered to ready agents, ring without answer, are
//! answered, held, abandoned and hung up, while agents follow the calls'
//! events. Every closed call's record goes into the KPI engine. The test
//! checks that the three models agree with each other over a few thousand
//! calls: agents never get an impossible transition, every call closes, and
//! the KPI counters add up (offered = answered + abandoned, per-agent handled
//! sums to per-queue handled, occupancy within 0..=1, agent time accounted
//! for exactly).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use call_core::agent::{Agent, AgentState};
use call_core::call::{Call, CallLimits, Phase};
use call_core::cause::Q850Cause;
use call_core::cdr::CdrBuilder;
use call_core::id::{AgentId, CallId, LegId, QueueId};
use call_core::kpi::{KpiConfig, KpiEngine, ServiceLevelDefinition};
use call_core::party::Address;
use call_core::time::Timestamp;

/// A small, seeded generator (SplitMix64), so the run is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

struct Live {
    call: Call,
    cdr: CdrBuilder,
    agent_leg: Option<LegId>,
}

const AGENTS: u32 = 8;
const QUEUE: QueueId = QueueId(1);

#[test]
fn calls_agents_records_and_kpis_agree() {
    let mut rng = Rng(0x5EED);
    let t = |s: u64| Timestamp::from_secs(1_700_000_000 + s);
    let mut agents: Vec<Agent> = (0..AGENTS)
        .map(|id| {
            let mut agent = Agent::new(AgentId(id), t(0));
            agent.log_in(t(0)).unwrap();
            agent.ready(t(0)).unwrap();
            agent
        })
        .collect();
    let mut kpis = KpiEngine::new(KpiConfig::default());
    let mut agent_changes = Vec::new();
    let mut live: Vec<Live> = Vec::new();
    let mut next_id = 0u64;
    let mut closed = 0;
    let limits = CallLimits {
        max_queue_wait: Some(std::time::Duration::from_secs(600)),
        ..CallLimits::default()
    };

    let end_of_arrivals = 6 * 3600;
    for second in 0..end_of_arrivals + 3600 {
        let now = t(second);
        // Arrivals: about one call every 12 seconds for six hours.
        if second < end_of_arrivals && rng.chance(83) {
            next_id += 1;
            let caller = Address::new(&format!("+1555{:04}", rng.next() % 3000)).unwrap();
            let call = Call::inbound(CallId(next_id), now, caller, None, limits);
            live.push(Live {
                call,
                cdr: CdrBuilder::new(CallId(next_id)),
                agent_leg: None,
            });
            let entry = live.last_mut().unwrap();
            entry.call.answer(now, LegId(0)).unwrap();
            if rng.chance(100) {
                entry.cdr.ivr_node("self_service_menu").unwrap();
            }
            entry.call.enqueue(now, QUEUE).unwrap();
        }
        // Agents who went not ready after a ring-no-answer come back.
        for agent in &mut agents {
            if matches!(agent.state(), AgentState::NotReady { .. })
                && now.millis_since(agent.since()) >= 30_000
            {
                agent_changes.push(agent.ready(now).unwrap());
            }
        }
        for entry in &mut live {
            let call = &mut entry.call;
            match call.phase() {
                Phase::Queued { .. } => {
                    if rng.chance(8) {
                        call.handle_cleared(now, LegId(0), Q850Cause::NORMAL_CLEARING)
                            .unwrap();
                    } else if let Some(agent) = agents.iter().find(|a| a.is_available()) {
                        entry.agent_leg = Some(call.offer(now, agent.id()).unwrap());
                    }
                }
                Phase::Offered { .. } => {
                    let leg = entry.agent_leg.unwrap();
                    if rng.chance(150) {
                        call.handle_answered(now, leg).unwrap();
                    } else if rng.chance(5) {
                        call.handle_cleared(now, LegId(0), Q850Cause::NORMAL_CLEARING)
                            .unwrap();
                    }
                }
                Phase::Talking { .. } => {
                    let leg = entry.agent_leg.unwrap();
                    let held = call
                        .leg(LegId(0))
                        .unwrap()
                        .state()
                        .hold()
                        .is_some_and(|h| h.is_local());
                    if held && rng.chance(50) {
                        call.retrieve(now, LegId(0)).unwrap();
                    } else if !held && rng.chance(5) {
                        call.hold(now, LegId(0)).unwrap();
                    } else if rng.chance(6) {
                        call.hangup(now, leg, Q850Cause::NORMAL_CLEARING).unwrap();
                        call.hangup(now, LegId(0), Q850Cause::NORMAL_CLEARING)
                            .unwrap();
                        if rng.chance(300) {
                            entry.cdr.disposition_code("sale").unwrap();
                        }
                    } else if rng.chance(4) {
                        call.handle_cleared(now, LegId(0), Q850Cause::NORMAL_CLEARING)
                            .unwrap();
                    }
                }
                Phase::WrapUp if rng.chance(40) => {
                    let leg = entry.agent_leg.unwrap();
                    call.end_wrap_up(now, leg).unwrap();
                }
                Phase::SelfService => {
                    // Queue timeout: this simple host hangs up.
                    call.hangup(now, LegId(0), Q850Cause::NORMAL_CLEARING)
                        .unwrap();
                }
                _ => {}
            }
            if call.poll_timeout().is_some_and(|deadline| deadline <= now) {
                call.handle_timeout(now);
            }
            call.check_invariants().unwrap();
            while let Some(event) = call.poll_event() {
                entry.cdr.observe(&event).unwrap();
                for agent in &mut agents {
                    if let Some(change) = agent.observe(&event).unwrap() {
                        agent_changes.push(change);
                    }
                }
            }
        }
        // Closed calls become records.
        let mut i = 0;
        while i < live.len() {
            if live[i].call.is_closed() {
                let entry = live.swap_remove(i);
                let record = entry.cdr.finish(&entry.call).unwrap();
                kpis.ingest(&record);
                closed += 1;
            } else {
                i += 1;
            }
        }
    }
    assert!(live.is_empty(), "{} calls never closed", live.len());
    assert_eq!(closed, next_id);
    assert!(closed > 1500, "only {closed} calls");

    // Log everyone out at the end so every span is accounted for.
    let end = t(end_of_arrivals + 3600);
    for agent in &mut agents {
        if !matches!(
            agent.state(),
            AgentState::Ready | AgentState::NotReady { .. }
        ) {
            panic!("{} still {}", agent.id(), agent.state());
        }
        agent_changes.push(agent.log_out(end).unwrap());
    }
    for change in &agent_changes {
        kpis.ingest_agent_change(change);
    }

    let total = kpis.total();
    // Every queued call was answered, abandoned (short or not) or timed out.
    let timed_out = total.offered - total.answered - total.abandoned;
    assert!(timed_out < total.offered / 20, "{timed_out} timeouts");
    assert_eq!(total.handled, total.answered);
    assert!(total.abandoned > 0 && total.short_abandons > 0 && total.held > 0);

    // Per-agent handled contacts add up to the queue's.
    let mut agent_handled = 0;
    let mut staffed_ms = 0;
    for (_, _, counters) in kpis.agent_buckets() {
        agent_handled += counters.handled;
        staffed_ms += counters.ready_ms + counters.occupied_ms + counters.not_ready_ms;
        let occupancy = counters
            .kpis(ServiceLevelDefinition::AnsweredWithinOverOffered)
            .occupancy;
        assert!(occupancy.is_none_or(|o| (0.0..=1.0).contains(&o)));
    }
    assert_eq!(agent_handled, total.handled);
    // Every agent was logged in for the whole run: time is accounted exactly.
    assert_eq!(
        staffed_ms,
        u64::from(AGENTS) * end.millis_since(t(0)),
        "agent time does not add up"
    );

    let k = total.kpis(ServiceLevelDefinition::AnsweredWithinOverOffered);
    let (sl, asa, aht) = (
        k.service_level.unwrap(),
        k.asa_secs.unwrap(),
        k.aht_secs.unwrap(),
    );
    assert!((0.0..=1.0).contains(&sl));
    assert!(asa > 0.0 && aht > asa);
    println!(
        "{closed} calls: service level {sl:.3}, ASA {asa:.1} s, AHT {aht:.1} s, abandonment {:.3}",
        k.abandonment_rate.unwrap()
    );
}
