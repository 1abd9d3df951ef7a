//! The keyword index: BM25 over titles, abstracts, authors, categories and
//! arXiv ids, kept in tantivy.
//!
//! It owns the index schema and analyzers ([`analysis`]), writing and
//! committing ([`KeywordIndex`], [`KeywordWriter`]), searching with filters
//! and sorts, and snippets with the query words highlighted ([`Snippet`]).
//! Documents are known by the store's document number (`doc`); the index
//! stores no text, only what it needs to match, filter and sort.
//!
//! Relevance queries are a disjunction of per-field term queries, which
//! tantivy answers with block-max WAND; phrases and filters add required
//! clauses. Results are deterministic: equal scores are ordered by `doc`.

pub mod analysis;
mod collect;
mod index;
mod search;
mod snippet;

use std::ops::Range;

use chrono::NaiveDate;

pub use analysis::{FieldBoosts, KeywordSettings, Stemming, StopWords};
pub use index::{KeywordIndex, KeywordWriter};
pub use search::COUNT_CAP_PER_SEGMENT;

/// What the keyword index knows of a paper.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeywordDoc {
    /// The store's document number; the index's key.
    pub doc: u64,
    /// The arXiv id, any accepted form (it is indexed canonical, without version).
    pub arxiv_id: String,
    /// The title.
    pub title: String,
    /// The abstract.
    pub summary: String,
    /// Author names.
    pub authors: Vec<String>,
    /// arXiv categories, e.g. `cs.CL`.
    pub categories: Vec<String>,
    /// The organisation the paper is listed under, if any.
    pub organization: Option<String>,
    /// The publication day.
    pub published: Option<NaiveDate>,
    /// Community upvotes.
    pub upvotes: u32,
}

/// Restrictions on which papers match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Published on or after this day.
    pub from: Option<NaiveDate>,
    /// Published on or before this day.
    pub to: Option<NaiveDate>,
    /// In any of these categories (case-insensitive); empty means any.
    pub categories: Vec<String>,
    /// Listed under this organisation (exact name, case-insensitive).
    pub organization: Option<String>,
}

impl Filters {
    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.categories.is_empty()
            && self.organization.is_none()
    }
}

/// The order of results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Sort {
    /// Best BM25 score first.
    #[default]
    Relevance,
    /// Latest publication day first (papers without one last).
    Newest,
    /// Most upvotes first.
    Upvotes,
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "relevance" => Ok(Sort::Relevance),
            "newest" | "date" => Ok(Sort::Newest),
            "upvotes" => Ok(Sort::Upvotes),
            other => Err(format!(
                "unknown order {:?}: expected relevance, newest or upvotes",
                other.chars().take(40).collect::<String>()
            )),
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeywordPage {
    /// How many papers match; exact when `total_is_exact`, otherwise an
    /// estimate (see [`COUNT_CAP_PER_SEGMENT`]).
    pub total: usize,
    /// Whether `total` was counted exactly.
    pub total_is_exact: bool,
    /// The hits of the page, in order.
    pub hits: Vec<KeywordHit>,
}

/// One result: the document and its BM25 score (whatever the sort).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeywordHit {
    /// The store's document number.
    pub doc: u64,
    /// The BM25 score.
    pub score: f32,
}

/// An excerpt of a text with the query words marked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    /// The excerpt, with `…` where it was cut.
    pub text: String,
    /// Byte ranges of `text` to highlight, in order, not overlapping.
    pub highlights: Vec<Range<usize>>,
}

/// Errors of the keyword index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Another writer (usually another process) holds the index's writer lock.
    #[error(
        "the keyword index in {dir} is locked by another writer (is another dailypapers process \
         indexing?)"
    )]
    Locked {
        /// The index directory.
        dir: String,
    },
    /// The index directory could not be created or opened.
    #[error("cannot open the keyword index in {dir}: {source}")]
    Open {
        /// The index directory.
        dir: String,
        /// The cause.
        #[source]
        source: tantivy::TantivyError,
    },
    /// The index directory could not be created.
    #[error("cannot create the keyword index directory {dir}: {source}")]
    CreateDir {
        /// The index directory.
        dir: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The last commit's payload is not the sequence number this index writes.
    #[error("the keyword index in {dir} has an unreadable commit payload {payload:?}")]
    BadPayload {
        /// The index directory.
        dir: String,
        /// The payload found.
        payload: String,
    },
    /// Any other failure of the index (I/O, corruption).
    #[error("keyword index error: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl Snippet {
    /// The excerpt as HTML: text escaped, highlights wrapped in `<mark>`.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16 * self.highlights.len());
        let mut at = 0;
        for r in &self.highlights {
            escape_into(&self.text[at..r.start], &mut out);
            out.push_str("<mark>");
            escape_into(&self.text[r.clone()], &mut out);
            out.push_str("</mark>");
            at = r.end;
        }
        escape_into(&self.text[at..], &mut out);
        out
    }
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
