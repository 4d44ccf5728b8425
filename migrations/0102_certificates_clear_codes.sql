-- Issue 14: at every start-up `security_code::protect_stored_codes` looks for security codes
-- still kept in clear (the column emptied by migration 0039's move). Without an index it read
-- every certificate to find none: 10.8 s at 3.7 million certificates, on each instance's
-- start. This partial index holds only the rows still to protect, so the look is one read of
-- an index that is empty once the move is done.
CREATE INDEX certificates_clear_codes ON certificates (id) WHERE security_code IS NOT NULL;
