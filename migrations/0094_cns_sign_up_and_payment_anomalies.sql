-- Issue 15 follow-up. A CNS card without an e-mail address signs up in two steps: the card's
-- verified identity is kept here, tied to the browser that presented it, for a few minutes
-- while the person types an e-mail address; then a confirmation link is mailed to it, and the
-- account is made when the link is opened. Each step is taken once.
CREATE TABLE cns_sign_ups (
    id TEXT NOT NULL PRIMARY KEY,
    tax_code TEXT NOT NULL,
    name TEXT NOT NULL,
    certificate_issuer TEXT NOT NULL,
    certificate_serial TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    email TEXT,
    link_hash TEXT UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX cns_sign_ups_browser ON cns_sign_ups (browser_hash);
CREATE INDEX cns_sign_ups_expiry ON cns_sign_ups (expires_at);

-- A reconciliation anomaly the office resolved: with a note (refunded outside Sportello, for
-- example), or by crediting the payment to a company's wallet after checking (`resolution`
-- is `note` or `credited`). Once only.
ALTER TABLE reconciliation_payments ADD COLUMN resolution TEXT;
ALTER TABLE reconciliation_payments ADD COLUMN resolution_note TEXT;
ALTER TABLE reconciliation_payments ADD COLUMN resolved_by TEXT;
ALTER TABLE reconciliation_payments ADD COLUMN resolved_at TEXT;
ALTER TABLE reconciliation_payments ADD COLUMN resolved_company_id TEXT REFERENCES companies (id);
ALTER TABLE reconciliation_payments ADD COLUMN resolved_entry_id TEXT REFERENCES wallet_entries (id);

-- The daily expiry job finds pending positions past their expiry by this index.
CREATE INDEX payment_positions_pending_expiry ON payment_positions (state, expires_on);
