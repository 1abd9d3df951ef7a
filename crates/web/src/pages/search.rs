//! The search results page, `/search?q=`: a plain keyword match over titles,
//! abstracts, authors and ids, most upvoted first (ranked search replaces it
//! later). The search box itself is in the header of every page.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::view::{Card, Layout, Nav, plural};
use crate::{AppError, AppState};

/// The longest query accepted, in characters (as upstream).
pub const MAX_QUERY_CHARS: usize = 250;

/// How many results the page shows.
pub const RESULTS_PER_PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

/// Checks a search query: trimmed, at most [`MAX_QUERY_CHARS`] characters.
pub fn check_query(q: Option<&str>) -> Result<&str, AppError> {
    let q = q.unwrap_or("").trim();
    let n = q.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(AppError::bad_request(format!(
            "invalid q: a search query is at most {MAX_QUERY_CHARS} characters long (this one has {n})"
        )));
    }
    Ok(q)
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    layout: Layout<'a>,
    query: &'a str,
    count: String,
    cards: Vec<Card<'a>>,
}

/// `GET /search?q=`.
pub async fn results(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let query = check_query(params.q.as_deref())?;
    let listings = if query.is_empty() {
        Vec::new()
    } else {
        state.store.keyword_match(query, RESULTS_PER_PAGE).await?
    };
    let title = if query.is_empty() {
        "Search".to_string()
    } else {
        format!("“{query}” — search")
    };
    let mut layout = Layout::new(&state, title, Nav::latest());
    layout.query = query;
    let page = SearchPage {
        layout,
        query,
        count: plural(listings.len(), "paper", "papers"),
        cards: listings.iter().map(Card::of).collect(),
    };
    Ok(Html(page.render()?).into_response())
}
