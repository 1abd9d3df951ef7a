//! What can go wrong reading a source: a whole document ([`SourceError`]) or
//! one record in it ([`Rejected`]).

use std::fmt;

/// A document that could not be read at all: nothing from it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Not well-formed XML/JSON, or truncated.
    #[error("malformed {format} at line {line}, column {column}: {message}")]
    Malformed {
        /// "XML", "JSON", …
        format: &'static str,
        line: u64,
        column: u64,
        message: String,
    },
    /// Well-formed, but not the document expected (e.g. JSON object where an array was expected).
    #[error("unexpected document: {0}")]
    Unexpected(String),
    /// The service answered with an error (arXiv API error entry, OAI-PMH `<error>`).
    #[error("the service reported an error: {0}")]
    Service(String),
    /// Larger than a document read whole may be
    /// ([`dailypapers_domain::limits::DOCUMENT_BYTES`]); it was not read.
    #[error(
        "the document is {} bytes or more, over the limit of {} bytes for one document",
        dailypapers_domain::limits::thousands(*.size),
        dailypapers_domain::limits::thousands(*.limit)
    )]
    TooLarge {
        /// Its size, or how much of it was read before giving up.
        size: u64,
        limit: u64,
    },
}

/// One record that was rejected, with where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Where in the document: "record 3", "line 17", "entry 2 (2104.12255)".
    pub location: String,
    /// What was wrong and what was expected.
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

impl std::error::Error for Rejected {}
