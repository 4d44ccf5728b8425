-- FatturaPA e-invoices uploaded to a base model (issue 15, item 5): the file as uploaded (a
-- content-addressed blob, plain XML or signed .p7m), what was read from it (JSON: buyer,
-- invoices with number, date, currency, total and lines), and its signature when signed.
-- The invoice table of the practice made from the model is checked against them at send.
CREATE TABLE model_einvoices (
    id TEXT NOT NULL PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES base_models (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    blob TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    signed BIGINT NOT NULL,
    signature_valid BIGINT NOT NULL,
    signer TEXT,
    content_json TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);

CREATE INDEX model_einvoices_model ON model_einvoices (model_id, uploaded_at);

-- The blob reaper looks keys up here too (blobs::reaper::REFERENCES).
CREATE INDEX model_einvoices_blob ON model_einvoices (blob);
