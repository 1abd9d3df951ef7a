//! Trending scores on SQLite: the SQL of [`Trending`] and little else. A
//! refresh is read from the read pool in one read transaction and written
//! through the one writer connection in one `BEGIN IMMEDIATE` transaction.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{BEGIN_WRITE, LISTING_COLUMNS, SqliteStore, listing_from_row, millis};
use crate::StoreError;
use crate::codec::{timestamp, to_json};
use crate::paged;
use crate::retry::retrying;
use crate::trending::{
    COMPUTED_AT, PaperActivity, Sql, Trending, TrendingListing, TrendingScore, columns, instant,
    read_activity, trending_from_row,
};

static SQL: LazyLock<Sql> = LazyLock::new(|| Sql::new(|n| format!("?{n}"), LISTING_COLUMNS));

#[async_trait]
impl Trending for SqliteStore {
    async fn trending_activity(
        &self,
        since: DateTime<Utc>,
        recent_since: DateTime<Utc>,
    ) -> Result<Vec<PaperActivity>, StoreError> {
        // One read transaction: the three reads see the same moment.
        let mut tx = self.readers.begin().await?;
        let activity = read_activity::<sqlx::Sqlite>(&mut tx, &SQL, since, recent_since).await?;
        tx.commit().await?;
        Ok(activity)
    }

    async fn replace_trending(
        &self,
        scores: &[TrendingScore],
        computed_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (ids, values, reasons) = columns(scores);
        let rows: Vec<(&str, i64, &str)> = ids
            .into_iter()
            .zip(values)
            .zip(reasons)
            .map(|((i, v), r)| (i, v, r))
            .collect();
        let rows = to_json(&rows);
        retrying("replacing the trending scores", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            sqlx::query("DELETE FROM trending")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO trending (paper_id, score, reason, computed_at) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, ?2 FROM json_each(?1)",
            )
            .bind(&rows)
            .bind(millis(computed_at))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&SQL.stamp)
                .bind(COMPUTED_AT)
                .bind(timestamp(computed_at))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn trending(&self, offset: u64, limit: u64) -> Result<Vec<TrendingListing>, StoreError> {
        let rows = paged::page(&self.readers, &SQL.page, None, limit, offset).await?;
        rows.iter()
            .map(|row| trending_from_row(row, listing_from_row(row)?))
            .collect()
    }

    async fn trending_computed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let value = paged::text_by_key(&self.readers, &SQL.computed_at, COMPUTED_AT).await?;
        value.as_deref().map(instant).transpose()
    }
}
