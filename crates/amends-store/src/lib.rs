//! amends-store: everything amends remembers, on SQLite (a single file, the embedded default)
//! or PostgreSQL (production, several app replicas at once), behind one [`Store`].
//!
//! The two backends share one implementation over sqlx's `Any` driver and one SQL dialect
//! (`$1` parameters, `RETURNING`, `ON CONFLICT`); each has its own migrations. Writes that
//! must be atomic — an incident change with its event, plan version, remediations and audit
//! entries — are one transaction, and a concurrent change to the same incident is refused
//! with [`StoreError::Conflict`] (optimistic concurrency on the incident's version).
//!
//! Architecture Invariant: the audit trail is append-only and hash-chained. The store only
//! ever inserts into it (and the schema's triggers refuse updates and deletes); appends are
//! serialised across processes (PostgreSQL advisory lock, SQLite's single writer).

// No unwrap or expect in product code: every failure is an error value with a message.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
mod deadlines;
mod migrate;
mod outbox;
mod records;
mod status;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use deadlines::*;
pub use outbox::*;
pub use records::*;
/// The database driver's error type, for callers that classify failures.
pub use sqlx::Error as SqlxError;
pub use status::*;

use audit::{AuditEntry, ChainBreak, GENESIS, Record, Verified};

/// Which database a store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file, one writer at a time.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{what} {id:?} not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// Someone else changed it first; reload and retry.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The change is not allowed in the current state.
    #[error("{0}")]
    Invalid(String),
    /// The database URL is not one amends can use.
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A stored document could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The durable store.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    location: String,
    /// SQLite has one writer: write transactions in this process queue here instead of
    /// failing with "database is locked".
    write_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// The current instant as stored text.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl Store {
    /// Opens (and for SQLite creates) the database at `url` and brings its schema up to date.
    ///
    /// `sqlite:amends.db`, `sqlite:///var/lib/amends/amends.db`, `postgres://user@host/db`.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url, location) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            (
                Backend::Sqlite,
                format!("sqlite://{path}?mode=rwc"),
                format!("SQLite file {path}"),
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (
                Backend::Postgres,
                url.to_string(),
                format!("PostgreSQL {}", redact(url)),
            )
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        migrate::run(&pool, backend).await?;
        Ok(Store {
            pool,
            backend,
            location,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Which backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the data is, for people (credentials removed).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Begins a write transaction, serialised where the backend needs it.
    async fn begin_write(&self) -> Result<WriteTx<'_>> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        };
        // SQLite: take the write lock at BEGIN, so a transaction that reads before it writes
        // waits for another process's writer (busy_timeout) instead of failing "locked".
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _guard: guard,
            backend: self.backend,
            audit_head: None,
            pending_audit: Vec::new(),
        })
    }

    // ----- accounts -----------------------------------------------------------------------

    /// Inserts or updates accounts in one transaction, recording the import in the audit
    /// trail. Returns how many were new, changed and unchanged.
    pub async fn upsert_accounts(
        &self,
        specs: &[amends_core::account::AccountSpec],
        actor: &str,
    ) -> Result<ImportSummary> {
        let mut w = self.begin_write().await?;
        let at = now();
        let mut summary = ImportSummary::default();
        for spec in specs {
            let json = to_json(spec)?;
            let existing: Option<String> = sqlx::query("SELECT spec FROM accounts WHERE id = $1")
                .bind(spec.id.clone())
                .fetch_optional(&mut *w.tx)
                .await?
                .map(|r| r.try_get("spec"))
                .transpose()?;
            match existing {
                Some(old) if old == json => summary.unchanged += 1,
                Some(_) => {
                    sqlx::query("UPDATE accounts SET spec = $1, updated_at = $2 WHERE id = $3")
                        .bind(json)
                        .bind(at.clone())
                        .bind(spec.id.clone())
                        .execute(&mut *w.tx)
                        .await?;
                    summary.updated += 1;
                }
                None => {
                    sqlx::query("INSERT INTO accounts (id, spec, updated_at) VALUES ($1, $2, $3)")
                        .bind(spec.id.clone())
                        .bind(json)
                        .bind(at.clone())
                        .execute(&mut *w.tx)
                        .await?;
                    summary.inserted += 1;
                }
            }
        }
        w.audit(Record {
            at,
            actor: actor.to_string(),
            action: "accounts.import".into(),
            subject: "accounts".into(),
            before: None,
            after: Some(to_json(&summary)?),
        })
        .await?;
        w.commit().await?;
        Ok(summary)
    }

    /// Every account, in id order.
    pub async fn account_specs(&self) -> Result<Vec<amends_core::account::AccountSpec>> {
        let rows = sqlx::query("SELECT spec FROM accounts ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>("spec")?))
            .collect()
    }

    /// A page of accounts after the id `after`, in id order.
    pub async fn list_accounts(
        &self,
        page: &PageRequest,
    ) -> Result<Page<amends_core::account::AccountSpec>> {
        let rows = sqlx::query("SELECT id, spec FROM accounts WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(page.after.clone().unwrap_or_default())
            .bind(page.limit + 1)
            .fetch_all(&self.pool)
            .await?;
        page_of(rows, page.limit, |r| {
            from_json(&r.try_get::<String, _>("spec")?)
        })
    }

    /// One account.
    pub async fn account(&self, id: &str) -> Result<amends_core::account::AccountSpec> {
        let row = sqlx::query("SELECT spec FROM accounts WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found("account", id))?;
        from_json(&row.try_get::<String, _>("spec")?)
    }

    // ----- incidents ----------------------------------------------------------------------

    /// One incident.
    pub async fn incident(&self, id: &str) -> Result<IncidentRow> {
        let row = sqlx::query(INCIDENT_COLUMNS_BY_ID)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found("incident", id))?;
        incident_row(&row)
    }

    /// A page of incidents after the id `after`, in id order.
    pub async fn list_incidents(&self, page: &PageRequest) -> Result<Page<IncidentRow>> {
        let rows = sqlx::query(
            "SELECT id, spec, status, severity, version, plan_version, created_at, updated_at \
             FROM incidents WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit + 1)
        .fetch_all(&self.pool)
        .await?;
        page_of(rows, page.limit, incident_row)
    }

    /// Writes an incident change atomically: the incident row (created, or updated if its
    /// version is still `expected_version`), its event, the new plan version, the merged
    /// remediations and the audit entries. A stale `expected_version` is a
    /// [`StoreError::Conflict`] and nothing is written.
    pub async fn write_incident(&self, change: IncidentChange) -> Result<IncidentRow> {
        let mut w = self.begin_write().await?;
        let at = now();
        let (version, plan_version, created_at, before) = match change.expected_version {
            None => {
                let exists = sqlx::query("SELECT id FROM incidents WHERE id = $1")
                    .bind(change.id.clone())
                    .fetch_optional(&mut *w.tx)
                    .await?;
                if exists.is_some() {
                    return Err(StoreError::Conflict(format!(
                        "incident {:?} already exists",
                        change.id
                    )));
                }
                sqlx::query(
                    "INSERT INTO incidents (id, spec, status, severity, version, plan_version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 1, 1, $5, $5)",
                )
                .bind(change.id.clone())
                .bind(change.spec.clone())
                .bind(change.status.as_str().to_string())
                .bind(change.severity.clone())
                .bind(at.clone())
                .execute(&mut *w.tx)
                .await?;
                (1, 1, at.clone(), None)
            }
            Some(expected) => {
                let old = sqlx::query(INCIDENT_COLUMNS_BY_ID)
                    .bind(change.id.clone())
                    .fetch_optional(&mut *w.tx)
                    .await?
                    .ok_or_else(|| not_found("incident", &change.id))?;
                let old = incident_row(&old)?;
                let updated = sqlx::query(
                    "UPDATE incidents SET spec = $1, status = $2, severity = $3, version = version + 1, \
                     plan_version = plan_version + 1, updated_at = $4 WHERE id = $5 AND version = $6",
                )
                .bind(change.spec.clone())
                .bind(change.status.as_str().to_string())
                .bind(change.severity.clone())
                .bind(at.clone())
                .bind(change.id.clone())
                .bind(expected)
                .execute(&mut *w.tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!(
                        "incident {:?} was changed by someone else (your version {expected}, now {}); reload it and retry",
                        change.id, old.version
                    )));
                }
                (
                    old.version + 1,
                    old.plan_version + 1,
                    old.created_at.clone(),
                    Some(old.spec.clone()),
                )
            }
        };

        let seq: i64 = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM incident_events WHERE incident_id = $1",
        )
        .bind(change.id.clone())
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("next")?;
        sqlx::query(
            "INSERT INTO incident_events (incident_id, seq, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(change.id.clone())
        .bind(seq)
        .bind(at.clone())
        .bind(change.actor.clone())
        .bind(change.event.clone())
        .bind(change.event_detail.clone())
        .execute(&mut *w.tx)
        .await?;

        sqlx::query(
            "INSERT INTO plan_versions (incident_id, version, created_at, severity, snapshot, plan, diff) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(change.id.clone())
        .bind(plan_version)
        .bind(at.clone())
        .bind(change.severity.clone())
        .bind(change.snapshot.clone())
        .bind(change.plan.clone())
        .bind(to_json(&change.diff)?)
        .execute(&mut *w.tx)
        .await?;

        w.audit(Record {
            at: at.clone(),
            actor: change.actor.clone(),
            action: format!("incident.{}", change.event),
            subject: format!("incident/{}", change.id),
            before,
            after: Some(change.spec.clone()),
        })
        .await?;
        if let Some(reason) = &change.severity_override {
            w.audit(Record {
                at: at.clone(),
                actor: change.actor.clone(),
                action: "incident.severity_override".into(),
                subject: format!("incident/{}", change.id),
                before: None,
                after: Some(to_json(reason)?),
            })
            .await?;
        }
        merge_remediations(&mut w, &change, plan_version, &at).await?;
        if let Some(jobs) = &change.jobs {
            outbox::replan_in(&mut w, &change.id, jobs).await?;
        }
        w.commit().await?;
        Ok(IncidentRow {
            id: change.id,
            spec: change.spec,
            status: change.status,
            severity: change.severity,
            version,
            plan_version,
            created_at,
            updated_at: at,
        })
    }

    /// An incident's events, oldest first.
    pub async fn events(&self, incident: &str) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, kind, detail FROM incident_events WHERE incident_id = $1 ORDER BY seq",
        )
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    kind: r.try_get("kind")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// An incident's plan versions (without the full plan documents), oldest first.
    pub async fn plan_versions(&self, incident: &str) -> Result<Vec<PlanVersionRow>> {
        let rows = sqlx::query(
            "SELECT version, created_at, severity, diff FROM plan_versions WHERE incident_id = $1 ORDER BY version",
        )
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plan_version_row).collect()
    }

    /// One plan version's full `amends.plan/v1` document and snapshot.
    pub async fn plan_document(
        &self,
        incident: &str,
        version: Option<i64>,
    ) -> Result<PlanDocument> {
        let row =
            match version {
                Some(v) => sqlx::query(
                    "SELECT version, created_at, severity, diff, snapshot, plan FROM plan_versions \
                 WHERE incident_id = $1 AND version = $2",
                )
                .bind(incident.to_string())
                .bind(v)
                .fetch_optional(&self.pool)
                .await?,
                None => sqlx::query(
                    "SELECT version, created_at, severity, diff, snapshot, plan FROM plan_versions \
                 WHERE incident_id = $1 ORDER BY version DESC LIMIT 1",
                )
                .bind(incident.to_string())
                .fetch_optional(&self.pool)
                .await?,
            }
            .ok_or_else(|| not_found("plan", incident))?;
        Ok(PlanDocument {
            version: plan_version_row(&row)?,
            snapshot: row.try_get("snapshot")?,
            plan: row.try_get("plan")?,
        })
    }

    // ----- remediations -------------------------------------------------------------------

    /// An incident's remediations, in account order.
    pub async fn remediations(&self, incident: &str) -> Result<Vec<RemediationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {REMEDIATION_COLUMNS} FROM remediations WHERE incident_id = $1 ORDER BY account_id"
        ))
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(remediation_row).collect()
    }

    /// One remediation.
    pub async fn remediation(&self, incident: &str, account: &str) -> Result<RemediationRow> {
        let row = sqlx::query(&format!(
            "SELECT {REMEDIATION_COLUMNS} FROM remediations WHERE incident_id = $1 AND account_id = $2"
        ))
        .bind(incident.to_string())
        .bind(account.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| not_found("remediation", &format!("{incident}/{account}")))?;
        remediation_row(&row)
    }

    /// Records an approval or rejection of a pending remediation (or of a proposed
    /// adjustment), with who decided and, for an admin deciding in the approver's place, why.
    pub async fn decide_remediation(&self, d: Decision) -> Result<RemediationRow> {
        let mut w = self.begin_write().await?;
        let at = now();
        let row = sqlx::query(&format!(
            "SELECT {REMEDIATION_COLUMNS} FROM remediations WHERE incident_id = $1 AND account_id = $2"
        ))
        .bind(d.incident.clone())
        .bind(d.account.clone())
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| not_found("remediation", &format!("{}/{}", d.incident, d.account)))?;
        let before = remediation_row(&row)?;
        let (status, credit, proposed) = match (&before.status, &before.proposed_credit, d.approve)
        {
            (RemediationStatus::PendingApproval, _, true) => {
                (RemediationStatus::Approved, before.credit.clone(), None)
            }
            (RemediationStatus::PendingApproval, _, false) => {
                (RemediationStatus::Rejected, before.credit.clone(), None)
            }
            // An adjustment after approval: approving it replaces the approved amount.
            (_, Some(p), true) => (RemediationStatus::Approved, p.clone(), None),
            (s, Some(_), false) => (s.clone(), before.credit.clone(), None),
            (s, None, _) => {
                return Err(StoreError::Invalid(format!(
                    "the remediation of {} is {}; there is nothing waiting for a decision",
                    d.account,
                    s.as_str()
                )));
            }
        };
        sqlx::query(
            "UPDATE remediations SET status = $1, credit = $2, proposed_credit = $3, decided_by = $4, \
             decided_at = $5, override_reason = $6 WHERE incident_id = $7 AND account_id = $8",
        )
        .bind(status.as_str().to_string())
        .bind(credit.clone())
        .bind(proposed.clone())
        .bind(d.actor.clone())
        .bind(at.clone())
        .bind(d.override_reason.clone())
        .bind(d.incident.clone())
        .bind(d.account.clone())
        .execute(&mut *w.tx)
        .await?;
        let after = RemediationRow {
            status,
            credit,
            proposed_credit: proposed,
            decided_by: Some(d.actor.clone()),
            decided_at: Some(at.clone()),
            override_reason: d.override_reason.clone(),
            ..before.clone()
        };
        let action = match (d.approve, d.override_reason.is_some()) {
            (true, false) => "remediation.approve",
            (false, false) => "remediation.reject",
            (true, true) => "remediation.approve_override",
            (false, true) => "remediation.reject_override",
        };
        w.audit(Record {
            at,
            actor: d.actor,
            action: action.into(),
            subject: format!("remediation/{}/{}", d.incident, d.account),
            before: Some(to_json(&before)?),
            after: Some(to_json(&after)?),
        })
        .await?;
        w.commit().await?;
        Ok(after)
    }

    // ----- root-cause summary and reviews ------------------------------------------------

    /// An incident's root-cause summary, if one was written.
    pub async fn rca(&self, incident: &str) -> Result<Option<RcaRow>> {
        let row = sqlx::query(&format!(
            "SELECT {RCA_COLUMNS} FROM rca_records WHERE incident_id = $1"
        ))
        .bind(incident.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rca_row).transpose()
    }

    /// Writes (or rewrites) an incident's root-cause summary. Once it was sent it is what the
    /// customers read, and it is refused.
    pub async fn put_rca(
        &self,
        incident: &str,
        record: &serde_json::Value,
        actor: &str,
    ) -> Result<RcaRow> {
        let mut w = self.begin_write().await?;
        require_incident(&mut w, incident).await?;
        let before = fetch_rca(&mut w, incident).await?;
        if let Some(sent) = before.as_ref().and_then(|b| b.sent_at.clone()) {
            return Err(StoreError::Conflict(format!(
                "the root-cause summary of {incident} was sent at {sent}; what customers read cannot be changed"
            )));
        }
        let at = now();
        // The WHERE keeps a summary sent in the meantime (another writer) frozen.
        let written = sqlx::query(
            "INSERT INTO rca_records (incident_id, record, written_at, written_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id) DO UPDATE SET \
             record = excluded.record, written_at = excluded.written_at, written_by = excluded.written_by \
             WHERE rca_records.sent_at IS NULL",
        )
        .bind(incident.to_string())
        .bind(to_json(record)?)
        .bind(at.clone())
        .bind(actor.to_string())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if written == 0 {
            return Err(StoreError::Conflict(format!(
                "the root-cause summary of {incident} was sent; what customers read cannot be changed"
            )));
        }
        let after = RcaRow {
            incident_id: incident.to_string(),
            record: record.clone(),
            written_at: at.clone(),
            written_by: actor.to_string(),
            sent_at: None,
            sent_by: None,
        };
        w.audit(Record {
            at,
            actor: actor.to_string(),
            action: "rca.write".into(),
            subject: format!("incident/{incident}/rca"),
            before: before.as_ref().map(to_json).transpose()?,
            after: Some(to_json(&after)?),
        })
        .await?;
        w.commit().await?;
        Ok(after)
    }

    /// Records that the root-cause summary was sent to the affected accounts, at `sent_at`
    /// (RFC 3339; now when `None`).
    pub async fn mark_rca_sent(
        &self,
        incident: &str,
        actor: &str,
        sent_at: Option<String>,
    ) -> Result<RcaRow> {
        let mut w = self.begin_write().await?;
        require_incident(&mut w, incident).await?;
        let existing = fetch_rca(&mut w, incident)
            .await?
            .ok_or_else(|| not_found("root-cause summary of incident", incident))?;
        if let Some(sent) = &existing.sent_at {
            return Err(StoreError::Conflict(format!(
                "the root-cause summary of {incident} was already recorded as sent at {sent}"
            )));
        }
        let at = sent_at.unwrap_or_else(now);
        // RETURNING gives the record as it is when it is marked: a write that committed since
        // the read above is what was sent, not the older text.
        let row = sqlx::query(&format!(
            "UPDATE rca_records SET sent_at = $1, sent_by = $2 WHERE incident_id = $3 AND sent_at IS NULL \
             RETURNING {RCA_COLUMNS}"
        ))
        .bind(at.clone())
        .bind(actor.to_string())
        .bind(incident.to_string())
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| {
            StoreError::Conflict(format!(
                "the root-cause summary of {incident} was already recorded as sent"
            ))
        })?;
        let after = rca_row(&row)?;
        let before = RcaRow {
            sent_at: None,
            sent_by: None,
            ..after.clone()
        };
        w.audit(Record {
            at: now(),
            actor: actor.to_string(),
            action: "rca.sent".into(),
            subject: format!("incident/{incident}/rca"),
            before: Some(to_json(&before)?),
            after: Some(to_json(&after)?),
        })
        .await?;
        w.commit().await?;
        Ok(after)
    }

    /// The closed review tasks of an incident, in the order they were closed.
    pub async fn review_closures(&self, incident: &str) -> Result<Vec<ReviewClosureRow>> {
        let rows = sqlx::query(
            "SELECT incident_id, task, closed_at, closed_by, note FROM review_closures \
             WHERE incident_id = $1 ORDER BY closed_at, task",
        )
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(review_closure_row).collect()
    }

    /// Closes a review task. A customer-facing task is refused until the root-cause summary
    /// was sent: a post-incident review that stays internal is not a closed loop.
    pub async fn close_review(&self, c: ReviewClosure) -> Result<ReviewClosureRow> {
        let mut w = self.begin_write().await?;
        require_incident(&mut w, &c.incident).await?;
        if c.customer_facing {
            let sent = fetch_rca(&mut w, &c.incident)
                .await?
                .and_then(|r| r.sent_at);
            if sent.is_none() {
                return Err(StoreError::Conflict(format!(
                    "review {:?} is customer-facing: it closes once the root-cause summary of {} has been sent",
                    c.task, c.incident
                )));
            }
        }
        let exists = sqlx::query(
            "SELECT closed_at FROM review_closures WHERE incident_id = $1 AND task = $2",
        )
        .bind(c.incident.clone())
        .bind(c.task.clone())
        .fetch_optional(&mut *w.tx)
        .await?;
        if let Some(row) = exists {
            let at: String = row.try_get("closed_at")?;
            return Err(StoreError::Conflict(format!(
                "review {:?} of {} was already closed at {at}",
                c.task, c.incident
            )));
        }
        let row = ReviewClosureRow {
            incident_id: c.incident.clone(),
            task: c.task.clone(),
            closed_at: now(),
            closed_by: c.actor.clone(),
            note: c.note.clone(),
        };
        let inserted = sqlx::query(
            "INSERT INTO review_closures (incident_id, task, closed_at, closed_by, note) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id, task) DO NOTHING",
        )
        .bind(row.incident_id.clone())
        .bind(row.task.clone())
        .bind(row.closed_at.clone())
        .bind(row.closed_by.clone())
        .bind(row.note.clone())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "review {:?} of {} was closed at the same time by someone else",
                c.task, c.incident
            )));
        }
        w.audit(Record {
            at: row.closed_at.clone(),
            actor: c.actor,
            action: "review.close".into(),
            subject: format!("incident/{}/review/{}", c.incident, c.task),
            before: None,
            after: Some(to_json(&row)?),
        })
        .await?;
        w.commit().await?;
        Ok(row)
    }

    // ----- tokens -------------------------------------------------------------------------

    /// Stores a new API token (its hash only) and audits its creation.
    pub async fn insert_token(&self, token: &TokenRow, actor: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, hash, role, person, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.id.clone())
        .bind(token.hash.clone())
        .bind(token.role.clone())
        .bind(token.person.clone())
        .bind(token.label.clone())
        .bind(token.created_at.clone())
        .execute(&mut *w.tx)
        .await?;
        let mut public = token.clone();
        public.hash = "(hash withheld)".into();
        w.audit(Record {
            at: token.created_at.clone(),
            actor: actor.to_string(),
            action: "token.create".into(),
            subject: format!("token/{}", token.id),
            before: None,
            after: Some(to_json(&public)?),
        })
        .await?;
        w.commit().await
    }

    /// The live (not revoked) token with this hash.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query(
            "SELECT id, hash, role, person, label, created_at FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(TokenRow {
                id: r.try_get("id")?,
                hash: r.try_get("hash")?,
                role: r.try_get("role")?,
                person: r.try_get("person")?,
                label: r.try_get("label")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    // ----- audit --------------------------------------------------------------------------

    /// A page of audit entries with `seq` greater than `after`.
    pub async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, before, after, prev_hash, hash FROM audit_log \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_row).collect()
    }

    /// Verifies the whole audit chain, reading it in pages.
    pub async fn verify_audit(&self) -> Result<Result<Verified, ChainBreak>> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self.audit_entries(after, 10_000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            all.extend(page);
        }
        Ok(audit::verify(&all))
    }
}

/// A write transaction with its place in the audit chain.
pub(crate) struct WriteTx<'s> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<tokio::sync::MutexGuard<'s, ()>>,
    backend: Backend,
    /// (last seq, last hash), read once per transaction under the audit lock.
    audit_head: Option<(i64, String)>,
    /// Chained entries not yet inserted: written many rows to a statement, at the latest
    /// when the transaction commits (nothing reads the trail inside a write).
    pending_audit: Vec<AuditEntry>,
}

/// Rows per multi-row statement. Each statement is a round trip to PostgreSQL, so fewer and
/// larger is faster, up to both backends' limit on bound parameters (PostgreSQL 65,535,
/// SQLite 32,766): 1,000 rows of at most 9 columns stay well under it.
pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

/// The PostgreSQL advisory lock key that serialises audit appends across processes.
const AUDIT_LOCK: i64 = 0x616d_656e_6473;

impl WriteTx<'_> {
    async fn audit(&mut self, record: Record) -> Result<()> {
        let (seq, prev) = match self.audit_head.take() {
            Some(head) => head,
            None => {
                if self.backend == Backend::Postgres {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)")
                        .bind(AUDIT_LOCK)
                        .execute(&mut *self.tx)
                        .await?;
                }
                let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *self.tx)
                    .await?;
                match row {
                    Some(r) => (r.try_get("seq")?, r.try_get("hash")?),
                    None => (0, GENESIS.to_string()),
                }
            }
        };
        let entry = AuditEntry::chain(seq + 1, &prev, record);
        self.audit_head = Some((entry.seq, entry.hash.clone()));
        self.pending_audit.push(entry);
        if self.pending_audit.len() >= ROWS_PER_STATEMENT {
            self.flush_audit().await?;
        }
        Ok(())
    }

    /// Inserts the pending audit entries.
    async fn flush_audit(&mut self) -> Result<()> {
        if self.pending_audit.is_empty() {
            return Ok(());
        }
        let entries = std::mem::take(&mut self.pending_audit);
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor, action, subject, before, after, prev_hash, hash) VALUES {}",
            outbox::placeholders(self.backend, entries.len(), 9)
        );
        let mut q = sqlx::query(&sql);
        for entry in entries {
            q = q
                .bind(entry.seq)
                .bind(entry.record.at)
                .bind(entry.record.actor)
                .bind(entry.record.action)
                .bind(entry.record.subject)
                .bind(entry.record.before)
                .bind(entry.record.after)
                .bind(entry.prev_hash)
                .bind(entry.hash);
        }
        q.execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn commit(mut self) -> Result<()> {
        self.flush_audit().await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// Merges a new plan's decisions into the stored remediations. A decision that is still
/// automatic or pending follows the plan; an approved or rejected one is never silently
/// recomputed: a different amount is recorded as a proposed adjustment for its approver.
async fn merge_remediations(
    w: &mut WriteTx<'_>,
    change: &IncidentChange,
    plan_version: i64,
    at: &str,
) -> Result<()> {
    let rows = sqlx::query(&format!(
        "SELECT {REMEDIATION_COLUMNS} FROM remediations WHERE incident_id = $1"
    ))
    .bind(change.id.clone())
    .fetch_all(&mut *w.tx)
    .await?;
    // Every audit entry of the merge: one remediation, what happened, before and after.
    let record =
        |account: &str, action: &str, before: Option<String>, after: Option<String>| Record {
            at: at.to_string(),
            actor: change.actor.clone(),
            action: action.to_string(),
            subject: format!("remediation/{}/{account}", change.id),
            before,
            after,
        };
    let mut existing = std::collections::BTreeMap::new();
    for r in &rows {
        let r = remediation_row(r)?;
        existing.insert(r.account_id.clone(), r);
    }
    // New decisions, inserted many to a statement after the loop (an incident of 100,000
    // accounts is 100,000 of them).
    let mut fresh: Vec<(&NewRemediation, RemediationStatus)> = Vec::new();
    for new in &change.remediations {
        let status = if new.automatic {
            RemediationStatus::Automatic
        } else {
            RemediationStatus::PendingApproval
        };
        match existing.remove(&new.account_id) {
            None => {
                fresh.push((new, status));
                w.audit(record(
                    &new.account_id,
                    "remediation.decide",
                    None,
                    Some(to_json(new)?),
                ))
                .await?;
            }
            Some(old) if old.status.is_settled() => {
                let proposed = (old.credit != new.credit).then(|| new.credit.clone());
                if proposed != old.proposed_credit {
                    sqlx::query(
                        "UPDATE remediations SET proposed_credit = $1, plan_version = $2 WHERE incident_id = $3 AND account_id = $4",
                    )
                    .bind(proposed.clone())
                    .bind(plan_version)
                    .bind(change.id.clone())
                    .bind(new.account_id.clone())
                    .execute(&mut *w.tx)
                    .await?;
                    w.audit(record(
                        &new.account_id,
                        "remediation.propose_adjustment",
                        Some(to_json(&old)?),
                        Some(to_json(new)?),
                    ))
                    .await?;
                }
            }
            Some(old) => {
                let same = old.rule == new.rule
                    && old.credit == new.credit
                    && old.approver == new.approver
                    && old.status == status;
                if !same {
                    sqlx::query(
                        "UPDATE remediations SET rule = $1, credit = $2, currency = $3, approver = $4, status = $5, \
                         plan_version = $6 WHERE incident_id = $7 AND account_id = $8",
                    )
                    .bind(new.rule)
                    .bind(new.credit.clone())
                    .bind(new.currency.clone())
                    .bind(new.approver.clone())
                    .bind(status.as_str().to_string())
                    .bind(plan_version)
                    .bind(change.id.clone())
                    .bind(new.account_id.clone())
                    .execute(&mut *w.tx)
                    .await?;
                    w.audit(record(
                        &new.account_id,
                        "remediation.decide",
                        Some(to_json(&old)?),
                        Some(to_json(new)?),
                    ))
                    .await?;
                }
            }
        }
    }
    for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO remediations (incident_id, account_id, rule, credit, currency, approver, status, plan_version) VALUES {}",
            outbox::placeholders(w.backend, chunk.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for (new, status) in chunk {
            q = q
                .bind(change.id.clone())
                .bind(new.account_id.clone())
                .bind(new.rule)
                .bind(new.credit.clone())
                .bind(new.currency.clone())
                .bind(new.approver.clone())
                .bind(status.as_str().to_string())
                .bind(plan_version);
        }
        q.execute(&mut *w.tx).await?;
    }
    // Accounts no longer affected: undecided remediations are withdrawn; settled ones stay,
    // flagged for their approver with a proposed credit of zero.
    for (account, old) in existing {
        let already_flagged =
            old.status.is_settled() && old.proposed_credit.as_deref() == Some("0");
        if old.status == RemediationStatus::Withdrawn || already_flagged {
            continue;
        }
        let (sql, action) = if old.status.is_settled() {
            (
                "UPDATE remediations SET proposed_credit = '0', plan_version = $1 WHERE incident_id = $2 AND account_id = $3",
                "remediation.propose_adjustment",
            )
        } else {
            (
                "UPDATE remediations SET status = 'withdrawn', plan_version = $1 WHERE incident_id = $2 AND account_id = $3",
                "remediation.withdraw",
            )
        };
        sqlx::query(sql)
            .bind(plan_version)
            .bind(change.id.clone())
            .bind(account.clone())
            .execute(&mut *w.tx)
            .await?;
        w.audit(record(&account, action, Some(to_json(&old)?), None))
            .await?;
    }
    Ok(())
}

const INCIDENT_COLUMNS_BY_ID: &str = "SELECT id, spec, status, severity, version, plan_version, created_at, updated_at \
     FROM incidents WHERE id = $1";

const REMEDIATION_COLUMNS: &str = "incident_id, account_id, rule, credit, currency, approver, status, proposed_credit, \
     decided_by, decided_at, override_reason, plan_version";

fn incident_row(r: &AnyRow) -> Result<IncidentRow> {
    Ok(IncidentRow {
        id: r.try_get("id")?,
        spec: r.try_get("spec")?,
        status: IncidentStatus::parse(&r.try_get::<String, _>("status")?)?,
        severity: r.try_get("severity")?,
        version: r.try_get("version")?,
        plan_version: r.try_get("plan_version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn plan_version_row(r: &AnyRow) -> Result<PlanVersionRow> {
    Ok(PlanVersionRow {
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        severity: r.try_get("severity")?,
        diff: from_json(&r.try_get::<String, _>("diff")?)?,
    })
}

fn remediation_row(r: &AnyRow) -> Result<RemediationRow> {
    Ok(RemediationRow {
        incident_id: r.try_get("incident_id")?,
        account_id: r.try_get("account_id")?,
        rule: r.try_get("rule")?,
        credit: r.try_get("credit")?,
        currency: r.try_get("currency")?,
        approver: r.try_get("approver")?,
        status: RemediationStatus::parse(&r.try_get::<String, _>("status")?)?,
        proposed_credit: r.try_get("proposed_credit")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        override_reason: r.try_get("override_reason")?,
        plan_version: r.try_get("plan_version")?,
    })
}

fn audit_row(r: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        record: Record {
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            subject: r.try_get("subject")?,
            before: r.try_get("before")?,
            after: r.try_get("after")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

fn page_of<T>(
    rows: Vec<AnyRow>,
    limit: i64,
    map: impl Fn(&AnyRow) -> Result<T>,
) -> Result<Page<T>> {
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    let keep = usize::try_from(limit).unwrap_or(usize::MAX).min(rows.len());
    let next = if more {
        Some(rows[keep - 1].try_get::<String, _>("id")?)
    } else {
        None
    };
    let items = rows[..keep].iter().map(map).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next })
}

const RCA_COLUMNS: &str = "incident_id, record, written_at, written_by, sent_at, sent_by";

async fn require_incident(w: &mut WriteTx<'_>, incident: &str) -> Result<()> {
    sqlx::query("SELECT id FROM incidents WHERE id = $1")
        .bind(incident.to_string())
        .fetch_optional(&mut *w.tx)
        .await?
        .map(|_| ())
        .ok_or_else(|| not_found("incident", incident))
}

async fn fetch_rca(w: &mut WriteTx<'_>, incident: &str) -> Result<Option<RcaRow>> {
    let row = sqlx::query(&format!(
        "SELECT {RCA_COLUMNS} FROM rca_records WHERE incident_id = $1"
    ))
    .bind(incident.to_string())
    .fetch_optional(&mut *w.tx)
    .await?;
    row.as_ref().map(rca_row).transpose()
}

fn rca_row(r: &AnyRow) -> Result<RcaRow> {
    Ok(RcaRow {
        incident_id: r.try_get("incident_id")?,
        record: from_json(&r.try_get::<String, _>("record")?)?,
        written_at: r.try_get("written_at")?,
        written_by: r.try_get("written_by")?,
        sent_at: r.try_get("sent_at")?,
        sent_by: r.try_get("sent_by")?,
    })
}

fn review_closure_row(r: &AnyRow) -> Result<ReviewClosureRow> {
    Ok(ReviewClosureRow {
        incident_id: r.try_get("incident_id")?,
        task: r.try_get("task")?,
        closed_at: r.try_get("closed_at")?,
        closed_by: r.try_get("closed_by")?,
        note: r.try_get("note")?,
    })
}

fn not_found(what: &'static str, id: &str) -> StoreError {
    StoreError::NotFound {
        what,
        id: id.to_string(),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A database URL with any password replaced, safe to print and log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
