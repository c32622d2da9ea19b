-- Deadline alarms: a step whose customer messages are not all delivered by their deadline
-- (due time + grace) is recorded once as at risk (shortly before) and once as missed, for the
-- incident owner's alarm and for the effectiveness reports. Times are Unix milliseconds.

CREATE TABLE deadline_misses (
    incident_id  TEXT NOT NULL,
    step         TEXT NOT NULL,
    occurrence   BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    due_ms       BIGINT NOT NULL,
    deadline_ms  BIGINT NOT NULL,
    pending      BIGINT NOT NULL,
    recorded_ms  BIGINT NOT NULL,
    PRIMARY KEY (incident_id, step, occurrence, kind)
);
