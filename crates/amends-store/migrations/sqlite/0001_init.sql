-- amends schema v1 (SQLite). Timestamps are RFC 3339 UTC text; JSON documents are text.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE incidents (
    id            TEXT PRIMARY KEY,
    spec          TEXT NOT NULL,
    status        TEXT NOT NULL,
    severity      TEXT NOT NULL,
    version       BIGINT NOT NULL,
    plan_version  BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE incident_events (
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    seq          BIGINT NOT NULL,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);

CREATE TABLE plan_versions (
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    version      BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    severity     TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    plan         TEXT NOT NULL,
    diff         TEXT NOT NULL,
    PRIMARY KEY (incident_id, version)
);

CREATE TABLE remediations (
    incident_id      TEXT NOT NULL REFERENCES incidents (id),
    account_id       TEXT NOT NULL,
    rule             BIGINT NOT NULL,
    credit           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    approver         TEXT NOT NULL,
    status           TEXT NOT NULL,
    proposed_credit  TEXT,
    decided_by       TEXT,
    decided_at       TEXT,
    override_reason  TEXT,
    plan_version     BIGINT NOT NULL,
    PRIMARY KEY (incident_id, account_id)
);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    person      TEXT,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- The audit trail is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
