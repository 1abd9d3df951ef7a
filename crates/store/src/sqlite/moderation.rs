//! Moderation and shared rate-limit windows on SQLite: the SQL of
//! [`Moderation`] and little else.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{SqliteStore, millis};
use crate::StoreError;
use crate::codec::to_json;
use crate::community::{Comment, Member, comment_from_row, member_from_row};
use crate::moderation::{
    Moderation, RateHits, Sql, contains_pattern, in_key_order, totals_in_order,
};
use crate::paged;
use crate::retry::retrying;

static SQL: LazyLock<Sql> = LazyLock::new(|| Sql::new(|n| format!("?{n}"), "max"));

#[async_trait]
impl Moderation for SqliteStore {
    async fn find_members(
        &self,
        name: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Member>, StoreError> {
        let pattern = Some(contains_pattern(name));
        let rows = paged::page(&self.readers, &SQL.find_members, pattern, limit, offset).await?;
        rows.iter().map(member_from_row).collect()
    }

    async fn hidden_comments(&self, offset: u64, limit: u64) -> Result<Vec<Comment>, StoreError> {
        let rows = paged::page(&self.readers, &SQL.hidden_comments, None, limit, offset).await?;
        rows.iter().map(comment_from_row).collect()
    }

    async fn add_rate_hits(&self, hits: &[RateHits]) -> Result<Vec<u32>, StoreError> {
        if hits.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(&str, i64, u32)> = in_key_order(hits)
            .into_iter()
            .map(|h| (h.key.as_str(), h.window_start, h.hits))
            .collect();
        let rows = to_json(&rows);
        let sql = format!(
            "INSERT INTO rate_limits (key, window_start, hits) \
             SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1) WHERE true{}",
            SQL.add_hits
        );
        let stored = retrying("counting rate-limited actions", || async {
            Ok(sqlx::query_as(&sql)
                .bind(&rows)
                .fetch_all(&self.writer)
                .await?)
        })
        .await?;
        Ok(totals_in_order(hits, stored))
    }

    async fn prune_rate_limits(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(&SQL.prune)
            .bind(millis(before))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
