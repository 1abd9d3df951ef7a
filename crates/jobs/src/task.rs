//! What a job does. Today every job is an ingestion from a live source,
//! through the same code as `dailypapers ingest` (`dailypapers_ingest::run`):
//! the polite clients, one batch per page, an OAI-PMH harvest resuming from
//! its checkpoint.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dailypapers_ingest::Summary;
use dailypapers_ingest::live::{Harvest, MetadataPrefix};
use dailypapers_ingest::run::{LiveSources, Quiet, RunError};
use dailypapers_store::Store;

/// Something the scheduler runs.
#[async_trait]
pub trait Task: Send + Sync {
    /// What it does, for logs and the status page.
    fn describe(&self) -> String;

    /// The source it ingests from, for metrics (`hf-daily`, `oai`, `arxiv`).
    fn source(&self) -> &'static str;

    /// Runs it once. `last_start` is when the last run started, if ever
    /// (an OAI-PMH harvest asks for what changed since).
    async fn run(
        &self,
        store: Arc<dyn Store>,
        now: DateTime<Utc>,
        last_start: Option<DateTime<Utc>>,
    ) -> Result<Summary, RunError>;
}

/// The ingestion jobs.
#[derive(Clone, Debug)]
pub enum IngestTask {
    /// Hugging Face's daily papers of today and the `days - 1` days before,
    /// in the feed's time zone (upvotes keep changing after a day is listed).
    HfDaily { sources: LiveSources, days: u32 },
    /// An OAI-PMH harvest of `set` from the day of the last run (one day
    /// earlier, for records stamped late), or `first_days` back the first time.
    Oai {
        sources: LiveSources,
        set: Option<String>,
        prefix: MetadataPrefix,
        first_days: u32,
    },
    /// The results of an arXiv API query (the newest first, at most `max`).
    ArxivQuery {
        sources: LiveSources,
        query: String,
        max: u64,
    },
}

#[async_trait]
impl Task for IngestTask {
    fn describe(&self) -> String {
        match self {
            IngestTask::HfDaily { days, .. } => {
                format!("Hugging Face daily papers of the last {days} day(s)")
            }
            IngestTask::Oai { set, prefix, .. } => format!(
                "OAI-PMH harvest of {} ({prefix}) since the last run",
                set.as_deref().unwrap_or("all sets")
            ),
            IngestTask::ArxivQuery { query, max, .. } => {
                format!("arXiv query {query:?} (at most {max})")
            }
        }
    }

    fn source(&self) -> &'static str {
        match self {
            IngestTask::HfDaily { .. } => "hf-daily",
            IngestTask::Oai { .. } => "oai",
            IngestTask::ArxivQuery { .. } => "arxiv",
        }
    }

    async fn run(
        &self,
        store: Arc<dyn Store>,
        now: DateTime<Utc>,
        last_start: Option<DateTime<Utc>>,
    ) -> Result<Summary, RunError> {
        match self {
            IngestTask::HfDaily { sources, days } => {
                let today = sources.time_zone.today(now);
                let mut total = Summary::default();
                for back in 0..u64::from((*days).max(1)) {
                    let day = today - chrono::Days::new(back);
                    let s = sources.hf_daily(store.clone(), day, &Quiet).await?;
                    total.merge(s);
                }
                Ok(total)
            }
            IngestTask::Oai {
                sources,
                set,
                prefix,
                first_days,
            } => {
                let from = match last_start {
                    Some(t) => t.date_naive() - chrono::Days::new(1),
                    None => now.date_naive() - chrono::Days::new(u64::from(*first_days)),
                };
                let harvest = Harvest {
                    set: set.clone(),
                    from: Some(from),
                    until: None,
                    prefix: *prefix,
                };
                Ok(sources.oai(store, harvest, &Quiet).await?.0)
            }
            IngestTask::ArxivQuery {
                sources,
                query,
                max,
            } => sources.arxiv(store, &[], Some(query), *max, &Quiet).await,
        }
    }
}
