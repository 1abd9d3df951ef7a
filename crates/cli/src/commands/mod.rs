//! The subcommands, one module each, and what they share: opening the store.

pub mod backup;
pub mod bench;
pub mod copy;
pub mod digest;
pub mod ingest;
pub mod live;
pub mod migrate;
pub mod search;
pub mod serve;
pub mod user;

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use dailypapers_store::Store;

use crate::config::Config;

/// The checkpoint that records the time zone feed days were computed in.
const TIME_ZONE_KEY: &str = "feed.time_zone";

/// Opens the configured store (`store.url`, by default the SQLite file in
/// the data directory) and checks that the configured feed time zone is the
/// one its feed days were computed in (feed days are fixed at ingestion).
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>> {
    let zone = config.time_zone()?;
    let url = config.store_url()?;
    let store = dailypapers_store::open(&url)
        .await
        .with_context(|| format!("cannot open the store {url}"))?;
    if let Some(stored) = store.checkpoint(TIME_ZONE_KEY).await?
        && stored != zone.name()
    {
        bail!(
            "the feed days in {} were computed in the time zone {stored}, but feed.time_zone is {}: \
             set feed.time_zone = \"{stored}\" (or DAILYPAPERS_TIME_ZONE), or import into a new data directory",
            store.describe(),
            zone.name()
        );
    }
    Ok(store)
}

/// Saves the feed time zone with the data, once something was imported in it.
pub async fn record_time_zone(store: &dyn Store, config: &Config) -> Result<()> {
    if store.checkpoint(TIME_ZONE_KEY).await?.is_none() {
        store
            .set_checkpoint(TIME_ZONE_KEY, Some(config.time_zone()?.name()))
            .await?;
    }
    Ok(())
}
