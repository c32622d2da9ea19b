//! What each affected account receives: the matrix cell for its tier, the incident's severity
//! and duration; the money computed exactly from its own monthly fee; the named approver; and
//! whether it is applied automatically or waits for that approver.

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::account::Account;
use crate::domain::Key;
use crate::money::{Currency, Money};
use crate::playbook::{ContractSla, DayBasis, Playbook, RemediationRule, Remedy, SlaSchedule};
use crate::time::{BusinessCalendar, Minutes};

/// Why a remediation could not be computed for an account. These are gaps between the policy
/// and the account data that parsing alone cannot see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemediationError {
    /// A fixed credit has no amount in the account's currency.
    #[error(
        "remediation rule #{rule} gives a fixed credit but has no amount in {currency}, the currency of account {account}"
    )]
    FixedCreditCurrency {
        /// The rule number.
        rule: usize,
        /// The account's currency.
        currency: Currency,
        /// The account.
        account: String,
    },
    /// No rule covers the account (cannot happen with a checked playbook).
    #[error("no remediation rule covers tier {tier} at {severity} for {duration}")]
    NoRule {
        /// Tier.
        tier: String,
        /// Severity.
        severity: String,
        /// Duration.
        duration: Minutes,
    },
}

/// The billing month an incident falls in, for credit-day and uptime arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingMonth {
    /// Days in the month (28 to 31).
    pub days: u32,
}

impl BillingMonth {
    /// The month of `at` in the calendar's zone.
    pub fn of(calendar: &BusinessCalendar, at: Timestamp) -> BillingMonth {
        let date = calendar.zone().local(at).date();
        BillingMonth {
            days: u32::try_from(date.days_in_month()).unwrap_or(30),
        }
    }

    /// Minutes in the month.
    pub fn minutes(&self) -> i64 {
        i64::from(self.days) * 24 * 60
    }
}

/// One remedy as granted to one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted<'p> {
    /// The remedy from the rule.
    pub remedy: &'p Remedy,
    /// Money, for credits.
    pub credit: Option<Money>,
    /// For an SLA credit: the schedule used and its computation.
    pub sla: Option<(&'p SlaSchedule, SlaCredit)>,
}

impl Granted<'_> {
    /// How the amount was computed, in words ("7 days × 12000.00 USD / 31 days"); empty for
    /// remedies without money. Derived on demand so a plan stores no text per account.
    pub fn working(&self, fee: Money, basis_days: u32) -> String {
        match (self.remedy, &self.sla) {
            (_, Some((schedule, c))) => sla_working(schedule, c, fee),
            (Remedy::ServiceCreditDays(days), _) => {
                format!("{days} days × {fee} / {basis_days} days")
            }
            (Remedy::PercentOfMonthlyFee(p), _) => format!("{p}% × {fee}"),
            (Remedy::Fixed(_), _) => "fixed amount".to_string(),
            (Remedy::SlaCredit(_), None) => "the account has no contract SLA".to_string(),
            _ => String::new(),
        }
    }
}

/// An account's contractual SLA credit, computed alongside the matrix remedy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractCredit<'p> {
    /// The account's schedule.
    pub schedule: &'p SlaSchedule,
    /// The computation.
    pub sla: SlaCredit,
    /// Whether it decided the amount (greater than the matrix, or added to it).
    pub applied: bool,
}

/// Whether the decision is applied now or waits for its approver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Applied by policy; the approver is accountable but need not act.
    Automatic,
    /// Waits for the named approver.
    PendingApproval,
}

/// The remediation decision for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'p> {
    /// The matrix rule used.
    pub rule: &'p RemediationRule,
    /// What the account receives.
    pub granted: Vec<Granted<'p>>,
    /// The contractual SLA credit, if the account has a contract SLA.
    pub contract: Option<ContractCredit<'p>>,
    /// The total credit in the account's currency.
    pub credit: Money,
    /// Automatic or pending.
    pub status: Status,
}

impl<'p> Decision<'p> {
    /// The named approver (the rule's).
    pub fn approver(&self) -> &'p Key {
        &self.rule.approver
    }
}

/// The result of an SLA schedule at a given uptime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaCredit {
    /// Monthly uptime, percent, exact (the worst month when the incident spans several).
    pub uptime_percent: Decimal,
    /// The credit percent from the schedule, after the cap (summed over the months when the
    /// incident spans several: each month is credited against its own fee).
    pub credit_percent: Decimal,
    /// Billing months the downtime fell in (1 for most incidents).
    pub months: u32,
    /// The credit.
    pub credit: Money,
    /// Set when the schedule's minimum suppressed a small credit.
    pub below_minimum: bool,
}

/// Monthly uptime percent for `downtime` in `month`: (minutes − downtime) / minutes × 100,
/// the formula AWS, Azure and Google publish.
pub fn monthly_uptime_percent(month: BillingMonth, downtime: Minutes) -> Decimal {
    let total = Decimal::from(month.minutes());
    let down = Decimal::from(downtime.get().clamp(0, month.minutes()));
    (total - down) / total * Decimal::ONE_HUNDRED
}

/// The credit percent a schedule gives at an uptime (before the cap): the tier with the
/// lowest threshold that the uptime is strictly below, or zero.
pub fn schedule_percent(schedule: &SlaSchedule, uptime_percent: Decimal) -> Decimal {
    schedule
        .tiers
        .iter()
        .rev()
        .find(|t| uptime_percent < t.uptime_below)
        .map_or(Decimal::ZERO, |t| t.credit_percent)
}

/// The credit for `fee` under `schedule` at `uptime_percent`, capped and subject to the
/// schedule's minimum.
pub fn sla_credit(schedule: &SlaSchedule, uptime_percent: Decimal, fee: Money) -> SlaCredit {
    let percent = schedule_percent(schedule, uptime_percent).min(schedule.cap_percent);
    let credit = Money::rounded(
        fee.amount() * percent / Decimal::ONE_HUNDRED,
        fee.currency(),
    );
    let minimum = schedule.minimum_credit.get(&fee.currency());
    let below_minimum = !credit.is_zero() && minimum.is_some_and(|m| credit.amount() <= m.amount());
    SlaCredit {
        uptime_percent,
        credit_percent: percent,
        months: 1,
        credit: if below_minimum {
            Money::zero(fee.currency())
        } else {
            credit
        },
        below_minimum,
    }
}

/// The credit under `schedule` for downtime spread over billing months: each month's uptime
/// is judged on its own, as the published SLAs define it per calendar month, and the credits
/// add up.
pub fn sla_credit_over(
    schedule: &SlaSchedule,
    months: &[(BillingMonth, Minutes)],
    fee: Money,
) -> SlaCredit {
    let parts: Vec<SlaCredit> = months
        .iter()
        .map(|(m, down)| sla_credit(schedule, monthly_uptime_percent(*m, *down), fee))
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        _ => SlaCredit {
            uptime_percent: parts
                .iter()
                .map(|p| p.uptime_percent)
                .min()
                .unwrap_or(Decimal::ONE_HUNDRED),
            credit_percent: parts.iter().map(|p| p.credit_percent).sum(),
            months: u32::try_from(parts.len()).unwrap_or(u32::MAX),
            credit: parts.iter().fold(Money::zero(fee.currency()), |sum, p| {
                sum.checked_add(p.credit).unwrap_or(sum)
            }),
            below_minimum: parts.iter().any(|p| p.below_minimum),
        },
    }
}

/// Downtime between two instants split by the calendar's months.
pub fn downtime_by_month(
    calendar: &BusinessCalendar,
    start: Timestamp,
    end: Timestamp,
) -> Vec<(BillingMonth, Minutes)> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end && out.len() < 1200 {
        let local = calendar.zone().local(from);
        let next_month = local
            .date()
            .first_of_month()
            .checked_add(jiff::ToSpan::months(1))
            .ok()
            .and_then(|d| d.to_zoned(calendar.zone().tz().clone()).ok())
            .map_or(end, |z| z.timestamp());
        let until = next_month.min(end);
        out.push((
            BillingMonth::of(calendar, from),
            Minutes::between(from, until),
        ));
        from = until;
    }
    out
}

/// Everything remediation needs to know about the incident, computed once per plan.
#[derive(Debug, Clone)]
pub struct Context {
    /// Severity id index.
    pub severity: usize,
    /// Incident duration (also the downtime for SLA uptime).
    pub duration: Minutes,
    /// The billing month the incident started in (the basis of "N-day" credits).
    pub month: BillingMonth,
    /// Downtime per billing month for SLA uptime; empty means all of `duration` in `month`.
    pub downtime_by_month: Vec<(BillingMonth, Minutes)>,
}

impl Context {
    /// Downtime per billing month.
    pub fn months(&self) -> Vec<(BillingMonth, Minutes)> {
        if self.downtime_by_month.is_empty() {
            vec![(self.month, self.duration)]
        } else {
            self.downtime_by_month.clone()
        }
    }

    /// The days a "1-day credit" is divided by: the month's days or the playbook's fixed basis.
    pub fn basis_days(&self, playbook: &Playbook) -> u32 {
        match playbook.remediation.day_basis {
            DayBasis::DaysInMonth => self.month.days,
            DayBasis::Fixed(n) => n,
        }
    }
}

/// The matrix rule for a tier, severity and duration.
pub fn rule_for<'p>(
    playbook: &'p Playbook,
    tier: &Key,
    ctx: &Context,
) -> Option<&'p RemediationRule> {
    let severity = &playbook.severities[ctx.severity].id;
    playbook
        .remediation
        .rules
        .iter()
        .find(|r| &r.tier == tier && &r.severity == severity && r.covers(ctx.duration))
}

/// Decides one account's remediation.
pub fn decide<'p>(
    playbook: &'p Playbook,
    account: &Account,
    ctx: &Context,
) -> Result<Decision<'p>, RemediationError> {
    let rule = rule_for(playbook, &account.tier, ctx).ok_or_else(|| RemediationError::NoRule {
        tier: account.tier.to_string(),
        severity: playbook.severities[ctx.severity].id.to_string(),
        duration: ctx.duration,
    })?;
    let fee = account.monthly_fee;
    let currency = fee.currency();
    let basis_days = Decimal::from(ctx.basis_days(playbook));
    let months = ctx.months();
    let mut granted = Vec::with_capacity(rule.remedies.len());
    let mut uses_contract = false;
    let mut matrix_credit = Money::zero(currency);
    for remedy in &rule.remedies {
        let mut sla = None;
        let credit = match remedy {
            Remedy::ServiceCreditDays(days) => {
                Some(Money::rounded(fee.amount() * *days / basis_days, currency))
            }
            Remedy::PercentOfMonthlyFee(p) => Some(Money::rounded(
                fee.amount() * *p / Decimal::ONE_HUNDRED,
                currency,
            )),
            Remedy::Fixed(amounts) => Some(amounts.get(&currency).copied().ok_or_else(|| {
                RemediationError::FixedCreditCurrency {
                    rule: rule.number,
                    currency,
                    account: account.id.to_string(),
                }
            })?),
            Remedy::SlaCredit(named) => {
                uses_contract |= named.is_none();
                let key = named.as_ref().or(account.sla.as_ref());
                match key.and_then(|k| playbook.sla_schedules.get(k)) {
                    Some(schedule) => {
                        let c = sla_credit_over(schedule, &months, fee);
                        let credit = c.credit;
                        sla = Some((schedule, c));
                        Some(credit)
                    }
                    None => Some(Money::zero(currency)),
                }
            }
            Remedy::Acknowledgment
            | Remedy::Apology(_)
            | Remedy::StatusPageOnly
            | Remedy::Nothing => None,
        };
        if let Some(c) = credit {
            matrix_credit = matrix_credit.checked_add(c).unwrap_or(matrix_credit);
        }
        granted.push(Granted {
            remedy,
            credit,
            sla,
        });
    }

    let policy = playbook.remediation.contract_sla;
    let contract = match (&account.sla, policy, uses_contract) {
        (Some(key), ContractSla::GreaterOf | ContractSla::InAddition, false) => playbook
            .sla_schedules
            .get(key)
            .map(|s| (s, sla_credit_over(s, &months, fee))),
        _ => None,
    };
    let (credit, contract) = match contract {
        None => (matrix_credit, None),
        Some((schedule, sla)) => {
            let (total, applied) = match policy {
                ContractSla::InAddition => (
                    matrix_credit
                        .checked_add(sla.credit)
                        .unwrap_or(matrix_credit),
                    !sla.credit.is_zero(),
                ),
                // `contract` is None under Ignore, so only GreaterOf reaches here.
                ContractSla::GreaterOf | ContractSla::Ignore => (
                    matrix_credit
                        .checked_max(sla.credit)
                        .unwrap_or(matrix_credit),
                    sla.credit.amount() > matrix_credit.amount(),
                ),
            };
            (
                total,
                Some(ContractCredit {
                    schedule,
                    sla,
                    applied,
                }),
            )
        }
    };
    Ok(Decision {
        rule,
        granted,
        contract,
        credit,
        status: if rule.automatic {
            Status::Automatic
        } else {
            Status::PendingApproval
        },
    })
}

fn sla_working(schedule: &SlaSchedule, c: &SlaCredit, fee: Money) -> String {
    let base = if c.months > 1 {
        format!(
            "{} over {} billing months (worst {}% uptime): {}% × {fee}",
            schedule.name,
            c.months,
            c.uptime_percent.round_dp(4).normalize(),
            c.credit_percent.normalize()
        )
    } else {
        format!(
            "{} at {}% uptime: {}% × {fee}",
            schedule.name,
            c.uptime_percent.round_dp(4).normalize(),
            c.credit_percent.normalize()
        )
    };
    if c.below_minimum {
        format!("{base}, below the schedule's minimum credit, not issued")
    } else {
        base
    }
}
