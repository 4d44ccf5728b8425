-- Documents issued for practices other than a certificate of origin: a sealed visa per
-- stamped document, the copies of an issued certificate. And the security code of a
-- certificate, needed to print its copies and duplicates again.

ALTER TABLE certificates ADD COLUMN security_code TEXT;

CREATE TABLE issued_documents (
    id TEXT PRIMARY KEY,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    kind TEXT NOT NULL CHECK (kind IN ('visa', 'copy')),
    number TEXT NOT NULL UNIQUE,
    attachment_id TEXT,
    certificate_number TEXT,
    blob TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
CREATE INDEX issued_documents_practice ON issued_documents (practice_id);
