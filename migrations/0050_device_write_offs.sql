-- Lost, damaged and destroyed devices take two people, like cabinet withdrawals (issue 11):
-- one user reports the device with the reason, a different one approves or rejects, and only
-- an approved report moves the device and settles an ODR's held fee. One report per device
-- may wait at a time.

CREATE TABLE dev_write_offs (
    id TEXT NOT NULL PRIMARY KEY,
    chamber_id TEXT NOT NULL REFERENCES chambers (id),
    device_id TEXT NOT NULL REFERENCES dev_devices (id),
    move TEXT NOT NULL CHECK (move IN ('mark_lost', 'mark_damaged', 'mark_destroyed')),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by TEXT NOT NULL,
    requested_by_label TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_by_label TEXT,
    decided_at TEXT
);
CREATE UNIQUE INDEX dev_write_offs_one_pending ON dev_write_offs (device_id) WHERE status = 'pending';
CREATE INDEX dev_write_offs_status ON dev_write_offs (chamber_id, status, requested_at);
