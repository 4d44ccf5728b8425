-- Blank-paper printing is for companies the chamber authorises (Cert'O guide: "stampa su foglio
-- bianco (per imprese autorizzate)"). One row per authorisation; a withdrawal is recorded on the
-- row, never deleted, so the history stays. At most one authorisation in force per company and
-- chamber.
CREATE TABLE blank_paper_authorisations (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    reference TEXT NOT NULL,
    authorised_on TEXT NOT NULL,
    authorised_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    withdrawn_at TEXT,
    withdrawn_by TEXT
);

CREATE UNIQUE INDEX blank_paper_authorisations_in_force ON blank_paper_authorisations (chamber_id, company_id) WHERE withdrawn_at IS NULL;
