//! Properties of the queueing formulas over random inputs: probabilities
//! stay in range, more agents never hurt, abandonment never increases
//! waiting, and staffing returns the smallest sufficient team.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use call_routing::erlang::{
    agents_for_asa, agents_for_service_level, average_speed_of_answer, erlang_a, erlang_b,
    erlang_c, service_level,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn erlang_c_is_a_probability_and_improves_with_agents(
        traffic in 0.1_f64..400.0,
        extra in 1_u32..40,
        aht in 10.0_f64..900.0,
        threshold in 0.0_f64..120.0,
    ) {
        let n = traffic.floor() as u32 + extra;
        let b = erlang_b(traffic, n).unwrap();
        let c = erlang_c(traffic, n).unwrap();
        prop_assert!((0.0..=1.0).contains(&b));
        prop_assert!((0.0..=1.0).contains(&c));
        prop_assert!(c >= b - 1e-12, "waiting is at least as likely as blocking");
        let sl = service_level(traffic, n, aht, threshold).unwrap();
        let sl_more = service_level(traffic, n + 1, aht, threshold).unwrap();
        prop_assert!((0.0..=1.0).contains(&sl));
        prop_assert!(sl_more >= sl - 1e-12);
        let asa = average_speed_of_answer(traffic, n, aht).unwrap();
        let asa_more = average_speed_of_answer(traffic, n + 1, aht).unwrap();
        prop_assert!(asa_more <= asa + 1e-9);
    }

    #[test]
    fn erlang_a_is_consistent(
        traffic in 0.1_f64..120.0,
        agents in 1_u32..150,
        aht in 30.0_f64..600.0,
        patience in 5.0_f64..1200.0,
        threshold in 0.0_f64..60.0,
    ) {
        let model = erlang_a(traffic, agents, aht, patience).unwrap();
        for p in [model.p_wait(), model.p_abandon(), model.occupancy()] {
            prop_assert!((0.0..=1.0).contains(&p), "{p}");
        }
        let sl = model.service_level(threshold).unwrap();
        prop_assert!((0.0..=1.0).contains(&sl));
        // Answered within the threshold cannot exceed answered at all.
        prop_assert!(sl <= 1.0 - model.p_abandon() + 1e-9);
        prop_assert!(model.asa_s() >= 0.0 && model.asa_s().is_finite());
        // Impatient callers leave the queue, so fewer wait than under Erlang C.
        if f64::from(agents) > traffic {
            prop_assert!(model.p_wait() <= erlang_c(traffic, agents).unwrap() + 1e-9);
        }
        let more = erlang_a(traffic, agents + 1, aht, patience).unwrap();
        prop_assert!(more.p_abandon() <= model.p_abandon() + 1e-9);
        prop_assert!(more.service_level(threshold).unwrap() >= sl - 1e-9);
    }

    #[test]
    fn staffing_is_minimal(
        traffic in 0.5_f64..300.0,
        target in 0.5_f64..0.95,
        threshold in 5.0_f64..60.0,
        patience in proptest::option::of(30.0_f64..600.0),
    ) {
        let aht = 180.0;
        let n = agents_for_service_level(traffic, aht, threshold, target, patience).unwrap();
        let sl = |k: u32| match patience {
            None => service_level(traffic, k, aht, threshold).unwrap_or(0.0),
            Some(p) => erlang_a(traffic, k, aht, p).unwrap().service_level(threshold).unwrap(),
        };
        prop_assert!(sl(n) >= target);
        if n > 0 {
            prop_assert!(sl(n - 1) < target);
        }
        let asa_target = 15.0;
        let m = agents_for_asa(traffic, aht, asa_target, None).unwrap();
        prop_assert!(average_speed_of_answer(traffic, m, aht).unwrap() <= asa_target);
        if f64::from(m - 1) > traffic {
            prop_assert!(average_speed_of_answer(traffic, m - 1, aht).unwrap() > asa_target);
        }
    }
}
