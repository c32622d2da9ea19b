//! PagerDuty Events API v2 for internal pages: a `trigger` event per paging step, with the
//! job's idempotency key as `dedup_key`, so a repeated attempt updates the same PagerDuty
//! alert instead of paging twice.
//!
//! A job's payload is `{"summary": "...", "severity": "critical", "source": "amends",
//! "custom_details": {...}}`; the routing key (a secret) lives in the channel's configuration.

use std::time::Duration;

use amends_store::Job;

use crate::channel::{Channel, Delivery, DeliveryError};

/// PagerDuty's events endpoint.
pub const EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// An integration (routing) key; its Debug output is redacted.
#[derive(Clone)]
pub struct RoutingKey(String);

impl RoutingKey {
    /// Wraps a routing key.
    pub fn new(key: impl Into<String>) -> RoutingKey {
        RoutingKey(key.into())
    }
}

impl std::fmt::Debug for RoutingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoutingKey(<redacted>)")
    }
}

/// The PagerDuty channel.
pub struct PagerDutyChannel {
    client: reqwest::Client,
    url: String,
    routing_key: RoutingKey,
}

impl PagerDutyChannel {
    /// A channel sending events to `url` ([`EVENTS_URL`] in production).
    pub fn new(url: impl Into<String>, routing_key: RoutingKey, timeout: Duration) -> Self {
        PagerDutyChannel {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            url: url.into(),
            routing_key,
        }
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    summary: String,
    severity: String,
    source: String,
    #[serde(default)]
    custom_details: serde_json::Value,
}

impl Channel for PagerDutyChannel {
    fn name(&self) -> &str {
        "pagerduty"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| {
                DeliveryError::permanent(format!("the job's payload is not a page: {e}"))
            })?;
            let event = serde_json::json!({
                "routing_key": self.routing_key.0,
                "event_action": "trigger",
                "dedup_key": job.key,
                "payload": {
                    // PagerDuty truncates summaries at 1024 characters.
                    "summary": p.summary.chars().take(1024).collect::<String>(),
                    "severity": p.severity,
                    "source": p.source,
                    "custom_details": p.custom_details,
                },
            });
            let response = self
                .client
                .post(&self.url)
                .json(&event)
                .send()
                .await
                .map_err(|_| DeliveryError::transient("PagerDuty could not be reached"))?;
            let status = response.status();
            if status.as_u16() == 202 || status.is_success() {
                Ok(Some(status.as_u16().to_string()))
            } else if status.is_server_error() || status.as_u16() == 429 {
                Err(DeliveryError::transient(format!(
                    "PagerDuty answered {status}"
                )))
            } else {
                Err(DeliveryError::permanent(format!(
                    "PagerDuty refused the event: {status}"
                )))
            }
        })
    }
}
