//! `dailypapers ingest <source>`: import from recorded files or live sources,
//! with a progress bar and a summary (read, new, updated, unchanged, rejected).
//!
//! Exit status: 0 when everything was imported, 3 when some records or files
//! were rejected but others were imported, 1 when nothing could be imported.
//!
//! Memory stays bounded whatever the size of the input: snapshots and XML
//! files (Atom, OAI-PMH) are streamed, and a JSON file is read whole only up
//! to [`limits::DOCUMENT_BYTES`].

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use dailypapers_domain::limits;
use dailypapers_domain::{ArxivId, Listing, Period};
use dailypapers_ingest::arxiv_atom::AtomReader;
use dailypapers_ingest::live::Harvest;
use dailypapers_ingest::oai::OaiReader;
use dailypapers_ingest::snapshot::SnapshotReader;
use dailypapers_ingest::{Importer, Progress, Rejected, SourceError, Summary};
use dailypapers_ingest::{hf_daily, import::BATCH_BYTES};
use dailypapers_store::Store;

use crate::config::Config;
use crate::progress::Bar;

/// Listings per transaction when streaming large files.
pub const STREAM_BATCH: usize = 2_000;

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
            import_xml_files(store.clone(), &args.files, XmlKind::Atom).await?
        }
        Source::Arxiv(args) => {
            super::live::arxiv(config, store.clone(), args.ids, args.query, args.max).await?
        }
        Source::Oai(args) if !args.files.is_empty() => {
            import_xml_files(store.clone(), &args.files, XmlKind::Oai).await?
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
                import_documents(store.clone(), &args.files, |text| {
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

/// Imports whole documents (one batch each): a document that cannot be read
/// is rejected whole, and nothing from it is stored. A file over
/// [`limits::DOCUMENT_BYTES`] is refused without being read.
async fn import_documents(
    store: Arc<dyn Store>,
    files: &[PathBuf],
    parse: impl Fn(&str) -> Result<Vec<Result<Listing, Rejected>>, SourceError>,
) -> Result<Summary> {
    let bar = Bar::new("files");
    bar.set_length(files.len() as u64);
    let mut importer = Importer::new(store, usize::MAX);
    for file in files {
        let origin = file.display().to_string();
        bar.message(origin.clone());
        match read_document(file) {
            Err(e) => importer.reject_other(format!("{origin}: cannot read: {e}")),
            Ok(Err(too_large)) => importer.reject_document(&origin, &too_large),
            Ok(Ok(text)) => match parse(&text) {
                Ok(records) => importer.push_document(&origin, records).await?,
                Err(e) => importer.reject_document(&origin, &e),
            },
        }
        bar.advance(1);
    }
    bar.finish();
    Ok(importer.finish().await?)
}

/// A file's text, if it is not over [`limits::DOCUMENT_BYTES`] (read no
/// further than that).
fn read_document(file: &Path) -> std::io::Result<Result<String, SourceError>> {
    let limit = limits::DOCUMENT_BYTES as u64;
    let handle = std::fs::File::open(file)?;
    let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let mut text = String::new();
    if size <= limit {
        handle.take(limit + 1).read_to_string(&mut text)?;
    }
    if size > limit || text.len() as u64 > limit {
        return Ok(Err(SourceError::TooLarge {
            size: size.max(text.len() as u64),
            limit,
        }));
    }
    Ok(Ok(text))
}

/// Streams a snapshot file: a reader thread parses lines while this task
/// stores batches, so parsing and writing overlap and memory stays flat.
pub async fn import_snapshot(store: Arc<dyn Store>, file: &Path) -> Result<Summary> {
    let handle =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let length = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let origin = file.display().to_string();
    let bar = Bar::new("bytes");
    bar.set_length(length);
    let mut reader = SnapshotReader::new(BufReader::with_capacity(1 << 20, handle));
    let records = move || reader.next().map(|record| (record, reader.bytes_read()));
    let mut importer = Importer::new(store, STREAM_BATCH);
    import_stream(&mut importer, &origin, &bar, records).await?;
    bar.finish();
    Ok(importer.finish().await?)
}

/// Stores the records `next` reads (each with the bytes read so far) in
/// batches: a reader thread reads while this task stores, so reading and
/// writing overlap, and chunks of at most [`STREAM_BATCH`] records or about
/// [`BATCH_BYTES`] keep memory flat.
async fn import_stream(
    importer: &mut Importer,
    origin: &str,
    bar: &Bar,
    mut next: impl FnMut() -> Option<(Result<Listing, Rejected>, u64)> + Send + 'static,
) -> Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<Result<Listing, Rejected>>, u64)>(4);
    let reader_thread = std::thread::spawn(move || {
        let mut position = 0;
        loop {
            let (mut chunk, mut bytes, mut done) = (Vec::new(), 0, false);
            while chunk.len() < STREAM_BATCH && bytes < BATCH_BYTES {
                let Some((record, at)) = next() else {
                    done = true;
                    break;
                };
                bytes += record.as_ref().map_or(256, limits::approx_bytes);
                position = at;
                chunk.push(record);
            }
            if tx.blocking_send((chunk, position)).is_err() || done {
                break;
            }
        }
    });
    while let Some((chunk, position)) = rx.recv().await {
        for record in chunk {
            importer.push(origin, record).await?;
        }
        bar.set_position(position);
        bar.message(importer.summary().to_string());
    }
    reader_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the {origin} reader thread panicked"))?;
    Ok(())
}

/// The XML formats whose files are streamed.
#[derive(Clone, Copy)]
enum XmlKind {
    Atom,
    Oai,
}

/// The records of one XML file, one at a time, with the bytes read so far;
/// a document error ends them.
type XmlRecords =
    Box<dyn FnMut() -> Option<Result<(Result<Listing, Rejected>, u64), SourceError>> + Send>;

fn xml_records(kind: XmlKind, file: &Path) -> std::io::Result<XmlRecords> {
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    Ok(match kind {
        XmlKind::Atom => {
            let mut reader = AtomReader::new(input);
            Box::new(move || {
                let next = reader.next_entry().transpose()?;
                Some(next.map(|record| (record, reader.bytes_read())))
            })
        }
        XmlKind::Oai => {
            let mut reader = OaiReader::new(input);
            Box::new(move || {
                let next = reader.next_record().transpose()?;
                Some(next.map(|record| (record, reader.bytes_read())))
            })
        }
    })
}

/// Whether a whole XML file can be read (records and the end of the
/// document), keeping nothing.
fn check_xml(kind: XmlKind, file: &Path) -> std::io::Result<Result<(), SourceError>> {
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    Ok(match kind {
        XmlKind::Atom => AtomReader::new(input).check().map(drop),
        XmlKind::Oai => OaiReader::new(input).check().map(drop),
    })
}

/// Streams Atom or OAI-PMH files of any size. Each is read twice: once to
/// check that the whole document can be read, keeping nothing, so that a
/// document that cannot be read is rejected whole and nothing from it is
/// stored; then again to store its records in batches. Memory stays bounded
/// by a batch, whatever the size of the file.
async fn import_xml_files(
    store: Arc<dyn Store>,
    files: &[PathBuf],
    kind: XmlKind,
) -> Result<Summary> {
    let bar = Bar::new("bytes");
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    bar.set_length(2 * sizes.iter().sum::<u64>());
    let mut importer = Importer::new(store, STREAM_BATCH);
    let mut done = 0;
    for (file, size) in files.iter().zip(sizes) {
        let origin = file.display().to_string();
        bar.message(format!("checking {origin}"));
        let path = file.clone();
        let checked = tokio::task::spawn_blocking(move || check_xml(kind, &path)).await?;
        bar.set_position(done + size);
        match checked {
            Err(e) => importer.reject_other(format!("{origin}: cannot read: {e}")),
            Ok(Err(e)) => importer.reject_document(&origin, &e),
            Ok(Ok(())) => {
                let mut records = xml_records(kind, file)
                    .with_context(|| format!("cannot open {origin} again"))?;
                let failed = Arc::new(std::sync::Mutex::new(None));
                let seen = failed.clone();
                let next = move || match records() {
                    Some(Ok((record, at))) => Some((record, done + size + at)),
                    Some(Err(e)) => {
                        *seen.lock().expect("not poisoned") = Some(e);
                        None
                    }
                    None => None,
                };
                import_stream(&mut importer, &origin, &bar, next).await?;
                if let Some(e) = failed.lock().expect("not poisoned").take() {
                    // Checked a moment ago: the file changed in between.
                    importer.reject_other(format!("{origin}: changed while it was imported: {e}"));
                }
            }
        }
        done += 2 * size;
        bar.set_position(done);
    }
    bar.finish();
    Ok(importer.finish().await?)
}
