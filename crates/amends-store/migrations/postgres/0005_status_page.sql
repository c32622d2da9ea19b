-- The built-in status page. Tokens are never stored: only their SHA-256 (hex), so a copy of
-- the database cannot confirm, unsubscribe or read a private page on anyone's behalf.

-- One row per delivered status post, keyed by its outbox job's idempotency key, so a retried
-- delivery records (and announces) a post once. State, title and components are frozen as
-- they were when it was posted; `forwarded_ms` is set once Atlassian Statuspage has it.
CREATE TABLE status_posts (
    key           TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    step          TEXT NOT NULL,
    state         TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    components    TEXT NOT NULL,
    due_ms        BIGINT NOT NULL,
    posted_ms     BIGINT NOT NULL,
    forwarded_ms  BIGINT
);
CREATE INDEX status_posts_posted ON status_posts (posted_ms);
CREATE INDEX status_posts_incident ON status_posts (incident_id, due_ms);

-- Email subscribers by component (a JSON array; empty means every component). A row is
-- pending until its confirmation token is used (double opt-in); only confirmed rows receive
-- anything. `link_ref` is a random public handle from which the unsubscribe token is derived
-- with the server's link secret (HMAC), so every notification can carry a working one-click
-- link while the database holds only the token's hash.
CREATE TABLE status_subscribers (
    id                BIGSERIAL PRIMARY KEY,
    email             TEXT NOT NULL,
    email_key         TEXT NOT NULL,
    components        TEXT NOT NULL,
    link_ref          TEXT NOT NULL UNIQUE,
    confirm_hash      TEXT UNIQUE,
    unsubscribe_hash  TEXT NOT NULL UNIQUE,
    created_ms        BIGINT NOT NULL,
    confirmed_ms      BIGINT
);
CREATE INDEX status_subscribers_email ON status_subscribers (email_key);
CREATE INDEX status_subscribers_confirmed ON status_subscribers (confirmed_ms);

-- One private page per account: the hash of its current token (issuing a new one replaces it).
CREATE TABLE status_private_tokens (
    account_id  TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

-- The Atlassian Statuspage incident of each amends incident. A row with no `statuspage_id`
-- is a claim: one worker is creating it (since `claimed_ms`), the others wait.
CREATE TABLE statuspage_incidents (
    incident_id    TEXT PRIMARY KEY,
    statuspage_id  TEXT,
    claimed_ms     BIGINT NOT NULL
);
