//! `dailypapers backup FILE`: a consistent copy of the store, taken while
//! the server and imports go on, checked to open before it is given its name.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use dailypapers_store::StoreUrl;

use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The new file to write (it must not exist)
    file: PathBuf,
}

pub async fn run(config: &Config, args: Args) -> Result<ExitCode> {
    let store = super::open_store(config).await?;
    let started = std::time::Instant::now();
    store
        .backup(&args.file)
        .await
        .with_context(|| format!("cannot back up {}", store.describe()))?;
    // The copy is a store of its own: open it and count, as a restore would.
    let copy = dailypapers_store::open(&StoreUrl::Sqlite(args.file.clone()))
        .await
        .with_context(|| format!("the backup {} does not open", args.file.display()))?;
    let counts = copy.counts().await?;
    copy.close().await;
    store.close().await;
    println!(
        "backed up {} papers, {} listings to {} in {:.1} s",
        counts.papers,
        counts.listings,
        args.file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
