-- Trending scores, and what moderation reads.
--
-- A refresh computes every score at once (the formula is
-- dailypapers_domain::trending::score) and replaces the whole table in one
-- transaction; only papers that trend have a row. The score is stored as an
-- integer, the formula's value times 10^9, so that both backends order and
-- copy it exactly. When the scores were computed is the checkpoint
-- `trending.computed_at`.

CREATE TABLE trending (
    paper_id    TEXT PRIMARY KEY REFERENCES papers (id),
    score       INTEGER NOT NULL,
    -- "31 upvotes, 12 in the last 24 h · 4 comments today"
    reason      TEXT NOT NULL,
    computed_at INTEGER NOT NULL
) STRICT;

CREATE INDEX trending_rank ON trending (score DESC, paper_id);

-- The admin page lists the hidden comments.
CREATE INDEX comments_hidden ON comments (hidden_at) WHERE hidden_at IS NOT NULL;
