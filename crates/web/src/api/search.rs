//! `GET /api/papers/search?q=&limit=`: papers matching a query, as the same
//! wrappers `/api/daily_papers` returns. For now a plain keyword match over
//! titles, abstracts, authors and ids, most upvoted first. Without `q`, the
//! newest listings of the feed (what a client that only lists papers expects).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use dailypapers_domain::FeedSort;
use dailypapers_store::FeedQuery;
use serde::Deserialize;

use super::hf_json::HfDailyPaper;
use super::{int_param, json};
use crate::pages::search::check_query;
use crate::{AppError, AppState};

/// The largest `limit` accepted (as upstream).
pub const MAX_LIMIT: u64 = 120;

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
}

/// `GET /api/papers/search`.
pub async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let q = check_query(params.q.as_deref())?;
    let limit = int_param(
        "limit",
        params.limit.as_deref(),
        1,
        MAX_LIMIT,
        "an integer from 1 to 120",
    )?
    .unwrap_or(state.config.page_size.clamp(1, MAX_LIMIT));
    let listings = if q.is_empty() {
        let query = FeedQuery {
            from: None,
            to: None,
            submitter: None,
            sort: FeedSort::Newest,
            offset: 0,
            limit,
        };
        state.store.feed(&query).await?
    } else {
        state.store.keyword_match(q, limit).await?
    };
    let body: Vec<HfDailyPaper> = listings.iter().map(HfDailyPaper::of).collect();
    json(&body)
}
