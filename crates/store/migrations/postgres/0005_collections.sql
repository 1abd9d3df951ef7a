-- Collections, as SQLite's migration 0006 makes them (see there for the
-- meaning of each table and column): a member's named, ordered lists of
-- papers, each paper with an optional note.

CREATE TABLE collections (
    id          TEXT COLLATE "C" PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES members (id),
    title       TEXT NOT NULL,
    title_key   TEXT COLLATE "C" NOT NULL,
    description TEXT,
    private     BIGINT NOT NULL,
    theme       TEXT NOT NULL,
    position    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (owner_id, title_key),
    UNIQUE (owner_id, position)
);

CREATE INDEX collections_updated ON collections (updated_at, id);

CREATE TABLE collection_items (
    id            TEXT COLLATE "C" PRIMARY KEY,
    collection_id TEXT COLLATE "C" NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id      TEXT COLLATE "C" NOT NULL REFERENCES papers (id),
    position      BIGINT NOT NULL,
    note          TEXT,
    added_at      BIGINT NOT NULL,
    UNIQUE (collection_id, paper_id),
    UNIQUE (collection_id, position)
);

CREATE INDEX collection_items_paper ON collection_items (paper_id);

INSERT INTO counters (name, value) VALUES ('collection', 0), ('collection_item', 0);
