-- Digests and the papers each subscription was sent, as SQLite's migration
-- 0011 makes them (see there for the meaning of each column).

CREATE TABLE digests (
    name         TEXT COLLATE "C" PRIMARY KEY,
    frequency    TEXT COLLATE "C" NOT NULL,
    started_at   BIGINT NOT NULL,
    composed_at  BIGINT,
    recipients   BIGINT NOT NULL
);

CREATE TABLE digest_papers (
    subscription_id BIGINT NOT NULL,
    paper_id        TEXT COLLATE "C" NOT NULL,
    digest          TEXT COLLATE "C" NOT NULL,
    sent_at         BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, paper_id)
);
