//! Business hours: weekly opening ranges in an IANA time zone, minus
//! holidays. The host supplies "now"; the schedule converts it to local time.
//!
//! ```
//! use call_ivr::schedule::BusinessHours;
//! use jiff::Timestamp;
//!
//! let mut hours = BusinessHours::new("Europe/Paris")?;
//! hours.add_range(jiff::civil::Weekday::Monday, 9 * 60, 17 * 60);
//! // 2026-03-02 is a Monday; 08:30 UTC is 09:30 in Paris.
//! let now: Timestamp = "2026-03-02T08:30:00Z".parse()?;
//! assert!(hours.is_open(now));
//! hours.add_holiday(jiff::civil::date(2026, 3, 2));
//! assert!(!hours.is_open(now));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use crate::ast;
use crate::diagnostic::{Code, Diagnostic};

/// Weekly opening hours in a time zone, with holidays.
#[derive(Clone, Debug)]
pub struct BusinessHours {
    zone: TimeZone,
    zone_name: String,
    /// Open ranges per weekday (Monday first), minutes since midnight,
    /// start inclusive, end exclusive.
    weekly: [Vec<(u16, u16)>; 7],
    holidays: Vec<Date>,
}

impl BusinessHours {
    /// An always-closed schedule in the named IANA zone.
    pub fn new(zone: &str) -> Result<Self, jiff::Error> {
        Ok(BusinessHours {
            zone: TimeZone::get(zone)?,
            zone_name: zone.to_string(),
            weekly: Default::default(),
            holidays: Vec::new(),
        })
    }

    /// The zone's name.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// Opens `day` from `start` to `end`, in minutes since midnight (end
    /// exclusive, at most 1440).
    pub fn add_range(&mut self, day: Weekday, start: u16, end: u16) {
        let index = usize::from(day.to_monday_zero_offset().unsigned_abs());
        if let Some(ranges) = self.weekly.get_mut(index) {
            ranges.push((start, end.min(24 * 60)));
        }
    }

    /// Closes a whole local date.
    pub fn add_holiday(&mut self, date: Date) {
        self.holidays.push(date);
    }

    /// Whether the schedule is open at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        let local = now.to_zoned(self.zone.clone());
        let date = local.date();
        if self.holidays.contains(&date) {
            return false;
        }
        let index = usize::from(local.weekday().to_monday_zero_offset().unsigned_abs());
        let minute = u16::try_from(local.hour()).unwrap_or(0) * 60
            + u16::try_from(local.minute()).unwrap_or(0);
        self.weekly
            .get(index)
            .is_some_and(|r| r.iter().any(|&(s, e)| s <= minute && minute < e))
    }

    /// Builds a schedule from its syntax, reporting bad zones, days, dates
    /// and ranges.
    pub(crate) fn from_ast(s: &ast::Schedule, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        let before = diags.len();
        let mut hours = match &s.timezone {
            None => {
                diags.push(
                    Diagnostic::new(
                        Code::NO_TIME_ZONE,
                        s.name.span,
                        format!("schedule `{}` has no time zone", s.name.text),
                    )
                    .with_help("add a line such as `timezone \"America/New_York\"`"),
                );
                None
            }
            Some(tz) => {
                let name = tz.as_plain().unwrap_or_default();
                match BusinessHours::new(&name) {
                    Ok(h) => Some(h),
                    Err(_) => {
                        diags.push(
                            Diagnostic::new(
                                Code::BAD_TIME_ZONE,
                                tz.span,
                                format!("`{name}` is not an IANA time zone"),
                            )
                            .with_help("use a name such as \"Europe/London\" or \"UTC\""),
                        );
                        None
                    }
                }
            }
        };
        for line in &s.hours {
            let mut days = Vec::new();
            for d in &line.days {
                match parse_days(&d.text) {
                    Some(list) => days.extend(list),
                    None => diags.push(
                        Diagnostic::new(
                            Code::BAD_DATE,
                            d.span,
                            format!("`{}` is not a day or day range", d.text),
                        )
                        .with_help(
                            "days are mon, tue, wed, thu, fri, sat, sun; ranges like mon-fri",
                        ),
                    ),
                }
            }
            for r in &line.ranges {
                let (h1, m1) = r.start;
                let (h2, m2) = r.end;
                let valid_start = h1 < 24 && m1 < 60;
                let valid_end = (h2 < 24 && m2 < 60) || (h2 == 24 && m2 == 0);
                let start = u16::from(h1) * 60 + u16::from(m1);
                let end = u16::from(h2) * 60 + u16::from(m2);
                if !valid_start || !valid_end {
                    diags.push(Diagnostic::new(
                        Code::BAD_RANGE,
                        r.span,
                        "not a time of day: hours go 00-23 (24:00 ends the day), minutes 00-59",
                    ));
                } else if start >= end {
                    diags.push(
                        Diagnostic::new(
                            Code::BAD_RANGE,
                            r.span,
                            "the range closes before it opens",
                        )
                        .with_help("split a range that crosses midnight: `fri 22:00-24:00` and `sat 00:00-02:00`"),
                    );
                } else if let Some(h) = hours.as_mut() {
                    for &day in &days {
                        h.add_range(day, start, end);
                    }
                }
            }
        }
        for holiday in &s.holidays {
            let (y, m, d) = holiday.date;
            match Date::new(y, m as i8, d as i8) {
                Ok(date) => {
                    if let Some(h) = hours.as_mut() {
                        h.add_holiday(date);
                    }
                }
                Err(_) => diags.push(Diagnostic::new(
                    Code::BAD_DATE,
                    holiday.span,
                    format!("{y:04}-{m:02}-{d:02} is not a date"),
                )),
            }
        }
        if s.hours.is_empty() {
            diags.push(Diagnostic::new(
                Code::NEVER_OPEN,
                s.name.span,
                format!("schedule `{}` is never open", s.name.text),
            ));
        }
        if diags.len() > before && diags.iter().skip(before).any(Diagnostic::is_error) {
            return None;
        }
        hours
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// `mon`, `mon-fri` (wrapping ranges such as `fri-mon` are allowed).
fn parse_days(text: &str) -> Option<Vec<Weekday>> {
    match text.split_once('-') {
        None => Some(vec![weekday(text)?]),
        Some((a, b)) => {
            let (a, b) = (weekday(a)?, weekday(b)?);
            let mut out = vec![a];
            let mut d = a;
            while d != b {
                d = d.next();
                out.push(d);
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ranges_wrap() {
        assert_eq!(parse_days("mon-fri").unwrap().len(), 5);
        assert_eq!(
            parse_days("sat-mon").unwrap(),
            vec![Weekday::Saturday, Weekday::Sunday, Weekday::Monday]
        );
        assert!(parse_days("mon-xyz").is_none());
    }

    #[test]
    fn local_time_follows_daylight_saving() {
        let mut h = BusinessHours::new("America/New_York").unwrap();
        h.add_range(Weekday::Monday, 9 * 60, 17 * 60);
        // 2026-03-09 (Mon) is after the DST change: 13:00Z = 09:00 EDT.
        assert!(h.is_open("2026-03-09T13:00:00Z".parse().unwrap()));
        // 2026-03-02 (Mon) is before it: 13:00Z = 08:00 EST.
        assert!(!h.is_open("2026-03-02T13:00:00Z".parse().unwrap()));
    }
}
