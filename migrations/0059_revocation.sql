-- Revocation of the signers' certificates. `revocation_lists` keeps CRLs: those fetched from a
-- certificate's distribution point (kept as a cache: reused until their nextUpdate) and those
-- an administrator added for offline use (`sportello admin trust crl add`). `issuer_key` is the
-- SHA-256 of the DER of the issuer's name, how a certificate finds its issuer's CRLs.
CREATE TABLE revocation_lists (
    id TEXT NOT NULL PRIMARY KEY,
    issuer_key TEXT NOT NULL,
    issuer TEXT NOT NULL,
    crl_number TEXT,
    this_update TEXT NOT NULL,
    next_update TEXT,
    sha256 TEXT NOT NULL UNIQUE,
    der BLOB NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('http', 'manual')),
    url TEXT,
    added_at TEXT NOT NULL
);
CREATE INDEX revocation_lists_issuer ON revocation_lists (issuer_key, this_update);

-- The evidence kept with a practice: for each certificate on each signer's path (position 0 is
-- the signer's own, 1 its issuing CA…), how its revocation was checked when the signed file was
-- uploaded. `ocsp_response` holds the responder's signed answer as received; a CRL is named by
-- its number and SHA-256 (the CRL itself stays in `revocation_lists`). `status` is 'good', or
-- 'unavailable' when no answer could be had (accepted only where the chamber says so) or
-- 'no_source' when the certificate names no responder and no CRL of its issuer is known.
CREATE TABLE practice_revocation_checks (
    id TEXT NOT NULL PRIMARY KEY,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    signed_blob TEXT NOT NULL,
    signer_index BIGINT NOT NULL,
    position BIGINT NOT NULL,
    holder TEXT NOT NULL,
    subject TEXT NOT NULL,
    serial TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('ocsp', 'crl', 'none')),
    status TEXT NOT NULL CHECK (status IN ('good', 'unavailable', 'no_source')),
    source_url TEXT,
    ocsp_response BLOB,
    crl_number TEXT,
    crl_sha256 TEXT,
    this_update TEXT,
    detail TEXT,
    checked_at TEXT NOT NULL
);
CREATE INDEX practice_revocation_checks_practice ON practice_revocation_checks (practice_id, signer_index, position);
