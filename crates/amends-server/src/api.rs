//! The HTTP API: JSON endpoints for incidents, plans, remediations, approvals, the root-cause
//! summary and review tasks, accounts and the audit trail. Every handler names the least role it needs; every error is problem+json.
//! The OpenAPI document is generated from these handlers' annotations ([`ApiDoc`]).

use amends_core::account::{self, AccountSpec};
use amends_core::incident::IncidentSpec;
use amends_messages::rca::RcaSpec;
use amends_store::audit::{AuditEntry, Verified};
use amends_store::{
    Decision, EventRow, ImportSummary, IncidentRow, IncidentStatus, PageRequest, PlanVersionRow,
    RcaRow, RemediationRow, RemediationStatus, ReviewClosure, ReviewClosureRow,
};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::body::Json;
use crate::error::{ApiError, FieldError, Problem};
use crate::lifecycle::{IncidentPatch, Reopen, Resolve, TriageDecision};

/// Pagination parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items after this key (the `next` of the previous page).
    pub after: Option<String>,
    /// How many (1 to 500, default 50).
    pub limit: Option<i64>,
}

impl PageQuery {
    fn request(self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::field("limit", "must be between 1 and 500"));
        }
        Ok(PageRequest {
            after: self.after,
            limit,
        })
    }
}

/// An incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    /// Id.
    pub id: String,
    /// `open` or `resolved`.
    pub status: IncidentStatus,
    /// Current severity.
    pub severity: String,
    /// Pass as `expected_version` when changing it.
    pub version: i64,
    /// The latest plan version.
    pub plan_version: i64,
    /// When declared.
    pub created_at: String,
    /// When last changed.
    pub updated_at: String,
    /// The facts.
    pub spec: IncidentSpec,
}

impl TryFrom<IncidentRow> for IncidentView {
    type Error = ApiError;

    fn try_from(r: IncidentRow) -> Result<Self, ApiError> {
        let spec = serde_json::from_str(&r.spec)
            .map_err(|e| ApiError::Internal(format!("stored incident {}: {e}", r.id)))?;
        Ok(IncidentView {
            id: r.id,
            status: r.status,
            severity: r.severity,
            version: r.version,
            plan_version: r.plan_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            spec,
        })
    }
}

/// A page of incidents.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    /// The incidents.
    pub items: Vec<IncidentView>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
}

/// A page of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    /// The accounts.
    pub items: Vec<AccountSpec>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
}

/// An approval or rejection.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Required when an admin decides in the named approver's place.
    pub reason: Option<String>,
}

/// Accounts import options.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Keep the good accounts when some are bad (default: all or nothing).
    #[serde(default)]
    pub partial: bool,
}

/// What an import did, and what it refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Counts.
    pub summary: ImportSummary,
    /// Accounts refused (only with `partial=true`).
    pub rejected: Vec<FieldError>,
}

/// Which plan version.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// A version number; the latest when absent.
    pub version: Option<i64>,
}

/// Audit listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries with a sequence number greater than this (default 0).
    pub after: Option<i64>,
    /// How many (1 to 1000, default 100).
    pub limit: Option<i64>,
}

/// A page of audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditEntry>,
    /// Pass as `after` for the next page.
    pub next: Option<i64>,
}

/// The audit chain's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// Whether every entry fits the chain.
    pub intact: bool,
    /// Entries checked, when intact.
    pub entries: Option<i64>,
    /// The last hash, when intact.
    pub head: Option<String>,
    /// The first bad entry, when broken.
    pub broken_at: Option<i64>,
    /// What is wrong, when broken.
    pub reason: Option<String>,
}

fn id_path(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 200 {
        // No stored id is longer, so there is nothing to find: a 404, as every route that
        // takes an id documents (the fuzzer found an undocumented 422 here).
        return Err(ApiError::NotFound(
            "nothing has that id: ids are 1 to 200 characters".to_string(),
        ));
    }
    Ok(())
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "the process is up", body = String)))]
#[tracing::instrument(skip_all)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the store answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, description = "ready", body = String),
    (status = 503, description = "the store is unreachable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.lifecycle.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Unavailable
    })?;
    Ok("ready")
}

/// Lists incidents.
#[utoipa::path(get, path = "/v1/incidents", tag = "incidents", params(PageQuery), security(("token" = [])), responses(
    (status = 200, body = IncidentPage), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<IncidentPage>, ApiError> {
    caller.require(Role::Viewer)?;
    let page = state.lifecycle.store.list_incidents(&q.request()?).await?;
    let items = page
        .items
        .into_iter()
        .map(IncidentView::try_from)
        .collect::<Result<_, _>>()?;
    Ok(axum::Json(IncidentPage {
        items,
        next: page.next,
    }))
}

/// Declares an incident; plans it at once.
#[utoipa::path(post, path = "/v1/incidents", tag = "incidents", request_body = IncidentSpec, security(("token" = [])), responses(
    (status = 201, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn create_incident(
    State(state): State<AppState>,
    caller: Caller,
    Json(spec): Json<IncidentSpec>,
) -> Result<(StatusCode, axum::Json<IncidentView>), ApiError> {
    caller.require(Role::Agent)?;
    let row = state.lifecycle.declare(spec, &caller.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(row.try_into()?)))
}

/// One incident.
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents", params(("id" = String, Path)), security(("token" = [])), responses(
    (status = 200, body = IncidentView), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn get_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    Ok(axum::Json(
        state.lifecycle.store.incident(&id).await?.try_into()?,
    ))
}

/// Changes an incident's facts; re-plans.
#[utoipa::path(patch, path = "/v1/incidents/{id}", tag = "incidents", params(("id" = String, Path)), request_body = IncidentPatch, security(("token" = [])), responses(
    (status = 200, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn patch_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(patch): Json<IncidentPatch>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    let row = state.lifecycle.update(&id, patch, &caller.actor()).await?;
    Ok(axum::Json(row.try_into()?))
}

/// Records the resolution; re-plans.
#[utoipa::path(post, path = "/v1/incidents/{id}/resolve", tag = "incidents", params(("id" = String, Path)), request_body = Resolve, security(("token" = [])), responses(
    (status = 200, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn resolve_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Resolve>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    let row = state.lifecycle.resolve(&id, body, &caller.actor()).await?;
    Ok(axum::Json(row.try_into()?))
}

/// Confirms an incident an alert opened: its customer messages go out as planned; re-plans.
#[utoipa::path(post, path = "/v1/incidents/{id}/confirm", tag = "incidents", params(("id" = String, Path)), request_body = TriageDecision, security(("token" = [])), responses(
    (status = 200, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn confirm_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<TriageDecision>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    let row = state.lifecycle.confirm(&id, body, &caller.actor()).await?;
    Ok(axum::Json(row.try_into()?))
}

/// Dismisses an incident an alert opened as a false alarm (a reason is required): no customer
/// message is ever sent; the incident is closed.
#[utoipa::path(post, path = "/v1/incidents/{id}/dismiss", tag = "incidents", params(("id" = String, Path)), request_body = TriageDecision, security(("token" = [])), responses(
    (status = 200, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn dismiss_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<TriageDecision>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    let row = state.lifecycle.dismiss(&id, body, &caller.actor()).await?;
    Ok(axum::Json(row.try_into()?))
}

/// Reopens a resolved incident; re-plans.
#[utoipa::path(post, path = "/v1/incidents/{id}/reopen", tag = "incidents", params(("id" = String, Path)), request_body = Reopen, security(("token" = [])), responses(
    (status = 200, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn reopen_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Reopen>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    let row = state.lifecycle.reopen(&id, body, &caller.actor()).await?;
    Ok(axum::Json(row.try_into()?))
}

/// An incident's timeline.
#[utoipa::path(get, path = "/v1/incidents/{id}/events", tag = "incidents", params(("id" = String, Path)), security(("token" = [])), responses(
    (status = 200, body = Vec<EventRow>), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn incident_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<EventRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    state.lifecycle.store.incident(&id).await?;
    Ok(axum::Json(state.lifecycle.store.events(&id).await?))
}

/// An incident's plan versions with what changed in each.
#[utoipa::path(get, path = "/v1/incidents/{id}/plans", tag = "plans", params(("id" = String, Path)), security(("token" = [])), responses(
    (status = 200, body = Vec<PlanVersionRow>), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn incident_plans(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<PlanVersionRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    state.lifecycle.store.incident(&id).await?;
    Ok(axum::Json(state.lifecycle.store.plan_versions(&id).await?))
}

/// One plan version as the `amends.plan/v1` document.
#[utoipa::path(get, path = "/v1/incidents/{id}/plan", tag = "plans", params(("id" = String, Path), PlanQuery), security(("token" = [])), responses(
    (status = 200, description = "the amends.plan/v1 document (docs/plan-json.md)", body = Object),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn incident_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    let doc = state.lifecycle.store.plan_document(&id, q.version).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], doc.plan).into_response())
}

/// An incident's remediations: amount, approver and state per account.
#[utoipa::path(get, path = "/v1/incidents/{id}/remediations", tag = "remediations", params(("id" = String, Path)), security(("token" = [])), responses(
    (status = 200, body = Vec<RemediationRow>), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn list_remediations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<RemediationRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    state.lifecycle.store.incident(&id).await?;
    Ok(axum::Json(state.lifecycle.store.remediations(&id).await?))
}

/// Approves a remediation (or its proposed adjustment). Only the approver the playbook
/// names may, or an admin with a reason (recorded as an override).
#[utoipa::path(post, path = "/v1/incidents/{id}/remediations/{account}/approve", tag = "remediations",
    params(("id" = String, Path), ("account" = String, Path)), request_body = DecisionBody, security(("token" = [])), responses(
    (status = 200, body = RemediationRow), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, account)): Path<(String, String)>,
    Json(body): Json<DecisionBody>,
) -> Result<axum::Json<RemediationRow>, ApiError> {
    decide(state, caller, id, account, body, true).await
}

/// Rejects a remediation (or its proposed adjustment). Same rule as approving.
#[utoipa::path(post, path = "/v1/incidents/{id}/remediations/{account}/reject", tag = "remediations",
    params(("id" = String, Path), ("account" = String, Path)), request_body = DecisionBody, security(("token" = [])), responses(
    (status = 200, body = RemediationRow), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, account)): Path<(String, String)>,
    Json(body): Json<DecisionBody>,
) -> Result<axum::Json<RemediationRow>, ApiError> {
    decide(state, caller, id, account, body, false).await
}

async fn decide(
    state: AppState,
    caller: Caller,
    id: String,
    account: String,
    body: DecisionBody,
    approve: bool,
) -> Result<axum::Json<RemediationRow>, ApiError> {
    caller.require(Role::Approver)?;
    id_path(&id)?;
    let store = &state.lifecycle.store;
    let current = store.remediation(&id, &account).await?;
    let named = caller.person.as_deref() == Some(current.approver.as_str());
    let override_reason = if named {
        None
    } else if caller.role == Role::Admin {
        match body.reason.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => Some(r.to_string()),
            _ => {
                return Err(ApiError::field(
                    "reason",
                    format!(
                        "an admin deciding in place of the named approver ({}) must say why",
                        current.approver
                    ),
                ));
            }
        }
    } else {
        let name = state
            .lifecycle
            .playbook
            .people
            .iter()
            .find(|(k, _)| k.as_str() == current.approver)
            .map_or(current.approver.clone(), |(_, p)| {
                format!("{} ({})", p.name, current.approver)
            });
        return Err(ApiError::Forbidden(format!(
            "only the named approver, {name}, may decide this remediation"
        )));
    };
    if current.status == RemediationStatus::Withdrawn {
        return Err(ApiError::Conflict(format!(
            "the remediation of {account} was withdrawn: the account is no longer affected"
        )));
    }
    let row = store
        .decide_remediation(Decision {
            incident: id,
            account,
            approve,
            actor: caller.actor(),
            override_reason,
        })
        .await?;
    Ok(axum::Json(row))
}

/// Lists accounts.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", params(PageQuery), security(("token" = [])), responses(
    (status = 200, body = AccountPage), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<AccountPage>, ApiError> {
    caller.require(Role::Viewer)?;
    let page = state.lifecycle.store.list_accounts(&q.request()?).await?;
    Ok(axum::Json(AccountPage {
        items: page.items,
        next: page.next,
    }))
}

/// One account.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)), security(("token" = [])), responses(
    (status = 200, body = AccountSpec), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<AccountSpec>, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    Ok(axum::Json(state.lifecycle.store.account(&id).await?))
}

/// Imports (inserts or updates) accounts. All or nothing unless `partial=true`.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", params(ImportQuery), request_body = Vec<AccountSpec>, security(("token" = [])), responses(
    (status = 200, body = ImportResult), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn import_accounts(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    Json(specs): Json<Vec<AccountSpec>>,
) -> Result<axum::Json<ImportResult>, ApiError> {
    caller.require(Role::Admin)?;
    let mut good = Vec::new();
    let mut rejected = Vec::new();
    for (i, (id, result)) in account::check_each(specs, &state.lifecycle.playbook)
        .into_iter()
        .enumerate()
    {
        match result {
            Ok(a) => good.push(AccountSpec::from(&a)),
            Err(message) => rejected.push(FieldError {
                field: format!("[{i}]"),
                message: format!("account {id:?}: {message}"),
            }),
        }
    }
    if !rejected.is_empty() && !q.partial {
        return Err(ApiError::Unprocessable {
            detail: format!(
                "{} of the accounts are invalid; nothing was imported (pass partial=true to keep the good ones)",
                rejected.len()
            ),
            errors: rejected,
        });
    }
    let summary = state
        .lifecycle
        .store
        .upsert_accounts(&good, &caller.actor())
        .await?;
    Ok(axum::Json(ImportResult { summary, rejected }))
}

/// The audit trail, oldest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery), security(("token" = [])), responses(
    (status = 200, body = AuditPage), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    caller.require(Role::Admin)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 1000"));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::field("after", "must be 0 or more"));
    }
    let items = state.lifecycle.store.audit_entries(after, limit).await?;
    let next = (i64::try_from(items.len()).unwrap_or(0) == limit)
        .then(|| items.last().map(|e| e.seq))
        .flatten();
    Ok(axum::Json(AuditPage { items, next }))
}

/// Verifies the audit chain and names the first bad entry.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("token" = [])), responses(
    (status = 200, body = AuditVerification), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn audit_verify(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<AuditVerification>, ApiError> {
    caller.require(Role::Admin)?;
    Ok(axum::Json(
        match state.lifecycle.store.verify_audit().await? {
            Ok(Verified { entries, head }) => AuditVerification {
                intact: true,
                entries: Some(entries),
                head: Some(head),
                broken_at: None,
                reason: None,
            },
            Err(b) => AuditVerification {
                intact: false,
                entries: None,
                head: None,
                broken_at: Some(b.seq),
                reason: Some(b.reason),
            },
        },
    ))
}

// ----- root-cause summary and reviews ------------------------------------------------------

/// Closing a review task.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseReviewBody {
    /// What was concluded, in a line.
    pub note: Option<String>,
}

/// Recording that the root-cause summary was sent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RcaSentBody {
    /// When it went out (RFC 3339 with offset); now when absent. Not in the future.
    pub sent_at: Option<String>,
}

/// The incident's customer-facing root-cause summary, and whether it was sent.
#[utoipa::path(get, path = "/v1/incidents/{id}/rca", tag = "reviews", params(("id" = String, Path)), security(("token" = [])), responses(
    (status = 200, body = RcaRow), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn get_rca(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<RcaRow>, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    let store = &state.lifecycle.store;
    store.incident(&id).await?;
    store
        .rca(&id)
        .await?
        .map(axum::Json)
        .ok_or_else(|| ApiError::NotFound(format!("incident {id} has no root-cause summary yet")))
}

/// Writes the root-cause summary (entered once, rendered per account). Refused once sent.
#[utoipa::path(put, path = "/v1/incidents/{id}/rca", tag = "reviews", params(("id" = String, Path)), request_body = RcaSpec, security(("token" = [])), responses(
    (status = 200, body = RcaRow), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn put_rca(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RcaSpec>,
) -> Result<axum::Json<RcaRow>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    if let Err(problems) = body.check() {
        let errors: Vec<FieldError> = problems
            .into_iter()
            .map(|(field, message)| FieldError { field, message })
            .collect();
        return Err(ApiError::Unprocessable {
            detail: errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            errors,
        });
    }
    let record = serde_json::to_value(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let lifecycle = &state.lifecycle;
    let row = lifecycle
        .store
        .put_rca(&id, &record, &caller.actor())
        .await?;
    // The summary's emails and post can now be rendered: re-plan so they are queued.
    lifecycle
        .refresh(
            &id,
            "summary",
            serde_json::json!({ "summary_written": row.written_at }),
            &caller.actor(),
        )
        .await?;
    Ok(axum::Json(row))
}

/// Records that the root-cause summary was sent to the affected accounts; from then on it
/// cannot change, and the customer-facing review can close.
#[utoipa::path(post, path = "/v1/incidents/{id}/rca/sent", tag = "reviews", params(("id" = String, Path)), request_body = RcaSentBody, security(("token" = [])), responses(
    (status = 200, body = RcaRow), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn rca_sent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RcaSentBody>,
) -> Result<axum::Json<RcaRow>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    let sent_at = match body.sent_at.as_deref() {
        None => None,
        Some(text) => {
            let at = amends_core::time::parse_instant(text)
                .map_err(|e| ApiError::field("sent_at", e.to_string()))?;
            if at > jiff::Timestamp::now() {
                return Err(ApiError::field("sent_at", "is in the future"));
            }
            // Sent before it was written would close the review on a summary nobody read.
            let written = state
                .lifecycle
                .store
                .rca(&id)
                .await?
                .and_then(|r| r.written_at.parse::<jiff::Timestamp>().ok());
            if let Some(written) = written.filter(|w| at < *w) {
                return Err(ApiError::field(
                    "sent_at",
                    format!("is before the summary was written ({written})"),
                ));
            }
            Some(at.to_string())
        }
    };
    Ok(axum::Json(
        state
            .lifecycle
            .store
            .mark_rca_sent(&id, &caller.actor(), sent_at)
            .await?,
    ))
}

/// The incident's review tasks from its current plan (`amends.plan/v1` `reviews`), each with
/// `closed`: who closed it, when and why, or null.
#[utoipa::path(get, path = "/v1/incidents/{id}/reviews", tag = "reviews", params(("id" = String, Path)), security(("token" = [])), responses(
    (status = 200, body = Vec<Object>), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn list_reviews(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<serde_json::Value>>, ApiError> {
    caller.require(Role::Viewer)?;
    id_path(&id)?;
    let store = &state.lifecycle.store;
    let mut reviews = plan_reviews(&state, &id).await?;
    let closures = store.review_closures(&id).await?;
    for r in &mut reviews {
        let closed = closures
            .iter()
            .find(|c| Some(c.task.as_str()) == r["id"].as_str())
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        r["closed"] = closed.unwrap_or(serde_json::Value::Null);
    }
    Ok(axum::Json(reviews))
}

/// Closes a review task. A customer-facing task (the customer RCA) closes only after the
/// root-cause summary was sent (409 before).
#[utoipa::path(post, path = "/v1/incidents/{id}/reviews/{task}/close", tag = "reviews",
    params(("id" = String, Path), ("task" = String, Path)), request_body = CloseReviewBody, security(("token" = [])), responses(
    (status = 200, body = ReviewClosureRow), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn close_review(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, task)): Path<(String, String)>,
    Json(body): Json<CloseReviewBody>,
) -> Result<axum::Json<ReviewClosureRow>, ApiError> {
    caller.require(Role::Agent)?;
    id_path(&id)?;
    let reviews = plan_reviews(&state, &id).await?;
    let review = reviews
        .iter()
        .find(|r| r["id"].as_str() == Some(task.as_str()))
        .ok_or_else(|| {
            let known: Vec<&str> = reviews.iter().filter_map(|r| r["id"].as_str()).collect();
            ApiError::NotFound(format!(
                "incident {id} has no review task {task:?}; its tasks are: {}",
                known.join(", ")
            ))
        })?;
    let customer_facing = review["customer_facing"].as_bool().unwrap_or(true);
    Ok(axum::Json(
        state
            .lifecycle
            .store
            .close_review(ReviewClosure {
                incident: id,
                task,
                customer_facing,
                actor: caller.actor(),
                note: body.note.filter(|n| !n.trim().is_empty()),
            })
            .await?,
    ))
}

/// The review tasks of the incident's current plan.
async fn plan_reviews(state: &AppState, id: &str) -> Result<Vec<serde_json::Value>, ApiError> {
    let doc = state.lifecycle.store.plan_document(id, None).await?;
    let plan: serde_json::Value =
        serde_json::from_str(&doc.plan).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(plan["reviews"].as_array().cloned().unwrap_or_default())
}

/// The generated OpenAPI 3.1 document.
#[derive(OpenApi)]
#[openapi(
    info(title = "amends", description = "Service recovery as code: incidents, recovery plans, remediations with named approvers, and a verifiable audit trail."),
    paths(
        healthz, readyz, list_incidents, create_incident, get_incident, patch_incident,
        resolve_incident, reopen_incident, confirm_incident, dismiss_incident,
        crate::alerts::pagerduty_alert, crate::alerts::alertmanager_alert,
        crate::alerts::grafana_alert, crate::status_page::issue_private_token, incident_events, incident_plans, incident_plan,
        list_remediations, approve, reject, list_accounts, get_account, import_accounts,
        audit, audit_verify, get_rca, put_rca, rca_sent, list_reviews, close_review
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&TokenScheme),
    tags((name = "incidents"), (name = "alerts"), (name = "plans"), (name = "remediations"), (name = "accounts"), (name = "reviews"), (name = "audit"), (name = "ops"))
)]
pub struct ApiDoc;

struct TokenScheme;

impl utoipa::Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}
