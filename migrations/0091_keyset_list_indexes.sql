-- Issue 14, item 5: every list is read a page at a time by keyset, each page one range of
-- an index ending in the list's sort key and the id that breaks its ties.

-- The company's lists: one range per company and status, newest sending first; drafts,
-- never sent, by their creation.
CREATE INDEX practices_company_list ON practices (company_id, status, sent_at, id);
CREATE INDEX practices_company_drafts ON practices (company_id, status, created_at, id);

-- The desk inbox: one range per desk and status, oldest sending first. It replaces
-- practices_desk_status (desk, status, sent_at), of which it is the extension.
CREATE INDEX practices_desk_inbox ON practices (desk_id, status, sent_at, id);
DROP INDEX practices_desk_status;

-- The audit search within a chamber, newest entry first.
CREATE INDEX audit_chamber_seq ON audit_log (chamber_id, seq);

-- The devices list filtered by state, by serial number.
CREATE INDEX dev_devices_state_serial ON dev_devices (chamber_id, state, serial);

-- A company's ledger at one chamber, newest entry first.
CREATE INDEX wallet_entries_ledger ON wallet_entries (company_id, chamber_id, created_at, id);
DROP INDEX wallet_entries_company_chamber;

-- The chamber's dashboard over a period of sending.
CREATE INDEX practices_chamber_sent ON practices (chamber_id, sent_at);

-- Whether a base model was used by a practice (the models page, the model's deletion).
CREATE INDEX practices_model ON practices (model_id);
