//! The mail outbox: every message the instance sends is a row before it is
//! sent, so that no crash loses one and no retry makes two. [`Outbox`] is
//! part of every store (a supertrait of [`crate::Store`]), kept in both
//! backends and checked by the same tests.
//!
//! # Contract
//!
//! - **Composing is atomic and idempotent.** [`Outbox::enqueue_mail`]
//!   stores a whole batch in one transaction or nothing; a message whose
//!   (batch, recipient) is already stored is skipped, and so is one to a
//!   suspended address. Composing a digest twice adds nothing.
//! - **One sender at a time.** [`Outbox::claim_mail`] hands each due row to
//!   one claimant until its claim expires (`lease`), whatever the number
//!   of processes claiming; an expired claim (its sender died) is handed
//!   out again, the attempt counted.
//! - **Outcomes are final.** A row marked sent or failed is never claimed
//!   again; a deferred row waits until its new due time.
//! - **Suspension.** Each permanent refusal of an address is counted; at
//!   the configured count the address is suspended, its pending rows fail,
//!   and nothing more is queued for it.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;

/// One message to queue: its bytes are composed, Message-ID included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMail {
    /// What it belongs to (`digest:daily:2025-12-01`, `account:reset:…`).
    pub batch: String,
    /// The envelope recipient.
    pub recipient: String,
    /// The Message-ID header's value, unique per row.
    pub message_id: String,
    /// The whole RFC 5322 message.
    pub message: Vec<u8>,
}

/// A row handed to a sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedMail {
    pub id: u64,
    pub batch: String,
    pub recipient: String,
    pub message_id: String,
    pub message: Vec<u8>,
    /// This attempt's number (1 for the first).
    pub attempts: u32,
}

/// What the outbox holds, by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    /// Pending rows whose last try failed and that wait for the next.
    pub retrying: u64,
    pub suspended_addresses: u64,
}

/// The outbox (see the module's contract).
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Queues `mails` in one transaction; answers how many were added
    /// (duplicates and suspended addresses are skipped).
    async fn enqueue_mail(&self, mails: &[NewMail], now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Claims up to `limit` due rows for `holder` until `now + lease`.
    async fn claim_mail(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, StoreError>;

    /// Records that row `id` was accepted by the mail server.
    async fn mail_sent(&self, id: u64, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Gives row `id` back to be tried again at `due` (a transient failure).
    async fn mail_deferred(
        &self,
        id: u64,
        due: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;

    /// Records that row `id` failed for good. When `permanent` (the server
    /// refused the address), the refusal is counted against the address,
    /// which is suspended at `suspend_after` refusals; answers whether it is
    /// suspended now.
    async fn mail_failed(
        &self,
        id: u64,
        error: &str,
        permanent: bool,
        suspend_after: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Counts of the outbox's rows and suspended addresses.
    async fn outbox_counts(&self, now: DateTime<Utc>) -> Result<OutboxCounts, StoreError>;

    /// The stored message with `message_id`, with its state (tests and the
    /// admin page).
    async fn mail_state(&self, message_id: &str) -> Result<Option<String>, StoreError>;
}

/// The key suspensions (and subscriptions) are kept under: the address in
/// lower case.
pub fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// Why the pending rows of a suspended address fail.
pub(crate) const SUSPENDED: &str = "the address is suspended after repeated refusals";

/// Whether an address refused `failures` times is suspended now.
pub(crate) fn suspends(failures: i64, suspend_after: u32) -> bool {
    failures >= i64::from(suspend_after.max(1))
}

/// The SQL both backends run, with their placeholders.
pub(crate) struct Sql {
    pub sent: String,
    pub deferred: String,
    pub failed: String,
    pub count_failure: String,
    pub suspend: String,
    pub fail_pending: String,
    pub counts: String,
    pub suspended_count: String,
    pub state: String,
}

impl Sql {
    pub(crate) fn new(p: fn(u8) -> String) -> Self {
        let (p1, p2, p3) = (p(1), p(2), p(3));
        Sql {
            sent: format!(
                "UPDATE outbox SET state = 'sent', sent_at = {p2}, claimed_by = NULL, \
                 claimed_until = NULL, last_error = NULL WHERE id = {p1} AND state = 'pending'"
            ),
            deferred: format!(
                "UPDATE outbox SET due_at = {p2}, last_error = {p3}, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = {p1} AND state = 'pending'"
            ),
            failed: format!(
                "UPDATE outbox SET state = 'failed', last_error = {p2}, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = {p1} AND state = 'pending' RETURNING recipient"
            ),
            count_failure: format!(
                "INSERT INTO mail_suspensions (address, failures, suspended_at, last_error) \
                 VALUES ({p1}, 1, NULL, {p2}) ON CONFLICT (address) DO UPDATE SET \
                 failures = mail_suspensions.failures + 1, last_error = excluded.last_error \
                 RETURNING failures"
            ),
            suspend: format!(
                "UPDATE mail_suspensions SET suspended_at = {p2} \
                 WHERE address = {p1} AND suspended_at IS NULL"
            ),
            fail_pending: format!(
                "UPDATE outbox SET state = 'failed', last_error = {p2}, claimed_by = NULL, \
                 claimed_until = NULL WHERE lower(recipient) = {p1} AND state = 'pending'"
            ),
            counts: format!(
                "SELECT state, CAST(CASE WHEN state = 'pending' AND attempts > 0 AND due_at > {p1} \
                 THEN 1 ELSE 0 END AS BIGINT) AS waiting, count(*) FROM outbox GROUP BY 1, 2"
            ),
            suspended_count: "SELECT count(*) FROM mail_suspensions WHERE suspended_at IS NOT NULL"
                .to_string(),
            state: format!("SELECT state FROM outbox WHERE message_id = {p1}"),
        }
    }
}

/// [`OutboxCounts`] from rows of (state, waiting for a retry, count).
pub(crate) fn counts_of(rows: &[(String, i64, i64)], suspended: i64) -> OutboxCounts {
    let mut c = OutboxCounts {
        suspended_addresses: crate::codec::to_u64(suspended),
        ..OutboxCounts::default()
    };
    for (state, waiting, n) in rows {
        let n = crate::codec::to_u64(*n);
        match state.as_str() {
            "pending" => {
                c.pending += n;
                if *waiting == 1 {
                    c.retrying += n;
                }
            }
            "sent" => c.sent += n,
            _ => c.failed += n,
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::{address_key, suspends};

    #[test]
    fn an_address_is_suspended_at_the_configured_count() {
        assert!(!suspends(1, 2));
        assert!(suspends(2, 2));
        assert!(suspends(1, 0), "0 counts as 1: the first refusal suspends");
        assert_eq!(address_key(" Ada@Example.ORG "), "ada@example.org");
    }
}
