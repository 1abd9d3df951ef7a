//! Persistence for Daily Papers.
//!
//! Callers see one interface, [`Store`], used as `Arc<dyn Store>` and
//! obtained from [`open`] with a [`StoreUrl`], so that the SQLite
//! implementation (the embedded default, [`SqliteStore`]) and the
//! PostgreSQL one ([`PostgresStore`], for several servers on one database)
//! can be swapped without touching them. Every implementation must pass
//! the conformance suite in `tests/conformance.rs`, and must keep the
//! contract written on [`Store`].
//!
//! A backend holds its SQL and little else: what a batch import writes is
//! decided in [`merge`] (no I/O), how values are encoded in [`codec`], and
//! how many times a write is tried in [`retry`]; a backend reads the stored
//! rows, calls them, and writes.

pub mod batch;
pub mod codec;
pub mod collections;
pub mod community;
pub mod contributions;
pub mod copy;
mod error;
pub mod merge;
pub mod moderation;
pub mod outbox;
mod paged;
pub mod postgres;
pub mod retry;
pub mod rows;
pub mod sqlite;
pub mod subscriptions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trending;
mod url;

use async_trait::async_trait;
use chrono::NaiveDate;
use dailypapers_domain::{ArxivId, FeedSort, Listing, Organization, Paper};

pub use collections::Collections;
pub use community::Community;
pub use contributions::Contributions;
pub use error::StoreError;
pub use moderation::Moderation;
pub use outbox::Outbox;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use subscriptions::Subscriptions;
pub use trending::Trending;
pub use url::{DATABASE_FILE, StoreUrl};

/// Opens (creating and migrating if needed) the store at `url`. Callers hold
/// the result as `Arc<dyn Store>`: a backend is chosen here and nowhere else.
pub async fn open(url: &StoreUrl) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    match url {
        StoreUrl::Sqlite(path) => Ok(std::sync::Arc::new(SqliteStore::open_file(path).await?)),
        StoreUrl::Postgres(url) => Ok(std::sync::Arc::new(PostgresStore::open(url).await?)),
    }
}

/// `HOST:PID:START`, naming this process among all that share a store: the
/// holder of its leases and embedding claims.
pub fn process_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    )
}

/// What importing a batch did, record by record: every record counts once
/// (a repeat of a paper within the batch counts as what it changed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Papers not stored before.
    pub new: u64,
    /// Papers (or their listings) that changed.
    pub updated: u64,
    /// Records that matched what was stored exactly.
    pub unchanged: u64,
}

impl std::ops::AddAssign for ImportOutcome {
    fn add_assign(&mut self, o: Self) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// Which listings of the feed to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedQuery {
    /// First feed day, inclusive; `None` for no lower bound.
    pub from: Option<NaiveDate>,
    /// Last feed day, inclusive; `None` for no upper bound.
    pub to: Option<NaiveDate>,
    /// Only listings submitted by this user handle.
    pub submitter: Option<String>,
    pub sort: FeedSort,
    pub offset: u64,
    pub limit: u64,
}

/// How many of each thing the store holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub papers: u64,
    pub listings: u64,
    pub organizations: u64,
}

/// A schema migration the store has applied (`dailypapers migrate` lists them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
    /// When it was applied, as the database prints it.
    pub installed_on: String,
}

/// A paper as written to the store, with its document number and the
/// sequence number of its last write.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperChange {
    pub doc: u64,
    pub seq: u64,
    pub paper: Paper,
}

/// A paper whose embedding is missing or may be stale, for the embedding job.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingWork {
    pub doc: u64,
    pub seq: u64,
    pub paper: Paper,
    /// The hash of the text the stored vector was made from, when one exists
    /// for the same model: equal to the current text's hash means only the
    /// paper's other fields changed and the vector still holds.
    pub stored_text_hash: Option<u64>,
}

/// An embedding to save. `vector: None` keeps the stored vector and only
/// records that it was checked against the paper at `paper_seq`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEmbedding {
    pub doc: u64,
    pub paper_seq: u64,
    pub text_hash: u64,
    pub vector: Option<Vec<f32>>,
}

/// A stored embedding, in write order.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEmbedding {
    pub doc: u64,
    pub rev: u64,
    pub vector: Vec<f32>,
}

/// How far the embedding job has come for one model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmbeddingProgress {
    /// Papers whose vector is current.
    pub done: u64,
    /// All papers.
    pub total: u64,
}

/// A job's lease, as the store holds it (for status pages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The job's name.
    pub name: String,
    /// Who holds it (a process's identity: host, pid, start time).
    pub holder: String,
    /// When the holder took it.
    pub acquired_at: chrono::DateTime<chrono::Utc>,
    /// When it lapses unless renewed.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// How much of a connection pool is in use, for metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUse {
    /// Which pool (`readers`, `writer`).
    pub name: &'static str,
    /// Connections open now.
    pub open: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

/// The persistence interface every backend implements.
///
/// # Contract
///
/// Every backend keeps these promises, and `tests/conformance.rs` checks
/// each of them:
///
/// - **Batches are atomic.** [`Store::import`] and [`Store::save_embeddings`]
///   store their whole batch in one transaction or nothing of it; a failed
///   batch leaves what was stored untouched.
/// - **Re-importing changes nothing.** Merging a record into the stored
///   paper follows `Paper::merge` (see [`merge`]), so importing the same data
///   again reports every record unchanged and writes nothing.
/// - **Numbering.** A paper's document number (`doc`) is given when it is
///   first stored and never changes or is reused. Every write of a paper
///   gives it a new change sequence number (`seq`), and every saved vector a
///   new revision (`rev`), each larger than any number of its kind already
///   committed. Taking numbers costs the same at any size of the store.
/// - **Visibility follows numbering.** Numbers are handed out in commit
///   order: once a reader has seen the change numbered `n`, every change it
///   can see later is numbered above `n`. So an index that asks for
///   [`Store::changed_papers`] (or [`Store::embeddings_since`]) after the
///   last number it saw never skips a change, however many processes write.
/// - **Writers wait, they do not fail.** Any number of writers (tasks and
///   processes) may write at once: a write waits for the others (on SQLite
///   the write lock is taken when the transaction starts, `BEGIN
///   IMMEDIATE`) and a transaction that still meets a conflict is rolled
///   back and tried again (see [`retry`]), which is safe because it wrote
///   nothing.
/// - **Checkpoints read back what was written**, at once, in any process.
/// - **Leases are exclusive.** [`Store::acquire_lease`] gives a named lease
///   to one holder at a time until it expires or is released.
/// - **Collections** ([`Collections`], a supertrait) keep their own contract
///   (see [`collections`]): positions a permutation, a paper once per
///   collection, one title per owner.
///
/// Trending scores ([`Trending`]), what moderation and the abuse limits
/// read ([`Moderation`]), the mail outbox ([`Outbox`]) and digest
/// subscriptions ([`Subscriptions`]) are part of every store, each with its
/// contract.
#[async_trait]
pub trait Store:
    Collections + Trending + Moderation + Outbox + Subscriptions + Send + Sync + 'static
{
    /// Merges a batch of listings into the store in one transaction.
    /// Records of the same paper within the batch are merged in order.
    async fn import(&self, batch: Vec<Listing>) -> Result<ImportOutcome, StoreError>;

    /// One paper with its listing, by canonical id (any version is the same paper).
    async fn listing(&self, id: &ArxivId) -> Result<Option<Listing>, StoreError>;

    /// Listings of the feed, ordered as asked.
    async fn feed(&self, query: &FeedQuery) -> Result<Vec<Listing>, StoreError>;

    /// The latest feed day that has listings.
    async fn latest_feed_day(&self) -> Result<Option<NaiveDate>, StoreError>;

    /// The nearest feed days with listings strictly before and after `day`.
    async fn neighbour_feed_days(
        &self,
        day: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError>;

    /// An organisation by handle.
    async fn organization(&self, name: &str) -> Result<Option<Organization>, StoreError>;

    /// A value saved under `key` (ingestion checkpoints such as resumption tokens).
    async fn checkpoint(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Saves (or with `None`, clears) a checkpoint.
    async fn set_checkpoint(&self, key: &str, value: Option<&str>) -> Result<(), StoreError>;

    /// How many papers, listings and organisations are stored.
    async fn counts(&self) -> Result<Counts, StoreError>;

    /// The schema migrations applied to this store, oldest first. Opening
    /// a store applies those it lacks.
    async fn migrations(&self) -> Result<Vec<AppliedMigration>, StoreError>;

    /// Papers written after sequence number `after_seq`, in sequence order.
    async fn changed_papers(
        &self,
        after_seq: u64,
        limit: u64,
    ) -> Result<Vec<PaperChange>, StoreError>;

    /// The sequence number of the latest write (0 for an empty store).
    async fn max_seq(&self) -> Result<u64, StoreError>;

    /// The document number of a paper.
    async fn paper_doc(&self, id: &ArxivId) -> Result<Option<u64>, StoreError>;

    /// Papers with their listings by document number, in the order asked;
    /// numbers that match nothing are left out.
    async fn listings_by_doc(&self, docs: &[u64]) -> Result<Vec<(u64, Listing)>, StoreError>;

    /// Papers after document number `after_doc` whose embedding by `model`
    /// is missing or older than the paper, in document order.
    async fn embedding_work(
        &self,
        model: &str,
        after_doc: u64,
        limit: u64,
    ) -> Result<Vec<EmbeddingWork>, StoreError>;

    /// Claims for `holder`, until `ttl` from now, up to `limit` papers after
    /// document `after_doc` whose embedding by `model` is missing or stale
    /// and which no other holder has a live claim on, and answers them in
    /// document order. Several servers on one store each get different
    /// papers; a claim ends when the paper's embedding is saved, or lapses
    /// when its holder dies.
    async fn claim_embedding_work(
        &self,
        model: &str,
        holder: &str,
        ttl: std::time::Duration,
        after_doc: u64,
        limit: u64,
    ) -> Result<Vec<EmbeddingWork>, StoreError>;

    /// Saves embeddings made by `model` in one transaction, and ends the
    /// claims on their papers.
    async fn save_embeddings(&self, model: &str, rows: &[NewEmbedding]) -> Result<(), StoreError>;

    /// Embeddings by `model` written after revision `after_rev`, in write order.
    async fn embeddings_since(
        &self,
        model: &str,
        after_rev: u64,
        limit: u64,
    ) -> Result<Vec<StoredEmbedding>, StoreError>;

    /// How many papers have a current embedding by `model`.
    async fn embedding_progress(&self, model: &str) -> Result<EmbeddingProgress, StoreError>;

    /// Takes or renews the lease `name` for `holder` for `ttl`: true when
    /// `holder` now holds it (it was free, expired, or already theirs), false
    /// when someone else does.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError>;

    /// Gives the lease up, if `holder` holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Every lease held or lapsed, by name.
    async fn leases(&self) -> Result<Vec<Lease>, StoreError>;

    /// Up to `limit` rows of `table` (one of [`rows::TABLES`]) whose key is
    /// above `after` (from the first with `None`), in key order (byte order
    /// for text keys, on every backend).
    async fn read_rows(
        &self,
        table: &'static rows::Table,
        after: Option<rows::Value>,
        limit: u64,
    ) -> Result<Vec<rows::Row>, StoreError>;

    /// Writes rows of `table` as they are, in one transaction, replacing
    /// rows with the same key: how `copy` fills a store. Bypasses the
    /// merge rule and the numbering, so it is for filling a store from
    /// another one, not for imports.
    async fn write_rows(
        &self,
        table: &'static rows::Table,
        rows: &[rows::Row],
    ) -> Result<(), StoreError>;

    /// Writes a consistent copy of the whole store to the SQLite file
    /// `dest`, while others go on reading and writing: every batch is in it
    /// whole or not at all. The copy is itself a store (open it with its
    /// path), whichever the backend of this one.
    async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError>;

    /// What the store takes on disk, in bytes.
    async fn size_bytes(&self) -> Result<u64, StoreError>;

    /// Where the store lives, as it may be shown (no password).
    fn describe(&self) -> String;

    /// The use of its connection pools (none for a store without pools).
    fn pool_use(&self) -> Vec<PoolUse> {
        Vec::new()
    }

    /// Members, sessions, votes and comments, in the same database (see
    /// [`community`] for their contract).
    fn community(&self) -> &dyn Community;

    /// Submissions, authorship claims and organisations, in the same
    /// database (see [`contributions`] for their contract).
    fn contributions(&self) -> &dyn Contributions;

    /// Answers when the database does (a cheap query, for health checks).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Finishes pending work and closes the connections.
    async fn close(&self);
}
