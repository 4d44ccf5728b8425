-- Intermediaries kept by the chamber's office (issue 15, item 3, after the command line):
-- what kind of intermediary each is, whether it is suspended, and the people invited to work
-- for it, taken up at their first login with a digital identity.
--
-- `kind`: `customs_broker`, `freight_forwarder`, `trade_association` or `consultancy` (checked
-- by the code: a CHECK cannot be added to an existing table on SQLite). `suspended_at`: while
-- set, the intermediary's users act for no client; its mandates stay recorded.
ALTER TABLE intermediaries ADD COLUMN kind TEXT NOT NULL DEFAULT 'customs_broker';
ALTER TABLE intermediaries ADD COLUMN suspended_at TEXT;

-- A person invited by tax code and e-mail who has no account yet; their first login with SPID,
-- CIE or CNS ties the new account to the intermediary.
CREATE TABLE intermediary_invitations (
    id TEXT NOT NULL PRIMARY KEY,
    intermediary_id TEXT NOT NULL REFERENCES intermediaries (id),
    tax_code TEXT NOT NULL,
    email TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'cancelled')),
    invited_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    closed_at TEXT,
    user_id TEXT REFERENCES users (id)
);
CREATE INDEX intermediary_invitations_tax_code ON intermediary_invitations (tax_code, state);
CREATE UNIQUE INDEX intermediary_invitations_open ON intermediary_invitations (intermediary_id, tax_code) WHERE state = 'open';
