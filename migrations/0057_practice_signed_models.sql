-- Every signed base model a practice has carried, kept when a rectification replaces it
-- (Cert'O guide: the office asks for "correzioni di compilazione"; the company re-signs the
-- corrected model). The practice row holds the one in force; this table keeps them all, in
-- upload order, with when each was sent to the office. Existing practices get their one row.
CREATE TABLE practice_signed_models (
    id TEXT NOT NULL PRIMARY KEY,
    practice_id TEXT NOT NULL REFERENCES practices (id) ON DELETE CASCADE,
    model_version BIGINT NOT NULL,
    model_sha256 TEXT NOT NULL,
    signed_blob TEXT NOT NULL,
    signed_file_name TEXT NOT NULL,
    signature_json TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX practice_signed_models_practice ON practice_signed_models (practice_id, uploaded_at);

INSERT INTO practice_signed_models (id, practice_id, model_version, model_sha256, signed_blob,
    signed_file_name, signature_json, uploaded_by, uploaded_at, sent_at)
SELECT id, id, model_version, model_sha256, signed_blob, signed_file_name, signature_json,
    created_by, created_at, sent_at FROM practices;
