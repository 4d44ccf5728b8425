-- Webhooks: a company's ERP asks to be told when its practices change state. The signing
-- secret is kept encrypted (AES-256-GCM under the key that keeps the seals at rest), bound to
-- the webhook's id, since every delivery must be signed with it again. A deleted webhook keeps
-- its row and log (deleted_at set) and gets nothing more.
CREATE TABLE webhooks (
    id TEXT NOT NULL PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    secret_key TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    deleted_at TEXT
);

CREATE INDEX webhooks_company ON webhooks (company_id) WHERE deleted_at IS NULL;

-- One event for one webhook: the body is fixed when the state changes (in the same
-- transaction) and sent as it is on every attempt. event_id is the body's id, the same for
-- every webhook told of that event.
CREATE TABLE webhook_messages (
    id TEXT NOT NULL PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
    created_at TEXT NOT NULL,
    finished_at TEXT
);

CREATE INDEX webhook_messages_webhook ON webhook_messages (webhook_id, created_at);

-- The delivery log: one row per attempt, with the answer (status code) or the error, how long
-- it took, and when the next attempt is due (NULL when there is none).
CREATE TABLE webhook_deliveries (
    id TEXT NOT NULL PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES webhook_messages (id),
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    attempt BIGINT NOT NULL,
    attempted_at TEXT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    next_attempt_at TEXT
);

CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, attempted_at);
