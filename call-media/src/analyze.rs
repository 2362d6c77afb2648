//! A sans-IO RTP stream analyzer: feed it UDP datagrams with their arrival
//! time and 5-tuple, read per-stream statistics out.
//!
//! [`RtpAnalyzer`] finds RTP streams among arbitrary UDP traffic, keyed by
//! source, destination and SSRC like Wireshark's "RTP Streams" table, and
//! keeps for each:
//!
//! - RFC 3550 receiver statistics ([`ReceiverStats`]): expected, lost,
//!   duplicates, reordered, A.8 jitter;
//! - the packet timing table Wireshark's RTP stream analysis prints
//!   ([`StreamTiming`]): min/mean/max inter-arrival delta and min/mean/max
//!   jitter in milliseconds, computed with the same definitions so the
//!   numbers can be compared with `tshark -z rtp,streams`;
//! - the RFC 4733 DTMF digits of a telephone-event payload type, recognised
//!   by the shape of its payloads (no SDP needed).
//!
//! # Telling RTP from other UDP
//!
//! A datagram is an RTP candidate when it parses as an RTP packet
//! ([`RtpPacket::parse`]: version 2, header, CSRCs, extension and padding
//! consistent) and its second octet is not an RTCP packet type (RFC 5761 §4:
//! with RTP and RTCP on one port, octet values 192..=223 are RTCP). A new
//! (source, destination, SSRC) is only believed to be an RTP stream when a
//! second packet follows with a sequence number at most
//! [`MAX_CONFIRM_STEP`] ahead; its first packet is then counted as well. A
//! lone datagram that merely looks like RTP never becomes a stream.
//!
//! # Limits
//!
//! At most [`AnalyzerLimits::max_streams`] streams are tracked (datagrams
//! of further ones are counted in [`RtpAnalyzer::dropped_streams`]), at most
//! [`AnalyzerLimits::max_candidates`] unconfirmed candidates (the oldest is
//! forgotten first), and at most [`MAX_DIGITS`] DTMF digits per stream.
//! Memory is bounded by those numbers.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use call_media::analyze::RtpAnalyzer;
//! use call_media::rtp::RtpBuilder;
//!
//! let src = "10.0.0.1:40000".parse().unwrap();
//! let dst = "10.0.0.2:50000".parse().unwrap();
//! let mut analyzer = RtpAnalyzer::new();
//! let mut buf = [0u8; 64];
//! for i in 0..50u16 {
//!     if i == 20 {
//!         continue; // one packet lost
//!     }
//!     let len = RtpBuilder::new()
//!         .payload_type(0)
//!         .sequence_number(1000 + i)
//!         .timestamp(160 * u32::from(i))
//!         .ssrc(0xfeed)
//!         .payload(&[0xff; 20])
//!         .write(&mut buf)?;
//!     let now = Duration::from_millis(20 * u64::from(i));
//!     analyzer.feed(now, src, dst, &buf[..len]);
//! }
//! let stream = analyzer.streams().next().unwrap();
//! assert_eq!(stream.packets, 49);
//! assert_eq!(stream.expected, 50);
//! assert_eq!(stream.lost, 1);
//! assert_eq!(stream.max_jitter_ms, Some(0.0));
//! # Ok::<(), call_media::error::RtpWriteError>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use crate::rtp::RtpPacket;
use crate::seq::TimestampUnwrapper;
use crate::stats::{PacketClass, ReceiverStats};
use crate::telephone_event::TelephoneEvent;

/// The largest forward sequence step from a candidate's first packet that
/// confirms it as a stream.
pub const MAX_CONFIRM_STEP: u16 = 100;
/// The most DTMF digits kept per stream.
pub const MAX_DIGITS: usize = 256;
/// Dynamic payload types per stream that are watched for the RFC 4733 shape.
const EVENT_CANDIDATES: usize = 4;

/// The RTP clock rate of a static payload type (RFC 3551 tables 4 and 5),
/// `None` for dynamic, reserved or unassigned types.
///
/// ```
/// use call_media::analyze::static_clock_rate;
///
/// assert_eq!(static_clock_rate(0), Some(8000)); // PCMU
/// assert_eq!(static_clock_rate(9), Some(8000)); // G.722's clock is 8000 by RFC 3551
/// assert_eq!(static_clock_rate(34), Some(90000)); // H.263
/// assert_eq!(static_clock_rate(101), None);
/// ```
pub fn static_clock_rate(payload_type: u8) -> Option<u32> {
    match payload_type {
        // 1 and 2 were FS-1016 and G.721; 19 was the old comfort noise type.
        0..=5 | 7..=9 | 12 | 13 | 15 | 18 | 19 => Some(8000),
        6 => Some(16000),
        10 | 11 => Some(44100),
        16 => Some(11025),
        17 => Some(22050),
        14 | 25 | 26 | 28 | 31..=34 => Some(90000),
        _ => None,
    }
}

const PT_CN: u8 = 13;
const PT_CN_OLD: u8 = 19;

/// Resource limits of an [`RtpAnalyzer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalyzerLimits {
    /// The most streams kept; datagrams of further new streams are ignored.
    pub max_streams: usize,
    /// The most unconfirmed candidates kept; the oldest is forgotten first,
    /// so a flood of one-off look-alikes cannot crowd out real streams.
    pub max_candidates: usize,
}

impl Default for AnalyzerLimits {
    fn default() -> Self {
        AnalyzerLimits {
            max_streams: 10_000,
            max_candidates: 1024,
        }
    }
}

/// What the analyzer made of one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Datagram {
    /// An RTP packet of a confirmed stream (the index into
    /// [`RtpAnalyzer::streams`]).
    Rtp {
        /// Index of the stream, in order of first appearance.
        stream: usize,
    },
    /// Looks like RTP; its stream is not confirmed yet.
    Candidate,
    /// An RTCP packet (RFC 5761 §4 packet-type range).
    Rtcp,
    /// Not RTP.
    NotRtp,
    /// A new stream beyond [`AnalyzerLimits::max_streams`]; ignored.
    OverLimit,
}

/// Identifies one RTP stream: direction and synchronization source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamKey {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// The SSRC.
    pub ssrc: u32,
}

/// Packet timing the way Wireshark's RTP stream analysis defines it, kept so
/// that our numbers can be checked against `tshark -z rtp,streams`.
///
/// Per packet, with arrival times in milliseconds:
///
/// - A packet is *in time sequence* when its extended RTP timestamp is not
///   older than the stream's first one; only those are measured, and each
///   becomes the reference arrival time for the next (a reordered packet is
///   measured against its successor, and its successor against it, which
///   is how Wireshark scores reordering). The reference timestamp is that
///   of the last in-sequence packet *with a clock rate*, so RFC 4733 events,
///   which keep the timestamp of the event start, do not move it.
/// - delta = arrival - reference arrival.
/// - With a known clock rate (static payload types; RFC 4733 events and
///   unknown dynamic types have none): expected = reference arrival +
///   (timestamp - reference timestamp) / (clock rate in kHz); diff =
///   |arrival - expected|; jitter = (15 jitter + diff) / 16, the A.8 filter
///   in milliseconds.
/// - Min/mean/max are taken over *regular* packets only: not the first, no
///   marker bit, not comfort noise (PT 13 or 19) nor right after it, and in
///   time sequence. The mean is the running `(mean (n-1) + x) / n` with `n`
///   the number of packets seen before this one.
#[derive(Clone, Debug, Default)]
pub struct StreamTiming {
    started: bool,
    reference_ms: f64,
    reference_ts: u64,
    first_ts: u64,
    ts: TimestampUnwrapper,
    last_pt: u8,
    total: u64,
    jitter: f64,
    min_delta: Option<f64>,
    max_delta: f64,
    mean_delta: f64,
    min_jitter: Option<f64>,
    max_jitter: f64,
    mean_jitter: f64,
    jitter_known: bool,
}

impl StreamTiming {
    /// Feeds one packet: arrival time, payload type, marker bit, RTP
    /// timestamp and the clock rate for this payload type (0: unknown).
    pub fn on_packet(
        &mut self,
        now: Duration,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        clock_rate: u32,
    ) {
        let arrival = now.as_secs_f64() * 1000.0;
        let Some(ts) = self.ts.extend(timestamp) else {
            // Older than the first timestamp across a wrap: out of time sequence.
            self.total += 1;
            self.last_pt = payload_type;
            return;
        };
        if !self.started {
            self.started = true;
            self.reference_ms = arrival;
            self.reference_ts = ts;
            self.first_ts = ts;
            self.last_pt = payload_type;
            self.total = 1;
            return;
        }
        let in_time = ts >= self.first_ts;
        let comfort_noise = matches!(payload_type, PT_CN | PT_CN_OLD);
        let after_comfort_noise = matches!(self.last_pt, PT_CN | PT_CN_OLD);
        self.last_pt = payload_type;
        let delta = arrival - self.reference_ms;
        let mut current_jitter = 0.0;
        if in_time && clock_rate != 0 {
            let nominal_ms =
                (ts as f64 - self.reference_ts as f64) / (f64::from(clock_rate) / 1000.0);
            let diff = (arrival - (self.reference_ms + nominal_ms)).abs();
            self.jitter = (15.0 * self.jitter + diff) / 16.0;
            current_jitter = self.jitter;
        }
        if !marker && !comfort_noise && !after_comfort_noise && in_time {
            let n = self.total as f64;
            self.max_delta = self.max_delta.max(delta);
            self.min_delta = Some(self.min_delta.map_or(delta, |m| m.min(delta)));
            self.mean_delta = (self.mean_delta * (n - 1.0) + delta) / n;
            if clock_rate != 0 {
                self.jitter_known = true;
                self.max_jitter = self.max_jitter.max(self.jitter);
                self.mean_jitter = (self.mean_jitter * (n - 1.0) + current_jitter) / n;
                self.min_jitter = Some(self.min_jitter.map_or(self.jitter, |m| m.min(self.jitter)));
            }
        }
        if in_time {
            self.reference_ms = arrival;
            if clock_rate != 0 {
                self.reference_ts = ts;
            }
        }
        self.total += 1;
    }

    /// Smallest delta between regular packets, ms.
    pub fn min_delta_ms(&self) -> Option<f64> {
        self.min_delta
    }

    /// Mean delta, ms (Wireshark's running mean).
    pub fn mean_delta_ms(&self) -> f64 {
        self.mean_delta
    }

    /// Largest delta between regular packets, ms.
    pub fn max_delta_ms(&self) -> f64 {
        self.max_delta
    }

    /// Smallest jitter after a regular packet, ms; `None` without a clock rate.
    pub fn min_jitter_ms(&self) -> Option<f64> {
        self.min_jitter
    }

    /// Mean jitter, ms; `None` without a clock rate.
    pub fn mean_jitter_ms(&self) -> Option<f64> {
        self.jitter_known.then_some(self.mean_jitter)
    }

    /// Largest jitter after a regular packet, ms; `None` without a clock rate.
    pub fn max_jitter_ms(&self) -> Option<f64> {
        self.jitter_known.then_some(self.max_jitter)
    }
}

/// RFC 4733 payload-shape tracking for one dynamic payload type.
#[derive(Clone, Debug)]
struct EventTrack {
    payload_type: u8,
    /// Every payload of this type so far was a whole number of events with
    /// durations that never shrank within one event.
    consistent: bool,
    /// Some event spanned two packets or more (one timestamp, as RFC 4733
    /// §2.5.1.3 sends them; audio never repeats a timestamp this way).
    repeated: bool,
    packets: u64,
    /// Timestamp and duration of the event in progress.
    current: Option<(u32, u16)>,
    digits: String,
}

impl EventTrack {
    fn new(payload_type: u8) -> Self {
        EventTrack {
            payload_type,
            consistent: true,
            repeated: false,
            packets: 0,
            current: None,
            digits: String::new(),
        }
    }

    fn on_packet(&mut self, timestamp: u32, payload: &[u8]) {
        self.packets += 1;
        let Ok(mut events) = TelephoneEvent::iter(payload) else {
            self.consistent = false;
            return;
        };
        if payload.len() > 16 {
            self.consistent = false;
            return;
        }
        let Some(event) = events.next() else {
            return;
        };
        match self.current {
            Some((ts, duration)) if ts == timestamp => {
                self.repeated = true;
                // RFC 4733 §2.5.1.3: the duration of one event only grows.
                if event.duration() < duration {
                    self.consistent = false;
                }
                self.current = Some((ts, event.duration().max(duration)));
            }
            _ => {
                // RFC 4733 §2.5.1.2: a new timestamp starts a new event.
                self.current = Some((timestamp, event.duration()));
                if let Some(key) = event.event().dtmf_char()
                    && self.digits.len() < MAX_DIGITS
                {
                    self.digits.push(key);
                }
            }
        }
    }

    fn is_telephone_event(&self) -> bool {
        self.consistent && self.repeated
    }
}

#[derive(Clone, Debug)]
struct FirstPacket {
    now: Duration,
    seq: u16,
    timestamp: u32,
    payload_type: u8,
    marker: bool,
    /// The first four payload bytes and the payload length, enough to replay
    /// the RFC 4733 shape check.
    head: [u8; 16],
    len: usize,
}

impl FirstPacket {
    fn new(now: Duration, packet: &RtpPacket<'_>) -> Self {
        let payload = packet.payload();
        let mut head = [0u8; 16];
        for (d, s) in head.iter_mut().zip(payload) {
            *d = *s;
        }
        FirstPacket {
            now,
            seq: packet.sequence_number(),
            timestamp: packet.timestamp(),
            payload_type: packet.payload_type(),
            marker: packet.marker(),
            head,
            len: payload.len(),
        }
    }
}

#[derive(Clone, Debug)]
struct Stream {
    key: StreamKey,
    packets: u64,
    pt_counts: [u32; 128],
    stats: ReceiverStats,
    /// Packets expected by the runs before the last RFC 3550 restart,
    /// each counting the packet that announced the jump.
    expected_before_restart: u64,
    timing: StreamTiming,
    /// RFC 4733 shape tracking, one slot per dynamic payload type seen
    /// with a 4-byte payload.
    events: [Option<EventTrack>; EVENT_CANDIDATES],
    first_seen: Duration,
    last_seen: Duration,
}

/// The statistics of one stream, as [`RtpAnalyzer::streams`] reports them.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamReport {
    /// Source, destination and SSRC.
    pub key: StreamKey,
    /// The most frequent payload type other than RFC 4733 events (the event
    /// type if there is nothing else).
    pub payload_type: u8,
    /// The RFC 4733 telephone-event payload type, if one was recognised.
    pub telephone_event_pt: Option<u8>,
    /// Every RTP packet of the stream.
    pub packets: u64,
    /// Packets expected (RFC 3550 §A.3), summed over the runs when the
    /// sequence restarted after a confirmed jump (§A.1).
    pub expected: u64,
    /// `expected - packets`; negative with duplicates.
    pub lost: i64,
    /// Duplicates received.
    pub duplicates: u64,
    /// Packets that arrived after a later one.
    pub reordered: u64,
    /// Smallest inter-arrival delta, ms (Wireshark definition).
    pub min_delta_ms: Option<f64>,
    /// Mean inter-arrival delta, ms (Wireshark definition).
    pub mean_delta_ms: f64,
    /// Largest inter-arrival delta, ms (Wireshark definition).
    pub max_delta_ms: f64,
    /// Smallest jitter, ms (Wireshark definition).
    pub min_jitter_ms: Option<f64>,
    /// Mean jitter, ms (Wireshark definition).
    pub mean_jitter_ms: Option<f64>,
    /// Largest jitter, ms (Wireshark definition).
    pub max_jitter_ms: Option<f64>,
    /// RFC 3550 §A.8 interarrival jitter at the end of the stream, ms.
    pub rfc3550_jitter_ms: Option<f64>,
    /// The DTMF keys seen in RFC 4733 events, in order.
    pub dtmf: String,
    /// Arrival of the first packet.
    pub first_seen: Duration,
    /// Arrival of the last packet.
    pub last_seen: Duration,
}

/// Finds RTP streams in UDP traffic and keeps their statistics.
#[derive(Clone, Debug, Default)]
pub struct RtpAnalyzer {
    limits: AnalyzerLimits,
    streams: Vec<Stream>,
    index: HashMap<StreamKey, usize>,
    candidates: HashMap<StreamKey, FirstPacket>,
    /// Candidate keys, oldest first (may hold keys already confirmed).
    candidate_order: VecDeque<StreamKey>,
    dropped_streams: u64,
}

impl RtpAnalyzer {
    /// An analyzer with the default limits.
    pub fn new() -> Self {
        Self::with_limits(AnalyzerLimits::default())
    }

    /// An analyzer with the given limits.
    pub fn with_limits(limits: AnalyzerLimits) -> Self {
        RtpAnalyzer {
            limits,
            streams: Vec::new(),
            index: HashMap::new(),
            candidates: HashMap::new(),
            candidate_order: VecDeque::new(),
            dropped_streams: 0,
        }
    }

    /// New streams ignored because of [`AnalyzerLimits::max_streams`].
    pub fn dropped_streams(&self) -> u64 {
        self.dropped_streams
    }

    /// Feeds one UDP datagram that arrived at `now` (any fixed origin).
    pub fn feed(
        &mut self,
        now: Duration,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> Datagram {
        // RFC 5761 §4: RTCP packet types 192..=223 share the second octet with
        // RTP's marker bit and payload types 64..=95.
        if let [first, second, ..] = *payload
            && first >> 6 == 2
            && (192..=223).contains(&second)
        {
            return Datagram::Rtcp;
        }
        let Ok(packet) = RtpPacket::parse(payload) else {
            return Datagram::NotRtp;
        };
        let key = StreamKey {
            src,
            dst,
            ssrc: packet.ssrc(),
        };
        let index = match self.index.get(&key) {
            Some(&i) => i,
            None => match self.confirm(key, now, &packet) {
                Some(i) => i,
                None => return self.add_candidate(key, now, &packet),
            },
        };
        let Some(stream) = self.streams.get_mut(index) else {
            return Datagram::NotRtp;
        };
        stream.count(
            now,
            packet.sequence_number(),
            packet.timestamp(),
            packet.payload_type(),
            packet.marker(),
            packet.payload(),
            packet.payload().len(),
        );
        Datagram::Rtp { stream: index }
    }

    /// Turns the candidate for `key` into a stream when `packet` follows its
    /// first packet; returns the new stream's index.
    fn confirm(&mut self, key: StreamKey, now: Duration, packet: &RtpPacket<'_>) -> Option<usize> {
        let first = self.candidates.get(&key)?;
        let step = packet.sequence_number().wrapping_sub(first.seq);
        if step == 0 || step > MAX_CONFIRM_STEP {
            return None;
        }
        if self.streams.len() >= self.limits.max_streams {
            return None;
        }
        let first = self.candidates.remove(&key)?;
        let mut stream = Stream::new(key, now, &first);
        let head = first.head.get(..first.len.min(16)).unwrap_or_default();
        stream.count(
            first.now,
            first.seq,
            first.timestamp,
            first.payload_type,
            first.marker,
            head,
            first.len,
        );
        let index = self.streams.len();
        self.streams.push(stream);
        self.index.insert(key, index);
        Some(index)
    }

    /// Remembers `packet` as the first of a possible stream (replacing an
    /// earlier candidate of the same key that it does not follow).
    fn add_candidate(&mut self, key: StreamKey, now: Duration, packet: &RtpPacket<'_>) -> Datagram {
        if self.streams.len() >= self.limits.max_streams {
            self.dropped_streams += 1;
            return Datagram::OverLimit;
        }
        if !self.candidates.contains_key(&key) {
            while self.candidates.len() >= self.limits.max_candidates.max(1) {
                let Some(oldest) = self.candidate_order.pop_front() else {
                    break;
                };
                self.candidates.remove(&oldest);
            }
            self.candidate_order.push_back(key);
        }
        self.candidates.insert(key, FirstPacket::new(now, packet));
        // Keys of confirmed candidates linger in the order queue; drop them
        // from the front so it stays bounded.
        while let Some(front) = self.candidate_order.front() {
            if self.candidates.contains_key(front) {
                break;
            }
            self.candidate_order.pop_front();
        }
        Datagram::Candidate
    }

    /// Reports of the confirmed streams, in order of first appearance.
    pub fn streams(&self) -> impl Iterator<Item = StreamReport> + '_ {
        self.streams.iter().map(Stream::report)
    }
}

impl Stream {
    fn new(key: StreamKey, now: Duration, first: &FirstPacket) -> Self {
        let clock = static_clock_rate(first.payload_type).unwrap_or(0);
        Stream {
            key,
            packets: 0,
            pt_counts: [0; 128],
            // An analyzer counts from the first packet: no probation.
            stats: ReceiverStats::with_probation(key.ssrc, clock, 1),
            expected_before_restart: 0,
            timing: StreamTiming::default(),
            events: [const { None }; EVENT_CANDIDATES],
            first_seen: first.now,
            last_seen: now,
        }
    }

    /// Counts one packet. `payload` may be only the head of the payload
    /// (for a replayed first packet); `payload_len` is its full length.
    #[allow(clippy::too_many_arguments)]
    fn count(
        &mut self,
        now: Duration,
        seq: u16,
        timestamp: u32,
        payload_type: u8,
        marker: bool,
        payload: &[u8],
        payload_len: usize,
    ) {
        self.packets += 1;
        self.last_seen = now;
        if let Some(c) = self.pt_counts.get_mut(usize::from(payload_type)) {
            *c = c.saturating_add(1);
        }
        let run_expected = self.stats.expected();
        if self.stats.on_packet(now, seq, timestamp) == PacketClass::Restarted {
            // RFC 3550 A.1: the sender restarted; the jump is not loss.
            self.expected_before_restart += run_expected + 1;
        }
        if payload_type >= 96 {
            let known = self
                .events
                .iter()
                .any(|t| t.as_ref().is_some_and(|t| t.payload_type == payload_type));
            if !known
                && payload_len == 4
                && let Some(free) = self.events.iter_mut().find(|t| t.is_none())
            {
                *free = Some(EventTrack::new(payload_type));
            }
            let track = self
                .events
                .iter_mut()
                .flatten()
                .find(|t| t.payload_type == payload_type);
            if let Some(track) = track {
                if payload_len == payload.len() {
                    track.on_packet(timestamp, payload);
                } else {
                    track.consistent = false;
                }
            }
        }
        // Events and unknown dynamic types have no clock for jitter.
        let clock = static_clock_rate(payload_type).unwrap_or(0);
        self.timing
            .on_packet(now, payload_type, marker, timestamp, clock);
    }

    /// The telephone-event track with the most packets, if any.
    fn event_track(&self) -> Option<&EventTrack> {
        self.events
            .iter()
            .flatten()
            .filter(|t| t.is_telephone_event())
            .max_by_key(|t| t.packets)
    }

    fn report(&self) -> StreamReport {
        let event_pt = self.event_track().map(|t| t.payload_type);
        let mut best: Option<(u32, u8)> = None;
        for (pt, &count) in (0u8..).zip(self.pt_counts.iter()) {
            if count > 0 && Some(pt) != event_pt && best.is_none_or(|(c, _)| count > c) {
                best = Some((count, pt));
            }
        }
        let payload_type = best.map(|(_, pt)| pt).or(event_pt).unwrap_or(0);
        let expected = self.expected_before_restart + self.stats.expected();
        StreamReport {
            key: self.key,
            payload_type,
            telephone_event_pt: event_pt,
            packets: self.packets,
            expected,
            lost: expected as i64 - self.packets as i64,
            duplicates: self.stats.duplicates(),
            reordered: self.stats.reordered(),
            min_delta_ms: self.timing.min_delta_ms(),
            mean_delta_ms: self.timing.mean_delta_ms(),
            max_delta_ms: self.timing.max_delta_ms(),
            min_jitter_ms: self.timing.min_jitter_ms(),
            mean_jitter_ms: self.timing.mean_jitter_ms(),
            max_jitter_ms: self.timing.max_jitter_ms(),
            rfc3550_jitter_ms: self.stats.jitter_ms(),
            dtmf: self
                .event_track()
                .map(|t| t.digits.clone())
                .unwrap_or_default(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn lone_rtp_lookalike_is_not_a_stream_and_rtcp_is_recognised() {
        let mut a = RtpAnalyzer::new();
        let (s, d) = (addr("1.1.1.1:1000"), addr("2.2.2.2:2000"));
        assert_eq!(
            a.feed(Duration::ZERO, s, d, &rtp(0, 1, 0, 7, false, &[0; 4])),
            Datagram::Candidate
        );
        // An RTCP receiver report on the same ports.
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 7];
        assert_eq!(a.feed(Duration::ZERO, s, d, &rr), Datagram::Rtcp);
        assert_eq!(
            a.feed(Duration::ZERO, s, d, b"hello world!!"),
            Datagram::NotRtp
        );
        assert_eq!(a.streams().count(), 0);
    }

    #[test]
    fn dtmf_digits_from_event_shape() {
        let mut a = RtpAnalyzer::new();
        let (s, d) = (addr("1.1.1.1:1000"), addr("2.2.2.2:2000"));
        let mut seq = 100u16;
        let mut t = 0u64;
        for (digit, ts) in [(1u8, 8000u32), (2, 16000), (11, 24000)] {
            for (i, dur) in [160u16, 320, 480, 480, 480].into_iter().enumerate() {
                let end = if i >= 2 { 0x80 } else { 0 };
                let payload = [digit, end | 10, (dur >> 8) as u8, dur as u8];
                a.feed(
                    Duration::from_millis(t),
                    s,
                    d,
                    &rtp(101, seq, ts, 9, i == 0, &payload),
                );
                seq += 1;
                t += 20;
            }
        }
        let r = a.streams().next().unwrap();
        assert_eq!(r.dtmf, "12#");
        assert_eq!(r.telephone_event_pt, Some(101));
        assert_eq!(r.payload_type, 101);
        assert_eq!(r.mean_jitter_ms, None);
        assert_eq!(r.packets, 15);
    }

    #[test]
    fn a_confirmed_jump_is_a_restart_not_loss() {
        let mut a = RtpAnalyzer::new();
        let (s, d) = (addr("1.1.1.1:1000"), addr("2.2.2.2:2000"));
        let seqs = (100u16..110).chain(20_000..20_010).chain([20_500]);
        for (i, seq) in seqs.enumerate() {
            let now = Duration::from_millis(20 * i as u64);
            a.feed(now, s, d, &rtp(0, seq, 160 * i as u32, 3, false, &[0; 8]));
        }
        let r = a.streams().next().unwrap();
        assert_eq!(r.packets, 21);
        // Two runs of 10, then a gap of 490 inside the second run.
        assert_eq!(r.expected, 10 + 1 + 9 + 491);
        assert_eq!(r.lost, 490);
    }

    #[test]
    fn reordering_across_the_wrap_is_not_loss() {
        // tshark 4.0 counts a second cycle here and reports 65536 lost.
        let mut a = RtpAnalyzer::new();
        let (s, d) = (addr("1.1.1.1:1000"), addr("2.2.2.2:2000"));
        let order = (65_500u32..65_534)
            .chain([65_534, 65_536, 65_535, 65_537])
            .chain(65_538..65_600);
        for (i, seq) in order.enumerate() {
            let now = Duration::from_millis(20 * i as u64);
            let ts = 160 * (seq - 65_500);
            a.feed(now, s, d, &rtp(0, seq as u16, ts, 5, false, &[0; 8]));
        }
        let r = a.streams().next().unwrap();
        assert_eq!((r.packets, r.expected, r.lost), (100, 100, 0));
        assert_eq!(r.reordered, 1);
    }

    #[test]
    fn timing_skips_markers_and_comfort_noise() {
        let mut t = StreamTiming::default();
        // A long gap before a marker packet (talk spurt) and around comfort
        // noise does not count as a delta.
        let packets = [
            (0u64, 0u8, false, 0u32),
            (20, 0, false, 160),
            (500, 0, true, 4000),
            (520, 0, false, 4160),
            (540, 13, false, 4320),
            (900, 0, false, 7200),
            (920, 0, false, 7360),
        ];
        for (at, pt, marker, ts) in packets {
            t.on_packet(Duration::from_millis(at), pt, marker, ts, 8000);
        }
        assert_eq!(t.max_delta_ms(), 20.0);
        assert_eq!(t.min_delta_ms(), Some(20.0));
        assert_eq!(t.max_jitter_ms(), Some(0.0));
    }

    #[test]
    fn events_are_found_next_to_a_dynamic_audio_type() {
        let mut a = RtpAnalyzer::new();
        let (s, d) = (addr("1.1.1.1:1000"), addr("2.2.2.2:2000"));
        let mut seq = 1u16;
        let mut t = 0u64;
        let mut send = |a: &mut RtpAnalyzer, pt: u8, ts: u32, payload: &[u8]| {
            a.feed(
                Duration::from_millis(t),
                s,
                d,
                &rtp(pt, seq, ts, 4, false, payload),
            );
            seq += 1;
            t += 20;
        };
        // Opus (PT 111) at 48 kHz; some packets happen to be 4 bytes long.
        for i in 0..20u32 {
            let len = if i % 5 == 0 { 4 } else { 60 };
            send(&mut a, 111, 960 * i, &vec![0x78; len]);
        }
        for dur in [160u16, 320, 480] {
            send(&mut a, 101, 19_200, &[7, 10, (dur >> 8) as u8, dur as u8]);
        }
        // A lone 4-byte packet of another dynamic type is not an event.
        send(&mut a, 100, 20_000, &[1, 2, 3, 4]);
        let r = a.streams().next().unwrap();
        assert_eq!(r.telephone_event_pt, Some(101));
        assert_eq!(r.dtmf, "7");
        assert_eq!(r.payload_type, 111);
    }

    #[test]
    fn stream_and_candidate_limits_are_enforced() {
        let limits = AnalyzerLimits {
            max_streams: 1,
            max_candidates: 2,
        };
        let mut a = RtpAnalyzer::with_limits(limits);
        let (s, d) = (addr("1.1.1.1:1000"), addr("2.2.2.2:2000"));
        let t = Duration::ZERO;
        // Three one-off look-alikes: the oldest candidate is forgotten.
        for ssrc in [10, 11, 12] {
            assert_eq!(
                a.feed(t, s, d, &rtp(0, 1, 0, ssrc, false, &[])),
                Datagram::Candidate
            );
        }
        // SSRC 10 was forgotten: its follower is a new candidate (and 11 goes).
        assert_eq!(
            a.feed(t, s, d, &rtp(0, 2, 0, 10, false, &[])),
            Datagram::Candidate
        );
        // SSRC 12 is still a candidate and is confirmed by its follower.
        assert_eq!(
            a.feed(t, s, d, &rtp(0, 2, 0, 12, false, &[])),
            Datagram::Rtp { stream: 0 }
        );
        // The stream limit is reached: new sources are ignored.
        assert_eq!(
            a.feed(t, s, d, &rtp(0, 1, 0, 99, false, &[])),
            Datagram::OverLimit
        );
        assert_eq!(a.dropped_streams(), 1);
        assert_eq!(a.streams().count(), 1);
        assert_eq!(a.streams().next().unwrap().packets, 2);
    }

    #[test]
    fn timing_matches_hand_computation() {
        let mut t = StreamTiming::default();
        // 20 ms packets at 8 kHz; the third arrives 4 ms late.
        for (i, at) in [0u64, 20, 44, 60].into_iter().enumerate() {
            t.on_packet(Duration::from_millis(at), 0, false, 160 * i as u32, 8000);
        }
        // Jitter after packet 3: 4/16 = 0.25; after packet 4: (15*0.25 + 4)/16.
        let j4 = (15.0 * 0.25 + 4.0) / 16.0;
        assert!((t.max_jitter_ms().unwrap() - j4).abs() < 1e-12);
        assert_eq!(t.max_delta_ms(), 24.0);
        assert_eq!(t.min_delta_ms(), Some(16.0));
        // Running mean over n-1 = 1, 2, 3 deltas: (20 + 24 + 16) / 3.
        assert!((t.mean_delta_ms() - 20.0).abs() < 1e-12);
    }
}
