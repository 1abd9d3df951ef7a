//! Running a live source to the end, as `dailypapers ingest` and the
//! scheduler in `serve` both do: fetch a page through the polite client,
//! store it as one batch, ask for the next. A failed request ends the run
//! and is counted as a rejected document; what was stored before it stays
//! stored (an OAI-PMH harvest also keeps its resumption token, so running it
//! again resumes).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use dailypapers_domain::{ArxivId, FeedTimeZone};
use dailypapers_store::{Store, StoreError};

use crate::http::{ClientConfig, FetchError, PoliteClient};
use crate::live::{
    ArxivApi, ArxivPager, Endpoints, Harvest, Harvester, HfDailyApi, HfDayPager, Page,
};
use crate::{Importer, Progress, Summary};

/// Results asked of the arXiv API per request.
pub const ARXIV_PAGE_SIZE: u64 = 100;

/// Least time between two requests to Hugging Face.
pub const HF_INTERVAL: Duration = Duration::from_millis(500);

/// Why a live run could not go on (a failed request is not one of these: it
/// ends the run and is in its summary).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The HTTP client could not be built, or a URL is invalid.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a live run needs to know: where the services are and how to ask them.
#[derive(Clone, Debug)]
pub struct LiveSources {
    pub endpoints: Endpoints,
    /// The polite client's settings (contact, timeouts, retries); its
    /// `min_interval` is replaced by each source's own.
    pub client: ClientConfig,
    /// Least time between two requests to arXiv (their terms: 3 s).
    pub arxiv_interval: Duration,
    /// The zone whose days are feed days (Hugging Face listings).
    pub time_zone: FeedTimeZone,
}

/// How an OAI-PMH run went, beyond its tally.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HarvestNotes {
    /// The saved resumption token it resumed from.
    pub resumed_from: Option<String>,
    /// The saved token had expired and the harvest started over.
    pub restarted: bool,
    /// A request failed: the harvest stopped and resumes on the next run.
    pub interrupted: bool,
}

impl LiveSources {
    fn client(&self, min_interval: Duration) -> Result<PoliteClient, FetchError> {
        PoliteClient::new(ClientConfig {
            min_interval,
            ..self.client.clone()
        })
    }

    /// The arXiv API: the papers of `ids`, or the results of `query` (at most `max`).
    pub async fn arxiv(
        &self,
        store: Arc<dyn Store>,
        ids: &[ArxivId],
        query: Option<&str>,
        max: u64,
        progress: &dyn Progress,
    ) -> Result<Summary, RunError> {
        let api = ArxivApi::new(
            self.client(self.arxiv_interval)?,
            self.endpoints.arxiv_api.clone(),
        );
        let mut pager = match query {
            Some(q) => api.fetch_query(q, max, ARXIV_PAGE_SIZE.min(max.max(1))),
            None => api.fetch_ids(ids),
        };
        Ok(drain(store, progress, &mut pager).await?)
    }

    /// The Hugging Face daily papers of `date`.
    pub async fn hf_daily(
        &self,
        store: Arc<dyn Store>,
        date: NaiveDate,
        progress: &dyn Progress,
    ) -> Result<Summary, RunError> {
        let api = HfDailyApi::new(
            self.client(HF_INTERVAL)?,
            self.endpoints.hf_daily_papers.clone(),
            self.time_zone,
        );
        let mut pager = api.fetch_daily(date);
        Ok(drain(store, progress, &mut pager).await?)
    }

    /// An OAI-PMH harvest, resumed from its checkpoint when one is saved.
    pub async fn oai(
        &self,
        store: Arc<dyn Store>,
        harvest: Harvest,
        progress: &dyn Progress,
    ) -> Result<(Summary, HarvestNotes), RunError> {
        let client = self.client(self.arxiv_interval)?;
        let mut harvester = Harvester::start(
            client,
            self.endpoints.arxiv_oai.clone(),
            store.clone(),
            harvest,
        )
        .await?;
        let mut notes = HarvestNotes {
            resumed_from: harvester.resumed_from().map(str::to_string),
            ..HarvestNotes::default()
        };
        let mut importer = Importer::new(store, usize::MAX);
        loop {
            match harvester.next_page().await {
                Ok(Some(page)) => {
                    store_page(&mut importer, progress, page).await?;
                    harvester.page_stored().await?;
                }
                Ok(None) => break,
                Err(e) => {
                    importer.reject_other(e.to_string());
                    notes.interrupted = true;
                    break;
                }
            }
        }
        notes.restarted = harvester.restarted();
        Ok((importer.finish().await?, notes))
    }
}

/// Stores one page as one batch and advances the progress.
async fn store_page(
    importer: &mut Importer,
    progress: &dyn Progress,
    page: Page,
) -> Result<(), StoreError> {
    if let Some(total) = page.total {
        progress.set_length(total);
    }
    let n = page.listings.len() as u64;
    importer.push_document(&page.origin, page.listings).await?;
    progress.advance(n);
    progress.message(importer.summary().to_string());
    Ok(())
}

/// A live source's pages, one request each.
pub trait Pages: Send {
    /// The next page; `None` once the list is complete.
    fn next_page(&mut self) -> impl Future<Output = Result<Option<Page>, FetchError>> + Send;
}

impl Pages for ArxivPager {
    fn next_page(&mut self) -> impl Future<Output = Result<Option<Page>, FetchError>> + Send {
        ArxivPager::next_page(self)
    }
}

impl Pages for HfDayPager {
    fn next_page(&mut self) -> impl Future<Output = Result<Option<Page>, FetchError>> + Send {
        HfDayPager::next_page(self)
    }
}

/// Stores every page `pages` yields; a failed request ends the run and is
/// counted in the summary.
pub async fn drain(
    store: Arc<dyn Store>,
    progress: &dyn Progress,
    pages: &mut impl Pages,
) -> Result<Summary, StoreError> {
    let mut importer = Importer::new(store, usize::MAX);
    loop {
        match pages.next_page().await {
            Ok(Some(page)) => store_page(&mut importer, progress, page).await?,
            Ok(None) => break,
            Err(e) => {
                importer.reject_other(e.to_string());
                break;
            }
        }
    }
    importer.finish().await
}

/// A [`Progress`] that shows nothing (scheduled runs log their summary instead).
pub struct Quiet;

impl Progress for Quiet {
    fn set_length(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn message(&self, _: String) {}
}
