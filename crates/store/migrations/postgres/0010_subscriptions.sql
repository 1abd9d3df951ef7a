-- Digest subscriptions, as SQLite's migration 0010 makes them (see there
-- for the meaning of each column).

CREATE TABLE subscriptions (
    id               BIGINT PRIMARY KEY,
    email            TEXT NOT NULL,
    email_key        TEXT COLLATE "C" NOT NULL,
    frequency        TEXT COLLATE "C" NOT NULL,
    query            TEXT COLLATE "C" NOT NULL,
    member_id        BIGINT,
    confirm_hash     TEXT COLLATE "C" UNIQUE,
    confirm_until    BIGINT,
    confirmed_at     BIGINT,
    unsubscribe_token TEXT COLLATE "C" NOT NULL UNIQUE,
    unsubscribed_at  BIGINT,
    created_at       BIGINT NOT NULL,
    UNIQUE (email_key, frequency, query)
);

CREATE INDEX subscriptions_due ON subscriptions (frequency, id)
    WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;

INSERT INTO counters (name, value) VALUES ('subscription', 0);
