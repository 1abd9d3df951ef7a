//! The outbox sender against a real SMTP server process
//! (`scripts/smtp-server.py`, aiosmtpd, installed by
//! `scripts/install-test-deps.sh`), on the store backend under test: every
//! queued message arrives once with the Message-ID it was composed with;
//! 4xx answers and dropped connections are retried with backoff until the
//! server recovers, each message still arriving once; an address refused
//! with 5xx is recorded and suspended; a sender that dies leaves its rows
//! to another once its claims expire.

mod support;

use std::time::Duration;

use dailypapers_mail::{Draft, Sender, SenderOptions, Transport, compose};
use dailypapers_store::outbox::NewMail;
use dailypapers_store::testing::{TestStore, fresh_store};
use support::SmtpServer;

fn queued(batch: &str, recipients: &[String]) -> Vec<NewMail> {
    recipients
        .iter()
        .map(|to| {
            let c = compose(&Draft {
                from: "Daily Papers <papers@example.org>".into(),
                to: to.clone(),
                subject: format!("Papers of {batch}"),
                text: "Hello".into(),
                html: Some("<p>Hello</p>".into()),
                batch: batch.into(),
                unsubscribe: None,
            })
            .unwrap();
            NewMail {
                batch: batch.into(),
                recipient: c.recipient,
                message_id: c.message_id,
                message: c.bytes,
            }
        })
        .collect()
}

fn people(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("reader{i}@example.org")).collect()
}

fn sender(t: &TestStore, smtp: &SmtpServer, holder: &str) -> Sender {
    Sender::new(
        t.store.clone(),
        Transport::smtp(&smtp.url()).unwrap(),
        SenderOptions {
            from: "papers@example.org".into(),
            holder: holder.into(),
            batch: 25,
            lease: Duration::from_secs(60),
            backoff: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(400),
            max_attempts: 50,
            suspend_after: 2,
            per_second: 0.0,
            poll: Duration::from_millis(50),
        },
    )
}

/// Rounds until the outbox holds nothing pending (at most `limit`).
async fn drain(s: &Sender, t: &TestStore, limit: Duration) {
    let end = std::time::Instant::now() + limit;
    loop {
        s.round().await.unwrap();
        let counts = t.store.outbox_counts(chrono::Utc::now()).await.unwrap();
        if counts.pending == 0 {
            return;
        }
        assert!(std::time::Instant::now() < end, "still pending: {counts:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_queued_message_arrives_once_with_its_id() {
    let t = fresh_store().await;
    let smtp = SmtpServer::start();
    let mails = queued("digest:daily:2025-12-01", &people(120));
    assert_eq!(
        t.store
            .enqueue_mail(&mails, chrono::Utc::now())
            .await
            .unwrap(),
        120
    );
    // Two senders at once, as two servers would.
    let (a, b) = (sender(&t, &smtp, "a"), sender(&t, &smtp, "b"));
    tokio::join!(
        drain(&a, &t, Duration::from_secs(60)),
        drain(&b, &t, Duration::from_secs(60))
    );
    let got = smtp.received();
    assert_eq!(got.len(), 120);
    for m in &mails {
        assert_eq!(
            got[&m.recipient],
            vec![m.message_id.clone()],
            "{}",
            m.recipient
        );
    }
    let counts = t.store.outbox_counts(chrono::Utc::now()).await.unwrap();
    assert_eq!((counts.sent, counts.failed), (120, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_failures_are_retried_until_the_server_recovers() {
    let t = fresh_store().await;
    let smtp = SmtpServer::start();
    let s = sender(&t, &smtp, "a");
    let mails = queued("digest:weekly:2025-W49", &people(30));
    t.store
        .enqueue_mail(&mails, chrono::Utc::now())
        .await
        .unwrap();
    smtp.mode("tempfail", &[]);
    let first = s.round().await.unwrap();
    assert_eq!((first.claimed, first.deferred, first.sent), (25, 25, 0));
    let counts = t.store.outbox_counts(chrono::Utc::now()).await.unwrap();
    assert!(counts.retrying >= 25, "{counts:?}");
    // Then the server drops connections for a while.
    tokio::time::sleep(Duration::from_millis(150)).await;
    smtp.mode("drop", &[]);
    let dropped = s.round().await.unwrap();
    assert!(dropped.deferred > 0 && dropped.sent == 0, "{dropped:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    smtp.mode("normal", &[]);
    drain(&s, &t, Duration::from_secs(60)).await;
    let got = smtp.received();
    assert_eq!(got.len(), 30);
    assert!(got.values().all(|ids| ids.len() == 1), "each message once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_refused_for_good_is_recorded_and_suspended() {
    let t = fresh_store().await;
    let smtp = SmtpServer::start();
    smtp.mode("normal", &["gone@example.org"]);
    let s = sender(&t, &smtp, "a");
    let who = vec![
        "gone@example.org".to_string(),
        "here@example.org".to_string(),
    ];
    for day in ["1", "2", "3"] {
        let mails = queued(&format!("digest:daily:{day}"), &who);
        t.store
            .enqueue_mail(&mails, chrono::Utc::now())
            .await
            .unwrap();
        drain(&s, &t, Duration::from_secs(30)).await;
    }
    let got = smtp.received();
    assert_eq!(got["here@example.org"].len(), 3);
    assert!(!got.contains_key("gone@example.org"));
    let counts = t.store.outbox_counts(chrono::Utc::now()).await.unwrap();
    assert_eq!(counts.suspended_addresses, 1);
    assert_eq!(
        counts.failed, 2,
        "refused twice, then suspended: the third was never queued"
    );
    let later = queued("digest:daily:4", &who);
    assert_eq!(
        t.store
            .enqueue_mail(&later, chrono::Utc::now())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_senders_rows_go_out_once_its_claims_expire() {
    let t = fresh_store().await;
    let smtp = SmtpServer::start();
    let mails = queued("account:verify", &people(5));
    t.store
        .enqueue_mail(&mails, chrono::Utc::now())
        .await
        .unwrap();
    // A sender claims everything and dies before sending.
    let dead = t
        .store
        .claim_mail("dead", chrono::Utc::now(), Duration::from_millis(500), 100)
        .await
        .unwrap();
    assert_eq!(dead.len(), 5);
    let s = sender(&t, &smtp, "alive");
    assert_eq!(
        s.round().await.unwrap().claimed,
        0,
        "claimed by the dead one"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    drain(&s, &t, Duration::from_secs(30)).await;
    let got = smtp.received();
    assert_eq!(got.len(), 5);
    assert!(got.values().all(|ids| ids.len() == 1));
}
