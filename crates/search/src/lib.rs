//! Keyword, semantic and hybrid search over the papers in the store.
//!
//! - [`keyword`]: the tantivy index (BM25, phrases, prefixes, filters, snippets);
//! - [`query`]: what people type, checked and parsed;
//! - [`fusion`]: how the keyword and semantic rankings become one;
//! - [`engine`]: the indexes and the model behind one `search` call, kept in
//!   step with the store;
//! - [`background`]: the loop that keeps them in step while the server runs;
//! - [`index_dir`]: the on-disk generations of the indexes;
//! - [`document`]: what of a paper each index sees.
//!
//! Relevance metrics over BEIR-layout collections, and the benchmarks, are
//! in `dailypapers-bench`.

pub mod background;
pub mod document;
pub mod engine;
pub mod fusion;
pub mod index_dir;
pub mod keyword;
pub mod query;

pub use engine::{
    EngineError, EngineOptions, Mode, RebuildReport, SearchEngine, SearchHit, SearchRequest,
    SearchResults,
};
