//! The ingestion benchmark: records/s and peak memory of a snapshot import,
//! through the caller's import (the one `dailypapers ingest snapshot` runs),
//! into an empty store or into one already holding generated records; and
//! `bench gen-snapshot`, which writes the data it imports.

use dailypapers_store::StoreUrl;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use dailypapers_ingest::Summary;
use dailypapers_store::Store;

use crate::data::snapshot::{self, Generator};
use crate::measure::peak_rss;

/// What `bench ingest` imports, and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The snapshot to import; generated (not timed) when absent.
    pub file: Option<PathBuf>,
    /// Records to generate when no file is given.
    pub records: u64,
    /// The seed of the generated records.
    pub seed: u64,
    /// Where to keep the store, instead of a temporary directory. With
    /// [`Options::into_existing`] it holds two stores, `empty/` and
    /// `existing/`.
    pub store_dir: Option<PathBuf>,
    /// Also import the same records into a store first filled (not timed)
    /// with this many other generated records, and compare the two rates.
    /// Needs generated records (no `file`).
    pub into_existing: Option<u64>,
    /// Import into this (empty) store, then the same file again, and the
    /// same two into a scratch SQLite store beside them.
    pub store: Option<StoreUrl>,
}

/// `bench gen-snapshot`: writes `records` seeded records to `file` and says
/// how long it took.
pub fn gen_snapshot(records: u64, file: &Path, seed: u64) -> Result<()> {
    let started = Instant::now();
    snapshot::generate(records, file, seed)?;
    println!(
        "wrote {records} records to {} in {:.1} s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `bench ingest`: times `import` of the snapshot into a fresh store and
/// prints the summary, records/s and peak RSS; with
/// [`Options::into_existing`], does so into an empty store and into a
/// pre-filled one, and prints the ratio of the two rates.
pub async fn run(
    options: Options,
    import: impl AsyncFn(Arc<dyn Store>, &Path) -> Result<Summary>,
) -> Result<()> {
    let scratch = tempfile::tempdir()?;
    if let Some(url) = &options.store {
        return against_sqlite(&options, url, scratch.path(), &import).await;
    }
    let Some(existing) = options.into_existing else {
        let file = match options.file {
            Some(f) => f,
            None => {
                let f = scratch.path().join("snapshot.jsonl");
                eprintln!(
                    "generating {} records (seed {}) …",
                    options.records, options.seed
                );
                snapshot::generate(options.records, &f, options.seed)?;
                f
            }
        };
        let dir = options
            .store_dir
            .unwrap_or_else(|| scratch.path().join("store"));
        let store = dailypapers_store::open(&StoreUrl::in_data_dir(&dir)).await?;
        let timed = Timed::import(&import, store, &file).await?;
        print_file(&file)?;
        timed.print();
        return Ok(());
    };
    anyhow::ensure!(
        options.file.is_none(),
        "--into-existing generates the records it imports: leave out --file"
    );

    // One seeded stream: the first `existing` records fill the store, the
    // next `records` are the new ones, so no new record is already stored.
    let mut generator = Generator::new(options.seed);
    let prefill = scratch.path().join("existing.jsonl");
    let file = scratch.path().join("snapshot.jsonl");
    eprintln!(
        "generating {existing} records to fill a store and {} new ones (seed {}) …",
        options.records, options.seed
    );
    generator.write(&prefill, existing)?;
    generator.write(&file, options.records)?;
    let dir = options
        .store_dir
        .unwrap_or_else(|| scratch.path().to_path_buf());

    let store = dailypapers_store::open(&StoreUrl::in_data_dir(&dir.join("empty"))).await?;
    let empty = Timed::import(&import, store, &file).await?;

    let store = dailypapers_store::open(&StoreUrl::in_data_dir(&dir.join("existing"))).await?;
    eprintln!("filling a store with {existing} records (not timed) …");
    import(store.clone(), &prefill).await?;
    std::fs::remove_file(&prefill)?;
    let held = store.counts().await?.papers;
    let filled = Timed::import(&import, store, &file).await?;

    print_file(&file)?;
    println!("into an empty store:");
    empty.print();
    println!("into a store already holding {held} papers:");
    filled.print();
    let ratio = filled.rate() / empty.rate();
    println!(
        "pre-filled / empty: {ratio:.3} ({:.0} against {:.0} records/s, {:+.1}%)",
        filled.rate(),
        empty.rate(),
        (ratio - 1.0) * 100.0
    );
    Ok(())
}

/// `bench ingest --store URL`: the file into the store at `url` and again
/// (a re-import changes nothing), then the same into a scratch SQLite
/// store, each timed.
async fn against_sqlite(
    options: &Options,
    url: &StoreUrl,
    scratch: &Path,
    import: &impl AsyncFn(Arc<dyn Store>, &Path) -> Result<Summary>,
) -> Result<()> {
    let file = match &options.file {
        Some(f) => f.clone(),
        None => {
            let f = scratch.join("snapshot.jsonl");
            eprintln!(
                "generating {} records (seed {}) …",
                options.records, options.seed
            );
            snapshot::generate(options.records, &f, options.seed)?;
            f
        }
    };
    let store = dailypapers_store::open(url).await?;
    anyhow::ensure!(
        !dailypapers_store::rows::holds_data(&*store).await?,
        "{} already holds data: benchmark into an empty store",
        store.describe()
    );
    let sqlite = StoreUrl::in_data_dir(&scratch.join("sqlite"));
    print_file(&file)?;
    for target in [url, &sqlite] {
        let first = Timed::import(import, dailypapers_store::open(target).await?, &file).await?;
        let again = Timed::import(import, dailypapers_store::open(target).await?, &file).await?;
        println!("into {target}:");
        first.print();
        println!("the same file again:");
        again.print();
    }
    Ok(())
}

/// One timed import and what the store held after it.
struct Timed {
    summary: Summary,
    secs: f64,
    papers: u64,
    peak_rss: String,
}

impl Timed {
    async fn import(
        import: &impl AsyncFn(Arc<dyn Store>, &Path) -> Result<Summary>,
        store: Arc<dyn Store>,
        file: &Path,
    ) -> Result<Timed> {
        let started = Instant::now();
        let summary = import(store.clone(), file).await?;
        let secs = started.elapsed().as_secs_f64();
        let papers = store.counts().await?.papers;
        store.close().await;
        Ok(Timed {
            summary,
            secs,
            papers,
            peak_rss: peak_rss(),
        })
    }

    fn rate(&self) -> f64 {
        self.summary.read as f64 / self.secs
    }

    fn print(&self) {
        println!("{}", self.summary);
        println!("papers stored: {}", self.papers);
        println!(
            "time: {:.1} s, rate: {:.0} records/s, peak RSS: {}",
            self.secs,
            self.rate(),
            self.peak_rss
        );
    }
}

/// `file: PATH (N MiB)`.
fn print_file(file: &Path) -> Result<()> {
    let bytes = std::fs::metadata(file)?.len();
    println!(
        "file: {} ({:.0} MiB)",
        file.display(),
        bytes as f64 / 1048576.0
    );
    Ok(())
}
