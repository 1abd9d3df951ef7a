-- Which process is embedding which paper (see the SQLite migration 0004).

CREATE TABLE embedding_claims (
    doc        BIGINT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
