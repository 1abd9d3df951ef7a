//! Digest subscriptions on PostgreSQL: the SQL of [`Subscriptions`] and little
//! else.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{PostgresStore, millis, take_numbers};
use crate::StoreError;
use crate::codec::to_i64;
use crate::codec::to_u64;
use crate::outbox::address_key;
use crate::retry::retrying;
use crate::subscriptions::{
    DigestMail, DigestRecord, NewSubscription, Sql, Step, Subscribed, Subscription, Subscriptions,
    UNSUBSCRIBED, digest_batches_of, digest_from_row, subscription_from_row,
};

static SQL: LazyLock<Sql> = LazyLock::new(|| Sql::new(|n| format!("${n}")));

#[async_trait]
impl Subscriptions for PostgresStore {
    async fn subscribe(&self, new: &NewSubscription) -> Result<Subscribed, StoreError> {
        let key = address_key(&new.email);
        retrying("subscribing", || async {
            let mut tx = self.pool.begin().await?;
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
                .fetch_optional(&self.pool)
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
            let mut tx = self.pool.begin().await?;
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
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(subscription_from_row).collect()
    }

    async fn digest(&self, name: &str) -> Result<Option<DigestRecord>, StoreError> {
        let row = sqlx::query(&SQL.digest)
            .bind(name)
            .fetch_optional(&self.pool)
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
            sqlx::query(&SQL.start_digest)
                .bind(name)
                .bind(frequency)
                .bind(millis(now))
                .execute(&self.pool)
                .await?;
            Ok(sqlx::query(&SQL.digest)
                .bind(name)
                .fetch_one(&self.pool)
                .await?)
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
            let mut tx = self.pool.begin().await?;
            let added =
                super::outbox::insert_mails(&mut tx, mails.iter().map(|m| &m.mail), now).await?;
            let added_batches: std::collections::HashSet<&str> =
                added.iter().map(String::as_str).collect();
            let (mut subs, mut papers) = (Vec::new(), Vec::new());
            for m in mails
                .iter()
                .filter(|m| added_batches.contains(m.mail.batch.as_str()))
            {
                for paper in &m.papers {
                    subs.push(to_i64(m.subscription_id));
                    papers.push(paper.as_str());
                }
            }
            sqlx::query(
                "INSERT INTO digest_papers (subscription_id, paper_id, digest, sent_at) \
                 SELECT s, p, $3, $4 FROM unnest($1::bigint[], $2::text[]) AS t (s, p) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&subs)
            .bind(&papers)
            .bind(name)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&SQL.count_queued)
                .bind(name)
                .bind(to_i64(added.len() as u64))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(added.len() as u64)
        })
        .await
    }

    async fn finish_digest(&self, name: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        retrying("finishing a digest", || async {
            sqlx::query(&SQL.finish_digest)
                .bind(name)
                .bind(millis(now))
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    async fn recent_digests(&self, limit: u32) -> Result<Vec<DigestRecord>, StoreError> {
        let rows = sqlx::query(&SQL.recent_digests)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(digest_from_row).collect()
    }

    async fn papers_sent(&self, pairs: &[(u64, String)]) -> Result<Vec<(u64, String)>, StoreError> {
        let subs: Vec<i64> = pairs.iter().map(|(s, _)| to_i64(*s)).collect();
        let papers: Vec<&str> = pairs.iter().map(|(_, p)| p.as_str()).collect();
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT d.subscription_id, d.paper_id \
             FROM unnest($1::bigint[], $2::text[]) AS t (s, p) \
             JOIN digest_papers d ON d.subscription_id = t.s AND d.paper_id = t.p",
        )
        .bind(&subs)
        .bind(&papers)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(s, p)| (to_u64(s), p)).collect())
    }
}
