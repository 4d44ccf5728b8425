-- The Manager's signing queue (RA procedure, part 1: the mandate letter is "firmata
-- digitalmente dal Dirigente", and so is the revocation notice of an ODR or IR). The office
-- prepares the unsigned document (a content-addressed blob); the Manager downloads it and
-- sends it back signed. A signed letter is kept in `ra_documents` (`signed_document_id`); a
-- signed revocation notice goes through the revocation, which archives it. At most one
-- request of each kind waits per operator.
CREATE TABLE ra_signature_requests (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    kind TEXT NOT NULL CHECK (kind IN ('mandate_letter', 'revocation_notice')),
    state TEXT NOT NULL CHECK (state IN ('waiting', 'signed', 'withdrawn')),
    filename TEXT NOT NULL,
    blob TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    reason TEXT,
    prepared_by_id TEXT,
    prepared_by TEXT NOT NULL,
    prepared_at TEXT NOT NULL,
    signed_document_id TEXT REFERENCES ra_documents (id),
    signed_by_id TEXT,
    signed_by TEXT,
    signer_tax_code TEXT,
    signed_at TEXT
);
CREATE INDEX ra_signature_requests_queue ON ra_signature_requests (chamber_id, state, prepared_at);
CREATE INDEX ra_signature_requests_operator ON ra_signature_requests (operator_id, kind, state);
CREATE UNIQUE INDEX ra_signature_requests_one_waiting ON ra_signature_requests (operator_id, kind)
    WHERE state = 'waiting';

-- The blob reaper looks keys up here too (blobs::reaper::REFERENCES).
CREATE INDEX ra_signature_requests_blob ON ra_signature_requests (blob);
