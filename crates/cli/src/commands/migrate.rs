//! `dailypapers migrate`: brings the configured store's schema up to date
//! (as `serve` and every command do when they open it) and lists the
//! migrations it has, so an operator can migrate before starting servers.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::config::Config;

pub async fn run(config: &Config) -> Result<ExitCode> {
    let url = config.store_url()?;
    // Opening applies what is missing, under the migrator's lock: servers
    // starting beside this command wait for it.
    let store = dailypapers_store::open(&url)
        .await
        .with_context(|| format!("cannot migrate the store {url}"))?;
    let applied = store.migrations().await?;
    println!(
        "{}: schema up to date, {} migrations applied",
        store.describe(),
        applied.len()
    );
    for m in &applied {
        println!(
            "  {:04} {} (applied {})",
            m.version, m.description, m.installed_on
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
