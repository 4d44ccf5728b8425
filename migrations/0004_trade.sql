-- Foreign-trade documents, company side: settings and tariffs per chamber, the wallet
-- ledger, company profiles, base models and their signed versions, practices with their
-- attachments, status history and idempotency keys.

CREATE TABLE chamber_settings (
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (chamber_id, name)
);

CREATE TABLE tariffs (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    item TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX tariffs_chamber_item ON tariffs (chamber_id, item, valid_from);

CREATE TABLE wallets (
    company_id TEXT PRIMARY KEY REFERENCES companies (id),
    balance_cents BIGINT NOT NULL CHECK (balance_cents >= 0),
    updated_at TEXT NOT NULL
);

CREATE TABLE wallet_entries (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    chamber_id TEXT REFERENCES chambers (id),
    kind TEXT NOT NULL CHECK (kind IN ('top_up', 'charge', 'refund')),
    amount_cents BIGINT NOT NULL,
    balance_after_cents BIGINT NOT NULL,
    practice_id TEXT,
    reference TEXT NOT NULL,
    provider TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX wallet_entries_company ON wallet_entries (company_id, created_at);

CREATE TABLE company_profiles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies (id),
    delivery_address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    municipality TEXT NOT NULL,
    province TEXT NOT NULL,
    notification_email TEXT NOT NULL,
    phone TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, company_id)
);

CREATE TABLE base_models (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    practice_type TEXT NOT NULL,
    input_json TEXT NOT NULL,
    version BIGINT NOT NULL,
    consignee_name TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX base_models_company ON base_models (company_id, updated_at);

CREATE TABLE base_model_versions (
    id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES base_models (id),
    version BIGINT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    xml BLOB NOT NULL,
    form_json TEXT NOT NULL,
    file_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (model_id, version)
);

CREATE TABLE practices (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    desk_id TEXT NOT NULL REFERENCES desks (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    model_id TEXT NOT NULL REFERENCES base_models (id),
    model_version BIGINT NOT NULL,
    model_sha256 TEXT NOT NULL,
    practice_type TEXT NOT NULL,
    status TEXT NOT NULL,
    consignee_name TEXT,
    annotations TEXT NOT NULL DEFAULT '',
    proforma BIGINT,
    goods_location TEXT NOT NULL DEFAULT '',
    print_mode TEXT NOT NULL DEFAULT 'blank_paper',
    form_serial TEXT,
    copies BIGINT NOT NULL DEFAULT 0,
    signed_blob TEXT NOT NULL,
    signed_file_name TEXT NOT NULL,
    signature_json TEXT NOT NULL,
    signer_tax_code TEXT,
    fee_cents BIGINT,
    protocol_number TEXT UNIQUE,
    protocol_year BIGINT,
    sent_at TEXT,
    closed_at TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX practices_company_status ON practices (company_id, status, updated_at);
CREATE INDEX practices_desk_status ON practices (desk_id, status, sent_at);

CREATE TABLE practice_invoices (
    practice_id TEXT NOT NULL REFERENCES practices (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    invoice_date TEXT NOT NULL,
    amount_cents BIGINT NOT NULL
);
CREATE INDEX practice_invoices_number ON practice_invoices (number);

CREATE TABLE practice_attachments (
    id TEXT PRIMARY KEY,
    practice_id TEXT NOT NULL REFERENCES practices (id) ON DELETE CASCADE,
    blob TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    description TEXT NOT NULL,
    code TEXT NOT NULL,
    visas BIGINT NOT NULL DEFAULT 0,
    legalisations BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX practice_attachments_practice ON practice_attachments (practice_id);

CREATE TABLE practice_events (
    id TEXT PRIMARY KEY,
    practice_id TEXT NOT NULL REFERENCES practices (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT
);
CREATE INDEX practice_events_practice ON practice_events (practice_id, at);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    practice_id TEXT NOT NULL,
    response_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
