//! `dailypapers ingest` from live sources: the configuration turned into
//! [`LiveSources`], the run itself in `dailypapers_ingest::run`, and a
//! progress bar.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use dailypapers_domain::ArxivId;
use dailypapers_ingest::Summary;
use dailypapers_ingest::http::ClientConfig;
use dailypapers_ingest::live::{Endpoints, Harvest};
use dailypapers_ingest::run::LiveSources;
use dailypapers_store::Store;

use crate::config::Config;
use crate::progress::Bar;

/// The live sources as configured.
pub fn sources(config: &Config) -> Result<LiveSources> {
    let s = &config.sources;
    if s.contact == ClientConfig::default().contact {
        tracing::warn!(
            "sources.contact is the default {:?}: arXiv asks for a real contact address in the \
             User-Agent; set sources.contact (or DAILYPAPERS_CONTACT)",
            s.contact
        );
    }
    Ok(LiveSources {
        endpoints: Endpoints::with_overrides(
            Some(&s.arxiv_api_url),
            Some(&s.arxiv_oai_url),
            Some(&s.hf_daily_papers_url),
        )?,
        client: ClientConfig {
            contact: s.contact.clone(),
            ..ClientConfig::default()
        },
        arxiv_interval: Duration::try_from_secs_f64(s.arxiv_interval_secs)
            .context("sources.arxiv_interval_secs must be a non-negative number of seconds")?,
        time_zone: config.time_zone()?,
    })
}

pub async fn arxiv(
    config: &Config,
    store: Arc<dyn Store>,
    ids: Vec<ArxivId>,
    query: Option<String>,
    max: u64,
) -> Result<Summary> {
    let bar = Bar::new("records");
    let summary = sources(config)?
        .arxiv(store, &ids, query.as_deref(), max, &bar)
        .await?;
    bar.finish();
    Ok(summary)
}

pub async fn oai(config: &Config, store: Arc<dyn Store>, harvest: Harvest) -> Result<Summary> {
    let bar = Bar::new("records");
    let (summary, notes) = sources(config)?.oai(store, harvest, &bar).await?;
    bar.finish();
    if let Some(token) = &notes.resumed_from {
        eprintln!("resumed the interrupted harvest from resumption token {token}");
    }
    if notes.interrupted {
        eprintln!(
            "the harvest stopped; run the same command again to resume from the last stored page"
        );
    }
    if notes.restarted {
        eprintln!("the saved resumption token had expired: the harvest started over");
    }
    Ok(summary)
}

pub async fn hf_daily(config: &Config, store: Arc<dyn Store>, date: NaiveDate) -> Result<Summary> {
    let bar = Bar::new("records");
    let summary = sources(config)?.hf_daily(store, date, &bar).await?;
    bar.finish();
    Ok(summary)
}
