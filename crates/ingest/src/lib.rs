//! Ingestion: turning what arXiv and Hugging Face send into [`Listing`]s.
//!
//! Each source is a module that parses one kind of document, with no I/O:
//! - [`arxiv_atom`]: the arXiv API's Atom feeds (by id list or by query);
//! - [`oai`]: arXiv OAI-PMH `ListRecords` pages (`arXiv` and `oai_dc` formats);
//! - [`snapshot`]: the Kaggle arXiv metadata snapshot, JSON lines, streamed;
//! - [`hf_daily`]: the Hugging Face `/api/daily_papers` JSON.
//!
//! A record that cannot be read, or is over a size limit of
//! [`dailypapers_domain::limits`], is a [`Rejected`] saying where and why; a
//! document that cannot be read at all is a [`SourceError`]. Memory stays
//! bounded whatever the input: snapshot lines, XML text nodes, JSON documents
//! and HTTP bodies are each read up to a limit. The [`import`]
//! module batches listings into the store and counts what happened; the live
//! clients fetch documents politely over HTTP, [`run`] runs a live source
//! to the end (for `dailypapers ingest` and the scheduler alike), and
//! [`files`] imports recorded files of any size in bounded memory.
//!
//! [`Listing`]: dailypapers_domain::Listing

pub mod arxiv_atom;
pub mod clock;
mod error;
pub mod files;
pub mod hf_daily;
pub mod http;
pub mod import;
mod limit;
pub mod live;
pub mod oai;
pub mod run;
pub mod snapshot;
mod xml;

pub use error::{Rejected, SourceError};
pub use import::{Importer, Progress, Summary};
