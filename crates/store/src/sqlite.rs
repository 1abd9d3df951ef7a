//! The SQLite store: one database file (by default `dailypapers.sqlite3` in
//! the data directory), in WAL mode. This module holds the SQL and little
//! else: what an import writes is decided by [`crate::merge`], values are
//! encoded by [`crate::codec`].
//!
//! Reads go through a pool of read-only connections, which never wait for
//! writers. Writes go through one writer connection per process, and every
//! write transaction starts with `BEGIN IMMEDIATE`: it takes SQLite's write
//! lock before reading anything, so writers in other processes (a CLI import
//! beside `serve`) queue on the busy timeout instead of failing with
//! `SQLITE_BUSY_SNAPSHOT` when a deferred transaction tries to upgrade; a
//! conflict that still gets through is tried again ([`crate::retry`]).
//! Document, sequence and revision numbers are taken from the `counters`
//! table inside that transaction, so they are handed out in commit order at
//! the cost of one row update.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::{ArxivId, FeedSort, Listing, Organization};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::codec::{
    day_text, decode_vector, encode_vector, from_json, parse_day, timestamp, to_i64, to_json,
    to_u64,
};
use crate::codec::{plain_row, push_plain};
use crate::community::engagement_from_row;
use crate::merge::{ImportPlan, Incoming, Stored};
use crate::retry::retrying;
use crate::rows::{Row as PlainRow, Table, Value};
use crate::{
    AppliedMigration, Counts, EmbeddingProgress, EmbeddingWork, FeedQuery, ImportOutcome, Lease,
    NewEmbedding, PaperChange, PoolUse, Store, StoreError, StoredEmbedding,
};

mod collections;
mod community;
mod contributions;
mod moderation;
mod outbox;
mod subscriptions;
mod trending;

pub use crate::url::DATABASE_FILE;

/// Rows per multi-row INSERT (SQLite allows 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// How long a writer waits for another process's write lock before the
/// attempt counts as a conflict.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How every write transaction starts (see the module docs).
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The embedded store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    readers: SqlitePool,
    writer: SqlitePool,
    path: PathBuf,
    /// Upvotes, written in batches by one task (see [`crate::batch`]).
    votes: crate::batch::VoteQueue,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and migrates it.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Open {
            target: data_dir.display().to_string(),
            source: sqlx::Error::Io(e),
        })?;
        Self::open_file(&data_dir.join(DATABASE_FILE)).await
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            target: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(open_err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // A stored paper is 2-5 KiB: 16 KiB pages hold it without overflow
            // chains (measured: bulk import 15% faster than with 4 KiB pages).
            .page_size(16384)
            // 16 MiB of page cache per connection: as fast for bulk imports as
            // 64 MiB (measured), and nine connections stay well under 200 MiB.
            .pragma("cache_size", "-16384")
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(open_err)?;
        // Two processes starting on a new file both migrate: the second
        // meets the first's lock, and once it is free finds nothing to do.
        retrying("migrating the database", || async {
            Ok(sqlx::migrate!("./migrations/sqlite").run(&writer).await?)
        })
        .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await
            .map_err(open_err)?;
        let pool = writer.clone();
        let votes = crate::batch::VoteQueue::start(std::sync::Arc::new(move |batch| {
            let pool = pool.clone();
            Box::pin(async move {
                retrying("saving upvotes", || community::write_votes(&pool, &batch)).await
            })
        }));
        Ok(SqliteStore {
            readers,
            writer,
            path: path.to_path_buf(),
            votes,
        })
    }

    /// Moves everything written into the database file itself (a WAL
    /// checkpoint that empties the log), so the file alone is the whole
    /// store: before it is renamed or moved without its `-wal` file.
    pub async fn finish_file(&self) -> Result<(), StoreError> {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.writer)
            .await?;
        if busy != 0 {
            return Err(StoreError::Corrupt(format!(
                "{}: the write-ahead log could not be emptied (a reader holds it)",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One import attempt, in one write transaction.
    async fn import_once(&self, incoming: &Incoming) -> Result<ImportOutcome, StoreError> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
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
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        let vectors = rows.iter().filter(|r| r.vector.is_some()).count() as u64;
        let mut rev = take_numbers(&mut tx, "rev", vectors).await?;
        for row in rows {
            match &row.vector {
                Some(v) => {
                    rev += 1;
                    sqlx::query(
                        "INSERT INTO embeddings (doc, model, text_hash, paper_seq, rev, vector) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (doc) DO UPDATE SET \
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
                        "UPDATE embeddings SET paper_seq = ?3 \
                         WHERE doc = ?1 AND model = ?2 AND paper_seq < ?3",
                    )
                    .bind(to_i64(row.doc))
                    .bind(model)
                    .bind(to_i64(row.paper_seq))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query("DELETE FROM embedding_claims WHERE doc = ?1")
                .bind(to_i64(row.doc))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Takes `n` numbers from the counter `name`: the caller numbers from the
/// returned value + 1 to the returned value + n. The counter row stays
/// locked until the transaction ends, so numbers follow commit order.
async fn take_numbers(conn: &mut SqliteConnection, name: &str, n: u64) -> Result<u64, StoreError> {
    if n == 0 {
        return Ok(0);
    }
    let start: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + ?2 WHERE name = ?1 RETURNING value - ?2",
    )
    .bind(name)
    .bind(to_i64(n))
    .fetch_one(&mut *conn)
    .await?;
    Ok(to_u64(start))
}

/// The stored papers and entries of a batch, read with two queries.
async fn read_stored(conn: &mut SqliteConnection, ids: &[String]) -> Result<Stored, StoreError> {
    let ids_json = to_json(&ids);
    let mut stored = Stored::default();
    let rows = sqlx::query(
        "SELECT id, doc, data FROM papers WHERE id IN (SELECT value FROM json_each(?1))",
    )
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        stored.papers.insert(
            row.try_get("id")?,
            (to_u64(row.try_get("doc")?), row.try_get("data")?),
        );
    }
    let rows = sqlx::query(
        "SELECT paper_id, data FROM listings WHERE paper_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        stored
            .entries
            .insert(row.try_get("paper_id")?, row.try_get("data")?);
    }
    Ok(stored)
}

/// Writes what a batch changed with multi-row upserts.
async fn write_plan(conn: &mut SqliteConnection, plan: &ImportPlan) -> Result<(), StoreError> {
    let last_doc = take_numbers(conn, "doc", plan.new_papers()).await?;
    let last_seq = take_numbers(conn, "seq", plan.papers.len() as u64).await?;
    let numbered = plan.numbered(last_doc, last_seq);
    for chunk in numbered.chunks(ROWS_PER_STATEMENT) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO papers (doc, seq, id, primary_category, organization, published_at, upvotes, data) ",
        );
        q.push_values(chunk, |mut b, n| {
            let p = &n.write.paper;
            b.push_bind(to_i64(n.doc))
                .push_bind(to_i64(n.seq))
                .push_bind(p.id.as_str())
                .push_bind(p.primary_category())
                .push_bind(p.organization.as_ref().map(|o| o.name.as_str()))
                .push_bind(p.published_at.map(timestamp))
                .push_bind(i64::from(p.upvotes.unwrap_or(0)))
                .push_bind(n.write.json.as_str());
        });
        q.push(
            " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, \
             primary_category = excluded.primary_category, organization = excluded.organization, \
             published_at = excluded.published_at, upvotes = excluded.upvotes, data = excluded.data",
        );
        q.build().execute(&mut *conn).await?;
    }
    for chunk in plan.entries.chunks(ROWS_PER_STATEMENT) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO listings (paper_id, feed_day, submitted_at, listed_at, submitter, data) ",
        );
        q.push_values(chunk, |mut b, w| {
            let e = &w.entry;
            b.push_bind(e.paper_id.as_str())
                .push_bind(day_text(e.feed_day))
                .push_bind(timestamp(e.submission_time()))
                .push_bind(timestamp(e.listed_at))
                .push_bind(e.submitted_by.as_ref().map(|s| s.user.as_str()))
                .push_bind(w.json.as_str());
        });
        q.push(
            " ON CONFLICT (paper_id) DO UPDATE SET feed_day = excluded.feed_day, \
             submitted_at = excluded.submitted_at, listed_at = excluded.listed_at, submitter = excluded.submitter, data = excluded.data",
        );
        q.build().execute(&mut *conn).await?;
    }
    for chunk in plan.organizations.chunks(ROWS_PER_STATEMENT) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO organizations (name, fullname, data) ");
        q.push_values(chunk, |mut b, o: &Organization| {
            b.push_bind(&o.name)
                .push_bind(&o.fullname)
                .push_bind(to_json(o));
        });
        q.push(
            " ON CONFLICT (name) DO UPDATE SET fullname = excluded.fullname, data = excluded.data \
             WHERE organizations.data <> excluded.data",
        );
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Papers after `?1` whose embedding by `?2` is missing or stale.
const EMBEDDING_WORK: &str = "SELECT p.doc AS doc, p.seq AS seq, p.data AS data, \
        CASE WHEN e.model = ?2 THEN e.text_hash END AS text_hash \
     FROM papers p LEFT JOIN embeddings e ON e.doc = p.doc \
     WHERE p.doc > ?1 AND (e.doc IS NULL OR e.model <> ?2 OR e.paper_seq < p.seq)";

fn work_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<EmbeddingWork, StoreError> {
    let hash: Option<i64> = row.try_get("text_hash")?;
    Ok(EmbeddingWork {
        doc: to_u64(row.try_get("doc")?),
        seq: to_u64(row.try_get("seq")?),
        paper: from_json("paper", row.try_get("data")?)?,
        stored_text_hash: hash.map(|h| h as u64),
    })
}

/// Reads `(paper, listing)` JSON columns into a `Listing`.
fn listing_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Listing, StoreError> {
    let paper: String = row.try_get("paper")?;
    let entry: Option<String> = row.try_get("entry")?;
    Ok(Listing {
        paper: from_json("paper", &paper)?,
        entry: entry.map(|e| from_json("listing", &e)).transpose()?,
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
impl Store for SqliteStore {
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
             LEFT JOIN paper_counts c ON c.paper_id = p.id WHERE p.id = ?1"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(listing_from_row).transpose()
    }

    async fn feed(&self, query: &FeedQuery) -> Result<Vec<Listing>, StoreError> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
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
            .push_bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
            .push(" OFFSET ")
            .push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows = q.build().fetch_all(&self.readers).await?;
        rows.iter().map(listing_from_row).collect()
    }

    async fn latest_feed_day(&self) -> Result<Option<NaiveDate>, StoreError> {
        let day: Option<String> = sqlx::query_scalar("SELECT max(feed_day) FROM listings")
            .fetch_one(&self.readers)
            .await?;
        day.as_deref().map(parse_day).transpose()
    }

    async fn neighbour_feed_days(
        &self,
        day: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT max(feed_day) FROM listings WHERE feed_day < ?1) AS prev, \
                    (SELECT min(feed_day) FROM listings WHERE feed_day > ?1) AS next",
        )
        .bind(day_text(day))
        .fetch_one(&self.readers)
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
            sqlx::query_scalar("SELECT data FROM organizations WHERE name = ?1")
                .bind(name)
                .fetch_optional(&self.readers)
                .await?;
        data.map(|d| from_json("organization", &d)).transpose()
    }

    async fn checkpoint(&self, key: &str) -> Result<Option<String>, StoreError> {
        // Read through the writer so a checkpoint just saved is always seen.
        Ok(
            sqlx::query_scalar("SELECT value FROM checkpoints WHERE key = ?1")
                .bind(key)
                .fetch_optional(&self.writer)
                .await?,
        )
    }

    async fn set_checkpoint(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        retrying("saving a checkpoint", || async move {
            match value {
                Some(v) => {
                    sqlx::query(
                        "INSERT INTO checkpoints (key, value, updated_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    )
                    .bind(key)
                    .bind(v)
                    .bind(timestamp(Utc::now()))
                    .execute(&self.writer)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM checkpoints WHERE key = ?1")
                        .bind(key)
                        .execute(&self.writer)
                        .await?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Closes both pools, checkpointing the WAL.
    async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    async fn changed_papers(
        &self,
        after_seq: u64,
        limit: u64,
    ) -> Result<Vec<PaperChange>, StoreError> {
        let sql = concat!(
            "SELECT doc, seq, data, ",
            crate::contributions::org_link_column!(),
            " FROM papers p WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        );
        let rows = sqlx::query(sql)
            .bind(to_i64(after_seq))
            .bind(to_i64(limit))
            .fetch_all(&self.readers)
            .await?;
        rows.iter()
            .map(crate::contributions::paper_change_from_row)
            .collect()
    }

    async fn max_seq(&self) -> Result<u64, StoreError> {
        let seq: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM papers")
            .fetch_one(&self.readers)
            .await?;
        Ok(to_u64(seq))
    }

    async fn paper_doc(&self, id: &ArxivId) -> Result<Option<u64>, StoreError> {
        let doc: Option<i64> = sqlx::query_scalar("SELECT doc FROM papers WHERE id = ?1")
            .bind(id.as_str())
            .fetch_optional(&self.readers)
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
             WHERE p.doc IN (SELECT value FROM json_each(?1))"
        );
        let rows = sqlx::query(&sql)
            .bind(to_json(&docs))
            .fetch_all(&self.readers)
            .await?;
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
        let sql = format!("{EMBEDDING_WORK} ORDER BY p.doc LIMIT ?3");
        let rows = sqlx::query(&sql)
            .bind(to_i64(after_doc))
            .bind(model)
            .bind(to_i64(limit))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(work_from_row).collect()
    }

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
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            let sql = format!(
                "{EMBEDDING_WORK} AND NOT EXISTS (SELECT 1 FROM embedding_claims c \
                 WHERE c.doc = p.doc AND c.holder <> ?4 AND c.expires_at > ?5) \
                 ORDER BY p.doc LIMIT ?3"
            );
            let rows = sqlx::query(&sql)
                .bind(to_i64(after_doc))
                .bind(model)
                .bind(to_i64(limit))
                .bind(holder)
                .bind(millis(now))
                .fetch_all(&mut *tx)
                .await?;
            let work: Vec<EmbeddingWork> = rows.iter().map(work_from_row).collect::<Result<_, _>>()?;
            for chunk in work.chunks(ROWS_PER_STATEMENT) {
                let mut q: QueryBuilder<Sqlite> =
                    QueryBuilder::new("INSERT INTO embedding_claims (doc, holder, expires_at) ");
                q.push_values(chunk, |mut b, w| {
                    b.push_bind(to_i64(w.doc))
                        .push_bind(holder)
                        .push_bind(millis(expires));
                });
                q.push(
                    " ON CONFLICT (doc) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
                );
                q.build().execute(&mut *tx).await?;
            }
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
            "SELECT doc, rev, vector FROM embeddings WHERE rev > ?1 AND model = ?2 ORDER BY rev LIMIT ?3",
        )
        .bind(to_i64(after_rev))
        .bind(model)
        .bind(to_i64(limit))
        .fetch_all(&self.readers)
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
                     WHERE e.model = ?1 AND e.paper_seq >= p.seq), \
                    (SELECT count(*) FROM papers)",
        )
        .bind(model)
        .fetch_one(&self.readers)
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
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (name) DO UPDATE SET \
                   acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at \
                                      ELSE excluded.acquired_at END, \
                   holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= ?3",
            )
            .bind(name)
            .bind(holder)
            .bind(millis(now))
            .bind(millis(expires))
            .execute(&self.writer)
            .await?;
            Ok(taken.rows_affected() == 1)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        retrying("releasing a lease", || async {
            sqlx::query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
                .bind(name)
                .bind(holder)
                .execute(&self.writer)
                .await?;
            Ok(())
        })
        .await
    }

    async fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let rows =
            sqlx::query("SELECT name, holder, acquired_at, expires_at FROM leases ORDER BY name")
                .fetch_all(&self.writer)
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
        let key = table.key().name;
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {} FROM {}",
            table.column_list(),
            table.name
        ));
        if let Some(after) = &after {
            q.push(format!(" WHERE {key} > "));
            push_plain(&mut q.separated(""), after, table.key().kind);
        }
        q.push(format!(" ORDER BY {key} LIMIT "))
            .push_bind(to_i64(limit));
        let rows = q.build().fetch_all(&self.writer).await?;
        rows.iter().map(|r| plain_row(r, table)).collect()
    }

    async fn write_rows(&self, table: &'static Table, rows: &[PlainRow]) -> Result<(), StoreError> {
        crate::rows::check_shape(table, rows)?;
        if rows.is_empty() {
            return Ok(());
        }
        // SQLite binds at most 32,766 parameters per statement.
        let per_statement = (32_000 / table.columns.len()).min(ROWS_PER_STATEMENT);
        retrying("writing rows", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            for chunk in rows.chunks(per_statement) {
                let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
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

    async fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let fail = |why: String| StoreError::Backup {
            path: dest.display().to_string(),
            why,
        };
        if dest.exists() {
            return Err(fail("the file exists; name a new file".into()));
        }
        // VACUUM INTO copies the database as one read transaction sees it:
        // every committed batch whole, none that commits meanwhile. It is
        // written beside the destination first, so a failed backup leaves
        // no half-written file under the asked-for name.
        let partial = dest.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let partial_text = partial
            .to_str()
            .ok_or_else(|| fail("the path is not valid UTF-8".into()))?
            .to_string();
        let mut conn = self.readers.acquire().await?;
        let copied = sqlx::query("VACUUM INTO ?1")
            .bind(&partial_text)
            .execute(&mut *conn)
            .await;
        drop(conn);
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&partial);
            return Err(fail(e.to_string()));
        }
        let check = SqliteConnectOptions::new()
            .filename(&partial)
            .read_only(true);
        let verdict = async {
            use sqlx::ConnectOptions;
            let mut c = check.connect().await?;
            let ok: String = sqlx::query_scalar("PRAGMA quick_check")
                .fetch_one(&mut c)
                .await?;
            let _: i64 = sqlx::query_scalar("SELECT count(*) FROM papers")
                .fetch_one(&mut c)
                .await?;
            sqlx::Connection::close(c).await?;
            Ok::<_, sqlx::Error>(ok)
        }
        .await;
        match verdict {
            Ok(ok) if ok == "ok" => {}
            Ok(bad) => {
                let _ = std::fs::remove_file(&partial);
                return Err(fail(format!("the copy does not check out: {bad}")));
            }
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(fail(format!("the copy does not open: {e}")));
            }
        }
        std::fs::rename(&partial, dest).map_err(|e| fail(e.to_string()))
    }

    async fn size_bytes(&self) -> Result<u64, StoreError> {
        let pages: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT page_count FROM pragma_page_count()), (SELECT page_size FROM pragma_page_size())",
        )
        .fetch_one(&self.readers)
        .await?;
        let wal = std::fs::metadata(format!("{}-wal", self.path.display()))
            .map(|m| m.len())
            .unwrap_or(0);
        Ok(to_u64(pages.0.saturating_mul(pages.1)) + wal)
    }

    fn describe(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    fn pool_use(&self) -> Vec<PoolUse> {
        [("readers", &self.readers), ("writer", &self.writer)]
            .into_iter()
            .map(|(name, pool)| PoolUse {
                name,
                open: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
            .collect()
    }

    fn community(&self) -> &dyn crate::Community {
        self
    }

    fn contributions(&self) -> &dyn crate::Contributions {
        self
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn migrations(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, description, installed_on AS installed_on FROM _sqlx_migrations \
             WHERE success ORDER BY version",
        )
        .fetch_all(&self.readers)
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
        .fetch_one(&self.readers)
        .await?;
        let get = |name: &str| -> Result<u64, StoreError> {
            let n: i64 = row.try_get(name)?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(Counts {
            papers: get("papers")?,
            listings: get("listings")?,
            organizations: get("orgs")?,
        })
    }
}
