//! The simulator beyond the Erlang setting: time-varying arrivals,
//! lognormal handle times, several queues and skills, determinism.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(feature = "sim")]

use std::time::Duration;

use call_routing::sim::{AgentGroup, ArrivalProfile, DurationDist, Scenario, SimQueue, simulate};
use call_routing::strategy::Builtin;
use call_routing::{Level, QueueConfig, SkillId};

fn queue(skill: u32, arrivals: ArrivalProfile, handle: DurationDist) -> SimQueue {
    SimQueue::new(
        QueueConfig::new(SkillId(skill)),
        Builtin::LongestIdle,
        arrivals,
        handle,
        None,
    )
}

#[test]
fn time_varying_arrivals_follow_the_profile() {
    // Half an hour at 100 calls/h, half an hour at 300: 200 calls/h on average.
    let profile = ArrivalProfile::periods(vec![(1800.0, 100.0), (1800.0, 300.0)]).unwrap();
    assert!((profile.mean_per_hour() - 200.0).abs() < 1e-9);
    let scenario = Scenario::new(
        vec![queue(
            1,
            profile,
            DurationDist::Exponential { mean_s: 60.0 },
        )],
        vec![AgentGroup::new(20, vec![(SkillId(1), Level::MAX)])],
        20.0,
    );
    let report = simulate(&scenario, 80_000, 8, 1).unwrap();
    for r in &report.replications {
        let rate = r.offered as f64 / r.span_s * 3600.0;
        assert!((rate - 200.0).abs() < 200.0 * 0.03, "{rate}");
        assert_eq!(r.answered + r.abandoned + r.lost, r.offered);
    }
}

#[test]
fn lognormal_handle_times_carry_the_same_load() {
    // Without abandonment the carried load is λ·E[S] whatever the
    // distribution: 200 calls/h × 180 s = 10 erlangs on 30 agents.
    let scenario = Scenario::new(
        vec![queue(
            1,
            ArrivalProfile::constant(200.0).unwrap(),
            DurationDist::LogNormal {
                mean_s: 180.0,
                cv: 1.5,
            },
        )],
        vec![AgentGroup::new(30, vec![(SkillId(1), Level::MAX)])],
        20.0,
    );
    let summary = simulate(&scenario, 160_000, 16, 2).unwrap().summary();
    assert!(
        summary.occupancy.contains(10.0 / 30.0),
        "{:?}",
        summary.occupancy
    );
    assert!(summary.p_wait.mean < 0.01);
}

#[test]
fn several_queues_and_skills_share_agents() {
    let sales = SkillId(1);
    let support = SkillId(2);
    let mut support_queue = QueueConfig::new(support);
    support_queue.wrap_up = Duration::from_secs(20);
    let queues = vec![
        queue(
            1,
            ArrivalProfile::constant(150.0).unwrap(),
            DurationDist::Exponential { mean_s: 120.0 },
        ),
        SimQueue::new(
            support_queue,
            Builtin::BestSkills,
            ArrivalProfile::constant(100.0).unwrap(),
            DurationDist::LogNormal {
                mean_s: 240.0,
                cv: 0.8,
            },
            Some(DurationDist::Exponential { mean_s: 90.0 }),
        ),
    ];
    let agents = vec![
        AgentGroup::new(4, vec![(sales, Level::MAX)]),
        AgentGroup::new(4, vec![(support, Level::MAX)]),
        AgentGroup::new(
            6,
            vec![
                (sales, Level::saturating(5)),
                (support, Level::saturating(5)),
            ],
        ),
    ];
    let scenario = Scenario::new(queues, agents, 20.0);
    let report = simulate(&scenario, 100_000, 4, 3).unwrap();
    let again = simulate(&scenario, 100_000, 4, 3).unwrap();
    assert_eq!(report, again, "same seed, same result");
    let other = simulate(&scenario, 100_000, 4, 4).unwrap();
    assert_ne!(report, other, "another seed, another sample");
    // Load: 150×120 + 100×(240+20) s per hour = 12.2 erlangs on 14 agents,
    // less what abandons.
    let s = report.summary();
    assert!(
        s.occupancy.mean > 0.7 && s.occupancy.mean < 0.9,
        "{:?}",
        s.occupancy
    );
    assert!(
        s.p_abandon.mean > 0.0 && s.p_abandon.mean < 0.2,
        "{:?}",
        s.p_abandon
    );
    for r in &report.replications {
        assert_eq!(r.answered + r.abandoned + r.lost, r.offered);
        assert!(r.offers >= r.answered);
    }
}

#[test]
fn bad_parameters_are_typed_errors() {
    use call_routing::error::SimError;
    assert!(matches!(
        ArrivalProfile::periods(vec![]),
        Err(SimError::InvalidParameter { .. })
    ));
    assert!(matches!(
        ArrivalProfile::constant(f64::NAN),
        Err(SimError::InvalidParameter { .. })
    ));
    let scenario = Scenario::erlang(14, 200.0, 180.0, None, 0.0, 20.0).unwrap();
    assert!(matches!(
        simulate(&scenario, 10, 0, 1),
        Err(SimError::InvalidParameter { .. })
    ));
    let broken = Scenario::erlang(14, 200.0, -1.0, None, 0.0, 20.0).unwrap();
    assert!(matches!(
        simulate(&broken, 1000, 1, 1),
        Err(SimError::InvalidParameter { .. })
    ));
}
