//! The incident lifecycle: declare, update, resolve, reopen, confirm or dismiss a triaged
//! alert. Every change re-checks the whole incident against the playbook and the accounts
//! registry, re-plans, renders the plan's messages, and stores the new plan as a new version
//! with a readable diff and its outbox jobs — all in one store transaction, so a change is
//! either entirely recorded (event, plan, remediations, jobs, audit) or not at all.
//!
//! Used by the HTTP API and by the CLI alike.

use std::sync::Arc;

use amends_core::account::{self, Account};
use amends_core::diagnostic::Diagnostics;
use amends_core::incident::{IncidentSpec, OverrideSpec, ScopeSpec};
use amends_core::plan;
use amends_core::playbook::Playbook;
use amends_core::snapshot::Snapshot;
use amends_delivery::Clock;
use amends_delivery::plan_jobs::{PlanJobs, plan_jobs, repeating_jobs};
use amends_messages::rca::RcaSpec;
use amends_messages::{Composer, Templates};
use amends_store::{IncidentChange, IncidentRow, IncidentStatus, NewRemediation, Store};
use serde::Deserialize;

use crate::error::{ApiError, FieldError};

/// The service: a store, the playbook in force with its compiled templates, and a clock.
#[derive(Clone)]
pub struct Lifecycle {
    /// The store.
    pub store: Store,
    /// The playbook every plan follows.
    pub playbook: Arc<Playbook>,
    /// The playbook's templates, compiled and linted at start: every plan's messages are
    /// rendered with them into the outbox.
    pub templates: Arc<Templates>,
    /// Where "now" comes from: the system clock, or simulated time in tests.
    pub clock: Arc<dyn Clock>,
}

/// A change to an incident's facts. Absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    /// The version you read; a different current version is a 409 conflict.
    pub expected_version: i64,
    /// New title.
    pub title: Option<String>,
    /// New failure type.
    #[serde(rename = "type")]
    pub failure_type: Option<String>,
    /// New feature list.
    pub features: Option<Vec<String>>,
    /// Whether a core feature is affected.
    pub core_feature: Option<bool>,
    /// Whether a workaround exists.
    pub workaround: Option<bool>,
    /// Corrected start.
    pub started_at: Option<String>,
    /// Corrected detection.
    pub detected_at: Option<String>,
    /// The cause, once known.
    pub known_cause: Option<String>,
    /// The new scope (replaces the old one).
    pub affected: Option<ScopeSpec>,
    /// Accounts to add to the scope.
    #[serde(default)]
    pub add_accounts: Vec<String>,
    /// A severity decision by a person, with the reason (audited).
    pub severity_override: Option<OverrideSpec>,
}

/// Resolving an incident.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    /// The version you read.
    pub expected_version: i64,
    /// When service was restored (RFC 3339 with offset); defaults to now.
    pub resolved_at: Option<String>,
}

/// A person's decision on an incident an alert opened.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageDecision {
    /// The version you read.
    pub expected_version: i64,
    /// Why (required to dismiss a false alarm; recorded on the timeline and in the audit).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Reopening a resolved incident.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopen {
    /// The version you read.
    pub expected_version: i64,
    /// Why (recorded on the timeline and in the audit trail).
    pub reason: String,
}

impl Lifecycle {
    /// Declares a new incident.
    pub async fn declare(&self, spec: IncidentSpec, actor: &str) -> Result<IncidentRow, ApiError> {
        let status = if spec.resolved_at.is_some() {
            IncidentStatus::Resolved
        } else {
            IncidentStatus::Open
        };
        let detail = serde_json::json!({ "declared": true });
        let overridden = spec.severity_override.clone();
        self.write(
            spec, None, None, status, "declare", detail, overridden, actor,
        )
        .await
    }

    /// Applies new facts.
    pub async fn update(
        &self,
        id: &str,
        patch: IncidentPatch,
        actor: &str,
    ) -> Result<IncidentRow, ApiError> {
        let (row, mut spec) = self.load(id).await?;
        let detail = serde_json::json!({ "changed": changed_fields(&patch) });
        if let Some(t) = patch.title {
            spec.title = t;
        }
        if let Some(t) = patch.failure_type {
            spec.failure_type = t;
        }
        if let Some(f) = patch.features {
            spec.features = f;
        }
        if let Some(c) = patch.core_feature {
            spec.core_feature = c;
        }
        if let Some(w) = patch.workaround {
            spec.workaround = w;
        }
        if let Some(s) = patch.started_at {
            spec.started_at = s;
        }
        if let Some(d) = patch.detected_at {
            spec.detected_at = d;
        }
        if let Some(k) = patch.known_cause {
            spec.known_cause = Some(k);
        }
        if let Some(a) = patch.affected {
            spec.affected = a;
        }
        for a in patch.add_accounts {
            if !spec.affected.accounts.contains(&a) {
                spec.affected.accounts.push(a);
            }
        }
        let overridden = patch.severity_override.clone();
        if let Some(o) = patch.severity_override {
            spec.severity_override = Some(o);
        }
        self.write(
            spec,
            Some(&row),
            Some(patch.expected_version),
            row.status,
            "update",
            detail,
            overridden,
            actor,
        )
        .await
    }

    /// Records the resolution.
    pub async fn resolve(
        &self,
        id: &str,
        r: Resolve,
        actor: &str,
    ) -> Result<IncidentRow, ApiError> {
        let (row, mut spec) = self.load(id).await?;
        if row.status == IncidentStatus::Resolved {
            return Err(ApiError::Conflict(format!(
                "incident {id:?} is already resolved; reopen it first"
            )));
        }
        let at = r
            .resolved_at
            .unwrap_or_else(|| self.clock.now().to_string());
        spec.resolved_at = Some(at.clone());
        let detail = serde_json::json!({ "resolved_at": at });
        self.write(
            spec,
            Some(&row),
            Some(r.expected_version),
            IncidentStatus::Resolved,
            "resolve",
            detail,
            None,
            actor,
        )
        .await
    }

    /// Reopens a resolved incident.
    pub async fn reopen(&self, id: &str, r: Reopen, actor: &str) -> Result<IncidentRow, ApiError> {
        let (row, mut spec) = self.load(id).await?;
        if row.status != IncidentStatus::Resolved {
            return Err(ApiError::Conflict(format!(
                "incident {id:?} is not resolved"
            )));
        }
        if r.reason.trim().is_empty() {
            return Err(ApiError::field(
                "reason",
                "say why the incident is reopened",
            ));
        }
        let detail = serde_json::json!({ "reason": r.reason, "was_resolved_at": spec.resolved_at });
        spec.resolved_at = None;
        self.write(
            spec,
            Some(&row),
            Some(r.expected_version),
            IncidentStatus::Open,
            "reopen",
            detail,
            None,
            actor,
        )
        .await
    }

    /// A person confirms an incident an alert opened: its customer messages go out as planned.
    pub async fn confirm(
        &self,
        id: &str,
        d: TriageDecision,
        actor: &str,
    ) -> Result<IncidentRow, ApiError> {
        let (row, mut spec) = self.load(id).await?;
        let Some(triage) = spec.triage.take() else {
            return Err(ApiError::Conflict(format!(
                "incident {id:?} is not in triage; nothing to confirm"
            )));
        };
        if triage.dismissed.is_some() {
            return Err(ApiError::Conflict(format!(
                "incident {id:?} was dismissed as a false alarm; declare a new incident instead"
            )));
        }
        let detail = serde_json::json!({ "opened_by": triage.opened_by, "reason": d.reason });
        self.write(
            spec,
            Some(&row),
            Some(d.expected_version),
            row.status,
            "confirm",
            detail,
            None,
            actor,
        )
        .await
    }

    /// A person finds an alert's incident a false alarm: no customer message is ever sent, and
    /// the incident is closed.
    pub async fn dismiss(
        &self,
        id: &str,
        d: TriageDecision,
        actor: &str,
    ) -> Result<IncidentRow, ApiError> {
        let (row, mut spec) = self.load(id).await?;
        let reason = d.reason.unwrap_or_default();
        if reason.trim().is_empty() {
            return Err(ApiError::field(
                "reason",
                "say why this is a false alarm; it goes into the audit trail",
            ));
        }
        let Some(triage) = spec.triage.as_mut() else {
            return Err(ApiError::Conflict(format!(
                "incident {id:?} was confirmed; resolve it instead of dismissing it"
            )));
        };
        triage.dismissed = Some(reason.trim().to_string());
        if spec.resolved_at.is_none() {
            spec.resolved_at = Some(self.clock.now().to_string());
        }
        let detail = serde_json::json!({ "reason": reason.trim() });
        self.write(
            spec,
            Some(&row),
            Some(d.expected_version),
            IncidentStatus::Resolved,
            "dismiss",
            detail,
            None,
            actor,
        )
        .await
    }

    /// Re-plans an incident whose facts did not change but whose messages did (its root-cause
    /// summary was written): a new plan version with the re-rendered jobs.
    pub async fn refresh(
        &self,
        id: &str,
        event: &str,
        detail: serde_json::Value,
        actor: &str,
    ) -> Result<IncidentRow, ApiError> {
        let (row, spec) = self.load(id).await?;
        self.write(
            spec,
            Some(&row),
            Some(row.version),
            row.status,
            event,
            detail,
            None,
            actor,
        )
        .await
    }

    /// Every account in the registry, checked against the playbook in force.
    pub async fn accounts(&self) -> Result<Vec<Account>, ApiError> {
        let specs = self.store.account_specs().await?;
        account::check_specs(specs, &self.playbook).map_err(|problems| ApiError::Unprocessable {
            detail: format!(
                "stored accounts no longer fit the playbook: {}",
                problems.join("; ")
            ),
            errors: Vec::new(),
        })
    }

    /// Plans the next occurrences of an open incident's repeating steps ("every 15 minutes
    /// while unresolved"). A plan reaches only the first occurrence after the time it was made,
    /// so the engine calls this as time passes; it queues jobs only (no new version, no event)
    /// and does nothing if the incident changed meanwhile. Returns the time of the last
    /// occurrence now planned, after which it needs extending again (`None`: nothing repeats,
    /// or the incident is resolved and its plan complete).
    pub async fn extend(&self, id: &str) -> Result<Option<jiff::Timestamp>, ApiError> {
        let (row, spec) = self.load(id).await?;
        if row.status != IncidentStatus::Open {
            return Ok(None);
        }
        let accounts = self.accounts().await?;
        let incident = spec
            .check("incident", &self.playbook, &accounts)
            .map_err(invalid)?;
        let plan =
            plan::plan(&self.playbook, &accounts, &incident, self.clock.now()).map_err(|e| {
                ApiError::Unprocessable {
                    detail: e.to_string(),
                    errors: Vec::new(),
                }
            })?;
        let jobs = self.render_jobs(&plan, repeating_jobs).await?;
        self.store
            .extend_jobs(id, row.version, &jobs.jobs, &jobs.superseded)
            .await?;
        Ok(plan
            .messages
            .iter()
            .filter(|m| plan.step(m).every.is_some())
            .filter_map(|m| match m.due {
                plan::Due::At(t) => Some(t),
                _ => None,
            })
            .max())
    }

    /// The plan's messages (all, or those `jobs` picks) rendered as outbox jobs, with the
    /// incident's root-cause summary when one is written.
    async fn render_jobs(
        &self,
        plan: &plan::Plan<'_>,
        jobs: fn(&plan::Plan<'_>, &Composer<'_>) -> PlanJobs,
    ) -> Result<PlanJobs, ApiError> {
        let rca = match self.store.rca(&plan.incident.id).await? {
            None => None,
            Some(row) => serde_json::from_value::<RcaSpec>(row.record)
                .ok()
                .and_then(|spec| spec.check().ok()),
        };
        let composer = Composer::new(plan, &self.templates, rca.as_ref());
        let jobs = jobs(plan, &composer);
        for held in &jobs.held {
            // Keys name incident, account and step; the reason names rules, not text.
            tracing::warn!(key = %held.key, reason = %held.reason, "message held back");
        }
        Ok(jobs)
    }

    async fn load(&self, id: &str) -> Result<(IncidentRow, IncidentSpec), ApiError> {
        let row = self.store.incident(id).await?;
        let spec: IncidentSpec = serde_json::from_str(&row.spec)
            .map_err(|e| ApiError::Internal(format!("stored incident {id}: {e}")))?;
        Ok((row, spec))
    }

    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        spec: IncidentSpec,
        previous: Option<&IncidentRow>,
        expected_version: Option<i64>,
        status: IncidentStatus,
        event: &str,
        detail: serde_json::Value,
        overridden: Option<OverrideSpec>,
        actor: &str,
    ) -> Result<IncidentRow, ApiError> {
        if let (Some(row), Some(expected)) = (previous, expected_version) {
            // Fail fast; the store checks again atomically.
            if row.version != expected {
                return Err(ApiError::Conflict(format!(
                    "incident {:?} is at version {}, not {expected}; reload it and retry",
                    row.id, row.version
                )));
            }
        }
        let started = std::time::Instant::now();
        let accounts = self.accounts().await?;
        let loaded = started.elapsed();
        let incident = spec
            .check("incident", &self.playbook, &accounts)
            .map_err(invalid)?;
        let now = self.clock.now();
        let plan = plan::plan(&self.playbook, &accounts, &incident, now).map_err(|e| {
            ApiError::Unprocessable {
                detail: e.to_string(),
                errors: Vec::new(),
            }
        })?;
        let planned = started.elapsed();
        let jobs = self.render_jobs(&plan, plan_jobs).await?;
        let rendered = started.elapsed();
        let mut detail = detail;
        if let Some(map) = detail.as_object_mut() {
            map.insert(
                "outbox".into(),
                serde_json::json!({
                    "jobs": jobs.jobs.len(),
                    "held": jobs.held.len(),
                    "awaiting_triage": jobs.awaiting_triage,
                }),
            );
        }
        let snapshot = Snapshot::of(&plan);
        let diff = match previous {
            None => vec!["first plan".to_string()],
            Some(row) => {
                let old = self.store.plan_document(&row.id, None).await?;
                let old: Snapshot = serde_json::from_str(&old.snapshot)
                    .map_err(|e| ApiError::Internal(format!("stored snapshot: {e}")))?;
                let lines = snapshot.diff(&old);
                if lines.is_empty() {
                    vec!["no change to the plan".to_string()]
                } else {
                    lines
                }
            }
        };
        let remediations = plan
            .accounts
            .iter()
            .map(|p| NewRemediation {
                account_id: p.account.id.to_string(),
                rule: i64::try_from(p.decision.rule.number).unwrap_or(i64::MAX),
                credit: p.decision.credit.amount().to_string(),
                currency: p.decision.credit.currency().to_string(),
                approver: p.decision.approver().to_string(),
                automatic: p.decision.status == amends_core::remediation::Status::Automatic,
            })
            .collect();
        let change = IncidentChange {
            id: incident.id.clone(),
            expected_version,
            actor: actor.to_string(),
            event: event.to_string(),
            event_detail: detail.to_string(),
            spec: serde_json::to_string(&spec).map_err(|e| ApiError::Internal(e.to_string()))?,
            status,
            severity: plan.severity().id.to_string(),
            severity_override: overridden
                .map(|o| serde_json::json!({ "severity": o.severity, "reason": o.reason })),
            snapshot: serde_json::to_string(&snapshot)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            plan: amends_report::json::render(&plan),
            diff,
            remediations,
            jobs: Some(jobs.jobs),
        };
        let prepared = started.elapsed();
        let row = self.store.write_incident(change).await?;
        // Where a large incident's change spends its time (AMENDS_LOG=amends_server=debug).
        tracing::debug!(
            incident = %row.id,
            version = row.version,
            accounts_loaded_ms = loaded.as_millis(),
            planned_ms = (planned - loaded).as_millis(),
            rendered_ms = (rendered - planned).as_millis(),
            prepared_ms = (prepared - rendered).as_millis(),
            stored_ms = (started.elapsed() - prepared).as_millis(),
            "incident written"
        );
        Ok(row)
    }
}

fn changed_fields(p: &IncidentPatch) -> Vec<&'static str> {
    let mut out = Vec::new();
    let fields: [(&'static str, bool); 11] = [
        ("title", p.title.is_some()),
        ("type", p.failure_type.is_some()),
        ("features", p.features.is_some()),
        ("core_feature", p.core_feature.is_some()),
        ("workaround", p.workaround.is_some()),
        ("started_at", p.started_at.is_some()),
        ("detected_at", p.detected_at.is_some()),
        ("known_cause", p.known_cause.is_some()),
        ("affected", p.affected.is_some()),
        ("add_accounts", !p.add_accounts.is_empty()),
        ("severity_override", p.severity_override.is_some()),
    ];
    for (name, changed) in fields {
        if changed {
            out.push(name);
        }
    }
    out
}

/// Spec fields a diagnostic message can start with, to name the field in problem+json.
const SPEC_FIELDS: &[&str] = &[
    "id",
    "title",
    "type",
    "features",
    "started_at",
    "detected_at",
    "resolved_at",
    "affected",
    "tiers",
    "accounts",
    "severity",
    "reason",
    "known_cause",
    "severity_override",
];

/// Incident check failures as a 422 naming each field.
fn invalid(d: Diagnostics) -> ApiError {
    let errors: Vec<FieldError> =
        d.0.iter()
            .map(|diag| {
                let first = diag
                    .message
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("");
                let field = if SPEC_FIELDS.contains(&first) {
                    match first {
                        "tiers" | "accounts" => format!("affected.{first}"),
                        "severity" | "reason" => format!("severity_override.{first}"),
                        _ => first.to_string(),
                    }
                } else if diag.message.contains("is not a failure type") {
                    "type".to_string()
                } else if diag.message.starts_with("affected ")
                    || diag.message.starts_with("say who is affected")
                {
                    "affected".to_string()
                } else {
                    "body".to_string()
                };
                FieldError {
                    field,
                    message: diag.message.clone(),
                }
            })
            .collect();
    ApiError::Unprocessable {
        detail: errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        errors,
    }
}
