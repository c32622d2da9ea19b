//! The incident as the people handling it describe it: what failed, since when, for whom.
//! Read from TOML or JSON and checked against the playbook and the account list before any
//! planning starts.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::account::{Account, json_error};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::domain::{AccountId, FailureType, Key};
use crate::playbook::Playbook;
use crate::time::{self, Anchors, Minutes};

/// A checked incident description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// The company's incident id (`INC-2024-1015`).
    pub id: String,
    /// A short title customers could read.
    pub title: String,
    /// The kind of failure.
    pub failure_type: FailureType,
    /// The features or services that failed, in customers' words.
    pub features: Vec<String>,
    /// Whether a core feature is affected.
    pub core_feature: bool,
    /// Whether customers have a workaround.
    pub workaround: bool,
    /// When it started, was detected, and was resolved (if it was).
    pub anchors: Anchors,
    /// Who is affected.
    pub scope: Scope,
    /// The cause in plain words, once known.
    pub known_cause: Option<String>,
    /// A person's decision to use another severity than the policy gives, with the reason.
    pub severity_override: Option<SeverityOverride>,
    /// Set while an incident opened by an alert waits for a person's confirmation.
    pub triage: Option<Triage>,
}

/// An incident opened by an alert, not yet confirmed by a person. Internal steps run at once;
/// customer messages wait, so that a false alarm never reaches a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    /// What opened it, for people (`PagerDuty incident Q1CU…`).
    pub opened_by: String,
    /// Customer messages go ahead from this instant without a person (the service's
    /// `triage_auto_confirm`); `None` waits for a person.
    pub auto_confirm_at: Option<jiff::Timestamp>,
    /// A person found it a false alarm, and why: no customer message is ever sent.
    pub dismissed: Option<String>,
}

/// When customer messages of an incident may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerGate {
    /// As planned: a person declared or confirmed the incident.
    Open,
    /// Not before this instant (triage with an auto-confirm timeout).
    From(jiff::Timestamp),
    /// Not at all: in triage waiting for a person, or dismissed as a false alarm.
    Closed,
}

impl Incident {
    /// When its customer messages may go out.
    pub fn customer_gate(&self) -> CustomerGate {
        match &self.triage {
            None => CustomerGate::Open,
            Some(t) if t.dismissed.is_some() => CustomerGate::Closed,
            Some(Triage {
                auto_confirm_at: Some(at),
                ..
            }) => CustomerGate::From(*at),
            Some(_) => CustomerGate::Closed,
        }
    }
}

/// Which accounts an incident affects.
///
/// An account is affected if it is listed in `accounts`, or if it matches the tier and segment
/// filters: its tier is in `tiers` (or `tiers` is empty) and its segment in `segments` (or
/// `segments` is empty). `all` affects every account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Every account.
    pub all: bool,
    /// Affected tiers.
    pub tiers: Vec<Key>,
    /// Affected segments.
    pub segments: Vec<String>,
    /// Explicitly affected accounts.
    pub accounts: BTreeSet<AccountId>,
}

impl Scope {
    /// True if `account` is affected.
    pub fn contains(&self, account: &Account) -> bool {
        if self.all || self.accounts.contains(&account.id) {
            return true;
        }
        if self.tiers.is_empty() && self.segments.is_empty() {
            return false;
        }
        (self.tiers.is_empty() || self.tiers.contains(&account.tier))
            && (self.segments.is_empty()
                || account
                    .segment
                    .as_ref()
                    .is_some_and(|s| self.segments.iter().any(|x| x.eq_ignore_ascii_case(s))))
    }
}

/// A severity chosen by a person instead of the policy's classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityOverride {
    /// The severity id.
    pub severity: Key,
    /// Why, in words that will stand in the audit trail.
    pub reason: String,
}

impl Incident {
    /// How long the incident lasted, from start to resolution, or to `as_of` while it is open.
    pub fn duration(&self, as_of: Timestamp) -> Minutes {
        let end = self.anchors.resolution.unwrap_or(as_of);
        Minutes::between(self.anchors.start, end).max(Minutes::new(0))
    }

    /// Parses an incident from TOML.
    pub fn parse_toml(
        file: &str,
        text: &str,
        playbook: &Playbook,
        accounts: &[Account],
    ) -> Result<Incident, Diagnostics> {
        let raw: IncidentSpec = toml::from_str(text).map_err(|e| {
            Diagnostics(vec![Diagnostic::at(
                file,
                text,
                e.span().unwrap_or(0..0),
                e.message().trim().to_string(),
            )])
        })?;
        check(file, text, raw, playbook, accounts)
    }

    /// Parses an incident from JSON (same fields as TOML).
    pub fn parse_json(
        file: &str,
        text: &str,
        playbook: &Playbook,
        accounts: &[Account],
    ) -> Result<Incident, Diagnostics> {
        let raw: IncidentSpec =
            serde_json::from_str(text).map_err(|e| json_error(file, text, &e))?;
        check(file, text, raw, playbook, accounts)
    }
}

/// An incident as people write it (TOML, JSON, an API body): the unchecked input form, which
/// a store keeps so that an update can change one fact and re-check the whole.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentSpec {
    /// The company's incident id.
    pub id: String,
    /// A short title.
    pub title: String,
    /// The failure type word (`outage`, …).
    #[serde(rename = "type")]
    pub failure_type: String,
    /// Affected features.
    #[serde(default)]
    pub features: Vec<String>,
    /// Whether a core feature is affected.
    pub core_feature: bool,
    /// Whether a workaround exists.
    pub workaround: bool,
    /// When it started (with offset or zone).
    pub started_at: String,
    /// When it was detected.
    pub detected_at: String,
    /// When it was resolved, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// Who is affected.
    pub affected: ScopeSpec,
    /// The cause in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_cause: Option<String>,
    /// A person's severity decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_override: Option<OverrideSpec>,
    /// Present while an incident opened by an alert waits for a person to confirm it;
    /// removed by the confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<TriageSpec>,
}

/// The triage state as written and stored (see [`Triage`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriageSpec {
    /// What opened it.
    pub opened_by: String,
    /// Customer messages go ahead from this instant (RFC 3339) without a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_confirm_at: Option<String>,
    /// Why a person found it a false alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissed: Option<String>,
}

/// Who is affected, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeSpec {
    /// Every account.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    /// Affected tiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// Affected segments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
    /// Explicitly affected account ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
}

/// A severity override, as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverrideSpec {
    /// The severity id.
    pub severity: String,
    /// Why.
    pub reason: String,
}

impl IncidentSpec {
    /// Checks the spec against the playbook and accounts. Errors point into the spec's own
    /// pretty-printed JSON, under the name `source`.
    pub fn check(
        &self,
        source: &str,
        playbook: &Playbook,
        accounts: &[Account],
    ) -> Result<Incident, Diagnostics> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        check(source, &text, self.clone(), playbook, accounts)
    }
}

/// The span of `field`'s key in TOML or JSON text, to point errors at the line a person wrote.
fn field_span(text: &str, field: &str) -> std::ops::Range<usize> {
    // A TOML table header (`[affected]`) is where that table's problems are.
    if let Some(i) = text.find(&format!("[{field}]")) {
        return i..i + field.len() + 2;
    }
    for (i, _) in text.match_indices(field) {
        let before = text[..i].chars().next_back();
        let after = text[i + field.len()..].trim_start_matches([' ', '\t', '"']);
        let boundary = before.is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if boundary && (after.starts_with('=') || after.starts_with(':')) {
            return i..i + field.len();
        }
    }
    0..0
}

fn check(
    file: &str,
    text: &str,
    raw: IncidentSpec,
    playbook: &Playbook,
    accounts: &[Account],
) -> Result<Incident, Diagnostics> {
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut err = |field: &str, msg: String| {
        problems.push(Diagnostic::at(file, text, field_span(text, field), msg));
    };

    let failure_type = raw
        .failure_type
        .parse::<FailureType>()
        .map_err(|e| err("type", e.to_string()))
        .ok();
    let mut instant = |field: &str, value: &str| {
        time::parse_instant(value)
            .map_err(|e| err(field, format!("{field}: {e}")))
            .ok()
    };
    let started = instant("started_at", &raw.started_at);
    let detected = instant("detected_at", &raw.detected_at);
    let resolved = match &raw.resolved_at {
        Some(r) if !r.trim().is_empty() => instant("resolved_at", r).map(Some),
        _ => Some(None),
    };
    let triage = raw.triage.as_ref().map(|t| Triage {
        opened_by: t.opened_by.clone(),
        auto_confirm_at: t
            .auto_confirm_at
            .as_deref()
            .and_then(|at| instant("auto_confirm_at", at)),
        dismissed: t.dismissed.clone(),
    });
    if raw.id.trim().is_empty() {
        err("id", "the incident needs an id".into());
    }
    if raw.title.trim().is_empty() {
        err("title", "the incident needs a title".into());
    }
    if let (Some(s), Some(d)) = (started, detected)
        && d < s
    {
        err(
            "detected_at",
            format!("detected_at ({d}) is before started_at ({s})"),
        );
    }
    if let (Some(d), Some(Some(r))) = (detected, resolved)
        && r < d
    {
        err(
            "resolved_at",
            format!("resolved_at ({r}) is before detected_at ({d})"),
        );
    }

    let mut scope = Scope {
        all: raw.affected.all,
        segments: raw
            .affected
            .segments
            .iter()
            .map(|s| s.trim().to_string())
            .collect(),
        ..Scope::default()
    };
    for t in &raw.affected.tiers {
        match Key::parse("tier", t.trim()) {
            Ok(k) if playbook.tier_index(k.as_str()).is_some() => scope.tiers.push(k),
            _ => err(
                "tiers",
                format!(
                    "affected tier {t:?} is not one of the playbook's tiers ({})",
                    playbook
                        .tiers
                        .iter()
                        .map(Key::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    let known: BTreeSet<&AccountId> = accounts.iter().map(|a| &a.id).collect();
    for a in &raw.affected.accounts {
        match a.parse::<AccountId>() {
            Ok(id) if known.contains(&id) => {
                scope.accounts.insert(id);
            }
            Ok(id) => err(
                "accounts",
                format!("affected account \"{id}\" is not in the accounts file"),
            ),
            Err(e) => err("accounts", e.to_string()),
        }
    }
    let said_something = raw.affected.all
        || !raw.affected.tiers.is_empty()
        || !raw.affected.segments.is_empty()
        || !raw.affected.accounts.is_empty();
    if !said_something {
        err(
            "affected",
            "say who is affected: all = true, tiers, segments or accounts".into(),
        );
    }
    // Only when every tier and account of the scope was understood: otherwise the scope is
    // already reported and "nobody" would be a second error for the same mistake.
    let scope_understood = said_something
        && scope.tiers.len() == raw.affected.tiers.len()
        && scope.accounts.len() == raw.affected.accounts.iter().collect::<BTreeSet<_>>().len();
    if scope_understood && !accounts.iter().any(|a| scope.contains(a)) {
        err(
            "affected",
            format!(
                "no account matches this scope (of {} accounts): a plan for nobody would tell nobody",
                accounts.len()
            ),
        );
    }
    let segments: BTreeSet<String> = accounts
        .iter()
        .filter_map(|a| a.segment.as_ref().map(|s| s.to_ascii_lowercase()))
        .collect();
    for s in &scope.segments {
        if !segments.contains(&s.to_ascii_lowercase()) {
            err(
                "segments",
                format!(
                    "affected segment {s:?} is not the segment of any account (segments: {})",
                    segments.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

    let severity_override = match raw.severity_override {
        None => None,
        Some(o) => {
            if playbook.severity(o.severity.trim()).is_none() {
                err(
                    "severity",
                    format!("severity_override names unknown severity {:?}", o.severity),
                );
            }
            if o.reason.trim().is_empty() {
                err(
                    "reason",
                    "a severity override needs a reason; it goes into the audit trail".into(),
                );
            }
            Key::parse("severity", o.severity.trim())
                .ok()
                .map(|severity| SeverityOverride {
                    severity,
                    reason: o.reason.trim().to_string(),
                })
        }
    };

    match (failure_type, started, detected, resolved) {
        (Some(failure_type), Some(start), Some(detection), Some(resolution))
            if problems.is_empty() =>
        {
            Ok(Incident {
                id: raw.id.trim().to_string(),
                title: raw.title.trim().to_string(),
                failure_type,
                features: raw.features,
                core_feature: raw.core_feature,
                workaround: raw.workaround,
                anchors: Anchors {
                    start,
                    detection,
                    resolution,
                },
                scope,
                known_cause: raw.known_cause.filter(|c| !c.trim().is_empty()),
                severity_override,
                triage,
            })
        }
        _ => {
            problems.sort_by_key(|d| (d.line, d.column));
            Err(Diagnostics(problems))
        }
    }
}
