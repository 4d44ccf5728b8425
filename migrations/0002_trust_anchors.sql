-- Trust anchors for signature verification: CA certificates added by hand or loaded from an
-- EU trusted list. chamber_id NULL means every chamber trusts it.
CREATE TABLE trust_anchors (
    id TEXT PRIMARY KEY,
    chamber_id TEXT REFERENCES chambers (id),
    sha256 TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    is_ca BIGINT NOT NULL,
    der BLOB NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('manual', 'tsl')),
    label TEXT,
    added_at TEXT NOT NULL
);
