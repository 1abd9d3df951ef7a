-- Submissions, authorship claims and organisations, as SQLite's migration
-- 0007 makes them (see there for the meaning of each table).
--
-- Times are milliseconds since the Unix epoch. Claim ids come from
-- `counters`, so that they are the same on every backend and a copy keeps them.

CREATE TABLE submissions (
    paper_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES papers (id),
    member_id    BIGINT NOT NULL REFERENCES members (id),
    feed_day     TEXT COLLATE "C" NOT NULL,
    submitted_at BIGINT NOT NULL
);

CREATE INDEX submissions_member ON submissions (member_id, submitted_at);

CREATE TABLE authorship_claims (
    id         BIGINT PRIMARY KEY,
    paper_id   TEXT COLLATE "C" NOT NULL REFERENCES papers (id),
    author     TEXT NOT NULL,
    author_key TEXT COLLATE "C" NOT NULL,
    member_id  BIGINT NOT NULL REFERENCES members (id),
    status     TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by BIGINT REFERENCES members (id)
);

CREATE UNIQUE INDEX claims_open_author ON authorship_claims (paper_id, author_key)
    WHERE status IN ('pending', 'approved');
CREATE UNIQUE INDEX claims_open_member ON authorship_claims (paper_id, member_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX claims_status ON authorship_claims (status, id);
CREATE INDEX claims_member ON authorship_claims (member_id, id);

CREATE TABLE paper_organizations (
    paper_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES papers (id),
    organization TEXT COLLATE "C" REFERENCES organizations (name),
    member_id    BIGINT NOT NULL REFERENCES members (id),
    linked_at    BIGINT NOT NULL
);

CREATE INDEX paper_organizations_organization ON paper_organizations (organization);

CREATE TABLE organization_members (
    key          TEXT COLLATE "C" PRIMARY KEY,
    organization TEXT COLLATE "C" NOT NULL REFERENCES organizations (name),
    member_id    BIGINT NOT NULL REFERENCES members (id),
    added_at     BIGINT NOT NULL
);

CREATE INDEX organization_members_organization ON organization_members (organization, member_id);
CREATE INDEX organization_members_member ON organization_members (member_id);

CREATE INDEX papers_organization ON papers (organization);
CREATE INDEX listings_organization ON listings ((data::json #>> '{organization,name}'));
CREATE INDEX listings_submitter_organization ON listings ((data::json #>> '{submitter_organization,name}'));
CREATE INDEX comments_member ON comments (member_id, id);

INSERT INTO counters (name, value) VALUES ('claim', 0);
