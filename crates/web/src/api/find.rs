//! `GET /api/search`: our own search API, with everything the search page
//! can do — `q`, `mode=keyword|semantic|hybrid`, `from`, `to`, `category`,
//! `org`, `sort=relevance|newest|upvotes`, `limit` (1–100, default 20) and
//! `offset` — and what the upstream API cannot carry: the total, the mode
//! that answered, scores, and highlighted snippets.
//!
//! `mode=semantic` answers 503 with the reason (and how to fetch the model)
//! when no model is loaded; `hybrid` then answers with keyword matches and a
//! `notice`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Serialize;

use dailypapers_search::query::QueryError;

use super::hf_json::HfPaper;
use super::json;
use crate::search_params::{SearchParams, api_window, request};
use crate::{AppError, AppState};

#[derive(Serialize)]
struct Found<'a> {
    query: &'a str,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'a str>,
    total: usize,
    offset: usize,
    limit: usize,
    results: Vec<Hit<'a>>,
}

#[derive(Serialize)]
struct Hit<'a> {
    paper: HfPaper<'a>,
    score: f32,
    highlights: Highlights,
}

#[derive(Serialize)]
struct Highlights {
    /// The title with `<mark>` around matched words (escaped HTML).
    title: String,
    /// The passage of the abstract that matched (escaped HTML).
    summary: String,
}

/// `GET /api/search`.
pub async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let (offset, limit) = api_window(&params, 20)?;
    let req = request(&params, offset, limit)?.ok_or(QueryError::Empty)?;
    let found = state.search.search(req).await?;
    let body = Found {
        query: params.q.as_deref().unwrap_or("").trim(),
        mode: found.mode.as_str(),
        notice: found.notice.as_deref(),
        total: found.total,
        offset,
        limit,
        results: found
            .hits
            .iter()
            .map(|h| Hit {
                paper: HfPaper::of(&h.listing),
                score: h.score,
                highlights: Highlights {
                    title: h.title.to_html(),
                    summary: h.snippet.to_html(),
                },
            })
            .collect(),
    };
    json(&body)
}

/// `GET /api/search/status`: how far the indexes are behind the store
/// (papers, keyword-indexed, embedded, vectors loaded) and whether semantic
/// search is on.
pub async fn status(State(state): State<AppState>) -> Result<Response, AppError> {
    json(&state.search.status().await?)
}
