//! `GET /api/daily_papers`: the feed as JSON, paged, filtered by one day,
//! ISO week or month and by submitter, with a `Link: <…>; rel="next"` header
//! when a next page has listings (one more row than the page is read to
//! know).
//!
//! Order: `sort=publishedAt` is the newest listing first, by the item's own
//! `publishedAt` (what the official client shows as its submission time);
//! `sort=trending` is,
//! for now, most upvoted first (the trending formula, which weighs upvotes by
//! age, comes with the trending feature). Without `sort`, a day, week or
//! month is ordered by upvotes (as the pages are) and the whole feed newest
//! first.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use dailypapers_domain::{FeedSort, Period};
use dailypapers_store::FeedQuery;
use serde::Deserialize;

use super::hf_json::HfDailyPaper;
use super::{int_param, json, non_empty};
use crate::cache::FEED_CACHE;
use crate::{AppError, AppState};

/// The largest `limit` accepted.
pub const MAX_LIMIT: u64 = 100;

/// The largest page number accepted.
pub const MAX_PAGE: u64 = 1_000_000;

/// The query string, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct DailyParams {
    p: Option<String>,
    limit: Option<String>,
    date: Option<String>,
    week: Option<String>,
    month: Option<String>,
    submitter: Option<String>,
    sort: Option<String>,
}

/// A checked request.
#[derive(Debug, PartialEq)]
pub struct DailyRequest {
    pub page: u64,
    pub limit: u64,
    pub period: Option<Period>,
    pub submitter: Option<String>,
    pub sort: FeedSort,
}

impl DailyRequest {
    /// Checks every parameter; the error names the first bad one and its format.
    pub fn parse(params: &DailyParams, default_limit: u64) -> Result<Self, AppError> {
        let page = int_param(
            "p",
            params.p.as_deref(),
            0,
            MAX_PAGE,
            "a page number, an integer from 0 (the first page)",
        )?
        .unwrap_or(0);
        let limit = int_param(
            "limit",
            params.limit.as_deref(),
            1,
            MAX_LIMIT,
            "an integer from 1 to 100",
        )?
        .unwrap_or(default_limit.clamp(1, MAX_LIMIT));
        let given: Vec<(&str, &str)> = [
            ("date", &params.date),
            ("week", &params.week),
            ("month", &params.month),
        ]
        .into_iter()
        .filter_map(|(name, v)| non_empty(v.as_deref()).map(|v| (name, v)))
        .collect();
        let period = match given.as_slice() {
            [] => None,
            [("date", v)] => Some(Period::parse_day(v)?),
            [("week", v)] => Some(Period::parse_week(v)?),
            [(_, v)] => Some(Period::parse_month(v)?),
            _ => {
                let names: Vec<&str> = given.iter().map(|(n, _)| *n).collect();
                return Err(AppError::bad_request(format!(
                    "give at most one of date (YYYY-MM-DD), week (YYYY-Www) and month (YYYY-MM); got {}",
                    names.join(" and ")
                )));
            }
        };
        let sort = match non_empty(params.sort.as_deref()) {
            None if period.is_some() => FeedSort::Upvotes,
            None => FeedSort::Newest,
            // The official client reads an item's publishedAt as its submission time.
            Some("publishedAt") => FeedSort::Published,
            Some("trending") => FeedSort::Upvotes,
            Some(other) => {
                return Err(AppError::bad_request(format!(
                    "invalid sort {:?}: expected publishedAt or trending",
                    other.chars().take(40).collect::<String>()
                )));
            }
        };
        Ok(DailyRequest {
            page,
            limit,
            period,
            submitter: non_empty(params.submitter.as_deref()).map(str::to_string),
            sort,
        })
    }

    /// The page's listings and one more, which tells whether a next page exists.
    fn feed_query(&self) -> FeedQuery {
        FeedQuery {
            from: self.period.map(|p| p.first_day()),
            to: self.period.map(|p| p.last_day()),
            submitter: self.submitter.clone(),
            sort: self.sort,
            offset: self.page * self.limit,
            limit: self.limit + 1,
        }
    }
}

/// `GET /api/daily_papers`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<DailyParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let req = DailyRequest::parse(&params, state.config.page_size)?;
    let mut listings = state.store.feed(&req.feed_query()).await?;
    let more = listings.len() as u64 > req.limit;
    listings.truncate(req.limit as usize);
    let body: Vec<HfDailyPaper> = listings.iter().map(HfDailyPaper::of).collect();
    let mut res = json(&body)?;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(FEED_CACHE));
    let link = more.then(|| next_link(&headers, &params, req.page + 1));
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LINK, link);
    }
    Ok(res)
}

/// `<http://HOST/api/daily_papers?p=N&…>; rel="next"`, with the request's other parameters.
fn next_link(headers: &HeaderMap, params: &DailyParams, next_page: u64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("p", &next_page.to_string());
    for (name, value) in [
        ("limit", &params.limit),
        ("date", &params.date),
        ("week", &params.week),
        ("month", &params.month),
        ("submitter", &params.submitter),
        ("sort", &params.sort),
    ] {
        if let Some(v) = non_empty(value.as_deref()) {
            query.append_pair(name, v);
        }
    }
    format!(
        "<{}/api/daily_papers?{}>; rel=\"next\"",
        origin(headers),
        query.finish()
    )
}

/// `scheme://host` of the request, from its `Host` (and `X-Forwarded-Proto`) header.
pub fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> DailyParams {
        let mut p = DailyParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "p" => p.p = v,
                "limit" => p.limit = v,
                "date" => p.date = v,
                "week" => p.week = v,
                "month" => p.month = v,
                "submitter" => p.submitter = v,
                "sort" => p.sort = v,
                _ => unreachable!(),
            }
        }
        p
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        DailyRequest::parse(&params(pairs), 50)
            .unwrap_err()
            .message()
            .to_string()
    }

    #[test]
    fn defaults_and_sorts() {
        let r = DailyRequest::parse(&params(&[]), 50).unwrap();
        assert_eq!((r.page, r.limit, r.sort), (0, 50, FeedSort::Newest));
        let r = DailyRequest::parse(&params(&[("date", "2025-12-01")]), 50).unwrap();
        assert_eq!(r.sort, FeedSort::Upvotes);
        let r = DailyRequest::parse(
            &params(&[("date", "2025-12-01"), ("sort", "publishedAt")]),
            50,
        )
        .unwrap();
        assert_eq!(r.sort, FeedSort::Published);
        let r = DailyRequest::parse(
            &params(&[("sort", "trending"), ("p", "2"), ("limit", "10")]),
            50,
        )
        .unwrap();
        assert_eq!((r.page, r.limit, r.sort), (2, 10, FeedSort::Upvotes));
        assert_eq!(r.feed_query().offset, 20);
        assert_eq!(
            r.feed_query().limit,
            11,
            "one more, to know if there is a next page"
        );
    }

    #[test]
    fn bad_parameters_are_named_with_their_format() {
        assert!(err(&[("p", "-1")]).contains("invalid p"));
        assert!(err(&[("limit", "0")]).contains("1 to 100"));
        assert!(err(&[("limit", "1000")]).contains("invalid limit"));
        assert!(err(&[("date", "2025-13-01")]).contains("YYYY-MM-DD"));
        assert!(err(&[("week", "2025-W60")]).contains("YYYY-Www"));
        assert!(err(&[("month", "2025-13")]).contains("YYYY-MM"));
        assert!(err(&[("date", "2025-12-01"), ("week", "2025-W49")]).contains("at most one"));
        assert!(err(&[("sort", "random")]).contains("publishedAt or trending"));
    }

    #[test]
    fn origins_come_from_a_sane_host_header() {
        let mut h = HeaderMap::new();
        assert_eq!(origin(&h), "http://localhost");
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(origin(&h), "http://127.0.0.1:8080");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(origin(&h), "https://127.0.0.1:8080");
        h.insert(header::HOST, HeaderValue::from_static("evil>host"));
        assert_eq!(origin(&h), "https://localhost");
    }
}
