//! What a template sees: the facts of one message, already written for its reader (money in
//! their locale, times in their zone), so templates stay plain sentences with blanks and never
//! do arithmetic or time-zone conversion.
//!
//! The variables are documented in `docs/templates.md`; [`sample`] fills every one of them,
//! which is how `amends check` knows the full set and renders each template before any
//! incident exists.

use serde::Serialize;

/// Every variable of a message, as the template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// The account (absent for public status page posts).
    pub account: Option<AccountFacts>,
    /// The person the message is addressed to.
    pub contact: Option<ContactFacts>,
    /// The incident, in the reader's time zone.
    pub incident: IncidentFacts,
    /// The account's own impact, when measured from usage logs.
    pub impact: Option<ImpactFacts>,
    /// What the account receives.
    pub remediation: Option<RemediationFacts>,
    /// When the reader hears from us next, while the incident is open.
    pub next_update: Option<NextUpdateFacts>,
    /// The named person who signs the message and answers replies.
    pub sender: Option<PersonFacts>,
    /// The customer-facing root-cause summary, once written.
    pub rca: Option<RcaFacts>,
    /// The step this message belongs to.
    pub step: StepFacts,
}

/// The account a message is about.
#[derive(Debug, Clone, Serialize)]
pub struct AccountFacts {
    /// Id in the company's systems.
    pub id: String,
    /// Company name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// The named account owner, if any.
    pub owner: Option<String>,
}

/// The reader.
#[derive(Debug, Clone, Serialize)]
pub struct ContactFacts {
    /// Full name.
    pub name: String,
    /// First name, for a greeting.
    pub first_name: String,
    /// Email address.
    pub email: Option<String>,
    /// Time zone name.
    pub time_zone: String,
    /// Locale tag.
    pub locale: String,
}

/// The incident as the reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentFacts {
    /// The company's incident id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Failure type (`outage`).
    pub failure_type: String,
    /// The features that failed.
    pub features: Vec<String>,
    /// The features in a sentence: "the web application and the API".
    pub features_text: String,
    /// The cause in plain words, once known.
    pub cause: Option<String>,
    /// Severity id and name.
    pub severity: String,
    /// Severity name (`Critical`).
    pub severity_name: String,
    /// Whether it is still going on.
    pub ongoing: bool,
    /// The start's date: "Tuesday, October 15, 2024".
    pub date: String,
    /// Start time: "10:00 AM EDT".
    pub started: String,
    /// Resolution time, once resolved.
    pub resolved: Option<String>,
    /// The window: "Tuesday, October 15, 2024, 10:00 AM to 2:00 PM EDT", or "since …".
    pub window: String,
    /// How long it lasted (or has lasted): "4 hours".
    pub duration: String,
}

/// An account's measured impact.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactFacts {
    /// Requests it made during the incident.
    pub requests: u64,
    /// Of which failed.
    pub failed_requests: u64,
    /// Minutes in which it was impacted.
    pub impacted_minutes: u64,
    /// First failure, in the reader's zone.
    pub first_failure: Option<String>,
    /// Last failure, in the reader's zone.
    pub last_failure: Option<String>,
}

/// What an account receives.
#[derive(Debug, Clone, Serialize)]
pub struct RemediationFacts {
    /// The credit in the reader's format ("$1,806.45"); absent when there is no money.
    pub credit: Option<String>,
    /// The remedies in words, with the amount: "a 7-day service credit of $1,806.45 and a
    /// personal apology from Dana Whitfield, VP Support".
    pub summary: String,
    /// How the credit was computed: "7 days of your monthly fee".
    pub basis: Option<String>,
    /// Whether it is applied by policy without waiting for approval.
    pub automatic: bool,
    /// The named approver: "Dana Whitfield, VP Support".
    pub approver: String,
    /// The person apologising by name, when the remedy includes a named apology.
    pub apology_from: Option<String>,
}

/// When the next update comes.
#[derive(Debug, Clone, Serialize)]
pub struct NextUpdateFacts {
    /// The time: "11:00 AM EDT" (with the date when it is another day).
    pub time: String,
    /// Where: "by email" or "on our status page".
    pub channel: String,
}

/// A named person.
#[derive(Debug, Clone, Serialize)]
pub struct PersonFacts {
    /// Full name.
    pub name: String,
    /// First name.
    pub first_name: String,
    /// Role.
    pub role: String,
    /// Direct email address.
    pub email: Option<String>,
}

/// The root-cause summary.
#[derive(Debug, Clone, Serialize)]
pub struct RcaFacts {
    /// What happened, in plain words.
    pub what_happened: String,
    /// Why it happened.
    pub why: String,
    /// What was fixed, one item each.
    pub fixed: Vec<String>,
    /// What prevents a recurrence, each with its date.
    pub prevention: Vec<PreventionFacts>,
}

/// One prevention action.
#[derive(Debug, Clone, Serialize)]
pub struct PreventionFacts {
    /// The action.
    pub action: String,
    /// By when, in the reader's format ("November 15, 2024").
    pub by: String,
    /// Whether it is already done.
    pub done: bool,
}

/// The step of the sequence a message belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct StepFacts {
    /// Step id.
    pub id: String,
    /// Occurrence, 1 for the first.
    pub occurrence: u32,
    /// When it is due, in the reader's zone.
    pub due: String,
}

/// "the web application", "the web application and the API", "A, B and C".
pub fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A first name: the first word of a full name.
pub fn first_name(full: &str) -> String {
    full.split_whitespace().next().unwrap_or(full).to_string()
}

/// "4 hours", "45 minutes", "2 hours 15 minutes", "1 day 3 hours".
pub fn duration_words(minutes: i64) -> String {
    let plural = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let parts: Vec<String> = [(days, "day"), (hours, "hour"), (mins, "minute")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| plural(n, w))
        .collect();
    if parts.is_empty() {
        "less than a minute".to_string()
    } else {
        parts.join(" ")
    }
}

/// A complete set of facts with every optional part filled: what `amends check` renders each
/// template against, so an unknown variable or a finding of the linter shows up before any
/// incident exists. The check also renders it with
/// every optional part empty, to catch a template that uses one without asking whether it is
/// there.
pub fn sample() -> Facts {
    Facts {
        account: Some(AccountFacts {
            id: "acct-0001".into(),
            name: "Northwind Analytics".into(),
            tier: "enterprise".into(),
            owner: Some("Riley Chen".into()),
        }),
        contact: Some(ContactFacts {
            name: "Alex Nguyen".into(),
            first_name: "Alex".into(),
            email: Some("alex.nguyen@northwind.example".into()),
            time_zone: "America/New_York".into(),
            locale: "en-US".into(),
        }),
        incident: IncidentFacts {
            id: "INC-2024-1015".into(),
            title: "Service unavailable".into(),
            failure_type: "outage".into(),
            features: vec!["the web application".into(), "the API".into()],
            features_text: "the web application and the API".into(),
            cause: Some(
                "A database change made during planned maintenance failed and took the service offline."
                    .into(),
            ),
            severity: "S1".into(),
            severity_name: "Critical".into(),
            ongoing: false,
            date: "Tuesday, October 15, 2024".into(),
            started: "10:00 AM EDT".into(),
            resolved: Some("2:00 PM EDT".into()),
            window: "Tuesday, October 15, 2024, 10:00 AM to 2:00 PM EDT".into(),
            duration: "4 hours".into(),
        },
        impact: Some(ImpactFacts {
            requests: 4210,
            failed_requests: 312,
            impacted_minutes: 236,
            first_failure: Some("10:02 AM EDT".into()),
            last_failure: Some("1:58 PM EDT".into()),
        }),
        remediation: Some(RemediationFacts {
            credit: Some("$1,806.45".into()),
            summary: "a 7-day service credit of $1,806.45 and a personal apology from Dana Whitfield, VP Support"
                .into(),
            basis: Some("7 days of your monthly fee".into()),
            automatic: true,
            approver: "Dana Whitfield, VP Support".into(),
            apology_from: Some("Dana Whitfield, VP Support".into()),
        }),
        next_update: Some(NextUpdateFacts {
            time: "11:00 AM EDT".into(),
            channel: "by email".into(),
        }),
        sender: Some(PersonFacts {
            name: "Dana Whitfield".into(),
            first_name: "Dana".into(),
            role: "VP Support".into(),
            email: Some("dana.whitfield@example.com".into()),
        }),
        rca: Some(RcaFacts {
            what_happened: "The service was unavailable for four hours.".into(),
            why: "A database change failed during planned maintenance.".into(),
            fixed: vec!["We undid the failed change.".into()],
            prevention: vec![PreventionFacts {
                action: "A second engineer now approves every database change.".into(),
                by: "November 15, 2024".into(),
                done: false,
            }],
        }),
        step: StepFacts {
            id: "ack_email".into(),
            occurrence: 1,
            due: "Tuesday, October 15, 2024 at 10:30 AM EDT".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_naturally() {
        assert_eq!(join_words(&[]), "");
        assert_eq!(join_words(&["a".into()]), "a");
        assert_eq!(join_words(&["a".into(), "b".into()]), "a and b");
        assert_eq!(
            join_words(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
        assert_eq!(duration_words(240), "4 hours");
        assert_eq!(duration_words(61), "1 hour 1 minute");
        assert_eq!(duration_words(45), "45 minutes");
        assert_eq!(duration_words(1500), "1 day 1 hour");
        assert_eq!(duration_words(0), "less than a minute");
        assert_eq!(first_name("Dana Whitfield"), "Dana");
    }
}
