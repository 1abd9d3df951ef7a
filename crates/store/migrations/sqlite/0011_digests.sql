-- Digests: what was composed, and which papers each subscription was sent.
--
-- `digests` has one row per digest (`digest:daily:2026-12-07`), written
-- when it starts and stamped `composed_at` once every subscriber's message
-- is in the outbox: a digest with `composed_at` is never composed again,
-- and one without (its composer died) is composed again from the start,
-- the outbox skipping what is already queued.
--
-- `digest_papers` holds every paper a subscription's digest listed,
-- written in the transaction that queues that digest's message: a
-- saved-search digest never lists a paper twice to one subscription.
-- Times are milliseconds since the Unix epoch.
CREATE TABLE digests (
    name         TEXT PRIMARY KEY,
    frequency    TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    composed_at  INTEGER,
    recipients   INTEGER NOT NULL
) STRICT;

CREATE TABLE digest_papers (
    subscription_id INTEGER NOT NULL,
    paper_id        TEXT NOT NULL,
    digest          TEXT NOT NULL,
    sent_at         INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, paper_id)
) STRICT;
