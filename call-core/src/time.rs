//! Time as the caller gives it.
//!
//! Nothing in this crate reads a clock. Every input carries a [`Timestamp`]:
//! milliseconds since the Unix epoch (1970-01-01T00:00:00Z) by convention, so
//! call detail records serialize as plain integers that any database and any
//! language read without a time library. A host that prefers another epoch
//! (process start, a simulation's zero) may use it consistently; the model only
//! ever compares and subtracts timestamps.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since the Unix epoch.
///
/// Millisecond resolution matches what call detail records, SIP timestamps and
/// contact-center reports use, and a `u64` of milliseconds lasts 584 million
/// years. Arithmetic saturates: a timestamp never wraps.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use call_core::time::Timestamp;
///
/// let start = Timestamp::from_millis(1_700_000_000_000);
/// let end = start + Duration::from_secs(90);
/// assert_eq!(end.saturating_duration_since(start), Duration::from_secs(90));
/// assert_eq!(start.saturating_duration_since(end), Duration::ZERO);
/// assert_eq!(serde_json::to_string(&start).unwrap(), "1700000000000");
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The epoch itself.
    pub const ZERO: Timestamp = Timestamp(0);
    /// The latest representable instant; used as "never" by saturating maths.
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// A timestamp from milliseconds since the epoch.
    #[inline]
    pub const fn from_millis(millis: u64) -> Self {
        Timestamp(millis)
    }

    /// A timestamp from whole seconds since the epoch (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Timestamp(secs.saturating_mul(1000))
    }

    /// Milliseconds since the epoch.
    #[inline]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// The time from `earlier` to `self`, or `None` when `earlier` is later.
    pub const fn checked_duration_since(self, earlier: Timestamp) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => None,
        }
    }

    /// Milliseconds from `earlier` to `self`, or zero when `earlier` is later.
    #[inline]
    pub const fn millis_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// `self + duration`, saturating at [`Timestamp::MAX`]. Sub-millisecond
    /// parts of `duration` are dropped.
    pub fn saturating_add(self, duration: Duration) -> Timestamp {
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }

    /// `self + millis`, saturating at [`Timestamp::MAX`].
    #[inline]
    pub const fn saturating_add_millis(self, millis: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(millis))
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    /// Saturating: see [`Timestamp::saturating_add`].
    fn add(self, rhs: Duration) -> Timestamp {
        self.saturating_add(rhs)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A compact optional timestamp for live state: `u64::MAX` means "not yet".
///
/// `Option<Timestamp>` takes 16 bytes; this takes 8, which matters for the
/// per-call memory budget (see `docs/core.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OptTime(u64);

impl OptTime {
    pub(crate) const NONE: OptTime = OptTime(u64::MAX);

    #[inline]
    pub(crate) const fn some(t: Timestamp) -> OptTime {
        // The one timestamp we cannot represent is MAX itself; clamp it.
        if t.0 == u64::MAX {
            OptTime(u64::MAX - 1)
        } else {
            OptTime(t.0)
        }
    }

    #[inline]
    pub(crate) const fn get(self) -> Option<Timestamp> {
        if self.0 == u64::MAX {
            None
        } else {
            Some(Timestamp(self.0))
        }
    }

    #[inline]
    pub(crate) const fn is_some(self) -> bool {
        self.0 != u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Timestamp::MAX + Duration::from_secs(1), Timestamp::MAX);
        assert_eq!(Timestamp::from_secs(u64::MAX), Timestamp::MAX);
        assert_eq!(
            Timestamp::from_millis(5).checked_duration_since(Timestamp::from_millis(6)),
            None
        );
        assert_eq!(Timestamp::from_millis(1_234).to_string(), "1.234");
    }

    #[test]
    fn opt_time_round_trips() {
        assert_eq!(OptTime::NONE.get(), None);
        let t = Timestamp::from_millis(7);
        assert_eq!(OptTime::some(t).get(), Some(t));
        assert!(OptTime::some(Timestamp::MAX).is_some());
    }
}
