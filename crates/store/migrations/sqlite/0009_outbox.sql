-- The mail outbox: every message the instance sends, one row per message
-- and recipient, written before anything is sent and kept after.
--
-- A row is composed once, whole (`message`: the RFC 5322 bytes, with its
-- Message-ID), so a retry sends exactly what the first try sent. `batch`
-- names what the message belongs to (a digest of a day, one account mail)
-- and (batch, recipient) is unique: composing the same batch twice adds
-- nothing. A worker claims a due row until `claimed_until`; a worker that
-- dies leaves the claim to expire, and another sends the row. Times are
-- milliseconds since the Unix epoch; ids come from `counters` ('mail').
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    batch         TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    message_id    TEXT NOT NULL UNIQUE,
    message       BLOB NOT NULL,
    -- 'pending' (to send), 'sent', 'failed' (refused for good, or the
    -- address suspended)
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    claimed_by    TEXT,
    claimed_until INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    UNIQUE (batch, recipient)
) STRICT;

CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'pending';

-- Addresses mail servers refused for good: `failures` counts the refusals,
-- and past the configured count the address is suspended (nothing more is
-- composed for it or sent to it).
CREATE TABLE mail_suspensions (
    address      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    suspended_at INTEGER,
    last_error   TEXT
) STRICT;

INSERT INTO counters (name, value) VALUES ('mail', 0);
