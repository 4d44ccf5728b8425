-- Foreign-trade documents, chamber side: who works a practice, rectification requests with
-- their deadline, decisions, issued certificates and their public verification, cancellations,
-- replacements and duplicates, and the legacy blank official forms.

ALTER TABLE practices ADD COLUMN assigned_to TEXT REFERENCES users (id);
ALTER TABLE practices ADD COLUMN assigned_at TEXT;
ALTER TABLE practices ADD COLUMN rectify_deadline TEXT;
ALTER TABLE practices ADD COLUMN rectify_reason TEXT;
ALTER TABLE practices ADD COLUMN rectify_fields TEXT;
ALTER TABLE practices ADD COLUMN decision_reason TEXT;
ALTER TABLE practices ADD COLUMN replaces_number TEXT;
ALTER TABLE practices ADD COLUMN duplicate BIGINT NOT NULL DEFAULT 0;
CREATE INDEX practices_rectify_deadline ON practices (status, rectify_deadline);

CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    practice_id TEXT NOT NULL UNIQUE REFERENCES practices (id),
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    security_code_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('valid', 'cancelled')),
    issued_on TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    company_name TEXT NOT NULL,
    consignee_country TEXT NOT NULL,
    origin_country TEXT NOT NULL,
    print_mode TEXT NOT NULL,
    form_serial TEXT,
    pdf_blob TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    duplicate_of TEXT,
    replaces TEXT,
    replaced_by TEXT,
    cancelled_at TEXT,
    cancel_reason TEXT,
    form_returned_at TEXT,
    UNIQUE (chamber_id, year, seq)
);

CREATE TABLE blank_forms (
    serial TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    status TEXT NOT NULL CHECK (status IN ('assigned', 'used', 'returned')),
    practice_id TEXT,
    assigned_at TEXT NOT NULL,
    used_at TEXT,
    returned_at TEXT
);
CREATE INDEX blank_forms_company ON blank_forms (company_id, status);
