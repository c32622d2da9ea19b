-- The customer-facing root-cause summary of an incident (entered once, JSON as checked by
-- amends-messages) and when it was sent; and the closing of post-incident review tasks.
-- A customer-facing review cannot be closed before the summary was sent (enforced by the
-- store in the same transaction as the closing).

CREATE TABLE rca_records (
    incident_id  TEXT PRIMARY KEY REFERENCES incidents (id),
    record       TEXT NOT NULL,
    written_at   TEXT NOT NULL,
    written_by   TEXT NOT NULL,
    sent_at      TEXT,
    sent_by      TEXT
);

CREATE TABLE review_closures (
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    task         TEXT NOT NULL,
    closed_at    TEXT NOT NULL,
    closed_by    TEXT NOT NULL,
    note         TEXT,
    PRIMARY KEY (incident_id, task)
);
