-- The community: members, their sessions, API tokens and one-time links,
-- upvotes, comments, the counts on each paper, and rate-limit windows.
--
-- Times are milliseconds since the Unix epoch. Secrets are kept only as the
-- hex SHA-256 of the token the client holds; passwords as Argon2id PHC
-- strings. Member, comment and API token ids come from `counters`, so that
-- they are the same on every backend and a copy keeps them.

CREATE TABLE members (
    id                INTEGER PRIMARY KEY,
    username          TEXT NOT NULL,
    -- lower-cased: what makes two usernames or addresses the same
    username_key      TEXT NOT NULL UNIQUE,
    email             TEXT NOT NULL,
    email_key         TEXT NOT NULL UNIQUE,
    display_name      TEXT,
    password_hash     TEXT NOT NULL,
    role              TEXT NOT NULL,
    email_verified_at INTEGER,
    banned_at         INTEGER,
    created_at        INTEGER NOT NULL,
    failed_logins     INTEGER NOT NULL,
    throttled_until   INTEGER
) STRICT;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    -- the absolute end; the idle end is seen_at plus the configured idle time
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_member ON sessions (member_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX api_tokens_member ON api_tokens (member_id);

-- Links mailed to a member: email verification, password reset.
CREATE TABLE member_tokens (
    token_hash TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    purpose    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- One row per member and paper: the key "MEMBER_ID PAPER_ID" makes a
-- second vote by the same member on the same paper impossible.
CREATE TABLE upvotes (
    key        TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    paper_id   TEXT NOT NULL REFERENCES papers (id),
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX upvotes_member ON upvotes (member_id, paper_id);
CREATE INDEX upvotes_paper ON upvotes (paper_id, created_at);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    paper_id   TEXT NOT NULL REFERENCES papers (id),
    member_id  INTEGER NOT NULL REFERENCES members (id),
    parent_id  INTEGER REFERENCES comments (id),
    -- Markdown as written; rendered and sanitised when shown
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    edited_at  INTEGER,
    deleted_at INTEGER,
    hidden_at  INTEGER
) STRICT;

CREATE INDEX comments_paper ON comments (paper_id, id);

-- Members' upvotes and visible comments per paper, kept in the same
-- transaction as each vote and comment. The imported upvote count stays in
-- papers.upvotes.
CREATE TABLE paper_counts (
    paper_id TEXT PRIMARY KEY REFERENCES papers (id),
    upvotes  INTEGER NOT NULL,
    comments INTEGER NOT NULL
) STRICT;

-- A vote moves its paper's count in the statement that casts or withdraws
-- it: the database keeps the count equal to the votes, and a vote is one
-- statement (the count's row orders concurrent votes on one paper).
CREATE TRIGGER upvotes_counted AFTER INSERT ON upvotes BEGIN
    INSERT INTO paper_counts (paper_id, upvotes, comments) VALUES (NEW.paper_id, 1, 0)
    ON CONFLICT (paper_id) DO UPDATE SET upvotes = upvotes + 1;
END;

CREATE TRIGGER upvotes_uncounted AFTER DELETE ON upvotes BEGIN
    UPDATE paper_counts SET upvotes = upvotes - 1 WHERE paper_id = OLD.paper_id;
END;

-- Fixed-window counters of rate-limited actions, shared by every process.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
) STRICT;

INSERT INTO counters (name, value) VALUES ('member', 0), ('comment', 0), ('api_token', 0);
