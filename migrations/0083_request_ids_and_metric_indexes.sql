-- Operability (issue 14, item 6). The request that enqueued a job or an e-mail, so the
-- worker's log lines for it carry the same request_id as the request's own (NULL for work a
-- schedule started). And the indexes the /metrics gauges read at every scrape, each a range
-- of an index bounded by the work in flight: open practices by state and chamber, jobs not
-- done by state and kind, the outbox's waiting e-mails and the oldest of them, the throttles
-- tripped in each scope.
ALTER TABLE jobs ADD COLUMN request_id TEXT;
ALTER TABLE outbox_emails ADD COLUMN request_id TEXT;

CREATE INDEX practices_status_chamber ON practices (status, chamber_id);
CREATE INDEX jobs_status_kind ON jobs (status, kind);
CREATE INDEX outbox_status_created ON outbox_emails (status, created_at);
CREATE INDEX throttles_scope_window ON throttles (scope, window_start, attempts);
