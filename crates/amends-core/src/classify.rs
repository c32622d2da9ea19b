//! Severity classification: which level the policy gives an incident, which criterion matched,
//! and why every more severe level did not. The reasons are sentences a person can check
//! against the severity table, because "S1" with no why invites a debate in the war room.

use rust_decimal::Decimal;

use crate::domain::{FailureType, Key};
use crate::incident::Incident;
use crate::playbook::{Criterion, Playbook};
use crate::time::Minutes;

/// The facts about an incident that criteria are evaluated on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The kind of failure.
    pub failure_type: FailureType,
    /// Start to resolution (or to the plan's `as_of` while open).
    pub duration: Minutes,
    /// Whether the incident is resolved.
    pub resolved: bool,
    /// All accounts known.
    pub accounts_total: usize,
    /// Accounts affected.
    pub accounts_affected: usize,
    /// Accounts affected per tier, in the playbook's tier order.
    pub affected_by_tier: Vec<usize>,
    /// Whether a core feature is affected.
    pub core_feature: bool,
    /// Whether a workaround exists.
    pub workaround: bool,
}

impl Facts {
    /// The share of accounts affected, 0 to 1 (0 when there are no accounts).
    pub fn share_affected(&self) -> Decimal {
        if self.accounts_total == 0 {
            return Decimal::ZERO;
        }
        Decimal::from(self.accounts_affected) / Decimal::from(self.accounts_total)
    }

    /// The share as a percent for people, e.g. `100%` or `83.3%`.
    pub fn share_text(&self) -> String {
        percent_text(self.share_affected())
    }
}

/// A share (0 to 1) as a percent, with one decimal, or more where one would round a partial
/// share to "0%" or "100%" (9,999 of 10,000 is 99.99%, not 100%).
pub fn percent_text(share: Decimal) -> String {
    let percent = share * Decimal::ONE_HUNDRED;
    let partial = share > Decimal::ZERO && share < Decimal::ONE;
    let shown = (1..=12)
        .map(|dp| percent.round_dp(dp))
        .find(|p| !partial || (*p > Decimal::ZERO && *p < Decimal::ONE_HUNDRED))
        .unwrap_or(percent);
    format!("{}%", shown.normalize())
}

/// How the severity was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// Criterion number `criterion` (0-based) of the level matched, for these reasons.
    Criterion {
        /// Which of the level's criteria.
        criterion: usize,
        /// Each condition that held, in words.
        reasons: Vec<String>,
        /// The incident is open and a duration condition holds only if it goes on: the
        /// level is planned now so its first notices are not late, and resolving the
        /// incident early re-classifies it.
        provisional: bool,
    },
    /// No criterion of any level matched; the playbook's `unmatched` level applies.
    Unmatched,
    /// A person overrode the policy's result.
    Override {
        /// The level the policy gave.
        policy_severity: usize,
        /// The person's reason.
        reason: String,
    },
}

/// The severity of an incident and the reasoning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// Index into the playbook's severities.
    pub severity: usize,
    /// Why.
    pub basis: Basis,
    /// For each more severe level (and, for an unmatched incident, every level): why it did
    /// not match — the first condition that failed in each of its criteria.
    pub not_matched: Vec<(usize, Vec<String>)>,
}

/// Classifies an incident under the playbook's severity levels.
pub fn classify(playbook: &Playbook, incident: &Incident, facts: &Facts) -> Classification {
    let mut not_matched = Vec::new();
    let mut policy = None;
    'levels: for (level_index, level) in playbook.severities.iter().enumerate() {
        let mut misses = Vec::new();
        for (criterion_index, criterion) in level.criteria.iter().enumerate() {
            match evaluate(playbook, criterion, facts) {
                Ok(reasons) => {
                    let provisional = reasons.iter().any(|r| r.contains(STILL_OPEN));
                    policy = Some((
                        level_index,
                        Basis::Criterion {
                            criterion: criterion_index,
                            reasons,
                            provisional,
                        },
                    ));
                    break 'levels;
                }
                Err(miss) => misses.push(miss),
            }
        }
        not_matched.push((level_index, misses));
    }
    let (severity, basis) = policy.unwrap_or((playbook.unmatched, Basis::Unmatched));
    match &incident.severity_override {
        Some(o) => {
            let chosen = playbook
                .severity(o.severity.as_str())
                .map_or(severity, |(i, _)| i);
            Classification {
                severity: chosen,
                basis: Basis::Override {
                    policy_severity: severity,
                    reason: o.reason.clone(),
                },
                not_matched,
            }
        }
        None => Classification {
            severity,
            basis,
            not_matched,
        },
    }
}

/// The words that mark a duration condition judged on an open incident.
pub const STILL_OPEN: &str = "is still open";

fn say(fact: bool, yes: &str, no: &str) -> String {
    if fact { yes } else { no }.to_string()
}

/// All conditions of a criterion: `Ok` with a reason per condition, or `Err` with the first
/// condition that failed.
pub fn evaluate(playbook: &Playbook, c: &Criterion, f: &Facts) -> Result<Vec<String>, String> {
    let mut reasons = Vec::new();
    let mut check = |holds: bool, yes: String, no: String| {
        if holds {
            reasons.push(yes);
            Ok(())
        } else {
            Err(no)
        }
    };
    if let Some(types) = &c.failure_types {
        let list = types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        check(
            types.contains(&f.failure_type),
            format!("failure type is {} (criterion: {list})", f.failure_type),
            format!("failure type is {}, not one of: {list}", f.failure_type),
        )?;
    }
    let share = f.share_affected();
    let counted = format!(
        "{} of {} accounts affected ({})",
        f.accounts_affected,
        f.accounts_total,
        f.share_text()
    );
    if let Some(min) = c.share_affected_at_least {
        check(
            share >= min,
            format!("{counted}, at least {}", percent_text(min)),
            format!("{counted}, less than {}", percent_text(min)),
        )?;
    }
    if let Some(max) = c.share_affected_below {
        check(
            share < max,
            format!("{counted}, below {}", percent_text(max)),
            format!("{counted}, not below {}", percent_text(max)),
        )?;
    }
    let lasted = if f.resolved { "lasted" } else { "has lasted" };
    if let Some(d) = c.duration_over {
        // While an incident is open its duration is a lower bound: judge "longer than" as if
        // it goes on, so the first notices of the level it is heading for are not late.
        let pending = !f.resolved && f.duration <= d;
        check(
            f.duration > d || pending,
            if pending {
                format!(
                    "{lasted} {} and {STILL_OPEN}: planned as lasting more than {d}, which it does from start + {d}",
                    f.duration
                )
            } else {
                format!("{lasted} {}, more than {d}", f.duration)
            },
            format!("{lasted} {}, not more than {d}", f.duration),
        )?;
    }
    if let Some(d) = c.duration_under {
        check(
            f.duration < d,
            format!("{lasted} {}, less than {d}", f.duration),
            format!("{lasted} {}, not less than {d}", f.duration),
        )?;
    }
    if let Some(core) = c.core_feature {
        let said = say(
            f.core_feature,
            "a core feature is affected",
            "no core feature is affected",
        );
        check(f.core_feature == core, said.clone(), said)?;
    }
    if let Some(w) = c.workaround {
        let said = say(
            f.workaround,
            "a workaround is available",
            "no workaround is available",
        );
        check(f.workaround == w, said.clone(), said)?;
    }
    if let Some(tiers) = &c.tiers_affected_any {
        let hit: Vec<&Key> = tiers
            .iter()
            .filter(|t| {
                playbook
                    .tier_index(t.as_str())
                    .is_some_and(|i| f.affected_by_tier.get(i).copied().unwrap_or(0) > 0)
            })
            .collect();
        let list = tiers.iter().map(Key::as_str).collect::<Vec<_>>().join(", ");
        check(
            !hit.is_empty(),
            format!(
                "affected tiers include {}",
                hit.iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("no account of {list} is affected"),
        )?;
    }
    Ok(reasons)
}
