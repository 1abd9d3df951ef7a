//! `GET /api/papers/search?q=&limit=`: papers matching a query, as the same
//! wrappers `/api/daily_papers` returns, ranked by hybrid search (keyword and
//! meaning; keyword alone when no model is loaded). Without `q`, the newest
//! listings of the feed (what a client that only lists papers expects).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use dailypapers_domain::FeedSort;
use dailypapers_search::query::{ParseOptions, QueryError, SearchQuery};
use dailypapers_search::{Mode, SearchRequest};
use dailypapers_store::FeedQuery;
use serde::Deserialize;

use super::hf_json::HfDailyPaper;
use super::{int_param, json};
use crate::{AppError, AppState};

/// The longest query accepted, in characters (as upstream).
pub const MAX_QUERY_CHARS: usize = 250;

/// Checks a search query: trimmed, at most [`MAX_QUERY_CHARS`] characters.
fn check_query(q: Option<&str>) -> Result<&str, AppError> {
    let q = q.unwrap_or("").trim();
    let n = q.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(AppError::bad_request(format!(
            "invalid q: a search query is at most {MAX_QUERY_CHARS} characters long (this one has {n})"
        )));
    }
    Ok(q)
}

/// The largest `limit` accepted (as upstream).
pub const MAX_LIMIT: u64 = 120;

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
}

/// `GET /api/papers/search`.
#[utoipa::path(get, path = "/api/papers/search", operation_id = "search_papers", tag = "papers",
    params(
        ("q" = Option<String>, Query, max_length = 250, description = "The query; without it, the newest listings of the feed."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 120, description = "How many (default: the server's page size)."),
    ),
    responses(
        (status = 200, description = "Papers matching the query, best first, as the wrappers of /api/daily_papers.", body = Vec<HfDailyPaper>),
        (status = 400),
    ))]
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
        match SearchQuery::parse(q, ParseOptions::default()) {
            // Only punctuation: nothing matches (as upstream answers).
            Err(QueryError::Empty) => Vec::new(),
            Err(e) => return Err(e.into()),
            Ok(query) => {
                let request = SearchRequest::new(query, Mode::Hybrid, limit as usize);
                let found = state.search.search(request).await?;
                found.hits.into_iter().map(|h| h.listing).collect()
            }
        }
    };
    let body: Vec<HfDailyPaper> = listings.iter().map(HfDailyPaper::of).collect();
    json(&body)
}
