-- Organisation RAOs and their staff sheets (RA procedure, part 1: "conferisce l'incarico di RAO a
-- Infocamere Scpa con scadenza 5 anni ... svolto da remoto, la quale accetta allegando la scheda
-- degli addetti che, puntualmente, aggiorna"; ICO IC Outsourcing scrl, 3 years).
--
-- The term written in the act, when the office entered one: a number of years or an end date
-- (never both). The remote-issuance service of the mandate.
ALTER TABLE ra_operators ADD COLUMN act_term_years BIGINT;
ALTER TABLE ra_operators ADD COLUMN act_term_end TEXT;
ALTER TABLE ra_operators ADD COLUMN remote_issuance BIGINT NOT NULL DEFAULT 0;

-- Each version of an organisation's staff sheet (scheda di riepilogo addetti), kept: its date,
-- who sent it, who recorded it, and the optional file in the restricted archive.
CREATE TABLE ra_staff_sheets (
    id TEXT NOT NULL PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES ra_operators (id),
    version BIGINT NOT NULL,
    sheet_date TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    document_id TEXT REFERENCES ra_documents (id),
    recorded_at TEXT NOT NULL,
    recorded_by_id TEXT,
    recorded_by TEXT NOT NULL,
    UNIQUE (organisation_id, version)
);

-- The staff listed in one version, as sent, each linked to its operator under the organisation.
CREATE TABLE ra_staff_sheet_members (
    sheet_id TEXT NOT NULL REFERENCES ra_staff_sheets (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    tax_code TEXT NOT NULL,
    email TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    PRIMARY KEY (sheet_id, tax_code)
);
CREATE INDEX ra_staff_sheet_members_operator ON ra_staff_sheet_members (operator_id);
