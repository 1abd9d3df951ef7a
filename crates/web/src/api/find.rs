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
use utoipa::ToSchema;

use dailypapers_search::Mode;
use dailypapers_search::engine::SearchStatus;
use dailypapers_search::keyword::Sort;
use dailypapers_search::query::QueryError;

use super::hf_json::HfPaper;
use super::json;
use crate::search_params::{SearchParams, api_window, request};
use crate::{AppError, AppState};

/// One page of results, with what upstream's API cannot carry.
#[derive(Serialize, ToSchema)]
struct Found<'a> {
    query: &'a str,
    /// The mode that answered (`keyword` when hybrid had no model).
    #[schema(value_type = Mode)]
    mode: &'static str,
    /// Why the answer is not what was asked for (hybrid without a model).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    notice: Option<&'a str>,
    total: usize,
    offset: usize,
    limit: usize,
    results: Vec<Hit<'a>>,
}

#[derive(Serialize, ToSchema)]
struct Hit<'a> {
    paper: HfPaper<'a>,
    score: f32,
    highlights: Highlights,
}

#[derive(Serialize, ToSchema)]
struct Highlights {
    /// The title with `<mark>` around matched words (escaped HTML).
    title: String,
    /// The passage of the abstract that matched (escaped HTML).
    summary: String,
}

/// `GET /api/search`.
#[utoipa::path(get, path = "/api/search", operation_id = "search", tag = "search",
    params(
        ("q" = String, Query, min_length = 1, description = "The query: words, \"phrases\", -excluded words."),
        ("mode" = Option<Mode>, Query, description = "Which side of search answers (default hybrid)."),
        ("from" = Option<String>, Query, format = Date, description = "Published on or after, YYYY-MM-DD."),
        ("to" = Option<String>, Query, format = Date, description = "Published on or before, YYYY-MM-DD."),
        ("category" = Option<String>, Query, pattern = "^[a-z-]{1,16}(\\.[A-Za-z-]{1,16})?(,[a-z-]{1,16}(\\.[A-Za-z-]{1,16})?){0,9}$", description = "arXiv categories such as cs.CL or hep-th, at most 10, separated by commas."),
        ("org" = Option<String>, Query, max_length = 100, description = "An organisation handle such as nvidia."),
        ("sort" = Option<Sort>, Query, description = "The order (default relevance)."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Results per page (default 20)."),
        ("offset" = Option<u64>, Query, minimum = 0, maximum = 999, description = "Results to skip; offset + limit is at most 1000."),
        ("prefix" = Option<bool>, Query, description = "Search as you type: the last word is a prefix."),
    ),
    responses(
        (status = 200, description = "Results with the total, scores and highlighted snippets.", body = Found),
        (status = 400),
        (status = 503),
    ))]
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
#[utoipa::path(get, path = "/api/search/status", operation_id = "search_status", tag = "search",
    responses((status = 200, description = "Where the indexes stand against the store.", body = SearchStatus)))]
pub async fn status(State(state): State<AppState>) -> Result<Response, AppError> {
    json(&state.search.status().await?)
}
