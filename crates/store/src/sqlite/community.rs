//! The community tables on SQLite: the SQL of [`Community`] and little else.
//! Writes go through the one writer connection with `BEGIN IMMEDIATE`, as
//! every write of this backend does; reads of what a request just wrote
//! (its session, its vote) use the writer too, so they see it at once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dailypapers_domain::{ArxivId, CommentBody, Engagement, Role};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::{BEGIN_WRITE, SqliteStore, millis, take_numbers};
use crate::StoreError;
use crate::codec::{to_i64, to_json, to_u64};
use crate::community::{
    ApiToken, COMMENT_COLUMNS, Comment, CommentChange, CommentRefusal, Community, LinkPurpose,
    LoginRecord, MEMBER_COLUMNS, Member, NewComment, NewMember, NewSession, Session, VoteOutcome,
    api_token_from_row, comment_from_row, id_strings, login_from_row, member_from_row, ms_of,
    retry_after, session_from_row, taken, vote_key, window_start,
};
use crate::retry::retrying;

/// Moves a paper's counts by `votes` and `comments`.
async fn bump_counts(
    conn: &mut SqliteConnection,
    paper: &str,
    votes: i64,
    comments: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO paper_counts (paper_id, upvotes, comments) VALUES (?1, ?2, ?3) \
         ON CONFLICT (paper_id) DO UPDATE SET upvotes = upvotes + ?2, comments = comments + ?3",
    )
    .bind(paper)
    .bind(votes)
    .bind(comments)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a batch of votes in one transaction (see [`crate::batch`]): the
/// stored keys read once, the changes worked out in order, then one insert
/// and one delete (the triggers move the counts), and the counts read back.
pub(super) async fn write_votes(
    pool: &SqlitePool,
    votes: &[(u64, ArxivId, bool, DateTime<Utc>)],
) -> Result<Vec<Option<VoteOutcome>>, StoreError> {
    let keys: Vec<String> = votes.iter().map(|(m, p, _, _)| vote_key(*m, p)).collect();
    let papers = crate::batch::papers(votes);
    let mut tx = pool.begin_with(BEGIN_WRITE).await?;
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT key FROM upvotes WHERE key IN (SELECT value FROM json_each(?1))",
    )
    .bind(to_json(&keys))
    .fetch_all(&mut *tx)
    .await?;
    let resolved = crate::batch::resolve(votes, &existing.into_iter().collect());
    if !resolved.add.is_empty() {
        sqlx::query(
            "INSERT INTO upvotes (key, member_id, paper_id, created_at) \
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?1) \
             WHERE value ->> 2 IN (SELECT id FROM papers) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(to_json(&resolved.add))
        .execute(&mut *tx)
        .await?;
    }
    if !resolved.remove.is_empty() {
        sqlx::query("DELETE FROM upvotes WHERE key IN (SELECT value FROM json_each(?1))")
            .bind(to_json(&resolved.remove))
            .execute(&mut *tx)
            .await?;
    }
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT p.id, p.upvotes, coalesce(c.upvotes, 0) FROM papers p \
         LEFT JOIN paper_counts c ON c.paper_id = p.id \
         WHERE p.id IN (SELECT value FROM json_each(?1))",
    )
    .bind(to_json(&papers))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(crate::batch::outcomes(votes, &resolved.changed, rows))
}

impl SqliteStore {
    /// The member a query finds: `from` names the tables (with members as
    /// `m`) and the condition, on one text parameter.
    async fn member_where(&self, from: &str, value: &str) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM {from}");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(member_from_row).transpose()
    }

    async fn add_comment_once(
        &self,
        new: &NewComment,
    ) -> Result<Result<Comment, CommentRefusal>, StoreError> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM papers WHERE id = ?1")
            .bind(new.paper.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(Err(CommentRefusal::NoSuchPaper));
        }
        if let Some(parent) = new.parent_id {
            let ok: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM comments WHERE id = ?1 AND paper_id = ?2 AND deleted_at IS NULL",
            )
            .bind(to_i64(parent))
            .bind(new.paper.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if ok.is_none() {
                return Ok(Err(CommentRefusal::NoSuchParent));
            }
        }
        let id = take_numbers(&mut tx, "comment", 1).await? + 1;
        sqlx::query(
            "INSERT INTO comments (id, paper_id, member_id, parent_id, body, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(to_i64(id))
        .bind(new.paper.as_str())
        .bind(to_i64(new.member_id))
        .bind(new.parent_id.map(to_i64))
        .bind(new.body.as_str())
        .bind(millis(new.now))
        .execute(&mut *tx)
        .await?;
        bump_counts(&mut tx, new.paper.as_str(), 0, 1).await?;
        let sql = format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c JOIN members m ON m.id = c.member_id WHERE c.id = ?1"
        );
        let row = sqlx::query(&sql)
            .bind(to_i64(id))
            .fetch_one(&mut *tx)
            .await?;
        let comment = comment_from_row(&row)?;
        tx.commit().await?;
        Ok(Ok(comment))
    }

    async fn change_comment_once(
        &self,
        id: u64,
        change: CommentChange,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        let row = sqlx::query("SELECT paper_id, deleted_at, hidden_at FROM comments WHERE id = ?1")
            .bind(to_i64(id))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let paper: String = row.try_get("paper_id")?;
        let deleted = row.try_get::<Option<i64>, _>("deleted_at")?.is_some();
        let hidden = row.try_get::<Option<i64>, _>("hidden_at")?.is_some();
        if deleted {
            return Ok(false);
        }
        // The column the change sets, its new value, and whether the
        // comment is visible after it.
        let (column, value, visible_after) = match change {
            CommentChange::Delete => ("deleted_at", Some(millis(now)), false),
            CommentChange::Hide => ("hidden_at", Some(millis(now)), false),
            CommentChange::Unhide => ("hidden_at", None, true),
        };
        sqlx::query(&format!("UPDATE comments SET {column} = ?2 WHERE id = ?1"))
            .bind(to_i64(id))
            .bind(value)
            .execute(&mut *tx)
            .await?;
        let delta = i64::from(visible_after) - i64::from(!hidden);
        if delta != 0 {
            bump_counts(&mut tx, &paper, 0, delta).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn rate_limit_once(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        let start = window_start(now, window);
        let (hits, start): (i64, i64) = sqlx::query_as(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES (?1, ?2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN window_start = ?2 THEN hits + 1 ELSE 1 END, \
               window_start = ?2 \
             RETURNING hits, window_start",
        )
        .bind(key)
        .bind(start)
        .fetch_one(&self.writer)
        .await?;
        Ok((hits > i64::from(limit)).then(|| retry_after(start, window, now)))
    }
}

#[async_trait]
impl Community for SqliteStore {
    async fn create_member(&self, new: &NewMember) -> Result<Member, StoreError> {
        retrying("creating a member", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            let id = take_numbers(&mut tx, "member", 1).await? + 1;
            let inserted = sqlx::query(
                "INSERT INTO members (id, username, username_key, email, email_key, display_name, \
                 password_hash, role, created_at, failed_logins) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)",
            )
            .bind(to_i64(id))
            .bind(new.username.as_str())
            .bind(new.username.key())
            .bind(new.email.as_str())
            .bind(new.email.key())
            .bind(new.display_name.as_deref())
            .bind(&new.password_hash)
            .bind(new.role.as_str())
            .bind(millis(new.now))
            .execute(&mut *tx)
            .await;
            if let Err(e) = &inserted
                && let Some(what) = taken(e)
            {
                return Err(StoreError::Taken { what });
            }
            inserted?;
            tx.commit().await?;
            Ok(id)
        })
        .await
        .map(|id| new.created(id))
    }

    async fn member(&self, id: u64) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = ?1");
        let row = sqlx::query(&sql)
            .bind(to_i64(id))
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(member_from_row).transpose()
    }

    async fn member_by_username(&self, username: &str) -> Result<Option<Member>, StoreError> {
        self.member_where(
            "members m WHERE m.username_key = ?1",
            &username.to_ascii_lowercase(),
        )
        .await
    }

    async fn login_record(&self, login: &str) -> Result<Option<LoginRecord>, StoreError> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS}, m.password_hash, m.failed_logins, m.throttled_until \
             FROM members m WHERE m.username_key = ?1 OR m.email_key = ?1"
        );
        let row = sqlx::query(&sql)
            .bind(login.trim().to_lowercase())
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref().map(login_from_row).transpose()
    }

    async fn record_login_failure(
        &self,
        member_id: u64,
        throttle_after: u32,
        throttle_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        retrying("recording a failed login", || async {
            let failures: i64 = sqlx::query_scalar(
                // A throttle that is over starts the count again.
                "UPDATE members SET \
                 failed_logins = CASE WHEN throttled_until <= ?4 THEN 1 ELSE failed_logins + 1 END, \
                 throttled_until = CASE \
                   WHEN (CASE WHEN throttled_until <= ?4 THEN 1 ELSE failed_logins + 1 END) >= ?2 THEN ?3 \
                   WHEN throttled_until <= ?4 THEN NULL \
                   ELSE throttled_until END \
                 WHERE id = ?1 RETURNING failed_logins",
            )
            .bind(to_i64(member_id))
            .bind(i64::from(throttle_after))
            .bind(millis(now) + ms_of(throttle_for))
            .bind(millis(now))
            .fetch_one(&self.writer)
            .await?;
            Ok(u32::try_from(failures).unwrap_or(u32::MAX))
        })
        .await
    }

    async fn clear_login_failures(&self, member_id: u64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE members SET failed_logins = 0, throttled_until = NULL \
             WHERE id = ?1 AND (failed_logins <> 0 OR throttled_until IS NOT NULL)",
        )
        .bind(to_i64(member_id))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn set_password(&self, member_id: u64, password_hash: &str) -> Result<(), StoreError> {
        retrying("changing a password", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            sqlx::query("UPDATE members SET password_hash = ?2 WHERE id = ?1")
                .bind(to_i64(member_id))
                .bind(password_hash)
                .execute(&mut *tx)
                .await?;
            // Whoever held the old password may have made a token or
            // asked for a link: they end with it.
            for table in ["sessions", "api_tokens", "member_tokens"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE member_id = ?1"))
                    .bind(to_i64(member_id))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn set_role(&self, username: &str, role: Role) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE members SET role = ?2 WHERE username_key = ?1")
            .bind(username.to_ascii_lowercase())
            .bind(role.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_banned(
        &self,
        member_id: u64,
        banned: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        retrying("banning a member", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            sqlx::query("UPDATE members SET banned_at = ?2 WHERE id = ?1")
                .bind(to_i64(member_id))
                .bind(banned.then(|| millis(now)))
                .execute(&mut *tx)
                .await?;
            if banned {
                for table in ["sessions", "api_tokens"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE member_id = ?1"))
                        .bind(to_i64(member_id))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn set_email_verified(&self, member_id: u64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE members SET email_verified_at = coalesce(email_verified_at, ?2) WHERE id = ?1",
        )
        .bind(to_i64(member_id))
        .bind(millis(Utc::now()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn create_session(&self, new: &NewSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, member_id, csrf_token, created_at, seen_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        )
        .bind(&new.token_hash)
        .bind(to_i64(new.member_id))
        .bind(&new.csrf_token)
        .bind(millis(new.now))
        .bind(millis(new.expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        idle_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS}, s.csrf_token, s.created_at, s.seen_at, s.expires_at \
             FROM sessions s JOIN members m ON m.id = s.member_id \
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.seen_at > ?2 - ?3 \
               AND m.banned_at IS NULL"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(millis(now))
            .bind(ms_of(idle_for))
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET seen_at = ?2 WHERE token_hash = ?1")
            .bind(token_hash)
            .bind(millis(now))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn prune_sessions(
        &self,
        idle_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= ?1 OR seen_at <= ?1 - ?2")
                .bind(millis(now))
                .bind(ms_of(idle_for))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let links = sqlx::query("DELETE FROM member_tokens WHERE expires_at <= ?1")
            .bind(millis(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(sessions + links)
    }

    async fn create_api_token(
        &self,
        member_id: u64,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError> {
        let id = retrying("creating an API token", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            let id = take_numbers(&mut tx, "api_token", 1).await? + 1;
            sqlx::query(
                "INSERT INTO api_tokens (id, token_hash, member_id, name, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(to_i64(id))
            .bind(token_hash)
            .bind(to_i64(member_id))
            .bind(name)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
        .await?;
        Ok(ApiToken {
            id,
            name: name.to_string(),
            created_at: DateTime::from_timestamp_millis(millis(now)).unwrap_or_default(),
        })
    }

    async fn api_tokens(&self, member_id: u64) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at FROM api_tokens WHERE member_id = ?1 ORDER BY id DESC",
        )
        .bind(to_i64(member_id))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(api_token_from_row).collect()
    }

    async fn revoke_api_token(&self, member_id: u64, token_id: u64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = ?1 AND member_id = ?2")
            .bind(to_i64(token_id))
            .bind(to_i64(member_id))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn member_by_api_token(&self, token_hash: &str) -> Result<Option<Member>, StoreError> {
        self.member_where(
            "api_tokens t JOIN members m ON m.id = t.member_id \
             WHERE t.token_hash = ?1 AND m.banned_at IS NULL",
            token_hash,
        )
        .await
    }

    async fn create_member_token(
        &self,
        token_hash: &str,
        member_id: u64,
        purpose: LinkPurpose,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO member_tokens (token_hash, member_id, purpose, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(token_hash)
        .bind(to_i64(member_id))
        .bind(purpose.as_str())
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn take_member_token(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "DELETE FROM member_tokens WHERE token_hash = ?1 RETURNING member_id, purpose, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row
            .filter(|(_, p, expires)| p == purpose.as_str() && *expires > millis(now))
            .map(|(m, _, _)| to_u64(m)))
    }

    async fn set_upvote(
        &self,
        member_id: u64,
        paper: &ArxivId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<VoteOutcome>, StoreError> {
        self.votes.vote(member_id, paper, on, now).await
    }

    async fn upvoted(
        &self,
        member_id: u64,
        papers: &[ArxivId],
    ) -> Result<HashSet<String>, StoreError> {
        if papers.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT paper_id FROM upvotes WHERE member_id = ?1 \
             AND paper_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(to_i64(member_id))
        .bind(to_json(&id_strings(papers)))
        .fetch_all(&self.readers)
        .await?;
        Ok(ids.into_iter().collect())
    }

    async fn engagement(
        &self,
        papers: &[ArxivId],
    ) -> Result<HashMap<String, Engagement>, StoreError> {
        if papers.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT paper_id, upvotes, comments FROM paper_counts \
             WHERE paper_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(to_json(&id_strings(papers)))
        .fetch_all(&self.readers)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, v, c)| {
                let e = Engagement {
                    member_upvotes: u32::try_from(v).unwrap_or(0),
                    comments: u32::try_from(c).unwrap_or(0),
                };
                (id, e)
            })
            .collect())
    }

    async fn add_comment(
        &self,
        new: &NewComment,
    ) -> Result<Result<Comment, CommentRefusal>, StoreError> {
        retrying("saving a comment", || self.add_comment_once(new)).await
    }

    async fn comment(&self, id: u64) -> Result<Option<Comment>, StoreError> {
        let sql = format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c JOIN members m ON m.id = c.member_id WHERE c.id = ?1"
        );
        let row = sqlx::query(&sql)
            .bind(to_i64(id))
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref().map(comment_from_row).transpose()
    }

    async fn comments(
        &self,
        paper: &ArxivId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Comment>, StoreError> {
        let sql = format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c JOIN members m ON m.id = c.member_id \
             WHERE c.paper_id = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3"
        );
        let rows = sqlx::query(&sql)
            .bind(paper.as_str())
            .bind(to_i64(after))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(comment_from_row).collect()
    }

    async fn edit_comment(
        &self,
        id: u64,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET body = ?2, edited_at = ?3 WHERE id = ?1 AND deleted_at IS NULL",
        )
        .bind(to_i64(id))
        .bind(body.as_str())
        .bind(millis(now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn change_comment(
        &self,
        id: u64,
        change: CommentChange,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying("changing a comment", || {
            self.change_comment_once(id, change, now)
        })
        .await
    }

    async fn rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        retrying("counting a rate-limited action", || {
            self.rate_limit_once(key, limit, window, now)
        })
        .await
    }
}
