-- Which process is embedding which paper, so that several servers on one
-- store each embed different papers. A claim is taken with the work
-- (`claim_embedding_work`), removed when the embedding is saved, and lapses
-- at `expires_at` (milliseconds since the Unix epoch) if its holder dies.

CREATE TABLE embedding_claims (
    doc        INTEGER PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
