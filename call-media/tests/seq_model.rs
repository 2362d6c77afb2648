//! RFC 3550 §A.1 unwrapping checked against a model that knows the sender's
//! true extended sequence numbers: seeded random streams with loss,
//! reordering and duplicates across many wraps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use call_media::seq::{MAX_MISORDER, SeqOutcome, SequenceTracker, TimestampUnwrapper};

/// xorshift64*: deterministic, seeded.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// The sender's true extended numbers after loss, duplication and bounded
/// reordering (a packet is delayed by fewer than `MAX_MISORDER` places).
fn arrivals(rng: &mut Rng, start: u64, count: u64) -> Vec<u64> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (i, true_seq) in (start..start + count).enumerate() {
        let i = i as u64;
        if i > 0 && rng.below(100) < 5 {
            continue; // lost
        }
        let delay = if i > 0 && rng.below(100) < 5 {
            1 + rng.below(u64::from(MAX_MISORDER) / 2)
        } else {
            0
        };
        out.push((i * 100 + delay * 100 + 1, true_seq));
        if rng.below(100) < 3 {
            out.push((i * 100 + delay * 100 + 2, true_seq)); // duplicate
        }
    }
    out.sort();
    out.into_iter().map(|(_, s)| s).collect()
}

#[test]
fn extended_numbers_match_the_senders_across_wraps() {
    for seed in 1..=20u64 {
        let mut rng = Rng(seed * 0x9e37_79b9);
        let start = rng.below(1 << 16) + (1 << 16);
        let seqs = arrivals(&mut rng, start, 100_000);
        let first = seqs[0];
        // The tracker counts cycles from the first packet's cycle.
        let origin = first & !0xffff;
        let mut tracker = SequenceTracker::with_probation(first as u16, 1);
        let mut highest = first;
        for &true_seq in &seqs {
            let outcome = tracker.update(true_seq as u16);
            let expected_ext = true_seq.checked_sub(origin);
            match outcome {
                SeqOutcome::InOrder { extended, gap } => {
                    assert!(
                        true_seq >= highest,
                        "seed {seed}: {true_seq} in order below {highest}"
                    );
                    assert_eq!(Some(extended.get()), expected_ext, "seed {seed}");
                    if true_seq > highest {
                        assert_eq!(u64::from(gap), true_seq - highest - 1);
                    }
                    highest = true_seq;
                }
                SeqOutcome::Late { extended } => {
                    assert!(true_seq < highest, "seed {seed}");
                    assert_eq!(extended.map(|e| e.get()), expected_ext, "seed {seed}");
                }
                other => panic!("seed {seed}: {true_seq} gave {other:?}"),
            }
        }
        assert_eq!(tracker.highest().get(), highest - origin);
        assert_eq!(tracker.expected(), highest - first + 1, "seed {seed}");
        assert!(tracker.cycles() >= 1, "seed {seed}: the test should wrap");
    }
}

#[test]
fn timestamps_match_the_senders_across_wraps() {
    let mut rng = Rng(77);
    let mut unwrapper = TimestampUnwrapper::new();
    let mut true_ts: u64 = u64::from(u32::MAX) - 10_000;
    let first = true_ts;
    for _ in 0..100_000 {
        // Mostly forward, sometimes a reordered older one.
        let ts = if rng.below(10) == 0 {
            true_ts.saturating_sub(rng.below(5000)).max(first)
        } else {
            true_ts += rng.below(300_000);
            true_ts
        };
        assert_eq!(unwrapper.extend(ts as u32), Some(ts));
    }
    assert!(true_ts > 1 << 33);
}

#[test]
fn a_restart_after_a_confirmed_jump_starts_a_new_run() {
    let mut tracker = SequenceTracker::new(500);
    let outcomes: Vec<SeqOutcome> = [500u16, 501, 502, 40_000, 40_001, 40_002]
        .into_iter()
        .map(|s| tracker.update(s))
        .collect();
    assert_eq!(outcomes[0], SeqOutcome::Probation);
    assert!(matches!(outcomes[3], SeqOutcome::Jump));
    assert!(matches!(outcomes[4], SeqOutcome::Restarted { .. }));
    assert_eq!(tracker.base().get(), 40_001);
    assert_eq!(tracker.expected(), 2);
}
