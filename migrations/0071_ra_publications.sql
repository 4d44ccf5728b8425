-- The Certification Authority's Operating Manual and Certificate Policy, published by the
-- chamber (RA procedure, part 2: "consultabile" at the desks and on the chamber's site). Every
-- upload is a new version, kept: `seq` counts the versions of a kind per chamber, `version` is
-- the label printed on the document. The PDF is a content-addressed blob.
CREATE TABLE ra_publications (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    kind TEXT NOT NULL CHECK (kind IN ('operating_manual', 'certificate_policy')),
    version TEXT NOT NULL,
    seq BIGINT NOT NULL,
    effective_on TEXT NOT NULL,
    blob TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    UNIQUE (chamber_id, kind, seq),
    UNIQUE (chamber_id, kind, version)
);
