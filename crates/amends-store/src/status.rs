//! The built-in status page: the posts it shows (one per delivered status job, keyed by the
//! job's idempotency key so a retried delivery posts once), its email subscribers (double
//! opt-in, by component), the private per-account pages, and which Atlassian Statuspage
//! incident mirrors each amends incident.
//!
//! Tokens (subscription confirmation, unsubscribe, private page) are passed in as the secret
//! the person holds and stored only as their SHA-256: hashing happens here, at the boundary,
//! so no caller can store a token in the clear by mistake.

use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Record;
use crate::{Result, Store, StoreError, from_json, not_found, now, to_json};

/// A post on the status page, as recorded when its job was delivered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusPost {
    /// The job's idempotency key (`INC/public/STEP/OCCURRENCE`).
    pub key: String,
    /// The incident.
    pub incident_id: String,
    /// The playbook step that produced it.
    pub step: String,
    /// The lifecycle state when posted (`investigating` … `postmortem`).
    pub state: String,
    /// The incident's title when posted.
    pub title: String,
    /// The text.
    pub body: String,
    /// The components it touches (the incident's features when posted).
    pub components: Vec<String>,
    /// When the plan had it due, Unix milliseconds.
    pub due_ms: i64,
    /// When it was posted, Unix milliseconds.
    pub posted_ms: i64,
    /// When Atlassian Statuspage accepted it, if it was forwarded.
    pub forwarded_ms: Option<i64>,
}

/// A status page subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Row id.
    pub id: i64,
    /// The address (personal data: never logged).
    pub email: String,
    /// The components subscribed to; empty means every component.
    pub components: Vec<String>,
    /// The random public handle the unsubscribe token is derived from.
    pub link_ref: String,
}

/// A subscription request, pending until confirmed.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// The address.
    pub email: String,
    /// The components; empty means every component.
    pub components: Vec<String>,
    /// A random public handle (the unsubscribe token is derived from it).
    pub link_ref: String,
    /// The confirmation token sent to the address (stored hashed).
    pub confirm_token: String,
    /// The unsubscribe token (stored hashed).
    pub unsubscribe_token: String,
    /// When requested, Unix milliseconds.
    pub created_ms: i64,
}

/// How many confirmation emails the subscription form may cause, so that it cannot be used to
/// flood someone's inbox or spend the page's sending reputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeLimits {
    /// An address is sent at most one confirmation in this many milliseconds.
    pub resend_after_ms: i64,
    /// At most this many requests are stored (and confirmations sent) in any hour: counted
    /// as the requests on record that were made in the last hour (a pending one replaced by
    /// a later request of its address, or ended by unsubscribing, no longer counts).
    pub per_hour: u32,
}

/// The PostgreSQL advisory lock that serialises subscription requests, so that two at once
/// cannot both find no recent request for an address, or both fit under the hourly limit.
/// (SQLite has one writer anyway.)
const SUBSCRIBE_LOCK: i64 = 0x7375_6273_6372;

/// What became of a subscription request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// Stored, replacing the address's earlier pending request: send its confirmation.
    Stored,
    /// The address was sent a confirmation less than [`SubscribeLimits::resend_after_ms`]
    /// ago: nothing stored, and that link still works.
    AlreadySent,
    /// [`SubscribeLimits::per_hour`] requests were stored in the last hour: nothing stored.
    HourlyLimit,
}

/// Who creates an incident's Atlassian Statuspage incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatuspageClaim {
    /// Nobody has: the caller holds the claim and creates it.
    Create,
    /// It exists, with this Statuspage id.
    Existing(String),
    /// Another worker is creating it right now.
    Busy,
}

/// SHA-256 of a token, hex: what is stored instead of the token.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

const POST_COLUMNS: &str =
    "key, incident_id, step, state, title, body, components, due_ms, posted_ms, forwarded_ms";

impl Store {
    /// Records a post once per key and returns it as stored, with whether it is new. A retry
    /// gets back the post of the first attempt (its state and components as they were then).
    pub async fn record_status_post(&self, post: &StatusPost) -> Result<(StatusPost, bool)> {
        check_state(&post.state)?;
        let mut w = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO status_posts (key, incident_id, step, state, title, body, components, due_ms, posted_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING",
        )
        .bind(post.key.clone())
        .bind(post.incident_id.clone())
        .bind(post.step.clone())
        .bind(post.state.clone())
        .bind(post.title.clone())
        .bind(post.body.clone())
        .bind(to_json(&post.components)?)
        .bind(post.due_ms)
        .bind(post.posted_ms)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        let row = sqlx::query(&format!(
            "SELECT {POST_COLUMNS} FROM status_posts WHERE key = $1"
        ))
        .bind(post.key.clone())
        .fetch_one(&mut *w.tx)
        .await?;
        let stored = post_row(&row)?;
        w.commit().await?;
        Ok((stored, inserted == 1))
    }

    /// The newest posts, newest first.
    pub async fn recent_status_posts(&self, limit: i64) -> Result<Vec<StatusPost>> {
        let rows = sqlx::query(&format!(
            "SELECT {POST_COLUMNS} FROM status_posts ORDER BY posted_ms DESC, due_ms DESC, key DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(post_row).collect()
    }

    /// An incident's posts in the order the plan had them due.
    pub async fn status_posts_of(&self, incident: &str) -> Result<Vec<StatusPost>> {
        let rows = sqlx::query(&format!(
            "SELECT {POST_COLUMNS} FROM status_posts WHERE incident_id = $1 ORDER BY due_ms, posted_ms, key"
        ))
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(post_row).collect()
    }

    /// Every component a post has touched, sorted, each once (compared without case).
    pub async fn status_components(&self) -> Result<Vec<String>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT DISTINCT components FROM status_posts")
            .fetch_all(&self.pool)
            .await?;
        let mut all: Vec<String> = Vec::new();
        for text in rows {
            for c in from_json::<Vec<String>>(&text)? {
                if !all.iter().any(|a| a.eq_ignore_ascii_case(&c)) {
                    all.push(c);
                }
            }
        }
        all.sort_by_key(|c| c.to_lowercase());
        Ok(all)
    }

    /// Records that Atlassian Statuspage accepted a post.
    pub async fn mark_status_post_forwarded(&self, key: &str, at_ms: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE status_posts SET forwarded_ms = $1 WHERE key = $2")
            .bind(at_ms)
            .bind(key.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Claims the creation of an incident's Statuspage incident, so that two workers never
    /// create two. A claim older than `stale_ms` (its worker died mid-request) can be taken
    /// over.
    pub async fn claim_statuspage_incident(
        &self,
        incident: &str,
        now_ms: i64,
        stale_ms: i64,
    ) -> Result<StatuspageClaim> {
        let mut w = self.begin_write().await?;
        let claimed = sqlx::query(
            "INSERT INTO statuspage_incidents (incident_id, statuspage_id, claimed_ms) VALUES ($1, NULL, $2) \
             ON CONFLICT (incident_id) DO UPDATE SET claimed_ms = excluded.claimed_ms \
             WHERE statuspage_incidents.statuspage_id IS NULL AND statuspage_incidents.claimed_ms < $3 \
             RETURNING incident_id",
        )
        .bind(incident.to_string())
        .bind(now_ms)
        .bind(now_ms - stale_ms)
        .fetch_optional(&mut *w.tx)
        .await?;
        let claim = if claimed.is_some() {
            StatuspageClaim::Create
        } else {
            let id: Option<String> = sqlx::query_scalar(
                "SELECT statuspage_id FROM statuspage_incidents WHERE incident_id = $1",
            )
            .bind(incident.to_string())
            .fetch_one(&mut *w.tx)
            .await?;
            id.map_or(StatuspageClaim::Busy, StatuspageClaim::Existing)
        };
        w.commit().await?;
        Ok(claim)
    }

    /// Records the Statuspage id of an incident created under a claim.
    pub async fn set_statuspage_incident(&self, incident: &str, statuspage_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE statuspage_incidents SET statuspage_id = $1 WHERE incident_id = $2")
            .bind(statuspage_id.to_string())
            .bind(incident.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Gives up a claim whose creation failed, so the next attempt can claim it at once.
    pub async fn release_statuspage_claim(&self, incident: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM statuspage_incidents WHERE incident_id = $1 AND statuspage_id IS NULL",
        )
        .bind(incident.to_string())
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    // ----- subscribers --------------------------------------------------------------------

    /// Stores a pending subscription within `limits` (see [`SubscribeOutcome`]) and queues
    /// `then_queue` (its confirmation email) in the same transaction, so a request is never
    /// stored without its link on the way. An earlier pending request for the same address
    /// (compared without case) is replaced; a confirmed subscription stays as it is until
    /// this one is confirmed.
    pub async fn subscribe(
        &self,
        s: &NewSubscription,
        then_queue: &[crate::NewJob],
        limits: SubscribeLimits,
    ) -> Result<SubscribeOutcome> {
        let mut w = self.begin_write().await?;
        if w.backend == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SUBSCRIBE_LOCK)
                .execute(&mut *w.tx)
                .await?;
        }
        // The page's limit first: once it is reached every request is refused alike, so the
        // answer never tells whether an address asked recently.
        let this_hour: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM status_subscribers WHERE created_ms > $1")
                .bind(s.created_ms - 3_600_000)
                .fetch_one(&mut *w.tx)
                .await?;
        if this_hour >= i64::from(limits.per_hour) {
            return Ok(SubscribeOutcome::HourlyLimit);
        }
        let email_key = s.email.to_lowercase();
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM status_subscribers \
             WHERE email_key = $1 AND confirmed_ms IS NULL AND created_ms > $2",
        )
        .bind(email_key.clone())
        .bind(s.created_ms - limits.resend_after_ms)
        .fetch_one(&mut *w.tx)
        .await?;
        if recent > 0 {
            return Ok(SubscribeOutcome::AlreadySent);
        }
        sqlx::query("DELETE FROM status_subscribers WHERE email_key = $1 AND confirmed_ms IS NULL")
            .bind(email_key.clone())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO status_subscribers (email, email_key, components, link_ref, confirm_hash, unsubscribe_hash, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(s.email.clone())
        .bind(email_key)
        .bind(to_json(&s.components)?)
        .bind(s.link_ref.clone())
        .bind(token_hash(&s.confirm_token))
        .bind(token_hash(&s.unsubscribe_token))
        .bind(s.created_ms)
        .execute(&mut *w.tx)
        .await?;
        crate::outbox::enqueue_within(&mut w, then_queue).await?;
        w.commit().await?;
        Ok(SubscribeOutcome::Stored)
    }

    /// The pending subscription a confirmation token belongs to, if it is not older than
    /// `max_age_ms`.
    pub async fn pending_subscription(
        &self,
        confirm_token: &str,
        now_ms: i64,
        max_age_ms: i64,
    ) -> Result<Option<Subscriber>> {
        let row = sqlx::query(
            "SELECT id, email, components, link_ref FROM status_subscribers \
             WHERE confirm_hash = $1 AND confirmed_ms IS NULL AND created_ms >= $2",
        )
        .bind(token_hash(confirm_token))
        .bind(now_ms - max_age_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(subscriber_row).transpose()
    }

    /// Confirms a pending subscription (not older than `max_age_ms`). It replaces any other
    /// subscription of the same address. `None` when the token is unknown, used or expired.
    pub async fn confirm_subscription(
        &self,
        confirm_token: &str,
        now_ms: i64,
        max_age_ms: i64,
    ) -> Result<Option<Subscriber>> {
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, email, email_key, components, link_ref FROM status_subscribers \
             WHERE confirm_hash = $1 AND confirmed_ms IS NULL AND created_ms >= $2",
        )
        .bind(token_hash(confirm_token))
        .bind(now_ms - max_age_ms)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let subscriber = subscriber_row(&row)?;
        let email_key: String = row.try_get("email_key")?;
        sqlx::query("DELETE FROM status_subscribers WHERE email_key = $1 AND id <> $2")
            .bind(email_key)
            .bind(subscriber.id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "UPDATE status_subscribers SET confirmed_ms = $1, confirm_hash = NULL WHERE id = $2",
        )
        .bind(now_ms)
        .bind(subscriber.id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(Some(subscriber))
    }

    /// The subscription (pending or confirmed) an unsubscribe token belongs to.
    pub async fn subscription_by_unsubscribe_token(
        &self,
        token: &str,
    ) -> Result<Option<Subscriber>> {
        let row = sqlx::query(
            "SELECT id, email, components, link_ref FROM status_subscribers WHERE unsubscribe_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(subscriber_row).transpose()
    }

    /// Removes the subscription an unsubscribe token belongs to, with the notifications
    /// queued for it. Returns whether there was one.
    pub async fn unsubscribe(&self, token: &str) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM status_subscribers WHERE unsubscribe_hash = $1")
                .bind(token_hash(token))
                .fetch_optional(&mut *w.tx)
                .await?;
        let Some(id) = id else {
            return Ok(false);
        };
        sqlx::query("DELETE FROM status_subscribers WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        // Its notifications leave the queue, whatever their state: one being handed to the
        // mail server right now may still arrive, but none is sent or retried after (a
        // completion or failure of a job no longer queued changes nothing). The key range
        // lets the key's index find the status page's jobs; the pattern picks this
        // subscriber's (ids are digits, and the key ends with one).
        sqlx::query(
            "DELETE FROM outbox_jobs \
             WHERE key >= 'status-page/' AND key < 'status-page0' AND key LIKE $1",
        )
        .bind(format!("status-page/%/subscriber/{id}"))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// Every confirmed subscriber, oldest first.
    pub async fn confirmed_subscribers(&self) -> Result<Vec<Subscriber>> {
        let rows = sqlx::query(
            "SELECT id, email, components, link_ref FROM status_subscribers \
             WHERE confirmed_ms IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(subscriber_row).collect()
    }

    // ----- private pages ------------------------------------------------------------------

    /// Issues the private page token of an account, or with `replace` rotates it (the
    /// previous link stops working; without `replace` an existing token is a conflict, so a
    /// customer's link is never broken by accident). Audited without the token. Returns
    /// whether a previous token was replaced.
    pub async fn set_private_page_token(
        &self,
        account: &str,
        token: &str,
        replace: bool,
        actor: &str,
    ) -> Result<bool> {
        let mut w = self.begin_write().await?;
        sqlx::query("SELECT id FROM accounts WHERE id = $1")
            .bind(account.to_string())
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| not_found("account", account))?;
        let before: Option<String> = sqlx::query_scalar(
            "SELECT created_at FROM status_private_tokens WHERE account_id = $1",
        )
        .bind(account.to_string())
        .fetch_optional(&mut *w.tx)
        .await?;
        if let (Some(issued), false) = (&before, replace) {
            return Err(StoreError::Conflict(format!(
                "account {account} has a private page link since {issued}; rotate it to replace it (the old link stops working)"
            )));
        }
        let at = now();
        sqlx::query(
            "INSERT INTO status_private_tokens (account_id, token_hash, created_at, created_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET \
             token_hash = excluded.token_hash, created_at = excluded.created_at, created_by = excluded.created_by",
        )
        .bind(account.to_string())
        .bind(token_hash(token))
        .bind(at.clone())
        .bind(actor.to_string())
        .execute(&mut *w.tx)
        .await?;
        let issued = |created_at: &str| {
            to_json(&serde_json::json!({ "account": account, "issued_at": created_at }))
        };
        w.audit(Record {
            at: at.clone(),
            actor: actor.to_string(),
            action: if before.is_some() {
                "status_page.private_token.rotate".into()
            } else {
                "status_page.private_token.issue".into()
            },
            subject: format!("account/{account}/status-page"),
            before: before.as_deref().map(issued).transpose()?,
            after: Some(issued(&at)?),
        })
        .await?;
        w.commit().await?;
        Ok(before.is_some())
    }

    /// The account a private page token belongs to.
    pub async fn private_page_account(&self, token: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar(
                "SELECT account_id FROM status_private_tokens WHERE token_hash = $1",
            )
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    /// The incidents whose current plan includes the account (it has a remediation decision
    /// that was not withdrawn when the account left the scope), in id order.
    pub async fn incidents_of_account(&self, account: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT incident_id FROM remediations WHERE account_id = $1 AND status <> 'withdrawn' \
             ORDER BY incident_id",
        )
        .bind(account.to_string())
        .fetch_all(&self.pool)
        .await?)
    }
}

fn post_row(r: &AnyRow) -> Result<StatusPost> {
    Ok(StatusPost {
        key: r.try_get("key")?,
        incident_id: r.try_get("incident_id")?,
        step: r.try_get("step")?,
        state: r.try_get("state")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        components: from_json(&r.try_get::<String, _>("components")?)?,
        due_ms: r.try_get("due_ms")?,
        posted_ms: r.try_get("posted_ms")?,
        forwarded_ms: r.try_get("forwarded_ms")?,
    })
}

fn subscriber_row(r: &AnyRow) -> Result<Subscriber> {
    Ok(Subscriber {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        components: from_json(&r.try_get::<String, _>("components")?)?,
        link_ref: r.try_get("link_ref")?,
    })
}

/// Refuses a state word that is not one of the page's lifecycle states.
fn check_state(state: &str) -> Result<()> {
    match state {
        "investigating" | "identified" | "monitoring" | "resolved" | "postmortem" => Ok(()),
        other => Err(StoreError::Invalid(format!(
            "{other:?} is not a status page state"
        ))),
    }
}
