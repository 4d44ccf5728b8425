-- Issue 14: the devices page's stock per location, kept as counters instead of a count of
-- every device of the chamber on each view. One row per (chamber, state, holder, kind);
-- `holder_operator_id` is '' for the states without a holder (a key column cannot be NULL on
-- PostgreSQL). Written in the transaction of every delivery and every move of a device, as
-- `devices = devices + 1` (or - 1), so two moves never lose an update. A row may fall to 0
-- and stay; readers skip it.
CREATE TABLE dev_stock (
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    state TEXT NOT NULL,
    holder_operator_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    devices BIGINT NOT NULL,
    PRIMARY KEY (chamber_id, state, holder_operator_id, kind)
);
INSERT INTO dev_stock (chamber_id, state, holder_operator_id, kind, devices)
SELECT chamber_id, state, COALESCE(holder_operator_id, ''), kind, COUNT(*) FROM dev_devices
GROUP BY chamber_id, state, COALESCE(holder_operator_id, ''), kind;

-- The ODR consignments page lists the ODRs that hold an advance account (an organisation or
-- a natural-person ODR, not a collaborator), by name, a page at a time: a range of this
-- index for (chamber, 'odr'), which skips the collaborators (SQLite picks it over
-- ra_operators_chamber_kind_name, which would read and drop them).
CREATE INDEX ra_operators_chamber_odr_accounts ON ra_operators (chamber_id, kind, name, id) WHERE organisation_id IS NULL;
