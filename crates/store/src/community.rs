//! What the community writes: members, their sessions and API tokens,
//! one-time links (email verification, password reset), upvotes, comments
//! and shared rate-limit counters. [`Community`] is part of every store (a
//! supertrait of [`crate::Store`]), kept in both backends with the same
//! tables and checked by the same conformance suite.
//!
//! Secrets never reach the store in the clear: sessions, API tokens and
//! one-time links are looked up by the SHA-256 of the token the client
//! holds ([`token_hash`]), and passwords arrive as Argon2id PHC strings.
//!
//! # Contract
//!
//! - **One upvote per member per paper.** The database enforces it (a
//!   unique key), so any number of concurrent requests from any number of
//!   servers leave exactly one vote or none, and a paper's member count
//!   equals its stored votes: the count changes in the same transaction as
//!   the vote, and only when the vote did.
//! - **Comment counts** are the comments that are neither deleted nor
//!   hidden, kept in the same transaction as the change.
//! - **Ending is at once.** A session that was ended, whose absolute or idle
//!   lifetime is over, or whose member is banned, is not answered by
//!   [`Community::session`]; nor is a revoked API token or one of a banned
//!   member by [`Community::member_by_api_token`].
//! - **One-time links work once**: [`Community::take_member_token`] removes
//!   the link it answers, in one statement.
//! - **Rate-limit windows are shared** by every process on the store.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dailypapers_domain::{ArxivId, CommentBody, Email, Engagement, Role, Username};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// The hex SHA-256 of a secret token: what the store keeps and looks up.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A member as pages and the API see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    pub username: Username,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub email_verified: bool,
    pub banned: bool,
    pub created_at: DateTime<Utc>,
}

impl Member {
    /// The name shown: the display name, else the username.
    pub fn shown_name(&self) -> &str {
        self.display_name
            .as_deref()
            .unwrap_or(self.username.as_str())
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A member to create.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub username: Username,
    pub email: Email,
    pub display_name: Option<String>,
    /// An Argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub now: DateTime<Utc>,
}

impl NewMember {
    /// The member as stored with the id `id`.
    pub(crate) fn created(&self, id: u64) -> Member {
        Member {
            id,
            username: self.username.clone(),
            email: self.email.as_str().to_string(),
            display_name: self.display_name.clone(),
            role: self.role,
            email_verified: false,
            banned: false,
            created_at: ms(self.now.timestamp_millis()),
        }
    }
}

/// A member with what logging in checks.
#[derive(Clone, Debug)]
pub struct LoginRecord {
    pub member: Member,
    pub password_hash: String,
    /// Failed logins since the last success.
    pub failed_logins: u32,
    /// Until when logging in is refused after too many failures.
    pub throttled_until: Option<DateTime<Utc>>,
}

/// A session to store.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token_hash: String,
    pub member_id: u64,
    /// The token state-changing requests must carry (see the web crate's `auth`).
    pub csrf_token: String,
    pub now: DateTime<Utc>,
    /// The absolute end of the session, however active it is.
    pub expires_at: DateTime<Utc>,
}

/// A live session with its member.
#[derive(Clone, Debug)]
pub struct Session {
    pub member: Member,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    /// The last time the session was marked seen (marked at most every few
    /// minutes, so idle lifetimes are that coarse).
    pub seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A personal API token, as its owner's settings page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: u64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// What a one-time link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    VerifyEmail,
    ResetPassword,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::VerifyEmail => "verify-email",
            LinkPurpose::ResetPassword => "reset-password",
        }
    }
}

/// A paper's upvote state after a vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteOutcome {
    /// Whether the member's vote is now there.
    pub upvoted: bool,
    /// Whether this request changed it (false for a repeat).
    pub changed: bool,
    /// The count a card shows: imported plus members'.
    pub upvotes: u32,
}

/// A comment to store.
#[derive(Clone, Debug)]
pub struct NewComment {
    pub paper: ArxivId,
    pub member_id: u64,
    pub parent_id: Option<u64>,
    pub body: CommentBody,
    pub now: DateTime<Utc>,
}

/// A stored comment with its author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub paper: ArxivId,
    pub parent_id: Option<u64>,
    pub author_id: u64,
    pub author: Username,
    pub author_name: Option<String>,
    /// Markdown, as written.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub hidden: bool,
}

impl Comment {
    /// Whether readers see its text.
    pub fn visible(&self) -> bool {
        !self.deleted && !self.hidden
    }
}

/// Why adding a comment was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentRefusal {
    NoSuchPaper,
    /// The parent is missing, deleted, or on another paper.
    NoSuchParent,
}

/// What a moderator changes about a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentChange {
    Delete,
    Hide,
    Unhide,
}

/// Members, sessions, tokens, votes, comments and rate limits (see the
/// module docs for the contract).
#[async_trait]
pub trait Community: Send + Sync {
    /// Creates a member; [`StoreError::Taken`] when the username or the
    /// email address (either compared without case) is in use.
    async fn create_member(&self, new: &NewMember) -> Result<Member, StoreError>;

    async fn member(&self, id: u64) -> Result<Option<Member>, StoreError>;

    /// A member by username (any case).
    async fn member_by_username(&self, username: &str) -> Result<Option<Member>, StoreError>;

    /// What logging in with `login` (a username or an email address, any
    /// case) checks.
    async fn login_record(&self, login: &str) -> Result<Option<LoginRecord>, StoreError>;

    /// Counts a login attempt (before its password is checked, so that
    /// attempts sent at once are counted at once; a success clears the
    /// count); after `throttle_after` in a row the member's logins are
    /// refused until `throttle_for` from now, and once that is over the
    /// count starts again. Answers the attempts so far.
    async fn record_login_failure(
        &self,
        member_id: u64,
        throttle_after: u32,
        throttle_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError>;

    /// Clears the failures after a successful login.
    async fn clear_login_failures(&self, member_id: u64) -> Result<(), StoreError>;

    /// Replaces the password and ends every session, API token and one-time
    /// link of the member (whoever knew the old password may have made one).
    async fn set_password(&self, member_id: u64, password_hash: &str) -> Result<(), StoreError>;

    /// Gives a member a role; false when there is no such username.
    async fn set_role(&self, username: &str, role: Role) -> Result<bool, StoreError>;

    /// Bans (ending every session and API token at once) or unbans a member.
    async fn set_banned(
        &self,
        member_id: u64,
        banned: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    async fn set_email_verified(&self, member_id: u64) -> Result<(), StoreError>;

    async fn create_session(&self, new: &NewSession) -> Result<(), StoreError>;

    /// The live session with this token hash, if any (see the contract):
    /// `idle_for` is how long a session lives unseen.
    async fn session(
        &self,
        token_hash: &str,
        idle_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError>;

    /// Marks a session seen now.
    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Ends one session (logging out).
    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Removes what can no longer sign anybody in: sessions past their
    /// absolute end or unseen for `idle_for`, and mailed links past their
    /// end. Answers how many rows went.
    async fn prune_sessions(
        &self,
        idle_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    async fn create_api_token(
        &self,
        member_id: u64,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError>;

    /// The member's tokens, newest first.
    async fn api_tokens(&self, member_id: u64) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes a token of the member's; false when they have no such token.
    async fn revoke_api_token(&self, member_id: u64, token_id: u64) -> Result<bool, StoreError>;

    /// The member a live API token belongs to (none when banned).
    async fn member_by_api_token(&self, token_hash: &str) -> Result<Option<Member>, StoreError>;

    /// Stores a one-time link for a member.
    async fn create_member_token(
        &self,
        token_hash: &str,
        member_id: u64,
        purpose: LinkPurpose,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Uses a one-time link: answers its member when it exists for this
    /// purpose and has not expired, and removes it either way.
    async fn take_member_token(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError>;

    /// Casts (`on`) or withdraws a member's upvote; `None` when there is no
    /// such paper.
    async fn set_upvote(
        &self,
        member_id: u64,
        paper: &ArxivId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<VoteOutcome>, StoreError>;

    /// Which of `papers` the member has upvoted (canonical ids).
    async fn upvoted(
        &self,
        member_id: u64,
        papers: &[ArxivId],
    ) -> Result<HashSet<String>, StoreError>;

    /// Members' activity on each of `papers` that has any.
    async fn engagement(
        &self,
        papers: &[ArxivId],
    ) -> Result<HashMap<String, Engagement>, StoreError>;

    async fn add_comment(
        &self,
        new: &NewComment,
    ) -> Result<Result<Comment, CommentRefusal>, StoreError>;

    async fn comment(&self, id: u64) -> Result<Option<Comment>, StoreError>;

    /// A paper's comments after the comment `after` (0: from the first),
    /// at most `limit`, deleted and hidden ones included (the page decides
    /// what to show), oldest first.
    async fn comments(
        &self,
        paper: &ArxivId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Comment>, StoreError>;

    /// Replaces a comment's text; false when it is missing or deleted.
    async fn edit_comment(
        &self,
        id: u64,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Deletes, hides or unhides a comment, keeping the paper's count; false
    /// when it is missing or already deleted.
    async fn change_comment(
        &self,
        id: u64,
        change: CommentChange,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Counts a hit on `key` in the current fixed window of `window`: `None`
    /// when it is within `limit`, else how long until the window ends.
    async fn rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError>;
}

/// A duration in milliseconds, as the tables keep times.
pub(crate) fn ms_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A canonical id list for SQL (`json_each` / `unnest`).
pub(crate) fn id_strings(papers: &[ArxivId]) -> Vec<String> {
    papers.iter().map(|p| p.as_str().to_string()).collect()
}

/// The upvotes table's key: one row per member and paper.
pub fn vote_key(member_id: u64, paper: &ArxivId) -> String {
    format!("{member_id} {}", paper.as_str())
}

/// The start of the fixed window `now` falls in, in milliseconds.
pub(crate) fn window_start(now: DateTime<Utc>, window: Duration) -> i64 {
    let w = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
    now.timestamp_millis().div_euclid(w) * w
}

/// How long from `now` until the window that started at `start` ends.
pub(crate) fn retry_after(start: i64, window: Duration, now: DateTime<Utc>) -> Duration {
    let w = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let left = (start + w - now.timestamp_millis()).max(1);
    Duration::from_millis(left as u64)
}

/// The member columns every backend selects (`m` is the members table).
pub(crate) const MEMBER_COLUMNS: &str = "m.id AS member_id, m.username, m.email, m.display_name, \
     m.role, m.email_verified_at, m.banned_at, m.created_at AS member_created_at";

/// The comment columns every backend selects, with its author's (`c`
/// comments, `m` members).
pub(crate) const COMMENT_COLUMNS: &str = "c.id, c.paper_id, c.parent_id, c.member_id, m.username, \
     m.display_name, c.body, c.created_at, c.edited_at, c.deleted_at, c.hidden_at";

fn ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Reads [`MEMBER_COLUMNS`] (any backend).
pub(crate) fn member_from_row<R>(row: &R) -> Result<Member, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let username: String = row.try_get("username")?;
    let role: String = row.try_get("role")?;
    Ok(Member {
        id: crate::codec::to_u64(row.try_get("member_id")?),
        username: Username::parse(&username).map_err(|e| corrupt("member", e))?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| corrupt("member role", &role))?,
        email_verified: row
            .try_get::<Option<i64>, _>("email_verified_at")?
            .is_some(),
        banned: row.try_get::<Option<i64>, _>("banned_at")?.is_some(),
        created_at: ms(row.try_get("member_created_at")?),
    })
}

/// Reads [`COMMENT_COLUMNS`] (any backend).
pub(crate) fn comment_from_row<R>(row: &R) -> Result<Comment, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let paper: String = row.try_get("paper_id")?;
    let author: String = row.try_get("username")?;
    Ok(Comment {
        id: crate::codec::to_u64(row.try_get("id")?),
        paper: paper.parse().map_err(|e| corrupt("comment paper", e))?,
        parent_id: row
            .try_get::<Option<i64>, _>("parent_id")?
            .map(crate::codec::to_u64),
        author_id: crate::codec::to_u64(row.try_get("member_id")?),
        author: Username::parse(&author).map_err(|e| corrupt("comment author", e))?,
        author_name: row.try_get("display_name")?,
        body: row.try_get("body")?,
        created_at: ms(row.try_get("created_at")?),
        edited_at: row.try_get::<Option<i64>, _>("edited_at")?.map(ms),
        deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
        hidden: row.try_get::<Option<i64>, _>("hidden_at")?.is_some(),
    })
}

/// Reads a session row with [`MEMBER_COLUMNS`] (any backend).
pub(crate) fn session_from_row<R>(row: &R) -> Result<Session, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Session {
        member: member_from_row(row)?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: ms(row.try_get("created_at")?),
        seen_at: ms(row.try_get("seen_at")?),
        expires_at: ms(row.try_get("expires_at")?),
    })
}

/// Reads a login record: [`MEMBER_COLUMNS`] and the password columns.
pub(crate) fn login_from_row<R>(row: &R) -> Result<LoginRecord, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(LoginRecord {
        member: member_from_row(row)?,
        password_hash: row.try_get("password_hash")?,
        failed_logins: u32::try_from(row.try_get::<i64, _>("failed_logins")?).unwrap_or(u32::MAX),
        throttled_until: row.try_get::<Option<i64>, _>("throttled_until")?.map(ms),
    })
}

/// Reads an API token row (`id, name, created_at`).
pub(crate) fn api_token_from_row<R>(row: &R) -> Result<ApiToken, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ApiToken {
        id: crate::codec::to_u64(row.try_get("id")?),
        name: row.try_get("name")?,
        created_at: ms(row.try_get("created_at")?),
    })
}

/// Whether a failed insert met a unique key, and which.
pub(crate) fn taken(e: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if !matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation) {
        return None;
    }
    let text = format!("{} {}", db.message(), db.constraint().unwrap_or(""));
    if text.contains("email") {
        Some("email")
    } else {
        Some("username")
    }
}

/// Reads the `member_upvotes` and `comments` columns of a listing query.
pub(crate) fn engagement_from_row<R>(row: &R) -> Result<Engagement, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Engagement {
        member_upvotes: u32::try_from(row.try_get::<i64, _>("member_upvotes")?).unwrap_or(0),
        comments: u32::try_from(row.try_get::<i64, _>("comments")?).unwrap_or(0),
    })
}
