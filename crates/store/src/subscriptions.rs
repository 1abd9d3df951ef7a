//! Digest subscriptions with double opt-in. [`Subscriptions`] is part of
//! every store (a supertrait of [`crate::Store`]), kept in both backends
//! and checked by the same tests.
//!
//! # Contract
//!
//! - **One subscription per address, frequency and query**, whatever the
//!   address's case. Subscribing again to a confirmed, active one changes
//!   nothing; to an unconfirmed or unsubscribed one, it starts a new
//!   confirmation (a new token and deadline; the old token stops working).
//! - **Confirmation works once, and only before its deadline.**
//! - **Only confirmed, active subscriptions are subscribers**
//!   ([`Subscriptions::subscribers`]); unsubscribing (by the link's token,
//!   no login) takes effect at once, and the digest messages still
//!   waiting in the outbox for that subscription are dropped.
//! - **A digest is composed whole, once.** [`Subscriptions::start_digest`]
//!   records a digest by name; [`Subscriptions::queue_digest`] queues a
//!   page of its messages in one transaction, each with the papers it
//!   lists, skipping what is already queued; [`Subscriptions::finish_digest`]
//!   marks it composed, after which it is never composed again. A composer
//!   that dies before that leaves it to be composed again from the start,
//!   which queues only what is missing.
//! - **A paper goes once to a subscription, ever**: the papers of a queued
//!   message are recorded with it ([`Subscriptions::papers_sent`] answers
//!   which were).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::StoreError;
use crate::codec::to_u64;
use crate::outbox::NewMail;

/// A subscription to add (or to confirm anew).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscription {
    pub email: String,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// A saved search; empty for the trending digest.
    pub query: String,
    pub member_id: Option<u64>,
    /// The SHA-256 of the confirmation token mailed.
    pub confirm_hash: String,
    pub confirm_until: DateTime<Utc>,
    /// The secret of the unsubscribe link.
    pub unsubscribe_token: String,
    pub now: DateTime<Utc>,
}

/// What subscribing did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subscribed {
    /// A new subscription, waiting for confirmation.
    New,
    /// An unconfirmed or ended one, waiting for confirmation again.
    Renewed,
    /// Already confirmed and active: nothing changed (no mail is due).
    AlreadyActive,
}

/// A stored subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: u64,
    pub email: String,
    pub frequency: String,
    pub query: String,
    pub member_id: Option<u64>,
    pub unsubscribe_token: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

/// One digest message to queue: the outbox row, for which subscription,
/// and the papers it lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestMail {
    pub subscription_id: u64,
    pub mail: NewMail,
    /// Paper ids, recorded as sent to the subscription when the row is
    /// queued.
    pub papers: Vec<String>,
}

/// A digest as the store records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestRecord {
    /// `digest:daily:2026-12-07`.
    pub name: String,
    pub frequency: String,
    pub started_at: DateTime<Utc>,
    /// When every subscriber's message was queued; `None` while composing
    /// (or when its composer died).
    pub composed_at: Option<DateTime<Utc>>,
    /// Messages queued for it.
    pub recipients: u64,
}

/// The outbox batch of the digest `digest`'s message to subscription `id`.
pub fn digest_batch(digest: &str, subscription_id: u64) -> String {
    format!("{digest}:{subscription_id}")
}

/// Subscriptions (see the module's contract).
#[async_trait]
pub trait Subscriptions: Send + Sync {
    async fn subscribe(&self, new: &NewSubscription) -> Result<Subscribed, StoreError>;

    /// Confirms the subscription whose token hashes to `confirm_hash`, if
    /// the token is current; `None` for an unknown, used or expired one.
    async fn confirm_subscription(
        &self,
        confirm_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscription>, StoreError>;

    /// Ends the subscription of `unsubscribe_token`; `None` when there is
    /// none or it had ended.
    async fn unsubscribe(
        &self,
        unsubscribe_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscription>, StoreError>;

    /// Confirmed, active subscriptions of `frequency`, by id after
    /// `after`, `limit` of them.
    async fn subscribers(
        &self,
        frequency: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Subscription>, StoreError>;

    /// The subscriptions of a member (by id) or of their address, newest
    /// last, active or not (a settings page).
    async fn subscriptions_of(
        &self,
        member_id: u64,
        email: &str,
    ) -> Result<Vec<Subscription>, StoreError>;

    /// The digest `name`, if it was ever started.
    async fn digest(&self, name: &str) -> Result<Option<DigestRecord>, StoreError>;

    /// Records the digest `name` as started (once; a restart keeps the
    /// first record) and answers it.
    async fn start_digest(
        &self,
        name: &str,
        frequency: &str,
        now: DateTime<Utc>,
    ) -> Result<DigestRecord, StoreError>;

    /// Queues `mails` of the digest `name` in one transaction with the
    /// papers each lists; answers how many were added (those already
    /// queued and those to suspended addresses are skipped, their papers
    /// not recorded).
    async fn queue_digest(
        &self,
        name: &str,
        mails: &[DigestMail],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Marks the digest `name` composed.
    async fn finish_digest(&self, name: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// The last `limit` digests started, newest first.
    async fn recent_digests(&self, limit: u32) -> Result<Vec<DigestRecord>, StoreError>;

    /// Of these (subscription, paper) pairs, the ones already sent.
    async fn papers_sent(&self, pairs: &[(u64, String)]) -> Result<Vec<(u64, String)>, StoreError>;
}

/// What subscribing does to the stored row of the same address, frequency
/// and query (its id, confirmed_at, unsubscribed_at), if there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// None yet: add it.
    Insert,
    /// Unconfirmed or ended: a new confirmation for row `id`.
    Renew(i64),
    /// Confirmed and active: nothing changes.
    Keep,
}

impl Step {
    pub(crate) fn of(existing: Option<(i64, Option<i64>, Option<i64>)>) -> Step {
        match existing {
            None => Step::Insert,
            Some((_, Some(_), None)) => Step::Keep,
            Some((id, _, _)) => Step::Renew(id),
        }
    }
}

/// The columns [`digest_from_row`] reads.
pub(crate) const DIGEST_COLUMNS: &str = "name, frequency, started_at, composed_at, recipients";

pub(crate) fn digest_from_row<R>(row: &R) -> Result<DigestRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(DigestRecord {
        name: row.try_get("name")?,
        frequency: row.try_get("frequency")?,
        started_at: time(Some(row.try_get("started_at")?)).unwrap_or_default(),
        composed_at: time(row.try_get("composed_at")?),
        recipients: to_u64(row.try_get("recipients")?),
    })
}

/// The `LIKE` pattern of the outbox batches of a subscription's digests
/// (see [`digest_batch`]).
pub(crate) fn digest_batches_of(subscription_id: u64) -> String {
    format!("digest:%:{subscription_id}")
}

/// Why a dropped digest message was not sent.
pub(crate) const UNSUBSCRIBED: &str = "unsubscribed before it was sent";

/// The columns [`subscription_from_row`] reads.
pub(crate) const COLUMNS: &str = "id, email, frequency, query, member_id, unsubscribe_token, \
     confirmed_at, unsubscribed_at";

fn time(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::from_timestamp_millis)
}

pub(crate) fn subscription_from_row<R>(row: &R) -> Result<Subscription, StoreError>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Subscription {
        id: to_u64(row.try_get("id")?),
        email: row.try_get("email")?,
        frequency: row.try_get("frequency")?,
        query: row.try_get("query")?,
        member_id: row.try_get::<Option<i64>, _>("member_id")?.map(to_u64),
        unsubscribe_token: row.try_get("unsubscribe_token")?,
        confirmed_at: time(row.try_get("confirmed_at")?),
        unsubscribed_at: time(row.try_get("unsubscribed_at")?),
    })
}

/// The SQL both backends run, with their placeholders.
pub(crate) struct Sql {
    pub existing: String,
    pub insert: String,
    pub renew: String,
    pub confirm: String,
    pub unsubscribe: String,
    pub subscribers: String,
    pub drop_pending: String,
    pub of_member: String,
    pub digest: String,
    pub start_digest: String,
    pub count_queued: String,
    pub record_paper: String,
    pub finish_digest: String,
    pub recent_digests: String,
    pub sent: String,
}

impl Sql {
    pub(crate) fn new(p: fn(u8) -> String) -> Self {
        let [p1, p2, p3, p4, p5, p6, p7, p8, p9, p10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(p);
        Sql {
            existing: format!(
                "SELECT id, confirmed_at, unsubscribed_at FROM subscriptions \
                 WHERE email_key = {p1} AND frequency = {p2} AND query = {p3}"
            ),
            insert: format!(
                "INSERT INTO subscriptions (id, email, email_key, frequency, query, member_id, \
                   confirm_hash, confirm_until, unsubscribe_token, created_at) \
                 VALUES ({p1}, {p2}, {p3}, {p4}, {p5}, {p6}, {p7}, {p8}, {p9}, {p10})"
            ),
            renew: format!(
                "UPDATE subscriptions SET confirm_hash = {p2}, confirm_until = {p3}, \
                   unsubscribe_token = {p4}, member_id = coalesce({p5}, member_id) WHERE id = {p1}"
            ),
            confirm: format!(
                "UPDATE subscriptions SET confirmed_at = {p2}, unsubscribed_at = NULL, \
                   confirm_hash = NULL, confirm_until = NULL \
                 WHERE confirm_hash = {p1} AND confirm_until > {p2} RETURNING {COLUMNS}"
            ),
            unsubscribe: format!(
                "UPDATE subscriptions SET unsubscribed_at = {p2} \
                 WHERE unsubscribe_token = {p1} AND unsubscribed_at IS NULL RETURNING {COLUMNS}"
            ),
            subscribers: format!(
                "SELECT {COLUMNS} FROM subscriptions WHERE frequency = {p1} AND id > {p2} \
                   AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL \
                 ORDER BY id LIMIT {p3}"
            ),
            drop_pending: format!(
                "UPDATE outbox SET state = 'failed', last_error = {p3}, claimed_by = NULL, \
                   claimed_until = NULL \
                 WHERE state = 'pending' AND recipient = {p1} AND batch LIKE {p2}"
            ),
            of_member: format!(
                "SELECT {COLUMNS} FROM subscriptions WHERE member_id = {p1} OR email_key = {p2} \
                 ORDER BY id"
            ),
            digest: format!("SELECT {DIGEST_COLUMNS} FROM digests WHERE name = {p1}"),
            start_digest: format!(
                "INSERT INTO digests (name, frequency, started_at, composed_at, recipients) \
                 VALUES ({p1}, {p2}, {p3}, NULL, 0) ON CONFLICT (name) DO NOTHING"
            ),
            count_queued: format!(
                "UPDATE digests SET recipients = recipients + {p2} WHERE name = {p1}"
            ),
            record_paper: format!(
                "INSERT INTO digest_papers (subscription_id, paper_id, digest, sent_at) \
                 VALUES ({p1}, {p2}, {p3}, {p4}) ON CONFLICT DO NOTHING"
            ),
            finish_digest: format!(
                "UPDATE digests SET composed_at = {p2} WHERE name = {p1} AND composed_at IS NULL"
            ),
            recent_digests: format!(
                "SELECT {DIGEST_COLUMNS} FROM digests ORDER BY started_at DESC, name LIMIT {p1}"
            ),
            sent: format!(
                "SELECT 1 FROM digest_papers WHERE subscription_id = {p1} AND paper_id = {p2}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Step;

    #[test]
    fn subscribing_again_renews_all_but_an_active_subscription() {
        assert_eq!(Step::of(None), Step::Insert);
        assert_eq!(
            Step::of(Some((7, None, None))),
            Step::Renew(7),
            "unconfirmed"
        );
        assert_eq!(
            Step::of(Some((7, Some(1), Some(2)))),
            Step::Renew(7),
            "ended"
        );
        assert_eq!(Step::of(Some((7, None, Some(2)))), Step::Renew(7));
        assert_eq!(Step::of(Some((7, Some(1), None))), Step::Keep, "active");
    }
}
