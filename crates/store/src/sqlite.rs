//! The SQLite store: one database file in the data directory, in WAL mode.
//!
//! Reads go through a pool of connections; writes through a single writer
//! connection, so write transactions never contend with each other and
//! readers never wait for writers. A batch import reads the stored versions
//! of the batch's papers in one query, merges in memory, and writes only what
//! changed with multi-row statements, all in one transaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use dailypapers_domain::{ArxivId, FeedEntry, FeedSort, Listing, Organization, Paper};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{
    Counts, EmbeddingProgress, EmbeddingWork, FeedQuery, ImportOutcome, NewEmbedding, PaperChange,
    Store, StoreError, StoredEmbedding,
};

/// The database file name inside the data directory.
pub const DATABASE_FILE: &str = "dailypapers.sqlite3";

/// Rows per multi-row INSERT (SQLite allows 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// The embedded store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    readers: SqlitePool,
    writer: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and migrates it.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Open {
            path: data_dir.display().to_string(),
            source: sqlx::Error::Io(e),
        })?;
        Self::open_file(&data_dir.join(DATABASE_FILE)).await
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(open_err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
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
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await
            .map_err(open_err)?;
        Ok(SqliteStore {
            readers,
            writer,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Embeddings are stored as little-endian f16: half the size of f32, and
/// far more precise than the cosine ranking needs.
mod vector {
    use half::f16;

    pub fn encode(v: &[f32]) -> Vec<u8> {
        v.iter()
            .flat_map(|x| f16::from_f32(*x).to_le_bytes())
            .collect()
    }

    pub fn decode(bytes: &[u8]) -> Option<Vec<f32>> {
        if !bytes.len().is_multiple_of(2) {
            return None;
        }
        Some(
            bytes
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
        )
    }
}

/// Formats an instant the one way the database stores it, so that text order is time order.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("feed day {s:?}: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain types always serialize")
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A listing as a newer record of it says, except that the comment count
/// only grows (replaying an old recording does not take comments away).
fn merge_entry(stored: Option<&FeedEntry>, incoming: Option<FeedEntry>) -> Option<FeedEntry> {
    match (stored, incoming) {
        (Some(old), Some(mut new)) => {
            new.num_comments = new.num_comments.max(old.num_comments);
            Some(new)
        }
        (old, new) => new.or_else(|| old.cloned()),
    }
}

/// Reads `(paper, listing)` JSON columns into a `Listing`.
fn listing_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Listing, StoreError> {
    let paper: String = row.try_get("paper")?;
    let entry: Option<String> = row.try_get("entry")?;
    Ok(Listing {
        paper: from_json("paper", &paper)?,
        entry: entry.map(|e| from_json("listing", &e)).transpose()?,
    })
}

const LISTING_COLUMNS: &str = "p.data AS paper, l.data AS entry";

#[async_trait]
impl Store for SqliteStore {
    async fn import(&self, batch: Vec<Listing>) -> Result<ImportOutcome, StoreError> {
        if batch.is_empty() {
            return Ok(ImportOutcome::default());
        }
        // Merge records of the same paper within the batch, keeping first-seen order.
        let mut outcome = ImportOutcome::default();
        let mut order: Vec<String> = Vec::with_capacity(batch.len());
        let mut incoming: HashMap<String, Listing> = HashMap::with_capacity(batch.len());
        for item in batch {
            match incoming.get_mut(item.paper.id.as_str()) {
                Some(seen) => {
                    // A repeat within the batch counts as what it did to the first.
                    let paper = seen.paper.merge(&item.paper);
                    let entry = merge_entry(seen.entry.as_ref(), item.entry);
                    if paper == seen.paper && entry == seen.entry {
                        outcome.unchanged += 1;
                    } else {
                        outcome.updated += 1;
                    }
                    seen.paper = paper;
                    seen.entry = entry;
                }
                None => {
                    order.push(item.paper.id.as_str().to_owned());
                    incoming.insert(item.paper.id.as_str().to_owned(), item);
                }
            }
        }
        let ids_json = to_json(&order);

        let mut tx = self.writer.begin().await?;
        let mut stored_papers: HashMap<String, String> = HashMap::new();
        let rows = sqlx::query(
            "SELECT id, doc, data FROM papers WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(&ids_json)
        .fetch_all(&mut *tx)
        .await?;
        let mut stored_docs: HashMap<String, i64> = HashMap::new();
        for row in rows {
            stored_docs.insert(row.try_get("id")?, row.try_get("doc")?);
            stored_papers.insert(row.try_get("id")?, row.try_get("data")?);
        }
        let mut stored_entries: HashMap<String, String> = HashMap::new();
        let rows = sqlx::query(
            "SELECT paper_id, data FROM listings WHERE paper_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(&ids_json)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            stored_entries.insert(row.try_get("paper_id")?, row.try_get("data")?);
        }

        let mut papers_out: Vec<(Paper, String)> = Vec::new();
        let mut entries_out: Vec<(FeedEntry, String)> = Vec::new();
        let mut orgs_out: HashMap<String, Organization> = HashMap::new();
        for key in &order {
            let item = incoming
                .remove(key)
                .expect("every ordered key was inserted");
            let (paper, paper_changed, is_new) = match stored_papers.get(key) {
                Some(text) => {
                    let stored: Paper = from_json("paper", text)?;
                    let merged = stored.merge(&item.paper);
                    let changed = merged != stored;
                    (merged, changed, false)
                }
                None => (item.paper, true, true),
            };
            let mut entry_changed = false;
            if item.entry.is_some() {
                let stored: Option<FeedEntry> = stored_entries
                    .get(key)
                    .map(|t| from_json("listing", t))
                    .transpose()?;
                let entry = merge_entry(stored.as_ref(), item.entry)
                    .expect("an incoming entry merges into an entry");
                if stored.as_ref() != Some(&entry) {
                    entry_changed = true;
                    if let Some(org) = &entry.organization {
                        orgs_out.insert(org.name.clone(), org.clone());
                    }
                    let json = to_json(&entry);
                    entries_out.push((entry, json));
                }
            }
            if paper_changed {
                if let Some(org) = &paper.organization {
                    orgs_out.insert(org.name.clone(), org.clone());
                }
                let json = to_json(&paper);
                papers_out.push((paper, json));
            }
            match (is_new, paper_changed || entry_changed) {
                (true, _) => outcome.new += 1,
                (false, true) => outcome.updated += 1,
                (false, false) => outcome.unchanged += 1,
            }
        }

        // New papers take the next document numbers; every written paper takes
        // the next sequence numbers (one writer, so no two batches share them).
        let (max_doc, max_seq): (i64, i64) =
            sqlx::query_as("SELECT coalesce(max(doc), 0), coalesce(max(seq), 0) FROM papers")
                .fetch_one(&mut *tx)
                .await?;
        let mut next_doc = max_doc;
        let mut next_seq = max_seq;
        let numbered: Vec<(i64, i64, Paper, String)> = papers_out
            .into_iter()
            .map(|(p, json)| {
                next_seq += 1;
                let doc = match stored_docs.get(p.id.as_str()) {
                    Some(doc) => *doc,
                    None => {
                        next_doc += 1;
                        next_doc
                    }
                };
                (doc, next_seq, p, json)
            })
            .collect();
        for chunk in numbered.chunks(ROWS_PER_STATEMENT) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO papers (doc, seq, id, primary_category, organization, published_at, upvotes, data) ",
            );
            q.push_values(chunk, |mut b, (doc, seq, p, json)| {
                b.push_bind(*doc)
                    .push_bind(*seq)
                    .push_bind(p.id.as_str())
                    .push_bind(p.primary_category())
                    .push_bind(p.organization.as_ref().map(|o| o.name.as_str()))
                    .push_bind(p.published_at.map(timestamp))
                    .push_bind(i64::from(p.upvotes.unwrap_or(0)))
                    .push_bind(json);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, \
                 primary_category = excluded.primary_category, organization = excluded.organization, \
                 published_at = excluded.published_at, upvotes = excluded.upvotes, data = excluded.data",
            );
            q.build().execute(&mut *tx).await?;
        }
        for chunk in entries_out.chunks(ROWS_PER_STATEMENT) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO listings (paper_id, feed_day, submitted_at, listed_at, submitter, data) ",
            );
            q.push_values(chunk, |mut b, (e, json)| {
                b.push_bind(e.paper_id.as_str())
                    .push_bind(day_text(e.feed_day))
                    .push_bind(timestamp(e.submission_time()))
                    .push_bind(timestamp(e.listed_at))
                    .push_bind(e.submitted_by.as_ref().map(|s| s.user.as_str()))
                    .push_bind(json);
            });
            q.push(
                " ON CONFLICT (paper_id) DO UPDATE SET feed_day = excluded.feed_day, \
                 submitted_at = excluded.submitted_at, listed_at = excluded.listed_at, submitter = excluded.submitter, data = excluded.data",
            );
            q.build().execute(&mut *tx).await?;
        }
        let orgs: Vec<Organization> = orgs_out.into_values().collect();
        for chunk in orgs.chunks(ROWS_PER_STATEMENT) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO organizations (name, fullname, data) ");
            q.push_values(chunk, |mut b, o| {
                b.push_bind(&o.name)
                    .push_bind(&o.fullname)
                    .push_bind(to_json(o));
            });
            q.push(
                " ON CONFLICT (name) DO UPDATE SET fullname = excluded.fullname, data = excluded.data \
                 WHERE organizations.data <> excluded.data",
            );
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn listing(&self, id: &ArxivId) -> Result<Option<Listing>, StoreError> {
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM papers p LEFT JOIN listings l ON l.paper_id = p.id WHERE p.id = ?1"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(listing_from_row).transpose()
    }

    async fn feed(&self, query: &FeedQuery) -> Result<Vec<Listing>, StoreError> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {LISTING_COLUMNS} FROM listings l JOIN papers p ON p.id = l.paper_id WHERE 1 = 1"
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
            FeedSort::Upvotes => " ORDER BY p.upvotes DESC, l.submitted_at ASC, l.paper_id ASC",
            FeedSort::Newest => " ORDER BY l.submitted_at DESC, l.paper_id ASC",
            FeedSort::Published => " ORDER BY l.listed_at DESC, l.paper_id ASC",
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
        let rows =
            sqlx::query("SELECT doc, seq, data FROM papers WHERE seq > ?1 ORDER BY seq LIMIT ?2")
                .bind(to_i64(after_seq))
                .bind(to_i64(limit))
                .fetch_all(&self.readers)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(PaperChange {
                    doc: to_u64(row.try_get("doc")?),
                    seq: to_u64(row.try_get("seq")?),
                    paper: from_json("paper", row.try_get("data")?)?,
                })
            })
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
        let rows = sqlx::query(
            "SELECT p.doc AS doc, p.seq AS seq, p.data AS data, \
                    CASE WHEN e.model = ?2 THEN e.text_hash END AS text_hash \
             FROM papers p LEFT JOIN embeddings e ON e.doc = p.doc \
             WHERE p.doc > ?1 AND (e.doc IS NULL OR e.model <> ?2 OR e.paper_seq < p.seq) \
             ORDER BY p.doc LIMIT ?3",
        )
        .bind(to_i64(after_doc))
        .bind(model)
        .bind(to_i64(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.iter()
            .map(|row| {
                let hash: Option<i64> = row.try_get("text_hash")?;
                Ok(EmbeddingWork {
                    doc: to_u64(row.try_get("doc")?),
                    seq: to_u64(row.try_get("seq")?),
                    paper: from_json("paper", row.try_get("data")?)?,
                    stored_text_hash: hash.map(|h| h as u64),
                })
            })
            .collect()
    }

    async fn save_embeddings(&self, model: &str, rows: &[NewEmbedding]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        let max_rev: i64 = sqlx::query_scalar("SELECT coalesce(max(rev), 0) FROM embeddings")
            .fetch_one(&mut *tx)
            .await?;
        let mut rev = max_rev;
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
                    .bind(rev)
                    .bind(vector::encode(v))
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
        }
        tx.commit().await?;
        Ok(())
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
                    vector: vector::decode(bytes).ok_or_else(|| {
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

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
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
