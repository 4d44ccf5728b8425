-- Registration authority, part 2 (RA procedure): desk opening plans, the operators serving each
-- desk, and appointments with the applicant's pre-registered data.

CREATE TABLE appt_opening_hours (
    id TEXT PRIMARY KEY,
    desk_id TEXT NOT NULL REFERENCES desks (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens TEXT NOT NULL,
    closes TEXT NOT NULL,
    slot_minutes BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX appt_opening_hours_desk ON appt_opening_hours (desk_id, weekday);

CREATE TABLE appt_desk_operators (
    desk_id TEXT NOT NULL REFERENCES desks (id),
    operator_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (desk_id, operator_id)
);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    desk_id TEXT NOT NULL REFERENCES desks (id),
    operator_id TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    slot_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'no_show', 'served')),
    given_name TEXT NOT NULL,
    surname TEXT NOT NULL,
    tax_code TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    birth_place TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    company_tax_code TEXT,
    device_kind TEXT NOT NULL,
    wants_free BIGINT NOT NULL DEFAULT 0,
    cancel_token_hash TEXT NOT NULL UNIQUE,
    reminder_sent_at TEXT,
    cancelled_at TEXT,
    cancel_reason TEXT,
    no_show_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX appointments_operator_slot ON appointments (operator_id, starts_at) WHERE status = 'booked';
CREATE INDEX appointments_desk_day ON appointments (desk_id, slot_date);
