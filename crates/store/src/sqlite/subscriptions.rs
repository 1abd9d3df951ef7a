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
    DigestMail, DigestRecord, NewSubscription, Sql, Step, Subscribed, Subscription, Subscriptions,
    UNSUBSCRIBED, digest_batches_of, digest_from_row, subscription_from_row,
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
        retrying("unsubscribing", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            let row = sqlx::query(&SQL.unsubscribe)
                .bind(unsubscribe_token)
                .bind(millis(now))
                .fetch_optional(&mut *tx)
                .await?;
            let ended = row.as_ref().map(subscription_from_row).transpose()?;
            if let Some(s) = &ended {
                sqlx::query(&SQL.drop_pending)
                    .bind(&s.email)
                    .bind(digest_batches_of(s.id))
                    .bind(UNSUBSCRIBED)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(ended)
        })
        .await
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

    async fn subscriptions_of(
        &self,
        member_id: u64,
        email: &str,
    ) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(&SQL.of_member)
            .bind(to_i64(member_id))
            .bind(address_key(email))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(subscription_from_row).collect()
    }

    async fn digest(&self, name: &str) -> Result<Option<DigestRecord>, StoreError> {
        let row = sqlx::query(&SQL.digest)
            .bind(name)
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(digest_from_row).transpose()
    }

    async fn start_digest(
        &self,
        name: &str,
        frequency: &str,
        now: DateTime<Utc>,
    ) -> Result<DigestRecord, StoreError> {
        let row = retrying("starting a digest", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            sqlx::query(&SQL.start_digest)
                .bind(name)
                .bind(frequency)
                .bind(millis(now))
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query(&SQL.digest)
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(row)
        })
        .await?;
        digest_from_row(&row)
    }

    async fn queue_digest(
        &self,
        name: &str,
        mails: &[DigestMail],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if mails.is_empty() {
            return Ok(0);
        }
        retrying("queueing a digest", || async {
            let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
            let first = take_numbers(&mut tx, "mail", mails.len() as u64).await?;
            let mut added = 0;
            for (i, m) in mails.iter().enumerate() {
                let new =
                    super::outbox::insert_mail(&mut tx, first + i as u64 + 1, &m.mail, now).await?;
                if new == 0 {
                    continue;
                }
                added += 1;
                for paper in &m.papers {
                    sqlx::query(&SQL.record_paper)
                        .bind(to_i64(m.subscription_id))
                        .bind(paper)
                        .bind(name)
                        .bind(millis(now))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sqlx::query(&SQL.count_queued)
                .bind(name)
                .bind(to_i64(added))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(added)
        })
        .await
    }

    async fn finish_digest(&self, name: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        retrying("finishing a digest", || async {
            sqlx::query(&SQL.finish_digest)
                .bind(name)
                .bind(millis(now))
                .execute(&self.writer)
                .await?;
            Ok(())
        })
        .await
    }

    async fn recent_digests(&self, limit: u32) -> Result<Vec<DigestRecord>, StoreError> {
        let rows = sqlx::query(&SQL.recent_digests)
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(digest_from_row).collect()
    }

    async fn papers_sent(&self, pairs: &[(u64, String)]) -> Result<Vec<(u64, String)>, StoreError> {
        let mut conn = self.readers.acquire().await?;
        let mut sent = Vec::new();
        for (subscription, paper) in pairs {
            let found = sqlx::query(&SQL.sent)
                .bind(to_i64(*subscription))
                .bind(paper)
                .fetch_optional(&mut *conn)
                .await?;
            if found.is_some() {
                sent.push((*subscription, paper.clone()));
            }
        }
        Ok(sent)
    }
}
