//! A plan reduced to the decisions it makes, for storing each version of an incident's plan and
//! telling people what changed between two versions in words ("severity S2 → S1",
//! "acct-0001: credit 774.19 USD → 1806.45 USD").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::{Due, Plan};
use crate::remediation::Status;

/// The decisions of one plan version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Severity id.
    pub severity: String,
    /// Incident duration so far, minutes.
    pub duration_minutes: i64,
    /// Message occurrences keyed `step#occurrence`.
    pub messages: BTreeMap<String, MessageState>,
    /// Remediation per account id.
    pub remediations: BTreeMap<String, RemediationState>,
    /// Escalation steps keyed by position, with whether they fire.
    pub escalation: BTreeMap<usize, EscalationState>,
    /// Review task due dates by task id.
    pub reviews: BTreeMap<String, Option<String>>,
}

/// When a message is due in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageState {
    /// `scheduled`, `skipped` or `awaiting_resolution`.
    pub status: String,
    /// RFC 3339 UTC instant, if known.
    pub at: Option<String>,
}

/// One account's remediation in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationState {
    /// Rule number.
    pub rule: usize,
    /// Total credit, decimal string.
    pub credit: String,
    /// Currency code.
    pub currency: String,
    /// Approver handle.
    pub approver: String,
    /// Applied automatically.
    pub automatic: bool,
}

/// One escalation step in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationState {
    /// What is done (for the diff's words).
    pub action: String,
    /// RFC 3339 UTC instant, if known.
    pub at: Option<String>,
    /// Whether its condition holds.
    pub fires: bool,
}

impl Snapshot {
    /// Reduces a plan to its decisions.
    pub fn of(plan: &Plan<'_>) -> Snapshot {
        let level = plan.severity();
        let messages = plan
            .messages
            .iter()
            .map(|m| {
                let (status, at) = match &m.due {
                    Due::At(t) => ("scheduled", Some(t.to_string())),
                    Due::Skipped(t, _) => ("skipped", Some(t.to_string())),
                    Due::AwaitingResolution => ("awaiting_resolution", None),
                };
                (
                    format!("{}#{}", plan.step(m).id, m.occurrence),
                    MessageState {
                        status: status.to_string(),
                        at,
                    },
                )
            })
            .collect();
        let remediations = plan
            .accounts
            .iter()
            .map(|p| {
                let d = &p.decision;
                (
                    p.account.id.to_string(),
                    RemediationState {
                        rule: d.rule.number,
                        credit: d.credit.amount().to_string(),
                        currency: d.credit.currency().to_string(),
                        approver: d.approver().to_string(),
                        automatic: d.status == Status::Automatic,
                    },
                )
            })
            .collect();
        let escalation = plan
            .escalation
            .iter()
            .map(|e| {
                (
                    e.step,
                    EscalationState {
                        action: level.escalation[e.step].action.clone(),
                        at: e.at.map(|t| t.to_string()),
                        fires: e.fires,
                    },
                )
            })
            .collect();
        let reviews = plan
            .reviews
            .iter()
            .map(|r| {
                (
                    plan.playbook.reviews[r.task].id.to_string(),
                    r.due.map(|t| t.to_string()),
                )
            })
            .collect();
        Snapshot {
            severity: level.id.to_string(),
            duration_minutes: plan.facts.duration.get(),
            messages,
            remediations,
            escalation,
            reviews,
        }
    }

    /// What changed from `old` to `self`, one line per change, in a stable order.
    pub fn diff(&self, old: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        if old.severity != self.severity {
            out.push(format!("severity {} → {}", old.severity, self.severity));
        }
        if old.duration_minutes != self.duration_minutes {
            out.push(format!(
                "duration {} → {} minutes",
                old.duration_minutes, self.duration_minutes
            ));
        }
        message_changes(&old.messages, &self.messages, &mut out);
        changes(&old.remediations, &self.remediations, &mut out, |key, r| {
            format!(
                "{key}: credit {} {} (rule #{}, approver {}{})",
                r.credit,
                r.currency,
                r.rule,
                r.approver,
                if r.automatic { ", automatic" } else { "" }
            )
        });
        changes(&old.escalation, &self.escalation, &mut out, |key, e| {
            format!(
                "escalation step {} ({}): {}{}",
                key + 1,
                e.action,
                e.at.as_deref().unwrap_or("when resolved"),
                if e.fires { "" } else { ", does not fire" }
            )
        });
        changes(&old.reviews, &self.reviews, &mut out, |key, due| {
            format!(
                "review {key}: due {}",
                due.as_deref().unwrap_or("after resolution")
            )
        });
        out
    }
}

/// Message changes per step: a repeating step whose number of occurrences changed is one line
/// ("status_update: 14 → 16 occurrences"), not one line per occurrence.
fn message_changes(
    old: &BTreeMap<String, MessageState>,
    new: &BTreeMap<String, MessageState>,
    out: &mut Vec<String>,
) {
    let by_step = |m: &BTreeMap<String, MessageState>| {
        let mut steps: BTreeMap<String, BTreeMap<String, MessageState>> = BTreeMap::new();
        for (key, state) in m {
            let step = key.split_once('#').map_or(key.as_str(), |(s, _)| s);
            steps
                .entry(step.to_string())
                .or_default()
                .insert(key.clone(), state.clone());
        }
        steps
    };
    let (old, new) = (by_step(old), by_step(new));
    let empty = BTreeMap::new();
    let steps: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for step in steps {
        let (o, n) = (
            old.get(step).unwrap_or(&empty),
            new.get(step).unwrap_or(&empty),
        );
        if (o.len() > 1 || n.len() > 1) && o.len() != n.len() {
            out.push(format!(
                "~ message {step}: {} → {} occurrences",
                o.len(),
                n.len()
            ));
            continue;
        }
        changes(o, n, out, |key, m| {
            format!("message {key}: {}", say_message(m))
        });
    }
}

fn say_message(m: &MessageState) -> String {
    match (&m.at, m.status.as_str()) {
        (_, "awaiting_resolution") => "awaiting resolution".to_string(),
        (Some(at), "skipped") => format!("skipped (was due {at})"),
        (Some(at), _) => format!("at {at}"),
        (None, s) => s.to_string(),
    }
}

/// Added (`+`), removed (`-`) and changed (`~ old → new`) entries between two maps.
fn changes<K: Ord + std::fmt::Display, V: PartialEq>(
    old: &BTreeMap<K, V>,
    new: &BTreeMap<K, V>,
    out: &mut Vec<String>,
    say: impl Fn(&K, &V) -> String,
) {
    for (k, v) in new {
        match old.get(k) {
            None => out.push(format!("+ {}", say(k, v))),
            Some(o) if o != v => out.push(format!("~ {} → {}", say(k, o), say(k, v))),
            Some(_) => {}
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            out.push(format!("- {}", say(k, v)));
        }
    }
}
