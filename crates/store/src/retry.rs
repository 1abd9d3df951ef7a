//! Which failed writes are tried again, and how often.
//!
//! A write transaction that meets another writer (SQLite: `SQLITE_BUSY`
//! once the busy timeout has passed, or `SQLITE_BUSY_SNAPSHOT`; PostgreSQL:
//! a serialization failure or a deadlock) has been rolled back whole, so
//! running it again from the start is safe: it reads the stored rows again
//! and merges with them. Anything else is returned at once.

use std::time::Duration;

use crate::StoreError;

/// How many times a write is tried in all.
pub const ATTEMPTS: u32 = 6;

/// Whether the error is a conflict with another writer that left nothing written.
pub fn is_conflict(err: &StoreError) -> bool {
    let StoreError::Database(sqlx::Error::Database(db)) = err else {
        return false;
    };
    let Some(code) = db.code() else {
        return false;
    };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLite's primary codes are the low byte of the extended code:
        // 5 SQLITE_BUSY (517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY), 6 SQLITE_LOCKED.
        code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
    } else {
        // SQLSTATE (PostgreSQL): serialization_failure, deadlock_detected.
        matches!(&*code, "40001" | "40P01")
    }
}

/// Runs `write` until it succeeds, fails with something other than a
/// conflict, or has been tried [`ATTEMPTS`] times, waiting a little longer
/// after each conflict.
pub async fn retrying<T, F, Fut>(what: &str, mut write: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 1;
    loop {
        match write().await {
            Err(e) if attempt < ATTEMPTS && is_conflict(&e) => {
                let wait = Duration::from_millis(50 << attempt.min(6));
                tracing::warn!(error = %e, attempt, ?wait, "{what}: another writer holds the store; trying again");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
