-- Registration authority, part 1 (RA procedure): the convention with the Certification Authority,
-- the office tree, operators with their mandate and course, and the accreditation steps.

CREATE TABLE ra_conventions (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    ca_pec TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ra_conventions_chamber ON ra_conventions (chamber_id, created_at);

CREATE TABLE ra_offices (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_operator_id TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (chamber_id, name)
);

CREATE TABLE ra_operators (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    kind TEXT NOT NULL CHECK (kind IN ('rao', 'odr', 'ir')),
    name TEXT NOT NULL,
    tax_code TEXT NOT NULL,
    email TEXT NOT NULL,
    organisation_id TEXT REFERENCES ra_operators (id),
    legal_rep_tax_code TEXT,
    registry_name TEXT,
    first_phase BIGINT NOT NULL DEFAULT 0,
    user_id TEXT REFERENCES users (id),
    office_id TEXT REFERENCES ra_offices (id),
    state TEXT NOT NULL,
    protocol_date TEXT,
    mandate_basis TEXT,
    mandate_start TEXT,
    mandate_end TEXT,
    course_score BIGINT,
    course_passed_on TEXT,
    course_valid_until TEXT,
    ca_window_start TEXT,
    revoked_effective TEXT,
    revocation_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (chamber_id, tax_code)
);
CREATE INDEX ra_operators_organisation ON ra_operators (organisation_id);
CREATE INDEX ra_operators_user ON ra_operators (user_id);

CREATE TABLE ra_steps (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES ra_operators (id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    on_date TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor TEXT NOT NULL,
    note TEXT
);
CREATE INDEX ra_steps_operator ON ra_steps (operator_id, at);
