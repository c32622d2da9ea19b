//! Email over SMTP (plain on loopback, STARTTLS or implicit TLS with rustls elsewhere), with a
//! Message-ID derived from the job's idempotency key: every attempt of one message carries
//! the same Message-ID, so mail systems and people's clients see one message.
//!
//! A job's payload is `{"to": "...", "name": "...", "subject": "...", "body": "..."}`, and for
//! list mail (status page notifications) `"list_unsubscribe": "https://…"`, sent as
//! `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), so
//! mail clients offer a one-click unsubscribe.

use std::time::Duration;

use amends_store::Job;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use sha2::{Digest, Sha256};

use crate::channel::{Channel, Delivery, DeliveryError};
use crate::smtp_pool::{SendError, SmtpPool, SmtpServer};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// None: only for a relay on loopback.
    Plain,
    /// Upgrade with STARTTLS (port 587), refusing a server that does not offer it.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Where and how to send email.
#[derive(Clone)]
pub struct SmtpConfig {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection protection.
    pub security: Security,
    /// User and password, if the server needs them.
    pub credentials: Option<(String, String)>,
    /// The sender: a person's name and address, so replies reach someone.
    pub from: String,
    /// The domain of Message-IDs (`amends.example.com`).
    pub message_id_domain: String,
    /// Longest wait for the server.
    pub timeout: Duration,
    /// Connections kept open to the server, and so messages in flight at once (at least 1).
    pub connections: u32,
}

/// Connections to the SMTP server unless configured: enough to keep a loopback relay busy,
/// well under the per-client limits of common servers (Postfix allows 50).
pub const DEFAULT_CONNECTIONS: u32 = 16;

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("from", &self.from)
            .field("connections", &self.connections)
            .finish()
    }
}

/// Why an SMTP configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum EmailConfigError {
    /// The sender is not an address.
    #[error(
        "the sender {0:?} is not an email address (write \"Dana Whitfield <dana@example.com>\")"
    )]
    From(String),
    /// TLS could not be set up.
    #[error("cannot set up TLS to {0}: {1}")]
    Tls(String, String),
}

/// The email channel.
pub struct EmailChannel {
    connections: SmtpPool,
    from: Mailbox,
    domain: String,
}

impl EmailChannel {
    /// A channel sending through the configured server.
    pub fn new(config: SmtpConfig) -> Result<EmailChannel, EmailConfigError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| EmailConfigError::From(config.from.clone()))?;
        let server = SmtpServer {
            host: config.host.clone(),
            port: config.port,
            security: config.security,
            credentials: config
                .credentials
                .map(|(user, password)| Credentials::new(user, password)),
            timeout: config.timeout,
        };
        let connections = SmtpPool::new(server, config.connections)
            .map_err(|e| EmailConfigError::Tls(config.host.clone(), e.to_string()))?;
        Ok(EmailChannel {
            connections,
            from,
            domain: config.message_id_domain,
        })
    }

    /// The Message-ID of a job: stable for its key, unique per key.
    pub fn message_id(&self, key: &str) -> String {
        message_id(key, &self.domain)
    }
}

/// `<hex of sha256(key), 32 digits>@domain>`.
pub fn message_id(key: &str, domain: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}

#[derive(serde::Deserialize)]
struct Payload {
    to: Option<String>,
    name: Option<String>,
    subject: Option<String>,
    body: String,
    #[serde(default)]
    list_unsubscribe: Option<String>,
}

impl Channel for EmailChannel {
    fn name(&self) -> &str {
        "email"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| {
                DeliveryError::permanent(format!("the job's payload is not an email: {e}"))
            })?;
            let address =
                p.to.ok_or_else(|| DeliveryError::permanent("the contact has no email address"))?;
            let to = Mailbox::new(
                p.name,
                address.parse().map_err(|_| {
                    DeliveryError::permanent("the contact's email address is invalid")
                })?,
            );
            let mut builder = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(p.subject.unwrap_or_default())
                .message_id(Some(self.message_id(&job.key)))
                .header(ContentType::TEXT_PLAIN);
            if let Some(url) = p.list_unsubscribe {
                if !url.starts_with("https://") && !url.starts_with("http://")
                    || !url.is_ascii()
                    || url.contains(|c: char| c.is_ascii_whitespace() || c == '>')
                {
                    return Err(DeliveryError::permanent(
                        "the unsubscribe link is not an http(s) URL",
                    ));
                }
                builder = builder
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe"),
                        format!("<{url}>"),
                    ))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click".to_string(),
                    ));
            }
            let message = builder
                .body(p.body)
                .map_err(|e| DeliveryError::permanent(format!("cannot build the email: {e}")))?;
            let sent = self
                .connections
                .send(message.envelope(), &message.formatted())
                .await;
            match sent {
                Ok(response) => Ok(Some(format!(
                    "{} {}",
                    response.code(),
                    response.first_line().unwrap_or_default()
                ))),
                Err(SendError::Smtp(e)) if e.is_permanent() => {
                    Err(DeliveryError::permanent(format!(
                        "the SMTP server refused the message: {}",
                        e.status().map_or_else(String::new, |c| c.to_string())
                    )))
                }
                Err(SendError::Smtp(e)) if e.is_timeout() => {
                    Err(DeliveryError::transient("the SMTP server timed out"))
                }
                Err(SendError::Timeout) => {
                    Err(DeliveryError::transient("the SMTP server timed out"))
                }
                Err(SendError::Connect(e)) => Err(DeliveryError::transient(format!(
                    "cannot connect to the SMTP server: {e}"
                ))),
                Err(SendError::Smtp(e)) => Err(DeliveryError::transient(format!(
                    "the SMTP server failed{}",
                    e.status().map_or_else(String::new, |c| format!(": {c}"))
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_key_and_distinct() {
        let a = message_id("INC-1/acct-1/ack_email/1/0", "amends.example.com");
        assert_eq!(
            a,
            message_id("INC-1/acct-1/ack_email/1/0", "amends.example.com")
        );
        assert_ne!(
            a,
            message_id("INC-1/acct-1/ack_email/2/0", "amends.example.com")
        );
        assert!(
            a.starts_with('<') && a.ends_with("@amends.example.com>"),
            "{a}"
        );
        assert_eq!(a.len(), 1 + 32 + 1 + "amends.example.com".len() + 1);
    }
}
