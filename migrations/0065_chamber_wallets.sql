-- Each chamber's own desks and wallet. A chamber serves one or more provinces; a company may
-- send to the desks of a chamber serving the province of one of its sites in the Registry.
-- The wallet is kept per company and chamber, so one chamber's prepaid credit never pays
-- another chamber's fees.
CREATE TABLE chamber_provinces (
    chamber_id TEXT NOT NULL REFERENCES chambers (id) ON DELETE CASCADE,
    province TEXT NOT NULL,
    PRIMARY KEY (chamber_id, province)
);
CREATE INDEX chamber_provinces_province ON chamber_provinces (province);

-- A chamber's code is the sigla of the province it is named after (GE serves GE).
INSERT INTO chamber_provinces (chamber_id, province) SELECT id, code FROM chambers;

-- Every ledger entry gets the chamber it belongs to. A charge or refund: its practice's chamber.
UPDATE wallet_entries SET chamber_id = (
    SELECT practices.chamber_id FROM practices WHERE practices.id = wallet_entries.practice_id
) WHERE chamber_id IS NULL AND practice_id IS NOT NULL;

-- A top-up: the chamber of the administrator who credited it.
UPDATE wallet_entries SET chamber_id = (
    SELECT users.chamber_id FROM users WHERE users.email = wallet_entries.created_by
) WHERE chamber_id IS NULL;

-- Else the chamber serving the company's sites (its only chamber, for nearly every company).
UPDATE wallet_entries SET chamber_id = (
    SELECT MIN(chamber_provinces.chamber_id) FROM sites, chamber_provinces
    WHERE sites.company_id = wallet_entries.company_id
    AND chamber_provinces.province = sites.province
) WHERE chamber_id IS NULL;

-- Else the chamber of the company's practices, else the platform's first chamber.
UPDATE wallet_entries SET chamber_id = (
    SELECT MIN(practices.chamber_id) FROM practices
    WHERE practices.company_id = wallet_entries.company_id
) WHERE chamber_id IS NULL;
UPDATE wallet_entries SET chamber_id = (SELECT MIN(chambers.id) FROM chambers)
WHERE chamber_id IS NULL;

CREATE INDEX wallet_entries_company_chamber ON wallet_entries (company_id, chamber_id, created_at);

-- The running balance per company and chamber: the sum of that chamber's entries (the old
-- per-company row always equalled the sum of all the company's entries).
DROP TABLE wallets;
CREATE TABLE wallets (
    company_id TEXT NOT NULL REFERENCES companies (id),
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    balance_cents BIGINT NOT NULL CHECK (balance_cents >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (company_id, chamber_id)
);
INSERT INTO wallets (company_id, chamber_id, balance_cents, updated_at)
SELECT company_id, chamber_id, CAST(SUM(amount_cents) AS BIGINT), MAX(created_at)
FROM wallet_entries WHERE chamber_id IS NOT NULL GROUP BY company_id, chamber_id;
