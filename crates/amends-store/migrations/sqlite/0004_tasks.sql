-- Work for a person: a call to make, a text to send by hand, a chat message to post, when no
-- provider is configured for the channel. Created by the outbox's task channel (keyed like
-- the job, so a retried delivery creates it once), closed by the person who did it.

CREATE TABLE tasks (
    key          TEXT PRIMARY KEY,
    incident_id  TEXT NOT NULL,
    person       TEXT NOT NULL,
    via          TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    done_ms      BIGINT,
    done_by      TEXT
);
CREATE INDEX tasks_open ON tasks (done_ms, created_ms);
