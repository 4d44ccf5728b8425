-- Delegations and the users a company's representative manages (issue 15, item 2).
--
-- A delegation request: a person signed up with a digital identity asks to act for a company
-- on a file signed by one of its legal representatives, checked at upload. The office of the
-- company's chamber approves it (the person is linked with reason `delegation`) or rejects it
-- with a reason. One request per person and company waits at a time.
CREATE TABLE delegation_requests (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    chamber_id TEXT REFERENCES chambers (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    signed_blob TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    signer_tax_code TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    signed_at TEXT,
    checked_at TEXT NOT NULL,
    revocation_unverified BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT REFERENCES users (id),
    rejection_reason TEXT
);
CREATE INDEX delegation_requests_user ON delegation_requests (user_id, created_at);
CREATE INDEX delegation_requests_queue ON delegation_requests (chamber_id, state, created_at);
CREATE INDEX delegation_requests_signed_blob ON delegation_requests (signed_blob);
CREATE UNIQUE INDEX delegation_requests_one_pending ON delegation_requests (user_id, company_id) WHERE state = 'pending';

-- What a user may do for a company: `read` (read only), `prepare` (may prepare practices),
-- `send` (may also send practices and spend the wallet). Every link made so far keeps what
-- it allowed: everything.
ALTER TABLE user_companies ADD COLUMN scope TEXT NOT NULL DEFAULT 'send';

-- A person a company's representative invited by tax code: linked at their first login with
-- a digital identity, or at once when they already have an account. `open` until taken up
-- (`accepted`, with the user and when) or withdrawn (`cancelled`).
CREATE TABLE company_invitations (
    id TEXT NOT NULL PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    tax_code TEXT NOT NULL,
    email TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'prepare', 'send')),
    state TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'cancelled')),
    invited_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    closed_at TEXT,
    user_id TEXT REFERENCES users (id)
);
CREATE INDEX company_invitations_tax_code ON company_invitations (tax_code, state);
CREATE UNIQUE INDEX company_invitations_open ON company_invitations (company_id, tax_code) WHERE state = 'open';
