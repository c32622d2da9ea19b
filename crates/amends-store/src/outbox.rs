//! The outbox: durable jobs for everything amends sends, so that nothing planned is lost
//! and nothing is sent twice as its recipient sees it.
//!
//! A job is keyed by an idempotency key (incident, account, step, occurrence, contact). Workers
//! *claim* due jobs with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several workers
//! share the queue without taking the same job; SQLite: its single writer), deliver them
//! passing the key to the channel (the webhook id, the email Message-ID), and *complete* them:
//! the job leaves the queue and its key is kept in `outbox_delivered`, so the same key is
//! never queued again. A worker that dies mid-send leaves a job whose lease expires; another
//! worker sends it again under the same key, and a de-duplicating recipient sees it once.
//! Failures are retried with exponential backoff and jitter, decided by the caller; a job that
//! keeps failing is *dead*: kept, visible and retried only by hand.
//!
//! Architecture Invariant: the queue holds only undelivered jobs. Delivered ones are deleted
//! in the same transaction that records their key, so the table stays small by design (this
//! machine's PostgreSQL runs without autovacuum).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Result, Store};

/// A job to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The idempotency key: the same message always has the same key.
    pub key: String,
    /// The incident it belongs to.
    pub incident_id: String,
    /// The channel adapter that delivers it (`webhook`, `email` …).
    pub channel: String,
    /// When it is due, Unix milliseconds.
    pub due_ms: i64,
    /// What the channel needs (JSON): recipient, rendered text …
    pub payload: String,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Row id (for completing or failing it).
    pub id: i64,
    /// The idempotency key.
    pub key: String,
    /// The incident.
    pub incident_id: String,
    /// The channel adapter.
    pub channel: String,
    /// When it was due.
    pub due_ms: i64,
    /// Delivery attempts so far, this one included.
    pub attempts: i64,
    /// What the channel needs.
    pub payload: String,
}

/// A job that keeps failing, kept for a person to look at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadJob {
    /// The idempotency key.
    pub key: String,
    /// The incident.
    pub incident_id: String,
    /// The channel.
    pub channel: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
}

/// What queuing a plan's jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enqueued {
    /// New jobs.
    pub queued: u64,
    /// Jobs still waiting whose due time or payload the re-plan changed.
    pub updated: u64,
    /// Jobs already delivered: not queued again.
    pub already_delivered: u64,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    /// Waiting (due or not).
    pub queued: i64,
    /// Claimed by a worker.
    pub sending: i64,
    /// Failed for good.
    pub dead: i64,
    /// Delivered.
    pub delivered: i64,
}

/// The PostgreSQL advisory lock that keeps completions out of a queuing or a cancelling:
/// each of those checks the delivered keys and the queue in several statements, and a
/// completion slipping between them would let a delivered key be queued again. Queuing and
/// cancelling take it exclusively; completions take it shared, so that they do not wait for
/// one another (two completions of one key are settled by its row and `ON CONFLICT`), and
/// their commits, each waiting for its WAL flush, overlap. (SQLite has one writer anyway.)
const OUTBOX_LOCK: i64 = 0x6f75_7462_6f78;

/// How a transaction holds [`OUTBOX_LOCK`].
#[derive(Clone, Copy)]
enum Hold {
    /// Queuing or cancelling: alone.
    Exclusive,
    /// Completing: beside other completions.
    Shared,
}

async fn lock_outbox(w: &mut crate::WriteTx<'_>, hold: Hold) -> Result<()> {
    if w.backend == Backend::Postgres {
        let sql = match hold {
            Hold::Exclusive => "SELECT pg_advisory_xact_lock($1)",
            Hold::Shared => "SELECT pg_advisory_xact_lock_shared($1)",
        };
        sqlx::query(sql)
            .bind(OUTBOX_LOCK)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Queues jobs, all or nothing. A key already delivered is not queued again; a key still
    /// waiting gets the new due time and payload (a re-plan moved or re-rendered it); a key
    /// being sent is left alone.
    pub async fn enqueue(&self, jobs: &[NewJob]) -> Result<Enqueued> {
        let mut w = self.begin_write().await?;
        lock_outbox(&mut w, Hold::Exclusive).await?;
        let summary = enqueue_in(&mut w, jobs).await?;
        w.commit().await?;
        Ok(summary)
    }

    /// A re-plan of one incident, all or nothing: queues `jobs` as [`Store::enqueue`] does
    /// and cancels the incident's jobs whose keys are not among them, waiting or dead (a dead
    /// job of an account no longer affected must not be retried by hand into its inbox).
    /// Returns what was queued and how many were cancelled.
    pub async fn replan_jobs(&self, incident: &str, jobs: &[NewJob]) -> Result<(Enqueued, u64)> {
        let mut w = self.begin_write().await?;
        let done = replan_in(&mut w, incident, jobs).await?;
        w.commit().await?;
        Ok(done)
    }

    /// [`Store::enqueue`] for the next occurrences of an incident's repeating steps, planned
    /// from incident version `version`, applied only if that is still the incident's version
    /// (`None`: a change got there first and queued its own plan's jobs). The engine extends
    /// an open incident this way without a new version; taking the outbox lock before reading
    /// the version orders it against a concurrent change, which takes the same lock to queue
    /// its jobs. The jobs are a part of the plan, not all of it, so nothing else is cancelled
    /// but the waiting or dead jobs of `superseded` (occurrences of a repeating step that a
    /// later one made pointless while no worker sent them; a dead one must not be retried by
    /// hand either). One being sent is left to finish.
    pub async fn extend_jobs(
        &self,
        incident: &str,
        version: i64,
        jobs: &[NewJob],
        superseded: &[String],
    ) -> Result<Option<Enqueued>> {
        let mut w = self.begin_write().await?;
        lock_outbox(&mut w, Hold::Exclusive).await?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT version FROM incidents WHERE id = $1")
                .bind(incident.to_string())
                .fetch_optional(&mut *w.tx)
                .await?;
        if current != Some(version) {
            return Ok(None);
        }
        for chunk in superseded.chunks(crate::ROWS_PER_STATEMENT) {
            let keys = placeholders(self.backend, chunk.len(), 1);
            let sql = format!(
                "DELETE FROM outbox_jobs WHERE status IN ('queued', 'dead') AND key IN ({keys}) AND incident_id = {}",
                match self.backend {
                    Backend::Sqlite => "?".to_string(),
                    Backend::Postgres => format!("${}", chunk.len() + 1),
                }
            );
            let mut q = sqlx::query(&sql);
            for key in chunk {
                q = q.bind(key.clone());
            }
            q.bind(incident.to_string()).execute(&mut *w.tx).await?;
        }
        let done = enqueue_in(&mut w, jobs).await?;
        w.commit().await?;
        Ok(Some(done))
    }

    /// Removes an incident's waiting jobs whose keys are not in `keep` (a re-plan dropped
    /// them: the account is no longer affected, an "if unresolved" update is moot). A job
    /// being sent is not touched. Returns how many were cancelled.
    pub async fn cancel_jobs_except(&self, incident: &str, keep: &[String]) -> Result<u64> {
        let mut w = self.begin_write().await?;
        lock_outbox(&mut w, Hold::Exclusive).await?;
        let cancelled = cancel_in(&mut w, incident, keep, &["queued"]).await?;
        w.commit().await?;
        Ok(cancelled)
    }
}

/// [`Store::replan_jobs`] inside a caller's transaction (an incident change writes its plan
/// and its jobs together).
pub(crate) async fn replan_in(
    w: &mut crate::WriteTx<'_>,
    incident: &str,
    jobs: &[NewJob],
) -> Result<(Enqueued, u64)> {
    lock_outbox(w, Hold::Exclusive).await?;
    let summary = enqueue_in(w, jobs).await?;
    let keep: Vec<String> = jobs.iter().map(|j| j.key.clone()).collect();
    let cancelled = cancel_in(w, incident, &keep, &["queued", "dead"]).await?;
    Ok((summary, cancelled))
}

/// [`Store::enqueue`] within another write of the store (a subscription request and its
/// confirmation email), holding the outbox lock as a queuing does.
pub(crate) async fn enqueue_within(
    w: &mut crate::WriteTx<'_>,
    jobs: &[NewJob],
) -> Result<Enqueued> {
    lock_outbox(w, Hold::Exclusive).await?;
    enqueue_in(w, jobs).await
}

async fn enqueue_in(w: &mut crate::WriteTx<'_>, jobs: &[NewJob]) -> Result<Enqueued> {
    {
        let mut summary = Enqueued::default();
        for chunk in jobs.chunks(crate::ROWS_PER_STATEMENT) {
            let keys = placeholders(w.backend, chunk.len(), 1);
            let sql = format!("SELECT key FROM outbox_delivered WHERE key IN ({keys})");
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for j in chunk {
                q = q.bind(j.key.clone());
            }
            let delivered: std::collections::HashSet<String> =
                q.fetch_all(&mut *w.tx).await?.into_iter().collect();
            // What is in the queue already, in one read through the key's unique index (a
            // status condition here let PostgreSQL, with no statistics on a table filling up
            // in this very transaction, scan the queued rows instead: 16 s for 20,000 jobs).
            let sql = format!(
                "SELECT key, status, due_ms, payload FROM outbox_jobs WHERE key IN ({keys})"
            );
            let mut q = sqlx::query(&sql);
            for j in chunk {
                q = q.bind(j.key.clone());
            }
            let mut existing = std::collections::HashSet::new();
            // What waits, with its due time and payload: a re-plan that changes neither
            // writes nothing for it.
            let mut waiting: std::collections::HashMap<String, (i64, String)> =
                std::collections::HashMap::new();
            for r in q.fetch_all(&mut *w.tx).await? {
                let key: String = r.try_get("key")?;
                let status: String = r.try_get("status")?;
                if status == "queued" {
                    waiting.insert(key.clone(), (r.try_get("due_ms")?, r.try_get("payload")?));
                }
                existing.insert(key);
            }
            let fresh: Vec<&NewJob> = chunk
                .iter()
                .filter(|j| !delivered.contains(&j.key) && !existing.contains(&j.key))
                .collect();
            summary.already_delivered += delivered.len() as u64;
            if !fresh.is_empty() {
                let rows = placeholders(w.backend, fresh.len(), 5);
                // Both backends name the columns of a VALUES list column1, column2 ….
                let sql = format!(
                    "INSERT INTO outbox_jobs (key, incident_id, channel, due_ms, payload, status) \
                     SELECT column1, column2, column3, column4, column5, 'queued' FROM (VALUES {rows}) AS v"
                );
                let mut q = sqlx::query(&sql);
                for j in &fresh {
                    q = q
                        .bind(j.key.clone())
                        .bind(j.incident_id.clone())
                        .bind(j.channel.clone())
                        .bind(j.due_ms)
                        .bind(j.payload.clone());
                }
                q.execute(&mut *w.tx).await?;
                summary.queued += fresh.len() as u64;
            }
            let changed = |j: &&NewJob| {
                waiting
                    .get(&j.key)
                    .is_some_and(|(due, payload)| *due != j.due_ms || *payload != j.payload)
            };
            for j in chunk.iter().filter(changed) {
                summary.updated += sqlx::query(
                    "UPDATE outbox_jobs SET due_ms = $1, payload = $2 WHERE key = $3 AND status = 'queued'",
                )
                .bind(j.due_ms)
                .bind(j.payload.clone())
                .bind(j.key.clone())
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
            }
        }
        Ok(summary)
    }
}

/// Deletes the incident's jobs in `statuses` whose keys are not in `keep`.
async fn cancel_in(
    w: &mut crate::WriteTx<'_>,
    incident: &str,
    keep: &[String],
    statuses: &[&str],
) -> Result<u64> {
    // Two or three statuses, numbered after the incident's `$1` (not `?`: see placeholders).
    let list = (2..2 + statuses.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("SELECT id, key FROM outbox_jobs WHERE incident_id = $1 AND status IN ({list})");
    let mut q = sqlx::query(&sql).bind(incident.to_string());
    for s in statuses {
        q = q.bind(s.to_string());
    }
    let candidates: Vec<(i64, String)> = q
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("key")?)))
        .collect::<Result<_>>()?;
    let keep: std::collections::HashSet<&str> = keep.iter().map(String::as_str).collect();
    let mut cancelled = 0;
    for (id, key) in candidates {
        if !keep.contains(key.as_str()) {
            sqlx::query("DELETE FROM outbox_jobs WHERE id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            cancelled += 1;
        }
    }
    Ok(cancelled)
}

impl Store {
    /// Claims up to `limit` jobs due at `now_ms` (or whose previous claim's lease expired),
    /// leasing them until `now_ms + lease_ms`. Two workers never hold the same job at once.
    ///
    /// Jobs whose lease ran out (their worker died mid-send) are taken first, then waiting
    /// jobs in due order; each kind is read through its own index in that order (migration
    /// 0007), so a claim costs the rows it takes however long the queue is.
    pub async fn claim(&self, now_ms: i64, lease_ms: i64, limit: i64) -> Result<Vec<Job>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let take = |which: &str, order: &str| {
            format!(
                "UPDATE outbox_jobs SET status = 'sending', lease_ms = $1, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM outbox_jobs WHERE {which} \
                     ORDER BY {order}, id LIMIT $3{lock}) \
                 RETURNING id, key, incident_id, channel, due_ms, attempts, payload"
            )
        };
        let expired = take("status = 'sending' AND lease_ms < $2", "lease_ms");
        let waiting = take("status = 'queued' AND due_ms <= $2", "due_ms");
        let mut w = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // A claim need not survive a crash of the database server: lost, it only makes
            // its jobs claimable again, to be sent again under the same keys, which a crash
            // of the worker does anyway. Not waiting for its WAL flush halves the flushes per
            // batch; a completion's commit, which waits, flushes the claim's WAL before it.
            sqlx::query("SET LOCAL synchronous_commit = off")
                .execute(&mut *w.tx)
                .await?;
        }
        let mut rows = sqlx::query(&expired)
            .bind(now_ms + lease_ms)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&mut *w.tx)
            .await?;
        let room = limit - rows.len() as i64;
        if room > 0 {
            rows.extend(
                sqlx::query(&waiting)
                    .bind(now_ms + lease_ms)
                    .bind(now_ms)
                    .bind(room)
                    .fetch_all(&mut *w.tx)
                    .await?,
            );
        }
        w.commit().await?;
        let mut jobs = rows.iter().map(job_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.due_ms, j.id));
        Ok(jobs)
    }

    /// Records delivered jobs: each key joins `outbox_delivered` with its receipt and the job
    /// leaves the queue, in one transaction.
    pub async fn complete(&self, done: &[(&Job, Option<String>)], now_ms: i64) -> Result<()> {
        if done.is_empty() {
            return Ok(());
        }
        // Completions run side by side (see OUTBOX_LOCK). Two holding the same keys (a lease
        // ran out and the job was sent again) take them in the same order, so one waits for
        // the other instead of each waiting for the other.
        let mut done: Vec<&(&Job, Option<String>)> = done.iter().collect();
        done.sort_by(|a, b| a.0.key.cmp(&b.0.key));
        let mut w = self.begin_write().await?;
        lock_outbox(&mut w, Hold::Shared).await?;
        for chunk in done.chunks(crate::ROWS_PER_STATEMENT) {
            let rows = placeholders(self.backend, chunk.len(), 6);
            let sql = format!(
                "INSERT INTO outbox_delivered (key, incident_id, channel, delivered_ms, attempts, receipt) \
                 VALUES {rows} ON CONFLICT (key) DO NOTHING"
            );
            let mut q = sqlx::query(&sql);
            for (job, receipt) in chunk.iter().copied() {
                q = q
                    .bind(job.key.clone())
                    .bind(job.incident_id.clone())
                    .bind(job.channel.clone())
                    .bind(now_ms)
                    .bind(job.attempts)
                    .bind(receipt.clone());
            }
            q.execute(&mut *w.tx).await?;
            let ids = placeholders(self.backend, chunk.len(), 1);
            let sql = format!("DELETE FROM outbox_jobs WHERE id IN ({ids})");
            let mut q = sqlx::query(&sql);
            for (job, _) in chunk.iter().copied() {
                q = q.bind(job.id);
            }
            q.execute(&mut *w.tx).await?;
        }
        w.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: the job waits until `retry_at_ms`, or is dead when `None`.
    pub async fn fail(&self, job: &Job, error: &str, retry_at_ms: Option<i64>) -> Result<()> {
        let mut w = self.begin_write().await?;
        let (status, due) = match retry_at_ms {
            Some(at) => ("queued", at),
            None => ("dead", job.due_ms),
        };
        sqlx::query(
            "UPDATE outbox_jobs SET status = $1, due_ms = $2, lease_ms = NULL, last_error = $3 WHERE id = $4",
        )
        .bind(status.to_string())
        .bind(due)
        .bind(error.to_string())
        .bind(job.id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// The dead jobs, oldest first.
    pub async fn dead_jobs(&self) -> Result<Vec<DeadJob>> {
        let rows = sqlx::query(
            "SELECT key, incident_id, channel, attempts, last_error FROM outbox_jobs \
             WHERE status = 'dead' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadJob {
                    key: r.try_get("key")?,
                    incident_id: r.try_get("incident_id")?,
                    channel: r.try_get("channel")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }

    /// Puts a dead job back in the queue, due at `now_ms`, with its attempts reset. Returns
    /// whether there was such a dead job.
    pub async fn retry_dead(&self, key: &str, now_ms: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE outbox_jobs SET status = 'queued', due_ms = $1, attempts = 0 WHERE key = $2 AND status = 'dead'",
        )
        .bind(now_ms)
        .bind(key.to_string())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Jobs per state.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM outbox_jobs GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let mut c = OutboxCounts::default();
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("status")?.as_str() {
                "queued" => c.queued = n,
                "sending" => c.sending = n,
                _ => c.dead = n,
            }
        }
        c.delivered = sqlx::query_scalar("SELECT COUNT(*) FROM outbox_delivered")
            .fetch_one(&self.pool)
            .await?;
        Ok(c)
    }

    /// The delivered keys of an incident with when, in delivery order.
    pub async fn delivered(&self, incident: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT key, delivered_ms FROM outbox_delivered WHERE incident_id = $1 ORDER BY delivered_ms, key",
        )
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("key")?, r.try_get("delivered_ms")?)))
            .collect()
    }
}

/// Work for a person (a call, a text sent by hand).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Task {
    /// The key of the job that created it.
    pub key: String,
    /// The incident.
    pub incident_id: String,
    /// Who does it (a name from the playbook or the account's contact).
    pub person: String,
    /// How (`phone`, `sms`, `chat`).
    pub via: String,
    /// What to do, in a line.
    pub title: String,
    /// What to say.
    pub body: String,
    /// When it was created, Unix milliseconds.
    pub created_ms: i64,
    /// When it was done, and by whom.
    pub done: Option<(i64, String)>,
}

impl Store {
    /// Creates a task once per key (a retried delivery creates nothing new). Returns whether
    /// it was new.
    pub async fn add_task(&self, task: &Task) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "INSERT INTO tasks (key, incident_id, person, via, title, body, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING",
        )
        .bind(task.key.clone())
        .bind(task.incident_id.clone())
        .bind(task.person.clone())
        .bind(task.via.clone())
        .bind(task.title.clone())
        .bind(task.body.clone())
        .bind(task.created_ms)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Open tasks, oldest first.
    pub async fn open_tasks(&self) -> Result<Vec<Task>> {
        let rows = sqlx::query(
            "SELECT key, incident_id, person, via, title, body, created_ms, done_ms, done_by \
             FROM tasks WHERE done_ms IS NULL ORDER BY created_ms, key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_row).collect()
    }

    /// Marks a task done. Returns whether there was such an open task.
    pub async fn complete_task(&self, key: &str, actor: &str, now_ms: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE tasks SET done_ms = $1, done_by = $2 WHERE key = $3 AND done_ms IS NULL",
        )
        .bind(now_ms)
        .bind(actor.to_string())
        .bind(key.to_string())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }
}

fn task_row(r: &AnyRow) -> Result<Task> {
    let done_ms: Option<i64> = r.try_get("done_ms")?;
    let done_by: Option<String> = r.try_get("done_by")?;
    Ok(Task {
        key: r.try_get("key")?,
        incident_id: r.try_get("incident_id")?,
        person: r.try_get("person")?,
        via: r.try_get("via")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        created_ms: r.try_get("created_ms")?,
        done: done_ms.zip(done_by),
    })
}

/// The parameters of a multi-row statement: `($1, $2), ($3, $4)` for `rows` rows of `width`
/// parameters on PostgreSQL (a single column gives `$1, $2, $3`), and the same shape with
/// anonymous `?` on SQLite. SQLite finds a numbered parameter's name by a linear search, and
/// sqlx asks for every parameter's name while binding: on a statement of 1,200 parameters
/// that search took a sixth of the whole delivery engine's time. Anonymous parameters have no
/// name to search for, and are bound in order, so a statement using them must use no other kind.
pub(crate) fn placeholders(backend: Backend, rows: usize, width: usize) -> String {
    let param = |i: usize| match backend {
        Backend::Postgres => format!("${i}"),
        Backend::Sqlite => "?".to_string(),
    };
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = (0..width).map(|c| param(1 + r * width + c)).collect();
            if width == 1 {
                cols.join(", ")
            } else {
                format!("({})", cols.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn job_row(r: &AnyRow) -> Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        incident_id: r.try_get("incident_id")?,
        channel: r.try_get("channel")?,
        due_ms: r.try_get("due_ms")?,
        attempts: r.try_get("attempts")?,
        payload: r.try_get("payload")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_and_columns() {
        assert_eq!(placeholders(Backend::Postgres, 3, 1), "$1, $2, $3");
        assert_eq!(placeholders(Backend::Postgres, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
