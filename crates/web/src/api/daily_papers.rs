//! `GET /api/daily_papers`: the feed as JSON, paged, filtered by one day,
//! ISO week or month and by submitter, with a `Link: <…>; rel="next"` header
//! when a next page has listings (one more row than the page is read to
//! know).
//!
//! The response is a function of the parsed request alone (and of the
//! origin of the `Link`, see [`crate::forwarded`]): the link carries the
//! request's parameters in their canonical form ([`DailyRequest::query`]),
//! which is also the response cache's key, so a request with its
//! parameters in another order, spelt otherwise, or with parameters this
//! route does not know (ignored, as upstream ignores them, so that every
//! client keeps working) is the same cache entry.
//!
//! Order: `sort=publishedAt` is the newest listing first, by the item's own
//! `publishedAt` (what the official client shows as its submission time);
//! `sort=trending` is the stored trending score, highest first (see
//! `dailypapers_domain::trending`), then, for the papers that are not
//! trending (older than a week, or without votes and comments), most
//! upvoted first: so every listing is still there to page through, and a
//! feed with nothing trending is ordered by upvotes. Without `sort`, a day,
//! week or month is ordered by upvotes (as the pages are) and the whole
//! feed newest first.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use dailypapers_domain::{FeedSort, Period};
use dailypapers_store::FeedQuery;
use serde::Deserialize;

use super::hf_json::HfDailyPaper;
use super::{int_param, json, non_empty};
use crate::cache::FEED_CACHE;
use crate::forwarded::{LinkBase, origin, peer};
use crate::{AppError, AppState, WebConfig};

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
            Some("trending") => FeedSort::Trending,
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

    /// The canonical query string of this request's page `page`: `p`
    /// always, then `limit` unless it is the default, the period, the
    /// submitter, and `sort` unless it is the default (upvotes for a
    /// period, newest first without one).
    pub fn query(&self, page: u64, default_limit: u64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("p", &page.to_string());
        if self.limit != default_limit.clamp(1, MAX_LIMIT) {
            query.append_pair("limit", &self.limit.to_string());
        }
        if let Some(period) = &self.period {
            let name = match period {
                Period::Day(_) => "date",
                Period::Week(_) => "week",
                Period::Month { .. } => "month",
            };
            query.append_pair(name, &period.to_string());
        }
        if let Some(submitter) = &self.submitter {
            query.append_pair("submitter", submitter);
        }
        match self.sort {
            FeedSort::Published => {
                query.append_pair("sort", "publishedAt");
            }
            FeedSort::Trending => {
                query.append_pair("sort", "trending");
            }
            FeedSort::Upvotes | FeedSort::Newest => {}
        }
        query.finish()
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
#[utoipa::path(get, path = "/api/daily_papers", operation_id = "list_daily_papers", tag = "papers",
    params(
        ("p" = Option<u64>, Query, minimum = 0, maximum = 1000000, description = "The page, from 0."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Papers per page (default: the server's page size)."),
        ("date" = Option<String>, Query, format = Date, description = "One feed day, YYYY-MM-DD. At most one of date, week and month."),
        ("week" = Option<String>, Query, pattern = "^[0-9]{4}-W[0-9]{2}$", description = "One ISO week, YYYY-Www."),
        ("month" = Option<String>, Query, pattern = "^[0-9]{4}-[0-9]{2}$", description = "One month, YYYY-MM."),
        ("submitter" = Option<String>, Query, description = "Only the papers this user submitted."),
        ("sort" = Option<super::doc::DailySort>, Query, description = "The order; without it, a day, week or month is ordered by upvotes and the whole feed newest first."),
    ),
    responses(
        (status = 200, description = "One page of the feed.", body = Vec<HfDailyPaper>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when a next page has papers."))),
        (status = 400),
    ))]
pub async fn list(
    State(state): State<AppState>,
    LinkBase(base): LinkBase,
    params: Result<Query<DailyParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let default_limit = state.config.page_size;
    let req = DailyRequest::parse(&params, default_limit)?;
    let mut listings = state.store.feed(&req.feed_query()).await?;
    let more = listings.len() as u64 > req.limit;
    listings.truncate(req.limit as usize);
    let body: Vec<HfDailyPaper> = listings.iter().map(HfDailyPaper::of).collect();
    let mut res = json(&body)?;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(FEED_CACHE));
    if more {
        let next = req.query(req.page + 1, default_limit);
        let link = format!("<{base}/api/daily_papers?{next}>; rel=\"next\"");
        if let Ok(link) = HeaderValue::from_str(&link) {
            h.insert(header::LINK, link);
        }
    }
    Ok(res)
}

/// The response cache's key of a request: the canonical address of its
/// page, from the origin its `Link` would name; `None` when the parameters
/// do not parse.
pub fn cache_key(req: &Request, config: &WebConfig) -> Option<String> {
    let Query(params) = Query::<DailyParams>::try_from_uri(req.uri()).ok()?;
    let daily = DailyRequest::parse(&params, config.page_size).ok()?;
    let base = origin(config, req.headers(), peer(req.extensions()));
    Some(format!(
        "{base}/api/daily_papers?{}",
        daily.query(daily.page, config.page_size)
    ))
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
        assert_eq!((r.page, r.limit, r.sort), (2, 10, FeedSort::Trending));
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

    fn key(uri: &str, host: &str, config: &WebConfig) -> Option<String> {
        let req = axum::http::Request::get(uri)
            .header(header::HOST, host)
            .body(axum::body::Body::empty())
            .unwrap();
        cache_key(&req, config)
    }

    #[test]
    fn one_page_has_one_cache_key_whatever_the_spelling() {
        let c = WebConfig::default();
        let k = |uri: &str| key(uri, "h:8080", &c);
        let canonical = Some(
            "http://h:8080/api/daily_papers?p=1&limit=5&date=2025-12-01&submitter=ak&sort=publishedAt"
                .to_string(),
        );
        for uri in [
            "/api/daily_papers?p=1&limit=5&date=2025-12-01&submitter=ak&sort=publishedAt",
            "/api/daily_papers?sort=publishedAt&submitter=ak&date=2025-12-01&limit=5&p=1",
            "/api/daily_papers?limit=05&p=01&date=%202025-12-01&submitter=ak%20&sort=publishedAt",
            "/api/daily_papers?p=1&limit=5&date=2025-12-01&submitter=ak&sort=publishedAt&junk=1&x=%FF",
            "/api/daily_papers?week=&p=1&limit=5&date=2025-12-01&submitter=ak&sort=publishedAt",
        ] {
            assert_eq!(k(uri), canonical, "{uri}");
        }
        // Defaults are left out, or written once.
        for uri in [
            "/api/daily_papers",
            "/api/daily_papers?p=0",
            "/api/daily_papers?limit=50&utm_source=x",
            "/api/daily_papers?p=&limit=&sort=",
        ] {
            assert_eq!(
                k(uri).as_deref(),
                Some("http://h:8080/api/daily_papers?p=0"),
                "{uri}"
            );
        }
        assert_eq!(
            k("/api/daily_papers?date=2025-12-01&sort=trending").as_deref(),
            Some("http://h:8080/api/daily_papers?p=0&date=2025-12-01&sort=trending"),
            "trending is not a period's default order (upvotes are)"
        );
        assert_eq!(
            k("/api/daily_papers?sort=trending").as_deref(),
            Some("http://h:8080/api/daily_papers?p=0&sort=trending")
        );
        // What the handler refuses is not cached.
        for uri in [
            "/api/daily_papers?p=-1",
            "/api/daily_papers?limit=1000",
            "/api/daily_papers?date=2025-12-01&week=2025-W49",
            "/api/daily_papers?p=1&p=2",
        ] {
            assert_eq!(k(uri), None, "{uri}");
        }
    }

    #[test]
    fn the_host_is_part_of_the_key_only_without_a_public_url() {
        let c = WebConfig::default();
        assert_ne!(
            key("/api/daily_papers", "a", &c),
            key("/api/daily_papers", "b", &c)
        );
        let c = WebConfig {
            public_url: Some("https://papers.example.org".parse().unwrap()),
            ..WebConfig::default()
        };
        let k = key("/api/daily_papers?week=2025-W49", "a", &c);
        assert_eq!(
            k,
            key("/api/daily_papers?week=2025-W49", "evil.example", &c)
        );
        assert_eq!(
            k.as_deref(),
            Some("https://papers.example.org/api/daily_papers?p=0&week=2025-W49")
        );
    }
}
