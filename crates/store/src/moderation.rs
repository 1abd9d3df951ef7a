//! What admins and the abuse limits read and write beyond
//! [`crate::community`]: members found by name, the hidden comments, and
//! rate-limit hits counted by each process and added to the shared windows
//! in batches. [`Moderation`] is part of every store (a supertrait of
//! [`crate::Store`]), kept in both backends and checked by the same tests.
//!
//! # Contract
//!
//! - **Hits add up across processes.** [`Moderation::add_rate_hits`] adds
//!   each key's hits to the shared counter of its fixed window (the same
//!   `rate_limits` rows [`crate::Community::rate_limit`] counts in) and
//!   answers the window's total, everybody's hits included; hits for a
//!   window older than the stored one are dropped. The keys of one batch
//!   are written in key order, so batches from several servers never wait
//!   for each other in a cycle.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;
use crate::community::{COMMENT_COLUMNS, Comment, MEMBER_COLUMNS, Member};

/// Hits of one key to add to its window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateHits {
    /// What is counted and for whom (`search:203.0.113.9`, `vote:42`).
    pub key: String,
    /// The start of the fixed window, in milliseconds since the epoch.
    pub window_start: i64,
    pub hits: u32,
}

/// Members and comments for the admin page, and shared rate-limit windows.
#[async_trait]
pub trait Moderation: Send + Sync {
    /// Members whose username or display name contains `name` (any case;
    /// every member when `None`), by username, `limit` from `offset`.
    async fn find_members(
        &self,
        name: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Member>, StoreError>;

    /// Comments hidden by an admin and not deleted, most recently hidden first.
    async fn hidden_comments(&self, offset: u64, limit: u64) -> Result<Vec<Comment>, StoreError>;

    /// Adds each key's hits to its shared window and answers, in the same
    /// order, the window's total of hits (see the contract). Keys are
    /// distinct within a batch.
    async fn add_rate_hits(&self, hits: &[RateHits]) -> Result<Vec<u32>, StoreError>;

    /// Removes the rate-limit windows that started before `before` (their
    /// counts no longer limit anything); answers how many.
    async fn prune_rate_limits(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// A `LIKE` pattern matching text that contains `name`, lower-cased, with
/// `\` escaping the pattern's own characters (any text, for `None`).
pub(crate) fn contains_pattern(name: Option<&str>) -> String {
    let name = name.unwrap_or("");
    let mut p = String::with_capacity(name.len() + 2);
    p.push('%');
    for c in name.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The SQL both backends run, with their placeholders (`?1` on SQLite,
/// `$1` on PostgreSQL).
pub(crate) struct Sql {
    /// Members matching the pattern `1`, `2` rows from `3`.
    pub find_members: String,
    /// Hidden comments, `1` rows from `2`.
    pub hidden_comments: String,
    /// What follows the rows of an insert into `rate_limits`: adding hits
    /// to the stored window, answering `key, window_start, hits`.
    pub add_hits: String,
    /// Removes windows that started before `1`.
    pub prune: String,
}

impl Sql {
    /// The statements with placeholder `n` written by `p`; `greatest` is
    /// the backend's larger-of-two function.
    pub(crate) fn new(p: fn(u8) -> String, greatest: &str) -> Self {
        let (p1, p2, p3) = (p(1), p(2), p(3));
        Sql {
            find_members: format!(
                "SELECT {MEMBER_COLUMNS} FROM members m \
                 WHERE m.username_key LIKE {p1} ESCAPE '\\' \
                    OR lower(coalesce(m.display_name, '')) LIKE {p1} ESCAPE '\\' \
                 ORDER BY m.username_key LIMIT {p2} OFFSET {p3}"
            ),
            hidden_comments: format!(
                "SELECT {COMMENT_COLUMNS} FROM comments c JOIN members m ON m.id = c.member_id \
                 WHERE c.hidden_at IS NOT NULL AND c.deleted_at IS NULL \
                 ORDER BY c.hidden_at DESC, c.id DESC LIMIT {p1} OFFSET {p2}"
            ),
            add_hits: format!(
                " ON CONFLICT (key) DO UPDATE SET \
                   hits = CASE \
                     WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + excluded.hits \
                     WHEN rate_limits.window_start > excluded.window_start THEN rate_limits.hits \
                     ELSE excluded.hits END, \
                   window_start = {greatest}(rate_limits.window_start, excluded.window_start) \
                 RETURNING key, window_start, hits"
            ),
            prune: format!("DELETE FROM rate_limits WHERE window_start < {p1}"),
        }
    }
}

/// The batch in key order, the order it is written in.
pub(crate) fn in_key_order(hits: &[RateHits]) -> Vec<&RateHits> {
    let mut sorted: Vec<&RateHits> = hits.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    sorted
}

/// Puts `(key, window_start, hits)` rows answered by the database back in
/// the caller's order: a key whose stored window is not the one its hits
/// were for counts as 0 (its hits were dropped, and its own window has none).
pub(crate) fn totals_in_order(hits: &[RateHits], rows: Vec<(String, i64, i64)>) -> Vec<u32> {
    let by_key: std::collections::HashMap<String, (i64, i64)> =
        rows.into_iter().map(|(k, w, n)| (k, (w, n))).collect();
    hits.iter()
        .map(|h| match by_key.get(&h.key) {
            Some(&(w, n)) if w == h.window_start => u32::try_from(n).unwrap_or(u32::MAX),
            _ => 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_their_own_characters() {
        assert_eq!(contains_pattern(Some(" Ada ")), "%ada%");
        assert_eq!(contains_pattern(Some("a_b%c\\")), "%a\\_b\\%c\\\\%");
        assert_eq!(contains_pattern(None), "%%", "any text");
    }
}
