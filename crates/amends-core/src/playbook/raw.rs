//! The playbook exactly as written in TOML, with the byte span of every value that a later
//! check may need to point at. Nothing here is trusted: `super::check` turns it into the
//! validated [`super::Playbook`].

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

pub(super) type Text = Spanned<String>;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlaybook {
    pub playbook: Spanned<RawHeader>,
    pub calendar: Spanned<RawCalendar>,
    #[serde(default)]
    pub people: BTreeMap<Text, Spanned<RawPerson>>,
    pub classification: Spanned<RawClassification>,
    #[serde(default)]
    pub severity: Vec<Spanned<RawSeverity>>,
    #[serde(default)]
    pub templates: BTreeMap<Text, Spanned<RawTemplate>>,
    #[serde(default)]
    pub lint: RawLint,
    #[serde(default)]
    pub services: BTreeMap<Text, Spanned<RawService>>,
    #[serde(default)]
    pub communication: BTreeMap<Text, Vec<Spanned<RawStep>>>,
    pub remediation: Spanned<RawRemediation>,
    #[serde(default)]
    pub sla_schedules: BTreeMap<Text, Spanned<RawSlaSchedule>>,
    #[serde(default)]
    pub escalation: BTreeMap<Text, Vec<Spanned<RawEscalationStep>>>,
    #[serde(default)]
    pub review: Vec<Spanned<RawReview>>,
    pub impact: Option<Spanned<RawImpact>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImpact {
    pub target: Option<Text>,
    pub error_rate: Option<Spanned<Exact>>,
    pub latency_ms: Option<Spanned<u64>>,
    pub credit_per_impacted_hour: Option<Spanned<BTreeMap<String, Text>>>,
    pub sla_downtime: Option<Text>,
    #[serde(default)]
    pub columns: BTreeMap<String, Text>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeader {
    pub name: Text,
    pub version: Text,
    pub tiers: Spanned<Vec<Text>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalendar {
    pub time_zone: Text,
    pub working_days: Spanned<Vec<Text>>,
    #[serde(default)]
    pub holidays: Vec<Text>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    pub name: Text,
    pub role: Text,
    pub email: Option<Text>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClassification {
    pub unmatched: Text,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeverity {
    pub id: Text,
    pub name: Text,
    pub summary: Text,
    pub owners: Spanned<Vec<Text>>,
    pub initial_notification: Text,
    pub customer_comms: Text,
    #[serde(default)]
    pub criteria: Vec<Spanned<RawCriterion>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCriterion {
    pub failure_types: Option<Spanned<Vec<Text>>>,
    pub share_affected_at_least: Option<Spanned<Exact>>,
    pub share_affected_below: Option<Spanned<Exact>>,
    pub duration_over: Option<Text>,
    pub duration_under: Option<Text>,
    pub core_feature: Option<bool>,
    pub workaround: Option<bool>,
    pub tiers_affected_any: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplate {
    pub description: Text,
    pub purpose: Option<Text>,
    pub subject: Option<Text>,
    pub body: Option<Text>,
    pub script: Option<Text>,
    pub file: Option<Text>,
    pub sender: Option<Text>,
    pub named_contact: Option<bool>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    pub title: Text,
    #[serde(rename = "type")]
    pub failure_type: Text,
    #[serde(default)]
    pub features: Vec<Text>,
    pub core_feature: bool,
    pub workaround: bool,
    pub affected: Spanned<crate::incident::ScopeSpec>,
    pub triage_auto_confirm: Option<Text>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLint {
    pub max_reading_grade: Option<Spanned<u32>>,
    pub max_sms_segments: Option<Spanned<u32>>,
    pub max_status_chars: Option<Spanned<u32>>,
    pub max_chat_chars: Option<Spanned<u32>>,
    #[serde(default)]
    pub levels: BTreeMap<Text, Text>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub id: Text,
    pub at: Text,
    pub every: Option<Text>,
    pub only_if: Option<Text>,
    pub channel: Text,
    pub audience: Text,
    pub template: Text,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRemediation {
    pub credit_day_basis: Option<Spanned<DayBasisText>>,
    pub contract_sla: Option<Text>,
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub tier: Text,
    pub severity: Text,
    pub duration_over: Option<Text>,
    pub duration_at_most: Option<Text>,
    pub remedies: Spanned<Vec<Spanned<RawRemedy>>>,
    #[serde(default)]
    pub automatic: bool,
    pub approver: Option<Text>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRemedy {
    pub kind: Text,
    pub days: Option<Spanned<Exact>>,
    pub percent: Option<Spanned<Exact>>,
    pub amounts: Option<Spanned<BTreeMap<String, Text>>>,
    pub schedule: Option<Text>,
    pub from_role: Option<Text>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlaSchedule {
    pub description: Option<Text>,
    pub source: Option<Text>,
    pub cap_percent: Option<Spanned<Exact>>,
    pub minimum_credit: Option<Spanned<BTreeMap<String, Text>>>,
    pub tiers: Spanned<Vec<Spanned<RawSlaTier>>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlaTier {
    pub uptime_below: Spanned<Exact>,
    pub credit_percent: Spanned<Exact>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEscalationStep {
    pub at: Text,
    pub actor: Text,
    pub action: Text,
    pub notify: Spanned<Vec<Text>>,
    pub channel: Text,
    pub target: Option<Text>,
    #[serde(default)]
    pub information: Vec<Text>,
    #[serde(default)]
    pub when_any: Vec<Spanned<RawCondition>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCondition {
    pub tier: Option<Text>,
    pub affected_accounts_over: Option<u32>,
    pub duration_over: Option<Text>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReview {
    pub id: Text,
    pub title: Text,
    pub due: Text,
    pub owner: Text,
    #[serde(default)]
    pub participants: Vec<Text>,
    #[serde(default)]
    pub customer_facing: bool,
    pub severities: Option<Vec<Text>>,
}

/// An exact decimal written as an integer (`7`) or a string (`"99.99"`, `"100%"`).
///
/// TOML floats are refused: `99.99` as a binary float is not 99.99, and a credit threshold
/// must be exact.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exact(pub Decimal);

impl<'de> serde::Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Exact;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a decimal in quotes, e.g. 7 or \"99.99\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Exact, E> {
                Ok(Exact(Decimal::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Exact, E> {
                Ok(Exact(Decimal::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Exact, E> {
                Err(E::custom(format!(
                    "write the decimal {v} in quotes (\"{v}\") so it stays exact; binary floats cannot hold most decimals"
                )))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Exact, E> {
                let t = v.trim().trim_end_matches('%').trim();
                Decimal::from_str_exact(t)
                    .map(Exact)
                    .map_err(|_| E::custom(format!("{v:?} is not a decimal number")))
            }
        }
        d.deserialize_any(V)
    }
}

/// `credit_day_basis`: the word `"days_in_month"` or a whole number of days.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(
    untagged,
    expecting = "\"days_in_month\" or a whole number of days such as 30"
)]
pub(super) enum DayBasisText {
    Days(i64),
    Word(String),
}
