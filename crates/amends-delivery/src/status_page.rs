//! The built-in status page channel: a `status_page` job (a plan's public step,
//! `{"step": "...", "body": "..."}`, key `INC/public/STEP/OCCURRENCE`) becomes a post on the
//! page, an email to every confirmed subscriber of a component it touches, and optionally an
//! update of the incident on Atlassian Statuspage ([`crate::statuspage`]).
//!
//! The post is recorded under the job's key, so a retried delivery finds the post of its
//! first attempt (with the state and components it had then) and queues the same email keys
//! again, which the outbox does not send twice.
//!
//! # Lifecycle state of a post
//!
//! Derived when the post is made, at the clock's `now`, from the incident as stored then
//! ([`Situation::state`]):
//!
//! 1. from the facts, the first that holds: **postmortem** once the root-cause summary was
//!    recorded as sent; **resolved** once the incident has been resolved for the monitoring
//!    window ([`StatusPageSettings::monitoring_minutes`], 60 by default); **monitoring** once it
//!    is resolved but not yet for that long (service restored, being watched); **identified**
//!    once it has a `known_cause`; else **investigating**;
//! 2. a step named after a state (`status_monitoring`, or `monitoring`) raises it to that
//!    state: `identified` and `monitoring` always (a playbook may say so), `resolved` only
//!    once the incident is resolved and `postmortem` only once the summary was sent, so no
//!    step name can claim a fact that is not true.
//!
//! A reopened incident has no resolution any more, so its next post is identified or
//! investigating again.

use std::sync::Arc;

use amends_core::incident::IncidentSpec;
use amends_store::{Job, NewJob, StatusPost, Store, StoreError, Subscriber};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

use crate::channel::{Channel, Delivery, DeliveryError};
use crate::clock::Clock;
use crate::statuspage::{Statuspage, StatuspageConfig};

/// How long a confirmation link works: a week, then the request is forgotten.
pub const CONFIRMATION_VALID_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// An address asking again within this time (ten minutes) is not sent another confirmation
/// link: the one it was sent still works.
pub const CONFIRMATION_RESEND_MS: i64 = 10 * 60 * 1000;

/// The secret that unsubscribe tokens are derived from (HMAC-SHA256 of a subscriber's
/// public handle), so that every email can carry a working one-click link while the
/// database stores only the tokens' hashes. Its Debug output is redacted.
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct LinkSecret(Vec<u8>);

/// Why a link secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the status page link secret must be at least 32 characters of random text")]
pub struct LinkSecretError;

impl LinkSecret {
    /// A secret of at least 32 bytes.
    pub fn new(secret: &str) -> Result<LinkSecret, LinkSecretError> {
        if secret.trim().len() < 32 {
            return Err(LinkSecretError);
        }
        Ok(LinkSecret(secret.trim().as_bytes().to_vec()))
    }

    /// The unsubscribe token of the subscriber with this public handle: stable, so every
    /// email carries the same working link, and unguessable without the secret.
    pub fn unsubscribe_token(&self, link_ref: &str) -> String {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(b"amends status unsubscribe v1\0");
        mac.update(link_ref.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl TryFrom<String> for LinkSecret {
    type Error = LinkSecretError;

    fn try_from(s: String) -> Result<LinkSecret, LinkSecretError> {
        LinkSecret::new(&s)
    }
}

impl std::fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSecret(<redacted>)")
    }
}

/// The status page's settings (`[status_page]` in the server's configuration), shared by the
/// server's pages and the channel.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusPageSettings {
    /// The page's name, as readers know it (`Acme status`).
    #[serde(default = "default_title")]
    pub title: String,
    /// Where readers reach the server (`https://status.example.com`): the base of every link
    /// in an email. Never taken from a request's Host header, which a client chooses.
    pub public_url: String,
    /// The secret unsubscribe links are derived from.
    pub link_secret: LinkSecret,
    /// How long a resolved incident is shown as `monitoring` before `resolved`.
    #[serde(default = "default_monitoring_minutes")]
    pub monitoring_minutes: u32,
    /// At most this many subscription requests (each emails a confirmation link) are taken
    /// in any hour; more are refused with a 429 until the hour's oldest age out. An address
    /// is sent at most one confirmation every [`CONFIRMATION_RESEND_MS`] whatever this is.
    #[serde(default = "default_confirmations_per_hour")]
    pub confirmations_per_hour: u32,
    /// Mirror the posts on an Atlassian Statuspage page.
    #[serde(default)]
    pub statuspage: Option<StatuspageConfig>,
}

fn default_confirmations_per_hour() -> u32 {
    1_000
}

fn default_title() -> String {
    "Service status".to_string()
}

fn default_monitoring_minutes() -> u32 {
    60
}

/// Why status page settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status_page.public_url {0:?} must be an http:// or https:// URL")]
pub struct SettingsError(pub String);

impl StatusPageSettings {
    /// Settings with the default title and monitoring window and no Statuspage mirror.
    pub fn new(public_url: &str, link_secret: LinkSecret) -> Result<Self, SettingsError> {
        let s = StatusPageSettings {
            title: default_title(),
            public_url: public_url.to_string(),
            link_secret,
            monitoring_minutes: default_monitoring_minutes(),
            confirmations_per_hour: default_confirmations_per_hour(),
            statuspage: None,
        };
        s.check()?;
        Ok(s)
    }

    /// Refuses a public URL that could not be the base of a link.
    pub fn check(&self) -> Result<(), SettingsError> {
        let url = self.public_url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(host)
                if !host.is_empty()
                    && !host.starts_with('/')
                    && !url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(())
            }
            _ => Err(SettingsError(self.public_url.clone())),
        }
    }

    /// An absolute link to `path` (`/status`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim().trim_end_matches('/'))
    }

    /// The monitoring window.
    pub fn monitoring(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.monitoring_minutes))
    }
}

/// Where an incident is, as its status page says it, in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// Something is wrong; the cause is not known yet.
    Investigating,
    /// The cause is known.
    Identified,
    /// Service is restored and being watched.
    Monitoring,
    /// Service has been restored for the monitoring window.
    Resolved,
    /// The root-cause summary was sent.
    Postmortem,
}

impl PostState {
    /// Every state, in order.
    pub const ALL: [PostState; 5] = [
        PostState::Investigating,
        PostState::Identified,
        PostState::Monitoring,
        PostState::Resolved,
        PostState::Postmortem,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            PostState::Investigating => "investigating",
            PostState::Identified => "identified",
            PostState::Monitoring => "monitoring",
            PostState::Resolved => "resolved",
            PostState::Postmortem => "postmortem",
        }
    }

    /// The word for readers.
    pub fn label(self) -> &'static str {
        match self {
            PostState::Investigating => "Investigating",
            PostState::Identified => "Identified",
            PostState::Monitoring => "Monitoring",
            PostState::Resolved => "Resolved",
            PostState::Postmortem => "Postmortem",
        }
    }

    /// Parses a stored word.
    pub fn parse(word: &str) -> Option<PostState> {
        PostState::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether the incident still affects service (the page lists it as current).
    pub fn is_open(self) -> bool {
        self < PostState::Resolved
    }
}

/// What a post's state is derived from: the incident as stored now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    /// The incident's title.
    pub title: String,
    /// Its failure type word (`outage`, `degradation` …).
    pub failure_type: String,
    /// The components it touches: its features, each once.
    pub components: Vec<String>,
    /// Whether its cause is known.
    pub known_cause: bool,
    /// When it was resolved, if it is.
    pub resolved_at: Option<Timestamp>,
    /// When its root-cause summary was sent, if it was.
    pub rca_sent_at: Option<Timestamp>,
}

impl Situation {
    /// Reads an incident and its root-cause summary from the store.
    pub async fn load(store: &Store, incident: &str) -> Result<Situation, StoreError> {
        let row = store.incident(incident).await?;
        let spec: IncidentSpec = serde_json::from_str(&row.spec)
            .map_err(|e| StoreError::Corrupt(format!("incident {incident}: {e}")))?;
        let instant = |text: &str| {
            amends_core::time::parse_instant(text)
                .map_err(|e| StoreError::Corrupt(format!("incident {incident}: {e}")))
        };
        let resolved_at = spec.resolved_at.as_deref().map(instant).transpose()?;
        let rca_sent_at = store
            .rca(incident)
            .await?
            .and_then(|r| r.sent_at)
            .as_deref()
            .map(instant)
            .transpose()?;
        Ok(Situation {
            components: components(&spec.features),
            title: spec.title,
            failure_type: spec.failure_type,
            known_cause: spec
                .known_cause
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty()),
            resolved_at,
            rca_sent_at,
        })
    }

    /// The state of a post of `step` made at `at` (see the module documentation).
    pub fn state(&self, step: &str, at: Timestamp, monitoring: SignedDuration) -> PostState {
        let resolved = self.resolved_at.filter(|r| *r <= at);
        let summarised = self.rca_sent_at.is_some_and(|s| s <= at) && resolved.is_some();
        let facts = if summarised {
            PostState::Postmortem
        } else if let Some(r) = resolved {
            if r.checked_add(monitoring).is_ok_and(|end| end <= at) {
                PostState::Resolved
            } else {
                PostState::Monitoring
            }
        } else if self.known_cause {
            PostState::Identified
        } else {
            PostState::Investigating
        };
        let named = step_state(step).filter(|s| match s {
            PostState::Resolved => resolved.is_some(),
            PostState::Postmortem => summarised,
            _ => true,
        });
        named.map_or(facts, |n| n.max(facts))
    }
}

/// The state a step's id names: `status_monitoring` or `monitoring`.
fn step_state(step: &str) -> Option<PostState> {
    PostState::parse(step.strip_prefix("status_").unwrap_or(step))
}

/// An incident's features as page components: trimmed, without empty ones, each once
/// (compared without case, the first spelling kept).
pub fn components(features: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in features.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(f)) {
            out.push(f.to_string());
        }
    }
    out
}

/// Whether a subscriber wants a post: it subscribed to every component, or to one the post
/// touches (compared without case).
pub fn wants(subscriber: &Subscriber, post: &StatusPost) -> bool {
    subscriber.components.is_empty()
        || subscriber
            .components
            .iter()
            .any(|c| post.components.iter().any(|p| p.eq_ignore_ascii_case(c)))
}

/// An address the email channel can send to, normalised, or `None`.
pub fn parse_address(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() > 254 {
        return None;
    }
    text.parse::<lettre::Address>().ok().map(|a| a.to_string())
}

/// The outbox `incident_id` of status page emails: apart from the incident's own jobs, so a
/// re-plan of the incident (which cancels the incident's jobs it no longer plans) never
/// cancels a subscriber's notification.
fn email_scope(incident: &str) -> String {
    format!("status-page/{incident}")
}

/// The email asking an address to confirm its subscription: the only thing sent before it is
/// confirmed.
pub fn confirmation_email(
    settings: &StatusPageSettings,
    email: &str,
    components: &[String],
    link_ref: &str,
    confirm_token: &str,
    now_ms: i64,
) -> NewJob {
    let what = if components.is_empty() {
        "every component".to_string()
    } else {
        components.join(", ")
    };
    let body = format!(
        "Someone, we hope you, asked to receive {title} updates by email about: {what}.\n\n\
         To confirm, open this link and press Confirm:\n{link}\n\n\
         If it was not you, ignore this email: nothing more will be sent to this address. \
         The link works for 7 days.\n",
        title = settings.title,
        link = settings.link(&format!("/status/confirm/{confirm_token}")),
    );
    NewJob {
        key: format!("status-page/confirm/{link_ref}"),
        incident_id: "status-page".to_string(),
        channel: "email".to_string(),
        due_ms: now_ms,
        payload: serde_json::json!({
            "to": email,
            "subject": format!("Confirm your subscription to {}", settings.title),
            "body": body,
        })
        .to_string(),
    }
}

/// The email telling a subscriber about a post, with its one-click unsubscribe link (also in
/// `List-Unsubscribe`, RFC 8058).
pub fn notification_email(
    settings: &StatusPageSettings,
    post: &StatusPost,
    subscriber: &Subscriber,
    now_ms: i64,
) -> NewJob {
    let state = PostState::parse(&post.state).map_or(post.state.as_str(), |s| s.label());
    let unsubscribe = settings.link(&format!(
        "/status/unsubscribe/{}",
        settings.link_secret.unsubscribe_token(&subscriber.link_ref)
    ));
    let mut body = format!("{}\nStatus: {state}\n", post.title);
    if !post.components.is_empty() {
        body.push_str(&format!("Affected: {}\n", post.components.join(", ")));
    }
    body.push_str(&format!(
        "\n{}\n\nFollow the incident: {}\nStop these emails (one click): {unsubscribe}\n",
        post.body,
        settings.link("/status"),
    ));
    NewJob {
        key: format!("status-page/{}/subscriber/{}", post.key, subscriber.id),
        incident_id: email_scope(&post.incident_id),
        channel: "email".to_string(),
        due_ms: now_ms,
        payload: serde_json::json!({
            "to": subscriber.email,
            "subject": format!("[{state}] {}", post.title),
            "body": body,
            "list_unsubscribe": unsubscribe,
        })
        .to_string(),
    }
}

/// The status page channel.
pub struct StatusPageChannel {
    store: Store,
    settings: Arc<StatusPageSettings>,
    clock: Arc<dyn Clock>,
    statuspage: Option<Statuspage>,
}

impl StatusPageChannel {
    /// A channel posting to the store's page, mirroring to `statuspage` when given.
    pub fn new(
        store: Store,
        settings: Arc<StatusPageSettings>,
        clock: Arc<dyn Clock>,
        statuspage: Option<Statuspage>,
    ) -> Result<StatusPageChannel, SettingsError> {
        settings.check()?;
        Ok(StatusPageChannel {
            store,
            settings,
            clock,
            statuspage,
        })
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    step: String,
    body: String,
}

/// A store failure while delivering: the database may come back, so try again.
fn store_error(what: &str, e: &StoreError) -> DeliveryError {
    match e {
        StoreError::NotFound { .. } | StoreError::Corrupt(_) => {
            DeliveryError::permanent(format!("{what}: {e}"))
        }
        _ => DeliveryError::transient(format!("{what}: {e}")),
    }
}

impl Channel for StatusPageChannel {
    fn name(&self) -> &str {
        "status_page"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| {
                DeliveryError::permanent(format!("the job's payload is not a status post: {e}"))
            })?;
            let situation = Situation::load(&self.store, &job.incident_id)
                .await
                .map_err(|e| store_error("cannot read the incident", &e))?;
            let now = self.clock.now();
            let state = situation.state(&p.step, now, self.settings.monitoring());
            let (post, _) = self
                .store
                .record_status_post(&StatusPost {
                    key: job.key.clone(),
                    incident_id: job.incident_id.clone(),
                    step: p.step,
                    state: state.as_str().to_string(),
                    title: situation.title.clone(),
                    body: p.body,
                    components: situation.components.clone(),
                    due_ms: job.due_ms,
                    posted_ms: now.as_millisecond(),
                    forwarded_ms: None,
                })
                .await
                .map_err(|e| store_error("cannot record the post", &e))?;
            let emails: Vec<NewJob> = self
                .store
                .confirmed_subscribers()
                .await
                .map_err(|e| store_error("cannot read the subscribers", &e))?
                .iter()
                .filter(|s| wants(s, &post))
                .map(|s| notification_email(&self.settings, &post, s, now.as_millisecond()))
                .collect();
            self.store
                .enqueue(&emails)
                .await
                .map_err(|e| store_error("cannot queue the subscribers' emails", &e))?;
            let mut receipt = format!(
                "posted as {}; {} subscriber emails",
                post.state,
                emails.len()
            );
            if let Some(statuspage) = &self.statuspage {
                let forwarded = statuspage
                    .sync(&post, &situation.failure_type, now.as_millisecond())
                    .await?;
                receipt.push_str(&format!("; {forwarded} forwarded to Statuspage"));
            }
            Ok(Some(receipt))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn situation() -> Situation {
        Situation {
            title: "API unavailable".into(),
            failure_type: "outage".into(),
            components: vec!["API".into()],
            known_cause: false,
            resolved_at: None,
            rca_sent_at: None,
        }
    }

    const HOUR: SignedDuration = SignedDuration::from_hours(1);

    #[test]
    fn the_state_follows_the_facts_in_lifecycle_order() {
        let mut s = situation();
        let t = at("2024-10-15T15:00:00Z");
        assert_eq!(s.state("status_update", t, HOUR), PostState::Investigating);
        s.known_cause = true;
        assert_eq!(s.state("status_update", t, HOUR), PostState::Identified);
        s.resolved_at = Some(at("2024-10-15T14:30:00Z"));
        assert_eq!(s.state("status_update", t, HOUR), PostState::Monitoring);
        assert_eq!(
            s.state("status_update", at("2024-10-15T15:30:00Z"), HOUR),
            PostState::Resolved,
            "an hour after the resolution"
        );
        s.rca_sent_at = Some(at("2024-10-20T09:00:00Z"));
        assert_eq!(
            s.state("status_update", at("2024-10-20T08:59:59Z"), HOUR),
            PostState::Resolved
        );
        assert_eq!(
            s.state("status_update", at("2024-10-20T09:00:00Z"), HOUR),
            PostState::Postmortem
        );
        // A resolution recorded for later than the post is not known at the post.
        s.rca_sent_at = None;
        assert_eq!(
            s.state("status_update", at("2024-10-15T14:00:00Z"), HOUR),
            PostState::Identified
        );
    }

    #[test]
    fn a_step_named_after_a_state_raises_it_but_never_claims_a_fact() {
        let mut s = situation();
        let t = at("2024-10-15T15:00:00Z");
        assert_eq!(s.state("status_identified", t, HOUR), PostState::Identified);
        assert_eq!(s.state("monitoring", t, HOUR), PostState::Monitoring);
        assert_eq!(
            s.state("status_resolved", t, HOUR),
            PostState::Investigating,
            "not resolved yet"
        );
        assert_eq!(
            s.state("status_postmortem", t, HOUR),
            PostState::Investigating
        );
        s.resolved_at = Some(t);
        assert_eq!(s.state("status_resolved", t, HOUR), PostState::Resolved);
        assert_eq!(
            s.state("status_investigating", t, HOUR),
            PostState::Monitoring,
            "facts win over a lower name"
        );
    }

    #[test]
    fn components_are_the_features_each_once() {
        let f = vec![
            " API ".to_string(),
            "api".to_string(),
            String::new(),
            "Web application".to_string(),
        ];
        assert_eq!(components(&f), vec!["API", "Web application"]);
    }

    #[test]
    fn unsubscribe_tokens_are_stable_per_subscriber_and_secret() {
        let a = LinkSecret::new("0123456789abcdef0123456789abcdef").unwrap();
        let b = LinkSecret::new("fedcba9876543210fedcba9876543210").unwrap();
        assert_eq!(a.unsubscribe_token("r1"), a.unsubscribe_token("r1"));
        assert_ne!(a.unsubscribe_token("r1"), a.unsubscribe_token("r2"));
        assert_ne!(a.unsubscribe_token("r1"), b.unsubscribe_token("r1"));
        assert_eq!(a.unsubscribe_token("r1").len(), 64);
        assert_eq!(format!("{a:?}"), "LinkSecret(<redacted>)");
        assert!(LinkSecret::new("short").is_err());
    }

    #[test]
    fn settings_need_an_http_base_url() {
        let secret = LinkSecret::new("0123456789abcdef0123456789abcdef").unwrap();
        let s = StatusPageSettings::new("https://status.example.com/", secret.clone()).unwrap();
        assert_eq!(s.link("/status"), "https://status.example.com/status");
        for bad in ["status.example.com", "https://", "ftp://x", "https://a b"] {
            assert!(
                StatusPageSettings::new(bad, secret.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn addresses_are_checked_like_the_email_channel_does() {
        assert_eq!(
            parse_address(" ops@example.com ").as_deref(),
            Some("ops@example.com")
        );
        for bad in ["", "ops", "ops@", "@example.com", "a b@example.com"] {
            assert_eq!(parse_address(bad), None, "{bad}");
        }
    }
}
