-- Issue 14: the device-delivery check of the RA checks page (RA procedure, part 1,
-- "Verifiche periodiche") is read a page at a time, by operator, instead of every issue move
-- and every held device of the chamber at once.

-- The chamber's operators in id order: the outer loop of the issue moves' pages. Unique (the
-- id alone is), so each engine knows one row per id and reads the moves below in order.
CREATE UNIQUE INDEX ra_operators_chamber_id ON ra_operators (chamber_id, id);

-- One operator's issue moves in id order (UUID v7: the order they were recorded).
CREATE INDEX dev_moves_holder_move ON dev_moves (from_holder, move, id);

-- The devices each operator of the chamber holds, by serial: the deliveries never recorded.
CREATE INDEX dev_devices_chamber_holder_serial ON dev_devices (chamber_id, holder_operator_id, serial);
