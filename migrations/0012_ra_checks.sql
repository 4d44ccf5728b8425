-- Periodic checks (RA procedure, part 1, "Verifiche periodiche"): alerts sent once, the yearly
-- sample of self-declarations with its seed, and registry changes of ODR organisations.

CREATE TABLE ra_alerts_sent (
    alert_key TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    sent_at TEXT NOT NULL
);

CREATE TABLE ra_self_checks (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    year BIGINT NOT NULL,
    seed TEXT NOT NULL,
    sample_size BIGINT NOT NULL,
    population TEXT NOT NULL,
    sample TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    drawn_by TEXT NOT NULL,
    UNIQUE (chamber_id, year)
);

CREATE TABLE ra_self_check_outcomes (
    check_id TEXT NOT NULL REFERENCES ra_self_checks (id),
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('compliant', 'non_compliant')),
    note TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (check_id, operator_id)
);

CREATE TABLE ra_registry_flags (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    kind TEXT NOT NULL CHECK (kind IN ('ceased', 'renamed', 'missing')),
    detail TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    UNIQUE (operator_id, kind, detail)
);
