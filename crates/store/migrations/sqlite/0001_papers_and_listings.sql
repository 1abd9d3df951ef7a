-- Papers, feed listings, organisations and ingestion checkpoints.
--
-- A paper is kept whole as JSON in `data` (the domain `Paper`); the columns
-- beside it are projections of it that queries filter and sort on.

CREATE TABLE organizations (
    name       TEXT PRIMARY KEY,
    fullname   TEXT NOT NULL,
    data       TEXT NOT NULL
) STRICT;

CREATE TABLE papers (
    id               TEXT PRIMARY KEY,
    -- lower-cased title, abstract, authors and id, for the plain keyword match
    search_text      TEXT NOT NULL,
    primary_category TEXT,
    organization     TEXT,
    published_at     TEXT,
    upvotes          INTEGER NOT NULL DEFAULT 0,
    data             TEXT NOT NULL
) STRICT;

CREATE INDEX papers_published ON papers (published_at);

CREATE TABLE listings (
    paper_id     TEXT PRIMARY KEY REFERENCES papers (id),
    feed_day     TEXT NOT NULL,
    -- FeedEntry::submission_time: what orders listings with equal upvotes
    submitted_at TEXT NOT NULL,
    -- FeedEntry::listed_at: the listing's own publication (upstream publishedAt)
    listed_at    TEXT NOT NULL,
    submitter    TEXT,
    data         TEXT NOT NULL
) STRICT;

CREATE INDEX listings_day ON listings (feed_day, submitted_at);
CREATE INDEX listings_submitted ON listings (submitted_at);
CREATE INDEX listings_listed ON listings (listed_at);
CREATE INDEX listings_submitter ON listings (submitter, submitted_at);

CREATE TABLE checkpoints (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
