-- A certificate's security code is no longer kept in clear. security_code_hash now holds a
-- salted Argon2id hash (PHC string) instead of an unsalted SHA-256; the code itself, needed to
-- print copies, is kept encrypted with the key that keeps the chamber seals at rest, with that
-- key's id. The application moves every clear code (column security_code) into these columns
-- at start-up and empties it; a later migration drops the column once every installation has
-- run that step.

ALTER TABLE certificates ADD COLUMN security_code_sealed BLOB;
ALTER TABLE certificates ADD COLUMN security_code_key TEXT;
