//! Trending scores on PostgreSQL: the SQL of [`Trending`] and little else.
//! A refresh is read in one repeatable-read transaction and written in one
//! transaction under an advisory lock, so two servers replacing the scores
//! at once take turns.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{LISTING_COLUMNS, PostgresStore, listing_from_row, millis};
use crate::StoreError;
use crate::codec::timestamp;
use crate::paged;
use crate::retry::retrying;
use crate::trending::{
    COMPUTED_AT, PaperActivity, Sql, Trending, TrendingListing, TrendingScore, columns, instant,
    read_activity, trending_from_row,
};

static SQL: LazyLock<Sql> = LazyLock::new(|| Sql::new(|n| format!("${n}"), LISTING_COLUMNS));

/// The advisory lock a replacement of the scores holds ("dptrend").
const TRENDING_LOCK: i64 = 0x0064_7074_7265_6e64;

#[async_trait]
impl Trending for PostgresStore {
    async fn trending_activity(
        &self,
        since: DateTime<Utc>,
        recent_since: DateTime<Utc>,
    ) -> Result<Vec<PaperActivity>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The three reads see the same moment.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let activity = read_activity::<sqlx::Postgres>(&mut tx, &SQL, since, recent_since).await?;
        tx.commit().await?;
        Ok(activity)
    }

    async fn replace_trending(
        &self,
        scores: &[TrendingScore],
        computed_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (ids, values, reasons) = columns(scores);
        retrying("replacing the trending scores", || async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(TRENDING_LOCK)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM trending")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO trending (paper_id, score, reason, computed_at) \
                 SELECT u.paper, u.score, u.reason, $4 \
                 FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(paper, score, reason)",
            )
            .bind(&ids)
            .bind(&values)
            .bind(&reasons)
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
        let rows = paged::page(&self.pool, &SQL.page, None, limit, offset).await?;
        rows.iter()
            .map(|row| trending_from_row(row, listing_from_row(row)?))
            .collect()
    }

    async fn trending_computed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let value = paged::text_by_key(&self.pool, &SQL.computed_at, COMPUTED_AT).await?;
        value.as_deref().map(instant).transpose()
    }
}
