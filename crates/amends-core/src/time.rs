//! Time in a playbook: durations ("20m", "2h"), moments relative to the incident
//! ("detection + 20m", "resolution + 5 business days"), named time zones, and the business
//! calendar that every business-day deadline is counted on.
//!
//! All instants are `jiff::Timestamp` (UTC); a zone is attached only to show a time to a person
//! or to count calendar days. The tz database is compiled in, so the same playbook gives the
//! same plan on every machine.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};

/// Why a duration, moment, zone or date could not be parsed. The message is shown to the person
/// who wrote it, so it says what a valid value looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not a duration like `20m` or `2h30m`.
    #[error(
        "{0:?} is not a duration; write minutes, hours or days like \"20m\", \"2h\", \"2h30m\" or \"30d\""
    )]
    BadDuration(String),
    /// Not a moment like `detection + 20m`.
    #[error(
        "{0:?} is not a moment; write \"detection + 20m\", \"start + 1h\", \"resolution + 1h\" or \"resolution + 5 business days\""
    )]
    BadMoment(String),
    /// Not an IANA time zone name.
    #[error(
        "{0:?} is not a known time zone; use an IANA name such as \"America/New_York\" or \"Europe/Berlin\""
    )]
    UnknownZone(String),
    /// Not a calendar date.
    #[error("{0:?} is not a date; write it as YYYY-MM-DD")]
    BadDate(String),
    /// Not a weekday name.
    #[error("{0:?} is not a weekday; use mon, tue, wed, thu, fri, sat or sun")]
    BadWeekday(String),
    /// Not an instant with a zone or offset.
    #[error(
        "{0:?} is not a date-time with its offset or zone; write e.g. \"2024-10-15T10:00:00-04:00\" or \"2024-10-15T10:00:00[America/New_York]\""
    )]
    BadInstant(String),
}

/// A non-negative length of time, minute precision, as written in a playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minutes(i64);

impl Minutes {
    /// A length of `n` minutes.
    pub const fn new(n: i64) -> Minutes {
        Minutes(n)
    }

    /// The number of whole minutes.
    pub fn get(self) -> i64 {
        self.0
    }

    /// As an exact duration for instant arithmetic.
    pub fn duration(self) -> SignedDuration {
        SignedDuration::from_mins(self.0)
    }

    /// The whole minutes between two instants (negative if `to` is earlier).
    pub fn between(from: Timestamp, to: Timestamp) -> Minutes {
        Minutes(to.duration_since(from).as_mins())
    }
}

impl FromStr for Minutes {
    type Err = TimeError;

    /// Parses `"20m"`, `"90 min"`, `"2h"`, `"2h30m"`, `"1 hour"`, `"30d"`, `"30 days"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimeError::BadDuration(s.to_string());
        let text = s.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Err(bad());
        }
        let mut total: i64 = 0;
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return Err(bad());
            }
            let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = rest[digits..].trim_start();
            let unit_len = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let per_unit = match &rest[..unit_len] {
                "m" | "min" | "mins" | "minute" | "minutes" => 1,
                "h" | "hr" | "hrs" | "hour" | "hours" => 60,
                "d" | "day" | "days" => 24 * 60,
                _ => return Err(bad()),
            };
            total = n
                .checked_mul(per_unit)
                .and_then(|m| total.checked_add(m))
                .ok_or_else(bad)?;
            rest = rest[unit_len..].trim_start();
        }
        Ok(Minutes(total))
    }
}

impl fmt::Display for Minutes {
    /// `4h`, `20m`, `2h 30m`, `30d`: the way a person would say it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        // Whole days from two days up read as days; "24h" stays as people say it.
        if m >= 2 * 24 * 60 && m % (24 * 60) == 0 {
            return write!(f, "{}d", m / (24 * 60));
        }
        match (m / 60, m % 60) {
            (0, mins) => write!(f, "{mins}m"),
            (h, 0) => write!(f, "{h}h"),
            (h, mins) => write!(f, "{h}h {mins}m"),
        }
    }
}

/// The incident event a moment is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// When the failure began (often learned later).
    Start,
    /// When the company knew: monitoring fired or a first customer report. The seed's `T+0`.
    Detection,
    /// When service was restored.
    Resolution,
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Anchor::Start => "start",
            Anchor::Detection => "detection",
            Anchor::Resolution => "resolution",
        })
    }
}

/// How far after the anchor: clock time, calendar days, or business days on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delay {
    /// Clock time, e.g. 20 minutes or 24 hours (exactly 24 × 60 minutes).
    Exact(Minutes),
    /// Calendar days ("30d") in the calendar's zone, at the same wall-clock time, so a
    /// deadline a month out does not shift by an hour across a daylight-saving change.
    CalendarDays(u32),
    /// Business days on the playbook's calendar, at the same wall-clock time.
    BusinessDays(u32),
}

/// A moment relative to the incident, e.g. `detection + 20m` or `resolution + 5 business days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Moment {
    /// What it is counted from.
    pub anchor: Anchor,
    /// How long after.
    pub delay: Delay,
}

impl FromStr for Moment {
    type Err = TimeError;

    /// Parses `detection + 20m`, `T+20m` (detection), `start + 1h`, `resolution`,
    /// `resolution + 1h`, `resolution + 5 business days` / `resolution + 5bd`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimeError::BadMoment(s.to_string());
        let text = s.trim().to_ascii_lowercase();
        let (anchor_text, delay_text) = match text.split_once('+') {
            Some((a, d)) => (a.trim(), Some(d.trim())),
            None => (text.as_str(), None),
        };
        let anchor = match anchor_text {
            "t" | "detection" | "detected" => Anchor::Detection,
            "start" | "started" => Anchor::Start,
            "resolution" | "resolved" => Anchor::Resolution,
            _ => return Err(bad()),
        };
        let delay = match delay_text {
            None => Delay::Exact(Minutes(0)),
            Some(d) => {
                let business = ["business days", "business day", "bd"]
                    .iter()
                    .find_map(|suffix| d.strip_suffix(suffix));
                let days = ["days", "day", "d"]
                    .iter()
                    .find_map(|suffix| d.strip_suffix(suffix))
                    .and_then(|n| n.trim().parse::<u32>().ok());
                match (business, days) {
                    (Some(n), _) => Delay::BusinessDays(n.trim().parse().map_err(|_| bad())?),
                    (None, Some(n)) => Delay::CalendarDays(n),
                    (None, None) => Delay::Exact(d.parse().map_err(|_| bad())?),
                }
            }
        };
        Ok(Moment { anchor, delay })
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.delay {
            Delay::Exact(m) if m.get() == 0 => write!(f, "{}", self.anchor),
            Delay::Exact(m) => write!(f, "{} + {m}", self.anchor),
            Delay::CalendarDays(n) => write!(f, "{} + {n}d", self.anchor),
            Delay::BusinessDays(1) => write!(f, "{} + 1 business day", self.anchor),
            Delay::BusinessDays(n) => write!(f, "{} + {n} business days", self.anchor),
        }
    }
}

/// A named IANA time zone, parsed against the bundled tz database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    // Shared: a million contacts in a few dozen zones share a few dozen names.
    name: std::sync::Arc<str>,
    tz: TimeZone,
}

impl Zone {
    /// The IANA name, e.g. `America/New_York`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The jiff time zone, for conversions.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// An instant as a wall-clock time in this zone.
    pub fn local(&self, at: Timestamp) -> Zoned {
        at.to_zoned(self.tz.clone())
    }
}

impl FromStr for Zone {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        TimeZone::get(name)
            .map(|tz| Zone {
                name: name.into(),
                tz,
            })
            .map_err(|_| TimeError::UnknownZone(s.to_string()))
    }
}

/// Parses an instant that carries its offset or zone. A bare local time is refused: "10:00" in
/// whose zone is exactly the ambiguity a recovery plan must not have.
pub fn parse_instant(s: &str) -> Result<Timestamp, TimeError> {
    let text = s.trim();
    if let Ok(z) = text.parse::<Zoned>() {
        return Ok(z.timestamp());
    }
    text.parse::<Timestamp>()
        .map_err(|_| TimeError::BadInstant(s.to_string()))
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, TimeError> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| TimeError::BadDate(s.to_string()))
}

/// Parses `mon`, `Monday`, `tue` … into a weekday.
pub fn parse_weekday(s: &str) -> Result<Weekday, TimeError> {
    let lower = s.trim().to_ascii_lowercase();
    let day = match lower.as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tues" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => return Err(TimeError::BadWeekday(s.to_string())),
    };
    Ok(day)
}

/// The company's working calendar: its zone, working weekdays and holidays.
///
/// "5 business days after resolution" is counted here: from the resolution's date in the
/// calendar's zone, step over days that are weekends or holidays, land on the same wall-clock
/// time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    zone: Zone,
    working_days: [bool; 7],
    holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    /// A calendar; `working_days` must not be empty (checked by the playbook parser, which can
    /// point at the line).
    pub fn new(
        zone: Zone,
        working_days: impl IntoIterator<Item = Weekday>,
        holidays: impl IntoIterator<Item = Date>,
    ) -> BusinessCalendar {
        let mut days = [false; 7];
        for d in working_days {
            days[Self::index(d)] = true;
        }
        BusinessCalendar {
            zone,
            working_days: days,
            holidays: holidays.into_iter().collect(),
        }
    }

    fn index(d: Weekday) -> usize {
        usize::try_from(d.to_monday_zero_offset()).unwrap_or(0)
    }

    /// The calendar's zone.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The holidays, in date order.
    pub fn holidays(&self) -> impl DoubleEndedIterator<Item = &Date> {
        self.holidays.iter()
    }

    /// The working weekdays, Monday first.
    pub fn working_days(&self) -> impl Iterator<Item = Weekday> + '_ {
        (0i8..7)
            .filter(|&i| self.working_days[i as usize])
            .filter_map(|i| Weekday::from_monday_zero_offset(i).ok())
    }

    /// True if `date` is a working weekday and not a holiday.
    pub fn is_business_day(&self, date: Date) -> bool {
        self.working_days[Self::index(date.weekday())] && !self.holidays.contains(&date)
    }

    /// The instant `n` business days after `from`, at the same wall-clock time in the
    /// calendar's zone. Day one is the first business day after `from`'s date.
    pub fn add_business_days(&self, from: Timestamp, n: u32) -> Timestamp {
        let start = self.zone.local(from);
        let mut date = start.date();
        let mut left = n;
        // A calendar with no working day would never end; the parser refuses it, and this
        // bound keeps the function total anyway.
        let mut guard = 0u32;
        while left > 0 && guard < 366 * 50 {
            date = date.tomorrow().unwrap_or(date);
            guard += 1;
            if self.is_business_day(date) {
                left -= 1;
            }
        }
        date.to_datetime(start.time())
            .to_zoned(self.zone.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(from)
    }

    /// Business days strictly after `from` up to and including `to` (dates in the calendar).
    pub fn business_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0;
        let mut date = from;
        while date < to {
            date = match date.checked_add(1.day()) {
                Ok(d) => d,
                Err(_) => break,
            };
            if self.is_business_day(date) {
                count += 1;
            }
        }
        count
    }

    /// Resolves a moment against the incident's anchors. `None` if the anchor has not happened
    /// (no resolution yet).
    pub fn resolve(&self, moment: Moment, anchors: &Anchors) -> Option<Timestamp> {
        let base = anchors.get(moment.anchor)?;
        Some(match moment.delay {
            Delay::Exact(m) => base.saturating_add(m.duration()).unwrap_or(base),
            Delay::CalendarDays(n) => self
                .zone
                .local(base)
                .checked_add(i64::from(n).days())
                .map_or(base, |z| z.timestamp()),
            Delay::BusinessDays(n) => self.add_business_days(base, n),
        })
    }
}

/// The instants of an incident that moments are counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchors {
    /// When the failure began.
    pub start: Timestamp,
    /// When it was detected.
    pub detection: Timestamp,
    /// When service was restored, if it has been.
    pub resolution: Option<Timestamp>,
}

impl Anchors {
    /// The instant of one anchor.
    pub fn get(&self, anchor: Anchor) -> Option<Timestamp> {
        match anchor {
            Anchor::Start => Some(self.start),
            Anchor::Detection => Some(self.detection),
            Anchor::Resolution => self.resolution,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn new_york() -> BusinessCalendar {
        BusinessCalendar::new(
            "America/New_York".parse().unwrap(),
            [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
            [date(2024, 11, 28), date(2024, 12, 25), date(2025, 1, 1)],
        )
    }

    fn at(s: &str) -> Timestamp {
        parse_instant(s).unwrap()
    }

    #[test]
    fn durations_parse_in_the_forms_people_write() {
        for (text, mins) in [
            ("20m", 20),
            ("20 min", 20),
            ("90 minutes", 90),
            ("2h", 120),
            ("1 hour", 60),
            ("2h30m", 150),
            ("2h 30m", 150),
            ("24h", 1440),
            ("30d", 43200),
            ("90 days", 129600),
        ] {
            assert_eq!(text.parse::<Minutes>(), Ok(Minutes(mins)), "{text}");
        }
        for bad in ["", "m", "20", "20x", "2.5h", "-5m", "h2"] {
            assert!(bad.parse::<Minutes>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn durations_display_compactly() {
        assert_eq!(Minutes(20).to_string(), "20m");
        assert_eq!(Minutes(240).to_string(), "4h");
        assert_eq!(Minutes(150).to_string(), "2h 30m");
        assert_eq!(Minutes(43200).to_string(), "30d");
        assert_eq!(Minutes(0).to_string(), "0m");
        assert_eq!(Minutes(1440).to_string(), "24h");
    }

    #[test]
    fn moments_parse_with_anchor_and_delay() {
        let m: Moment = "detection + 20m".parse().unwrap();
        assert_eq!(m.anchor, Anchor::Detection);
        assert_eq!(m.delay, Delay::Exact(Minutes(20)));
        assert_eq!(
            "T+30m".parse::<Moment>().unwrap(),
            "detection + 30m".parse().unwrap()
        );
        let rca: Moment = "resolution + 5 business days".parse().unwrap();
        assert_eq!(rca.delay, Delay::BusinessDays(5));
        assert_eq!("resolution + 5bd".parse::<Moment>().unwrap(), rca);
        assert_eq!(rca.to_string(), "resolution + 5 business days");
        assert_eq!(
            "resolution".parse::<Moment>().unwrap().delay,
            Delay::Exact(Minutes(0))
        );
        for bad in [
            "soon",
            "detection + ",
            "lunch + 1h",
            "resolution + x business days",
        ] {
            assert!(bad.parse::<Moment>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn zones_and_instants_need_to_be_explicit() {
        assert!("America/New_York".parse::<Zone>().is_ok());
        assert_eq!(
            "Mars/Olympus".parse::<Zone>(),
            Err(TimeError::UnknownZone("Mars/Olympus".into()))
        );
        assert_eq!(
            at("2024-10-15T10:00:00-04:00"),
            at("2024-10-15T10:00:00[America/New_York]")
        );
        assert_eq!(at("2024-10-15T14:00:00Z"), at("2024-10-15T10:00:00-04:00"));
        assert!(parse_instant("2024-10-15 10:00").is_err());
        assert!(parse_weekday("Friday").is_ok());
        assert!(parse_weekday("fr").is_err());
        assert!(parse_weekday("wedding").is_err());
        assert!(parse_date("2024-02-30").is_err());
    }

    #[test]
    fn five_business_days_after_a_tuesday_is_the_next_tuesday() {
        let cal = new_york();
        let resolved = at("2024-10-15T14:00:00-04:00");
        assert_eq!(
            cal.add_business_days(resolved, 5),
            at("2024-10-22T14:00:00-04:00")
        );
    }

    #[test]
    fn business_days_skip_holidays_and_cross_daylight_saving_at_wall_time() {
        let cal = new_york();
        // Wed 27 Nov 2024 + 2: Thanksgiving (28th) is skipped, Fri 29th, then Mon 2 Dec.
        assert_eq!(
            cal.add_business_days(at("2024-11-27T09:00:00-05:00"), 2),
            at("2024-12-02T09:00:00-05:00")
        );
        // Fri 1 Nov 2024 (EDT) + 1 = Mon 4 Nov (EST): same wall time, different offset.
        assert_eq!(
            cal.add_business_days(at("2024-11-01T14:00:00-04:00"), 1),
            at("2024-11-04T14:00:00-05:00")
        );
        // Counting starts after a weekend day too.
        assert_eq!(
            cal.add_business_days(at("2024-10-19T12:00:00-04:00"), 1),
            at("2024-10-21T12:00:00-04:00")
        );
        // The day is counted in the calendar's zone, not UTC: 23:30 in New York is already
        // the next day in UTC.
        assert_eq!(
            cal.add_business_days(at("2024-10-18T23:30:00-04:00"), 1),
            at("2024-10-21T23:30:00-04:00")
        );
    }

    #[test]
    fn moments_resolve_against_anchors_and_wait_for_resolution() {
        let cal = new_york();
        let mut anchors = Anchors {
            start: at("2024-10-15T10:00:00-04:00"),
            detection: at("2024-10-15T10:05:00-04:00"),
            resolution: None,
        };
        let t20: Moment = "detection + 20m".parse().unwrap();
        assert_eq!(
            cal.resolve(t20, &anchors),
            Some(at("2024-10-15T10:25:00-04:00"))
        );
        let res: Moment = "resolution + 1h".parse().unwrap();
        assert_eq!(cal.resolve(res, &anchors), None);
        anchors.resolution = Some(at("2024-10-15T14:00:00-04:00"));
        // Calendar days keep the wall-clock time across the November DST change…
        let month: Moment = "resolution + 30d".parse().unwrap();
        assert_eq!(month.delay, Delay::CalendarDays(30));
        assert_eq!(
            cal.resolve(month, &anchors),
            Some(at("2024-11-14T14:00:00-05:00"))
        );
        // …while hours are exact: 24h before the DST change is 23:00 wall time lost an hour.
        let nov2 = Anchors {
            resolution: Some(at("2024-11-02T14:00:00-04:00")),
            ..anchors
        };
        let day: Moment = "resolution + 24h".parse().unwrap();
        assert_eq!(
            cal.resolve(day, &nov2),
            Some(at("2024-11-03T13:00:00-05:00"))
        );
        let one_day: Moment = "resolution + 1 day".parse().unwrap();
        assert_eq!(
            cal.resolve(one_day, &nov2),
            Some(at("2024-11-03T14:00:00-05:00"))
        );
        assert_eq!(
            cal.resolve(res, &anchors),
            Some(at("2024-10-15T15:00:00-04:00"))
        );
    }

    proptest! {
        #[test]
        fn adding_business_days_lands_on_a_business_day_counted_exactly(
            day in 0i64..3000, minute in 0i64..1440, n in 0u32..40
        ) {
            let cal = new_york();
            let from = at("2023-01-01T00:00:00-05:00")
                .saturating_add(SignedDuration::from_mins(day * 1440 + minute)).unwrap();
            let to = cal.add_business_days(from, n);
            let from_date = cal.zone().local(from).date();
            let to_date = cal.zone().local(to).date();
            prop_assert!(to >= from);
            prop_assert_eq!(cal.business_days_between(from_date, to_date), n);
            if n > 0 {
                prop_assert!(cal.is_business_day(to_date));
            }
        }

        #[test]
        fn more_business_days_is_never_earlier(
            day in 0i64..3000, n in 0u32..30, extra in 0u32..10
        ) {
            let cal = new_york();
            let from = at("2023-01-01T09:00:00-05:00")
                .saturating_add(SignedDuration::from_hours(day * 24)).unwrap();
            prop_assert!(cal.add_business_days(from, n + extra) >= cal.add_business_days(from, n));
        }

        #[test]
        fn durations_round_trip_through_display(mins in 0i64..1_000_000) {
            let shown = Minutes(mins).to_string().replace(' ', "");
            prop_assert_eq!(shown.parse::<Minutes>(), Ok(Minutes(mins)));
        }
    }
}
