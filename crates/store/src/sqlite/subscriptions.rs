//! Digest subscriptions on SQLite: the SQL of [`Subscriptions`] and little
//! else.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{BEGIN_WRITE, SqliteStore, millis, take_numbers};
use crate::StoreError;
use crate::codec::to_i64;
use crate::outbox::address_key;
use crate::retry::retrying;
use crate::subscriptions::{
    NewSubscription, Sql, Step, Subscribed, Subscription, Subscriptions, subscription_from_row,
};

static SQL: LazyLock<Sql> = LazyLock::new(|| Sql::new(|n| format!("?{n}")));

#[async_trait]
impl Subscriptions for SqliteStore {
    async fn subscribe(&self, new: &NewSubscription) -> Result<Subscribed, StoreError> {
        let key = address_key(&new.email);
        retrying("subscribing", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            let existing: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(&SQL.existing)
                .bind(&key)
                .bind(&new.frequency)
                .bind(&new.query)
                .fetch_optional(&mut *tx)
                .await?;
            let done = match Step::of(existing) {
                Step::Keep => Subscribed::AlreadyActive,
                Step::Renew(id) => {
                    sqlx::query(&SQL.renew)
                        .bind(id)
                        .bind(&new.confirm_hash)
                        .bind(millis(new.confirm_until))
                        .bind(&new.unsubscribe_token)
                        .bind(new.member_id.map(to_i64))
                        .execute(&mut *tx)
                        .await?;
                    Subscribed::Renewed
                }
                Step::Insert => {
                    let id = take_numbers(&mut tx, "subscription", 1).await? + 1;
                    sqlx::query(&SQL.insert)
                        .bind(to_i64(id))
                        .bind(new.email.trim())
                        .bind(&key)
                        .bind(&new.frequency)
                        .bind(&new.query)
                        .bind(new.member_id.map(to_i64))
                        .bind(&new.confirm_hash)
                        .bind(millis(new.confirm_until))
                        .bind(&new.unsubscribe_token)
                        .bind(millis(new.now))
                        .execute(&mut *tx)
                        .await?;
                    Subscribed::New
                }
            };
            tx.commit().await?;
            Ok(done)
        })
        .await
    }

    async fn confirm_subscription(
        &self,
        confirm_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscription>, StoreError> {
        let row = retrying("confirming a subscription", || async {
            Ok(sqlx::query(&SQL.confirm)
                .bind(confirm_hash)
                .bind(millis(now))
                .fetch_optional(&self.writer)
                .await?)
        })
        .await?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    async fn unsubscribe(
        &self,
        unsubscribe_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscription>, StoreError> {
        let row = retrying("unsubscribing", || async {
            Ok(sqlx::query(&SQL.unsubscribe)
                .bind(unsubscribe_token)
                .bind(millis(now))
                .fetch_optional(&self.writer)
                .await?)
        })
        .await?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    async fn subscribers(
        &self,
        frequency: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(&SQL.subscribers)
            .bind(frequency)
            .bind(to_i64(after))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(subscription_from_row).collect()
    }
}
