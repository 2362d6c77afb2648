//! Inputs the `kpi_ingest` fuzz target found, as plain tests: stored records
//! the KPI engine must fold in correctly and quickly, whatever they hold.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use call_core::id::AgentId;
use call_core::kpi::{KpiConfig, KpiEngine};
use common::{handled, t};

/// A stored record may list an agent twice in `agents` (the builder never
/// does). The agent handled the contact once: `kpi_ingest` found one handled
/// contact, and its talk, hold and wrap-up, counted once per listing (48
/// times for a record listing agent 0 48 times).
#[test]
fn an_agent_listed_twice_handles_the_contact_once() {
    // Queued at 10 s, answered at 20 s, 5 s hold, talk to 80 s, 30 s wrap-up.
    let once = handled(1, 0, "+15550100", 1, 7, 10, 20, 5, 80, 30, "sale");
    let mut twice = once.clone();
    twice.agents.push(AgentId(7));
    twice.agents.insert(0, AgentId(7));
    assert_eq!(twice.agents, [AgentId(7); 3]);

    let config = KpiConfig {
        conversion_codes: vec!["sale".to_owned()],
        ..KpiConfig::default()
    };
    let mut expected = KpiEngine::new(config.clone());
    expected.ingest(&once);
    let mut engine = KpiEngine::new(config);
    engine.ingest(&twice);

    let interval = engine.interval_of(t(20));
    let agent = engine.agent(interval, AgentId(7)).unwrap();
    assert_eq!(agent.handled, 1);
    assert_eq!(agent.talk_ms, 55_000);
    assert_eq!(agent.hold_ms, 5_000);
    assert_eq!(agent.wrap_up_ms, 30_000);
    assert_eq!(agent.converted, 1);
    assert_eq!(Some(agent), expected.agent(interval, AgentId(7)));
    // The queue's contact is the sum over distinct agents: one agent.
    assert_eq!(engine.total(), expected.total());
}

/// A stored record with `n` agents, each connected on its own leg, and `n`
/// transfers none of them made (the customer leg transferred).
fn crowded_record(n: u32) -> call_core::cdr::CallDetailRecord {
    use call_core::cdr::{LegRecord, TransferRecord};
    use call_core::event::TransferKind;
    use call_core::id::LegId;
    use call_core::leg::{Direction, LegRole};
    use call_core::party::Party;

    let mut record = handled(2, 0, "+15550100", 1, 0, 10, 20, 0, 80, 0, "sale");
    for i in 1..n {
        let leg = LegId(u8::try_from(i % 255).unwrap() + 1);
        record.agents.push(AgentId(i));
        record.legs.push(LegRecord {
            leg,
            party: Party::Agent(AgentId(i)),
            role: LegRole::Consultation,
            direction: Direction::Outbound,
            created_at: t(30),
            alerted_at: Some(t(30)),
            answered_at: Some(t(31)),
            ended_at: Some(t(40)),
            end: None,
        });
        record.transfers.push(TransferRecord {
            at: t(35),
            kind: TransferKind::Blind,
            transferring_leg: LegId(0),
            transferred_leg: LegId(0),
            target_leg: leg,
        });
    }
    record
}

/// Folding a record in costs at most the product of two of its list lengths:
/// whether each agent transferred the contact was a scan of every leg for
/// every transfer, for every agent. With 2,000 of each (8·10⁹ steps) one
/// `ingest` took 4.6 s in release, and a record the size the builder allows
/// (10,000 of each) about ten minutes; now 14 ms and 0.26 s.
#[test]
fn a_record_with_many_agents_legs_and_transfers_folds_in_quickly() {
    let n = 2_000;
    let record = crowded_record(n);
    let mut engine = KpiEngine::new(KpiConfig::default());
    engine.ingest(&record);
    let total = engine.total();
    assert_eq!(total.handled, 1);
    assert_eq!(total.transferred, 1);
    let agents: Vec<_> = engine.agent_buckets().collect();
    assert_eq!(agents.len(), n as usize);
    assert!(
        agents
            .iter()
            .all(|(_, _, c)| c.handled == 1 && c.transferred == 0)
    );
}

/// The engine forgets customers whose last contact is older than the repeat
/// window every 4,096 new customers. It measured "older" from the latest record
/// ever seen, so one stored record from the far future (a bad clock, a
/// corrupt store) made every later prune forget every customer, and repeat
/// contacts across a prune went uncounted.
#[test]
fn one_record_from_the_far_future_does_not_blind_first_contact_resolution() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    let mut far_future = handled(1, 0, "+15550199", 1, 7, 10, 20, 0, 80, 0, "");
    far_future.created_at = call_core::time::Timestamp::MAX;
    engine.ingest(&far_future);
    // Other customers up to the record before the 4,096th.
    for i in 2..4_095 {
        let caller = format!("+1555{:06}", i);
        engine.ingest(&handled(i, i * 600, &caller, 1, 7, 10, 20, 0, 80, 0, ""));
    }
    // Customer X handled, then (the 4,096th new customer, which prunes)
    // someone else a second later, then X again an hour later: a repeat.
    let start = 4_095 * 600;
    engine.ingest(&handled(
        4_095,
        start,
        "+15550100",
        1,
        7,
        10,
        20,
        0,
        80,
        0,
        "",
    ));
    engine.ingest(&handled(
        4_096,
        start + 1,
        "+15550101",
        1,
        7,
        10,
        20,
        0,
        80,
        0,
        "",
    ));
    engine.ingest(&handled(
        4_097,
        start + 3_600,
        "+15550100",
        1,
        7,
        10,
        20,
        0,
        80,
        0,
        "",
    ));
    let total = engine.total();
    assert_eq!(total.fcr_contacts, 4_097);
    assert_eq!(total.fcr_repeats, 1, "X's first contact was repeated");
}

/// The first-contact memory was pruned when the engine's record count hit a
/// multiple of 4,096, but only if that record was an inbound call with a
/// known customer. A stream where every other record is an outbound call (a
/// callback after each contact) never pruned: one remembered customer per
/// inbound call, forever.
#[test]
fn first_contact_memory_is_pruned_whatever_records_are_interleaved() {
    let mut engine = KpiEngine::new(KpiConfig::default());
    let week = 7 * 24 * 3600;
    for i in 0..10_000 {
        // A new customer every two weeks, each followed by an outbound call.
        let start = i * 2 * week;
        let caller = format!("+1555{i:06}");
        engine.ingest(&handled(2 * i, start, &caller, 1, 7, 10, 20, 0, 80, 0, ""));
        engine.ingest(&common::outbound_busy(2 * i + 1, start + 100));
    }
    // At most the customers since the last prune, plus those still in the
    // window when it ran.
    assert!(
        engine.remembered_customers() <= 4_097,
        "{} customers remembered",
        engine.remembered_customers()
    );
    assert_eq!(engine.total().fcr_contacts, 10_000);
}
