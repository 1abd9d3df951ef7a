-- A batch of votes in one call: the server runs the whole batch, so the
-- papers' count rows stay locked for the time the batch takes to write,
-- not for the five round trips a transaction driven from the client took
-- (under two servers voting on the same papers, those waits were the p99).
--
-- Arguments are the votes in arrival order. Answers first one `had` row per
-- key already stored before the batch (what `batch::resolve` needs to say
-- which votes changed something), then one `count` row per paper that
-- exists: its imported upvotes and its members' upvotes after the batch.
-- A key's final state is its last vote's: upvoting is setting, not
-- toggling, so that is what the votes in order leave.
CREATE FUNCTION cast_votes(
    p_keys text[], p_members bigint[], p_papers text[], p_ats bigint[], p_ons boolean[]
) RETURNS TABLE (kind text, id text, base bigint, members bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    -- Lock the count rows in id order, so two batches never wait for each
    -- other in a cycle (every vote's row is reached through its paper's).
    INSERT INTO paper_counts (paper_id, upvotes, comments)
    SELECT p.id, 0, 0
    FROM (SELECT DISTINCT u.id FROM unnest(p_papers) AS u(id)) AS w
    JOIN papers p ON p.id = w.id
    ORDER BY p.id
    ON CONFLICT (paper_id) DO UPDATE SET upvotes = paper_counts.upvotes;

    RETURN QUERY SELECT 'had'::text, v.key, 0::bigint, 0::bigint
        FROM upvotes v WHERE v.key = ANY (p_keys);

    -- Each key's last vote.
    INSERT INTO upvotes (key, member_id, paper_id, created_at)
    SELECT l.k, l.m, l.p, l.at
    FROM (
        SELECT DISTINCT ON (u.k) u.k, u.m, u.p, u.at, u.o
        FROM unnest(p_keys, p_members, p_papers, p_ats, p_ons) WITH ORDINALITY AS u(k, m, p, at, o, n)
        ORDER BY u.k, u.n DESC
    ) AS l
    JOIN papers p ON p.id = l.p
    WHERE l.o
    ORDER BY l.k
    ON CONFLICT (key) DO NOTHING;

    DELETE FROM upvotes v
    USING (
        SELECT DISTINCT ON (u.k) u.k, u.o
        FROM unnest(p_keys, p_ons) WITH ORDINALITY AS u(k, o, n)
        ORDER BY u.k, u.n DESC
    ) AS l
    WHERE v.key = l.k AND NOT l.o;

    RETURN QUERY SELECT 'count'::text, p.id, p.upvotes::bigint, coalesce(c.upvotes, 0)::bigint
        FROM papers p LEFT JOIN paper_counts c ON c.paper_id = p.id
        WHERE p.id = ANY (p_papers);
END
$$;
