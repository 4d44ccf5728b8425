-- Issue 14: the RA checks page and the Manager's queue read a page, never a whole chamber.

-- The alerts' window: the active operators whose mandate or course ends within the next 60
-- days, two ranges by date (never every operator of the chamber).
CREATE INDEX ra_operators_chamber_mandate_end ON ra_operators (chamber_id, state, mandate_end, id);
CREATE INDEX ra_operators_chamber_course_end ON ra_operators (chamber_id, state, course_valid_until, id);

-- The registry flags, newest first, 50 a page by keyset (detected_at, id).
CREATE INDEX ra_registry_flags_chamber_detected ON ra_registry_flags (chamber_id, detected_at, id);

-- The Manager's queue, oldest first, 50 a page by keyset: the index ends in the id that
-- breaks ties between requests prepared at the same instant.
DROP INDEX ra_signature_requests_queue;
CREATE INDEX ra_signature_requests_queue ON ra_signature_requests (chamber_id, state, prepared_at, id);
