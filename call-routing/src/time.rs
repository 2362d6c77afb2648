//! Time as the router sees it: a monotonic instant passed in by the host.

use std::fmt;
use std::time::Duration;

/// An instant in microseconds since an epoch the host chooses.
///
/// The router only compares and subtracts instants, so any monotonic origin
/// works. Business-hours calendars read it as microseconds since the Unix
/// epoch (UTC); a host that uses calendars passes wall-clock time converted
/// with [`Timestamp::from_micros`].
///
/// ```
/// use std::time::Duration;
/// use call_routing::Timestamp;
///
/// let t = Timestamp::from_secs(10) + Duration::from_millis(1500);
/// assert_eq!(t.as_micros(), 11_500_000);
/// assert_eq!(t.saturating_duration_since(Timestamp::from_secs(10)), Duration::from_millis(1500));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The epoch.
    pub const ZERO: Timestamp = Timestamp(0);
    /// The largest instant; adding to it saturates.
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Timestamp {
        Timestamp(micros)
    }

    /// An instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Timestamp {
        Timestamp(secs.saturating_mul(1_000_000))
    }

    /// An instant from fractional seconds (clamped to the representable range;
    /// NaN gives the epoch). Handy in simulations.
    pub fn from_secs_f64(secs: f64) -> Timestamp {
        let micros = (secs * 1e6).round();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // saturating cast
        Timestamp(micros as u64)
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Seconds since the epoch, as a float.
    pub fn as_secs_f64(self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // sub-microsecond loss only past 2^53 µs
        let micros = self.0 as f64;
        micros / 1e6
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }

    /// `self + duration`, saturating at [`Timestamp::MAX`].
    pub fn saturating_add(self, duration: Duration) -> Timestamp {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(micros))
    }

    /// `self - duration`, saturating at the epoch.
    pub fn saturating_sub(self, duration: Duration) -> Timestamp {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_sub(micros))
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    /// Saturating addition.
    fn add(self, rhs: Duration) -> Timestamp {
        self.saturating_add(rhs)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}
