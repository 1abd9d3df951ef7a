//! The store's error type.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store URL could not be understood.
    #[error("invalid store URL {url:?}: {why}")]
    BadUrl { url: String, why: String },
    /// The database could not be opened (`target` is the redacted URL).
    #[error("cannot open the database at {target}: {source}")]
    Open {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    /// Applying schema migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row could not be read back (corrupt or from a newer version).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// A copy was asked into a store that already holds data.
    #[error("{0} already holds data: copy into an empty store, or pass --merge to merge into it")]
    NotEmpty(String),
    /// A copy failed part-way: the target holds what was copied before.
    #[error(
        "the copy stopped at table {table}: {source}; the target holds part of the copy: empty it and copy again, or copy again with --merge"
    )]
    CopyStopped {
        table: &'static str,
        #[source]
        source: Box<StoreError>,
    },
    /// A finished copy does not read back as its source.
    #[error("the copy differs from its source in: {0}")]
    CopyDiffers(String),
    /// A unique name is in use (`what`: "username", "email").
    #[error("that {what} is already taken")]
    Taken { what: &'static str },
    /// A write batched with others failed (every write of the batch gets it).
    #[error("{0}")]
    Batch(std::sync::Arc<StoreError>),
    /// The store was closed while a write waited.
    #[error("the store is closed")]
    Closed,
    /// A backup could not be made or checked.
    #[error("backup to {path}: {why}")]
    Backup { path: String, why: String },
}

impl StoreError {
    /// Whether the database cannot be reached now (down, restarting, the
    /// network gone, every connection busy past the wait): the request may
    /// succeed later unchanged, so a server answers 503, not 500.
    pub fn is_unavailable(&self) -> bool {
        if let StoreError::Batch(inner) = self {
            return inner.is_unavailable();
        }
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                // connection_exception (08…), admin_shutdown,
                // crash_shutdown, cannot_connect_now.
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }
}
