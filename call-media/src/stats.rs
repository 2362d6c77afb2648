//! Receiver statistics for one synchronization source (RFC 3550 §6.4, §A.3, §A.8).
//!
//! [`ReceiverStats`] is fed every RTP packet of one SSRC with its arrival
//! time and answers what a receiver report needs: packets expected and
//! received, cumulative and interval loss, the fraction lost, the
//! interarrival jitter, and the LSR/DLSR pair from the last sender report.
//! It also counts what a monitoring tool wants to see: duplicates, reordered
//! packets, jumps that made the sequence restart, and the largest gap
//! between two arrivals.
//!
//! Time is an argument: `now` is a [`Duration`] since any origin the host
//! chooses (the start of a capture, or an `Instant` minus a fixed start),
//! the same origin for every call.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use call_media::stats::ReceiverStats;
//!
//! let mut stats = ReceiverStats::new(0x1234, 8000);
//! for seq in [1u16, 2, 3, 5, 6] {
//!     let now = Duration::from_millis(20 * u64::from(seq));
//!     stats.on_packet(now, seq, 160 * u32::from(seq));
//! }
//! // RFC 3550 A.1: packet 1 was the probation packet; counting starts at 2.
//! assert_eq!(stats.received(), 4);
//! assert_eq!(stats.expected(), 5);
//! assert_eq!(stats.cumulative_lost(), 1);
//! let report = stats.report(Duration::from_millis(120)).expect("packets arrived");
//! assert_eq!(report.fraction_lost, 51); // 1/5 of 256
//! assert_eq!(report.extended_highest_sequence, 6);
//! assert_eq!(report.jitter, 0); // perfectly paced
//! ```

use std::time::Duration;

use crate::rtcp::{CUMULATIVE_LOST_MAX, CUMULATIVE_LOST_MIN, ReportBlock};
use crate::seq::{ExtendedSeq, SeqOutcome, SequenceTracker};

/// Width of the window that tells duplicates from reordered packets; larger
/// than [`crate::seq::MAX_MISORDER`], so every late packet falls inside it.
const SEEN_WINDOW: u64 = 128;

/// What one packet did to the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketClass {
    /// The source is still on probation; not counted.
    Probation,
    /// Next in sequence, or after a gap (lost packets in between).
    InOrder,
    /// Arrived after a later packet (reordered), counted as received.
    Reordered,
    /// A sequence number already received, counted as received (as RFC 3550
    /// §A.1 does, so cumulative loss can go negative).
    Duplicate,
    /// A jump beyond the dropout/misorder limits; not counted.
    Jump,
    /// The packet after a jump followed it: the counters restarted here.
    Restarted,
}

/// Loss over the interval since the previous report (RFC 3550 §A.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntervalLoss {
    /// Packets expected in the interval.
    pub expected: u64,
    /// Packets received in the interval.
    pub received: u64,
    /// `expected - received`; negative with duplicates.
    pub lost: i64,
    /// The loss fraction as a fixed-point number with the binary point at
    /// the left edge (`lost * 256 / expected`, 0 when nothing was lost).
    pub fraction: u8,
}

/// Receiver statistics for one SSRC.
///
/// Limits: fixed size; nothing grows with the stream.
#[derive(Clone, Debug)]
pub struct ReceiverStats {
    ssrc: u32,
    clock_rate: u32,
    seq: SequenceTracker,
    started: bool,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    duplicates: u64,
    reordered: u64,
    jumps: u64,
    restarts: u64,
    /// Bit `i` set: extended sequence number `marked - i` was received.
    seen: u128,
    /// The highest extended sequence number marked in `seen`.
    marked: Option<ExtendedSeq>,
    /// RFC 3550 A.8 state: arrival time and RTP timestamp of the previous
    /// packet.
    previous: Option<(Duration, u32)>,
    jitter: f64,
    last_arrival: Option<Duration>,
    max_delta: Duration,
    last_sr: Option<(u32, Duration)>,
}

impl ReceiverStats {
    /// Statistics for `ssrc`, whose payload clock runs at `clock_rate` Hz
    /// (0 if unknown: jitter is then not computed). The source is on
    /// probation for [`crate::seq::MIN_SEQUENTIAL`] packets as RFC 3550
    /// §A.1 says.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self::with_probation(ssrc, clock_rate, crate::seq::MIN_SEQUENTIAL)
    }

    /// Like [`ReceiverStats::new`] with a chosen probation length; `1`
    /// counts every packet from the first one (what an analyzer of a
    /// recorded capture wants).
    pub fn with_probation(ssrc: u32, clock_rate: u32, min_sequential: u16) -> Self {
        ReceiverStats {
            ssrc,
            clock_rate,
            seq: SequenceTracker::with_probation(0, min_sequential),
            started: false,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            duplicates: 0,
            reordered: 0,
            jumps: 0,
            restarts: 0,
            seen: 0,
            marked: None,
            previous: None,
            jitter: 0.0,
            last_arrival: None,
            max_delta: Duration::ZERO,
            last_sr: None,
        }
    }

    /// The source these statistics describe.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The clock rate jitter is computed with (0: unknown).
    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// Feeds one packet of this source: its arrival time, sequence number and
    /// RTP timestamp.
    pub fn on_packet(&mut self, now: Duration, seq: u16, timestamp: u32) -> PacketClass {
        if !self.started {
            self.started = true;
            self.seq.restart(seq);
        }
        let class = match self.seq.update(seq) {
            SeqOutcome::Probation => return PacketClass::Probation,
            SeqOutcome::Jump => {
                self.jumps += 1;
                return PacketClass::Jump;
            }
            SeqOutcome::Restarted { .. } => {
                // RFC 3550 A.1 init_seq: the counters start over.
                self.received = 0;
                self.expected_prior = 0;
                self.received_prior = 0;
                self.seen = 1;
                self.marked = Some(self.seq.highest());
                self.restarts += 1;
                self.previous = None;
                PacketClass::Restarted
            }
            SeqOutcome::InOrder { extended, .. } => self.mark_in_order(extended),
            SeqOutcome::Late { extended } => self.mark_late(extended),
        };
        self.received += 1;
        if let Some(last) = self.last_arrival {
            self.max_delta = self.max_delta.max(now.saturating_sub(last));
        }
        self.last_arrival = Some(now);
        self.update_jitter(now, timestamp);
        class
    }

    fn mark_in_order(&mut self, extended: ExtendedSeq) -> PacketClass {
        let marked = self.marked.replace(extended);
        match marked {
            Some(prev) if prev == extended => {
                if self.seen & 1 != 0 {
                    self.duplicates += 1;
                    return PacketClass::Duplicate;
                }
                self.seen |= 1;
            }
            Some(prev) => {
                let shift = extended.get().saturating_sub(prev.get());
                self.seen = if shift >= SEEN_WINDOW {
                    0
                } else {
                    self.seen << shift
                };
                self.seen |= 1;
            }
            None => self.seen = 1,
        }
        PacketClass::InOrder
    }

    fn mark_late(&mut self, extended: Option<ExtendedSeq>) -> PacketClass {
        let top = self.marked.map_or(0, ExtendedSeq::get);
        let behind = extended.map(|e| top.saturating_sub(e.get()));
        match behind {
            Some(behind) if behind < SEEN_WINDOW => {
                let bit = 1u128 << behind;
                if self.seen & bit != 0 {
                    self.duplicates += 1;
                    return PacketClass::Duplicate;
                }
                self.seen |= bit;
            }
            _ => {}
        }
        self.reordered += 1;
        PacketClass::Reordered
    }

    fn update_jitter(&mut self, now: Duration, timestamp: u32) {
        if self.clock_rate == 0 {
            return;
        }
        // RFC 3550 A.8: D(i,j) = (Rj - Ri) - (Sj - Si) in timestamp units,
        // the timestamp difference taken modulo 2^32 as the A.8 code does,
        // so a wrap or a timestamp discontinuity is one sample, not a stop.
        if let Some((arrived, ts)) = self.previous {
            // Exact in nanoseconds, so a perfectly paced stream has D = 0.
            let nanos = |t: Duration| i128::try_from(t.as_nanos()).unwrap_or(i128::MAX);
            let elapsed =
                ((nanos(now) - nanos(arrived)) * i128::from(self.clock_rate)) as f64 / 1e9;
            let advanced = f64::from(timestamp.wrapping_sub(ts) as i32);
            let d = (elapsed - advanced).abs();
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.previous = Some((now, timestamp));
    }

    /// Records the arrival of a sender report from this source, for LSR and
    /// DLSR (RFC 3550 §6.4.1). `ntp` is the report's 64-bit NTP timestamp.
    pub fn on_sender_report(&mut self, now: Duration, ntp: u64) {
        self.last_sr = Some((((ntp >> 16) & 0xffff_ffff) as u32, now));
    }

    /// Packets counted as received (duplicates included, as RFC 3550 §A.1
    /// counts them).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Packets expected: highest extended sequence number minus the first,
    /// plus one (RFC 3550 §A.3).
    pub fn expected(&self) -> u64 {
        if self.received == 0 {
            return 0;
        }
        self.seq.expected()
    }

    /// Cumulative loss, `expected - received`; negative when duplicates
    /// outnumber losses.
    pub fn cumulative_lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// The first extended sequence number counted.
    pub fn base_seq(&self) -> ExtendedSeq {
        self.seq.base()
    }

    /// The highest extended sequence number received.
    pub fn highest_seq(&self) -> ExtendedSeq {
        self.seq.highest()
    }

    /// Duplicates received.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets that arrived after a later one.
    pub fn reordered(&self) -> u64 {
        self.reordered
    }

    /// Packets dropped as a jump beyond the A.1 limits.
    pub fn jumps(&self) -> u64 {
        self.jumps
    }

    /// How many times the sequence restarted after a confirmed jump.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// The largest time between two counted arrivals.
    pub fn max_delta(&self) -> Duration {
        self.max_delta
    }

    /// Interarrival jitter in timestamp units (RFC 3550 §A.8), unrounded;
    /// `None` without a clock rate.
    pub fn jitter(&self) -> Option<f64> {
        (self.clock_rate != 0).then_some(self.jitter)
    }

    /// Interarrival jitter in milliseconds; `None` without a clock rate.
    pub fn jitter_ms(&self) -> Option<f64> {
        self.jitter()
            .map(|j| j * 1000.0 / f64::from(self.clock_rate))
    }

    /// Loss since the previous call (RFC 3550 §A.3), and starts a new interval.
    pub fn take_interval(&mut self) -> IntervalLoss {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost = expected_interval as i64 - received_interval as i64;
        let fraction = if expected_interval == 0 || lost <= 0 {
            0
        } else {
            // RFC 3550 A.3: (lost_interval << 8) / expected_interval.
            u8::try_from(((lost as u64) << 8) / expected_interval).unwrap_or(u8::MAX)
        };
        IntervalLoss {
            expected: expected_interval,
            received: received_interval,
            lost,
            fraction,
        }
    }

    /// The RTCP report block (RFC 3550 §6.4.1) for this source at `now`, to
    /// put in an SR or RR; starts a new loss interval.
    ///
    /// `None` until the first packet arrives: a receiver reports only
    /// sources it has heard from (§6.4), and before that there is no highest
    /// sequence number to put in the block.
    pub fn report(&mut self, now: Duration) -> Option<ReportBlock> {
        if !self.started {
            return None;
        }
        let interval = self.take_interval();
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                let delay = now.saturating_sub(at);
                // Units of 1/65536 s, saturating at the field's maximum.
                let units = delay.as_secs_f64() * 65536.0;
                (lsr, units.min(f64::from(u32::MAX)) as u32)
            }
            None => (0, 0),
        };
        Some(ReportBlock {
            ssrc: self.ssrc,
            fraction_lost: interval.fraction,
            cumulative_lost: self.cumulative_lost().clamp(
                i64::from(CUMULATIVE_LOST_MIN),
                i64::from(CUMULATIVE_LOST_MAX),
            ) as i32,
            extended_highest_sequence: self.seq.highest().as_rtcp_field(),
            jitter: self
                .jitter()
                .map_or(0, |j| j.min(f64::from(u32::MAX)) as u32),
            last_sr,
            delay_since_last_sr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    /// Feeds (seq, arrival ms) with timestamp = 160 * seq.
    fn feed(stats: &mut ReceiverStats, packets: &[(u16, u64)]) -> Vec<PacketClass> {
        packets
            .iter()
            .map(|&(seq, at)| stats.on_packet(ms(at), seq, u32::from(seq).wrapping_mul(160)))
            .collect()
    }

    #[test]
    fn a3_expected_received_and_cumulative_loss() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        feed(&mut s, &[(10, 0), (11, 20), (14, 80), (15, 100)]);
        assert_eq!(s.expected(), 6);
        assert_eq!(s.received(), 4);
        assert_eq!(s.cumulative_lost(), 2);
        assert_eq!(s.base_seq().get(), 10);
        assert_eq!(s.highest_seq().get(), 15);
    }

    #[test]
    fn a1_probation_packets_are_not_counted() {
        let mut s = ReceiverStats::new(1, 8000);
        let classes = feed(&mut s, &[(10, 0), (11, 20), (12, 40)]);
        assert_eq!(classes[0], PacketClass::Probation);
        assert_eq!(s.received(), 2);
        assert_eq!(s.expected(), 2);
    }

    #[test]
    fn a3_interval_fraction_lost() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        // 10 expected, 8 received: fraction = 2 * 256 / 10 = 51.
        feed(
            &mut s,
            &[
                (0, 0),
                (1, 20),
                (2, 40),
                (4, 80),
                (5, 100),
                (6, 120),
                (8, 160),
                (9, 180),
            ],
        );
        let i = s.take_interval();
        assert_eq!((i.expected, i.received, i.lost, i.fraction), (10, 8, 2, 51));
        // Next interval: nothing lost.
        feed(&mut s, &[(10, 200), (11, 220)]);
        let i = s.take_interval();
        assert_eq!((i.expected, i.received, i.lost, i.fraction), (2, 2, 0, 0));
        // An interval with only duplicates: negative loss, fraction 0.
        feed(&mut s, &[(11, 230)]);
        let i = s.take_interval();
        assert_eq!((i.expected, i.received, i.lost, i.fraction), (0, 1, -1, 0));
        assert_eq!(s.cumulative_lost(), 1);
    }

    #[test]
    fn duplicates_and_reordering_are_told_apart() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        let classes = feed(
            &mut s,
            &[(1, 0), (3, 40), (2, 41), (2, 42), (3, 43), (4, 60)],
        );
        assert_eq!(
            classes,
            vec![
                PacketClass::InOrder,
                PacketClass::InOrder,
                PacketClass::Reordered,
                PacketClass::Duplicate,
                PacketClass::Duplicate,
                PacketClass::InOrder
            ]
        );
        assert_eq!(s.duplicates(), 2);
        assert_eq!(s.reordered(), 1);
        // A.1 counts duplicates as received: loss goes negative.
        assert_eq!(s.expected(), 4);
        assert_eq!(s.received(), 6);
        assert_eq!(s.cumulative_lost(), -2);
    }

    #[test]
    fn duplicate_after_window_slide_is_still_detected() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        feed(&mut s, &[(100, 0), (150, 10), (101, 11)]);
        assert_eq!(s.reordered(), 1);
        assert_eq!(feed(&mut s, &[(100, 12)]), vec![PacketClass::Duplicate]);
    }

    #[test]
    fn a8_jitter_of_a_perfect_stream_is_zero_and_of_a_late_packet_decays() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        feed(&mut s, &[(0, 0), (1, 20), (2, 40)]);
        assert_eq!(s.jitter(), Some(0.0));
        // One packet 8 ms late: D = 64 units, J = 64/16 = 4.
        feed(&mut s, &[(3, 68)]);
        assert!((s.jitter().unwrap() - 4.0).abs() < 1e-9);
        assert!((s.jitter_ms().unwrap() - 0.5).abs() < 1e-9);
        // Next on time again: D = 64 again, J = 4 + (64 - 4)/16 = 7.75.
        feed(&mut s, &[(4, 80)]);
        assert!((s.jitter().unwrap() - 7.75).abs() < 1e-9);
        let mut r = s.clone();
        assert_eq!(r.report(ms(100)).unwrap().jitter, 7);
        // Without a clock rate there is no jitter.
        let mut s = ReceiverStats::with_probation(1, 0, 1);
        feed(&mut s, &[(0, 0), (1, 25)]);
        assert_eq!(s.jitter(), None);
    }

    #[test]
    fn jitter_follows_timestamp_wrap() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        let mut ts = u32::MAX - 320;
        for i in 0..6u64 {
            s.on_packet(ms(20 * i), i as u16, ts);
            ts = ts.wrapping_add(160);
        }
        assert_eq!(s.jitter(), Some(0.0));
    }

    #[test]
    fn no_report_block_before_the_first_packet() {
        // RFC 3550 §6.4: report blocks are for sources heard from; before the
        // first packet the tracker's highest sequence is only its seed.
        let mut s = ReceiverStats::new(7, 8000);
        assert_eq!(s.report(ms(1000)), None);
        s.on_packet(ms(1020), 500, 160);
        let block = s.report(ms(1040)).unwrap();
        assert_eq!(block.extended_highest_sequence, 500);
    }

    /// RFC 3550 A.8 as printed: 32-bit wrapping `transit` and `d`, jitter
    /// scaled by 16, reported as `jitter >> 4`.
    fn rfc3550_a8_reference(packets: &[(u64, u32)], rate: u64) -> u32 {
        let (mut jitter, mut last_transit) = (0u32, None::<u32>);
        for &(at_ms, ts) in packets {
            let arrival = (at_ms * rate / 1000) as u32;
            let transit = arrival.wrapping_sub(ts);
            if let Some(last) = last_transit {
                let d = (transit.wrapping_sub(last) as i32).unsigned_abs();
                jitter = jitter.wrapping_add(d).wrapping_sub((jitter + 8) >> 4);
            }
            last_transit = Some(transit);
        }
        jitter >> 4
    }

    #[test]
    fn a8_jitter_keeps_running_after_a_backward_timestamp_jump() {
        // RFC 3550 A.8: D(i,j) = (Rj - Ri) - (Sj - Si), the timestamp
        // difference taken modulo 2^32. A sender (or a B2BUA switching media
        // sources) whose timestamp jumps back by more than it has advanced
        // gives one large D, and the filter then decays; it must not stop.
        let mut packets = Vec::new();
        for i in 0..10u32 {
            packets.push((20 * u64::from(i), 1000 + 160 * i));
        }
        // Same pacing, timestamps restarted 2^28 lower (mod 2^32).
        for i in 10..60u32 {
            packets.push((20 * u64::from(i), 0xf000_0000u32.wrapping_add(160 * i)));
        }
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        for (seq, &(at, ts)) in (0u16..).zip(&packets) {
            s.on_packet(ms(at), seq, ts);
        }
        let reference = rfc3550_a8_reference(&packets, 8000);
        assert!(reference > 1000, "the jump must leave a trace: {reference}");
        let ours = s.report(ms(2000)).unwrap().jitter;
        assert!(
            ours.abs_diff(reference) <= 1,
            "ours {ours}, RFC 3550 A.8 {reference}"
        );
    }

    #[test]
    fn report_block_has_lsr_dlsr_and_rtcp_fields() {
        let mut s = ReceiverStats::with_probation(0xabcd, 8000, 1);
        feed(&mut s, &[(65535, 0), (0, 20), (2, 60)]);
        assert_eq!(s.report(ms(70)).unwrap().last_sr, 0);
        s.on_sender_report(ms(1000), 0x1122_3344_5566_7788);
        feed(&mut s, &[(3, 1010)]);
        let r = s.report(ms(1500)).unwrap();
        assert_eq!(r.ssrc, 0xabcd);
        assert_eq!(r.last_sr, 0x3344_5566);
        // 0.5 s = 32768 units of 1/65536 s.
        assert_eq!(r.delay_since_last_sr, 32768);
        assert_eq!(r.extended_highest_sequence, 0x0001_0003);
        assert_eq!(r.cumulative_lost, 1);
    }

    #[test]
    fn cumulative_loss_clamps_to_24_bits() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        // Walk forward by 2999 at a time (within MAX_DROPOUT) to lose a lot.
        let mut seq = 0u16;
        for i in 0..3000u64 {
            s.on_packet(ms(i), seq, 0);
            seq = seq.wrapping_add(2999);
        }
        assert!(s.cumulative_lost() > 0x7f_ffff);
        assert_eq!(s.report(ms(4000)).unwrap().cumulative_lost, 0x7f_ffff);
    }

    #[test]
    fn jump_then_restart_resets_counters() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        feed(&mut s, &[(1, 0), (2, 20), (3, 40)]);
        let classes = feed(&mut s, &[(30000, 60), (30001, 80), (30002, 100)]);
        assert_eq!(
            classes,
            vec![
                PacketClass::Jump,
                PacketClass::Restarted,
                PacketClass::InOrder
            ]
        );
        assert_eq!(s.jumps(), 1);
        assert_eq!(s.restarts(), 1);
        assert_eq!(s.received(), 2);
        assert_eq!(s.expected(), 2);
        assert_eq!(s.base_seq().get(), 30001);
    }

    #[test]
    fn max_delta_tracks_largest_gap() {
        let mut s = ReceiverStats::with_probation(1, 8000, 1);
        feed(&mut s, &[(0, 0), (1, 20), (2, 75), (3, 80)]);
        assert_eq!(s.max_delta(), ms(55));
    }
}
