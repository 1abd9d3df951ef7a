//! `dailypapers ingest <source>`: import from recorded files or live sources,
//! with a progress bar and a summary (read, new, updated, unchanged, rejected).
//!
//! Exit status: 0 when everything was imported, 3 when some records or files
//! were rejected but others were imported, 1 when nothing could be imported.
//!
//! The imports themselves are `dailypapers_ingest::files` (recorded files,
//! streamed in bounded memory) and `dailypapers_ingest::run` (live sources);
//! this module parses the arguments, shows a progress bar and reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use chrono::NaiveDate;
use dailypapers_domain::{ArxivId, Period};
use dailypapers_ingest::files::{self, XmlKind};
use dailypapers_ingest::live::Harvest;
use dailypapers_ingest::{Summary, hf_daily};
use dailypapers_store::Store;

use crate::config::Config;
use crate::progress::Bar;

#[derive(clap::Subcommand, Debug)]
pub enum Source {
    /// arXiv API Atom responses: saved files, or live with --ids or --query
    Arxiv(ArxivArgs),
    /// arXiv OAI-PMH ListRecords pages: saved files, or a live harvest with --set/--from
    Oai(OaiArgs),
    /// The Kaggle arXiv metadata snapshot (JSON lines), streamed
    Snapshot(SnapshotArgs),
    /// Hugging Face /api/daily_papers JSON: saved files, or live with --date
    HfDaily(HfDailyArgs),
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["files", "ids", "query"])))]
pub struct ArxivArgs {
    /// Atom files saved from the arXiv API
    files: Vec<PathBuf>,
    /// Fetch these ids (comma-separated) from the arXiv API
    #[arg(long, value_delimiter = ',', value_parser = parse_id, conflicts_with_all = ["files", "query"])]
    ids: Vec<ArxivId>,
    /// Fetch the results of this arXiv search query (e.g. "cat:cs.CL AND ti:decoding")
    #[arg(long, conflicts_with = "files")]
    query: Option<String>,
    /// With --query: at most this many results
    #[arg(long, default_value_t = 100, requires = "query")]
    max: u64,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["files", "from"])))]
pub struct OaiArgs {
    /// ListRecords responses saved from arXiv's OAI-PMH endpoint
    files: Vec<PathBuf>,
    /// Harvest this set live (cs, math, physics:hep-th, …)
    #[arg(long, conflicts_with = "files", requires = "from")]
    set: Option<String>,
    /// Harvest records changed on or after this day (YYYY-MM-DD)
    #[arg(long, value_parser = parse_day, conflicts_with = "files")]
    from: Option<NaiveDate>,
    /// Harvest records changed on or before this day (YYYY-MM-DD)
    #[arg(long, value_parser = parse_day, conflicts_with = "files")]
    until: Option<NaiveDate>,
    /// Metadata format to harvest
    #[arg(long, default_value = "arXiv", value_parser = ["arXiv", "oai_dc"], conflicts_with = "files")]
    prefix: String,
}

#[derive(clap::Args, Debug)]
pub struct SnapshotArgs {
    /// The arxiv-metadata-oai-snapshot.json file
    file: PathBuf,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["files", "date"])))]
pub struct HfDailyArgs {
    /// JSON files saved from /api/daily_papers
    files: Vec<PathBuf>,
    /// Fetch the daily papers of this day live (YYYY-MM-DD)
    #[arg(long, value_parser = parse_day, conflicts_with = "files")]
    date: Option<NaiveDate>,
    /// With files: the feed day of items that do not carry their submission time
    #[arg(long, value_parser = parse_day, requires = "files", conflicts_with = "date")]
    feed_day: Option<NaiveDate>,
}

fn parse_id(s: &str) -> Result<ArxivId, String> {
    ArxivId::parse(s).map_err(|e| e.to_string())
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    Period::parse_day(s)
        .map(|p| p.first_day())
        .map_err(|e| e.to_string())
}

pub async fn run(config: &Config, source: Source) -> Result<ExitCode> {
    let store = super::open_store(config).await?;
    let summary = match source {
        Source::Arxiv(args) if !args.files.is_empty() => {
            files::import_xml_files(
                store.clone(),
                &args.files,
                XmlKind::Atom,
                &Bar::new("bytes"),
            )
            .await?
        }
        Source::Arxiv(args) => {
            super::live::arxiv(config, store.clone(), args.ids, args.query, args.max).await?
        }
        Source::Oai(args) if !args.files.is_empty() => {
            files::import_xml_files(store.clone(), &args.files, XmlKind::Oai, &Bar::new("bytes"))
                .await?
        }
        Source::Oai(args) => {
            let harvest = Harvest {
                set: args.set,
                from: args.from,
                until: args.until,
                prefix: args.prefix.parse().map_err(anyhow::Error::msg)?,
            };
            super::live::oai(config, store.clone(), harvest).await?
        }
        Source::Snapshot(args) => import_snapshot(store.clone(), &args.file).await?,
        Source::HfDaily(args) => match args.date {
            Some(date) => super::live::hf_daily(config, store.clone(), date).await?,
            None => {
                let options = hf_daily::HfOptions {
                    fallback_day: args.feed_day,
                    time_zone: config.time_zone()?,
                };
                let bar = Bar::new("files");
                files::import_documents(store.clone(), &args.files, &bar, |text| {
                    hf_daily::parse(text, &options)
                })
                .await?
            }
        },
    };
    if summary.imported() > 0 {
        super::record_time_zone(&*store, config).await?;
    }
    Ok(report(&summary))
}

/// Prints the summary and the problems, and picks the exit status.
pub fn report(summary: &Summary) -> ExitCode {
    for problem in &summary.problems {
        eprintln!("rejected: {problem}");
    }
    if summary.rejected as usize > summary.problems.len() {
        eprintln!(
            "… and {} more rejected",
            summary.rejected as usize - summary.problems.len()
        );
    }
    println!("{summary}");
    match (summary.imported(), summary.rejected) {
        (_, 0) => ExitCode::SUCCESS,
        (0, _) => {
            eprintln!("error: nothing could be imported");
            ExitCode::FAILURE
        }
        _ => ExitCode::from(3),
    }
}

/// Streams a snapshot file with a progress bar (also what `bench ingest` times).
pub async fn import_snapshot(store: Arc<dyn Store>, file: &Path) -> Result<Summary> {
    Ok(files::import_snapshot(store, file, &Bar::new("bytes")).await?)
}
