//! Submissions, authorship claims and organisations on PostgreSQL: the SQL
//! of [`Contributions`] and little else. A submission runs the import path
//! ([`super::read_stored`], [`crate::merge::plan`], [`super::write_plan`])
//! under the imports' advisory lock, inside the transaction that checks the
//! paper is not listed yet; so does making an organisation, whose name
//! imports write too.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::contribution::author_key;
use dailypapers_domain::{ArxivId, ClaimStatus, Listing, Organization};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row};

use super::{IMPORT_LOCK, LISTING_COLUMNS, PostgresStore, listing_from_row, millis, take_numbers};
use crate::codec::{day_text, parse_day, to_i64, to_json};
use crate::community::{COMMENT_COLUMNS, MEMBER_COLUMNS, Member, member_from_row, taken};
use crate::contributions::{
    Arg, AuthoredPaper, Claim, ClaimChangeRefusal, ClaimRefusal, CommentOnPaper, Contributions,
    LinkRefusal, NewClaim, change_refusal, claim_from_row, claim_refusal, claim_select,
    comment_on_paper_from_row, membership_key, organization_from_row, source_organization,
    submission,
};
use crate::merge::Incoming;
use crate::retry::retrying;
use crate::{ImportOutcome, StoreError};

/// The paper's title, as PostgreSQL reads it from the stored JSON (`p`).
const TITLE: &str = "(p.data::json ->> 'title')";

/// Gives the paper a new change sequence number, so the search index reads
/// it again (its organisation changed).
async fn touch_paper(conn: &mut PgConnection, paper: &str) -> Result<(), StoreError> {
    let seq = take_numbers(conn, "seq", 1).await? + 1;
    sqlx::query("UPDATE papers SET seq = $2 WHERE id = $1")
        .bind(paper)
        .bind(to_i64(seq))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn exists(conn: &mut PgConnection, sql: &str, value: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar::<_, i32>(sql)
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

impl PostgresStore {
    /// The rows `sql` selects, its `?N` bound to `args` in order, read on
    /// `pool` (the writer, to see what was just written).
    async fn fetch(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        pool: &PgPool,
    ) -> Result<Vec<PgRow>, StoreError> {
        let mut q = sqlx::query(sql);
        for a in args {
            q = match a {
                Arg::Int(n) => q.bind(*n),
                Arg::Text(t) => q.bind(*t),
            };
        }
        Ok(q.fetch_all(pool).await?)
    }

    /// The claims `condition` selects (see [`Self::fetch`]).
    async fn claims_where(
        &self,
        condition: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Claim>, StoreError> {
        let sql = format!("{} WHERE {condition}", claim_select(TITLE));
        let rows = self.fetch(&sql, args, &self.pool).await?;
        rows.iter().map(claim_from_row).collect()
    }

    /// The listings `sql` selects (see [`Self::fetch`]).
    async fn listings_where(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Listing>, StoreError> {
        let rows = self.fetch(sql, args, &self.pool).await?;
        rows.iter().map(listing_from_row).collect()
    }

    async fn submit_once(
        &self,
        incoming: &Incoming,
        paper: &str,
        day: NaiveDate,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<ImportOutcome, NaiveDate>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK)
            .execute(&mut *tx)
            .await?;
        let listed: Option<String> =
            sqlx::query_scalar("SELECT feed_day FROM listings WHERE paper_id = $1")
                .bind(paper)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(day) = listed {
            return Ok(Err(parse_day(&day)?));
        }
        let stored = super::read_stored(&mut tx, incoming.ids()).await?;
        let plan = crate::merge::plan(incoming, stored)?;
        super::write_plan(&mut tx, &plan).await?;
        sqlx::query(
            "INSERT INTO submissions (paper_id, member_id, feed_day, submitted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (paper_id) DO UPDATE SET \
             member_id = excluded.member_id, feed_day = excluded.feed_day, \
             submitted_at = excluded.submitted_at",
        )
        .bind(paper)
        .bind(to_i64(member_id))
        .bind(day_text(day))
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(plan.outcome))
    }

    async fn claim_once(&self, new: &NewClaim) -> Result<Result<Claim, ClaimRefusal>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !exists(
            &mut tx,
            "SELECT 1 FROM papers WHERE id = $1",
            new.paper.as_str(),
        )
        .await?
        {
            return Ok(Err(ClaimRefusal::NoSuchPaper));
        }
        let id = take_numbers(&mut tx, "claim", 1).await? + 1;
        let inserted = sqlx::query(
            "INSERT INTO authorship_claims (id, paper_id, author, author_key, member_id, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
        )
        .bind(to_i64(id))
        .bind(new.paper.as_str())
        .bind(&new.author)
        .bind(author_key(&new.author))
        .bind(to_i64(new.member_id))
        .bind(millis(new.now))
        .execute(&mut *tx)
        .await;
        match inserted {
            // An open claim holds the author or the member's place: say which.
            Err(e) if taken(&e).is_some() => {
                drop(tx);
                let open = self.paper_claims(&new.paper).await?;
                return match claim_refusal(new, open) {
                    Some(refusal) => Ok(Err(refusal)),
                    None => Err(e.into()),
                };
            }
            other => {
                other?;
            }
        }
        tx.commit().await?;
        let claim = self.claim(id).await?.ok_or(StoreError::Corrupt(format!(
            "claim {id} is missing after it was stored"
        )))?;
        Ok(Ok(claim))
    }

    /// Moves a pending claim to `to`: by an admin (`decided_by`), or by its
    /// claimant (`only_member`).
    async fn leave_pending(
        &self,
        id: u64,
        to: ClaimStatus,
        decided_by: Option<u64>,
        only_member: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Result<Claim, ClaimChangeRefusal>, StoreError> {
        let done = retrying("deciding a claim", || async {
            Ok(sqlx::query(
                "UPDATE authorship_claims SET status = $2, decided_at = $3, decided_by = $4 \
                 WHERE id = $1 AND status = 'pending' AND ($5::BIGINT IS NULL OR member_id = $5)",
            )
            .bind(to_i64(id))
            .bind(to.as_str())
            .bind(millis(now))
            .bind(decided_by.map(to_i64))
            .bind(only_member.map(to_i64))
            .execute(&self.pool)
            .await?
            .rows_affected())
        })
        .await?;
        let claim = self.claim(id).await?;
        Ok(match claim {
            Some(c) if done == 1 => Ok(c),
            other => Err(change_refusal(other, only_member)),
        })
    }

    async fn link_once(
        &self,
        name: &str,
        paper: &ArxivId,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<(), LinkRefusal>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !exists(&mut tx, "SELECT 1 FROM organizations WHERE name = $1", name).await? {
            return Ok(Err(LinkRefusal::NoSuchOrganization));
        }
        if !exists(
            &mut tx,
            "SELECT 1 FROM papers WHERE id = $1",
            paper.as_str(),
        )
        .await?
        {
            return Ok(Err(LinkRefusal::NoSuchPaper));
        }
        set_link(&mut tx, paper.as_str(), Some(name), by, now).await?;
        touch_paper(&mut tx, paper.as_str()).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn unlink_once(
        &self,
        name: &str,
        paper: &ArxivId,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT p.data AS paper, l.data AS entry, \
             (SELECT 1::BIGINT FROM paper_organizations po WHERE po.paper_id = p.id) AS linked, \
             (SELECT po.organization FROM paper_organizations po WHERE po.paper_id = p.id) AS link \
             FROM papers p LEFT JOIN listings l ON l.paper_id = p.id WHERE p.id = $1 \
             FOR UPDATE OF p",
        )
        .bind(paper.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let source = source_organization(
            row.try_get::<&str, _>("paper")?,
            row.try_get::<Option<&str>, _>("entry")?,
        )?;
        let shown = match row.try_get::<Option<i64>, _>("linked")? {
            Some(_) => row.try_get::<Option<String>, _>("link")?,
            None => source.clone(),
        };
        if shown.as_deref() != Some(name) {
            return Ok(false);
        }
        if source.as_deref() == Some(name) {
            set_link(&mut tx, paper.as_str(), None, by, now).await?;
        } else {
            sqlx::query("DELETE FROM paper_organizations WHERE paper_id = $1")
                .bind(paper.as_str())
                .execute(&mut *tx)
                .await?;
        }
        touch_paper(&mut tx, paper.as_str()).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_member_once(
        &self,
        name: &str,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<bool, LinkRefusal>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !exists(&mut tx, "SELECT 1 FROM organizations WHERE name = $1", name).await? {
            return Ok(Err(LinkRefusal::NoSuchOrganization));
        }
        let member: Option<i32> = sqlx::query_scalar("SELECT 1 FROM members WHERE id = $1")
            .bind(to_i64(member_id))
            .fetch_optional(&mut *tx)
            .await?;
        if member.is_none() {
            return Ok(Err(LinkRefusal::NoSuchMember));
        }
        let added = sqlx::query(
            "INSERT INTO organization_members (key, organization, member_id, added_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
        )
        .bind(membership_key(member_id, name))
        .bind(name)
        .bind(to_i64(member_id))
        .bind(millis(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Ok(added == 1))
    }
}

/// Records an admin's organisation decision for a paper (`None`: no organisation).
async fn set_link(
    conn: &mut PgConnection,
    paper: &str,
    organization: Option<&str>,
    by: u64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO paper_organizations (paper_id, organization, member_id, linked_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (paper_id) DO UPDATE SET \
         organization = excluded.organization, member_id = excluded.member_id, \
         linked_at = excluded.linked_at",
    )
    .bind(paper)
    .bind(organization)
    .bind(to_i64(by))
    .bind(millis(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Contributions for PostgresStore {
    async fn submit_paper(
        &self,
        listing: Listing,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<ImportOutcome, NaiveDate>, StoreError> {
        let (incoming, paper, day) = submission(listing)?;
        retrying("storing a submission", || {
            self.submit_once(&incoming, &paper, day, member_id, now)
        })
        .await
    }

    async fn member_submissions(
        &self,
        member_id: u64,
        limit: u64,
    ) -> Result<Vec<Listing>, StoreError> {
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM submissions s JOIN papers p ON p.id = s.paper_id \
             LEFT JOIN listings l ON l.paper_id = p.id LEFT JOIN paper_counts c ON c.paper_id = p.id \
             WHERE s.member_id = $1 ORDER BY s.submitted_at DESC, s.paper_id LIMIT $2"
        );
        self.listings_where(
            &sql,
            &[Arg::Int(to_i64(member_id)), Arg::Int(to_i64(limit))],
        )
        .await
    }

    async fn claim_authorship(
        &self,
        new: &NewClaim,
    ) -> Result<Result<Claim, ClaimRefusal>, StoreError> {
        retrying("storing a claim", || self.claim_once(new)).await
    }

    async fn claim(&self, id: u64) -> Result<Option<Claim>, StoreError> {
        Ok(self
            .claims_where("a.id = $1", &[Arg::Int(to_i64(id))])
            .await?
            .pop())
    }

    async fn decide_claim(
        &self,
        id: u64,
        approve: bool,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<Claim, ClaimChangeRefusal>, StoreError> {
        self.leave_pending(id, ClaimStatus::decided(approve), Some(by), None, now)
            .await
    }

    async fn withdraw_claim(
        &self,
        id: u64,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<Claim, ClaimChangeRefusal>, StoreError> {
        self.leave_pending(id, ClaimStatus::Withdrawn, None, Some(member_id), now)
            .await
    }

    async fn claims_in(&self, status: ClaimStatus, limit: u64) -> Result<Vec<Claim>, StoreError> {
        self.claims_where(
            "a.status = $1 ORDER BY a.id LIMIT $2",
            &[Arg::Text(status.as_str()), Arg::Int(to_i64(limit))],
        )
        .await
    }

    async fn paper_claims(&self, paper: &ArxivId) -> Result<Vec<Claim>, StoreError> {
        self.claims_where(
            "a.paper_id = $1 AND a.status IN ('pending', 'approved') ORDER BY a.id",
            &[Arg::Text(paper.as_str())],
        )
        .await
    }

    async fn member_claims(&self, member_id: u64, limit: u64) -> Result<Vec<Claim>, StoreError> {
        self.claims_where(
            "a.member_id = $1 ORDER BY a.id DESC LIMIT $2",
            &[Arg::Int(to_i64(member_id)), Arg::Int(to_i64(limit))],
        )
        .await
    }

    async fn member_papers(
        &self,
        member_id: u64,
        limit: u64,
    ) -> Result<Vec<AuthoredPaper>, StoreError> {
        let sql = format!(
            "SELECT {LISTING_COLUMNS}, a.author AS author FROM authorship_claims a \
             JOIN papers p ON p.id = a.paper_id LEFT JOIN listings l ON l.paper_id = p.id \
             LEFT JOIN paper_counts c ON c.paper_id = p.id \
             WHERE a.member_id = $1 AND a.status = 'approved' \
             ORDER BY a.decided_at DESC, a.id DESC LIMIT $2"
        );
        let args = [Arg::Int(to_i64(member_id)), Arg::Int(to_i64(limit))];
        let rows = self.fetch(&sql, &args, &self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(AuthoredPaper {
                    author: row.try_get("author")?,
                    listing: listing_from_row(row)?,
                })
            })
            .collect()
    }

    async fn member_comments(
        &self,
        member_id: u64,
        limit: u64,
    ) -> Result<Vec<CommentOnPaper>, StoreError> {
        let sql = format!(
            "SELECT {COMMENT_COLUMNS}, {TITLE} AS paper_title FROM comments c \
             JOIN members m ON m.id = c.member_id JOIN papers p ON p.id = c.paper_id \
             WHERE c.member_id = $1 AND c.deleted_at IS NULL AND c.hidden_at IS NULL \
             ORDER BY c.id DESC LIMIT $2"
        );
        let args = [Arg::Int(to_i64(member_id)), Arg::Int(to_i64(limit))];
        let rows = self.fetch(&sql, &args, &self.pool).await?;
        rows.iter().map(comment_on_paper_from_row).collect()
    }

    async fn create_organization(&self, org: &Organization) -> Result<bool, StoreError> {
        retrying("creating an organisation", || async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(IMPORT_LOCK)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(
                "INSERT INTO organizations (name, fullname, data) \
                 SELECT $1, $2, $3 WHERE NOT EXISTS \
                   (SELECT 1 FROM organizations WHERE lower(name) = lower($1)) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(&org.name)
            .bind(&org.fullname)
            .bind(to_json(org))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn organizations(&self, limit: u64) -> Result<Vec<Organization>, StoreError> {
        let sql = "SELECT data FROM organizations ORDER BY name LIMIT $1";
        let rows = self
            .fetch(sql, &[Arg::Int(to_i64(limit))], &self.pool)
            .await?;
        rows.iter().map(organization_from_row).collect()
    }

    async fn organization_papers(
        &self,
        name: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Listing>, StoreError> {
        // The candidates come from indexed columns and the (small) listings
        // table; the badge each one shows decides.
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM papers p LEFT JOIN listings l ON l.paper_id = p.id \
             LEFT JOIN paper_counts c ON c.paper_id = p.id \
             LEFT JOIN paper_organizations po ON po.paper_id = p.id \
             WHERE p.id IN (SELECT id FROM papers WHERE organization = $1 \
                UNION SELECT paper_id FROM listings \
                  WHERE data::json #>> '{{organization,name}}' = $1 \
                     OR data::json #>> '{{submitter_organization,name}}' = $1 \
                UNION SELECT paper_id FROM paper_organizations WHERE organization = $1) \
             AND CASE WHEN po.paper_id IS NOT NULL THEN coalesce(po.organization = $1, false) \
                 ELSE coalesce(l.data::json #>> '{{organization,name}}', p.organization, \
                               l.data::json #>> '{{submitter_organization,name}}') = $1 END \
             ORDER BY l.feed_day DESC NULLS LAST, p.published_at DESC NULLS LAST, p.id \
             LIMIT $2 OFFSET $3"
        );
        let args = [
            Arg::Text(name),
            Arg::Int(to_i64(limit)),
            Arg::Int(to_i64(offset)),
        ];
        self.listings_where(&sql, &args).await
    }

    async fn link_paper(
        &self,
        name: &str,
        paper: &ArxivId,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<(), LinkRefusal>, StoreError> {
        retrying("linking a paper", || self.link_once(name, paper, by, now)).await
    }

    async fn unlink_paper(
        &self,
        name: &str,
        paper: &ArxivId,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying("unlinking a paper", || {
            self.unlink_once(name, paper, by, now)
        })
        .await
    }

    async fn add_organization_member(
        &self,
        name: &str,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<bool, LinkRefusal>, StoreError> {
        retrying("adding a member", || {
            self.add_member_once(name, member_id, now)
        })
        .await
    }

    async fn remove_organization_member(
        &self,
        name: &str,
        member_id: u64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM organization_members WHERE key = $1")
            .bind(membership_key(member_id, name))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn organization_members(&self, name: &str) -> Result<Vec<Member>, StoreError> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM organization_members om \
             JOIN members m ON m.id = om.member_id \
             WHERE om.organization = $1 ORDER BY m.username_key"
        );
        let rows = self.fetch(&sql, &[Arg::Text(name)], &self.pool).await?;
        rows.iter().map(member_from_row).collect()
    }

    async fn member_organizations(&self, member_id: u64) -> Result<Vec<Organization>, StoreError> {
        let sql = "SELECT o.data FROM organization_members om \
             JOIN organizations o ON o.name = om.organization \
             WHERE om.member_id = $1 ORDER BY o.name";
        let rows = self
            .fetch(sql, &[Arg::Int(to_i64(member_id))], &self.pool)
            .await?;
        rows.iter().map(organization_from_row).collect()
    }
}
