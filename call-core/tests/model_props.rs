//! Property tests: random operation, report and timeout sequences keep the
//! call model's invariants (see `common/model.rs` for the list).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::model::run;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Err(broken) = run(&bytes) {
            prop_assert!(false, "{broken}");
        }
    }
}

/// A biased generator: mostly the operations that move a contact-center call
/// forward, so long, deep runs (transfers, conferences, wrap-up) are common.
fn flowing_step() -> impl Strategy<Value = [u8; 3]> {
    let kinds = prop_oneof![
        3 => Just(2u8),  // answer
        3 => Just(10),   // enqueue
        4 => Just(11),   // offer
        3 => Just(24),   // far end alerting
        8 => Just(25),   // far end answered
        2 => Just(4),    // hold
        2 => Just(5),    // retrieve
        1 => Just(6),    // mute
        3 => Just(13),   // consult
        3 => Just(14),   // complete transfer
        1 => Just(15),   // cancel consultation
        2 => Just(12),   // blind transfer
        2 => Just(16),   // conference
        1 => Just(17),   // add participant
        1 => Just(18),   // remove participant
        1 => Just(19),   // deflect
        1 => Just(20),   // park
        2 => Just(21),   // pickup
        1 => Just(22),   // callback
        2 => Just(23),   // end wrap-up
        1 => Just(8),    // hang up
        1 => Just(28),   // far end cleared
        2 => Just(29),   // failed or timeout
    ];
    (kinds, any::<u8>(), any::<u8>()).prop_map(|(k, a, b)| [k, a, b])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn contact_center_flows_keep_the_invariants(
        start in any::<[u8; 3]>(),
        steps in proptest::collection::vec(flowing_step(), 0..200),
    ) {
        let mut bytes = start.to_vec();
        bytes.extend(steps.iter().flatten());
        if let Err(broken) = run(&bytes) {
            prop_assert!(false, "{broken}");
        }
    }
}

#[test]
fn the_biased_generator_reaches_transfers_and_closes_calls() {
    // A deterministic sample: make sure the property tests are not vacuous.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = proptest::collection::vec(flowing_step(), 50..200);
    let (mut transfers, mut closed, mut accepted) = (0, 0, 0);
    for _ in 0..500 {
        let steps = strategy.new_tree(&mut runner).unwrap().current();
        let mut bytes = vec![0u8, 50, 1];
        bytes.extend(steps.iter().flatten());
        let stats = run(&bytes).unwrap();
        transfers += stats.transfers;
        closed += usize::from(stats.closed);
        accepted += stats.accepted;
    }
    println!("{transfers} transfers, {accepted} accepted inputs in 500 runs");
    assert!(transfers > 20, "only {transfers} transfers");
    assert_eq!(closed, 500);
    assert!(accepted > 2_500, "only {accepted} accepted inputs");
}
