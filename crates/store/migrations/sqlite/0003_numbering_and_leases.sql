-- Numbering that costs the same at any size, and leases for scheduled jobs.
--
-- `counters` holds the last document number, change sequence number and
-- embedding revision handed out. A write transaction takes its numbers by
-- adding to a counter row, which every writer must lock until it commits:
-- numbers are handed out in commit order, so an index that follows `seq` or
-- `rev` never skips a change, and taking them is one row update instead of a
-- scan for the maximum.
--
-- `leases` says which process runs a named job until when, so that two
-- processes on one store never run it at once, and one whose holder died is
-- taken over once the lease has expired.

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

INSERT INTO counters (name, value) VALUES
    ('doc', (SELECT coalesce(max(doc), 0) FROM papers)),
    ('seq', (SELECT coalesce(max(seq), 0) FROM papers)),
    ('rev', (SELECT coalesce(max(rev), 0) FROM embeddings));

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    -- milliseconds since the Unix epoch
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
