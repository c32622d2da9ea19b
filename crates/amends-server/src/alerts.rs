//! Inbound alerts open, reopen and resolve incidents by themselves. Each sender is verified
//! before its body is read: PagerDuty v3 by its HMAC signature, Alertmanager and Grafana by
//! the `Authorization: Bearer` credentials configured on their webhook receivers (both
//! senders support it). The payload is then parsed and every alert mapped to a service of the
//! playbook's `[services]` *before* anything is applied, so an unknown shape or service is
//! refused whole, never half-applied.
//!
//! Applying is idempotent, because senders retry: a firing alert declares the incident once
//! (in triage: customer messages wait for a person), fires again as a no-op, reopens it after
//! a resolution; a resolved alert resolves it once.

use amends_core::alert::{self, Alert, Change, Source};
use amends_store::{IncidentStatus, StoreError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::inbound::{SignatureError, WebhookSecret, verify_pagerduty};
use crate::lifecycle::{Reopen, Resolve};

/// The secrets inbound alerts are verified with. A sender with none configured is refused:
/// an unauthenticated endpoint that opens incidents would let anyone page the company.
#[derive(Debug, Clone, Default)]
pub struct AlertSecrets {
    /// PagerDuty v3 webhook signing secrets (several during a rotation).
    pub pagerduty: Vec<WebhookSecret>,
    /// Bearer credentials of the Alertmanager webhook receiver.
    pub alertmanager: Vec<WebhookSecret>,
    /// Bearer credentials of the Grafana webhook contact point.
    pub grafana: Vec<WebhookSecret>,
}

/// What one alert did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlertOutcome {
    /// The sender's id of the alert.
    pub external_id: String,
    /// The service it named.
    pub service: String,
    /// `firing`, `acknowledged`, `resolved` or `other`.
    pub change: String,
    /// The incident it maps to.
    pub incident: String,
    /// `declared`, `already_open`, `reopened`, `resolved`, `already_resolved` or `recorded`
    /// (no change for customers).
    pub action: String,
    /// The incident's version afterwards, if it exists.
    pub version: Option<i64>,
}

/// What a delivery did, alert by alert.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertReport {
    /// One entry per alert in the payload.
    pub alerts: Vec<AlertOutcome>,
}

/// A PagerDuty v3 webhook (`incident.triggered`, `.acknowledged`, `.resolved` …).
#[utoipa::path(post, path = "/v1/alerts/pagerduty", tag = "alerts", request_body(content = Object, description = "a PagerDuty v3 webhook, signed in X-PagerDuty-Signature"), responses(
    (status = 200, body = AlertReport), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn pagerduty_alert(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<AlertReport>, ApiError> {
    let signature = headers
        .get("x-pagerduty-signature")
        .and_then(|v| v.to_str().ok());
    let secrets = &state.alert_secrets.pagerduty;
    if secrets.is_empty() {
        return Err(not_configured(Source::Pagerduty));
    }
    verify_pagerduty(&body, signature, secrets).map_err(|e| refused(Source::Pagerduty, e))?;
    let alert = alert::pagerduty(&body).map_err(bad_payload)?;
    apply(&state, vec![alert]).await
}

/// A Prometheus Alertmanager webhook (version 4), with the receiver's bearer credentials.
#[utoipa::path(post, path = "/v1/alerts/alertmanager", tag = "alerts", request_body(content = Object, description = "an Alertmanager webhook, version 4"), responses(
    (status = 200, body = AlertReport), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn alertmanager_alert(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<AlertReport>, ApiError> {
    bearer(
        &headers,
        &state.alert_secrets.alertmanager,
        Source::Alertmanager,
    )?;
    let alerts = alert::alertmanager(&body, Source::Alertmanager).map_err(bad_payload)?;
    apply(&state, alerts).await
}

/// A Grafana alerting webhook, with the contact point's bearer credentials.
#[utoipa::path(post, path = "/v1/alerts/grafana", tag = "alerts", request_body(content = Object, description = "a Grafana alerting webhook"), responses(
    (status = 200, body = AlertReport), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn grafana_alert(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<AlertReport>, ApiError> {
    bearer(&headers, &state.alert_secrets.grafana, Source::Grafana)?;
    let alerts = alert::alertmanager(&body, Source::Grafana).map_err(bad_payload)?;
    apply(&state, alerts).await
}

fn not_configured(source: Source) -> ApiError {
    tracing::warn!(
        sender = source.name(),
        "alert refused: no secret configured"
    );
    ApiError::BadSignature(format!(
        "alerts from {} are not accepted: no secret is configured for them (see docs/alerts.md)",
        source.name()
    ))
}

fn refused(source: Source, e: SignatureError) -> ApiError {
    tracing::warn!(sender = source.name(), error = %e, "alert refused: signature");
    ApiError::BadSignature(format!("{} webhook not verified: {e}", source.name()))
}

fn bad_payload(e: alert::AlertError) -> ApiError {
    tracing::warn!(error = %e, "alert refused: payload");
    ApiError::Unprocessable {
        detail: e.to_string(),
        errors: Vec::new(),
    }
}

/// Checks `Authorization: Bearer <credentials>` against the configured ones in constant time
/// (both sides are MACed with one key and the MACs compared by `verify_slice`).
fn bearer(headers: &HeaderMap, secrets: &[WebhookSecret], source: Source) -> Result<(), ApiError> {
    if secrets.is_empty() {
        return Err(not_configured(source));
    }
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| refused(source, SignatureError::Missing))?;
    let mac = |bytes: &[u8]| {
        Hmac::<Sha256>::new_from_slice(b"amends-bearer-comparison").map(|mut m| {
            m.update(bytes);
            m
        })
    };
    let authentic = secrets.iter().any(|s| {
        let expected = mac(s.expose()).map(|m| m.finalize().into_bytes());
        match (mac(given.trim().as_bytes()), expected) {
            (Ok(m), Ok(expected)) => m.verify_slice(&expected).is_ok(),
            _ => false,
        }
    });
    if authentic {
        Ok(())
    } else {
        Err(refused(source, SignatureError::NoMatch))
    }
}

/// Maps every alert to its service first (all or nothing), then applies them in order.
async fn apply(state: &AppState, alerts: Vec<Alert>) -> Result<axum::Json<AlertReport>, ApiError> {
    let playbook = &state.lifecycle.playbook;
    let mut mapped = Vec::with_capacity(alerts.len());
    let mut unknown = Vec::new();
    for a in alerts {
        match playbook.services.get(&a.service) {
            Some(service) => mapped.push((alert::incident_spec(&a, service), a)),
            None => unknown.push(a.service.clone()),
        }
    }
    if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        let known: Vec<&str> = playbook.services.keys().map(String::as_str).collect();
        tracing::warn!(services = ?unknown, "alert refused: unknown service");
        return Err(ApiError::Unprocessable {
            detail: format!(
                "no service {} in the playbook's [services] (known: {}); nothing was applied",
                unknown.join(", "),
                known.join(", ")
            ),
            errors: Vec::new(),
        });
    }
    let mut outcomes = Vec::with_capacity(mapped.len());
    for (spec, a) in mapped {
        outcomes.push(apply_one(state, spec, &a).await?);
    }
    Ok(axum::Json(AlertReport { alerts: outcomes }))
}

async fn apply_one(
    state: &AppState,
    spec: amends_core::incident::IncidentSpec,
    a: &Alert,
) -> Result<AlertOutcome, ApiError> {
    let lifecycle = &state.lifecycle;
    let id = spec.id.clone();
    let actor = format!("alert:{}", a.source.name().to_ascii_lowercase());
    let existing = match lifecycle.store.incident(&id).await {
        Ok(row) => Some(row),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let (action, row) = match (a.change, existing) {
        (Change::Firing, None) => ("declared", Some(lifecycle.declare(spec, &actor).await?)),
        (Change::Resolved, None) => {
            // Resolving what was never open here: nothing to tell anyone.
            ("recorded", None)
        }
        (Change::Firing, Some(row)) if row.status == IncidentStatus::Resolved => {
            let reopen = Reopen {
                expected_version: row.version,
                reason: format!("{} reports the alert firing again", a.source.name()),
            };
            (
                "reopened",
                Some(lifecycle.reopen(&id, reopen, &actor).await?),
            )
        }
        (Change::Resolved, Some(row)) if row.status != IncidentStatus::Resolved => {
            let resolve = Resolve {
                expected_version: row.version,
                resolved_at: Some(a.at.to_string()),
            };
            (
                "resolved",
                Some(lifecycle.resolve(&id, resolve, &actor).await?),
            )
        }
        (Change::Firing, Some(row)) => ("already_open", Some(row)),
        (Change::Resolved, Some(row)) => ("already_resolved", Some(row)),
        (Change::Acknowledged | Change::Other, row) => ("recorded", row),
    };
    tracing::info!(incident = %id, action, sender = a.source.name(), "alert applied");
    Ok(AlertOutcome {
        external_id: a.external_id.clone(),
        service: a.service.clone(),
        change: serde_json::to_value(a.change)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        incident: id,
        action: action.to_string(),
        version: row.map(|r| r.version),
    })
}
