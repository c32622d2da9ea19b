//! amends-server: the service. [`Lifecycle`] turns incident changes into stored plan versions;
//! [`app`] is the HTTP API over it (axum), with roles, problem+json errors, a generated
//! OpenAPI document and Prometheus metrics; [`serve`] runs it.

// No unwrap or expect in product code: every failure is an error value with a message.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod alerts;
pub mod api;
pub mod auth;
pub mod body;
pub mod bundled;
pub mod config;
pub mod engine;
pub mod error;
pub mod inbound;
pub mod lifecycle;
pub mod metrics;
pub mod status_page;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use lifecycle::Lifecycle;

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    /// The lifecycle service (store and playbook).
    pub lifecycle: Lifecycle,
    /// The metrics registry.
    pub metrics: Arc<metrics::Metrics>,
    /// The secrets inbound alert webhooks are verified with.
    pub alert_secrets: Arc<alerts::AlertSecrets>,
}

/// The largest accounts import body.
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// The HTTP API.
pub fn app(state: AppState) -> Router {
    use api::*;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::exposition))
        .route("/openapi.json", get(openapi))
        .route("/v1/incidents", get(list_incidents).post(create_incident))
        .route(
            "/v1/incidents/{id}",
            get(get_incident).patch(patch_incident),
        )
        .route("/v1/incidents/{id}/resolve", post(resolve_incident))
        .route("/v1/incidents/{id}/reopen", post(reopen_incident))
        .route("/v1/incidents/{id}/confirm", post(confirm_incident))
        .route("/v1/incidents/{id}/dismiss", post(dismiss_incident))
        .route("/v1/alerts/pagerduty", post(alerts::pagerduty_alert))
        .route("/v1/alerts/alertmanager", post(alerts::alertmanager_alert))
        .route("/v1/alerts/grafana", post(alerts::grafana_alert))
        .route("/v1/incidents/{id}/events", get(incident_events))
        .route("/v1/incidents/{id}/plans", get(incident_plans))
        .route("/v1/incidents/{id}/plan", get(incident_plan))
        .route("/v1/incidents/{id}/remediations", get(list_remediations))
        .route(
            "/v1/incidents/{id}/remediations/{account}/approve",
            post(approve),
        )
        .route(
            "/v1/incidents/{id}/remediations/{account}/reject",
            post(reject),
        )
        .route(
            "/v1/accounts",
            get(list_accounts)
                .post(import_accounts)
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/v1/incidents/{id}/rca", get(get_rca).put(put_rca))
        .route("/v1/incidents/{id}/rca/sent", post(rca_sent))
        .route("/v1/incidents/{id}/reviews", get(list_reviews))
        .route(
            "/v1/incidents/{id}/reviews/{task}/close",
            post(close_review),
        )
        .route("/v1/accounts/{id}", get(get_account))
        .route("/v1/audit", get(audit))
        .route("/v1/audit/verify", get(audit_verify))
        .merge(status_page::routes())
        .fallback(|| async {
            error::ApiError::NotFound("no such endpoint; see /openapi.json".to_string())
        })
        .layer(DefaultBodyLimit::max(body::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Binds `listener` and serves until ctrl-c or SIGTERM, finishing requests in flight; runs
/// the delivery engine beside it, if given, until the same signal (a tick in progress ends
/// first: a delivery is either recorded or retried after its lease).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    engine: Option<engine::Engine>,
    status_page: Option<Arc<amends_delivery::status_page::StatusPageSettings>>,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let engine_task = engine.map(|e| {
        let mut rx = stop_rx.clone();
        tokio::spawn(e.run(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }))
    });
    let router = match status_page {
        Some(settings) => app(state).layer(axum::Extension(settings)),
        None => app(state),
    };
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown())
        .await;
    let _ = stop_tx.send(true);
    if let Some(task) = engine_task {
        let _ = task.await;
    }
    served
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
