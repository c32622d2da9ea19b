//! The plan as JSON, schema `amends.plan/v1` (documented in `docs/plan-json.md`).
//!
//! Stability rules: fields are only ever added within v1, never renamed or removed; money is
//! a decimal string at the currency's scale (never a float); instants are RFC 3339 UTC with a
//! `*_local` companion in the relevant zone (RFC 9557, with the zone name).

use std::collections::BTreeMap;

use amends_core::classify::Basis;
use amends_core::money::Money;
use amends_core::plan::{AccountPlan, Due, Plan};
use amends_core::playbook::Playbook;
use amends_core::remediation::{Granted, Status};
use amends_core::time::Zone;
use jiff::Timestamp;
use serde::Serialize;

use crate::text;

/// The schema identifier written in every document.
pub const SCHEMA: &str = "amends.plan/v1";

/// Renders the plan as pretty-printed JSON with a trailing newline.
pub fn render(plan: &Plan<'_>) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and every value in the document is serialisable.
    let _ = write(plan, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Streams the document to `w`. Accounts are serialised one at a time, so a plan for a
/// million accounts never holds its whole JSON text in memory.
pub fn write(plan: &Plan<'_>, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &document(plan)).map_err(std::io::Error::from)?;
    w.write_all(b"\n")
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    playbook: PlaybookRef<'a>,
    as_of: String,
    warnings: Vec<String>,
    incident: IncidentDoc<'a>,
    affected: Affected,
    classification: ClassificationDoc,
    communication: Vec<MessageDoc>,
    accounts: Accounts<'a>,
    escalation: Vec<EscalationDoc>,
    reviews: Vec<ReviewDoc>,
    totals: Vec<TotalDoc>,
}

#[derive(Serialize)]
struct PlaybookRef<'a> {
    name: &'a str,
    version: &'a str,
    time_zone: &'a str,
}

#[derive(Serialize)]
struct IncidentDoc<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(rename = "type")]
    failure_type: &'static str,
    features: &'a [String],
    core_feature: bool,
    workaround: bool,
    started_at: String,
    detected_at: String,
    resolved_at: Option<String>,
    duration_minutes: i64,
    known_cause: Option<&'a str>,
}

#[derive(Serialize)]
struct Affected {
    accounts: usize,
    total_accounts: usize,
    share_percent: String,
    by_tier: BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct ClassificationDoc {
    severity: String,
    name: String,
    /// `criterion`, `provisional_criterion` (open incident, duration judged as if it goes
    /// on), `unmatched` or `override`.
    basis: &'static str,
    criterion: Option<usize>,
    reasons: Vec<String>,
    policy_severity: String,
    override_reason: Option<String>,
    not_matched: Vec<Miss>,
}

#[derive(Serialize)]
struct Miss {
    severity: String,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct MessageDoc {
    step: String,
    occurrence: u32,
    status: &'static str,
    at: Option<String>,
    at_local: Option<String>,
    skip_reason: Option<String>,
    channel: &'static str,
    audience: &'static str,
    template: String,
}

#[derive(Serialize)]
struct PersonDoc {
    key: String,
    name: String,
    role: String,
}

#[derive(Serialize)]
struct AccountDoc<'a> {
    id: &'a str,
    name: &'a str,
    tier: &'a str,
    segment: Option<&'a str>,
    monthly_fee: String,
    currency: String,
    remediation: RemediationDoc,
    messages: Vec<DeliveryDoc>,
}

#[derive(Serialize)]
struct RemediationDoc {
    rule: usize,
    remedies: Vec<RemedyDoc>,
    contract_sla: Option<ContractDoc>,
    credit: String,
    approver: PersonDoc,
    status: Status,
}

#[derive(Serialize)]
struct RemedyDoc {
    kind: &'static str,
    description: String,
    credit: Option<String>,
    working: Option<String>,
}

#[derive(Serialize)]
struct ContractDoc {
    schedule: String,
    uptime_percent: String,
    credit_percent: String,
    credit: String,
    below_minimum: bool,
    /// Billing months the downtime fell in; over several, `credit_percent` is their sum and
    /// `uptime_percent` the worst month.
    billing_months: u32,
    applied: bool,
}

#[derive(Serialize)]
struct DeliveryDoc {
    step: String,
    occurrence: u32,
    contact: String,
    channel: &'static str,
    at: Option<String>,
    at_local: Option<String>,
}

#[derive(Serialize)]
struct EscalationDoc {
    at: Option<String>,
    moment: String,
    actor: String,
    action: String,
    notify: Vec<PersonDoc>,
    channel: &'static str,
    target: Option<String>,
    information: Vec<String>,
    fires: bool,
    conditions: Vec<ConditionDoc>,
}

#[derive(Serialize)]
struct ConditionDoc {
    held: bool,
    reason: String,
}

#[derive(Serialize)]
struct ReviewDoc {
    id: String,
    title: String,
    owner: PersonDoc,
    participants: Vec<PersonDoc>,
    customer_facing: bool,
    due: Option<String>,
    due_local: Option<String>,
    moment: String,
}

#[derive(Serialize)]
struct TotalDoc {
    tier: String,
    currency: String,
    accounts: usize,
    automatic: String,
    pending_approval: String,
}

fn utc(t: Timestamp) -> String {
    t.to_string()
}

fn local(zone: &Zone, t: Timestamp) -> String {
    zone.local(t).to_string()
}

fn person(pb: &Playbook, key: &amends_core::domain::Key) -> PersonDoc {
    let p = pb.person(key);
    PersonDoc {
        key: key.to_string(),
        name: p.map_or_else(String::new, |p| p.name.clone()),
        role: p.map_or_else(String::new, |p| p.role.clone()),
    }
}

fn remedy(pb: &Playbook, g: &Granted<'_>, fee: Money, basis_days: u32) -> RemedyDoc {
    let working = g.working(fee, basis_days);
    RemedyDoc {
        kind: text::remedy_kind(g.remedy),
        description: text::remedy(pb, g.remedy),
        credit: g.credit.map(|m| m.amount().to_string()),
        working: (!working.is_empty()).then_some(working),
    }
}

/// The `accounts` array, serialised lazily from the plan.
struct Accounts<'a>(&'a Plan<'a>);

impl Serialize for Accounts<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.accounts.iter().map(|p| account(self.0, p)))
    }
}

fn account<'a>(plan: &'a Plan<'a>, p: &'a AccountPlan<'a>) -> AccountDoc<'a> {
    let pb = plan.playbook;
    let a = p.account;
    let d = &p.decision;
    let messages = plan
        .deliveries(a)
        .map(|dl| {
            let m = &plan.messages[dl.message];
            let contact = &a.contacts[dl.contact];
            let at = match m.due {
                Due::At(t) => Some(t),
                _ => None,
            };
            DeliveryDoc {
                step: plan.step(m).id.to_string(),
                occurrence: m.occurrence,
                contact: contact.name.clone(),
                channel: dl.channel.as_str(),
                at: at.map(utc),
                at_local: at.map(|t| local(&contact.zone, t)),
            }
        })
        .collect();
    AccountDoc {
        id: a.id.as_str(),
        name: &a.name,
        tier: a.tier.as_str(),
        segment: a.segment.as_deref(),
        monthly_fee: a.monthly_fee.amount().to_string(),
        currency: a.monthly_fee.currency().code().to_string(),
        remediation: RemediationDoc {
            rule: d.rule.number,
            remedies: d
                .granted
                .iter()
                .map(|g| remedy(pb, g, a.monthly_fee, plan.basis_days()))
                .collect(),
            contract_sla: d.contract.as_ref().map(|c| ContractDoc {
                schedule: c.schedule.name.to_string(),
                uptime_percent: c.sla.uptime_percent.round_dp(6).normalize().to_string(),
                credit_percent: c.sla.credit_percent.normalize().to_string(),
                credit: c.sla.credit.amount().to_string(),
                below_minimum: c.sla.below_minimum,
                billing_months: c.sla.months,
                applied: c.applied,
            }),
            credit: d.credit.amount().to_string(),
            approver: person(pb, d.approver()),
            status: d.status,
        },
        messages,
    }
}

fn document<'a>(plan: &'a Plan<'a>) -> Document<'a> {
    let pb = plan.playbook;
    let inc = plan.incident;
    let zone = pb.calendar.zone();
    let c = &plan.classification;
    let level = plan.severity();
    let (basis, criterion, reasons, override_reason, policy) = match &c.basis {
        Basis::Criterion {
            criterion,
            reasons,
            provisional,
        } => (
            if *provisional {
                "provisional_criterion"
            } else {
                "criterion"
            },
            Some(*criterion),
            reasons.clone(),
            None,
            c.severity,
        ),
        Basis::Unmatched => ("unmatched", None, Vec::new(), None, c.severity),
        Basis::Override {
            policy_severity,
            reason,
        } => (
            "override",
            None,
            Vec::new(),
            Some(reason.clone()),
            *policy_severity,
        ),
    };
    let communication = plan
        .messages
        .iter()
        .map(|m| {
            let step = plan.step(m);
            let (status, at, skip_reason) = match &m.due {
                Due::At(t) => ("scheduled", Some(*t), None),
                Due::Skipped(t, why) => ("skipped", Some(*t), Some(why.clone())),
                Due::AwaitingResolution => ("awaiting_resolution", None, None),
            };
            MessageDoc {
                step: step.id.to_string(),
                occurrence: m.occurrence,
                status,
                at: at.map(utc),
                at_local: at.map(|t| local(zone, t)),
                skip_reason,
                channel: step.channel.as_str(),
                audience: match step.audience {
                    amends_core::playbook::Audience::Public => "public",
                    amends_core::playbook::Audience::AffectedAccounts => "affected_accounts",
                },
                template: step.template.to_string(),
            }
        })
        .collect();
    let escalation = plan
        .escalation
        .iter()
        .map(|e| {
            let step = &level.escalation[e.step];
            EscalationDoc {
                at: e.at.map(utc),
                moment: step.at.to_string(),
                actor: step.actor.clone(),
                action: step.action.clone(),
                notify: step.notify.iter().map(|k| person(pb, k)).collect(),
                channel: step.channel.as_str(),
                target: step.target.clone(),
                information: step.information.clone(),
                fires: e.fires,
                conditions: e
                    .conditions
                    .iter()
                    .map(|(held, reason)| ConditionDoc {
                        held: *held,
                        reason: reason.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    let reviews = plan
        .reviews
        .iter()
        .map(|r| {
            let t = &pb.reviews[r.task];
            ReviewDoc {
                id: t.id.to_string(),
                title: t.title.clone(),
                owner: person(pb, &t.owner),
                participants: t.participants.iter().map(|k| person(pb, k)).collect(),
                customer_facing: t.customer_facing,
                due: r.due.map(utc),
                due_local: r.due.map(|d| local(zone, d)),
                moment: t.due.to_string(),
            }
        })
        .collect();
    Document {
        schema: SCHEMA,
        playbook: PlaybookRef {
            name: &pb.name,
            version: &pb.version,
            time_zone: zone.name(),
        },
        as_of: utc(plan.as_of),
        warnings: plan.warnings(),
        incident: IncidentDoc {
            id: &inc.id,
            title: &inc.title,
            failure_type: inc.failure_type.as_str(),
            features: &inc.features,
            core_feature: inc.core_feature,
            workaround: inc.workaround,
            started_at: utc(inc.anchors.start),
            detected_at: utc(inc.anchors.detection),
            resolved_at: inc.anchors.resolution.map(utc),
            duration_minutes: plan.facts.duration.get(),
            known_cause: inc.known_cause.as_deref(),
        },
        affected: Affected {
            accounts: plan.facts.accounts_affected,
            total_accounts: plan.facts.accounts_total,
            share_percent: (plan.facts.share_affected() * rust_decimal::Decimal::ONE_HUNDRED)
                .round_dp(2)
                .normalize()
                .to_string(),
            by_tier: pb
                .tiers
                .iter()
                .zip(&plan.facts.affected_by_tier)
                .map(|(t, n)| (t.to_string(), *n))
                .collect(),
        },
        classification: ClassificationDoc {
            severity: level.id.to_string(),
            name: level.name.clone(),
            basis,
            criterion,
            reasons,
            policy_severity: pb.severities[policy].id.to_string(),
            override_reason,
            not_matched: c
                .not_matched
                .iter()
                .map(|(i, misses)| Miss {
                    severity: pb.severities[*i].id.to_string(),
                    reasons: misses.clone(),
                })
                .collect(),
        },
        communication,
        accounts: Accounts(plan),
        escalation,
        reviews,
        totals: plan
            .totals()
            .into_iter()
            .map(|t| TotalDoc {
                tier: pb.tiers[t.tier].to_string(),
                currency: t.automatic.currency().code().to_string(),
                accounts: t.accounts,
                automatic: t.automatic.amount().to_string(),
                pending_approval: t.pending.amount().to_string(),
            })
            .collect(),
    }
}
