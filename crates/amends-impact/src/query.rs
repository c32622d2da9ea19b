//! What to measure: which columns hold what (the mapping), the incident window(s) and the
//! threshold that makes a minute "impacted".

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan as _, Zoned};
use rust_decimal::Decimal;

use crate::ImpactError;

/// How a request's outcome is written in the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A boolean column, true when the request succeeded.
    Success(String),
    /// An HTTP-like status code column; a request failed when its code is at least
    /// `failure_from` (500 by default: a 4xx is the client's doing).
    Status {
        /// The column.
        column: String,
        /// The lowest failing code.
        failure_from: i64,
    },
}

impl Outcome {
    /// The column holding the outcome.
    pub fn column(&self) -> &str {
        match self {
            Outcome::Success(c) | Outcome::Status { column: c, .. } => c,
        }
    }
}

/// Which column of the logs holds what. Logs come from many systems; the mapping is how
/// amends reads them without a conversion step.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The account id column.
    pub account: String,
    /// The request time column.
    pub timestamp: String,
    /// The zone of timestamps written without an offset (UTC unless given).
    pub zone: TimeZone,
    /// The outcome column and how to read it.
    pub outcome: Outcome,
    /// Request latency in milliseconds, if the logs have it.
    pub latency: Option<String>,
    /// The endpoint or feature, for windows limited to one.
    pub feature: Option<String>,
    /// The region, for windows limited to one.
    pub region: Option<String>,
}

impl Default for Mapping {
    fn default() -> Mapping {
        Mapping {
            account: "account_id".into(),
            timestamp: "timestamp".into(),
            zone: TimeZone::UTC,
            outcome: Outcome::Status {
                column: "status".into(),
                failure_from: 500,
            },
            latency: None,
            feature: None,
            region: None,
        }
    }
}

impl Mapping {
    /// Applies `key=value` settings over the defaults: `account`, `timestamp`, `zone` (IANA
    /// name for timestamps without offset), `status` (a status code column), `failure_from`
    /// (lowest failing code), `success` (a boolean column), `latency` (milliseconds),
    /// `feature` (or `endpoint`) and `region`.
    pub fn with_settings<'s>(
        mut self,
        settings: impl IntoIterator<Item = &'s str>,
    ) -> Result<Mapping, ImpactError> {
        for setting in settings {
            let Some((key, value)) = setting.split_once('=') else {
                return Err(ImpactError::Config(format!(
                    "column mapping {setting:?} is not key=value (e.g. account=customer_id)"
                )));
            };
            let value = value.trim();
            if value.is_empty() {
                return Err(ImpactError::Config(format!(
                    "column mapping {setting:?} has no column name"
                )));
            }
            match key.trim() {
                "account" => self.account = value.into(),
                "timestamp" => self.timestamp = value.into(),
                "zone" => {
                    self.zone = TimeZone::get(value).map_err(|e| {
                        ImpactError::Config(format!("zone={value}: not an IANA time zone: {e}"))
                    })?;
                }
                "status" => {
                    let failure_from = match &self.outcome {
                        Outcome::Status { failure_from, .. } => *failure_from,
                        Outcome::Success(_) => 500,
                    };
                    self.outcome = Outcome::Status {
                        column: value.into(),
                        failure_from,
                    };
                }
                "failure_from" => {
                    let code: i64 = value.parse().map_err(|_| {
                        ImpactError::Config(format!("failure_from={value}: not a status code"))
                    })?;
                    match &mut self.outcome {
                        Outcome::Status { failure_from, .. } => *failure_from = code,
                        Outcome::Success(_) => {
                            return Err(ImpactError::Config(
                                "failure_from applies to a status column, not success=".into(),
                            ));
                        }
                    }
                }
                "success" => self.outcome = Outcome::Success(value.into()),
                "latency" => self.latency = Some(value.into()),
                "feature" | "endpoint" => self.feature = Some(value.into()),
                "region" => self.region = Some(value.into()),
                other => {
                    return Err(ImpactError::Config(format!(
                        "unknown column mapping key {other:?}: use account, timestamp, zone, status, failure_from, success, latency, feature or region"
                    )));
                }
            }
        }
        Ok(self)
    }
}

/// An incident window: requests in `[start, end)` count, optionally only those of one
/// feature or region. Its zone decides what "one week earlier" is across a DST change.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// First instant inside.
    pub start: Timestamp,
    /// First instant after.
    pub end: Timestamp,
    /// The zone the window was given in (for the baseline's wall-clock week).
    pub zone: TimeZone,
    /// Only requests of this feature (endpoint) count.
    pub feature: Option<String>,
    /// Only requests from this region count.
    pub region: Option<String>,
}

impl Window {
    /// Parses `START/END[;feature=NAME][;region=NAME]`. Each end is an RFC 3339 instant
    /// (`2025-03-10T10:00:00-04:00`), a zoned one (`2025-03-10T10:00[America/New_York]`) or
    /// a local time read in `zone`.
    pub fn parse(spec: &str, zone: &TimeZone) -> Result<Window, ImpactError> {
        let bad = |why: String| ImpactError::Config(format!("window {spec:?}: {why}"));
        let mut parts = spec.split(';');
        let range = parts.next().unwrap_or_default();
        // The '/' between the ends, not one inside a zone name ("…[America/New_York]").
        let mut depth = 0i32;
        let slash = range.char_indices().find(|&(_, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            c == '/' && depth == 0
        });
        let Some((a, b)) = slash.map(|(i, _)| (&range[..i], &range[i + 1..])) else {
            return Err(bad("expected START/END".into()));
        };
        let (start, start_zone) = instant(a.trim(), zone).map_err(&bad)?;
        let (end, _) = instant(b.trim(), zone).map_err(&bad)?;
        if end <= start {
            return Err(bad(format!("ends ({end}) before it starts ({start})")));
        }
        let mut window = Window {
            start,
            end,
            zone: start_zone,
            feature: None,
            region: None,
        };
        for filter in parts {
            match filter.split_once('=') {
                Some(("feature" | "endpoint", v)) => window.feature = Some(v.trim().into()),
                Some(("region", v)) => window.region = Some(v.trim().into()),
                _ => {
                    return Err(bad(format!(
                        "{filter:?} is not feature=NAME or region=NAME"
                    )));
                }
            }
        }
        Ok(window)
    }

    /// The same window one week earlier by the wall clock of its zone (so 10:00–14:00 New
    /// York stays 10:00–14:00 across a DST change, 167 or 169 hours back).
    pub fn baseline(&self) -> Window {
        let back = |t: Timestamp| {
            t.to_zoned(self.zone.clone())
                .checked_sub(1.week())
                .map_or(t, |z| z.timestamp())
        };
        Window {
            start: back(self.start),
            end: back(self.end),
            ..self.clone()
        }
    }
}

/// An instant with the zone it names (or `zone` for offsets and local times).
fn instant(text: &str, zone: &TimeZone) -> Result<(Timestamp, TimeZone), String> {
    if let Ok(z) = text.parse::<Zoned>() {
        return Ok((z.timestamp(), z.time_zone().clone()));
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok((t, zone.clone()));
    }
    let local: jiff::civil::DateTime = text.parse().map_err(|_| {
        format!("{text:?} is not a time (RFC 3339, e.g. 2025-03-10T10:00:00Z, or local 2025-03-10T10:00)")
    })?;
    let t = zone
        .to_ambiguous_timestamp(local)
        .unambiguous()
        .map_err(|_| {
            format!("{text:?} does not exist or happens twice in its zone (a DST change): give an offset")
        })?;
    Ok((t, zone.clone()))
}

/// When a minute counts as impacted for an account: its error rate (failures / requests in
/// that minute) is at least `error_rate`, or its mean latency is at least `latency_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// Error rate, a decimal in (0, 1].
    pub error_rate: Decimal,
    /// Mean latency in milliseconds, when the logs have latency.
    pub latency_ms: Option<u64>,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            error_rate: Decimal::new(5, 2),
            latency_ms: None,
        }
    }
}

impl Thresholds {
    /// The error rate as an exact fraction `(numerator, denominator)`, so comparing a
    /// minute's counts needs no division.
    pub(crate) fn error_fraction(&self) -> Result<(u128, u128), ImpactError> {
        let rate = self.error_rate.normalize();
        if rate <= Decimal::ZERO || rate > Decimal::ONE {
            return Err(ImpactError::Config(format!(
                "the error rate threshold must be above 0 and at most 1, not {rate}"
            )));
        }
        let numerator = u128::try_from(rate.mantissa())
            .map_err(|_| ImpactError::Config(format!("error rate {rate} is negative")))?;
        Ok((numerator, 10u128.pow(rate.scale())))
    }
}

/// Everything one impact run needs besides the files.
#[derive(Debug, Clone)]
pub struct Query {
    /// The columns.
    pub mapping: Mapping,
    /// One or more incident windows; a request counts once even where windows overlap.
    pub windows: Vec<Window>,
    /// What makes a minute impacted.
    pub thresholds: Thresholds,
    /// Count and report bad rows instead of stopping at the first.
    pub skip_bad_rows: bool,
    /// Threads scanning in parallel (at least 1).
    pub threads: usize,
}

impl Query {
    /// Checks the windows against the mapping (a window limited to a feature needs a
    /// feature column).
    pub(crate) fn check(&self) -> Result<(), ImpactError> {
        if self.windows.is_empty() {
            return Err(ImpactError::Config(
                "give at least one incident window".into(),
            ));
        }
        for w in &self.windows {
            if w.feature.is_some() && self.mapping.feature.is_none() {
                return Err(ImpactError::Config(
                    "a window is limited to a feature but no feature column is mapped (feature=COLUMN)".into(),
                ));
            }
            if w.region.is_some() && self.mapping.region.is_none() {
                return Err(ImpactError::Config(
                    "a window is limited to a region but no region column is mapped (region=COLUMN)".into(),
                ));
            }
        }
        self.thresholds.error_fraction().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_keeps_wall_clock_across_dst() {
        let ny = TimeZone::get("America/New_York").unwrap();
        // 2025-03-09 is the spring-forward Sunday in New York.
        let w = Window::parse("2025-03-10T10:00/2025-03-10T14:00", &ny).unwrap();
        assert_eq!(w.start.to_string(), "2025-03-10T14:00:00Z");
        let b = w.baseline();
        assert_eq!(b.start.to_string(), "2025-03-03T15:00:00Z");
        assert_eq!(b.end.to_string(), "2025-03-03T19:00:00Z");
    }

    #[test]
    fn window_parses_filters_and_refuses_nonsense() {
        let w = Window::parse(
            "2025-01-01T23:00:00Z/2025-01-02T01:00:00Z;feature=checkout;region=eu",
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(w.feature.as_deref(), Some("checkout"));
        assert_eq!(w.region.as_deref(), Some("eu"));
        assert!(Window::parse("2025-01-02T00:00Z/2025-01-01T00:00Z", &TimeZone::UTC).is_err());
        assert!(Window::parse("yesterday", &TimeZone::UTC).is_err());
        let zoned = Window::parse(
            "2024-10-15T10:00[America/New_York]/2024-10-15T14:00[America/New_York]",
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(zoned.start.to_string(), "2024-10-15T14:00:00Z");
        assert_eq!(zoned.zone.iana_name(), Some("America/New_York"));
        let ny = TimeZone::get("America/New_York").unwrap();
        let err = Window::parse("2025-03-09T02:30/2025-03-09T04:00", &ny).unwrap_err();
        assert!(err.to_string().contains("DST"), "{err}");
    }

    #[test]
    fn mapping_settings() {
        let m = Mapping::default()
            .with_settings([
                "account=cust",
                "status=code",
                "failure_from=429",
                "zone=Europe/Berlin",
            ])
            .unwrap();
        assert_eq!(m.account, "cust");
        assert_eq!(
            m.outcome,
            Outcome::Status {
                column: "code".into(),
                failure_from: 429
            }
        );
        assert!(Mapping::default().with_settings(["acount=x"]).is_err());
        assert!(
            Mapping::default()
                .with_settings(["zone=Mars/Base"])
                .is_err()
        );
    }

    #[test]
    fn error_fraction_is_exact() {
        let t = Thresholds {
            error_rate: Decimal::new(25, 2),
            latency_ms: None,
        };
        assert_eq!(t.error_fraction().unwrap(), (25, 100));
        let zero = Thresholds {
            error_rate: Decimal::ZERO,
            latency_ms: None,
        };
        assert!(zero.error_fraction().is_err());
    }
}
