//! The PostgreSQL store, for several servers on one database: chosen by a
//! `postgres://…` store URL. This module holds the SQL and little else: what
//! an import writes is decided by [`crate::merge`], values are encoded by
//! [`crate::codec`] exactly as on SQLite, so the two backends hold the same
//! rows and `copy` between them is a plain row copy.
//!
//! One pool serves reads and writes (a committed write is visible to every
//! connection at once). An import takes a transaction-scoped advisory lock
//! before it reads the stored rows of its batch, so imports from any number
//! of processes merge one after another, each with what the last one wrote,
//! as `BEGIN IMMEDIATE` makes them on SQLite. Document, sequence and
//! revision numbers come from the `counters` table: the row a writer adds to
//! stays locked until it commits, and PostgreSQL makes a commit visible
//! before it releases its locks, so numbers are handed out in commit order
//! and a follower of `seq` or `rev` never skips a change. Batches are
//! written with one `INSERT … SELECT FROM unnest(…)` per table: one
//! statement and one round trip for a whole batch.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::{ArxivId, FeedSort, Listing, Organization, Paper};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::codec::{
    day_text, decode_vector, encode_vector, from_json, parse_day, timestamp, to_i64, to_u64,
};
use crate::codec::{plain_row, push_plain};
use crate::community::engagement_from_row;
use crate::merge::{ImportPlan, Incoming, Stored};
use crate::retry::retrying;
use crate::rows::{Row as PlainRow, Table, Value};
use crate::{
    AppliedMigration, Counts, EmbeddingProgress, EmbeddingWork, FeedQuery, ImportOutcome, Lease,
    NewEmbedding, PaperChange, PoolUse, Store, StoreError, StoreUrl, StoredEmbedding,
};

mod collections;
mod community;
mod contributions;
mod moderation;
mod outbox;
mod subscriptions;
mod trending;

/// The most connections one process opens.
const MAX_CONNECTIONS: u32 = 16;

/// How long a query waits for a connection before it fails: short, so that
/// with the database gone requests answer 503 at once instead of queueing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The advisory lock every import holds for its transaction ("dailypap").
const IMPORT_LOCK: i64 = 0x6461_696c_7970_6170;

/// The advisory lock a claim of embedding work holds ("dpclaim").
const CLAIM_LOCK: i64 = 0x0064_7063_6c61_696d;

/// The store on a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    /// Upvotes, written in batches by one task (see [`crate::batch`]).
    votes: crate::batch::VoteQueue,
    /// The URL without its password, for messages.
    target: String,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://…`) and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let target = StoreUrl::Postgres(url.to_string()).redacted();
        let open_err = |source| StoreError::Open {
            target: target.clone(),
            source,
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(open_err)?
            .application_name("dailypapers");
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        // sqlx's migrator holds an advisory lock: servers starting together
        // migrate one after another.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let writer = pool.clone();
        let votes = crate::batch::VoteQueue::start(std::sync::Arc::new(move |batch| {
            let pool = writer.clone();
            Box::pin(async move {
                retrying("saving upvotes", || community::write_votes(&pool, &batch)).await
            })
        }));
        Ok(PostgresStore {
            pool,
            target,
            votes,
        })
    }

    /// One import attempt, in one transaction.
    async fn import_once(&self, incoming: &Incoming) -> Result<ImportOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK)
            .execute(&mut *tx)
            .await?;
        let stored = read_stored(&mut tx, incoming.ids()).await?;
        let plan = crate::merge::plan(incoming, stored)?;
        write_plan(&mut tx, &plan).await?;
        tx.commit().await?;
        Ok(plan.outcome)
    }

    async fn save_embeddings_once(
        &self,
        model: &str,
        rows: &[NewEmbedding],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let vectors = rows.iter().filter(|r| r.vector.is_some()).count() as u64;
        let mut rev = take_numbers(&mut tx, "rev", vectors).await?;
        for row in rows {
            match &row.vector {
                Some(v) => {
                    rev += 1;
                    sqlx::query(
                        "INSERT INTO embeddings (doc, model, text_hash, paper_seq, rev, vector) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (doc) DO UPDATE SET \
                         model = excluded.model, text_hash = excluded.text_hash, \
                         paper_seq = excluded.paper_seq, rev = excluded.rev, vector = excluded.vector",
                    )
                    .bind(to_i64(row.doc))
                    .bind(model)
                    .bind(row.text_hash as i64)
                    .bind(to_i64(row.paper_seq))
                    .bind(to_i64(rev))
                    .bind(encode_vector(v))
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "UPDATE embeddings SET paper_seq = $3 \
                         WHERE doc = $1 AND model = $2 AND paper_seq < $3",
                    )
                    .bind(to_i64(row.doc))
                    .bind(model)
                    .bind(to_i64(row.paper_seq))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        let docs: Vec<i64> = rows.iter().map(|r| to_i64(r.doc)).collect();
        sqlx::query("DELETE FROM embedding_claims WHERE doc = ANY($1)")
            .bind(docs)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Takes `n` numbers from the counter `name` (see the module docs): the
/// caller numbers from the returned value + 1 to the returned value + n.
async fn take_numbers(conn: &mut PgConnection, name: &str, n: u64) -> Result<u64, StoreError> {
    if n == 0 {
        return Ok(0);
    }
    let start: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value - $2",
    )
    .bind(name)
    .bind(to_i64(n))
    .fetch_one(&mut *conn)
    .await?;
    Ok(to_u64(start))
}

/// The stored papers and entries of a batch, read with two queries.
async fn read_stored(conn: &mut PgConnection, ids: &[String]) -> Result<Stored, StoreError> {
    let mut stored = Stored::default();
    let rows = sqlx::query("SELECT id, doc, data FROM papers WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        stored.papers.insert(
            row.try_get("id")?,
            (to_u64(row.try_get("doc")?), row.try_get("data")?),
        );
    }
    let rows = sqlx::query("SELECT paper_id, data FROM listings WHERE paper_id = ANY($1)")
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        stored
            .entries
            .insert(row.try_get("paper_id")?, row.try_get("data")?);
    }
    Ok(stored)
}

/// Writes what a batch changed: one `INSERT … SELECT FROM unnest(…)` per table.
async fn write_plan(conn: &mut PgConnection, plan: &ImportPlan) -> Result<(), StoreError> {
    let last_doc = take_numbers(conn, "doc", plan.new_papers()).await?;
    let last_seq = take_numbers(conn, "seq", plan.papers.len() as u64).await?;
    if !plan.papers.is_empty() {
        let numbered = plan.numbered(last_doc, last_seq);
        let column = |f: &dyn Fn(&Paper) -> Option<&str>| -> Vec<Option<&str>> {
            numbered.iter().map(|n| f(&n.write.paper)).collect()
        };
        let doc: Vec<i64> = numbered.iter().map(|n| to_i64(n.doc)).collect();
        let seq: Vec<i64> = numbered.iter().map(|n| to_i64(n.seq)).collect();
        let id = column(&|p| Some(p.id.as_str()));
        let category = column(&|p| p.primary_category());
        let org = column(&|p| p.organization.as_ref().map(|o| o.name.as_str()));
        let published: Vec<Option<String>> = numbered
            .iter()
            .map(|n| n.write.paper.published_at.map(timestamp))
            .collect();
        let upvotes: Vec<i64> = numbered
            .iter()
            .map(|n| i64::from(n.write.paper.upvotes.unwrap_or(0)))
            .collect();
        let data: Vec<&str> = numbered.iter().map(|n| n.write.json.as_str()).collect();
        sqlx::query(
            "INSERT INTO papers (doc, seq, id, primary_category, organization, published_at, upvotes, data) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
                                  $6::text[], $7::bigint[], $8::text[]) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, \
             primary_category = excluded.primary_category, organization = excluded.organization, \
             published_at = excluded.published_at, upvotes = excluded.upvotes, data = excluded.data",
        )
        .bind(doc)
        .bind(seq)
        .bind(id)
        .bind(category)
        .bind(org)
        .bind(published)
        .bind(upvotes)
        .bind(data)
        .execute(&mut *conn)
        .await?;
    }
    if !plan.entries.is_empty() {
        let entries = || plan.entries.iter().map(|w| &w.entry);
        let id: Vec<&str> = entries().map(|e| e.paper_id.as_str()).collect();
        let day: Vec<String> = entries().map(|e| day_text(e.feed_day)).collect();
        let submitted: Vec<String> = entries().map(|e| timestamp(e.submission_time())).collect();
        let listed: Vec<String> = entries().map(|e| timestamp(e.listed_at)).collect();
        let submitter: Vec<Option<&str>> = entries()
            .map(|e| e.submitted_by.as_ref().map(|s| s.user.as_str()))
            .collect();
        let data: Vec<&str> = plan.entries.iter().map(|w| w.json.as_str()).collect();
        sqlx::query(
            "INSERT INTO listings (paper_id, feed_day, submitted_at, listed_at, submitter, data) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
             ON CONFLICT (paper_id) DO UPDATE SET feed_day = excluded.feed_day, \
             submitted_at = excluded.submitted_at, listed_at = excluded.listed_at, \
             submitter = excluded.submitter, data = excluded.data",
        )
        .bind(id)
        .bind(day)
        .bind(submitted)
        .bind(listed)
        .bind(submitter)
        .bind(data)
        .execute(&mut *conn)
        .await?;
    }
    if !plan.organizations.is_empty() {
        let name: Vec<&str> = plan.organizations.iter().map(|o| o.name.as_str()).collect();
        let fullname: Vec<&str> = plan
            .organizations
            .iter()
            .map(|o| o.fullname.as_str())
            .collect();
        let data: Vec<String> = plan
            .organizations
            .iter()
            .map(crate::codec::to_json)
            .collect();
        sqlx::query(
            "INSERT INTO organizations (name, fullname, data) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) \
             ON CONFLICT (name) DO UPDATE SET fullname = excluded.fullname, data = excluded.data \
             WHERE organizations.data <> excluded.data",
        )
        .bind(name)
        .bind(fullname)
        .bind(data)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Up to `limit` rows of `table` after the key `after`, in key order.
async fn read_rows_on(
    conn: &mut PgConnection,
    table: &Table,
    after: Option<&Value>,
    limit: u64,
) -> Result<Vec<PlainRow>, StoreError> {
    let key = table.key().name;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {} FROM {}",
        table.column_list(),
        table.name
    ));
    if let Some(after) = after {
        q.push(format!(" WHERE {key} > "));
        push_plain(&mut q.separated(""), after, table.key().kind);
    }
    q.push(format!(" ORDER BY {key} LIMIT "))
        .push_bind(to_i64(limit));
    let rows = q.build().fetch_all(&mut *conn).await?;
    rows.iter().map(|r| plain_row(r, table)).collect()
}

/// Papers after `$1` whose embedding by `$2` is missing or stale.
const EMBEDDING_WORK: &str = "SELECT p.doc AS doc, p.seq AS seq, p.data AS data, \
        CASE WHEN e.model = $2 THEN e.text_hash END AS text_hash \
     FROM papers p LEFT JOIN embeddings e ON e.doc = p.doc \
     WHERE p.doc > $1 AND (e.doc IS NULL OR e.model <> $2 OR e.paper_seq < p.seq)";

fn work_from_row(row: &PgRow) -> Result<EmbeddingWork, StoreError> {
    let hash: Option<i64> = row.try_get("text_hash")?;
    Ok(EmbeddingWork {
        doc: to_u64(row.try_get("doc")?),
        seq: to_u64(row.try_get("seq")?),
        paper: from_json("paper", row.try_get("data")?)?,
        stored_text_hash: hash.map(|h| h as u64),
    })
}

/// Reads `(paper, listing)` JSON columns into a `Listing`.
fn listing_from_row(row: &PgRow) -> Result<Listing, StoreError> {
    let paper: &str = row.try_get("paper")?;
    let entry: Option<&str> = row.try_get("entry")?;
    Ok(Listing {
        paper: from_json("paper", paper)?,
        entry: entry.map(|e| from_json("listing", e)).transpose()?,
        engagement: engagement_from_row(row)?,
        organization_link: crate::contributions::link_of(row.try_get("org_link")?)?,
    })
}

/// What a listing is read from; every query that selects them joins
/// `paper_counts c` on the paper.
const LISTING_COLUMNS: &str = concat!(
    "p.data AS paper, l.data AS entry, \
     coalesce(c.upvotes, 0) AS member_upvotes, coalesce(c.comments, 0) AS comments, ",
    crate::contributions::org_link_column!()
);

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[async_trait]
impl Store for PostgresStore {
    async fn import(&self, batch: Vec<Listing>) -> Result<ImportOutcome, StoreError> {
        let incoming = Incoming::new(batch);
        if incoming.is_empty() {
            return Ok(ImportOutcome::default());
        }
        retrying("importing a batch", || self.import_once(&incoming)).await
    }

    async fn listing(&self, id: &ArxivId) -> Result<Option<Listing>, StoreError> {
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM papers p LEFT JOIN listings l ON l.paper_id = p.id \
             LEFT JOIN paper_counts c ON c.paper_id = p.id WHERE p.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(listing_from_row).transpose()
    }

    async fn feed(&self, query: &FeedQuery) -> Result<Vec<Listing>, StoreError> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "SELECT {LISTING_COLUMNS} FROM listings l JOIN papers p ON p.id = l.paper_id \
             LEFT JOIN paper_counts c ON c.paper_id = p.id WHERE 1 = 1"
        ));
        if let Some(from) = query.from {
            q.push(" AND l.feed_day >= ").push_bind(day_text(from));
        }
        if let Some(to) = query.to {
            q.push(" AND l.feed_day <= ").push_bind(day_text(to));
        }
        if let Some(user) = &query.submitter {
            q.push(" AND l.submitter = ").push_bind(user.clone());
        }
        q.push(match query.sort {
            FeedSort::Upvotes => " ORDER BY p.upvotes + coalesce(c.upvotes, 0) DESC, l.submitted_at ASC, l.paper_id ASC",
            FeedSort::Newest => " ORDER BY l.submitted_at DESC, l.paper_id ASC",
            FeedSort::Published => " ORDER BY l.listed_at DESC, l.paper_id ASC",
            FeedSort::Trending => " ORDER BY coalesce((SELECT t.score FROM trending t WHERE t.paper_id = l.paper_id), 0) DESC, \
                 p.upvotes + coalesce(c.upvotes, 0) DESC, l.submitted_at ASC, l.paper_id ASC",
        });
        q.push(" LIMIT ")
            .push_bind(to_i64(query.limit))
            .push(" OFFSET ")
            .push_bind(to_i64(query.offset));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(listing_from_row).collect()
    }

    async fn latest_feed_day(&self) -> Result<Option<NaiveDate>, StoreError> {
        let day: Option<String> = sqlx::query_scalar("SELECT max(feed_day) FROM listings")
            .fetch_one(&self.pool)
            .await?;
        day.as_deref().map(parse_day).transpose()
    }

    async fn neighbour_feed_days(
        &self,
        day: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT max(feed_day) FROM listings WHERE feed_day < $1) AS prev, \
                    (SELECT min(feed_day) FROM listings WHERE feed_day > $1) AS next",
        )
        .bind(day_text(day))
        .fetch_one(&self.pool)
        .await?;
        let prev: Option<String> = row.try_get("prev")?;
        let next: Option<String> = row.try_get("next")?;
        Ok((
            prev.as_deref().map(parse_day).transpose()?,
            next.as_deref().map(parse_day).transpose()?,
        ))
    }

    async fn organization(&self, name: &str) -> Result<Option<Organization>, StoreError> {
        let data: Option<String> =
            sqlx::query_scalar("SELECT data FROM organizations WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        data.map(|d| from_json("organization", &d)).transpose()
    }

    async fn checkpoint(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM checkpoints WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_checkpoint(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        retrying("saving a checkpoint", || async move {
            match value {
                Some(v) => {
                    sqlx::query(
                        "INSERT INTO checkpoints (key, value, updated_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    )
                    .bind(key)
                    .bind(v)
                    .bind(timestamp(Utc::now()))
                    .execute(&self.pool)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM checkpoints WHERE key = $1")
                        .bind(key)
                        .execute(&self.pool)
                        .await?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn changed_papers(
        &self,
        after_seq: u64,
        limit: u64,
    ) -> Result<Vec<PaperChange>, StoreError> {
        let sql = concat!(
            "SELECT doc, seq, data, ",
            crate::contributions::org_link_column!(),
            " FROM papers p WHERE seq > $1 ORDER BY seq LIMIT $2"
        );
        let rows = sqlx::query(sql)
            .bind(to_i64(after_seq))
            .bind(to_i64(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(crate::contributions::paper_change_from_row)
            .collect()
    }

    async fn max_seq(&self) -> Result<u64, StoreError> {
        let seq: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM papers")
            .fetch_one(&self.pool)
            .await?;
        Ok(to_u64(seq))
    }

    async fn paper_doc(&self, id: &ArxivId) -> Result<Option<u64>, StoreError> {
        let doc: Option<i64> = sqlx::query_scalar("SELECT doc FROM papers WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(doc.map(to_u64))
    }

    async fn listings_by_doc(&self, docs: &[u64]) -> Result<Vec<(u64, Listing)>, StoreError> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT p.doc AS doc, {LISTING_COLUMNS} FROM papers p LEFT JOIN listings l ON l.paper_id = p.id \
             LEFT JOIN paper_counts c ON c.paper_id = p.id \
             WHERE p.doc = ANY($1)"
        );
        let wanted: Vec<i64> = docs.iter().map(|d| to_i64(*d)).collect();
        let rows = sqlx::query(&sql).bind(wanted).fetch_all(&self.pool).await?;
        let mut found: HashMap<u64, Listing> = HashMap::with_capacity(rows.len());
        for row in &rows {
            found.insert(to_u64(row.try_get("doc")?), listing_from_row(row)?);
        }
        Ok(docs
            .iter()
            .filter_map(|d| found.remove(d).map(|l| (*d, l)))
            .collect())
    }

    async fn embedding_work(
        &self,
        model: &str,
        after_doc: u64,
        limit: u64,
    ) -> Result<Vec<EmbeddingWork>, StoreError> {
        let sql = format!("{EMBEDDING_WORK} ORDER BY p.doc LIMIT $3");
        let rows = sqlx::query(&sql)
            .bind(to_i64(after_doc))
            .bind(model)
            .bind(to_i64(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(work_from_row).collect()
    }

    /// Claims are taken one after another under an advisory lock: a
    /// claimer reads the claims committed before it, so servers claiming
    /// at once get different papers. (A row lock with `SKIP LOCKED` alone
    /// is not enough at read committed: a claimer whose snapshot predates
    /// another's commit would find the rows unlocked and their claims not
    /// yet visible.)
    async fn claim_embedding_work(
        &self,
        model: &str,
        holder: &str,
        ttl: Duration,
        after_doc: u64,
        limit: u64,
    ) -> Result<Vec<EmbeddingWork>, StoreError> {
        let now = Utc::now();
        let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        retrying("claiming embedding work", || async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(CLAIM_LOCK)
                .execute(&mut *tx)
                .await?;
            let sql = format!(
                "{EMBEDDING_WORK} AND NOT EXISTS (SELECT 1 FROM embedding_claims c \
                 WHERE c.doc = p.doc AND c.holder <> $4 AND c.expires_at > $5) \
                 ORDER BY p.doc LIMIT $3"
            );
            let rows = sqlx::query(&sql)
                .bind(to_i64(after_doc))
                .bind(model)
                .bind(to_i64(limit))
                .bind(holder)
                .bind(millis(now))
                .fetch_all(&mut *tx)
                .await?;
            let work: Vec<EmbeddingWork> =
                rows.iter().map(work_from_row).collect::<Result<_, _>>()?;
            let docs: Vec<i64> = work.iter().map(|w| to_i64(w.doc)).collect();
            sqlx::query(
                "INSERT INTO embedding_claims (doc, holder, expires_at) \
                 SELECT doc, $2, $3 FROM unnest($1::bigint[]) AS t(doc) \
                 ON CONFLICT (doc) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
            )
            .bind(docs)
            .bind(holder)
            .bind(millis(expires))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(work)
        })
        .await
    }

    async fn save_embeddings(&self, model: &str, rows: &[NewEmbedding]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        retrying("saving embeddings", || {
            self.save_embeddings_once(model, rows)
        })
        .await
    }

    async fn embeddings_since(
        &self,
        model: &str,
        after_rev: u64,
        limit: u64,
    ) -> Result<Vec<StoredEmbedding>, StoreError> {
        let rows = sqlx::query(
            "SELECT doc, rev, vector FROM embeddings WHERE rev > $1 AND model = $2 ORDER BY rev LIMIT $3",
        )
        .bind(to_i64(after_rev))
        .bind(model)
        .bind(to_i64(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let doc = to_u64(row.try_get("doc")?);
                let bytes: &[u8] = row.try_get("vector")?;
                Ok(StoredEmbedding {
                    doc,
                    rev: to_u64(row.try_get("rev")?),
                    vector: decode_vector(bytes).ok_or_else(|| {
                        StoreError::Corrupt(format!("embedding of document {doc}: odd length"))
                    })?,
                })
            })
            .collect()
    }

    async fn embedding_progress(&self, model: &str) -> Result<EmbeddingProgress, StoreError> {
        let (done, total): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM embeddings e JOIN papers p ON p.doc = e.doc \
                     WHERE e.model = $1 AND e.paper_seq >= p.seq), \
                    (SELECT count(*) FROM papers)",
        )
        .bind(model)
        .fetch_one(&self.pool)
        .await?;
        Ok(EmbeddingProgress {
            done: to_u64(done),
            total: to_u64(total),
        })
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        retrying("taking a lease", || async {
            let taken = sqlx::query(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET \
                   acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at \
                                      ELSE excluded.acquired_at END, \
                   holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $3",
            )
            .bind(name)
            .bind(holder)
            .bind(millis(now))
            .bind(millis(expires))
            .execute(&self.pool)
            .await?;
            Ok(taken.rows_affected() == 1)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let rows =
            sqlx::query("SELECT name, holder, acquired_at, expires_at FROM leases ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(Lease {
                    name: row.try_get("name")?,
                    holder: row.try_get("holder")?,
                    acquired_at: from_millis(row.try_get("acquired_at")?),
                    expires_at: from_millis(row.try_get("expires_at")?),
                })
            })
            .collect()
    }

    async fn read_rows(
        &self,
        table: &'static Table,
        after: Option<Value>,
        limit: u64,
    ) -> Result<Vec<PlainRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        read_rows_on(&mut conn, table, after.as_ref(), limit).await
    }

    async fn write_rows(&self, table: &'static Table, rows: &[PlainRow]) -> Result<(), StoreError> {
        crate::rows::check_shape(table, rows)?;
        if rows.is_empty() {
            return Ok(());
        }
        // PostgreSQL binds at most 65,535 parameters per statement.
        let per_statement = 60_000 / table.columns.len();
        retrying("writing rows", || async {
            let mut tx = self.pool.begin().await?;
            for chunk in rows.chunks(per_statement) {
                let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
                    "INSERT INTO {} ({}) ",
                    table.name,
                    table.column_list()
                ));
                q.push_values(chunk, |mut b, row| {
                    for (v, c) in row.iter().zip(table.columns) {
                        push_plain(&mut b, v, c.kind);
                    }
                });
                q.push(format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    table.key().name,
                    table.update_list()
                ));
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Copies every table, as one repeatable-read transaction sees the
    /// database, into a new SQLite file (written beside `dest` and renamed
    /// when whole).
    async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        let fail = |why: String| StoreError::Backup {
            path: dest.display().to_string(),
            why,
        };
        if dest.exists() {
            return Err(fail("the file exists; name a new file".into()));
        }
        let partial = dest.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let copied = async {
            let target = crate::SqliteStore::open_file(&partial).await?;
            let mut tx = self.pool.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            for table in crate::rows::TABLES {
                let mut after: Option<Value> = None;
                loop {
                    let page =
                        read_rows_on(&mut tx, table, after.as_ref(), crate::rows::PAGE).await?;
                    target.write_rows(table, &page).await?;
                    match page.last() {
                        Some(last) if page.len() as u64 == crate::rows::PAGE => {
                            after = Some(last[0].clone());
                        }
                        _ => break,
                    }
                }
            }
            tx.commit().await?;
            target.finish_file().await?;
            target.close().await;
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&partial);
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
            }
            return Err(fail(e.to_string()));
        }
        std::fs::rename(&partial, dest).map_err(|e| fail(e.to_string()))
    }

    async fn size_bytes(&self) -> Result<u64, StoreError> {
        let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&self.pool)
            .await?;
        Ok(to_u64(size))
    }

    fn describe(&self) -> String {
        self.target.clone()
    }

    fn pool_use(&self) -> Vec<PoolUse> {
        vec![PoolUse {
            name: "connections",
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }]
    }

    fn community(&self) -> &dyn crate::Community {
        self
    }

    fn contributions(&self) -> &dyn crate::Contributions {
        self
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrations(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, description, installed_on::text AS installed_on FROM _sqlx_migrations \
             WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AppliedMigration {
                    version: row.try_get("version")?,
                    description: row.try_get("description")?,
                    installed_on: row.try_get("installed_on")?,
                })
            })
            .collect()
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM papers) AS papers, (SELECT count(*) FROM listings) AS listings, \
                    (SELECT count(*) FROM organizations) AS orgs",
        )
        .fetch_one(&self.pool)
        .await?;
        let get = |name: &str| -> Result<u64, StoreError> {
            let n: i64 = row.try_get(name)?;
            Ok(to_u64(n))
        };
        Ok(Counts {
            papers: get("papers")?,
            listings: get("listings")?,
            organizations: get("orgs")?,
        })
    }
}
