-- A practice's revision counts the company's changes to what sending reads (details and
-- attachments). Sending guards its status change on the revision it computed the fee and
-- the checks from, so a change saved meanwhile makes it start again instead of sending a
-- practice charged for other details.

ALTER TABLE practices ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
