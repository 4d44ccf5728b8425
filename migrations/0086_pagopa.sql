-- pagoPA top-ups (issue 15, item 4). Each chamber is a creditor on pagoPA: its tax code is the
-- creditor's, its segregation code (given by PagoPA S.p.A. to each point generating IUVs) is
-- the second and third digit of every notice code, and its CBILL code (optional) is printed on
-- the notice for home banking.
ALTER TABLE chambers ADD COLUMN tax_code TEXT;
ALTER TABLE chambers ADD COLUMN pagopa_segregation_code TEXT;
ALTER TABLE chambers ADD COLUMN cbill_code TEXT;

-- A payment position: what a company owes its chamber to top up its wallet there. The IUV
-- comes from a gapless counter per chamber, taken in the transaction that makes the position.
CREATE TABLE payment_positions (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    iuv TEXT NOT NULL,
    notice_code TEXT NOT NULL,
    creditor_tax_code TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    expires_on TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'paid', 'expired', 'cancelled')),
    notice_blob TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    wallet_entry_id TEXT REFERENCES wallet_entries (id),
    UNIQUE (creditor_tax_code, iuv)
);
CREATE INDEX payment_positions_company ON payment_positions (company_id, chamber_id, created_at);
CREATE INDEX payment_positions_notice_blob ON payment_positions (notice_blob);

-- A reconciliation flow (flusso di rendicontazione) imported: the file as received and its
-- header. A flow is imported once.
CREATE TABLE reconciliation_flows (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    flow_id TEXT NOT NULL,
    flow_at TEXT NOT NULL,
    settlement_id TEXT NOT NULL,
    settlement_date TEXT NOT NULL,
    sender TEXT NOT NULL,
    payments BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    blob TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (chamber_id, flow_id)
);
CREATE INDEX reconciliation_flows_blob ON reconciliation_flows (blob);

-- Each payment a flow reported, and what the import made of it: credited, or an anomaly for
-- the office (unknown IUV, amount mismatch, already paid, expired, not executed). One
-- payment (IUV, IUR, index) is recorded once, whichever flow reports it again.
CREATE TABLE reconciliation_payments (
    id TEXT NOT NULL PRIMARY KEY,
    flow_id TEXT NOT NULL REFERENCES reconciliation_flows (id),
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    iuv TEXT NOT NULL,
    iur TEXT NOT NULL,
    payment_index BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    outcome_code TEXT NOT NULL,
    outcome_date TEXT NOT NULL,
    position_id TEXT REFERENCES payment_positions (id),
    result TEXT NOT NULL CHECK (result IN ('credited', 'unknown_iuv', 'amount_mismatch', 'already_paid', 'expired', 'not_executed')),
    created_at TEXT NOT NULL,
    UNIQUE (chamber_id, iuv, iur, payment_index)
);
CREATE INDEX reconciliation_payments_anomalies ON reconciliation_payments (chamber_id, result, created_at);

-- Every ledger entry is a receipt with a number, gapless per chamber and year (a counter row
-- taken in the entry's transaction). Entries written before have none; their receipt is
-- numbered from the entry's id.
ALTER TABLE wallet_entries ADD COLUMN receipt_number TEXT;
