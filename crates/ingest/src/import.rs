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

use crate::{Rejected, SourceError};

/// How many problems a summary keeps word for word (the rest are counted).
const KEPT_PROBLEMS: usize = 50;

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

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_length(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn message(&self, _: String) {}
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
pub struct Importer {
    store: Arc<dyn Store>,
    batch_size: usize,
    pending: Vec<Listing>,
    summary: Summary,
}

impl Importer {
    /// An importer writing batches of `batch_size` listings.
    pub fn new(store: Arc<dyn Store>, batch_size: usize) -> Self {
        Importer {
            store,
            batch_size: batch_size.max(1),
            pending: Vec::with_capacity(batch_size.clamp(1, 4096)),
            summary: Summary::default(),
        }
    }

    /// Adds one record; `origin` names where it came from (a file name, a URL).
    /// Writes a batch when one is full.
    pub async fn push(
        &mut self,
        origin: &str,
        record: Result<Listing, Rejected>,
    ) -> Result<(), StoreError> {
        self.summary.read += 1;
        match record {
            Ok(listing) => {
                self.pending.push(listing);
                if self.pending.len() >= self.batch_size {
                    self.flush().await?;
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

    /// Writes what is pending as one batch.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let outcome: ImportOutcome = self.store.import(&self.pending).await?;
        self.pending.clear();
        self.summary.new += outcome.new;
        self.summary.updated += outcome.updated;
        self.summary.unchanged += outcome.unchanged;
        Ok(())
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
