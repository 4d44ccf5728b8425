-- Registration authority, part 2 (RA procedure): issuance sessions at the desk with the second
-- screen, the identity-document scan (encrypted, deleted at the end), and the certificates the
-- Certification Authority issued for each device.

CREATE TABLE iss_sessions (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    desk_id TEXT REFERENCES desks (id),
    operator_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    appointment_id TEXT UNIQUE REFERENCES appointments (id),
    state TEXT NOT NULL,
    given_name TEXT NOT NULL,
    surname TEXT NOT NULL,
    tax_code TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    birth_place TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    company_tax_code TEXT,
    device_kind TEXT NOT NULL,
    corrections TEXT NOT NULL DEFAULT '[]',
    device_id TEXT REFERENCES dev_devices (id),
    free BIGINT NOT NULL DEFAULT 0,
    fee_cents BIGINT NOT NULL DEFAULT 0,
    id_doc_type TEXT,
    id_doc_number TEXT,
    id_doc_expires_on TEXT,
    id_doc_sha256 TEXT,
    scan_blob TEXT,
    scan_key BLOB,
    scan_content_type TEXT,
    scan_deleted_at TEXT,
    pairing_code TEXT,
    pairing_expires_at TEXT,
    screen_token_hash TEXT UNIQUE,
    clauses_accepted TEXT NOT NULL DEFAULT '[]',
    otp_hash TEXT,
    otp_expires_at TEXT,
    otp_attempts BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX iss_sessions_pairing ON iss_sessions (pairing_code);
CREATE INDEX iss_sessions_state ON iss_sessions (chamber_id, state);

CREATE TABLE iss_events (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES iss_sessions (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT
);
CREATE INDEX iss_events_session ON iss_events (session_id, at);

CREATE TABLE iss_certificates (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    session_id TEXT REFERENCES iss_sessions (id),
    device_serial TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('authentication', 'signature')),
    holder_tax_code TEXT NOT NULL,
    subject TEXT NOT NULL,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    der BLOB NOT NULL,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX iss_certificates_serial ON iss_certificates (chamber_id, device_serial);

CREATE TABLE iss_local_ca (
    id TEXT PRIMARY KEY,
    cert_der BLOB NOT NULL,
    key_der BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE iss_pairing_failures (
    ip TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX iss_pairing_failures_ip ON iss_pairing_failures (ip, at);
