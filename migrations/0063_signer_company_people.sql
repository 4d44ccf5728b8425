-- The people of a company, to relate the signer of a base model to the company it is sent for.
--
-- A user may carry their tax code (a person's codice fiscale), unique among users when present
-- (NULLs do not collide in a unique index on either engine).
ALTER TABLE users ADD COLUMN tax_code TEXT;
CREATE UNIQUE INDEX users_tax_code ON users (tax_code);

-- The legal representatives the Registry extract lists for a company (column `rappresentanti`),
-- one row per tax code. A table rather than a column of codes: like the annual fees, the import
-- compares and rewrites them per company, and the check at upload looks a code up directly.
CREATE TABLE company_representatives (
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    tax_code TEXT NOT NULL,
    PRIMARY KEY (company_id, tax_code)
);
CREATE INDEX company_representatives_tax_code ON company_representatives (tax_code);

-- What each signer of an uploaded model was to the company when it was uploaded: `relation` is
-- 'representative' (listed by the Registry), 'user' (a user linked to the company) or 'none'
-- (neither, or the certificate carries no tax code): the officer is told.
CREATE TABLE practice_signer_people (
    id TEXT NOT NULL PRIMARY KEY,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    signed_blob TEXT NOT NULL,
    signer_index BIGINT NOT NULL,
    holder TEXT NOT NULL,
    tax_code TEXT,
    relation TEXT NOT NULL CHECK (relation IN ('representative', 'user', 'none')),
    checked_at TEXT NOT NULL
);
CREATE INDEX practice_signer_people_practice ON practice_signer_people (practice_id, signer_index);
