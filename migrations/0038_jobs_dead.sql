-- A job that runs out of attempts is parked as 'dead' (the status was 'failed'), whether its
-- last attempt returned an error or its worker died while running it. SQLite cannot change a
-- CHECK in place, so the table is rebuilt, the same way on both engines.

CREATE TABLE jobs_next (
    id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    run_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_until TEXT,
    locked_by TEXT,
    last_error TEXT,
    dedupe_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    finished_at TEXT
);

INSERT INTO jobs_next (id, kind, payload, status, run_at, attempts, max_attempts, locked_until,
    locked_by, last_error, dedupe_key, created_at, finished_at)
SELECT id, kind, payload, status, run_at, attempts, max_attempts, locked_until, locked_by,
    last_error, dedupe_key, created_at, finished_at
FROM jobs WHERE status IN ('queued', 'running', 'done');

INSERT INTO jobs_next (id, kind, payload, status, run_at, attempts, max_attempts, locked_until,
    locked_by, last_error, dedupe_key, created_at, finished_at)
SELECT id, kind, payload, 'dead', run_at, attempts, max_attempts, locked_until, locked_by,
    last_error, dedupe_key, created_at, finished_at
FROM jobs WHERE status = 'failed';

DROP TABLE jobs;
ALTER TABLE jobs_next RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (status, run_at);
