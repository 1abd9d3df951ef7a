//! Every list of papers a page shows, as a feed a reader subscribes to:
//! `feed.atom`, `feed.rss` or `feed.json` after the page's path, with the
//! page's query (see [`crate::syndication`] for the formats and
//! conditional GET). The papers are the page's own, in its order:
//!
//! | feed | the page |
//! |---|---|
//! | `/feed.atom?date=` | `/` and `/?date=` (the latest feed day without one) |
//! | `/week/feed.atom`, `/week/{YYYY-Www}/feed.atom` | the latest week, one week |
//! | `/month/feed.atom`, `/month/{YYYY-MM}/feed.atom` | the latest month, one month |
//! | `/trending/feed.atom` | the first page of `/trending`, each with why it is there |
//! | `/search/feed.atom?q=&mode=&…` | the first page of `/search` with the same parameters |
//! | `/organizations/{name}/feed.atom` | the organisation's newest papers |
//! | `/collections/{namespace}/{slug}/feed.atom` | a public collection, in its order, with its notes |
//!
//! A feed is the same for everybody (no session is read; a private
//! collection is a 404 like any missing one) and says so in its
//! `Cache-Control`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use dailypapers_domain::{Listing, Period};

use crate::api::collections::{Access, Named, find, listings_of};
use crate::forwarded::{origin, peer};
use crate::search_params::{SearchParams, request};
use crate::syndication::{Channel, Format, Item, respond};
use crate::view::period_href;
use crate::{AppError, AppState};

use super::feed::{FrontParams, MAX_PAPERS_PER_PAGE};

/// The format asked for and the origin links start with.
struct Asked {
    format: Format,
    origin: String,
}

fn asked(state: &AppState, parts: &Parts) -> Result<Asked, AppError> {
    let format = Format::of_path(parts.uri.path())
        .ok_or_else(|| AppError::not_found("feeds end in feed.atom, feed.rss or feed.json"))?;
    let origin = origin(&state.config, &parts.headers, peer(&parts.extensions)).into_owned();
    Ok(Asked { format, origin })
}

/// The feed of `listings` for the page at `page` (a path, maybe with a
/// query), answered in the format asked.
fn answer(
    state: &AppState,
    parts: &Parts,
    asked: &Asked,
    title: String,
    page: &str,
    items: Vec<Item>,
) -> Result<Response, AppError> {
    let site = &state.config.site_name;
    let channel = Channel {
        title: format!("{title} · {site}"),
        description: format!("{title}, as listed on {site}."),
        origin: asked.origin.clone(),
        page: page.to_string(),
        items,
    };
    respond(&channel, asked.format, site, &parts.headers)
}

fn items(listings: &[Listing], origin: &str) -> Vec<Item> {
    listings.iter().map(|l| Item::of(l, origin)).collect()
}

/// `GET /feed.{atom,rss,json}?date=`.
pub async fn front(
    State(state): State<AppState>,
    parts: Parts,
    params: Result<Query<FrontParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let asked = asked(&state, &parts)?;
    let Query(params) = params?;
    let (period, page) = match params.date() {
        Some(date) => {
            let period = Period::parse_day(date)?;
            (period, period_href(&period))
        }
        None => {
            let day = super::feed::latest_or_today(&state).await?;
            (Period::Day(day), "/".to_string())
        }
    };
    period_feed(&state, &parts, &asked, period, &page).await
}

/// `GET /week/feed.{…}` and `GET /month/feed.{…}`: the latest week or month.
pub async fn latest(State(state): State<AppState>, parts: Parts) -> Result<Response, AppError> {
    let asked = asked(&state, &parts)?;
    let day = super::feed::latest_or_today(&state).await?;
    let period = if parts.uri.path().starts_with("/week/") {
        Period::week_of(day)
    } else {
        Period::month_of(day)
    };
    let page = period_href(&period);
    period_feed(&state, &parts, &asked, period, &page).await
}

/// `GET /week/{YYYY-Www}/feed.{…}` and `GET /month/{YYYY-MM}/feed.{…}`.
pub async fn period(
    State(state): State<AppState>,
    parts: Parts,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let asked = asked(&state, &parts)?;
    let Path(raw) = raw?;
    let period = if parts.uri.path().starts_with("/week/") {
        Period::parse_week(&raw)?
    } else {
        Period::parse_month(&raw)?
    };
    let page = period_href(&period);
    period_feed(&state, &parts, &asked, period, &page).await
}

async fn period_feed(
    state: &AppState,
    parts: &Parts,
    asked: &Asked,
    period: Period,
    page: &str,
) -> Result<Response, AppError> {
    let mut listings = state
        .store
        .feed(&super::feed::period_query(&period))
        .await?;
    listings.truncate(MAX_PAPERS_PER_PAGE as usize);
    let kind = match period {
        Period::Day(_) => "Daily papers",
        Period::Week(_) => "Weekly papers",
        Period::Month { .. } => "Monthly papers",
    };
    let title = format!("{kind}: {}", period.label());
    let items = items(&listings, &asked.origin);
    answer(state, parts, asked, title, page, items)
}

/// `GET /trending/feed.{…}`.
pub async fn trending(State(state): State<AppState>, parts: Parts) -> Result<Response, AppError> {
    let asked = asked(&state, &parts)?;
    let trending = state.store.trending(0, super::trending::PER_PAGE).await?;
    let items = trending
        .iter()
        .map(|t| Item {
            reason: Some(t.reason.clone()),
            ..Item::of(&t.listing, &asked.origin)
        })
        .collect();
    answer(
        &state,
        &parts,
        &asked,
        "Trending papers".into(),
        "/trending",
        items,
    )
}

/// `GET /search/feed.{…}?q=…`: the first page of the same search.
pub async fn search(
    State(state): State<AppState>,
    parts: Parts,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let asked = asked(&state, &parts)?;
    let Query(params) = params?;
    let query = params.q.as_deref().unwrap_or("").trim().to_string();
    let req = request(&params, 0, super::search::RESULTS_PER_PAGE)?
        .ok_or_else(|| AppError::bad_request("q: a search feed needs a query (?q=…)"))?;
    let found = state.search.search(req).await?;
    let listings: Vec<Listing> = found.hits.into_iter().map(|h| h.listing).collect();
    let page = format!("/search?{}", parts.uri.query().unwrap_or(""));
    let items = items(&listings, &asked.origin);
    answer(
        &state,
        &parts,
        &asked,
        format!("Search: {query}"),
        &page,
        items,
    )
}

/// `GET /organizations/{name}/feed.{…}`.
pub async fn organization(
    State(state): State<AppState>,
    parts: Parts,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let asked = asked(&state, &parts)?;
    let Path(name) = raw?;
    let org = crate::api::organizations::find(&state, &name)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no organisation {:?} here",
                name.chars().take(100).collect::<String>()
            ))
        })?;
    let listings = state
        .store
        .contributions()
        .organization_papers(&org.name, 0, super::organizations::PAPERS_PER_PAGE)
        .await?;
    let title = if org.fullname.is_empty() {
        org.name.clone()
    } else {
        org.fullname.clone()
    };
    let page = crate::api::organizations::org_href(&org.name);
    let items = items(&listings, &asked.origin);
    answer(&state, &parts, &asked, title, &page, items)
}

/// `GET /collections/{namespace}/{slug}/feed.{…}`: public collections only.
pub async fn collection(
    State(state): State<AppState>,
    parts: Parts,
    Path(named): Path<Named>,
) -> Result<Response, AppError> {
    let asked = asked(&state, &parts)?;
    let c = find(&state, &named, None, Access::Read).await?;
    let stored = state.store.collection_items(&c.id).await?;
    let listings = listings_of(&state, &stored.iter().collect::<Vec<_>>()).await?;
    let items = stored
        .iter()
        .filter_map(|i| {
            let listing = listings.get(&i.doc)?;
            Some(Item {
                reason: i.note.clone().filter(|n| !n.trim().is_empty()),
                ..Item::of(listing, &asked.origin)
            })
        })
        .collect();
    let page = crate::api::collections::page_href(&c);
    answer(&state, &parts, &asked, c.title.clone(), &page, items)
}
