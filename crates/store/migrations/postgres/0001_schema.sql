-- The whole schema on PostgreSQL: the same tables, columns and meaning as
-- the SQLite migrations 0001-0003 leave (see there), so that `copy` between
-- backends is a plain row copy.
--
-- Text that is compared or sorted uses the "C" collation: byte order, as
-- SQLite compares, whatever the database's default locale.

CREATE TABLE organizations (
    name     TEXT COLLATE "C" PRIMARY KEY,
    fullname TEXT NOT NULL,
    data     TEXT NOT NULL
);

CREATE TABLE papers (
    id               TEXT COLLATE "C" PRIMARY KEY,
    -- the stable document number the search indexes use
    doc              BIGINT NOT NULL UNIQUE,
    -- grows on every write of the paper: what the indexes follow
    seq              BIGINT NOT NULL,
    primary_category TEXT,
    organization     TEXT,
    published_at     TEXT COLLATE "C",
    upvotes          BIGINT NOT NULL DEFAULT 0,
    data             TEXT NOT NULL
);

CREATE INDEX papers_published ON papers (published_at);
CREATE INDEX papers_seq ON papers (seq);

CREATE TABLE listings (
    paper_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES papers (id),
    feed_day     TEXT COLLATE "C" NOT NULL,
    submitted_at TEXT COLLATE "C" NOT NULL,
    listed_at    TEXT COLLATE "C" NOT NULL,
    submitter    TEXT COLLATE "C",
    data         TEXT NOT NULL
);

CREATE INDEX listings_day ON listings (feed_day, submitted_at);
CREATE INDEX listings_submitted ON listings (submitted_at);
CREATE INDEX listings_listed ON listings (listed_at);
CREATE INDEX listings_submitter ON listings (submitter, submitted_at);

CREATE TABLE checkpoints (
    key        TEXT COLLATE "C" PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE embeddings (
    doc       BIGINT PRIMARY KEY,
    model     TEXT NOT NULL,
    text_hash BIGINT NOT NULL,
    paper_seq BIGINT NOT NULL,
    rev       BIGINT NOT NULL,
    vector    BYTEA NOT NULL
);

CREATE INDEX embeddings_rev ON embeddings (rev);

-- The last document number, change sequence number and embedding revision
-- handed out; a writer locks the row it adds to until it commits, so
-- numbers are handed out in commit order.
CREATE TABLE counters (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BIGINT NOT NULL
);

INSERT INTO counters (name, value) VALUES ('doc', 0), ('seq', 0), ('rev', 0);

CREATE TABLE leases (
    name        TEXT COLLATE "C" PRIMARY KEY,
    holder      TEXT NOT NULL,
    -- milliseconds since the Unix epoch
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
