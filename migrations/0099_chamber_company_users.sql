-- Issue 14: the company users a chamber administrator manages (the rule of
-- `accounts::offboarding::manages`: a company user linked to a company that has made a
-- practice for the chamber), one row per chamber and user, keyed by e-mail so the users page
-- reads one range of the key a page at a time, whatever the chamber's size. Written in the
-- transaction of every change to what it derives from: a link or unlink in
-- `user_companies`, a company's first practice for a chamber (`chamber_companies`).
CREATE TABLE chamber_company_users (
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    email TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (chamber_id, email, user_id)
);
CREATE INDEX chamber_company_users_user ON chamber_company_users (user_id, chamber_id);
-- A user's chambers are found from their companies.
CREATE INDEX chamber_companies_company ON chamber_companies (company_id, chamber_id);
INSERT INTO chamber_company_users (chamber_id, email, user_id)
SELECT chamber_companies.chamber_id, users.email, users.id
FROM chamber_companies, user_companies, users
WHERE user_companies.company_id = chamber_companies.company_id
AND users.id = user_companies.user_id AND users.role = 'company'
GROUP BY chamber_companies.chamber_id, users.email, users.id;
