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
//!   no login) takes effect at once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::StoreError;
use crate::codec::to_u64;

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
