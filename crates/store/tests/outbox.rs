//! The outbox half of the store contract (`dailypapers_store::outbox`), on
//! the backend `fresh_store` gives: composing is atomic and idempotent, a
//! row goes to one sender at a time, a dead sender's claim expires, outcomes
//! are final, and refused addresses are suspended.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dailypapers_store::outbox::NewMail;
use dailypapers_store::testing::{TestStore, fresh_store};

fn now() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().unwrap()
}

fn mail(batch: &str, to: &str) -> NewMail {
    NewMail {
        batch: batch.to_string(),
        recipient: to.to_string(),
        message_id: format!("<{batch}.{to}@test>"),
        message: format!("Message-ID: <{batch}.{to}@test>\r\nTo: {to}\r\n\r\nHello\r\n")
            .into_bytes(),
    }
}

const LEASE: Duration = Duration::from_secs(60);

async fn composing_twice_adds_nothing(t: &TestStore) {
    let store = &*t.store;
    let day: Vec<NewMail> = (0..50)
        .map(|i| mail("digest:1", &format!("r{i}@example.org")))
        .collect();
    assert_eq!(store.enqueue_mail(&day, now()).await.unwrap(), 50);
    assert_eq!(
        store.enqueue_mail(&day, now()).await.unwrap(),
        0,
        "the same batch again"
    );
    let mut more = day[..10].to_vec();
    more.push(mail("digest:1", "new@example.org"));
    assert_eq!(store.enqueue_mail(&more, now()).await.unwrap(), 1);
    let counts = store.outbox_counts(now()).await.unwrap();
    assert_eq!((counts.pending, counts.sent, counts.failed), (51, 0, 0));
    // What is claimed is what was composed, byte for byte.
    let claimed = store.claim_mail("a", now(), LEASE, 100).await.unwrap();
    assert_eq!(claimed.len(), 51);
    let first = claimed
        .iter()
        .find(|m| m.recipient == "r0@example.org")
        .unwrap();
    assert_eq!(first.message, day[0].message);
    assert_eq!(first.message_id, day[0].message_id);
    assert_eq!(first.attempts, 1);
}

async fn each_row_goes_to_one_sender(t: &TestStore) {
    let store = t.store.clone();
    let all: Vec<NewMail> = (0..400)
        .map(|i| mail("b", &format!("r{i}@example.org")))
        .collect();
    store.enqueue_mail(&all, now()).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store
                    .claim_mail(&format!("w{w}"), now(), LEASE, 7)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for t in tasks {
        for id in t.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "row {id} claimed twice");
        }
    }
    assert_eq!(total, 400);
}

async fn a_dead_senders_claim_expires(t: &TestStore) {
    let store = &*t.store;
    store
        .enqueue_mail(&[mail("b", "x@example.org")], now())
        .await
        .unwrap();
    let lease = Duration::from_secs(30);
    assert_eq!(
        store
            .claim_mail("dead", now(), lease, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let soon = now() + TimeDelta::seconds(10);
    assert!(
        store
            .claim_mail("other", soon, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "still claimed"
    );
    let later = now() + TimeDelta::seconds(31);
    let again = store.claim_mail("other", later, lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    store.mail_sent(again[0].id, later).await.unwrap();
    let much_later = now() + TimeDelta::days(1);
    assert!(
        store
            .claim_mail("third", much_later, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "sent is final"
    );
    assert_eq!(
        store
            .mail_state(&again[0].message_id)
            .await
            .unwrap()
            .as_deref(),
        Some("sent")
    );
    let counts = store.outbox_counts(much_later).await.unwrap();
    assert_eq!((counts.pending, counts.sent), (0, 1));
}

async fn a_deferred_row_waits_for_its_time(t: &TestStore) {
    let store = &*t.store;
    store
        .enqueue_mail(&[mail("b", "x@example.org")], now())
        .await
        .unwrap();
    let m = store
        .claim_mail("a", now(), LEASE, 1)
        .await
        .unwrap()
        .remove(0);
    let due = now() + TimeDelta::minutes(5);
    store
        .mail_deferred(m.id, due, "451 try again later")
        .await
        .unwrap();
    let counts = store.outbox_counts(now()).await.unwrap();
    assert_eq!((counts.pending, counts.retrying), (1, 1));
    assert!(
        store
            .claim_mail("a", now() + TimeDelta::minutes(4), LEASE, 1)
            .await
            .unwrap()
            .is_empty()
    );
    let back = store.claim_mail("a", due, LEASE, 1).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].attempts, 2);
}

async fn refused_addresses_are_suspended(t: &TestStore) {
    let store = &*t.store;
    let mails: Vec<NewMail> = ["Bad@Example.org", "good@example.org"]
        .iter()
        .flat_map(|to| (0..3).map(move |d| mail(&format!("digest:{d}"), to)))
        .collect();
    store.enqueue_mail(&mails, now()).await.unwrap();
    let claimed = store.claim_mail("a", now(), LEASE, 100).await.unwrap();
    let bad: Vec<_> = claimed
        .iter()
        .filter(|m| m.recipient.starts_with("Bad"))
        .collect();
    assert!(
        !store
            .mail_failed(bad[0].id, "550 no such user", true, 2, now())
            .await
            .unwrap()
    );
    assert!(
        store
            .mail_failed(bad[1].id, "550 no such user", true, 2, now())
            .await
            .unwrap(),
        "suspended at the second"
    );
    // Its last pending row fails with it; the other address is untouched.
    assert_eq!(
        store
            .mail_state(&bad[2].message_id)
            .await
            .unwrap()
            .as_deref(),
        Some("failed")
    );
    let counts = store.outbox_counts(now()).await.unwrap();
    assert_eq!(
        (counts.failed, counts.pending, counts.suspended_addresses),
        (3, 3, 1)
    );
    // Nothing more is queued for it, whatever its case.
    let next = [
        mail("digest:9", "bad@example.org"),
        mail("digest:9", "good@example.org"),
    ];
    assert_eq!(store.enqueue_mail(&next, now()).await.unwrap(), 1);
    // A failure that is not the address's fault suspends nothing.
    let good = claimed
        .iter()
        .find(|m| m.recipient.starts_with("good"))
        .unwrap();
    assert!(
        !store
            .mail_failed(good.id, "gave up after 8 tries", false, 1, now())
            .await
            .unwrap()
    );
}

macro_rules! outbox {
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

outbox!(
    composing_twice_adds_nothing,
    each_row_goes_to_one_sender,
    a_dead_senders_claim_expires,
    a_deferred_row_waits_for_its_time,
    refused_addresses_are_suspended,
);
