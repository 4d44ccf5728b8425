-- The chamber's seal for issued PDFs: the private key and certificates, encrypted with
-- AES-256-GCM under a key derived from the app secret (never the PKCS#12 password), and
-- what can be shown without decrypting them.

CREATE TABLE chamber_seals (
    chamber_id TEXT PRIMARY KEY REFERENCES chambers (id),
    encrypted_key BLOB NOT NULL,
    secret_id TEXT NOT NULL,
    certificate BLOB NOT NULL,
    subject TEXT NOT NULL,
    not_after TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
