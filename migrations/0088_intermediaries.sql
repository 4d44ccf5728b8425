-- Customs brokers and other intermediaries acting for companies under scoped mandates
-- (issue 15, item 3).
--
-- An intermediary (customs broker, forwarding agent, consultancy): its own record, named by its
-- tax code or VAT number, with the address its mandate e-mails go to.
CREATE TABLE intermediaries (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    tax_code TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The people who work for an intermediary are company-role users tied to it.
ALTER TABLE users ADD COLUMN intermediary_id TEXT REFERENCES intermediaries (id);
CREATE INDEX users_intermediary ON users (intermediary_id);

-- A mandate a company grants an intermediary: the practice types and chambers it covers (each a
-- comma-separated list of names and ids), its first and last day (Italian dates, inclusive), who
-- granted it and how (`representative`: the legal representative logged in; `delegation`: a
-- delegation file signed by the representative, uploaded by the intermediary and kept as a
-- blob with its signer's tax code), and its revocation by either side.
CREATE TABLE intermediary_mandates (
    id TEXT NOT NULL PRIMARY KEY,
    intermediary_id TEXT NOT NULL REFERENCES intermediaries (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    practice_types TEXT NOT NULL,
    chamber_ids TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    granted_via TEXT NOT NULL CHECK (granted_via IN ('representative', 'delegation')),
    granted_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT REFERENCES users (id),
    revoked_side TEXT CHECK (revoked_side IN ('company', 'intermediary')),
    delegation_blob TEXT,
    delegation_file_name TEXT,
    delegation_signer TEXT
);

CREATE INDEX intermediary_mandates_intermediary ON intermediary_mandates (intermediary_id, company_id);
CREATE INDEX intermediary_mandates_company ON intermediary_mandates (company_id);
CREATE INDEX intermediary_mandates_delegation_blob ON intermediary_mandates (delegation_blob);

-- Who acted for whom: the intermediary through which a model was written, a practice presented
-- and a wallet entry made; NULL when the company acted itself.
ALTER TABLE base_models ADD COLUMN intermediary_id TEXT REFERENCES intermediaries (id);
ALTER TABLE practices ADD COLUMN intermediary_id TEXT REFERENCES intermediaries (id);
ALTER TABLE wallet_entries ADD COLUMN intermediary_id TEXT REFERENCES intermediaries (id);
CREATE INDEX base_models_intermediary ON base_models (intermediary_id, updated_at);
CREATE INDEX practices_intermediary ON practices (intermediary_id);
CREATE INDEX wallet_entries_intermediary ON wallet_entries (intermediary_id);
