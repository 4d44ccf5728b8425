-- Public booking hardening (issue 11): a new booking holds its slot only until hold_until,
-- unless the applicant opens the link sent by e-mail (confirm_token_hash) and confirms it
-- (confirmed_at). Bookings made before this rule were confirmed by being made.
-- appt_booking_counters counts requests per client address and per e-mail in fixed windows,
-- shared by every instance; its rows also serialise the bookings of one applicant.

ALTER TABLE appointments ADD COLUMN confirmed_at TEXT;
ALTER TABLE appointments ADD COLUMN hold_until TEXT;
ALTER TABLE appointments ADD COLUMN confirm_token_hash TEXT;
UPDATE appointments SET confirmed_at = created_at;
CREATE UNIQUE INDEX appointments_confirm_token ON appointments (confirm_token_hash);
CREATE INDEX appointments_applicant ON appointments (chamber_id, tax_code, status);

CREATE TABLE appt_booking_counters (
    bucket TEXT NOT NULL PRIMARY KEY,
    window_start TEXT NOT NULL,
    hits BIGINT NOT NULL
);
