//! Slack incoming webhooks for the internal war room: a `text` fallback and Block Kit
//! `blocks`, in the shape of Slack's own example (fixtures/real/slack_incoming_webhook_*).
//!
//! A job names its target channel (`#incident-live`), never the webhook URL: URLs are
//! secrets, kept in the channel's configuration and out of the queue and the logs.
//! A job's payload is `{"target": "#incident-live", "text": "...", "blocks": [...]}`.

use std::collections::HashMap;
use std::time::Duration;

use amends_store::Job;

use crate::channel::{Channel, Delivery, DeliveryError};

/// A webhook URL; its Debug output is redacted.
#[derive(Clone)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> WebhookUrl {
        WebhookUrl(url.into())
    }
}

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookUrl(<redacted>)")
    }
}

/// The Slack channel.
pub struct SlackChannel {
    client: reqwest::Client,
    targets: HashMap<String, WebhookUrl>,
}

impl SlackChannel {
    /// A channel posting to these targets (`#incident-live` → its incoming-webhook URL).
    pub fn new(targets: HashMap<String, WebhookUrl>, timeout: Duration) -> SlackChannel {
        SlackChannel {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            targets,
        }
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    target: String,
    text: String,
    #[serde(default)]
    blocks: Vec<serde_json::Value>,
}

impl Channel for SlackChannel {
    fn name(&self) -> &str {
        "slack"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| {
                DeliveryError::permanent(format!("the job's payload is not a Slack message: {e}"))
            })?;
            let url = self.targets.get(&p.target).ok_or_else(|| {
                DeliveryError::permanent(format!("no Slack webhook is configured for {}", p.target))
            })?;
            let body = if p.blocks.is_empty() {
                serde_json::json!({ "text": p.text })
            } else {
                serde_json::json!({ "text": p.text, "blocks": p.blocks })
            };
            let response = self
                .client
                .post(&url.0)
                .json(&body)
                .send()
                .await
                .map_err(|e| {
                    DeliveryError::transient(if e.is_timeout() {
                        format!("Slack ({}) timed out", p.target)
                    } else {
                        format!("Slack ({}) could not be reached", p.target)
                    })
                })?;
            let status = response.status();
            if status.is_success() {
                Ok(Some(status.as_u16().to_string()))
            } else if status.is_server_error() || status.as_u16() == 429 {
                Err(DeliveryError::transient(format!(
                    "Slack ({}) answered {status}",
                    p.target
                )))
            } else {
                // invalid_payload, no_service, channel_is_archived …: a person must look.
                let reason = response.text().await.unwrap_or_default();
                Err(DeliveryError::permanent(format!(
                    "Slack ({}) answered {status} {}",
                    p.target,
                    reason.chars().take(80).collect::<String>()
                )))
            }
        })
    }
}

/// A war-room message: a `text` fallback and sections of Block Kit `mrkdwn`, the second
/// with one field per fact.
pub fn message(
    target: &str,
    title: &str,
    body: &str,
    facts: &[(&str, String)],
) -> serde_json::Value {
    let mut blocks = vec![serde_json::json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": format!("*{}*\n{}", escape(title), escape(body)) }
    })];
    if !facts.is_empty() {
        blocks.push(serde_json::json!({
            "type": "section",
            "fields": facts
                .iter()
                .map(|(k, v)| serde_json::json!({ "type": "mrkdwn", "text": format!("*{}*: {}", escape(k), escape(v)) }))
                .collect::<Vec<_>>()
        }));
    }
    serde_json::json!({
        "target": target,
        "text": format!("{title}: {body}"),
        "blocks": blocks,
    })
}

/// Slack's mrkdwn escapes: `&`, `<` and `>`.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_and_mrkdwn_is_escaped() {
        assert_eq!(
            format!(
                "{:?}",
                WebhookUrl::new("https://hooks.slack.com/services/T/B/x")
            ),
            "WebhookUrl(<redacted>)"
        );
        assert_eq!(escape("a < b & c > d"), "a &lt; b &amp; c &gt; d");
    }
}
