//! The arXiv API (`export.arxiv.org/api/query`): papers by id list, in
//! batches of at most 100 ids, and search results by query, newest first,
//! page by page up to a maximum.

use std::collections::{HashSet, VecDeque};

use dailypapers_domain::ArxivId;
use url::Url;

use super::{Page, with_query};
use crate::arxiv_atom;
use crate::http::{FetchError, PoliteClient};

/// Ids asked for in one request.
pub const MAX_IDS_PER_REQUEST: usize = 100;

/// The largest page the API serves in one request.
pub const MAX_PAGE_SIZE: u64 = 2000;

/// A client for the arXiv API.
#[derive(Clone, Debug)]
pub struct ArxivApi {
    client: PoliteClient,
    base: Url,
}

impl ArxivApi {
    /// An API client for the endpoint at `base` (normally
    /// [`ARXIV_API_URL`](super::ARXIV_API_URL)).
    pub fn new(client: PoliteClient, base: Url) -> Self {
        ArxivApi {
            client: client.with_service_message(service_message),
            base,
        }
    }

    /// Pages of the papers with these ids: one request per 100 ids
    /// (`id_list=…&start=0&max_results=100`). An id given with a version is
    /// asked for at that version. Repeated ids are asked for once; ids arXiv
    /// does not know are simply absent from the pages.
    pub fn fetch_ids(&self, ids: &[ArxivId]) -> ArxivPager {
        let mut seen = HashSet::new();
        let wanted: Vec<String> = ids
            .iter()
            .map(|id| match id.version() {
                Some(v) => format!("{}v{v}", id.as_str()),
                None => id.as_str().to_string(),
            })
            .filter(|id| seen.insert(id.clone()))
            .collect();
        let expected = wanted.len() as u64;
        let batches = wanted
            .chunks(MAX_IDS_PER_REQUEST)
            .map(|chunk| chunk.join(","))
            .collect();
        ArxivPager {
            api: self.clone(),
            expected: Some(expected),
            mode: Mode::Ids { batches },
        }
    }

    /// Pages of the results of a search (`search_query=…`), most recently
    /// submitted first, `page_size` per request (at most 2000), until `max`
    /// results, the end of the results, or an empty page.
    pub fn fetch_query(&self, query: &str, max: u64, page_size: u64) -> ArxivPager {
        ArxivPager {
            api: self.clone(),
            expected: Some(max),
            mode: Mode::Query {
                query: query.to_string(),
                max,
                page_size: page_size.clamp(1, MAX_PAGE_SIZE),
                start: 0,
                fetched: 0,
                done: max == 0,
            },
        }
    }

    /// One request with exactly these parameters, read as an Atom feed.
    ///
    /// An error entry in the answer (arXiv's way to say "incorrect id
    /// format") is an error: [`FetchError::Status`] with the entry's text as
    /// its message when arXiv sent it with an error status, else
    /// [`FetchError::Document`].
    pub async fn request(&self, params: &[(&str, &str)]) -> Result<Page, FetchError> {
        let url = with_query(&self.base, params);
        let body = self.client.get_text(&url).await?;
        let feed = arxiv_atom::parse(&body).map_err(|source| FetchError::Document {
            url: url.to_string(),
            source,
        })?;
        Ok(Page {
            origin: url.to_string(),
            listings: feed.listings,
            total: feed.total_results,
        })
    }
}

/// The pages of one id look-up or one search; see [`ArxivApi`].
#[derive(Debug)]
pub struct ArxivPager {
    api: ArxivApi,
    expected: Option<u64>,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Ids {
        /// Comma-separated id lists still to ask for.
        batches: VecDeque<String>,
    },
    Query {
        query: String,
        max: u64,
        page_size: u64,
        /// Offset of the next page.
        start: u64,
        /// Results yielded so far.
        fetched: u64,
        done: bool,
    },
}

impl ArxivPager {
    /// How many records to expect at most, for a progress bar: the number of
    /// ids, or the smaller of `max` and the search's total once known.
    pub fn expected(&self) -> Option<u64> {
        self.expected
    }

    /// Fetches the next page; `None` when there are no more.
    pub async fn next_page(&mut self) -> Result<Option<Page>, FetchError> {
        match &mut self.mode {
            Mode::Ids { batches } => {
                let Some(id_list) = batches.pop_front() else {
                    return Ok(None);
                };
                let max_results = MAX_IDS_PER_REQUEST.to_string();
                let page = self
                    .api
                    .request(&[
                        ("id_list", &id_list),
                        ("start", "0"),
                        ("max_results", &max_results),
                    ])
                    .await?;
                Ok(Some(page))
            }
            Mode::Query {
                query,
                max,
                page_size,
                start,
                fetched,
                done,
            } => {
                if *done {
                    return Ok(None);
                }
                let (start_text, size_text) = (start.to_string(), page_size.to_string());
                let mut page = self
                    .api
                    .request(&[
                        ("search_query", query.as_str()),
                        ("start", &start_text),
                        ("max_results", &size_text),
                        ("sortBy", "submittedDate"),
                        ("sortOrder", "descending"),
                    ])
                    .await?;
                let received = page.listings.len() as u64;
                if received == 0 {
                    *done = true;
                    if page.total.is_some_and(|total| total > *start) {
                        tracing::warn!(
                            "arXiv returned an empty page at start={start} although it reports {} results; stopping here",
                            page.total.unwrap_or_default()
                        );
                    }
                    return Ok(None);
                }
                let remaining = *max - *fetched;
                page.listings
                    .truncate(usize::try_from(remaining).unwrap_or(usize::MAX));
                *fetched += page.listings.len() as u64;
                *start += received;
                if let Some(total) = page.total {
                    self.expected = Some((*max).min(total));
                }
                if *fetched >= *max || page.total.is_some_and(|total| *start >= total) {
                    *done = true;
                }
                Ok(Some(page))
            }
        }
    }
}

/// The message of an arXiv API error entry (sent with HTTP 400).
fn service_message(body: &str) -> Option<String> {
    let head = body.get(..body.len().min(1000)).unwrap_or(body);
    if !head.contains("<feed") {
        return crate::http::json_error_message(body);
    }
    match crate::arxiv_atom::parse(body) {
        Err(crate::SourceError::Service(message)) => Some(message),
        _ => None,
    }
}
