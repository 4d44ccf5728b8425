-- Several instances, one truth. Wrong second-screen pairing codes are counted in `throttles`
-- (scope pair_address) with the other failed-attempt limits: counted by one atomic upsert
-- before the code is looked at, and purged with them. The old table held one row per failure
-- and was never purged.
DROP TABLE iss_pairing_failures;

-- Which secret encrypts what is kept at rest (chamber seals, security codes, webhook secrets):
-- the first instance to serve records the secret's id, never the key, and an instance started
-- with another secret refuses to serve instead of failing on every seal and code it cannot
-- open.
CREATE TABLE instance_secrets (
    purpose TEXT NOT NULL PRIMARY KEY,
    secret_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
