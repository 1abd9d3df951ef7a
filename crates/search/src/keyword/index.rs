//! The keyword index's schema, opening, writing and committing.

use std::path::Path;

use chrono::NaiveDate;
use dailypapers_domain::ArxivId;
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    DateOptions, Field, INDEXED, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::{DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analysis::{KeywordSettings, NAME_ANALYZER, TEXT_ANALYZER};
use super::{KeywordDoc, SearchError};

/// Memory the writer may use before it flushes a segment.
const WRITER_MEMORY: usize = 128 * 1024 * 1024;
/// Indexing threads (the writer is not the bottleneck of a sync).
const WRITER_THREADS: usize = 2;

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub doc: Field,
    pub id: Field,
    pub title: Field,
    pub summary: Field,
    pub authors: Field,
    pub categories: Field,
    pub organization: Field,
    pub published: Field,
    pub upvotes: Field,
}

pub(crate) const F_DOC: &str = "doc";
pub(crate) const F_PUBLISHED: &str = "published";
pub(crate) const F_UPVOTES: &str = "upvotes";

fn schema() -> Schema {
    let mut b = Schema::builder();
    let text = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let raw = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    b.add_u64_field(F_DOC, NumericOptions::default().set_indexed().set_fast());
    b.add_text_field("arxiv_id", raw.clone());
    b.add_text_field("title", text(TEXT_ANALYZER));
    b.add_text_field("abstract", text(TEXT_ANALYZER));
    b.add_text_field("authors", text(NAME_ANALYZER));
    b.add_text_field("categories", raw.clone().set_fast("raw"));
    b.add_text_field("organization", raw.set_fast("raw"));
    b.add_date_field(F_PUBLISHED, DateOptions::from(INDEXED).set_fast());
    b.add_u64_field(F_UPVOTES, NumericOptions::default().set_fast());
    b.build()
}

fn fields(schema: &Schema) -> Result<Fields, SearchError> {
    let f = |name: &str| schema.get_field(name).map_err(SearchError::Index);
    Ok(Fields {
        doc: f(F_DOC)?,
        id: f("arxiv_id")?,
        title: f("title")?,
        summary: f("abstract")?,
        authors: f("authors")?,
        categories: f("categories")?,
        organization: f("organization")?,
        published: f(F_PUBLISHED)?,
        upvotes: f(F_UPVOTES)?,
    })
}

/// The keyword index. Cheap to clone; clones share the index and its reader,
/// which sees every commit (at once for commits made through this handle,
/// shortly after for commits of another process).
#[derive(Clone)]
pub struct KeywordIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    pub(crate) settings: KeywordSettings,
    dir: String,
}

impl std::fmt::Debug for KeywordIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordIndex")
            .field("dir", &self.dir)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl KeywordIndex {
    /// Opens the index in `dir`, creating the directory and an empty index
    /// if needed.
    pub fn open_or_create(dir: &Path) -> Result<Self, SearchError> {
        let label = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|source| SearchError::CreateDir {
            dir: label.clone(),
            source,
        })?;
        let open_err = |source: tantivy::TantivyError| SearchError::Open {
            dir: label.clone(),
            source,
        };
        let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.into()))?;
        let index = Index::open_or_create(directory, schema()).map_err(open_err)?;
        Self::with_index(index, KeywordSettings::default(), label)
    }

    /// A new, empty index in memory, with the default settings.
    pub fn in_ram() -> Result<Self, SearchError> {
        Self::in_ram_with(KeywordSettings::default())
    }

    /// A new, empty index in memory analysed and weighed with `settings`
    /// (for measuring alternatives).
    pub fn in_ram_with(settings: KeywordSettings) -> Result<Self, SearchError> {
        Self::with_index(Index::create_in_ram(schema()), settings, "(memory)".into())
    }

    fn with_index(
        index: Index,
        settings: KeywordSettings,
        dir: String,
    ) -> Result<Self, SearchError> {
        index
            .tokenizers()
            .register(TEXT_ANALYZER, settings.text_analyzer());
        index
            .tokenizers()
            .register(NAME_ANALYZER, KeywordSettings::name_analyzer());
        let fields = fields(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(KeywordIndex {
            index,
            reader,
            fields,
            settings,
            dir,
        })
    }

    /// The settings the index analyses and weighs text with.
    pub fn settings(&self) -> &KeywordSettings {
        &self.settings
    }

    /// Takes the index's writer lock and returns the one writer. Fails with
    /// [`SearchError::Locked`] while another writer (of this or another
    /// process) holds it.
    pub fn writer(&self) -> Result<KeywordWriter, SearchError> {
        let threads = WRITER_THREADS.min(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        );
        let writer = self
            .index
            .writer_with_num_threads(threads, WRITER_MEMORY)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => SearchError::Locked {
                    dir: self.dir.clone(),
                },
                e => SearchError::Index(e),
            })?;
        Ok(KeywordWriter {
            writer,
            index: self.clone(),
        })
    }

    /// The sequence number of the last commit (its payload); 0 for an index
    /// never committed.
    pub fn committed_seq(&self) -> Result<u64, SearchError> {
        let metas = self.index.load_metas()?;
        match metas.payload {
            None => Ok(0),
            Some(p) => p.trim().parse().map_err(|_| SearchError::BadPayload {
                dir: self.dir.clone(),
                payload: p.chars().take(100).collect(),
            }),
        }
    }

    /// Segments the reader sees (each search visits every segment).
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Documents in the index, as of the last commit the reader has seen.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// The writer of a keyword index (there is one at a time). Changes are
/// visible to searches after [`commit`](KeywordWriter::commit); dropping the
/// writer without committing discards them.
pub struct KeywordWriter {
    writer: IndexWriter,
    index: KeywordIndex,
}

impl std::fmt::Debug for KeywordWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordWriter")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl KeywordWriter {
    /// Adds a document, replacing any with the same `doc`.
    pub fn upsert(&mut self, d: &KeywordDoc) -> Result<(), SearchError> {
        let f = self.index.fields;
        self.writer.delete_term(Term::from_field_u64(f.doc, d.doc));
        let mut td = TantivyDocument::default();
        td.add_u64(f.doc, d.doc);
        let id = ArxivId::parse(&d.arxiv_id)
            .map(|i| i.as_str().to_owned())
            .unwrap_or_else(|_| d.arxiv_id.trim().to_owned());
        if !id.is_empty() {
            td.add_text(f.id, &id);
        }
        td.add_text(f.title, &d.title);
        td.add_text(f.summary, &d.summary);
        for a in &d.authors {
            td.add_text(f.authors, a);
        }
        for c in &d.categories {
            let c = c.trim().to_lowercase();
            if !c.is_empty() {
                td.add_text(f.categories, &c);
            }
        }
        if let Some(org) = &d.organization {
            let org = org.trim().to_lowercase();
            if !org.is_empty() {
                td.add_text(f.organization, &org);
            }
        }
        if let Some(day) = d.published {
            td.add_date(f.published, date_value(day));
        }
        td.add_u64(f.upvotes, u64::from(d.upvotes));
        self.writer.add_document(td)?;
        Ok(())
    }

    /// Removes the document `doc`, if present.
    pub fn delete(&mut self, doc: u64) {
        self.writer
            .delete_term(Term::from_field_u64(self.index.fields.doc, doc));
    }

    /// Makes every change so far durable and visible, recording `seq` (the
    /// store's change sequence the index is now up to) as the commit payload.
    pub fn commit(&mut self, seq: u64) -> Result<(), SearchError> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&seq.to_string());
        prepared.commit()?;
        self.index.reader.reload()?;
        Ok(())
    }

    /// Discards the changes since the last commit.
    pub fn rollback(&mut self) -> Result<(), SearchError> {
        self.writer.rollback()?;
        Ok(())
    }
}

/// A day as the index stores it: midnight UTC.
pub(crate) fn date_value(day: NaiveDate) -> DateTime {
    let secs = day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0);
    DateTime::from_timestamp_secs(secs)
}
