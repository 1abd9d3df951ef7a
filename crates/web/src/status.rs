//! What the instance is doing, gathered once for `GET /api/status` and the
//! admin page (`/admin/status`): each scheduled job's last run, outcome,
//! tally and next run; how far the indexes are behind the store; the mail
//! outbox (waiting, retrying, sent, failed, suspended addresses); the
//! store's size; the version.

use chrono::{DateTime, Utc};
use dailypapers_jobs::JobStatus;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppError, AppState};

/// The whole status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub version: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub now: DateTime<Utc>,
    pub store: StoreStatus,
    pub search: IndexStatus,
    pub mail: MailStatus,
    /// The scheduled jobs (empty when the schedule is off).
    pub jobs: Vec<JobStatus>,
    /// Whether this process runs the schedule.
    pub schedule_enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreStatus {
    /// Where it lives (no password).
    pub backend: String,
    pub size_bytes: u64,
    pub papers: u64,
    pub listings: u64,
    pub organizations: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexStatus {
    /// Papers the keyword index has not caught up with.
    pub keyword_lag: u64,
    /// Papers waiting for an embedding (0 without a model).
    pub embedding_backlog: u64,
    /// Embeddings the vector index has not caught up with.
    pub vector_lag: u64,
    pub model: Option<String>,
    pub semantic_unavailable: Option<String>,
}

/// The mail outbox, as delivery stands.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailStatus {
    /// Messages not yet delivered (retrying ones included).
    pub pending: u64,
    /// Of those, the ones waiting after a failed try.
    pub retrying: u64,
    pub sent: u64,
    /// Refused for good, given up after the most tries, or to a suspended
    /// address.
    pub failed: u64,
    pub suspended_addresses: u64,
}

/// Reads the status from the store, the search engine and the scheduler.
pub async fn gather(state: &AppState) -> Result<Status, AppError> {
    let store = &state.store;
    let counts = store.counts().await?;
    let size_bytes = store.size_bytes().await?;
    let mail = store.outbox_counts(Utc::now()).await?;
    let search = state.search.status().await?;
    let jobs = match &state.ops.scheduler {
        Some(s) => s.status().await?,
        None => Vec::new(),
    };
    Ok(Status {
        version: env!("CARGO_PKG_VERSION"),
        now: Utc::now(),
        store: StoreStatus {
            backend: store.describe(),
            size_bytes,
            papers: counts.papers,
            listings: counts.listings,
            organizations: counts.organizations,
        },
        search: IndexStatus {
            keyword_lag: search.papers.saturating_sub(search.keyword_indexed),
            embedding_backlog: if search.model.is_some() {
                search.papers.saturating_sub(search.embedded)
            } else {
                0
            },
            vector_lag: search.embedded.saturating_sub(search.vectors),
            model: search.model,
            semantic_unavailable: search.semantic_unavailable,
        },
        mail: MailStatus {
            pending: mail.pending,
            retrying: mail.retrying,
            sent: mail.sent,
            failed: mail.failed,
            suspended_addresses: mail.suspended_addresses,
        },
        schedule_enabled: state.ops.scheduler.is_some(),
        jobs,
    })
}
