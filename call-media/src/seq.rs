//! Sequence-number and timestamp unwrapping (RFC 3550 §A.1).
//!
//! RTP sequence numbers are 16 bits and timestamps 32 bits; both wrap. A
//! receiver needs them as ever-growing numbers to count loss, to order
//! packets and to compute jitter. This module extends them to `u64`:
//!
//! - [`SequenceTracker`] follows the algorithm of RFC 3550 §A.1: a new source
//!   is on *probation* until [`MIN_SEQUENTIAL`] packets arrived in sequence;
//!   a step of less than [`MAX_DROPOUT`] is accepted (the gap is loss); a
//!   packet less than [`MAX_MISORDER`] behind the highest is late or a
//!   duplicate; anything else
//!   is a *jump* that is only believed when the next packet follows it, in
//!   which case the tracker restarts there (the sender restarted, or changed
//!   its SSRC without telling us).
//! - [`TimestampUnwrapper`] extends timestamps by the shortest wrapping
//!   distance to the last one.
//!
//! Raw wrapping numbers get no `Ord`: [`SeqNo`] only answers "how far ahead
//! is this one", which is the only question with a meaning on a circle.
//! Extended numbers ([`ExtendedSeq`]) are ordered.
//!
//! # Examples
//!
//! ```
//! use call_media::seq::{SeqOutcome, SequenceTracker};
//!
//! let mut tracker = SequenceTracker::new(65534);
//! // RFC 3550 A.1 probation: the source is valid after two packets in sequence.
//! assert_eq!(tracker.update(65534), SeqOutcome::Probation);
//! let SeqOutcome::InOrder { extended, .. } = tracker.update(65535) else { panic!() };
//! assert_eq!(extended.get(), 65535);
//! // The wrap to 0 starts the second cycle.
//! let SeqOutcome::InOrder { extended, .. } = tracker.update(0) else { panic!() };
//! assert_eq!(extended.get(), 65536);
//! assert_eq!(tracker.cycles(), 1);
//! ```

/// RFC 3550 §A.1: a forward step this large or larger is a jump, not loss.
pub const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 §A.1: a packet this far or farther behind the highest is a jump, not late.
pub const MAX_MISORDER: u16 = 100;
/// RFC 3550 §A.1: packets in sequence needed before a new source is valid.
pub const MIN_SEQUENTIAL: u16 = 2;

/// A raw RTP sequence number, which wraps from 65535 to 0.
///
/// Deliberately not `Ord`: on a circle "less than" has no meaning. Ask for
/// the signed distance instead.
///
/// ```
/// use call_media::seq::SeqNo;
///
/// assert_eq!(SeqNo(2).distance_from(SeqNo(65534)), 4);
/// assert_eq!(SeqNo(65534).distance_from(SeqNo(2)), -4);
/// assert!(SeqNo(1).is_ahead_of(SeqNo(65535)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeqNo(pub u16);

impl SeqNo {
    /// How far `self` is ahead of `earlier` along the shorter way round the
    /// circle (negative when it is behind). A distance of exactly 32768 is
    /// reported as -32768.
    pub fn distance_from(self, earlier: SeqNo) -> i16 {
        self.0.wrapping_sub(earlier.0) as i16
    }

    /// Whether `self` comes after `other` (the shorter way round).
    pub fn is_ahead_of(self, other: SeqNo) -> bool {
        self.distance_from(other) > 0
    }

    /// The next sequence number.
    pub fn next(self) -> SeqNo {
        SeqNo(self.0.wrapping_add(1))
    }
}

/// A sequence number extended to 64 bits: `cycles * 65536 + seq`, counted
/// from the cycle of the packet the tracker (re)started on.
///
/// ```
/// use call_media::seq::ExtendedSeq;
///
/// let e = ExtendedSeq::new(3 * 65536 + 7);
/// assert_eq!(e.cycles(), 3);
/// assert_eq!(e.seq(), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtendedSeq(u64);

impl ExtendedSeq {
    /// Wraps a raw extended value.
    pub const fn new(value: u64) -> Self {
        ExtendedSeq(value)
    }

    /// The extended value.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The number of completed 65536-cycles.
    pub const fn cycles(self) -> u64 {
        self.0 >> 16
    }

    /// The 16-bit sequence number on the wire.
    pub const fn seq(self) -> u16 {
        (self.0 & 0xffff) as u16
    }

    /// The low 32 bits, as RTCP's "extended highest sequence number
    /// received" field carries it (RFC 3550 §6.4.1).
    pub const fn as_rtcp_field(self) -> u32 {
        (self.0 & 0xffff_ffff) as u32
    }
}

/// What [`SequenceTracker::update`] made of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeqOutcome {
    /// The source is still on probation (RFC 3550 §A.1); the packet is not
    /// counted. `MIN_SEQUENTIAL` packets in a row end the probation.
    Probation,
    /// At or ahead of the highest sequence number, within [`MAX_DROPOUT`].
    InOrder {
        /// The packet's extended sequence number.
        extended: ExtendedSeq,
        /// Sequence numbers skipped between the previous highest and this
        /// one (0 when the packet is the next one, or a duplicate of the
        /// highest).
        gap: u16,
    },
    /// Behind the highest sequence number by less than [`MAX_MISORDER`]: a
    /// late (reordered) packet or a duplicate.
    Late {
        /// The packet's extended sequence number, or `None` when it lies
        /// before the first cycle (a packet sent before the one the tracker
        /// started on, arriving after a wrap).
        extended: Option<ExtendedSeq>,
    },
    /// A jump of [`MAX_DROPOUT`] or more forward, or [`MAX_MISORDER`] or more back.
    /// The packet is dropped; if the next one follows it, the tracker
    /// restarts (see [`SeqOutcome::Restarted`]).
    Jump,
    /// Two packets in sequence after a jump: the tracker restarted on this
    /// packet, which counts as the first of a fresh sequence (RFC 3550
    /// §A.1: the other side restarted without telling us).
    Restarted {
        /// The packet's extended sequence number (in cycle 0).
        extended: ExtendedSeq,
    },
}

/// Extends 16-bit RTP sequence numbers to 64 bits following RFC 3550 §A.1.
///
/// Create one per SSRC; call [`SequenceTracker::update`] for every packet of
/// that source, in arrival order. A change of SSRC is a new source: create a
/// new tracker (or call [`SequenceTracker::restart`]).
///
/// Limits: state is a few words; nothing grows with the stream.
#[derive(Clone, Debug)]
pub struct SequenceTracker {
    max_seq: u16,
    /// Wrap count of `max_seq`.
    cycles: u64,
    base_seq: u16,
    /// The sequence number that would confirm a jump; `None` when not armed.
    bad_seq: Option<u16>,
    probation: u16,
    min_sequential: u16,
}

impl SequenceTracker {
    /// A tracker for a source first seen with `seq`, on probation for
    /// [`MIN_SEQUENTIAL`] packets (RFC 3550 §A.1 `init_seq` plus the
    /// probation set-up of a new source). Pass the first packet to
    /// [`SequenceTracker::update`] as well.
    pub fn new(seq: u16) -> Self {
        Self::with_probation(seq, MIN_SEQUENTIAL)
    }

    /// Like [`SequenceTracker::new`] with a chosen probation length.
    /// `0` and `1` both accept the source on its first packet (an analyzer of
    /// a recorded capture wants every packet counted).
    pub fn with_probation(seq: u16, min_sequential: u16) -> Self {
        SequenceTracker {
            // RFC 3550 A.1: max_seq = seq - 1 so that the first packet is "in sequence".
            max_seq: seq.wrapping_sub(1),
            cycles: 0,
            base_seq: seq,
            bad_seq: None,
            probation: min_sequential.max(1),
            min_sequential: min_sequential.max(1),
        }
    }

    /// Forgets everything and starts over at `seq` with the configured
    /// probation (use on an SSRC change).
    pub fn restart(&mut self, seq: u16) {
        *self = Self::with_probation(seq, self.min_sequential);
    }

    /// Whether the source passed probation.
    pub fn is_valid(&self) -> bool {
        self.probation == 0
    }

    /// The first sequence number of the current run (RFC 3550 `base_seq`).
    pub fn base(&self) -> ExtendedSeq {
        ExtendedSeq(u64::from(self.base_seq))
    }

    /// The highest extended sequence number seen (RFC 3550 `max_seq` with
    /// `cycles`).
    pub fn highest(&self) -> ExtendedSeq {
        ExtendedSeq((self.cycles << 16) | u64::from(self.max_seq))
    }

    /// The number of times the sequence number wrapped.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Packets expected so far: highest - base + 1 (RFC 3550 §A.3). Zero
    /// while on probation.
    pub fn expected(&self) -> u64 {
        if !self.is_valid() {
            return 0;
        }
        (self.highest().get() + 1).saturating_sub(self.base().get())
    }

    /// RFC 3550 §A.1 `init_seq`: a fresh run starting at `seq`.
    fn init_seq(&mut self, seq: u16) {
        self.base_seq = seq;
        self.max_seq = seq;
        self.bad_seq = None;
        self.cycles = 0;
    }

    /// Feeds one packet's sequence number (RFC 3550 §A.1 `update_seq`).
    pub fn update(&mut self, seq: u16) -> SeqOutcome {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            // RFC 3550 A.1: the source is valid after MIN_SEQUENTIAL packets in sequence.
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    // A.1: the run counts from the packet that ended probation.
                    self.init_seq(seq);
                    return SeqOutcome::InOrder {
                        extended: self.highest(),
                        gap: 0,
                    };
                }
            } else {
                self.probation = self.min_sequential - 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    return SeqOutcome::InOrder {
                        extended: self.highest(),
                        gap: 0,
                    };
                }
            }
            return SeqOutcome::Probation;
        }
        if udelta < MAX_DROPOUT {
            // In order, with a permissible gap. RFC 3550 A.1: a wrap starts a new cycle.
            if seq < self.max_seq {
                self.cycles += 1;
            }
            self.max_seq = seq;
            self.bad_seq = None;
            SeqOutcome::InOrder {
                extended: self.highest(),
                gap: udelta.saturating_sub(1),
            }
        } else if u32::from(udelta) <= (1 << 16) - u32::from(MAX_MISORDER) {
            // RFC 3550 A.1: a very large jump; believe it only if the next packet follows.
            if Some(seq) == self.bad_seq {
                self.init_seq(seq);
                SeqOutcome::Restarted {
                    extended: self.highest(),
                }
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                SeqOutcome::Jump
            }
        } else {
            // Duplicate or reordered packet, at most MAX_MISORDER behind.
            let behind = u64::from(self.max_seq.wrapping_sub(seq));
            let extended = self.highest().get().checked_sub(behind).map(ExtendedSeq);
            SeqOutcome::Late { extended }
        }
    }
}

/// Extends 32-bit RTP timestamps to 64 bits.
///
/// Each timestamp is placed at the shorter wrapping distance from the
/// previous one, so a wrap from `0xffff_ffff` to `0` continues upwards and a
/// slightly older (reordered) timestamp lands just below. The first
/// timestamp is taken as is (cycle 0).
///
/// ```
/// use call_media::seq::TimestampUnwrapper;
///
/// let mut ts = TimestampUnwrapper::new();
/// assert_eq!(ts.extend(0xffff_ff00), Some(0xffff_ff00));
/// assert_eq!(ts.extend(0x0000_0060), Some(0x1_0000_0060));
/// assert_eq!(ts.extend(0xffff_ffa0), Some(0xffff_ffa0)); // reordered, before the wrap
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TimestampUnwrapper {
    last: Option<u64>,
}

impl TimestampUnwrapper {
    /// An unwrapper that has seen nothing yet.
    pub fn new() -> Self {
        TimestampUnwrapper { last: None }
    }

    /// Extends `ts`. Returns `None` only for a timestamp that would fall
    /// before zero (older than the first one, across a wrap); the reference
    /// is left unchanged then.
    pub fn extend(&mut self, ts: u32) -> Option<u64> {
        let Some(last) = self.last else {
            self.last = Some(u64::from(ts));
            return Some(u64::from(ts));
        };
        let delta = i64::from(ts.wrapping_sub(last as u32) as i32);
        let extended = last.checked_add_signed(delta)?;
        self.last = Some(extended);
        Some(extended)
    }

    /// The last extended timestamp.
    pub fn last(&self) -> Option<u64> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_order(outcome: SeqOutcome) -> u64 {
        match outcome {
            SeqOutcome::InOrder { extended, .. } => extended.get(),
            other => panic!("expected InOrder, got {other:?}"),
        }
    }

    #[test]
    fn a1_probation_needs_min_sequential_packets() {
        let mut t = SequenceTracker::new(100);
        assert_eq!(t.update(100), SeqOutcome::Probation);
        assert!(!t.is_valid());
        assert_eq!(t.expected(), 0);
        assert_eq!(in_order(t.update(101)), 101);
        assert!(t.is_valid());
        // A.1 init_seq: the run starts at the packet that ended probation.
        assert_eq!(t.base().get(), 101);
        assert_eq!(t.expected(), 1);
    }

    #[test]
    fn a1_probation_restarts_on_out_of_sequence_packet() {
        let mut t = SequenceTracker::new(100);
        assert_eq!(t.update(100), SeqOutcome::Probation);
        assert_eq!(t.update(102), SeqOutcome::Probation);
        assert_eq!(t.update(200), SeqOutcome::Probation);
        assert_eq!(in_order(t.update(201)), 201);
    }

    #[test]
    fn probation_of_one_accepts_first_packet() {
        let mut t = SequenceTracker::with_probation(7, 1);
        assert_eq!(in_order(t.update(7)), 7);
        assert_eq!(t.base().get(), 7);
        let mut t = SequenceTracker::with_probation(7, 0);
        assert_eq!(in_order(t.update(9)), 9);
    }

    #[test]
    fn a1_wrap_increments_cycles() {
        let mut t = SequenceTracker::with_probation(65533, 1);
        for (seq, ext) in [
            (65533, 65533),
            (65534, 65534),
            (65535, 65535),
            (0, 65536),
            (1, 65537),
        ] {
            assert_eq!(in_order(t.update(seq)), ext);
        }
        assert_eq!(t.cycles(), 1);
        assert_eq!(t.expected(), 5);
        assert_eq!(t.highest().as_rtcp_field(), 65537);
    }

    #[test]
    fn a1_gap_below_max_dropout_is_loss() {
        let mut t = SequenceTracker::with_probation(10, 1);
        t.update(10);
        assert_eq!(
            t.update(10 + MAX_DROPOUT - 1),
            SeqOutcome::InOrder {
                extended: ExtendedSeq(u64::from(10 + MAX_DROPOUT - 1)),
                gap: MAX_DROPOUT - 2
            }
        );
        // A gap across the wrap is loss too.
        let mut t = SequenceTracker::with_probation(65530, 1);
        t.update(65530);
        assert_eq!(
            t.update(20),
            SeqOutcome::InOrder {
                extended: ExtendedSeq(65536 + 20),
                gap: 25
            }
        );
    }

    #[test]
    fn a1_jump_of_max_dropout_needs_confirmation_then_restarts() {
        let mut t = SequenceTracker::with_probation(10, 1);
        t.update(10);
        t.update(11);
        assert_eq!(t.update(11 + MAX_DROPOUT), SeqOutcome::Jump);
        // Not followed by its successor: still the old run.
        assert_eq!(
            t.update(12),
            SeqOutcome::InOrder {
                extended: ExtendedSeq(12),
                gap: 0
            }
        );
        assert_eq!(t.update(5000), SeqOutcome::Jump);
        assert_eq!(
            t.update(5001),
            SeqOutcome::Restarted {
                extended: ExtendedSeq(5001)
            }
        );
        assert_eq!(t.base().get(), 5001);
        assert_eq!(t.expected(), 1);
        assert_eq!(in_order(t.update(5002)), 5002);
    }

    #[test]
    fn a1_misorder_window() {
        let mut t = SequenceTracker::with_probation(1000, 1);
        t.update(1000);
        t.update(1200);
        // A.1: late means fewer than MAX_MISORDER behind; exactly that far is a jump.
        assert_eq!(
            t.update(1200 - MAX_MISORDER + 1),
            SeqOutcome::Late {
                extended: Some(ExtendedSeq(u64::from(1200 - MAX_MISORDER + 1)))
            }
        );
        assert_eq!(t.update(1200 - MAX_MISORDER), SeqOutcome::Jump);
    }

    #[test]
    fn late_packet_from_before_a_wrap_gets_previous_cycle() {
        let mut t = SequenceTracker::with_probation(65534, 1);
        t.update(65534);
        t.update(0);
        t.update(1);
        assert_eq!(
            t.update(65535),
            SeqOutcome::Late {
                extended: Some(ExtendedSeq(65535))
            }
        );
        // Before the first packet and across no wrap: no extended value.
        let mut t = SequenceTracker::with_probation(2, 1);
        t.update(2);
        assert_eq!(t.update(65535), SeqOutcome::Late { extended: None });
    }

    #[test]
    fn duplicate_of_highest_is_in_order_with_no_gap() {
        let mut t = SequenceTracker::with_probation(5, 1);
        t.update(5);
        assert_eq!(
            t.update(5),
            SeqOutcome::InOrder {
                extended: ExtendedSeq(5),
                gap: 0
            }
        );
        assert_eq!(t.cycles(), 0);
    }

    #[test]
    fn restart_on_ssrc_change_restores_probation() {
        let mut t = SequenceTracker::new(1);
        t.update(1);
        t.update(2);
        t.restart(40000);
        assert!(!t.is_valid());
        assert_eq!(t.update(40000), SeqOutcome::Probation);
        assert_eq!(in_order(t.update(40001)), 40001);
    }

    #[test]
    fn seqno_distance_is_signed_and_wrapping() {
        assert_eq!(SeqNo(0).distance_from(SeqNo(65535)), 1);
        assert_eq!(SeqNo(65535).distance_from(SeqNo(0)), -1);
        assert_eq!(SeqNo(100).distance_from(SeqNo(100)), 0);
        assert!(!SeqNo(100).is_ahead_of(SeqNo(100)));
        assert_eq!(SeqNo(65535).next(), SeqNo(0));
    }

    #[test]
    fn timestamps_unwrap_forward_and_back() {
        let mut ts = TimestampUnwrapper::new();
        assert_eq!(ts.extend(100), Some(100));
        assert_eq!(ts.extend(50), Some(50));
        assert_eq!(ts.extend(0xffff_fff0), None);
        assert_eq!(ts.last(), Some(50));
        let mut ts = TimestampUnwrapper::new();
        let mut expected = 0xffff_fc00_u64;
        ts.extend(expected as u32);
        for _ in 0..20 {
            expected += 160;
            assert_eq!(ts.extend(expected as u32), Some(expected));
        }
        assert!(expected > u64::from(u32::MAX));
    }
}
