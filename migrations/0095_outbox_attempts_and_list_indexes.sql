-- Issue 14 (crash safety): when the outbox's sender last began to hand a message over. It
-- is written and committed before the relay gets the content and cleared when a delivery
-- fails before it; a retry that finds it set knows the previous attempt was interrupted
-- and may have delivered the message (sent again under the same Message-ID).
ALTER TABLE outbox_emails ADD COLUMN attempting_at TEXT;

-- Issue 14: the RA operators list, by name, a page at a time (one range per chamber).
CREATE INDEX ra_operators_chamber_name ON ra_operators (chamber_id, name, id);

-- The users a chamber administrator manages, by e-mail, a page at a time: the chamber's
-- staff, and the company users read in e-mail order.
CREATE INDEX users_chamber_email ON users (chamber_id, email, id);
CREATE INDEX users_role_email ON users (role, email, id);
