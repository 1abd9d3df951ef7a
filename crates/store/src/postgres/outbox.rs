//! The mail outbox on PostgreSQL: the SQL of [`Outbox`] and little else.
//! Rows are claimed with `FOR UPDATE SKIP LOCKED`, so senders on several
//! servers take different rows without waiting for each other.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{PostgresStore, millis, take_numbers};
use crate::StoreError;
use crate::codec::{to_i64, to_u64};
use crate::community::ms_of;
use crate::outbox::{
    ClaimedMail, NewMail, Outbox, OutboxCounts, SUSPENDED, Sql, address_key, suspends,
};
use crate::retry::retrying;

static SQL: LazyLock<Sql> = LazyLock::new(|| Sql::new(|n| format!("${n}")));

/// Queues `mails` in `tx`, skipping those already queued and those to a
/// suspended address; answers the batches of the rows added.
pub(super) async fn insert_mails<'m>(
    tx: &mut sqlx::PgConnection,
    mails: impl ExactSizeIterator<Item = &'m NewMail> + Clone,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let batches: Vec<&str> = mails.clone().map(|m| m.batch.as_str()).collect();
    let recipients: Vec<&str> = mails.clone().map(|m| m.recipient.as_str()).collect();
    let keys: Vec<String> = mails.clone().map(|m| address_key(&m.recipient)).collect();
    let message_ids: Vec<&str> = mails.clone().map(|m| m.message_id.as_str()).collect();
    let messages: Vec<&[u8]> = mails.clone().map(|m| m.message.as_slice()).collect();
    let first = take_numbers(&mut *tx, "mail", mails.len() as u64).await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (id, batch, recipient, message_id, message, state, attempts, \
           due_at, created_at) \
         SELECT $1 + n, b, r, i, m, 'pending', 0, $7, $7 \
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[]) \
              WITH ORDINALITY AS t (b, r, k, i, m, n) \
         WHERE NOT EXISTS (SELECT 1 FROM mail_suspensions s \
                           WHERE s.address = k AND s.suspended_at IS NOT NULL) \
         ON CONFLICT DO NOTHING RETURNING batch",
    )
    .bind(to_i64(first))
    .bind(&batches)
    .bind(&recipients)
    .bind(&keys)
    .bind(&message_ids)
    .bind(&messages)
    .bind(millis(now))
    .fetch_all(&mut *tx)
    .await?)
}

#[async_trait]
impl Outbox for PostgresStore {
    async fn enqueue_mail(&self, mails: &[NewMail], now: DateTime<Utc>) -> Result<u64, StoreError> {
        if mails.is_empty() {
            return Ok(0);
        }
        retrying("queueing mail", || async {
            let mut tx = self.pool.begin().await?;
            let added = insert_mails(&mut tx, mails.iter(), now).await?;
            tx.commit().await?;
            Ok(added.len() as u64)
        })
        .await
    }

    async fn claim_mail(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, StoreError> {
        let rows = retrying("claiming mail", || async {
            Ok(sqlx::query(
                "UPDATE outbox o SET claimed_by = $1, claimed_until = $2 + $3, \
                   attempts = o.attempts + 1 \
                 FROM (SELECT id FROM outbox WHERE state = 'pending' AND due_at <= $2 \
                         AND (claimed_until IS NULL OR claimed_until <= $2) \
                       ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) c \
                 WHERE o.id = c.id \
                 RETURNING o.id, o.batch, o.recipient, o.message_id, o.message, o.attempts",
            )
            .bind(holder)
            .bind(millis(now))
            .bind(ms_of(lease))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?)
        })
        .await?;
        let mut claimed: Vec<ClaimedMail> = rows
            .iter()
            .map(|r| ClaimedMail {
                id: to_u64(r.get("id")),
                batch: r.get("batch"),
                recipient: r.get("recipient"),
                message_id: r.get("message_id"),
                message: r.get("message"),
                attempts: u32::try_from(r.get::<i64, _>("attempts")).unwrap_or(u32::MAX),
            })
            .collect();
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn mail_sent(&self, id: u64, now: DateTime<Utc>) -> Result<(), StoreError> {
        retrying("recording a sent mail", || async {
            sqlx::query(&SQL.sent)
                .bind(to_i64(id))
                .bind(millis(now))
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    async fn mail_deferred(
        &self,
        id: u64,
        due: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        retrying("deferring a mail", || async {
            sqlx::query(&SQL.deferred)
                .bind(to_i64(id))
                .bind(millis(due))
                .bind(error)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    async fn mail_failed(
        &self,
        id: u64,
        error: &str,
        permanent: bool,
        suspend_after: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying("recording a failed mail", || async {
            let mut tx = self.pool.begin().await?;
            let recipient: Option<String> = sqlx::query_scalar(&SQL.failed)
                .bind(to_i64(id))
                .bind(error)
                .fetch_optional(&mut *tx)
                .await?;
            let mut suspended = false;
            if let (Some(recipient), true) = (recipient, permanent) {
                let key = address_key(&recipient);
                let failures: i64 = sqlx::query_scalar(&SQL.count_failure)
                    .bind(&key)
                    .bind(error)
                    .fetch_one(&mut *tx)
                    .await?;
                if suspends(failures, suspend_after) {
                    sqlx::query(&SQL.suspend)
                        .bind(&key)
                        .bind(millis(now))
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&SQL.fail_pending)
                        .bind(&key)
                        .bind(SUSPENDED)
                        .execute(&mut *tx)
                        .await?;
                    suspended = true;
                }
            }
            tx.commit().await?;
            Ok(suspended)
        })
        .await
    }

    async fn outbox_counts(&self, now: DateTime<Utc>) -> Result<OutboxCounts, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(&SQL.counts)
            .bind(millis(now))
            .fetch_all(&self.pool)
            .await?;
        let suspended: i64 = sqlx::query_scalar(&SQL.suspended_count)
            .fetch_one(&self.pool)
            .await?;
        Ok(crate::outbox::counts_of(&rows, suspended))
    }

    async fn mail_state(&self, message_id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(&SQL.state)
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}
