-- The community, as SQLite's migration 0005 makes it (see there for the
-- meaning of each table): members, their sessions, API tokens and one-time links,
-- upvotes, comments, the counts on each paper, and rate-limit windows.
--
-- Times are milliseconds since the Unix epoch. Secrets are kept only as the
-- hex SHA-256 of the token the client holds; passwords as Argon2id PHC
-- strings. Member, comment and API token ids come from `counters`, so that
-- they are the same on every backend and a copy keeps them.

CREATE TABLE members (
    id                BIGINT PRIMARY KEY,
    username          TEXT NOT NULL,
    -- lower-cased: what makes two usernames or addresses the same
    username_key      TEXT COLLATE "C" NOT NULL UNIQUE,
    email             TEXT NOT NULL,
    email_key         TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name      TEXT,
    password_hash     TEXT NOT NULL,
    role              TEXT NOT NULL,
    email_verified_at BIGINT,
    banned_at         BIGINT,
    created_at        BIGINT NOT NULL,
    failed_logins     BIGINT NOT NULL,
    throttled_until   BIGINT
);

CREATE TABLE sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL,
    -- the absolute end; the idle end is seen_at plus the configured idle time
    expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_member ON sessions (member_id);

CREATE TABLE api_tokens (
    id         BIGINT PRIMARY KEY,
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    member_id  BIGINT NOT NULL REFERENCES members (id),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX api_tokens_member ON api_tokens (member_id);

-- Links mailed to a member: email verification, password reset.
CREATE TABLE member_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id),
    purpose    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- One row per member and paper: the key "MEMBER_ID PAPER_ID" makes a
-- second vote by the same member on the same paper impossible.
CREATE TABLE upvotes (
    key        TEXT COLLATE "C" PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id),
    paper_id   TEXT COLLATE "C" NOT NULL REFERENCES papers (id),
    created_at BIGINT NOT NULL
);

CREATE INDEX upvotes_member ON upvotes (member_id, paper_id);
CREATE INDEX upvotes_paper ON upvotes (paper_id, created_at);

CREATE TABLE comments (
    id         BIGINT PRIMARY KEY,
    paper_id   TEXT COLLATE "C" NOT NULL REFERENCES papers (id),
    member_id  BIGINT NOT NULL REFERENCES members (id),
    parent_id  BIGINT REFERENCES comments (id),
    -- Markdown as written; rendered and sanitised when shown
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edited_at  BIGINT,
    deleted_at BIGINT,
    hidden_at  BIGINT
);

CREATE INDEX comments_paper ON comments (paper_id, id);

-- Members' upvotes and visible comments per paper, kept in the same
-- transaction as each vote and comment. The imported upvote count stays in
-- papers.upvotes.
CREATE TABLE paper_counts (
    paper_id TEXT COLLATE "C" PRIMARY KEY REFERENCES papers (id),
    upvotes  BIGINT NOT NULL,
    comments BIGINT NOT NULL
);

-- A vote moves its paper's count in the statement that casts or withdraws
-- it (see SQLite's 0005).
CREATE FUNCTION count_upvote() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO paper_counts (paper_id, upvotes, comments) VALUES (NEW.paper_id, 1, 0)
        ON CONFLICT (paper_id) DO UPDATE SET upvotes = paper_counts.upvotes + 1;
        RETURN NEW;
    END IF;
    UPDATE paper_counts SET upvotes = upvotes - 1 WHERE paper_id = OLD.paper_id;
    RETURN OLD;
END
$$;

CREATE TRIGGER upvotes_counted AFTER INSERT OR DELETE ON upvotes
    FOR EACH ROW EXECUTE FUNCTION count_upvote();

-- Fixed-window counters of rate-limited actions, shared by every process.
CREATE TABLE rate_limits (
    key          TEXT COLLATE "C" PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);

INSERT INTO counters (name, value) VALUES ('member', 0), ('comment', 0), ('api_token', 0);
