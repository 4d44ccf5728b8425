-- Registry monitoring of every operator (RA procedure, part 1, "Verifiche periodiche": "monitoraggio
-- periodico ... in relazione alle modifiche societarie e l'eventuale cancellazione del soggetto
-- incaricato"): natural persons as well as organisations.
--
-- Two new kinds of flag: 'no_longer_representative' (a person is no longer listed among a
-- company's legal representatives) and 'representative' (an organisation's legal representative
-- changed); 'missing' (unused so far) now says a person left the Registry's data. SQLite
-- cannot change a CHECK in place, so the table is rebuilt, the same way on both engines.

CREATE TABLE ra_registry_flags_next (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    kind TEXT NOT NULL CHECK (kind IN ('ceased', 'renamed', 'missing', 'no_longer_representative',
        'representative')),
    detail TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    UNIQUE (operator_id, kind, detail)
);

INSERT INTO ra_registry_flags_next (id, chamber_id, operator_id, kind, detail, detected_at)
SELECT id, chamber_id, operator_id, kind, detail, detected_at FROM ra_registry_flags;

DROP TABLE ra_registry_flags;
ALTER TABLE ra_registry_flags_next RENAME TO ra_registry_flags;

-- What the Registry said of each operator at the previous comparison (JSON: the sole trader's
-- name and status, the companies the person represents), so a change or a disappearance
-- between two imports is seen once.
CREATE TABLE ra_registry_pictures (
    operator_id TEXT NOT NULL PRIMARY KEY REFERENCES ra_operators (id),
    picture TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
