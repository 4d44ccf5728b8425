-- Login with a digital identity through OpenID Connect, and sign-up on first login (issue 15,
-- items 1 and 2).
--
-- A login under way: the state sent to the identity provider (kept as its SHA-256), the nonce
-- the ID token must carry, the PKCE verifier of the code exchange, the SHA-256 of the random
-- value of the browser cookie that started it, and where to go afterwards. Short-lived and
-- taken once (deleted when the provider sends the browser back), so any instance can finish
-- a login another began and a state or code cannot be played twice.
CREATE TABLE oidc_logins (
    state_hash TEXT NOT NULL PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);

-- Whether the account's e-mail address is known to be the person's: 1 for the accounts made
-- by an administrator (as before), the provider's `email_verified` for those signed up with a
-- digital identity.
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 1;

-- Why a user acts for a company: NULL for the links an administrator made, `representative`
-- when the Registry lists the user as the company's legal representative; and since when.
ALTER TABLE user_companies ADD COLUMN reason TEXT;
ALTER TABLE user_companies ADD COLUMN linked_at TEXT;
