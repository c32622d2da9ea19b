//! The playbook: a company's service recovery policy as a TOML file, checked into version
//! control next to its other configuration, readable by a support leader and reviewable by an
//! engineer.
//!
//! [`Playbook::parse`] is the only way to get one, and it either returns a playbook in which
//! every reference resolves, every cell of the remediation matrix is covered exactly once and
//! names a person as approver, and every deadline is reachable — or every problem it found,
//! each with its file, line and column. The planner therefore never meets a half-valid policy.

mod check;
mod raw;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::diagnostic::Diagnostics;
use crate::domain::{Channel, FailureType, InternalChannel, Key, Purpose};
use crate::lint::LintConfig;
use crate::money::{Currency, Money};
use crate::time::{BusinessCalendar, Minutes, Moment};

/// A validated service recovery playbook.
#[derive(Debug, Clone)]
pub struct Playbook {
    /// A title for people.
    pub name: String,
    /// The policy's own version, printed on every plan so a plan can be traced to its policy.
    pub version: String,
    /// Customer tiers, highest first.
    pub tiers: Vec<Key>,
    /// The business calendar for business-day deadlines.
    pub calendar: BusinessCalendar,
    /// Named people, by handle.
    pub people: BTreeMap<Key, Person>,
    /// Severity levels, most severe first.
    pub severities: Vec<SeverityLevel>,
    /// The level used when no criterion matches (an index into `severities`).
    pub unmatched: usize,
    /// Message templates by name.
    pub templates: BTreeMap<Key, Template>,
    /// The message linter's levels and limits.
    pub lint: LintConfig,
    /// Alerting services by the name alerts carry, and what an incident on each means.
    pub services: BTreeMap<String, Service>,
    /// The remediation policy.
    pub remediation: Remediation,
    /// Contractual SLA credit schedules by name.
    pub sla_schedules: BTreeMap<Key, SlaSchedule>,
    /// Post-incident review tasks.
    pub reviews: Vec<ReviewTask>,
    /// How measured per-account impact (usage logs) targets and scales the plan.
    pub impact: ImpactPolicy,
}

/// Which accounts a plan made with measured impact targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImpactTarget {
    /// Only accounts with at least one impacted minute.
    #[default]
    Impacted,
    /// Impacted accounts and silent ones (much less traffic than the week before).
    ImpactedOrSilent,
    /// Every account in the incident's scope, impact or not.
    All,
}

/// What the SLA uptime of an account is computed from when its impact is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlaDowntime {
    /// The incident's duration, the same for every account.
    #[default]
    Incident,
    /// The account's own impacted minutes.
    ImpactedMinutes,
}

/// The playbook's `[impact]` table: when a minute counts as impacted, which accounts a plan
/// targets, and how remediation scales with each account's impact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactPolicy {
    /// Which accounts are targeted.
    pub target: ImpactTarget,
    /// A minute is impacted at or above this error rate (0 < rate ≤ 1).
    pub error_rate: Decimal,
    /// … or at or above this mean latency, in milliseconds.
    pub latency_ms: Option<u64>,
    /// A credit per started impacted hour, by currency, added to the account's remediation.
    pub credit_per_impacted_hour: BTreeMap<Currency, Money>,
    /// What SLA uptime is computed from.
    pub sla_downtime: SlaDowntime,
    /// The logs' column mapping (`account = "customer_id"`, …), read by `amends impact`.
    pub columns: BTreeMap<String, String>,
}

impl Default for ImpactPolicy {
    fn default() -> ImpactPolicy {
        ImpactPolicy {
            target: ImpactTarget::default(),
            error_rate: Decimal::new(5, 2),
            latency_ms: None,
            credit_per_impacted_hour: BTreeMap::new(),
            sla_downtime: SlaDowntime::default(),
            columns: BTreeMap::new(),
        }
    }
}

impl Playbook {
    /// Parses and checks a playbook. `file` is only used in error messages.
    pub fn parse(file: &str, source: &str) -> Result<Playbook, Diagnostics> {
        check::parse(file, source)
    }

    /// The person with this handle. Handles are checked at parse time, so this only fails
    /// for a handle that did not come from this playbook.
    pub fn person(&self, key: &Key) -> Option<&Person> {
        self.people.get(key)
    }

    /// The level with this id.
    pub fn severity(&self, id: &str) -> Option<(usize, &SeverityLevel)> {
        self.severities
            .iter()
            .enumerate()
            .find(|(_, s)| s.id.as_str() == id)
    }

    /// The position of a tier in the tier list (0 = highest), if the playbook has it.
    pub fn tier_index(&self, tier: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.as_str() == tier)
    }
}

/// A named person who owns, approves, apologises or is paged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The handle used in the playbook (`vp_support`).
    pub key: Key,
    /// Full name.
    pub name: String,
    /// Job title (`VP Support`).
    pub role: String,
    /// Work email, if given.
    pub email: Option<String>,
}

/// One severity level and what it commits the company to.
#[derive(Debug, Clone)]
pub struct SeverityLevel {
    /// Short id (`S1`).
    pub id: Key,
    /// Name (`Critical`).
    pub name: String,
    /// The criteria in one line, as the severity table states them.
    pub summary: String,
    /// Named response owners.
    pub owners: Vec<Key>,
    /// Deadline for the first notice, after detection.
    pub initial_notification: Minutes,
    /// When customers get their first direct message.
    pub customer_comms: CustomerComms,
    /// Alternative criteria; any one matching selects this level.
    pub criteria: Vec<Criterion>,
    /// The customer communication sequence.
    pub communication: Vec<CommStep>,
    /// The internal escalation chain, in order.
    pub escalation: Vec<EscalationStep>,
}

/// When customers are first contacted directly at a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerComms {
    /// Within this time after detection.
    Within(Minutes),
    /// Only when a customer asks; the status page carries the rest.
    OnRequest,
}

/// Conditions over the incident's facts; all given conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Criterion {
    /// The failure is one of these types.
    pub failure_types: Option<Vec<FailureType>>,
    /// At least this share of all accounts is affected (0 to 1).
    pub share_affected_at_least: Option<Decimal>,
    /// Less than this share of all accounts is affected (0 to 1).
    pub share_affected_below: Option<Decimal>,
    /// The incident lasted strictly longer than this.
    pub duration_over: Option<Minutes>,
    /// The incident lasted strictly less than this.
    pub duration_under: Option<Minutes>,
    /// A core feature is affected (or not).
    pub core_feature: Option<bool>,
    /// A workaround is available (or not).
    pub workaround: Option<bool>,
    /// At least one of these tiers has an affected account.
    pub tiers_affected_any: Option<Vec<Key>>,
}

/// A message template named by steps: what the message must say, what it is for (the
/// linter's standard), and its text, written in the playbook, in a file it names, or taken
/// from the bundled recovery script library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// What the message says, for people reading the playbook and the plan.
    pub description: String,
    /// What the message is for; the linter holds it to that purpose's standard. When absent,
    /// a script's own purpose applies, else [`Purpose::General`].
    pub purpose: Option<Purpose>,
    /// The person the message is signed by and who answers replies, when the step names one.
    pub sender: Option<Key>,
    /// Whether the message must name a person to contact; by default acknowledgments,
    /// resolutions, root-cause summaries and follow-ups sent to accounts do.
    pub named_contact: Option<bool>,
    /// Where the text comes from.
    pub source: TemplateSource,
}

/// An alerting service (a PagerDuty service, an Alertmanager `service` or `job` label) and what
/// an incident on it means for customers: the facts an alert does not carry. An alert on it
/// opens an incident in triage: internal steps run, customer steps wait until a person
/// confirms, or until `triage_auto_confirm` has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The name alerts carry.
    pub name: String,
    /// The incident title customers may read.
    pub title: String,
    /// The failure type.
    pub failure_type: FailureType,
    /// The features that fail, in customers' words.
    pub features: Vec<String>,
    /// Whether a core feature is affected.
    pub core_feature: bool,
    /// Whether a workaround exists.
    pub workaround: bool,
    /// Who is affected (checked against the accounts when an alert arrives).
    pub affected: crate::incident::ScopeSpec,
    /// Customer steps go ahead without a person's confirmation after this long; `None`
    /// waits for a person.
    pub triage_auto_confirm: Option<Minutes>,
}

/// Where a template's text comes from. Reading files is not this crate's job: a
/// [`TemplateSource::File`] is resolved by the caller, relative to the playbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    /// Described only: plans show the description; nothing can be rendered yet.
    Described,
    /// Written in the playbook.
    Inline {
        /// The subject line (email), if any.
        subject: Option<Located>,
        /// The body.
        body: Located,
    },
    /// A script of the bundled recovery script library, by id (`outage/initial_contact`).
    Script(Located),
    /// A file, relative to the playbook's directory.
    File(Located),
}

/// A string from the playbook with the byte span of its TOML value, so that errors found in
/// it later (a template syntax error) point at the playbook's own line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The string's value.
    pub text: String,
    /// The byte span of the value in the playbook source, quotes included.
    pub span: std::ops::Range<usize>,
}

/// Who receives a communication step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone, through the status page.
    Public,
    /// Each affected account's contacts, rendered per account.
    AffectedAccounts,
}

/// One step of the customer communication sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommStep {
    /// Stable id within the severity (part of future idempotency keys).
    pub id: Key,
    /// When it is due.
    pub at: Moment,
    /// Repeat at this cadence while the incident is open.
    pub every: Option<Minutes>,
    /// Skip the step if the incident is resolved by then.
    pub only_if_unresolved: bool,
    /// How it is sent.
    pub channel: Channel,
    /// Who receives it.
    pub audience: Audience,
    /// The template to render.
    pub template: Key,
}

/// How "N days of service credit" turns into money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayBasis {
    /// Days in the calendar month in which the incident started (28 to 31).
    DaysInMonth,
    /// A fixed number of days per month (e.g. 30).
    Fixed(u32),
}

/// How a contractual SLA credit combines with the matrix remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractSla {
    /// The account gets whichever credit is greater.
    GreaterOf,
    /// The account gets both.
    InAddition,
    /// Contract SLAs are handled outside amends.
    Ignore,
}

/// The remediation policy.
#[derive(Debug, Clone)]
pub struct Remediation {
    /// How credit days become money.
    pub day_basis: DayBasis,
    /// How contract SLA credits combine with the matrix.
    pub contract_sla: ContractSla,
    /// The matrix cells. Each tier × severity is covered for every duration exactly once.
    pub rules: Vec<RemediationRule>,
}

/// One cell of the remediation matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemediationRule {
    /// 1-based position in the playbook, so a plan can say which rule it used.
    pub number: usize,
    /// Customer tier.
    pub tier: Key,
    /// Severity id.
    pub severity: Key,
    /// Applies only when the incident lasted strictly longer than this.
    pub duration_over: Option<Minutes>,
    /// Applies only when the incident lasted this long or less.
    pub duration_at_most: Option<Minutes>,
    /// What the account receives (all of them).
    pub remedies: Vec<Remedy>,
    /// Applied without waiting for approval.
    pub automatic: bool,
    /// The named person accountable for the decision.
    pub approver: Key,
}

impl RemediationRule {
    /// True if the rule's duration band contains `duration`.
    pub fn covers(&self, duration: Minutes) -> bool {
        self.duration_over.is_none_or(|d| duration > d)
            && self.duration_at_most.is_none_or(|d| duration <= d)
    }
}

/// One thing an account receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// N days of the monthly fee as service credit.
    ServiceCreditDays(Decimal),
    /// A percent of the monthly fee.
    PercentOfMonthlyFee(Decimal),
    /// A fixed amount, per currency.
    Fixed(BTreeMap<Currency, Money>),
    /// Credit from an SLA schedule: a named one, or the account's own contract (`None`).
    SlaCredit(Option<Key>),
    /// A personal acknowledgment from the account team, no credit.
    Acknowledgment,
    /// A named apology from the person holding a role.
    Apology(Key),
    /// The status page notification only.
    StatusPageOnly,
    /// Nothing.
    Nothing,
}

/// A contractual SLA credit schedule: monthly uptime thresholds to percent credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaSchedule {
    /// Name accounts use to reference it.
    pub name: Key,
    /// What it is.
    pub description: String,
    /// Where it was published, if anywhere.
    pub source: Option<String>,
    /// Tiers sorted by threshold, highest first.
    pub tiers: Vec<SlaTier>,
    /// Maximum credit, percent of the monthly fee.
    pub cap_percent: Decimal,
    /// Credits at or below this amount are not issued (per currency).
    pub minimum_credit: BTreeMap<Currency, Money>,
}

/// One row of an SLA schedule: below this uptime, this credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTier {
    /// Applies when monthly uptime percent is strictly below this.
    pub uptime_below: Decimal,
    /// Credit as a percent of the monthly fee.
    pub credit_percent: Decimal,
}

/// One step of the internal escalation chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationStep {
    /// When.
    pub at: Moment,
    /// Who acts (a role, as people say it under pressure).
    pub actor: String,
    /// What is done.
    pub action: String,
    /// Named people told.
    pub notify: Vec<Key>,
    /// How they are told.
    pub channel: InternalChannel,
    /// Channel detail, e.g. `#incident-live`.
    pub target: Option<String>,
    /// What they are told.
    pub information: Vec<String>,
    /// The step fires if any condition holds; no conditions means always.
    pub when_any: Vec<Condition>,
}

/// A condition for an escalation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// More than `count` affected accounts (of `tier`, or of any tier).
    AffectedAccountsOver {
        /// Restrict the count to a tier.
        tier: Option<Key>,
        /// The threshold (strictly more).
        count: u32,
    },
    /// The incident lasted strictly longer than this.
    DurationOver(Minutes),
}

/// A post-incident review task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTask {
    /// Stable id.
    pub id: Key,
    /// What is done.
    pub title: String,
    /// Deadline.
    pub due: Moment,
    /// Named owner.
    pub owner: Key,
    /// Named participants.
    pub participants: Vec<Key>,
    /// Whether the customer sees the result.
    pub customer_facing: bool,
    /// Only at these severities (indexes); `None` means all.
    pub severities: Option<Vec<usize>>,
}
