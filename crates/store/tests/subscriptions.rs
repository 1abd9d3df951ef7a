//! The subscriptions half of the store contract
//! (`dailypapers_store::subscriptions`), on the backend `fresh_store`
//! gives: one subscription per address (any case), frequency and query;
//! confirmation once and before its deadline; only confirmed, active
//! subscriptions are subscribers; unsubscribing at once (and dropping
//! the digest messages still waiting); a digest queued page by page, once,
//! each paper recorded with the message that lists it.

use chrono::{DateTime, TimeDelta, Utc};
use dailypapers_store::outbox::NewMail;
use dailypapers_store::subscriptions::{DigestMail, NewSubscription, Subscribed, digest_batch};
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

async fn confirmed(t: &TestStore, email: &str, frequency: &str, query: &str) -> u64 {
    let hash = format!("{email}-{frequency}-{query}");
    t.store
        .subscribe(&new(email, frequency, query, &hash))
        .await
        .unwrap();
    t.store
        .confirm_subscription(&hash, now())
        .await
        .unwrap()
        .unwrap()
        .id
}

fn digest_mail(digest: &str, subscription_id: u64, to: &str, papers: &[&str]) -> DigestMail {
    let batch = digest_batch(digest, subscription_id);
    DigestMail {
        subscription_id,
        mail: NewMail {
            message_id: format!("<{batch}@test>"),
            batch,
            recipient: to.into(),
            message: b"Subject: digest\r\n\r\nbody\r\n".to_vec(),
        },
        papers: papers.iter().map(|p| p.to_string()).collect(),
    }
}

async fn a_digest_is_queued_once_with_its_papers(t: &TestStore) {
    let store = &*t.store;
    let ada = confirmed(t, "ada@example.org", "daily", "token compression").await;
    let bob = confirmed(t, "bob@example.org", "daily", "").await;
    let name = "digest:daily:2026-03-02";
    assert!(store.digest(name).await.unwrap().is_none());
    let started = store.start_digest(name, "daily", now()).await.unwrap();
    assert_eq!((started.recipients, started.composed_at), (0, None));
    let page = [
        digest_mail(name, ada, "ada@example.org", &["2501.00001", "2501.00002"]),
        digest_mail(name, bob, "bob@example.org", &[]),
    ];
    assert_eq!(store.queue_digest(name, &page, now()).await.unwrap(), 2);
    // A composer that died and starts again: the same record, nothing
    // queued twice.
    let later = now() + TimeDelta::minutes(5);
    let again = store.start_digest(name, "daily", later).await.unwrap();
    assert_eq!((again.started_at, again.recipients), (now(), 2));
    assert_eq!(store.queue_digest(name, &page, later).await.unwrap(), 0);
    assert_eq!(store.outbox_counts(now()).await.unwrap().pending, 2);
    store.finish_digest(name, later).await.unwrap();
    let done = store.digest(name).await.unwrap().unwrap();
    assert_eq!((done.composed_at, done.recipients), (Some(later), 2));
    assert_eq!(store.recent_digests(5).await.unwrap(), [done]);

    let asked = [
        (ada, "2501.00001".to_string()),
        (ada, "2501.00003".to_string()),
        (bob, "2501.00001".to_string()),
    ];
    assert_eq!(
        store.papers_sent(&asked).await.unwrap(),
        [(ada, "2501.00001".to_string())]
    );
    // The next day's digest lists a new paper, recorded with it.
    let next = "digest:daily:2026-03-03";
    store.start_digest(next, "daily", later).await.unwrap();
    let m = digest_mail(next, ada, "ada@example.org", &["2501.00003"]);
    assert_eq!(store.queue_digest(next, &[m], later).await.unwrap(), 1);
    assert_eq!(store.papers_sent(&asked).await.unwrap().len(), 2);
}

async fn unsubscribing_drops_the_waiting_digest(t: &TestStore) {
    let store = &*t.store;
    let ada = confirmed(t, "ada@example.org", "daily", "").await;
    let weekly = confirmed(t, "ada@example.org", "weekly", "").await;
    let name = "digest:daily:2026-03-02";
    store.start_digest(name, "daily", now()).await.unwrap();
    let mails = [
        digest_mail(name, ada, "ada@example.org", &[]),
        digest_mail("digest:weekly:2026-03-02", weekly, "ada@example.org", &[]),
    ];
    store.queue_digest(name, &mails, now()).await.unwrap();
    let token = store
        .subscriptions_of(0, "ADA@example.org")
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == ada)
        .unwrap()
        .unsubscribe_token;
    store.unsubscribe(&token, now()).await.unwrap().unwrap();
    let state = |batch: String| async move {
        store
            .mail_state(&format!("<{batch}@test>"))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(state(digest_batch(name, ada)).await, "failed");
    assert_eq!(
        state(digest_batch("digest:weekly:2026-03-02", weekly)).await,
        "pending",
        "the other subscription's digest still goes"
    );
    let mine = store.subscriptions_of(0, "ada@example.org").await.unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine[0].unsubscribed_at.is_some() && mine[1].unsubscribed_at.is_none());
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

subscriptions!(
    double_opt_in,
    unsubscribing_ends_it_at_once,
    a_digest_is_queued_once_with_its_papers,
    unsubscribing_drops_the_waiting_digest,
);
