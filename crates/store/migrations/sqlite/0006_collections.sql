-- Collections: a member's named, ordered lists of papers, each paper with an
-- optional note.
--
-- Ids are 24 hexadecimal digits, as upstream's are: the creation time in
-- seconds (8 digits) and a number from `counters` (16 digits), so they are
-- the same on every backend and a copy keeps them. Times are milliseconds
-- since the Unix epoch. Positions are kept a permutation 0..n-1 of each
-- member's collections and of each collection's papers: the unique keys
-- below make two rows at one position impossible, and every change that
-- moves rows runs while no other change of the same list can (SQLite's one
-- writer; on PostgreSQL, the row locks the store takes first).

CREATE TABLE collections (
    id          TEXT PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES members (id),
    title       TEXT NOT NULL,
    -- lower-cased: what makes two titles of one owner the same
    title_key   TEXT NOT NULL,
    description TEXT,
    private     INTEGER NOT NULL,
    theme       TEXT NOT NULL,
    -- in the owner's list of collections
    position    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (owner_id, title_key),
    UNIQUE (owner_id, position)
) STRICT;

CREATE INDEX collections_updated ON collections (updated_at, id);

-- One row per paper in a collection: a paper is at most once in each
-- (the unique key), and deleting a collection deletes its items.
CREATE TABLE collection_items (
    id            TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id      TEXT NOT NULL REFERENCES papers (id),
    position      INTEGER NOT NULL,
    note          TEXT,
    added_at      INTEGER NOT NULL,
    UNIQUE (collection_id, paper_id),
    UNIQUE (collection_id, position)
) STRICT;

CREATE INDEX collection_items_paper ON collection_items (paper_id);

INSERT INTO counters (name, value) VALUES ('collection', 0), ('collection_item', 0);
