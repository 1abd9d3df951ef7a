-- Trending scores, and what moderation reads, as SQLite's migration 0008
-- makes them (see there for the meaning of each column).

CREATE TABLE trending (
    paper_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES papers (id),
    score       BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    computed_at BIGINT NOT NULL
);

CREATE INDEX trending_rank ON trending (score DESC, paper_id);

CREATE INDEX comments_hidden ON comments (hidden_at) WHERE hidden_at IS NOT NULL;
