//! The rows the store reads and writes, as plain values.

use serde::{Deserialize, Serialize};

use crate::{Result, StoreError};

/// Where an incident is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IncidentStatus {
    /// Declared, not resolved.
    Open,
    /// Service restored.
    Resolved,
}

impl IncidentStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Resolved => "resolved",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "open" => Ok(IncidentStatus::Open),
            "resolved" => Ok(IncidentStatus::Resolved),
            other => Err(StoreError::Corrupt(format!(
                "unknown incident status {other:?}"
            ))),
        }
    }
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentRow {
    /// Id.
    pub id: String,
    /// The `IncidentSpec` as JSON.
    pub spec: String,
    /// Lifecycle state.
    pub status: IncidentStatus,
    /// Current severity id.
    pub severity: String,
    /// Changes so far (optimistic concurrency token).
    pub version: i64,
    /// The latest plan version.
    pub plan_version: i64,
    /// When declared.
    pub created_at: String,
    /// When last changed.
    pub updated_at: String,
}

/// One change to an incident, written atomically by [`crate::Store::write_incident`].
#[derive(Debug, Clone)]
pub struct IncidentChange {
    /// Incident id.
    pub id: String,
    /// `None` to create; `Some(v)` to update an incident still at version `v`.
    pub expected_version: Option<i64>,
    /// Who.
    pub actor: String,
    /// `declare`, `update`, `resolve`, `reopen`.
    pub event: String,
    /// Event detail as JSON (what the request changed).
    pub event_detail: String,
    /// The new `IncidentSpec` JSON.
    pub spec: String,
    /// The new status.
    pub status: IncidentStatus,
    /// The new severity id.
    pub severity: String,
    /// A severity override made by this change (JSON with severity and reason), for the audit.
    pub severity_override: Option<serde_json::Value>,
    /// The new plan's snapshot JSON.
    pub snapshot: String,
    /// The new plan's `amends.plan/v1` JSON.
    pub plan: String,
    /// Readable changes against the previous plan version.
    pub diff: Vec<String>,
    /// The new plan's remediation decisions.
    pub remediations: Vec<NewRemediation>,
    /// The plan's outbox jobs, queued and the dropped ones cancelled in the same transaction
    /// (see [`crate::Store::replan_jobs`]); `None` leaves the outbox alone.
    pub jobs: Option<Vec<crate::NewJob>>,
}

/// A remediation decision from a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRemediation {
    /// Account id.
    pub account_id: String,
    /// Rule number.
    pub rule: i64,
    /// Credit, decimal text.
    pub credit: String,
    /// Currency code.
    pub currency: String,
    /// Approver handle.
    pub approver: String,
    /// Applied automatically.
    pub automatic: bool,
}

/// A remediation's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RemediationStatus {
    /// Applied by policy.
    Automatic,
    /// Waiting for its named approver.
    PendingApproval,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
    /// The account is no longer affected.
    Withdrawn,
}

impl RemediationStatus {
    /// The stored word.
    pub fn as_str(&self) -> &'static str {
        match self {
            RemediationStatus::Automatic => "automatic",
            RemediationStatus::PendingApproval => "pending_approval",
            RemediationStatus::Approved => "approved",
            RemediationStatus::Rejected => "rejected",
            RemediationStatus::Withdrawn => "withdrawn",
        }
    }

    /// Decided by a person: a re-plan proposes an adjustment instead of changing it.
    pub fn is_settled(&self) -> bool {
        matches!(
            self,
            RemediationStatus::Approved | RemediationStatus::Rejected
        )
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "automatic" => RemediationStatus::Automatic,
            "pending_approval" => RemediationStatus::PendingApproval,
            "approved" => RemediationStatus::Approved,
            "rejected" => RemediationStatus::Rejected,
            "withdrawn" => RemediationStatus::Withdrawn,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "unknown remediation status {other:?}"
                )));
            }
        })
    }
}

/// A remediation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemediationRow {
    /// Incident id.
    pub incident_id: String,
    /// Account id.
    pub account_id: String,
    /// Rule number.
    pub rule: i64,
    /// Credit (the approved amount once approved).
    pub credit: String,
    /// Currency.
    pub currency: String,
    /// Approver handle.
    pub approver: String,
    /// State.
    pub status: RemediationStatus,
    /// A re-plan's different amount, waiting for the approver.
    pub proposed_credit: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// Why an admin decided in the approver's place.
    pub override_reason: Option<String>,
    /// The plan version that last touched it.
    pub plan_version: i64,
}

/// An approval or rejection.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Incident id.
    pub incident: String,
    /// Account id.
    pub account: String,
    /// Approve (or reject).
    pub approve: bool,
    /// Who.
    pub actor: String,
    /// For an admin deciding in the named approver's place: why.
    pub override_reason: Option<String>,
}

/// An incident event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRow {
    /// 1-based position in the incident's timeline.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// `declare`, `update`, `resolve`, `reopen`.
    pub kind: String,
    /// JSON detail.
    pub detail: String,
}

/// A plan version's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanVersionRow {
    /// Version, from 1.
    pub version: i64,
    /// When made.
    pub created_at: String,
    /// Severity id.
    pub severity: String,
    /// Changes against the previous version.
    pub diff: Vec<String>,
}

/// A plan version with its documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDocument {
    /// Header.
    pub version: PlanVersionRow,
    /// Snapshot JSON.
    pub snapshot: String,
    /// `amends.plan/v1` JSON.
    pub plan: String,
}

/// An API token as stored: never the secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    /// Public id (shown in lists and the audit trail).
    pub id: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// `viewer`, `agent`, `approver` or `admin`.
    pub role: String,
    /// The playbook person this token acts as (required to approve).
    pub person: Option<String>,
    /// A label for people.
    pub label: String,
    /// When created.
    pub created_at: String,
}

/// What an accounts import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    /// New accounts.
    pub inserted: usize,
    /// Changed accounts.
    pub updated: usize,
    /// Accounts already stored as given.
    pub unchanged: usize,
}

/// Keyset pagination: up to `limit` items after the key `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items with keys greater than this.
    pub after: Option<String>,
    /// At most this many (1 to 500).
    pub limit: i64,
}

/// A page of items and the key to ask for the next page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
}

/// An incident's customer-facing root-cause summary as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RcaRow {
    /// Incident id.
    pub incident_id: String,
    /// The summary (JSON, as checked when it was written).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub record: serde_json::Value,
    /// When it was last written.
    pub written_at: String,
    /// Who wrote it.
    pub written_by: String,
    /// When it was sent to the affected accounts; after that it cannot change.
    pub sent_at: Option<String>,
    /// Who recorded the sending.
    pub sent_by: Option<String>,
}

/// A closed post-incident review task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewClosureRow {
    /// Incident id.
    pub incident_id: String,
    /// The playbook's review task id.
    pub task: String,
    /// When.
    pub closed_at: String,
    /// Who.
    pub closed_by: String,
    /// What was concluded, in a line.
    pub note: Option<String>,
}

/// Closing a review task.
#[derive(Debug, Clone)]
pub struct ReviewClosure {
    /// Incident id.
    pub incident: String,
    /// The playbook's review task id.
    pub task: String,
    /// Whether the task's result is for customers: it cannot close before the root-cause
    /// summary was sent.
    pub customer_facing: bool,
    /// Who.
    pub actor: String,
    /// What was concluded.
    pub note: Option<String>,
}
