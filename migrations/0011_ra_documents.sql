-- Mandate documents in the restricted archive (verified signatures), and what is kept of an
-- identity document sent to the CA: never the file, only its type, number, expiry and hash.

CREATE TABLE ra_documents (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    step_id TEXT REFERENCES ra_steps (id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    blob TEXT NOT NULL,
    size BIGINT NOT NULL,
    signature_format TEXT,
    signer_tax_code TEXT,
    signer_subject TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ra_documents_operator ON ra_documents (operator_id);

CREATE TABLE ra_identity_documents (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    doc_type TEXT NOT NULL,
    doc_number TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    outbox_id TEXT,
    file_purged_at TEXT,
    created_at TEXT NOT NULL
);
