-- The outbox: every planned message, page or task is a job with a due time and an
-- idempotency key. Jobs wait here only until delivered (then they move, as a key and a
-- receipt, to outbox_delivered) so the queue stays small without relying on vacuum.
-- Times are Unix milliseconds, so that they compare as numbers.

CREATE TABLE outbox_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,
    incident_id  TEXT NOT NULL,
    channel      TEXT NOT NULL,
    due_ms       BIGINT NOT NULL,
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    lease_ms     BIGINT,
    last_error   TEXT,
    payload      TEXT NOT NULL
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (status, due_ms);
CREATE INDEX outbox_jobs_incident ON outbox_jobs (incident_id);

CREATE TABLE outbox_delivered (
    key           TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    channel       TEXT NOT NULL,
    delivered_ms  BIGINT NOT NULL,
    attempts      BIGINT NOT NULL,
    receipt       TEXT
);
CREATE INDEX outbox_delivered_incident ON outbox_delivered (incident_id);
