-- Issue 14: the RAOs the devices page offers for a withdrawal, by name, a bounded range
-- per chamber and kind (never every operator of the chamber).
CREATE INDEX ra_operators_chamber_kind_name ON ra_operators (chamber_id, kind, name, id);

-- The devices page's withdrawals and write-off reports, pending first then the latest: two
-- ranges of at most 50 rows each, newest first, instead of a sort of the chamber's history.
CREATE INDEX dev_withdrawals_chamber_status_requested ON dev_withdrawals (chamber_id, status, requested_at);
CREATE INDEX dev_withdrawals_chamber_requested ON dev_withdrawals (chamber_id, requested_at);
CREATE INDEX dev_write_offs_chamber_requested ON dev_write_offs (chamber_id, requested_at);

-- The companies that have made a practice for a chamber, one row each, written with the
-- company's first practice for it and never removed (a deleted draft leaves the company in
-- the chamber's dealings). A chamber administrator manages the users of these companies;
-- the users page reads them from this range and `user_companies_company`, bounded by the
-- chamber's own companies instead of every company user of the platform.
CREATE TABLE chamber_companies (
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    PRIMARY KEY (chamber_id, company_id)
);
INSERT INTO chamber_companies (chamber_id, company_id)
SELECT chamber_id, company_id FROM practices GROUP BY chamber_id, company_id;
CREATE INDEX user_companies_company ON user_companies (company_id, user_id);
