//! Live ingestion: fetch from arXiv and Hugging Face through the polite
//! client, storing each fetched page as one batch before asking for the next.
//! A failed request ends the run; what was stored before it stays stored.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use dailypapers_domain::ArxivId;
use dailypapers_ingest::http::{ClientConfig, FetchError, PoliteClient};
use dailypapers_ingest::live::{ArxivApi, Endpoints, Harvest, Harvester, HfDailyApi, Page};
use dailypapers_ingest::{Importer, Progress, Summary};
use dailypapers_store::Store;

use crate::config::Config;
use crate::progress::Bar;

/// Results asked of the arXiv API per request.
const ARXIV_PAGE_SIZE: u64 = 100;

fn endpoints(config: &Config) -> Result<Endpoints> {
    let s = &config.sources;
    Ok(Endpoints::with_overrides(
        Some(&s.arxiv_api_url),
        Some(&s.arxiv_oai_url),
        Some(&s.hf_daily_papers_url),
    )?)
}

fn client(config: &Config, min_interval: Duration) -> Result<PoliteClient> {
    if config.sources.contact == ClientConfig::default().contact {
        tracing::warn!(
            "sources.contact is the default {:?}: arXiv asks for a real contact address in the \
             User-Agent; set sources.contact (or DAILYPAPERS_CONTACT)",
            config.sources.contact
        );
    }
    Ok(PoliteClient::new(ClientConfig {
        contact: config.sources.contact.clone(),
        min_interval,
        ..ClientConfig::default()
    })?)
}

fn arxiv_interval(config: &Config) -> Result<Duration> {
    Duration::try_from_secs_f64(config.sources.arxiv_interval_secs)
        .context("sources.arxiv_interval_secs must be a non-negative number of seconds")
}

/// Stores one page and advances the bar.
async fn store_page(importer: &mut Importer, bar: &Bar, page: Page) -> Result<()> {
    if let Some(total) = page.total {
        bar.set_length(total);
    }
    let n = page.listings.len() as u64;
    importer.push_document(&page.origin, page.listings).await?;
    bar.advance(n);
    bar.message(importer.summary().to_string());
    Ok(())
}

/// Stores every page `next` yields; a failed request ends the run and is
/// reported with the tally.
async fn drain(
    store: Arc<dyn Store>,
    mut next: impl AsyncFnMut() -> Result<Option<Page>, FetchError>,
) -> Result<Summary> {
    let bar = Bar::new("records");
    let mut importer = Importer::new(store, usize::MAX);
    loop {
        match next().await {
            Ok(Some(page)) => store_page(&mut importer, &bar, page).await?,
            Ok(None) => break,
            Err(e) => {
                importer.reject_other(e.to_string());
                break;
            }
        }
    }
    bar.finish();
    Ok(importer.finish().await?)
}

pub async fn arxiv(
    config: &Config,
    store: Arc<dyn Store>,
    ids: Vec<ArxivId>,
    query: Option<String>,
    max: u64,
) -> Result<Summary> {
    let api = ArxivApi::new(
        client(config, arxiv_interval(config)?)?,
        endpoints(config)?.arxiv_api,
    );
    let mut pager = match query {
        Some(q) => api.fetch_query(&q, max, ARXIV_PAGE_SIZE.min(max.max(1))),
        None => api.fetch_ids(&ids),
    };
    drain(store, async || pager.next_page().await).await
}

pub async fn oai(config: &Config, store: Arc<dyn Store>, harvest: Harvest) -> Result<Summary> {
    let client = client(config, arxiv_interval(config)?)?;
    let mut harvester =
        Harvester::start(client, endpoints(config)?.arxiv_oai, store.clone(), harvest).await?;
    if let Some(token) = harvester.resumed_from() {
        eprintln!("resuming the interrupted harvest from resumption token {token}");
    }
    let bar = Bar::new("records");
    let mut importer = Importer::new(store, usize::MAX);
    loop {
        match harvester.next_page().await {
            Ok(Some(page)) => {
                store_page(&mut importer, &bar, page).await?;
                harvester.page_stored().await?;
            }
            Ok(None) => break,
            Err(e) => {
                importer.reject_other(e.to_string());
                eprintln!(
                    "the harvest stopped; run the same command again to resume from the last stored page"
                );
                break;
            }
        }
    }
    if harvester.restarted() {
        eprintln!("the saved resumption token had expired: the harvest started over");
    }
    bar.finish();
    Ok(importer.finish().await?)
}

pub async fn hf_daily(config: &Config, store: Arc<dyn Store>, date: NaiveDate) -> Result<Summary> {
    let api = HfDailyApi::new(
        client(config, Duration::from_millis(500))?,
        endpoints(config)?.hf_daily_papers,
        config.time_zone()?,
    );
    let mut pager = api.fetch_daily(date);
    drain(store, async || pager.next_page().await).await
}
