//! Digests: the daily (weekdays) and weekly mail of trending papers, and
//! the personal digest of a saved search, composed once per digest and
//! queued in the store's outbox, from which the senders of
//! `dailypapers_mail` deliver them.
//!
//! - [`schedule`]: which digests are due at a moment, in the feed's time
//!   zone (no I/O);
//! - [`templates`]: the subject, plain-text and HTML templates, built in
//!   and replaceable by files an operator keeps;
//! - [`compose`]: the papers each subscriber gets and the messages, queued
//!   page by page (see its docs for why no crash loses or doubles one);
//! - [`matcher`]: the papers matching a saved search, from the search
//!   engine;
//! - [`runner`]: the loop inside `serve` that composes due digests under a
//!   store lease, so that with several servers each is composed once.

pub mod compose;
pub mod matcher;
pub mod runner;
pub mod schedule;
pub mod templates;

pub use compose::{Composer, DigestOptions, Report};
pub use matcher::Matcher;
pub use runner::{DigestRunner, LEASE};
pub use schedule::{Frequency, Schedule, digest_name};
pub use templates::Templates;

/// Why a digest could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] dailypapers_store::StoreError),
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("composing the message to {to}: {message}")]
    Mail { to: String, message: String },
    #[error("searching for {query:?}: {message}")]
    Search { query: String, message: String },
}
