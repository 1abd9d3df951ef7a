-- What search needs from the store.
--
-- `doc` is a paper's stable document number: the key the keyword and vector
-- indexes use. `seq` grows on every write of a paper, so an index can follow
-- the store by asking for what changed after the last `seq` it saw.
-- `embeddings` holds one vector per paper (f16, little-endian), the model
-- that made it, the hash of the text it was made from and the paper's `seq`
-- when it was last checked; `rev` orders writes for the vector index to follow.

ALTER TABLE papers ADD COLUMN doc INTEGER;
UPDATE papers SET doc = rowid;
CREATE UNIQUE INDEX papers_doc ON papers (doc);

ALTER TABLE papers ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE papers SET seq = doc;
CREATE INDEX papers_seq ON papers (seq);

CREATE TABLE embeddings (
    doc        INTEGER PRIMARY KEY,
    model      TEXT NOT NULL,
    text_hash  INTEGER NOT NULL,
    paper_seq  INTEGER NOT NULL,
    rev        INTEGER NOT NULL,
    vector     BLOB NOT NULL
) STRICT;

CREATE INDEX embeddings_rev ON embeddings (rev);

-- The keyword index (tantivy, beside the database) replaces the plain
-- substring match over this column.
ALTER TABLE papers DROP COLUMN search_text;
