//! `GET /trending?page=N`: the papers trending now, highest stored score
//! first (see `dailypapers_domain::trending` for the formula, and
//! `dailypapers_jobs::trending` for when the scores are computed), as the
//! same cards as the feed with the reason each is there under it, paged.
//!
//! Cached like the feed pages: the response cache keeps the anonymous page
//! and the shared form members' pages are filled from (their marks), under
//! the page's canonical address ([`key`]).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::feed::{feed_response, vote_buttons};
use crate::auth::Viewer;
use crate::personal::SharedPage;
use crate::view::{Card, Layout, Nav};
use crate::{AppError, AppState, WebConfig};

/// Papers per page.
pub const PER_PAGE: u64 = 30;

/// The last page number accepted.
pub const MAX_PAGE: u64 = 10_000;

#[derive(Debug, Default, Deserialize)]
pub struct TrendingParams {
    page: Option<String>,
}

fn page_number(params: &TrendingParams) -> Result<u64, AppError> {
    Ok(crate::api::int_param(
        "page",
        params.page.as_deref(),
        1,
        MAX_PAGE,
        "a page number from 1 to 10000",
    )?
    .unwrap_or(1))
}

/// The address of page `page`.
fn href(page: u64) -> String {
    if page == 1 {
        "/trending".to_string()
    } else {
        format!("/trending?page={page}")
    }
}

/// The cache key of `GET /trending`: the page's canonical address; `None`
/// for a page number that does not parse.
pub fn key(req: &Request, _: &WebConfig) -> Option<String> {
    let Query(params) = Query::<TrendingParams>::try_from_uri(req.uri()).ok()?;
    Some(href(page_number(&params).ok()?))
}

#[derive(Template)]
#[template(path = "trending.html")]
struct TrendingPage<'a> {
    layout: Layout<'a>,
    cards: Vec<Card<'a>>,
    /// "Papers 31 to 60", when not the first page.
    range: String,
    computed_at: Option<String>,
    prev: Option<String>,
    next: Option<String>,
}

/// `GET /trending`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    shared: Option<Extension<SharedPage>>,
    params: Result<Query<TrendingParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let page = page_number(&params)?;
    let offset = (page - 1) * PER_PAGE;
    let (mut trending, computed_at) = tokio::try_join!(
        state.store.trending(offset, PER_PAGE + 1),
        state.store.trending_computed_at(),
    )?;
    let more = trending.len() as u64 > PER_PAGE;
    trending.truncate(PER_PAGE as usize);
    if trending.is_empty() && page > 1 {
        return Err(AppError::not_found(format!(
            "There is no page {page} of trending papers."
        )));
    }
    let here = href(page);
    let mut cards: Vec<Card> = trending
        .iter()
        .map(|t| Card {
            reason: Some(t.reason.clone()),
            ..Card::of(&t.listing)
        })
        .collect();
    vote_buttons(&state, &viewer, &mut cards, &here, shared.is_some()).await?;
    let shown = cards.len() as u64;
    let body = TrendingPage {
        layout: Layout::new(&state, "Trending papers", Nav::trending())
            .for_viewer(&viewer)
            .shared(shared.is_some())
            .with_feeds("/trending"),
        range: if page > 1 {
            format!("Papers {} to {}", offset + 1, offset + shown)
        } else {
            String::new()
        },
        cards,
        computed_at: computed_at.map(|t| t.format("%-d %b %Y, %H:%M UTC").to_string()),
        prev: (page > 1).then(|| href(page - 1)),
        next: more.then(|| href(page + 1)),
    };
    Ok(feed_response(&viewer, body.render()?, StatusCode::OK))
}
