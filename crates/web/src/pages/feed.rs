//! The feed pages: one day (`/`, `/?date=YYYY-MM-DD`), one ISO week
//! (`/week/YYYY-Www`) and one month (`/month/YYYY-MM`), papers ordered by
//! upvotes then submission time, with previous/next navigation that skips
//! empty periods (it leads to the period of the nearest feed day before or
//! after). Also the welcome page of an empty instance and the 404 page of an
//! empty period, which links the nearest feed days.
//!
//! Each page's response cache key ([`front_key`], [`week_key`],
//! [`month_key`]) is the canonical address of the period it shows: other
//! query parameters (`utm_source`, `fbclid` and the like, which shared links
//! carry) are ignored and not part of it.

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use dailypapers_domain::{FeedSort, Listing, Period};
use dailypapers_store::FeedQuery;
use serde::Deserialize;

use super::html_cached;
use crate::auth::Viewer;
use crate::cache::FEED_CACHE;
use crate::personal::SharedPage;
use crate::view::{Card, Layout, Nav, period_href, plural};
use crate::{AppError, AppState, WebConfig};

/// At most this many papers are shown on one period's page.
pub const MAX_PAPERS_PER_PAGE: u64 = 500;

#[derive(Debug, Default, Deserialize)]
pub struct FrontParams {
    date: Option<String>,
}

impl FrontParams {
    /// The day asked for, if any (an empty `date=` is none).
    pub fn date(&self) -> Option<&str> {
        self.date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
    }
}

/// What a period's page (and its feed) lists: its papers by upvotes, one
/// more than a page shows (to know that there are more).
pub(crate) fn period_query(period: &Period) -> FeedQuery {
    FeedQuery {
        from: Some(period.first_day()),
        to: Some(period.last_day()),
        submitter: None,
        sort: FeedSort::Upvotes,
        offset: 0,
        limit: MAX_PAPERS_PER_PAGE + 1,
    }
}

/// `GET /` and `GET /?date=YYYY-MM-DD`.
pub async fn front(
    State(state): State<AppState>,
    viewer: Viewer,
    shared: Option<Extension<SharedPage>>,
    params: Result<Query<FrontParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    // Without a date the page (and its feed) follows the latest day.
    let (period, latest) = match params.date() {
        Some(date) => (Period::parse_day(date)?, false),
        None => match state.store.latest_feed_day().await? {
            Some(day) => (Period::Day(day), true),
            None => return welcome(&state),
        },
    };
    render_period(&state, &viewer, period, shared.is_some(), latest).await
}

/// The cache key of `GET /`: `/` for the latest day, else the day's own
/// address; `None` for a date that does not parse.
pub fn front_key(req: &Request, _: &WebConfig) -> Option<String> {
    let Query(params) = Query::<FrontParams>::try_from_uri(req.uri()).ok()?;
    match params.date.as_deref().map(str::trim) {
        Some(date) if !date.is_empty() => Some(period_href(&Period::parse_day(date).ok()?)),
        _ => Some("/".to_string()),
    }
}

/// The cache key of `GET /week/{YYYY-Www}`: the week's canonical address.
pub fn week_key(req: &Request, _: &WebConfig) -> Option<String> {
    let week = req.uri().path().strip_prefix("/week/")?;
    Some(period_href(&Period::parse_week(week).ok()?))
}

/// The cache key of `GET /month/{YYYY-MM}`: the month's canonical address.
pub fn month_key(req: &Request, _: &WebConfig) -> Option<String> {
    let month = req.uri().path().strip_prefix("/month/")?;
    Some(period_href(&Period::parse_month(month).ok()?))
}

/// `GET /week/{YYYY-Www}`.
pub async fn week(
    State(state): State<AppState>,
    viewer: Viewer,
    shared: Option<Extension<SharedPage>>,
    week: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(week) = week?;
    render_period(
        &state,
        &viewer,
        Period::parse_week(&week)?,
        shared.is_some(),
        false,
    )
    .await
}

/// `GET /month/{YYYY-MM}`.
pub async fn month(
    State(state): State<AppState>,
    viewer: Viewer,
    shared: Option<Extension<SharedPage>>,
    month: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(month) = month?;
    render_period(
        &state,
        &viewer,
        Period::parse_month(&month)?,
        shared.is_some(),
        false,
    )
    .await
}

/// `GET /week`: the week of the latest feed day.
pub async fn latest_week(State(state): State<AppState>) -> Result<Response, AppError> {
    let day = latest_or_today(&state).await?;
    Ok(see_other(&period_href(&Period::week_of(day))))
}

/// `GET /month`: the month of the latest feed day.
pub async fn latest_month(State(state): State<AppState>) -> Result<Response, AppError> {
    let day = latest_or_today(&state).await?;
    Ok(see_other(&period_href(&Period::month_of(day))))
}

/// The latest feed day, or today on an empty instance.
pub(crate) async fn latest_or_today(state: &AppState) -> Result<NaiveDate, AppError> {
    Ok(match state.store.latest_feed_day().await? {
        Some(day) => day,
        None => state.config.time_zone.today(Utc::now()),
    })
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A previous/next link.
pub struct PeriodLink {
    pub href: String,
    /// Short visible text ("28 Nov", "Week 48", "Nov 2025").
    pub text: String,
    /// What a screen reader says ("Previous day: Friday, 28 November 2025").
    pub aria: String,
}

impl PeriodLink {
    fn to(period: &Period, direction: &str) -> Self {
        let (unit, text) = match period {
            Period::Day(d) => ("day", d.format("%a %-d %b").to_string()),
            Period::Week(w) => ("week", format!("Week {}", w.week())),
            Period::Month { .. } => ("month", period.first_day().format("%b %Y").to_string()),
        };
        PeriodLink {
            href: period_href(period),
            text,
            aria: format!("{direction} {unit}: {}", period.label()),
        }
    }
}

/// What an empty period's page offers instead of papers.
pub struct Empty {
    pub message: String,
    pub before: Option<PeriodLink>,
    pub after: Option<PeriodLink>,
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage<'a> {
    layout: Layout<'a>,
    /// "Daily papers", "Weekly papers", "Monthly papers".
    eyebrow: &'static str,
    heading: String,
    count: String,
    prev: Option<PeriodLink>,
    next: Option<PeriodLink>,
    cards: Vec<Card<'a>>,
    /// More papers than shown.
    truncated: bool,
    empty: Option<Empty>,
}

/// A period's page; `latest` when it is `/`, whose feed follows the
/// latest day (`/feed.atom`) rather than staying on this one.
async fn render_period(
    state: &AppState,
    viewer: &Viewer,
    period: Period,
    shared: bool,
    latest: bool,
) -> Result<Response, AppError> {
    let query = period_query(&period);
    let store = &state.store;
    // The pager skips empty periods: it leads to the day, week or month of
    // the nearest feed day before the period and of the nearest after it.
    let (mut listings, before, after) = match period {
        Period::Day(day) => {
            let (listings, (before, after)) =
                tokio::try_join!(store.feed(&query), store.neighbour_feed_days(day))?;
            (listings, before, after)
        }
        _ => {
            let (listings, (before, _), (_, after)) = tokio::try_join!(
                store.feed(&query),
                store.neighbour_feed_days(period.first_day()),
                store.neighbour_feed_days(period.last_day()),
            )?;
            (listings, before, after)
        }
    };
    let prev = before.map(|d| same_kind(&period, d));
    let next = after.map(|d| same_kind(&period, d));
    let truncated = listings.len() as u64 > MAX_PAPERS_PER_PAGE;
    listings.truncate(MAX_PAPERS_PER_PAGE as usize);

    let eyebrow = match period {
        Period::Day(_) => "Daily papers",
        Period::Week(_) => "Weekly papers",
        Period::Month { .. } => "Monthly papers",
    };
    let empty = if listings.is_empty() {
        let message = match period {
            Period::Day(_) => format!("No papers on {}.", period.label()),
            _ => format!("No papers in {}.", period.label()),
        };
        Some(Empty {
            message,
            before: before.map(|d| PeriodLink::to(&Period::Day(d), "Nearest earlier")),
            after: after.map(|d| PeriodLink::to(&Period::Day(d), "Nearest later")),
        })
    } else {
        None
    };
    let focus_day = match period {
        Period::Day(d) => d,
        _ => latest_day(&listings).unwrap_or_else(|| period.first_day()),
    };
    let heading = period.label();
    let here = period_href(&period);
    let mut cards: Vec<Card> = listings.iter().map(Card::of).collect();
    vote_buttons(state, viewer, &mut cards, &here, shared).await?;
    let page = FeedPage {
        layout: Layout::new(
            state,
            heading.clone(),
            Nav::around(focus_day, Some(&period)),
        )
        .for_viewer(viewer)
        .shared(shared)
        .with_feeds(if latest { "/" } else { &here }),
        eyebrow,
        count: plural(listings.len(), "paper", "papers"),
        prev: prev.map(|p| PeriodLink::to(&p, "Previous")),
        next: next.map(|p| PeriodLink::to(&p, "Next")),
        cards,
        truncated,
        empty,
        heading,
    };
    let status = if page.empty.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok(feed_response(viewer, page.render()?, status))
}

/// A feed page as sent: kept 30 s by anyone for nobody, by the member's
/// own browser only for a member.
pub(crate) fn feed_response(viewer: &Viewer, html: String, status: StatusCode) -> Response {
    let cache = if viewer.member.is_some() {
        crate::cache::PERSONAL
    } else {
        FEED_CACHE
    };
    let mut res = html_cached(html, cache);
    *res.status_mut() = status;
    res
}

/// Sets each card's vote button: for a member, pressed where they voted
/// (one query for the page); for anybody else, a login link, or on a
/// shared page a slot each member's request fills (see
/// [`crate::personal`]). Forms send the browser back to `here`.
pub(crate) async fn vote_buttons(
    state: &AppState,
    viewer: &Viewer,
    cards: &mut [Card<'_>],
    here: &str,
    shared: bool,
) -> Result<(), AppError> {
    if viewer.member.is_none() {
        for card in cards {
            card.vote.return_to = here.to_string();
            card.vote.shared = shared;
        }
        return Ok(());
    }
    let ids: Vec<dailypapers_domain::ArxivId> = cards
        .iter()
        .filter_map(|c| c.vote.paper.parse().ok())
        .collect();
    let marks = crate::api::votes::marks(state, viewer, &ids).await?;
    for card in cards {
        let upvoted = marks.contains(&card.vote.paper);
        card.for_viewer(viewer, upvoted, here);
    }
    Ok(())
}

/// The period of the same kind as `period` that contains `day`.
fn same_kind(period: &Period, day: NaiveDate) -> Period {
    match period {
        Period::Day(_) => Period::Day(day),
        Period::Week(_) => Period::week_of(day),
        Period::Month { .. } => Period::month_of(day),
    }
}

fn latest_day(listings: &[Listing]) -> Option<NaiveDate> {
    listings
        .iter()
        .filter_map(|l| l.entry.as_ref().map(|e| e.feed_day))
        .max()
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage<'a> {
    layout: Layout<'a>,
}

/// The front page of an instance with no feed yet.
fn welcome(state: &AppState) -> Result<Response, AppError> {
    let page = WelcomePage {
        layout: Layout::new(state, "Welcome", Nav::latest()),
    };
    Ok(axum::response::Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(f: crate::cache::CacheKey, uri: &str, host: &str) -> Option<String> {
        let req = axum::http::Request::get(uri)
            .header(header::HOST, host)
            .body(axum::body::Body::empty())
            .unwrap();
        f(&req, &WebConfig::default())
    }

    #[test]
    fn a_page_is_cached_under_its_period_whatever_else_is_asked() {
        for uri in ["/", "/?utm_source=x", "/?date=", "/?fbclid=1&date=%20"] {
            assert_eq!(key(front_key, uri, "a").as_deref(), Some("/"), "{uri}");
        }
        for uri in [
            "/?date=2025-12-01",
            "/?x=1&date=2025-12-01&y=2",
            "/?date=%202025-12-01",
        ] {
            assert_eq!(
                key(front_key, uri, "a").as_deref(),
                Some("/?date=2025-12-01"),
                "{uri}"
            );
        }
        assert_eq!(key(front_key, "/?date=2025-13-01", "a"), None);
        assert_eq!(key(front_key, "/?date=a&date=b", "a"), None);
        assert_eq!(
            key(week_key, "/week/2025-W49?junk=1", "a").as_deref(),
            Some("/week/2025-W49")
        );
        assert_eq!(key(week_key, "/week/2025-W60", "a"), None);
        assert_eq!(
            key(month_key, "/month/2025-12?junk=1", "a").as_deref(),
            Some("/month/2025-12")
        );
        assert_eq!(key(month_key, "/month/nope", "a"), None);
        // Pages hold no absolute link, so the host is never part of the key.
        assert_eq!(
            key(front_key, "/", "a"),
            key(front_key, "/", "evil.example")
        );
    }
}
