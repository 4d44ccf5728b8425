-- Issue 14: the restricted archive (`/ra/archive`) is read a page at a time, newest first,
-- by keyset on (created_at, id) within the chamber, instead of every document the chamber
-- ever kept. Each document now carries its chamber: the chamber of its operator, written by
-- `archive::store` from the operator row in the same statement, never from the client.
--
-- SQLite adds a NOT NULL column only with a default, and refuses a REFERENCES column whose
-- default is not NULL; the table cannot be rebuilt either (other tables refer to it). So the
-- column is NOT NULL with an empty default, filled here for the rows already kept; the
-- operator's foreign key is what ties it to a chamber.
ALTER TABLE ra_documents ADD COLUMN chamber_id TEXT NOT NULL DEFAULT '';
UPDATE ra_documents SET chamber_id = (
    SELECT ra_operators.chamber_id FROM ra_operators WHERE ra_operators.id = ra_documents.operator_id
);

-- The archive page: one range of the chamber, read backwards from the cursor. The operator's
-- own documents (its page, the CA's e-mail) are a handful and keep `ra_documents_operator`.
CREATE INDEX ra_documents_chamber_created ON ra_documents (chamber_id, created_at, id);
