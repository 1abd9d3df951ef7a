-- Digest subscriptions: an address, how often (daily on weekdays, or
-- weekly), and an optional saved search (empty: the trending digest).
--
-- Double opt-in: a row starts unconfirmed, with the hash of a confirmation
-- token that expires; confirming clears it. Unsubscribing keeps the row
-- (with unsubscribed_at) so that a digest composed later skips it;
-- subscribing again starts a new confirmation. `unsubscribe_token` is the
-- secret every digest's unsubscribe link carries (it can only unsubscribe,
-- so it is kept as is: digests are composed from it). Times are
-- milliseconds since the Unix epoch; ids come from `counters`.
CREATE TABLE subscriptions (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL,
    email_key        TEXT NOT NULL,
    frequency        TEXT NOT NULL,
    query            TEXT NOT NULL,
    member_id        INTEGER,
    confirm_hash     TEXT UNIQUE,
    confirm_until    INTEGER,
    confirmed_at     INTEGER,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    unsubscribed_at  INTEGER,
    created_at       INTEGER NOT NULL,
    UNIQUE (email_key, frequency, query)
) STRICT;

CREATE INDEX subscriptions_due ON subscriptions (frequency, id)
    WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;

INSERT INTO counters (name, value) VALUES ('subscription', 0);
