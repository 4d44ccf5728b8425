-- Password recovery by e-mail: a request for an active account stores one single-use link,
-- known to the database only by the SHA-256 of its random token, valid until expires_at.
-- used_at is set when the link sets a new password, or when a newer link or a completed
-- reset supersedes it; a link with used_at set is never accepted again.

CREATE TABLE password_resets (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
