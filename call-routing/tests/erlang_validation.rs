//! The simulator, driving the real router, agrees with queueing theory: in
//! the Erlang setting every KPI's closed form lies inside the simulated 95%
//! confidence interval (a million calls over 16 replications each).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(feature = "sim")]

use call_routing::erlang::{self, erlang_a};
use call_routing::sim::{Estimate, Scenario, simulate};

const CALLS: u64 = 1_000_000;
const REPLICATIONS: u32 = 16;

fn check(name: &str, estimate: Estimate, expected: f64) {
    eprintln!(
        "{name:>14}: simulated {:.5} ± {:.5}, closed form {expected:.5}",
        estimate.mean, estimate.ci95
    );
    assert!(
        estimate.contains(expected),
        "{name}: closed form {expected} outside {} ± {}",
        estimate.mean,
        estimate.ci95
    );
    assert!(estimate.ci95.is_finite() && estimate.ci95 > 0.0);
}

#[test]
fn erlang_c_reference_case_within_the_95_percent_interval() {
    // 100 calls per 30 minutes, AHT 180 s, 14 agents, 20 s threshold.
    let scenario = Scenario::erlang(14, 200.0, 180.0, None, 0.0, 20.0).unwrap();
    let report = simulate(&scenario, CALLS, REPLICATIONS, 2026).unwrap();
    assert_eq!(report.calls(), CALLS);
    let s = report.summary();
    check("p_wait", s.p_wait, erlang::erlang_c(10.0, 14).unwrap());
    check(
        "service_level",
        s.service_level,
        erlang::service_level(10.0, 14, 180.0, 20.0).unwrap(),
    );
    check(
        "asa_s",
        s.asa_s,
        erlang::average_speed_of_answer(10.0, 14, 180.0).unwrap(),
    );
    check(
        "occupancy",
        s.occupancy,
        erlang::occupancy(10.0, 14).unwrap(),
    );
    assert_eq!(s.p_abandon.mean, 0.0);
    // The published figures themselves.
    assert!((erlang::erlang_c(10.0, 14).unwrap() - 0.1741).abs() < 1e-4);
    assert!((s.p_wait.mean - 0.1741).abs() < 0.01);
    assert!((s.service_level.mean - 0.8884).abs() < 0.01);
    assert!((s.occupancy.mean - 0.7143).abs() < 0.01);
}

#[test]
fn erlang_a_with_patience_within_the_95_percent_interval() {
    // 10 erlangs on 11 agents, callers wait 120 s on average: heavy load
    // where abandonment matters.
    let scenario = Scenario::erlang(11, 200.0, 180.0, Some(120.0), 0.0, 20.0).unwrap();
    let report = simulate(&scenario, CALLS, REPLICATIONS, 4051).unwrap();
    let s = report.summary();
    let model = erlang_a(10.0, 11, 180.0, 120.0).unwrap();
    check("p_wait", s.p_wait, model.p_wait());
    check(
        "service_level",
        s.service_level,
        model.service_level(20.0).unwrap(),
    );
    check("asa_s", s.asa_s, model.asa_s());
    check("p_abandon", s.p_abandon, model.p_abandon());
    check("occupancy", s.occupancy, model.occupancy());
}
