//! Mirrors status posts on an Atlassian Statuspage page through its REST API
//! (fixtures/real/statuspage_create_incident.md): the first post of an incident creates a
//! Statuspage incident (`POST /pages/{page_id}/incidents`), every later one updates it
//! (`PATCH /pages/{page_id}/incidents/{incident_id}`), with `Authorization: OAuth <key>` and
//! the fields wrapped in an `incident` object.
//!
//! Statuspage takes no idempotency key, so amends keeps what it needs to never repeat
//! itself: the Statuspage id of each incident (created under a claim, so two workers never
//! create two) and, per post, whether Statuspage has it. A retried delivery therefore sends
//! nothing Statuspage already accepted. The one gap: a create whose answer is lost (a
//! timeout after Statuspage committed) is retried and creates a second incident; the
//! `metadata.amends` of each incident names the amends incident, to find such a twin.
//!
//! Posts are forwarded in the order the plan had them due: a delivery first forwards the
//! incident's earlier posts that are not forwarded yet, so a worker catching up on several
//! posts at once cannot leave Statuspage showing an older state last.

use std::collections::BTreeMap;
use std::time::Duration;

use amends_store::{StatusPost, StatuspageClaim, Store};

use crate::channel::DeliveryError;
use crate::status_page::PostState;

/// Statuspage's API base.
pub const BASE_URL: &str = "https://api.statuspage.io/v1";

/// A claim to create an incident older than this was left by a worker that died mid-request.
const STALE_CLAIM_MS: i64 = 5 * 60 * 1000;

/// A Statuspage API key; its Debug output is redacted.
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Which Statuspage page to mirror to (`[status_page.statuspage]`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatuspageConfig {
    /// The page id.
    pub page_id: String,
    /// The API key of a user of the page.
    pub api_key: ApiKey,
    /// The API base; [`BASE_URL`] unless a test points it elsewhere.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Statuspage component ids by amends component (an incident's feature, compared
    /// without case). Components without an id are not sent.
    #[serde(default)]
    pub components: BTreeMap<String, String>,
}

fn default_base_url() -> String {
    BASE_URL.to_string()
}

/// Why a Statuspage configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatuspageConfigError {
    /// The page or a component id has characters Statuspage ids do not.
    #[error("{0:?} is not a Statuspage id (letters, digits, - and _)")]
    Id(String),
    /// The base URL is not http(s).
    #[error("the Statuspage base URL {0:?} must start with https:// (or http:// for a test)")]
    BaseUrl(String),
}

/// Ids go into URL paths: only the characters Statuspage's own ids use.
fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The Statuspage mirror.
pub struct Statuspage {
    client: reqwest::Client,
    config: StatuspageConfig,
    store: Store,
    /// Forwarding is serialised within a process, so posts go out in order and the claim
    /// is never contended by this process's own deliveries.
    lock: tokio::sync::Mutex<()>,
}

impl Statuspage {
    /// A mirror to the configured page, each request limited to `timeout`.
    pub fn new(
        config: StatuspageConfig,
        store: Store,
        timeout: Duration,
    ) -> Result<Statuspage, StatuspageConfigError> {
        if !is_id(&config.page_id) {
            return Err(StatuspageConfigError::Id(config.page_id));
        }
        if let Some(bad) = config.components.values().find(|id| !is_id(id)) {
            return Err(StatuspageConfigError::Id(bad.clone()));
        }
        if !(config.base_url.starts_with("https://") || config.base_url.starts_with("http://")) {
            return Err(StatuspageConfigError::BaseUrl(config.base_url));
        }
        Ok(Statuspage {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            config,
            store,
            lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Forwards `post` and the incident's earlier posts Statuspage does not have yet, in
    /// due order. Returns how many were sent.
    pub(crate) async fn sync(
        &self,
        post: &StatusPost,
        failure_type: &str,
        now_ms: i64,
    ) -> Result<usize, DeliveryError> {
        let _serial = self.lock.lock().await;
        let pending: Vec<StatusPost> = self
            .store
            .status_posts_of(&post.incident_id)
            .await
            .map_err(|e| DeliveryError::transient(format!("cannot read the posts: {e}")))?
            .into_iter()
            .filter(|p| p.forwarded_ms.is_none())
            .filter(|p| (p.due_ms, p.key.as_str()) <= (post.due_ms, post.key.as_str()))
            .collect();
        for p in &pending {
            self.forward(p, failure_type, now_ms).await?;
            self.store
                .mark_status_post_forwarded(&p.key, now_ms)
                .await
                .map_err(|e| DeliveryError::transient(format!("cannot record the forward: {e}")))?;
        }
        Ok(pending.len())
    }

    async fn forward(
        &self,
        post: &StatusPost,
        failure_type: &str,
        now_ms: i64,
    ) -> Result<(), DeliveryError> {
        let claim = self
            .store
            .claim_statuspage_incident(&post.incident_id, now_ms, STALE_CLAIM_MS)
            .await
            .map_err(|e| DeliveryError::transient(format!("cannot claim the incident: {e}")))?;
        let base = self.config.base_url.trim_end_matches('/');
        let incidents = format!("{base}/pages/{}/incidents", self.config.page_id);
        match claim {
            StatuspageClaim::Existing(id) => {
                let body = incident_body(post, failure_type, &self.config.components, false);
                self.send(reqwest::Method::PATCH, &format!("{incidents}/{id}"), &body)
                    .await
                    .map(|_| ())
            }
            StatuspageClaim::Busy => Err(DeliveryError::transient(
                "another worker is creating the Statuspage incident",
            )),
            StatuspageClaim::Create => {
                let body = incident_body(post, failure_type, &self.config.components, true);
                let created = self
                    .send(reqwest::Method::POST, &incidents, &body)
                    .await
                    .and_then(|answer| {
                        answer["id"]
                            .as_str()
                            .filter(|id| is_id(id))
                            .map(str::to_string)
                            .ok_or_else(|| {
                                DeliveryError::permanent(
                                    "Statuspage created the incident but answered without its id",
                                )
                            })
                    });
                match created {
                    Ok(id) => self
                        .store
                        .set_statuspage_incident(&post.incident_id, &id)
                        .await
                        .map_err(|e| {
                            DeliveryError::transient(format!(
                                "cannot record the Statuspage incident: {e}"
                            ))
                        }),
                    Err(e) => {
                        // Nothing was created: the next attempt may claim again at once.
                        if let Err(release) =
                            self.store.release_statuspage_claim(&post.incident_id).await
                        {
                            tracing::warn!(error = %release, "cannot release a Statuspage claim; it expires");
                        }
                        Err(e)
                    }
                }
            }
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, DeliveryError> {
        let response = self
            .client
            .request(method, url)
            .header("authorization", format!("OAuth {}", self.config.api_key.0))
            .json(body)
            .send()
            .await
            .map_err(|e| {
                DeliveryError::transient(if e.is_timeout() {
                    "Statuspage timed out"
                } else {
                    "Statuspage could not be reached"
                })
            })?;
        let status = response.status();
        if status.is_success() {
            // An update's answer is not needed; a create's must carry the id.
            return Ok(response.json().await.unwrap_or(serde_json::Value::Null));
        }
        let reason: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        let message = format!("Statuspage answered {status} {reason}");
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(DeliveryError::transient(message))
        } else {
            Err(DeliveryError::permanent(message))
        }
    }
}

/// Statuspage's incident status for a state: it has no postmortem status (a postmortem is a
/// separate document there), so a postmortem post is an update of a resolved incident.
fn incident_status(state: PostState) -> &'static str {
    match state {
        PostState::Investigating => "investigating",
        PostState::Identified => "identified",
        PostState::Monitoring => "monitoring",
        PostState::Resolved | PostState::Postmortem => "resolved",
    }
}

/// Statuspage's component status while an incident is in `state`: service is restored from
/// monitoring on; before, the failure type says how badly.
pub fn component_status(state: PostState, failure_type: &str) -> &'static str {
    if !matches!(state, PostState::Investigating | PostState::Identified) {
        return "operational";
    }
    match failure_type {
        "outage" => "major_outage",
        "degradation" => "degraded_performance",
        _ => "partial_outage",
    }
}

/// The request body: `{"incident": {...}}`, with `metadata` and notifications on creation.
fn incident_body(
    post: &StatusPost,
    failure_type: &str,
    ids: &BTreeMap<String, String>,
    create: bool,
) -> serde_json::Value {
    let state = PostState::parse(&post.state).unwrap_or(PostState::Investigating);
    let component_ids: Vec<&str> = post
        .components
        .iter()
        .filter_map(|c| {
            ids.iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(c))
                .map(|(_, id)| id.as_str())
        })
        .collect();
    let mut incident = serde_json::json!({
        "name": post.title,
        "status": incident_status(state),
        "body": post.body,
    });
    if !component_ids.is_empty() {
        let status = component_status(state, failure_type);
        incident["component_ids"] = serde_json::json!(component_ids);
        incident["components"] = component_ids
            .iter()
            .map(|id| (id.to_string(), serde_json::json!(status)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    if create {
        incident["deliver_notifications"] = serde_json::json!(true);
        incident["metadata"] = serde_json::json!({
            "amends": { "incident": post.incident_id, "post": post.key }
        });
    }
    serde_json::json!({ "incident": incident })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(state: &str) -> StatusPost {
        StatusPost {
            key: "INC-1/public/status_update/0".into(),
            incident_id: "INC-1".into(),
            step: "status_update".into(),
            state: state.into(),
            title: "API unavailable".into(),
            body: "We are working on it.".into(),
            components: vec!["API".into(), "Web application".into()],
            due_ms: 0,
            posted_ms: 0,
            forwarded_ms: None,
        }
    }

    #[test]
    fn bodies_carry_the_mapped_status_and_known_components() {
        let ids = BTreeMap::from([("api".to_string(), "cmp1".to_string())]);
        let created = incident_body(&post("identified"), "outage", &ids, true);
        assert_eq!(
            created,
            serde_json::json!({ "incident": {
                "name": "API unavailable",
                "status": "identified",
                "body": "We are working on it.",
                "component_ids": ["cmp1"],
                "components": { "cmp1": "major_outage" },
                "deliver_notifications": true,
                "metadata": { "amends": { "incident": "INC-1", "post": "INC-1/public/status_update/0" } },
            }})
        );
        let update = incident_body(&post("postmortem"), "outage", &BTreeMap::new(), false);
        assert_eq!(
            update,
            serde_json::json!({ "incident": {
                "name": "API unavailable", "status": "resolved", "body": "We are working on it.",
            }})
        );
        assert_eq!(
            component_status(PostState::Investigating, "degradation"),
            "degraded_performance"
        );
        assert_eq!(
            component_status(PostState::Monitoring, "outage"),
            "operational"
        );
    }

    #[test]
    fn keys_are_redacted_and_ids_checked() {
        assert_eq!(format!("{:?}", ApiKey::new("secret")), "ApiKey(<redacted>)");
        assert!(is_id("kctbh9vrtdwd") && is_id("a-b_c"));
        assert!(!is_id("") && !is_id("../x") && !is_id("a?b"));
    }
}
