-- Claiming takes the oldest due jobs first. The first outbox index, (status, due_ms), made
-- every claim collect and sort all due jobs to take the first few (and, with its OR over
-- expired leases, often scan the table): with 100,000 jobs waiting that was most of a
-- worker's time. Each kind of claimable job now has an index in the order it is claimed,
-- over those rows only, so a claim reads the rows it takes and stops.
DROP INDEX outbox_jobs_due;
CREATE INDEX outbox_jobs_waiting ON outbox_jobs (due_ms, id) WHERE status = 'queued';
CREATE INDEX outbox_jobs_leased ON outbox_jobs (lease_ms, id) WHERE status = 'sending';
