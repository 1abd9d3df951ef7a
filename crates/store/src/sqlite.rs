//! (being written)
use crate::*;
/// SQLite store.
pub struct SqliteStore;
