//! The live sources: fetching from arXiv and Hugging Face over HTTP, page by
//! page, through the [`PoliteClient`](crate::http::PoliteClient).
//!
//! - [`arxiv_api`]: the arXiv API, by id list or by search query;
//! - [`oai_harvest`]: arXiv OAI-PMH `ListRecords`, resumable after a crash;
//! - [`hf_api`]: the Hugging Face daily papers of one day.
//!
//! Each yields [`Page`]s; the caller stores each page as one batch (e.g. with
//! `Importer::push_document(&page.origin, page.listings)`) before asking for
//! the next.

pub mod arxiv_api;
pub mod hf_api;
pub mod oai_harvest;

use dailypapers_domain::Listing;
use url::Url;

use crate::Rejected;
use crate::http::{FetchError, parse_base_url};

pub use arxiv_api::{ArxivApi, ArxivPager};
pub use hf_api::{HfDailyApi, HfDayPager};
pub use oai_harvest::{Harvest, Harvester, MetadataPrefix};

/// The arXiv API endpoint.
pub const ARXIV_API_URL: &str = "http://export.arxiv.org/api/query";
/// The arXiv OAI-PMH endpoint.
pub const ARXIV_OAI_URL: &str = "http://export.arxiv.org/oai2";
/// The Hugging Face daily papers endpoint.
pub const HF_DAILY_PAPERS_URL: &str = "https://huggingface.co/api/daily_papers";

/// One fetched document's records: what the caller stores as one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The URL it came from (for messages: "URL: entry 3: …").
    pub origin: String,
    /// One item per record, in document order.
    pub listings: Vec<Result<Listing, Rejected>>,
    /// How many records the whole list has, when the service says
    /// (arXiv `totalResults`, OAI-PMH `completeListSize`).
    pub total: Option<u64>,
}

/// The base URLs of the live services (configurable so tests and mirrors
/// can stand in for the real ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub arxiv_api: Url,
    pub arxiv_oai: Url,
    pub hf_daily_papers: Url,
}

impl Default for Endpoints {
    fn default() -> Self {
        let url = |text: &str| Url::parse(text).expect("the default endpoints are valid URLs");
        Endpoints {
            arxiv_api: url(ARXIV_API_URL),
            arxiv_oai: url(ARXIV_OAI_URL),
            hf_daily_papers: url(HF_DAILY_PAPERS_URL),
        }
    }
}

impl Endpoints {
    /// The endpoints with any of them replaced (`None` keeps the default).
    pub fn with_overrides(
        arxiv_api: Option<&str>,
        arxiv_oai: Option<&str>,
        hf_daily_papers: Option<&str>,
    ) -> Result<Self, FetchError> {
        let mut endpoints = Endpoints::default();
        if let Some(text) = arxiv_api {
            endpoints.arxiv_api = parse_base_url(text)?;
        }
        if let Some(text) = arxiv_oai {
            endpoints.arxiv_oai = parse_base_url(text)?;
        }
        if let Some(text) = hf_daily_papers {
            endpoints.hf_daily_papers = parse_base_url(text)?;
        }
        Ok(endpoints)
    }
}

/// `base` with the given parameters appended to its query.
fn with_query(base: &Url, params: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    url
}
