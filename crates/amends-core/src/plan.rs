//! The recovery planner: a pure function from (playbook, accounts, incident, as-of time) to
//! the recovery plan — classification with reasons, the communication timeline, each affected
//! account's messages and remediation, the escalation chain with the conditions that fired,
//! and the review tasks with due dates on the business calendar.

use jiff::Timestamp;

use crate::account::Account;
use crate::classify::{self, Classification, Facts};
use crate::domain::{Channel, Key};
use crate::impact::{Impact, ImpactStatus, Impacts};
use crate::incident::Incident;
use crate::money::Money;
use crate::playbook::{Audience, CommStep, Condition, Playbook, SeverityLevel};
use crate::playbook::{ImpactTarget, SlaDowntime};
use crate::remediation::{self, BillingMonth, Context, Decision, RemediationError, Status};
use crate::time::Minutes;
use rust_decimal::Decimal;

/// A bound on the occurrences of one repeating step, so a plan always ends: a 15-minute
/// cadence over a 30-day outage is 2,880 occurrences, well inside it.
pub const MAX_REPEATS: u32 = 50_000;

/// A recovery plan. Borrows the playbook, accounts and incident it was made from.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// The policy.
    pub playbook: &'a Playbook,
    /// The incident.
    pub incident: &'a Incident,
    /// The moment the plan was made for (durations of open incidents count up to it).
    pub as_of: Timestamp,
    /// The facts classification used.
    pub facts: Facts,
    /// The severity and why.
    pub classification: Classification,
    /// What remediation was computed against: severity, duration, billing month.
    pub remediation: Context,
    /// Every message occurrence of the sequence, in time order.
    pub messages: Vec<Message>,
    /// Each affected account's plan, highest tier first.
    pub accounts: Vec<AccountPlan<'a>>,
    /// The escalation chain.
    pub escalation: Vec<Escalation>,
    /// Review tasks with due dates.
    pub reviews: Vec<Review>,
}

/// When a message is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// At this instant.
    At(Timestamp),
    /// Counted from a resolution that has not happened yet.
    AwaitingResolution,
    /// Not sent, and why (e.g. the incident was resolved before an "if unresolved" update).
    Skipped(Timestamp, String),
}

/// One occurrence of a communication step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Index of the step in the severity's communication sequence.
    pub step: usize,
    /// 1 for the first occurrence of a repeating step, 2 for the next …
    pub occurrence: u32,
    /// When.
    pub due: Due,
}

/// One affected account's part of the plan.
#[derive(Debug, Clone)]
pub struct AccountPlan<'a> {
    /// The account.
    pub account: &'a Account,
    /// Its remediation.
    pub decision: Decision<'a>,
    /// Its measured impact, when the plan was made from usage logs.
    pub impact: Option<&'a Impact>,
}

/// A message for one contact of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Index into [`Plan::messages`].
    pub message: usize,
    /// Index into the account's contacts.
    pub contact: usize,
    /// The channel actually used for this contact.
    pub channel: Channel,
}

/// One step of the escalation chain, evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Index into the severity's escalation steps.
    pub step: usize,
    /// When (None while waiting for resolution).
    pub at: Option<Timestamp>,
    /// Whether its condition holds (always true without a condition).
    pub fires: bool,
    /// The conditions, each with whether it held, in words.
    pub conditions: Vec<(bool, String)>,
}

/// A review task with its due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Index into the playbook's review tasks.
    pub task: usize,
    /// Due (None while waiting for resolution).
    pub due: Option<Timestamp>,
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Remediation could not be computed for some accounts.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Remediation(Vec<RemediationError>),
}

/// Credit totals for one tier in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    /// Tier index.
    pub tier: usize,
    /// Accounts counted.
    pub accounts: usize,
    /// Sum of credits applied automatically.
    pub automatic: Money,
    /// Sum of credits waiting for approval.
    pub pending: Money,
}

/// Makes the recovery plan.
pub fn plan<'a>(
    playbook: &'a Playbook,
    accounts: &'a [Account],
    incident: &'a Incident,
    as_of: Timestamp,
) -> Result<Plan<'a>, PlanError> {
    make(playbook, accounts, incident, as_of, None)
}

/// Makes the recovery plan from each account's measured impact (usage logs): the playbook's
/// `[impact] target` decides which accounts in the incident's scope are affected (by default
/// only those with an impacted minute), and remediation scales with each account's impact
/// (`credit_per_impacted_hour`, `sla_downtime = "impacted_minutes"`).
pub fn plan_with_impact<'a>(
    playbook: &'a Playbook,
    accounts: &'a [Account],
    incident: &'a Incident,
    as_of: Timestamp,
    impacts: &'a Impacts,
) -> Result<Plan<'a>, PlanError> {
    make(playbook, accounts, incident, as_of, Some(impacts))
}

fn make<'a>(
    playbook: &'a Playbook,
    accounts: &'a [Account],
    incident: &'a Incident,
    as_of: Timestamp,
    impacts: Option<&'a Impacts>,
) -> Result<Plan<'a>, PlanError> {
    let targeted = |a: &Account| {
        let Some(impacts) = impacts else {
            return true;
        };
        match playbook.impact.target {
            ImpactTarget::All => true,
            ImpactTarget::Impacted => impacts.status(&a.id) == ImpactStatus::Impacted,
            ImpactTarget::ImpactedOrSilent => matches!(
                impacts.status(&a.id),
                ImpactStatus::Impacted | ImpactStatus::Silent
            ),
        }
    };
    let affected: Vec<&Account> = accounts
        .iter()
        .filter(|a| incident.scope.contains(a) && targeted(a))
        .collect();
    let mut affected_by_tier = vec![0usize; playbook.tiers.len()];
    for a in &affected {
        if let Some(i) = playbook.tier_index(a.tier.as_str()) {
            affected_by_tier[i] += 1;
        }
    }
    let facts = Facts {
        failure_type: incident.failure_type,
        duration: incident.duration(as_of),
        resolved: incident.anchors.resolution.is_some(),
        accounts_total: accounts.len(),
        accounts_affected: affected.len(),
        affected_by_tier,
        core_feature: incident.core_feature,
        workaround: incident.workaround,
    };
    let classification = classify::classify(playbook, incident, &facts);
    let level = &playbook.severities[classification.severity];

    let ctx = Context {
        severity: classification.severity,
        duration: facts.duration,
        month: BillingMonth::of(&playbook.calendar, incident.anchors.start),
        downtime_by_month: remediation::downtime_by_month(
            &playbook.calendar,
            incident.anchors.start,
            incident.anchors.resolution.unwrap_or(as_of),
        ),
    };
    let mut errors = Vec::new();
    let mut account_plans = Vec::with_capacity(affected.len());
    for account in affected {
        let impact = impacts.and_then(|i| i.get(&account.id));
        match decide_with_impact(playbook, account, &ctx, impact) {
            Ok(decision) => account_plans.push(AccountPlan {
                account,
                decision,
                impact,
            }),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(PlanError::Remediation(errors));
    }
    account_plans.sort_by_cached_key(|p| playbook.tier_index(p.account.tier.as_str()));

    Ok(Plan {
        playbook,
        incident,
        as_of,
        messages: messages(playbook, level, incident, as_of),
        escalation: escalation(playbook, level, incident, &facts),
        reviews: reviews(playbook, classification.severity, incident),
        facts,
        classification,
        remediation: ctx,
        accounts: account_plans,
    })
}

/// An account's remediation, scaled by its measured impact as the playbook says: SLA uptime
/// from its own impacted minutes, and a credit per started impacted hour.
fn decide_with_impact<'p>(
    playbook: &'p Playbook,
    account: &Account,
    ctx: &Context,
    impact: Option<&Impact>,
) -> Result<Decision<'p>, RemediationError> {
    let Some(impact) = impact else {
        return remediation::decide(playbook, account, ctx);
    };
    let policy = &playbook.impact;
    let mut decision = match policy.sla_downtime {
        SlaDowntime::Incident => remediation::decide(playbook, account, ctx)?,
        SlaDowntime::ImpactedMinutes => {
            let minutes = i64::try_from(impact.impacted_minutes).unwrap_or(i64::MAX);
            let own = Context {
                downtime_by_month: vec![(ctx.month, Minutes::new(minutes))],
                ..ctx.clone()
            };
            remediation::decide(playbook, account, &own)?
        }
    };
    let currency = account.monthly_fee.currency();
    if let Some(rate) = policy.credit_per_impacted_hour.get(&currency) {
        let hours = Decimal::from(impact.impacted_hours_started());
        let extra = Money::rounded(rate.amount() * hours, currency);
        decision.credit = decision
            .credit
            .checked_add(extra)
            .unwrap_or(decision.credit);
    }
    Ok(decision)
}

fn messages(
    playbook: &Playbook,
    level: &SeverityLevel,
    incident: &Incident,
    as_of: Timestamp,
) -> Vec<Message> {
    let anchors = &incident.anchors;
    let mut out = Vec::new();
    for (index, step) in level.communication.iter().enumerate() {
        let Some(first) = playbook.calendar.resolve(step.at, anchors) else {
            out.push(Message {
                step: index,
                occurrence: 1,
                due: Due::AwaitingResolution,
            });
            continue;
        };
        let skipped = |t: Timestamp| -> Option<String> {
            let resolved = anchors.resolution?;
            (step.only_if_unresolved && t >= resolved)
                .then(|| "skipped: the incident was resolved before it was due".to_string())
        };
        let due = |t: Timestamp| match skipped(t) {
            Some(why) => Due::Skipped(t, why),
            None => Due::At(t),
        };
        match step.every {
            None => out.push(Message {
                step: index,
                occurrence: 1,
                due: due(first),
            }),
            Some(every) => {
                let mut t = first;
                let mut n = 1;
                // While open: until resolution, or (still open) up to the next one after as_of.
                while n <= MAX_REPEATS {
                    let open = match anchors.resolution {
                        Some(r) => t < r,
                        None => {
                            n == 1 || t <= as_of.saturating_add(every.duration()).unwrap_or(as_of)
                        }
                    };
                    if !open {
                        break;
                    }
                    out.push(Message {
                        step: index,
                        occurrence: n,
                        due: Due::At(t),
                    });
                    t = t.saturating_add(every.duration()).unwrap_or(t);
                    n += 1;
                }
            }
        }
    }
    out.sort_by_key(|m| match &m.due {
        Due::At(t) | Due::Skipped(t, _) => (0, Some(*t)),
        Due::AwaitingResolution => (1, None),
    });
    out
}

fn escalation(
    playbook: &Playbook,
    level: &SeverityLevel,
    incident: &Incident,
    facts: &Facts,
) -> Vec<Escalation> {
    level
        .escalation
        .iter()
        .enumerate()
        .map(|(step, e)| {
            let conditions: Vec<(bool, String)> = e
                .when_any
                .iter()
                .map(|c| condition(playbook, c, facts))
                .collect();
            Escalation {
                step,
                at: playbook.calendar.resolve(e.at, &incident.anchors),
                fires: conditions.is_empty() || conditions.iter().any(|(held, _)| *held),
                conditions,
            }
        })
        .collect()
}

fn condition(playbook: &Playbook, c: &Condition, facts: &Facts) -> (bool, String) {
    match c {
        Condition::AffectedAccountsOver { tier, count } => {
            let (n, what) = match tier {
                Some(t) => (
                    playbook
                        .tier_index(t.as_str())
                        .and_then(|i| facts.affected_by_tier.get(i).copied())
                        .unwrap_or(0),
                    format!("{t} accounts"),
                ),
                None => (facts.accounts_affected, "accounts".to_string()),
            };
            let held = n > usize::try_from(*count).unwrap_or(usize::MAX);
            let verdict = if held { "more than" } else { "not more than" };
            (held, format!("{n} {what} affected, {verdict} {count}"))
        }
        Condition::DurationOver(d) if !facts.resolved && facts.duration <= *d => (
            true,
            format!(
                "fires if the incident is still open after start + {d} (it has lasted {} so far)",
                facts.duration
            ),
        ),
        Condition::DurationOver(d) => {
            let held = facts.duration > *d;
            let lasted = if facts.resolved {
                "lasted"
            } else {
                "has lasted"
            };
            let verdict = if held { "more than" } else { "not more than" };
            (held, format!("{lasted} {}, {verdict} {d}", facts.duration))
        }
    }
}

fn reviews(playbook: &Playbook, severity: usize, incident: &Incident) -> Vec<Review> {
    playbook
        .reviews
        .iter()
        .enumerate()
        .filter(|(_, t)| t.severities.as_ref().is_none_or(|s| s.contains(&severity)))
        .map(|(task, t)| Review {
            task,
            due: playbook.calendar.resolve(t.due, &incident.anchors),
        })
        .collect()
}

impl<'a> Plan<'a> {
    /// Things a person should know about this plan that are not errors: today, business-day
    /// deadlines in a year for which the calendar lists no holidays.
    pub fn warnings(&self) -> Vec<String> {
        let cal = &self.playbook.calendar;
        let Some(last) = cal.holidays().next_back().map(|d| d.year()) else {
            return Vec::new();
        };
        let level = self.severity();
        let mut years: Vec<i16> = self
            .messages
            .iter()
            .filter(|m| {
                matches!(
                    level.communication[m.step].at.delay,
                    crate::time::Delay::BusinessDays(_)
                )
            })
            .filter_map(|m| match m.due {
                Due::At(t) | Due::Skipped(t, _) => Some(t),
                Due::AwaitingResolution => None,
            })
            .chain(self.reviews.iter().filter_map(|r| {
                matches!(
                    self.playbook.reviews[r.task].due.delay,
                    crate::time::Delay::BusinessDays(_)
                )
                .then_some(r.due)
                .flatten()
            }))
            .map(|t| cal.zone().local(t).date().year())
            .filter(|y| *y > last)
            .collect();
        years.sort_unstable();
        years.dedup();
        years
            .into_iter()
            .map(|y| {
                format!(
                    "the business calendar lists no holidays for {y}: business-day deadlines in {y} may land on a holiday; add them to [calendar] holidays"
                )
            })
            .collect()
    }

    /// The days a 1-day service credit divides the monthly fee by.
    pub fn basis_days(&self) -> u32 {
        self.remediation.basis_days(self.playbook)
    }

    /// The severity level the plan follows.
    pub fn severity(&self) -> &'a SeverityLevel {
        &self.playbook.severities[self.classification.severity]
    }

    /// The communication step a message belongs to.
    pub fn step(&self, message: &Message) -> &'a CommStep {
        &self.severity().communication[message.step]
    }

    /// The messages that go to accounts (not the public status page), in time order.
    pub fn account_messages(&self) -> impl Iterator<Item = (usize, &Message)> + '_ {
        self.messages
            .iter()
            .enumerate()
            .filter(|(_, m)| self.step(m).audience == Audience::AffectedAccounts)
    }

    /// What one account receives, contact by contact. Derived from the timeline and the
    /// account's contacts rather than stored, so a million-account plan stays small.
    pub fn deliveries<'p>(&'p self, account: &'p Account) -> impl Iterator<Item = Delivery> + 'p {
        self.account_messages()
            .filter(|(_, m)| !matches!(m.due, Due::Skipped(..)))
            .flat_map(move |(message, m)| {
                let step = self.step(m);
                account
                    .contacts
                    .iter()
                    .enumerate()
                    .map(move |(contact, c)| Delivery {
                        message,
                        contact,
                        channel: channel_for(step.channel, c),
                    })
            })
    }

    /// Credit totals per tier and currency, highest tier first.
    pub fn totals(&self) -> Vec<Total> {
        let mut totals: Vec<Total> = Vec::new();
        for p in &self.accounts {
            let Some(tier) = self.playbook.tier_index(p.account.tier.as_str()) else {
                continue;
            };
            let currency = p.decision.credit.currency();
            let idx = match totals
                .iter()
                .position(|t| t.tier == tier && t.automatic.currency() == currency)
            {
                Some(i) => i,
                None => {
                    totals.push(Total {
                        tier,
                        accounts: 0,
                        automatic: Money::zero(currency),
                        pending: Money::zero(currency),
                    });
                    totals.len() - 1
                }
            };
            let t = &mut totals[idx];
            t.accounts += 1;
            let slot = match p.decision.status {
                Status::Automatic => &mut t.automatic,
                Status::PendingApproval => &mut t.pending,
            };
            *slot = slot.checked_add(p.decision.credit).unwrap_or(*slot);
        }
        totals.sort_by_key(|t| (t.tier, t.automatic.currency()));
        totals
    }

    /// The named person for a handle (every handle in a plan comes from its playbook).
    pub fn person_name(&self, key: &Key) -> &'a str {
        self.playbook
            .person(key)
            .map_or("(unknown)", |p| p.name.as_str())
    }
}

/// The channel a contact is reached on for a step: the step's own, the contact's preferred
/// one when the step says so, or the preferred one when the contact lacks the step's address.
pub fn channel_for(step: Channel, contact: &crate::account::Contact) -> Channel {
    match step {
        Channel::Preferred => contact.preferred_channel,
        Channel::Email if contact.email.is_none() => contact.preferred_channel,
        Channel::Sms | Channel::Phone if contact.phone.is_none() => contact.preferred_channel,
        other => other,
    }
}
