-- The blob reaper asks, a page of stored objects at a time, whether any row still refers to
-- each key (blobs::reaper::REFERENCES): one index per column that holds a blob key, so that
-- question is a look-up and not a scan of the table.

CREATE INDEX practices_signed_blob ON practices (signed_blob);
CREATE INDEX practice_signed_models_signed_blob ON practice_signed_models (signed_blob);
CREATE INDEX practice_revocation_checks_signed_blob ON practice_revocation_checks (signed_blob);
CREATE INDEX practice_signer_people_signed_blob ON practice_signer_people (signed_blob);
CREATE INDEX practice_attachments_blob ON practice_attachments (blob);
CREATE INDEX certificates_pdf_blob ON certificates (pdf_blob);
CREATE INDEX issued_documents_blob ON issued_documents (blob);
CREATE INDEX ra_documents_blob ON ra_documents (blob);
CREATE INDEX ra_publications_blob ON ra_publications (blob);
CREATE INDEX iss_sessions_scan_blob ON iss_sessions (scan_blob);
