//! Stored trending scores: what the trending formula
//! ([`dailypapers_domain::trending::score`]) reads for each paper of the
//! last week ([`PaperActivity`]), the scores and reasons it produced
//! ([`TrendingScore`]), and [`refresh`], which computes them all in one
//! batch and replaces the stored ones. [`Trending`] is part of every store
//! (a supertrait of [`crate::Store`]), kept in both backends with the same
//! table and checked by the same tests.
//!
//! # Contract
//!
//! - **A refresh replaces the whole set at once.** [`Trending::replace_trending`]
//!   writes every score of a refresh and removes every other in one
//!   transaction, so readers see one refresh or the next, never a mix.
//! - **Only positive scores are stored**, at most the [`MAX_STORED`]
//!   highest, and the trending pages list exactly those, highest first
//!   (ties by paper id).
//! - **Activity is what stands**: withdrawn votes and hidden or deleted
//!   comments are not read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dailypapers_domain::Listing;
use dailypapers_domain::trending::{self, Activity};

use crate::{Store, StoreError};

/// The checkpoint holding when the stored scores were computed.
pub const COMPUTED_AT: &str = "trending.computed_at";

/// The most scores a refresh stores: the highest. Nobody pages that far
/// down the trending tab, and the write, which holds SQLite's write lock
/// (votes wait for it), stays short at any size of the feed: 100,000
/// scores took 0.75 s to write, 10,000 a tenth of that (measured with
/// `dailypapers bench trending`). Below them `sort=trending` goes on by
/// upvotes.
pub const MAX_STORED: usize = 10_000;

/// Scores are stored as integers: the score times this, rounded.
pub const SCORE_SCALE: f64 = 1e9;

/// What the formula reads about one paper on the feed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaperActivity {
    /// The paper's canonical id.
    pub paper: String,
    pub reached_feed: DateTime<Utc>,
    pub imported_upvotes: u32,
    pub member_upvotes: u32,
    /// When the standing member votes of the recent window were cast.
    pub recent_votes: Vec<DateTime<Utc>>,
    /// The visible comments of the recent window: author and time.
    pub recent_comments: Vec<(u64, DateTime<Utc>)>,
}

impl PaperActivity {
    /// The formula's view of it.
    pub fn activity(&self) -> Activity<'_> {
        Activity {
            reached_feed: self.reached_feed,
            imported_upvotes: self.imported_upvotes,
            member_upvotes: self.member_upvotes,
            recent_votes: &self.recent_votes,
            recent_comments: &self.recent_comments,
        }
    }
}

/// A paper's stored score and why it is there.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendingScore {
    pub paper: String,
    /// The formula's score (stored as an integer, see [`SCORE_SCALE`]).
    pub score: f64,
    /// "31 upvotes, 12 in the last 24 h · 4 comments today".
    pub reason: String,
}

impl TrendingScore {
    /// The score as stored.
    pub fn stored(&self) -> i64 {
        (self.score * SCORE_SCALE).round() as i64
    }
}

/// A trending paper as pages show it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendingListing {
    pub listing: Listing,
    pub score: f64,
    pub reason: String,
}

/// What a refresh did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refreshed {
    /// Papers on the feed in the last [`trending::CUTOFF`].
    pub candidates: usize,
    /// Of those, the ones trending now.
    pub trending: usize,
    /// Of those, the ones stored (at most [`MAX_STORED`]).
    pub stored: usize,
    /// The time the scores are for.
    pub computed_at: DateTime<Utc>,
}

/// Trending scores (see the module docs for the contract).
#[async_trait]
pub trait Trending: Send + Sync {
    /// Every paper that reached the feed at or after `since`, with its
    /// votes cast and visible comments written at or after `recent_since`.
    async fn trending_activity(
        &self,
        since: DateTime<Utc>,
        recent_since: DateTime<Utc>,
    ) -> Result<Vec<PaperActivity>, StoreError>;

    /// Replaces every stored score with `scores` (positive ones) and
    /// records `computed_at`, in one transaction.
    async fn replace_trending(
        &self,
        scores: &[TrendingScore],
        computed_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Trending papers with their listings, highest score first.
    async fn trending(&self, offset: u64, limit: u64) -> Result<Vec<TrendingListing>, StoreError>;

    /// When the stored scores were computed (`None`: never).
    async fn trending_computed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// Computes every paper's score at `now` and replaces the stored ones: one
/// read of the last week's activity, the formula per paper, one write of
/// the [`MAX_STORED`] highest.
pub async fn refresh(store: &dyn Store, now: DateTime<Utc>) -> Result<Refreshed, StoreError> {
    let papers = store
        .trending_activity(now - trending::CUTOFF, now - trending::RECENT)
        .await?;
    let mut scores = scores(&papers, now);
    let trending = scores.len();
    scores.truncate(MAX_STORED);
    store.replace_trending(&scores, now).await?;
    Ok(Refreshed {
        candidates: papers.len(),
        trending,
        stored: scores.len(),
        computed_at: now,
    })
}

/// The positive scores of `papers` at `now`, highest first (ties by id).
pub fn scores(papers: &[PaperActivity], now: DateTime<Utc>) -> Vec<TrendingScore> {
    let mut out: Vec<TrendingScore> = papers
        .iter()
        .filter_map(|p| {
            let a = p.activity();
            let score = trending::score(&a, now);
            (score > 0.0).then(|| TrendingScore {
                paper: p.paper.clone(),
                score,
                reason: trending::reason(&a, now),
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.paper.cmp(&b.paper)));
    out
}

/// Groups rows of `(paper, value)` by paper into `papers`' field `put`.
pub(crate) fn attach<T>(
    papers: &mut [PaperActivity],
    rows: Vec<(String, T)>,
    put: impl Fn(&mut PaperActivity, T),
) {
    let at: std::collections::HashMap<String, usize> = papers
        .iter()
        .enumerate()
        .map(|(i, p)| (p.paper.clone(), i))
        .collect();
    for (paper, value) in rows {
        if let Some(&i) = at.get(&paper) {
            put(&mut papers[i], value);
        }
    }
}

/// A trending row (`score`, `reason` beside the listing's columns) with
/// its listing, read by the backend.
pub(crate) fn trending_from_row<R>(row: &R, listing: Listing) -> Result<TrendingListing, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(TrendingListing {
        listing,
        score: row.try_get::<i64, _>("score")? as f64 / SCORE_SCALE,
        reason: row.try_get("reason")?,
    })
}

/// The SQL both backends run, with their placeholders (`?1` on SQLite,
/// `$1` on PostgreSQL).
pub(crate) struct Sql {
    /// The feed's papers since `1`: id, feed time, imported and members' upvotes.
    pub papers: String,
    /// Standing votes cast since `1`: paper, time. (A scan of the votes:
    /// 20 ms for 450,000 on SQLite, where a join from the papers seeks the
    /// index once per paper and took 30 times as long.)
    pub votes: String,
    /// Visible comments written since `1`: paper, author, time.
    pub comments: String,
    /// Records when the scores were computed (`1` the key, `2` the time).
    pub stamp: String,
    /// A page of trending listings, `1` rows from `2`.
    pub page: String,
    /// When the scores were computed (`1` the key).
    pub computed_at: String,
}

impl Sql {
    /// The statements with placeholder `n` written by `p`, reading
    /// listings with `listing_columns`.
    pub(crate) fn new(p: fn(u8) -> String, listing_columns: &str) -> Self {
        let (p1, p2) = (p(1), p(2));
        Sql {
            papers: format!(
                "SELECT l.paper_id, l.submitted_at, p.upvotes, coalesce(c.upvotes, 0) \
                 FROM listings l JOIN papers p ON p.id = l.paper_id \
                 LEFT JOIN paper_counts c ON c.paper_id = l.paper_id \
                 WHERE l.submitted_at >= {p1}"
            ),
            votes: format!("SELECT paper_id, created_at FROM upvotes WHERE created_at >= {p1}"),
            comments: format!(
                "SELECT paper_id, member_id, created_at FROM comments \
                 WHERE created_at >= {p1} AND deleted_at IS NULL AND hidden_at IS NULL"
            ),
            stamp: format!(
                "INSERT INTO checkpoints (key, value, updated_at) VALUES ({p1}, {p2}, {p2}) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
            ),
            page: format!(
                "SELECT {listing_columns}, t.score, t.reason FROM trending t \
                 JOIN papers p ON p.id = t.paper_id \
                 LEFT JOIN listings l ON l.paper_id = t.paper_id \
                 LEFT JOIN paper_counts c ON c.paper_id = t.paper_id \
                 ORDER BY t.score DESC, t.paper_id LIMIT {p1} OFFSET {p2}"
            ),
            computed_at: format!("SELECT value FROM checkpoints WHERE key = {p1}"),
        }
    }
}

/// Reads a stored instant (`codec::timestamp`'s text).
pub(crate) fn instant(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("instant {text:?}: {e}")))
}

/// Builds the activity of each paper from the three reads every backend
/// makes: the papers `(id, submitted_at, imported, members')`, the recent
/// votes `(paper, ms)` and the recent visible comments `(paper, author, ms)`.
pub(crate) fn activity_from_rows(
    papers: Vec<(String, String, i64, i64)>,
    votes: Vec<(String, i64)>,
    comments: Vec<(String, i64, i64)>,
) -> Result<Vec<PaperActivity>, StoreError> {
    let count = |n: i64| u32::try_from(n).unwrap_or(0);
    let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let mut out = papers
        .into_iter()
        .map(|(paper, submitted, imported, members)| {
            Ok(PaperActivity {
                paper,
                reached_feed: instant(&submitted)?,
                imported_upvotes: count(imported),
                member_upvotes: count(members),
                ..PaperActivity::default()
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let votes = votes.into_iter().map(|(p, ms)| (p, at(ms))).collect();
    attach(&mut out, votes, |p, t| p.recent_votes.push(t));
    let comments = comments
        .into_iter()
        .map(|(p, member, ms)| (p, (crate::codec::to_u64(member), at(ms))))
        .collect();
    attach(&mut out, comments, |p, c| p.recent_comments.push(c));
    Ok(out)
}

/// The activity of the feed's papers since `since` with their votes and
/// visible comments since `recent_since`: the three reads of [`Sql`], on
/// one connection (in the backend's read transaction); votes and comments
/// on other papers are left out here.
pub(crate) async fn read_activity<DB>(
    conn: &mut DB::Connection,
    sql: &Sql,
    since: DateTime<Utc>,
    recent_since: DateTime<Utc>,
) -> Result<Vec<PaperActivity>, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'r> (String, String, i64, i64): sqlx::FromRow<'r, DB::Row>,
    for<'r> (String, i64): sqlx::FromRow<'r, DB::Row>,
    for<'r> (String, i64, i64): sqlx::FromRow<'r, DB::Row>,
{
    let since = crate::codec::timestamp(since);
    let recent = recent_since.timestamp_millis();
    let papers = sqlx::query_as::<DB, _>(&sql.papers)
        .bind(since)
        .fetch_all(&mut *conn)
        .await?;
    let votes = sqlx::query_as::<DB, _>(&sql.votes)
        .bind(recent)
        .fetch_all(&mut *conn)
        .await?;
    let comments = sqlx::query_as::<DB, _>(&sql.comments)
        .bind(recent)
        .fetch_all(&mut *conn)
        .await?;
    activity_from_rows(papers, votes, comments)
}

/// The arrays a batch of scores is written from: ids, stored scores, reasons.
pub(crate) fn columns(scores: &[TrendingScore]) -> (Vec<&str>, Vec<i64>, Vec<&str>) {
    let ids = scores.iter().map(|s| s.paper.as_str()).collect();
    let values = scores.iter().map(TrendingScore::stored).collect();
    let reasons = scores.iter().map(|s| s.reason.as_str()).collect();
    (ids, values, reasons)
}
