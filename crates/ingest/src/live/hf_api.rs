//! The Hugging Face daily papers API (`huggingface.co/api/daily_papers`):
//! the papers listed on one day, `limit` per request, following `p=` while
//! the pages come back full.

use std::collections::HashSet;

use chrono::NaiveDate;
use dailypapers_domain::{ArxivId, FeedTimeZone};
use url::Url;

use super::{Page, with_query};
use crate::hf_daily::{self, HfOptions};
use crate::http::{FetchError, PoliteClient};

/// Papers asked for per request.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// Requests made for one day at most (a guard against a server that
/// ignores `p` and keeps sending full pages).
const MAX_PAGES_PER_DAY: u64 = 100;

/// A client for the daily papers API.
#[derive(Clone, Debug)]
pub struct HfDailyApi {
    client: PoliteClient,
    base: Url,
    time_zone: FeedTimeZone,
    page_size: u64,
}

impl HfDailyApi {
    /// A client for the endpoint at `base` (normally
    /// [`HF_DAILY_PAPERS_URL`](super::HF_DAILY_PAPERS_URL)); feed days are
    /// counted in `time_zone`.
    pub fn new(client: PoliteClient, base: Url, time_zone: FeedTimeZone) -> Self {
        HfDailyApi {
            client,
            base,
            time_zone,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// The same client asking for `page_size` papers per request (at least 1).
    pub fn with_page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// Pages of the papers listed on `date`:
    /// `?date=YYYY-MM-DD&limit=100`, then `&p=1`, `&p=2`… while pages are
    /// full. Entries that do not say when they were submitted are put on `date`.
    pub fn fetch_daily(&self, date: NaiveDate) -> HfDayPager {
        HfDayPager {
            api: self.clone(),
            date,
            next: 0,
            done: false,
            seen: HashSet::new(),
        }
    }
}

/// The pages of one day; see [`HfDailyApi::fetch_daily`].
#[derive(Debug)]
pub struct HfDayPager {
    api: HfDailyApi,
    date: NaiveDate,
    /// The next page number (`p`).
    next: u64,
    done: bool,
    /// Papers already yielded, to notice a server that ignores `p`.
    seen: HashSet<ArxivId>,
}

impl HfDayPager {
    /// Fetches the next page; `None` when there are no more.
    pub async fn next_page(&mut self) -> Result<Option<Page>, FetchError> {
        if self.done {
            return Ok(None);
        }
        let api = &self.api;
        let (date, limit, p) = (
            self.date.format("%Y-%m-%d").to_string(),
            api.page_size.to_string(),
            self.next.to_string(),
        );
        let mut params = vec![("date", date.as_str()), ("limit", limit.as_str())];
        if self.next > 0 {
            params.push(("p", p.as_str()));
        }
        let url = with_query(&api.base, &params);
        let body = api.client.get_text(&url).await?;
        let options = HfOptions {
            fallback_day: Some(self.date),
            time_zone: api.time_zone,
        };
        let listings = hf_daily::parse(&body, &options).map_err(|source| FetchError::Document {
            url: url.to_string(),
            source,
        })?;
        let received = listings.len() as u64;
        self.next += 1;
        if received < api.page_size || self.next >= MAX_PAGES_PER_DAY {
            self.done = true;
        }
        if received == 0 {
            return Ok(None);
        }
        let ids: Vec<&ArxivId> = listings
            .iter()
            .filter_map(|l| l.as_ref().ok().map(|l| &l.paper.id))
            .collect();
        if self.next > 1 && !ids.is_empty() && ids.iter().all(|id| self.seen.contains(*id)) {
            tracing::warn!(%url, "the server sent the same papers again; it seems to ignore paging, stopping");
            self.done = true;
            return Ok(None);
        }
        self.seen.extend(ids.into_iter().cloned());
        Ok(Some(Page {
            origin: url.to_string(),
            listings,
            total: None,
        }))
    }
}
