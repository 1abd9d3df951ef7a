//! Importing parsed records into the store, in atomic batches, with a tally.
//!
//! Every source ends here. An [`Importer`] collects listings and writes them
//! with `Store::import`, one transaction per batch, so a batch is stored
//! whole or not at all. A rejected record is counted and reported with its
//! location (`file: line 17: …`); a document that cannot be read at all is
//! rejected whole, and nothing from it is stored.

use std::fmt;
use std::sync::Arc;

use dailypapers_domain::Listing;
use dailypapers_store::{ImportOutcome, Store, StoreError};
use tokio::task::JoinHandle;

use crate::{Rejected, SourceError};

/// How many problems a summary keeps word for word (the rest are counted).
const KEPT_PROBLEMS: usize = 50;

/// A streamed batch is written once its listings take about this much
/// memory, even if it has fewer than its count, so that records near their
/// size limits do not make batches huge.
pub const BATCH_BYTES: usize = 16 << 20;

/// Progress of a long import, shown by the caller (a progress bar, a log).
pub trait Progress: Send + Sync {
    /// Sets the expected total (records, files or bytes).
    fn set_length(&self, total: u64);
    /// Sets the absolute position.
    fn set_position(&self, position: u64);
    /// Advances the position.
    fn advance(&self, by: u64);
    /// A short status message.
    fn message(&self, text: String);
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records read (stored or rejected).
    pub read: u64,
    /// Papers not stored before.
    pub new: u64,
    /// Papers or listings that changed.
    pub updated: u64,
    /// Records identical to what was stored.
    pub unchanged: u64,
    /// Records rejected, and whole documents that could not be read.
    pub rejected: u64,
    /// The first problems, each with its location.
    pub problems: Vec<String>,
}

impl Summary {
    /// Records that reached the store (new, updated or unchanged).
    pub fn imported(&self) -> u64 {
        self.new + self.updated + self.unchanged
    }

    /// Adds another run's counts and problems to these.
    pub fn merge(&mut self, other: Summary) {
        self.read += other.read;
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
        let room = KEPT_PROBLEMS.saturating_sub(self.problems.len());
        self.problems.extend(other.problems.into_iter().take(room));
    }

    fn problem(&mut self, text: String) {
        self.rejected += 1;
        if self.problems.len() < KEPT_PROBLEMS {
            self.problems.push(text);
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {}, new {}, updated {}, unchanged {}, rejected {}",
            self.read, self.new, self.updated, self.unchanged, self.rejected
        )
    }
}

/// Collects listings and stores them in batches.
///
/// While one batch is being written, the next is collected: a full batch is
/// handed to a task, and the importer waits for it only when the following
/// batch is full too (or at [`Importer::finish`]), so parsing and writing
/// overlap. Batches still reach the store one at a time, in order.
pub struct Importer {
    store: Arc<dyn Store>,
    batch_size: usize,
    pending: Vec<Listing>,
    pending_bytes: usize,
    in_flight: Option<JoinHandle<Result<ImportOutcome, StoreError>>>,
    summary: Summary,
}

impl Importer {
    /// An importer writing batches of `batch_size` listings.
    pub fn new(store: Arc<dyn Store>, batch_size: usize) -> Self {
        Importer {
            store,
            batch_size: batch_size.max(1),
            pending: Vec::with_capacity(batch_size.clamp(1, 4096)),
            pending_bytes: 0,
            in_flight: None,
            summary: Summary::default(),
        }
    }

    /// Adds one record; `origin` names where it came from (a file name, a URL).
    /// Writes a batch when one is full: `batch_size` listings, or about
    /// [`BATCH_BYTES`] of them.
    pub async fn push(
        &mut self,
        origin: &str,
        record: Result<Listing, Rejected>,
    ) -> Result<(), StoreError> {
        self.summary.read += 1;
        match record {
            Ok(listing) => {
                self.pending_bytes += dailypapers_domain::limits::approx_bytes(&listing);
                self.pending.push(listing);
                if self.pending.len() >= self.batch_size || self.pending_bytes >= BATCH_BYTES {
                    self.send().await?;
                }
            }
            Err(rejected) => self.summary.problem(format!("{origin}: {rejected}")),
        }
        Ok(())
    }

    /// Stores one whole document's records as one batch: either all of its
    /// readable records are stored, or (on a store error) none.
    pub async fn push_document(
        &mut self,
        origin: &str,
        records: Vec<Result<Listing, Rejected>>,
    ) -> Result<(), StoreError> {
        self.flush().await?;
        for record in records {
            self.summary.read += 1;
            match record {
                Ok(listing) => self.pending.push(listing),
                Err(rejected) => self.summary.problem(format!("{origin}: {rejected}")),
            }
        }
        self.flush().await
    }

    /// Records that a whole document could not be read; nothing from it is stored.
    pub fn reject_document(&mut self, origin: &str, error: &SourceError) {
        self.summary
            .problem(format!("{origin}: {error}; nothing from it was imported"));
    }

    /// Records a problem that is not about one record (a failed request).
    pub fn reject_other(&mut self, text: String) {
        self.summary.problem(text);
    }

    /// Hands what is pending to a writing task, after the previous one is done.
    async fn send(&mut self) -> Result<(), StoreError> {
        self.wait().await?;
        if self.pending.is_empty() {
            return Ok(());
        }
        self.pending_bytes = 0;
        let batch = std::mem::replace(
            &mut self.pending,
            Vec::with_capacity(self.batch_size.clamp(1, 4096)),
        );
        let store = self.store.clone();
        self.in_flight = Some(tokio::spawn(async move { store.import(batch).await }));
        Ok(())
    }

    /// Waits for the batch being written, and counts what it did.
    async fn wait(&mut self) -> Result<(), StoreError> {
        if let Some(task) = self.in_flight.take() {
            let outcome = match task.await {
                Ok(outcome) => outcome?,
                Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
                Err(join) => panic!("a batch import was cancelled: {join}"),
            };
            self.summary.new += outcome.new;
            self.summary.updated += outcome.updated;
            self.summary.unchanged += outcome.unchanged;
        }
        Ok(())
    }

    /// Writes what is pending as one batch, and waits until it is stored.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        self.send().await?;
        self.wait().await
    }

    /// The tally so far (what is pending is not counted as stored yet).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Writes what is pending and returns the tally.
    pub async fn finish(mut self) -> Result<Summary, StoreError> {
        self.flush().await?;
        Ok(self.summary)
    }
}
