//! Business hours: weekly opening windows in an IANA time zone, with holidays.
//!
//! A [`Calendar`] answers "is the queue open at this instant?" for the
//! router's enqueue check. The instant is a [`Timestamp`] read as
//! microseconds since the Unix epoch (UTC), converted to local civil time in
//! the calendar's time zone, so daylight-saving changes are handled by the
//! time-zone database, not by us.
//!
//! ```
//! use call_routing::calendar::{Calendar, Weekday};
//! use call_routing::Timestamp;
//!
//! let calendar = Calendar::new("Europe/Paris")?
//!     .open_weekdays(9, 0, 18, 0)?
//!     .holiday(2026, 12, 25)?;
//! // 2026-11-20 10:00 UTC is 11:00 in Paris on a Friday: open.
//! assert!(calendar.is_open(Timestamp::from_secs(1_795_168_800)));
//! // Christmas Day at the same hour: closed.
//! assert!(!calendar.is_open(Timestamp::from_secs(1_798_192_800)));
//! # Ok::<(), call_routing::error::CalendarError>(())
//! ```

use std::collections::BTreeSet;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

pub use jiff::civil::Weekday;

use crate::error::CalendarError;
use crate::time::Timestamp;

/// The most opening windows a calendar may hold per weekday.
pub const MAX_WINDOWS_PER_DAY: usize = 8;
/// The most holidays a calendar may hold.
pub const MAX_HOLIDAYS: usize = 1024;

/// Weekly business hours in one time zone, with closed dates.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    zone_name: String,
    zone: TimeZone,
    /// Opening windows per weekday (Monday first), `[start, end)` local time.
    weekly: [Vec<(Time, Time)>; 7],
    holidays: BTreeSet<Date>,
}

fn day_index(weekday: Weekday) -> usize {
    usize::from(weekday.to_monday_zero_offset().unsigned_abs())
}

fn civil_time(hour: i8, minute: i8) -> Result<Time, CalendarError> {
    if hour == 24 && minute == 0 {
        return Ok(Time::MAX);
    }
    Time::new(hour, minute, 0, 0).map_err(|_| CalendarError::InvalidTime { hour, minute })
}

impl Calendar {
    /// A calendar in the IANA time zone `zone` ("America/New_York"), closed
    /// until windows are added.
    pub fn new(zone: &str) -> Result<Calendar, CalendarError> {
        let tz = TimeZone::get(zone).map_err(|_| CalendarError::UnknownTimeZone {
            name: zone.to_owned(),
        })?;
        Ok(Calendar {
            zone_name: zone.to_owned(),
            zone: tz,
            weekly: Default::default(),
            holidays: BTreeSet::new(),
        })
    }

    /// The time zone's IANA name.
    pub fn time_zone(&self) -> &str {
        &self.zone_name
    }

    /// Opens `weekday` from `from` to `to` (local `hour:minute`, `to`
    /// exclusive; `24:00` is the end of the day).
    pub fn open(
        mut self,
        weekday: Weekday,
        from: (i8, i8),
        to: (i8, i8),
    ) -> Result<Calendar, CalendarError> {
        let start = civil_time(from.0, from.1)?;
        let end = civil_time(to.0, to.1)?;
        if start >= end {
            return Err(CalendarError::EmptyWindow {
                from_hour: from.0,
                from_minute: from.1,
                to_hour: to.0,
                to_minute: to.1,
            });
        }
        let windows =
            self.weekly
                .get_mut(day_index(weekday))
                .ok_or(CalendarError::TooManyEntries {
                    what: "windows",
                    limit: MAX_WINDOWS_PER_DAY,
                })?;
        if windows.len() >= MAX_WINDOWS_PER_DAY {
            return Err(CalendarError::TooManyEntries {
                what: "windows",
                limit: MAX_WINDOWS_PER_DAY,
            });
        }
        windows.push((start, end));
        Ok(self)
    }

    /// Opens Monday to Friday from `from_hour:from_minute` to `to_hour:to_minute`.
    pub fn open_weekdays(
        mut self,
        from_hour: i8,
        from_minute: i8,
        to_hour: i8,
        to_minute: i8,
    ) -> Result<Calendar, CalendarError> {
        for day in [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ] {
            self = self.open(day, (from_hour, from_minute), (to_hour, to_minute))?;
        }
        Ok(self)
    }

    /// Closes a whole local date (a public holiday).
    pub fn holiday(mut self, year: i16, month: i8, day: i8) -> Result<Calendar, CalendarError> {
        let date = Date::new(year, month, day).map_err(|_| CalendarError::InvalidDate {
            year,
            month,
            day,
        })?;
        if self.holidays.len() >= MAX_HOLIDAYS {
            return Err(CalendarError::TooManyEntries {
                what: "holidays",
                limit: MAX_HOLIDAYS,
            });
        }
        self.holidays.insert(date);
        Ok(self)
    }

    /// Whether the calendar is open at `at` (microseconds since the Unix epoch).
    pub fn is_open(&self, at: Timestamp) -> bool {
        let micros = i64::try_from(at.as_micros()).unwrap_or(i64::MAX);
        let Ok(instant) = jiff::Timestamp::from_microsecond(micros) else {
            return false;
        };
        let local = self.zone.to_datetime(instant);
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let time = local.time();
        self.weekly
            .get(day_index(local.weekday()))
            .is_some_and(|windows| {
                windows
                    .iter()
                    .any(|(start, end)| time >= *start && (time < *end || *end == Time::MAX))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        let ts: jiff::Timestamp = s.parse().unwrap();
        Timestamp::from_micros(u64::try_from(ts.as_microsecond()).unwrap())
    }

    #[test]
    fn opening_hours_follow_daylight_saving_time() {
        let calendar = Calendar::new("America/New_York")
            .unwrap()
            .open_weekdays(9, 0, 17, 0)
            .unwrap();
        // 13:30 UTC is 09:30 EDT in July (open) but 08:30 EST in January.
        assert!(calendar.is_open(utc("2026-07-15T13:30:00Z")));
        assert!(!calendar.is_open(utc("2026-01-14T13:30:00Z")));
        assert!(calendar.is_open(utc("2026-01-14T14:30:00Z")));
        // Saturday.
        assert!(!calendar.is_open(utc("2026-07-18T15:00:00Z")));
        // 17:00 local is closed (end exclusive).
        assert!(!calendar.is_open(utc("2026-07-15T21:00:00Z")));
    }

    #[test]
    fn holidays_close_the_local_date() {
        let calendar = Calendar::new("Asia/Tokyo")
            .unwrap()
            .open(Weekday::Thursday, (0, 0), (24, 0))
            .unwrap()
            .holiday(2026, 12, 31)
            .unwrap();
        // 2026-12-30 16:00 UTC is Thursday 31 December 01:00 in Tokyo.
        assert!(!calendar.is_open(utc("2026-12-30T16:00:00Z")));
        // A week earlier, Thursday 24 December 01:00 in Tokyo: open.
        assert!(calendar.is_open(utc("2026-12-23T16:00:00Z")));
    }

    #[test]
    fn bad_calendars_are_typed_errors() {
        assert!(matches!(
            Calendar::new("Mars/Olympus_Mons"),
            Err(CalendarError::UnknownTimeZone { .. })
        ));
        let calendar = Calendar::new("UTC").unwrap();
        assert!(matches!(
            calendar.clone().open(Weekday::Monday, (10, 0), (9, 0)),
            Err(CalendarError::EmptyWindow { .. })
        ));
        assert!(matches!(
            calendar.clone().open(Weekday::Monday, (25, 0), (26, 0)),
            Err(CalendarError::InvalidTime { .. })
        ));
        assert!(matches!(
            calendar.holiday(2026, 2, 30),
            Err(CalendarError::InvalidDate { .. })
        ));
    }
}
