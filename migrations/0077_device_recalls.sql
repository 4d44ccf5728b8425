-- Revocations that reach people and devices (RA procedure, part 1, "Procedura di revoca ODR"):
-- the signed notice goes "ai recapiti di contatto indicati nel Modulo di Accettazione", and
-- "l'ODR in caso di revoca dovrà restituire il materiale eventualmente ricevuto".

-- Every message a revocation sent: the notice to the operator and to the CA, and the recall's
-- reminders. What was sent, when and to whom is read from the outbox row.
CREATE TABLE ra_revocation_mails (
    id TEXT NOT NULL PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    outbox_id TEXT NOT NULL REFERENCES outbox_emails (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('notice_operator', 'notice_ca', 'recall_reminder')),
    created_at TEXT NOT NULL
);
CREATE INDEX ra_revocation_mails_operator ON ra_revocation_mails (operator_id, created_at);

-- One recall per revoked ODR that held consigned devices; closed when no device is outstanding.
CREATE TABLE dev_recalls (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    effective TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    next_reminder_on TEXT
);
CREATE UNIQUE INDEX dev_recalls_one_per_operator ON dev_recalls (operator_id);
CREATE INDEX dev_recalls_status ON dev_recalls (status, next_reminder_on);

-- Each device consigned at revocation, with the fee held for it then and what became of it.
-- A return is reported by one person (return_reported_by) and confirmed by another.
CREATE TABLE dev_recall_devices (
    recall_id TEXT NOT NULL REFERENCES dev_recalls (id),
    device_id TEXT NOT NULL REFERENCES dev_devices (id),
    holder_operator_id TEXT NOT NULL,
    consigned_at TEXT,
    held_fee_cents BIGINT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('outstanding', 'returned', 'written_off', 'issued')),
    return_reported_by TEXT,
    return_reported_by_label TEXT,
    return_reported_at TEXT,
    return_note TEXT,
    closed_at TEXT,
    closed_by_label TEXT,
    PRIMARY KEY (recall_id, device_id)
);
CREATE INDEX dev_recall_devices_device ON dev_recall_devices (device_id, outcome);
