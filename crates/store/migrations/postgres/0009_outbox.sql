-- The mail outbox, as SQLite's migration 0009 makes it (see there for the
-- meaning of each column).

CREATE TABLE outbox (
    id            BIGINT PRIMARY KEY,
    batch         TEXT COLLATE "C" NOT NULL,
    recipient     TEXT COLLATE "C" NOT NULL,
    message_id    TEXT COLLATE "C" NOT NULL UNIQUE,
    message       BYTEA NOT NULL,
    state         TEXT NOT NULL,
    attempts      BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    claimed_by    TEXT,
    claimed_until BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    sent_at       BIGINT,
    UNIQUE (batch, recipient)
);

CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'pending';

CREATE TABLE mail_suspensions (
    address      TEXT COLLATE "C" PRIMARY KEY,
    failures     BIGINT NOT NULL,
    suspended_at BIGINT,
    last_error   TEXT
);

INSERT INTO counters (name, value) VALUES ('mail', 0);
