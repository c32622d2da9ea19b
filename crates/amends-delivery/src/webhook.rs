//! Outbound webhooks signed per the Standard Webhooks specification
//! (<https://www.standardwebhooks.com/>): `webhook-id` (the job's idempotency key, so the
//! receiver can de-duplicate), `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the endpoint's secret).
//!
//! A job's payload is `{"url": "...", "body": <any JSON>}`.

use std::sync::Arc;
use std::time::Duration;

use amends_store::Job;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::channel::{Channel, Delivery, DeliveryError};
use crate::clock::Clock;

/// A signing secret, `whsec_` followed by base64. Its Debug output is redacted.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook signing secret is `whsec_` followed by base64 of at least 24 bytes")]
pub struct SecretError;

impl SigningSecret {
    /// Parses `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<SigningSecret, SecretError> {
        let b64 = text.trim().strip_prefix("whsec_").ok_or(SecretError)?;
        let bytes = STANDARD.decode(b64).map_err(|_| SecretError)?;
        if bytes.len() < 24 {
            return Err(SecretError);
        }
        Ok(SigningSecret(bytes))
    }

    /// The `webhook-signature` value for a message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    url: String,
    body: serde_json::Value,
}

/// The webhook channel.
pub struct WebhookChannel {
    client: reqwest::Client,
    secret: SigningSecret,
    clock: Arc<dyn Clock>,
}

impl WebhookChannel {
    /// A channel signing with `secret`, each request limited to `timeout`.
    pub fn new(secret: SigningSecret, clock: Arc<dyn Clock>, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        WebhookChannel {
            client,
            secret,
            clock,
        }
    }
}

impl Channel for WebhookChannel {
    fn name(&self) -> &str {
        "webhook"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            let payload: Payload = serde_json::from_str(&job.payload).map_err(|e| {
                DeliveryError::permanent(format!("the job's payload is not a webhook: {e}"))
            })?;
            let body = serde_json::to_vec(&payload.body)
                .map_err(|e| DeliveryError::permanent(e.to_string()))?;
            let timestamp = self.clock.now().as_second();
            let signature = self.secret.sign(&job.key, timestamp, &body);
            let response = self
                .client
                .post(&payload.url)
                .header("content-type", "application/json")
                .header("webhook-id", &job.key)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    let what = if e.is_timeout() {
                        "timed out"
                    } else {
                        "failed"
                    };
                    DeliveryError::transient(format!("POST {} {what}", host(&payload.url)))
                })?;
            let status = response.status();
            if status.is_success() {
                Ok(Some(status.as_u16().to_string()))
            } else if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
                Err(DeliveryError::transient(format!(
                    "{} answered {status}",
                    host(&payload.url)
                )))
            } else {
                Err(DeliveryError::permanent(format!(
                    "{} answered {status}",
                    host(&payload.url)
                )))
            }
        })
    }
}

/// The host of a URL, for messages that must not carry its path or query (tokens live there).
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_and_hide() {
        let s = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(format!("{s:?}"), "SigningSecret(<redacted>)");
        assert!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(SigningSecret::parse("whsec_c2hvcnQ=").is_err());
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_id_timestamp_body() {
        // Computed independently with Python's hmac module:
        // base64(hmac.new(b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        //   b'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}', sha256).digest())
        let s = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            s.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            EXPECTED
        );
    }

    /// The Standard Webhooks specification's own example, also computed with Python's hmac.
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn errors_name_the_host_only() {
        assert_eq!(
            host("https://hooks.example.com/T0/secret?x=1"),
            "hooks.example.com"
        );
    }
}
