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
    /// A backup could not be made or checked.
    #[error("backup to {path}: {why}")]
    Backup { path: String, why: String },
}
