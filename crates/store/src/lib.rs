//! Persistence for Daily Papers.
//!
//! Callers see one interface, [`Store`], used as `Arc<dyn Store>`, so that the
//! SQLite implementation (the embedded default, [`SqliteStore`]) and a
//! PostgreSQL one can be swapped without touching them. Every implementation
//! must pass the conformance suite in `tests/conformance.rs`.
//!
//! Writes go in batches: [`Store::import`] merges a batch of listings with
//! what is stored (see `Paper::merge`) inside one transaction, so a batch is
//! stored whole or not at all, and re-importing the same data changes nothing.
//!
//! Search indexes are derived data: every paper has a stable document number
//! (`doc`) and a change sequence (`seq`) that grows on each write, so an index
//! follows the store with [`Store::changed_papers`]. Embeddings are stored
//! here too (the costly part to recompute), as f16 vectors.

mod error;
pub mod sqlite;

use async_trait::async_trait;
use chrono::NaiveDate;
use dailypapers_domain::{ArxivId, FeedSort, Listing, Organization, Paper};

pub use error::StoreError;
pub use sqlite::SqliteStore;

/// Opens the store the application runs on: today the SQLite database in
/// `data_dir`. Callers hold the result as `Arc<dyn Store>`, so a further
/// backend is chosen here and nowhere else.
pub async fn open(data_dir: &std::path::Path) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    Ok(std::sync::Arc::new(SqliteStore::open(data_dir).await?))
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

/// The persistence interface every backend implements.
#[async_trait]
pub trait Store: Send + Sync + 'static {
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

    /// Saves embeddings made by `model` in one transaction.
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

    /// Answers when the database does (a cheap query, for health checks).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Finishes pending work and closes the connections.
    async fn close(&self);
}
