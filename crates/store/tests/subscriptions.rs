//! The subscriptions half of the store contract
//! (`dailypapers_store::subscriptions`), on the backend `fresh_store`
//! gives: one subscription per address (any case), frequency and query;
//! confirmation once and before its deadline; only confirmed, active
//! subscriptions are subscribers; unsubscribing at once.

use chrono::{DateTime, TimeDelta, Utc};
use dailypapers_store::subscriptions::{NewSubscription, Subscribed};
use dailypapers_store::testing::{TestStore, fresh_store};

fn now() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().unwrap()
}

fn new(email: &str, frequency: &str, query: &str, confirm: &str) -> NewSubscription {
    NewSubscription {
        email: email.into(),
        frequency: frequency.into(),
        query: query.into(),
        member_id: None,
        confirm_hash: confirm.into(),
        confirm_until: now() + TimeDelta::hours(48),
        unsubscribe_token: format!("unsub-{confirm}"),
        now: now(),
    }
}

async fn subscribers(t: &TestStore, frequency: &str) -> Vec<String> {
    t.store
        .subscribers(frequency, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|s| format!("{} {}", s.email, s.query))
        .collect()
}

async fn double_opt_in(t: &TestStore) {
    let store = &*t.store;
    assert_eq!(
        store
            .subscribe(&new("Ada@example.org", "daily", "", "c1"))
            .await
            .unwrap(),
        Subscribed::New
    );
    assert!(
        subscribers(t, "daily").await.is_empty(),
        "unconfirmed gets nothing"
    );
    // Again before confirming: a new token, the old one dead.
    assert_eq!(
        store
            .subscribe(&new("ada@EXAMPLE.org", "daily", "", "c2"))
            .await
            .unwrap(),
        Subscribed::Renewed
    );
    assert!(
        store
            .confirm_subscription("c1", now())
            .await
            .unwrap()
            .is_none()
    );
    let late = now() + TimeDelta::hours(49);
    assert!(
        store
            .confirm_subscription("c2", late)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    let done = store
        .confirm_subscription("c2", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.email, "Ada@example.org");
    assert!(
        store
            .confirm_subscription("c2", now())
            .await
            .unwrap()
            .is_none(),
        "once"
    );
    assert_eq!(subscribers(t, "daily").await, ["Ada@example.org "]);
    assert!(subscribers(t, "weekly").await.is_empty());
    assert_eq!(
        store
            .subscribe(&new("ada@example.org", "daily", "", "c3"))
            .await
            .unwrap(),
        Subscribed::AlreadyActive
    );
    // Another query is another subscription.
    store
        .subscribe(&new("ada@example.org", "daily", "token compression", "c4"))
        .await
        .unwrap();
    store
        .confirm_subscription("c4", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscribers(t, "daily").await.len(), 2);
}

async fn unsubscribing_ends_it_at_once(t: &TestStore) {
    let store = &*t.store;
    store
        .subscribe(&new("grace@example.org", "weekly", "", "g1"))
        .await
        .unwrap();
    let s = store
        .confirm_subscription("g1", now())
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .unsubscribe(&s.unsubscribe_token, now())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .unsubscribe(&s.unsubscribe_token, now())
            .await
            .unwrap()
            .is_none(),
        "already ended"
    );
    assert!(
        store
            .unsubscribe("nonsense", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(subscribers(t, "weekly").await.is_empty());
    // Subscribing again needs a new confirmation.
    assert_eq!(
        store
            .subscribe(&new("grace@example.org", "weekly", "", "g2"))
            .await
            .unwrap(),
        Subscribed::Renewed
    );
    assert!(subscribers(t, "weekly").await.is_empty());
    store
        .confirm_subscription("g2", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscribers(t, "weekly").await, ["grace@example.org "]);
}

macro_rules! subscriptions {
    ($($check:ident),* $(,)?) => {
        mod check {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let t = super::fresh_store().await;
                    super::$check(&t).await;
                }
            )*
        }
    };
}

subscriptions!(double_opt_in, unsubscribing_ends_it_at_once);
