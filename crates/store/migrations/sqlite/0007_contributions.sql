-- What members contribute beyond votes and comments: papers submitted by
-- arXiv id, claims to be one of a paper's authors, and organisations (the
-- papers admins link to one, and its members).
--
-- Times are milliseconds since the Unix epoch. Claim ids come from
-- `counters`, so that they are the same on every backend and a copy keeps them.

-- Who put a paper on the feed by its arXiv id (the listing itself is in
-- `listings`, written by the import path). One per paper: a paper already
-- on the feed cannot be submitted.
CREATE TABLE submissions (
    paper_id     TEXT PRIMARY KEY REFERENCES papers (id),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    feed_day     TEXT NOT NULL,
    submitted_at INTEGER NOT NULL
) STRICT;

CREATE INDEX submissions_member ON submissions (member_id, submitted_at);

-- A member's claim to be one of a paper's authors, decided by an admin.
CREATE TABLE authorship_claims (
    id         INTEGER PRIMARY KEY,
    paper_id   TEXT NOT NULL REFERENCES papers (id),
    -- the author's name as the paper spells it
    author     TEXT NOT NULL,
    -- dailypapers_domain::contribution::author_key of it
    author_key TEXT NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    -- pending, approved, rejected, withdrawn
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by INTEGER REFERENCES members (id)
) STRICT;

-- An open (pending or approved) claim holds its author, and its member's
-- place on the paper: the database refuses a second one.
CREATE UNIQUE INDEX claims_open_author ON authorship_claims (paper_id, author_key)
    WHERE status IN ('pending', 'approved');
CREATE UNIQUE INDEX claims_open_member ON authorship_claims (paper_id, member_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX claims_status ON authorship_claims (status, id);
CREATE INDEX claims_member ON authorship_claims (member_id, id);

-- An admin's decision about a paper's organisation, which no import writes
-- and every read lays over what the sources said: the organisation it is
-- linked to, or NULL for none.
CREATE TABLE paper_organizations (
    paper_id     TEXT PRIMARY KEY REFERENCES papers (id),
    organization TEXT REFERENCES organizations (name),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    linked_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX paper_organizations_organization ON paper_organizations (organization);

-- Members of an organisation; the key "MEMBER_ID ORGANIZATION" makes a
-- membership unique.
CREATE TABLE organization_members (
    key          TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    added_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX organization_members_organization ON organization_members (organization, member_id);
CREATE INDEX organization_members_member ON organization_members (member_id);

-- An organisation's page finds the papers its sources attribute to it.
CREATE INDEX papers_organization ON papers (organization);
CREATE INDEX listings_organization ON listings (data ->> '$.organization.name');
CREATE INDEX listings_submitter_organization ON listings (data ->> '$.submitter_organization.name');

-- A member's page lists their recent comments.
CREATE INDEX comments_member ON comments (member_id, id);

INSERT INTO counters (name, value) VALUES ('claim', 0);
