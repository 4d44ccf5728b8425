-- Registration authority, part 2 (RA procedure): the device inventory by serial number with its
-- per-device activity log, two-person cabinet withdrawals, ODR advance accounts, free devices,
-- refund decisions and the ODRs' periodic reports.
-- Operator ids (holders, ODRs) are plain ids, not foreign keys: operators are never deleted
-- (a revocation keeps the record), and the RA tests start from an empty operator table.

CREATE TABLE dev_deliveries (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    devices BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE dev_devices (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    serial TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('smart_card', 'token')),
    batch TEXT NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES dev_deliveries (id),
    state TEXT NOT NULL,
    holder_operator_id TEXT,
    free_allowance BIGINT NOT NULL DEFAULT 0,
    held_fee_cents BIGINT NOT NULL DEFAULT 0,
    delivered_on TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (chamber_id, serial)
);
CREATE INDEX dev_devices_state ON dev_devices (chamber_id, state, holder_operator_id);

CREATE TABLE dev_moves (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES dev_devices (id),
    move TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    from_holder TEXT,
    to_holder TEXT,
    actor_id TEXT,
    actor TEXT NOT NULL,
    approved_by TEXT,
    ref_id TEXT,
    note TEXT,
    at TEXT NOT NULL
);
CREATE INDEX dev_moves_device ON dev_moves (device_id, at);
CREATE INDEX dev_moves_at ON dev_moves (at);

CREATE TABLE dev_withdrawals (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    destination TEXT NOT NULL CHECK (destination IN ('operator_box', 'odr')),
    operator_id TEXT NOT NULL,
    smart_cards BIGINT NOT NULL,
    tokens BIGINT NOT NULL,
    free_smart_cards BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by TEXT NOT NULL,
    requested_by_label TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_by_label TEXT,
    decided_at TEXT,
    note TEXT,
    request_key TEXT UNIQUE
);
CREATE INDEX dev_withdrawals_status ON dev_withdrawals (chamber_id, status);

CREATE TABLE dev_fees (
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    kind TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (chamber_id, kind)
);

CREATE TABLE dev_odr_profiles (
    operator_id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    full_service BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE TABLE dev_advance_accounts (
    operator_id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    balance_cents BIGINT NOT NULL,
    held_cents BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE dev_advance_entries (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    kind TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    held_delta_cents BIGINT NOT NULL,
    balance_after_cents BIGINT NOT NULL,
    held_after_cents BIGINT NOT NULL,
    device_id TEXT,
    withdrawal_id TEXT,
    reference TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dev_advance_entries_operator ON dev_advance_entries (operator_id, created_at);

CREATE TABLE dev_free_grants (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    company_tax_code TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL UNIQUE REFERENCES dev_devices (id),
    session_id TEXT,
    operator_id TEXT,
    rule_set TEXT NOT NULL,
    reasons_json TEXT NOT NULL,
    granted_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE dev_refund_decisions (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    device_id TEXT NOT NULL UNIQUE REFERENCES dev_devices (id),
    granted BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);

CREATE TABLE dev_odr_reports (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    operator_id TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    source TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    reconciled_by TEXT,
    reconciled_at TEXT,
    mismatches BIGINT
);

CREATE TABLE dev_odr_report_lines (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES dev_odr_reports (id),
    line BIGINT NOT NULL,
    serial TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    holder_tax_code TEXT NOT NULL,
    company_tax_code TEXT,
    free BIGINT NOT NULL
);
CREATE INDEX dev_odr_report_lines_report ON dev_odr_report_lines (report_id);
