//! Importing recorded files, as `dailypapers ingest` does: whole documents
//! (Hugging Face JSON, one batch each), and streams of any size (the Kaggle
//! snapshot, Atom and OAI-PMH files) stored in batches while a reader thread
//! reads ahead, so memory stays bounded whatever the size of the input. A
//! JSON file is read whole only up to [`limits::DOCUMENT_BYTES`].

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dailypapers_domain::{Listing, limits};
use dailypapers_store::{Store, StoreError};

use crate::arxiv_atom::AtomReader;
use crate::import::BATCH_BYTES;
use crate::oai::OaiReader;
use crate::snapshot::SnapshotReader;
use crate::{Importer, Progress, Rejected, SourceError, Summary};

/// Listings per transaction when streaming large files.
pub const STREAM_BATCH: usize = 2_000;

/// Why a file import could not go on (a file that cannot be read is not one
/// of these: it is rejected in the summary, and the import goes on).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A file that was there a moment ago cannot be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The thread reading the file died.
    #[error("the reader of {0} stopped unexpectedly")]
    Reader(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports whole documents (one batch each): a document that cannot be read
/// is rejected whole, and nothing from it is stored. A file over
/// [`limits::DOCUMENT_BYTES`] is refused without being read.
pub async fn import_documents(
    store: Arc<dyn Store>,
    files: &[PathBuf],
    progress: &dyn Progress,
    parse: impl Fn(&str) -> Result<Vec<Result<Listing, Rejected>>, SourceError>,
) -> Result<Summary, FileError> {
    let bar = progress;
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
pub async fn import_snapshot(
    store: Arc<dyn Store>,
    file: &Path,
    progress: &dyn Progress,
) -> Result<Summary, FileError> {
    let handle = std::fs::File::open(file).map_err(|source| FileError::Open {
        path: file.display().to_string(),
        source,
    })?;
    let length = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let origin = file.display().to_string();
    let bar = progress;
    bar.set_length(length);
    let mut reader = SnapshotReader::new(BufReader::with_capacity(1 << 20, handle));
    let records = move || reader.next().map(|record| (record, reader.bytes_read()));
    let mut importer = Importer::new(store, STREAM_BATCH);
    import_stream(&mut importer, &origin, bar, records).await?;
    Ok(importer.finish().await?)
}

/// Stores the records `next` reads (each with the bytes read so far) in
/// batches: a reader thread reads while this task stores, so reading and
/// writing overlap, and chunks of at most [`STREAM_BATCH`] records or about
/// [`BATCH_BYTES`] keep memory flat.
async fn import_stream(
    importer: &mut Importer,
    origin: &str,
    bar: &dyn Progress,
    mut next: impl FnMut() -> Option<(Result<Listing, Rejected>, u64)> + Send + 'static,
) -> Result<(), FileError> {
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
        .map_err(|_| FileError::Reader(origin.to_string()))?;
    Ok(())
}

/// The XML formats whose files are streamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XmlKind {
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
pub async fn import_xml_files(
    store: Arc<dyn Store>,
    files: &[PathBuf],
    kind: XmlKind,
    progress: &dyn Progress,
) -> Result<Summary, FileError> {
    let bar = progress;
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
        let checked = tokio::task::spawn_blocking(move || check_xml(kind, &path))
            .await
            .map_err(|_| FileError::Reader(origin.clone()))?;
        bar.set_position(done + size);
        match checked {
            Err(e) => importer.reject_other(format!("{origin}: cannot read: {e}")),
            Ok(Err(e)) => importer.reject_document(&origin, &e),
            Ok(Ok(())) => {
                let mut records = xml_records(kind, file).map_err(|source| FileError::Open {
                    path: origin.clone(),
                    source,
                })?;
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
                import_stream(&mut importer, &origin, bar, next).await?;
                if let Some(e) = failed.lock().expect("not poisoned").take() {
                    // Checked a moment ago: the file changed in between.
                    importer.reject_other(format!("{origin}: changed while it was imported: {e}"));
                }
            }
        }
        done += 2 * size;
        bar.set_position(done);
    }
    Ok(importer.finish().await?)
}
