//! What the last run of a job did, kept in the store (as the checkpoint
//! `job.NAME`) so that every process on the store sees it: the scheduler
//! decides from it whether a job is due, and the status page shows it.

use chrono::{DateTime, Utc};
use dailypapers_ingest::Summary;
use dailypapers_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Everything fetched was stored.
    Ok,
    /// Some records or requests were rejected; the rest was stored.
    Partial,
    /// Nothing could be stored.
    Failed,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
        }
    }

    /// The outcome a run's summary says.
    pub fn of(summary: &Summary) -> Outcome {
        match (summary.imported(), summary.rejected) {
            (_, 0) => Outcome::Ok,
            (0, _) => Outcome::Failed,
            _ => Outcome::Partial,
        }
    }
}

/// A run's tally (the counts of its import summary).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tally {
    pub read: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

impl From<&Summary> for Tally {
    fn from(s: &Summary) -> Tally {
        Tally {
            read: s.read,
            new: s.new,
            updated: s.updated,
            unchanged: s.unchanged,
            rejected: s.rejected,
        }
    }
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.read += o.read;
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.rejected += o.rejected;
    }
}

/// The last run of a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    #[schema(value_type = String, format = DateTime)]
    pub started_at: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub tally: Tally,
    /// The first problems, or why the run failed.
    pub problems: Vec<String>,
    /// The process that ran it.
    pub holder: String,
}

fn key(job: &str) -> String {
    format!("job.{job}")
}

impl JobRecord {
    /// The last run of `job`, if it ever ran (an unreadable record counts as
    /// none: the job runs again and writes a new one).
    pub async fn load(store: &dyn Store, job: &str) -> Result<Option<JobRecord>, StoreError> {
        Ok(store
            .checkpoint(&key(job))
            .await?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }

    pub async fn save(&self, store: &dyn Store, job: &str) -> Result<(), StoreError> {
        let text = serde_json::to_string(self).expect("a job record always serializes");
        store.set_checkpoint(&key(job), Some(&text)).await
    }
}
