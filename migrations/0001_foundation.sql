-- Foundation: numbering, chambers and desks, registry, accounts, jobs, outbox, audit.
-- Conventions (both engines): ids are UUID v7 text; instants are UTC RFC 3339 text with
-- microseconds; dates are YYYY-MM-DD text; money is integer cents; flags are 0/1 integers.

CREATE TABLE counters (
    scope TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE chambers (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    pec TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE desks (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX desks_chamber ON desks (chamber_id);

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    tax_code TEXT NOT NULL UNIQUE,
    vat_number TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'ceased')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE company_annual_fees (
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    PRIMARY KEY (company_id, year)
);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    site_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('head_office', 'local_unit')),
    province TEXT NOT NULL,
    rea_number TEXT NOT NULL,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    municipality TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (company_id, site_key)
);
CREATE INDEX sites_rea ON sites (province, rea_number);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    chamber_id TEXT REFERENCES chambers (id),
    active BIGINT NOT NULL DEFAULT 1,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    last_login_at TEXT
);

CREATE TABLE user_desks (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    desk_id TEXT NOT NULL REFERENCES desks (id),
    PRIMARY KEY (user_id, desk_id)
);

CREATE TABLE user_companies (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies (id),
    PRIMARY KEY (user_id, company_id)
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    acting_company_id TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
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
CREATE INDEX jobs_due ON jobs (status, run_at);

CREATE TABLE job_schedules (
    name TEXT PRIMARY KEY,
    cron TEXT NOT NULL,
    next_run_at TEXT NOT NULL,
    last_run_at TEXT
);

CREATE TABLE outbox_emails (
    id TEXT PRIMARY KEY,
    chamber_id TEXT REFERENCES chambers (id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_to TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_status ON outbox_emails (status);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor TEXT NOT NULL,
    chamber_id TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log (entity_type, entity_id);
CREATE INDEX audit_actor ON audit_log (actor_id);
CREATE INDEX audit_at ON audit_log (at);
