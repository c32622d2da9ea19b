//! Words shared by every format: how a remedy, a time or a person is said.

use amends_core::domain::Key;
use amends_core::playbook::{CustomerComms, Playbook, RemediationRule, Remedy};
use amends_core::time::Zone;
use jiff::Timestamp;

/// `Tue 2024-10-15 10:20 EDT`
pub fn when(zone: &Zone, at: Timestamp) -> String {
    zone.local(at).strftime("%a %Y-%m-%d %H:%M %Z").to_string()
}

/// The end of a range that starts at `from`: just `13:45` on the same date and offset, the
/// full date, time and zone otherwise (a range across midnight or a daylight-saving change).
pub fn until(zone: &Zone, from: Timestamp, to: Timestamp) -> String {
    let (a, b) = (zone.local(from), zone.local(to));
    if a.date() == b.date() && a.offset() == b.offset() {
        b.strftime("%H:%M").to_string()
    } else {
        when(zone, to)
    }
}

/// `Dana Whitfield (VP Support)`
pub fn person(playbook: &Playbook, key: &Key) -> String {
    playbook
        .person(key)
        .map_or_else(|| key.to_string(), |p| format!("{} ({})", p.name, p.role))
}

/// `7-day service credit`, `named apology from Dana Whitfield (VP Support)` …
pub fn remedy(playbook: &Playbook, r: &Remedy) -> String {
    match r {
        Remedy::ServiceCreditDays(d) => format!("{}-day service credit", d.normalize()),
        Remedy::PercentOfMonthlyFee(p) => format!("{}% of the monthly fee", p.normalize()),
        Remedy::Fixed(amounts) => format!(
            "fixed credit of {}",
            amounts
                .values()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        Remedy::SlaCredit(Some(s)) => format!("SLA credit per schedule {s}"),
        Remedy::SlaCredit(None) => "SLA credit per the account's contract".to_string(),
        Remedy::Acknowledgment => "account acknowledgment, no credit".to_string(),
        Remedy::Apology(k) => format!("named apology from {}", person(playbook, k)),
        Remedy::StatusPageOnly => "status page notification only".to_string(),
        Remedy::Nothing => "none".to_string(),
    }
}

/// A rule's remedies joined with `+`.
pub fn remedies(playbook: &Playbook, rule: &RemediationRule) -> String {
    rule.remedies
        .iter()
        .map(|r| remedy(playbook, r))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The machine word for a remedy kind, as in the playbook.
pub fn remedy_kind(r: &Remedy) -> &'static str {
    match r {
        Remedy::ServiceCreditDays(_) => "service_credit",
        Remedy::PercentOfMonthlyFee(_) => "percent_of_fee",
        Remedy::Fixed(_) => "fixed_credit",
        Remedy::SlaCredit(_) => "sla_credit",
        Remedy::Acknowledgment => "acknowledgment",
        Remedy::Apology(_) => "apology",
        Remedy::StatusPageOnly => "status_page_only",
        Remedy::Nothing => "none",
    }
}

/// A rule's duration band: `over 2h`, `2h or less`, or empty for all durations.
pub fn band(rule: &RemediationRule) -> String {
    match (rule.duration_over, rule.duration_at_most) {
        (Some(o), Some(m)) => format!("over {o}, up to {m}"),
        (Some(o), None) => format!("over {o}"),
        (None, Some(m)) => format!("{m} or less"),
        (None, None) => String::new(),
    }
}

/// The severity table's customer-comms column.
pub fn customer_comms(c: CustomerComms) -> String {
    match c {
        CustomerComms::Within(m) => format!("at {m}"),
        CustomerComms::OnRequest => "if customers ask".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_end_shows_its_date_and_zone_when_they_differ() {
        let ny: Zone = "America/New_York".parse().unwrap();
        let t = |s: &str| amends_core::time::parse_instant(s).unwrap();
        assert_eq!(
            until(
                &ny,
                t("2024-10-15T10:30:00-04:00"),
                t("2024-10-15T13:45:00-04:00")
            ),
            "13:45"
        );
        // Across the November change: 01:15 EST is not 01:15 EDT.
        assert_eq!(
            until(
                &ny,
                t("2024-11-03T01:00:00-04:00"),
                t("2024-11-03T01:15:00-05:00")
            ),
            "Sun 2024-11-03 01:15 EST"
        );
        assert_eq!(
            until(
                &ny,
                t("2024-10-15T23:30:00-04:00"),
                t("2024-10-16T00:15:00-04:00")
            ),
            "Wed 2024-10-16 00:15 EDT"
        );
    }
}
