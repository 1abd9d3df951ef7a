//! Digests from the real `dailypapers` through a real SMTP server process
//! (aiosmtpd, `scripts/smtp-server.py`), read back with a MIME parser:
//!
//! - 1,000 confirmed subscribers and the sending process killed with
//!   SIGKILL ten times at random moments and started again: the SMTP
//!   server holds exactly one digest (one Message-ID) for every subscriber.
//!   On SQLite the killed process is `dailypapers digest send` (composing,
//!   then delivering); on PostgreSQL the digest is composed once and two
//!   `serve` processes deliver it from the same outbox, killed in turn.
//! - One-click unsubscribing by the digest's own `List-Unsubscribe` link
//!   (RFC 8058: a POST to it, no login) keeps the next digest away.

mod serve_support;
#[path = "../../mail/tests/support/mod.rs"]
mod smtp;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use dailypapers_store::Store;
use dailypapers_store::StoreUrl;
use dailypapers_store::subscriptions::NewSubscription;
use dailypapers_store::testing::{TestStore, fresh_store, listed};
use serve_support::Server;
use smtp::SmtpServer;

const SUBSCRIBERS: usize = 1000;
const KILLS: usize = 10;

/// Three trending papers and `n` confirmed subscribers of the daily digest
/// (`user{i}@example.org`).
async fn seed(store: &dyn Store, n: usize) {
    let at = Utc::now() - TimeDelta::hours(2);
    let papers = vec![
        listed("2612.00001", "Sparse attention at scale", 40, Some(at)),
        listed("2612.00002", "Token merging for speech", 12, Some(at)),
        listed("2612.00003", "A benchmark of benchmarks", 3, Some(at)),
    ];
    store.import(papers).await.unwrap();
    dailypapers_store::trending::refresh(store, Utc::now())
        .await
        .unwrap();
    for i in 0..n {
        let hash = format!("confirm-{i}");
        store
            .subscribe(&NewSubscription {
                email: format!("user{i}@example.org"),
                frequency: "daily".into(),
                query: String::new(),
                member_id: None,
                confirm_hash: hash.clone(),
                confirm_until: Utc::now() + TimeDelta::hours(48),
                unsubscribe_token: format!("unsubscribe{i}"),
                now: Utc::now(),
            })
            .await
            .unwrap();
        store
            .confirm_subscription(&hash, Utc::now())
            .await
            .unwrap()
            .unwrap();
    }
}

/// The environment of every process: the store, the SMTP server, claims
/// that expire after a second (so a killed sender's messages go soon), no
/// send rate, no digests composed by `serve` on its own.
fn env(t: &TestStore, mail: &SmtpServer) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = t
        .env()
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    for (k, v) in [
        ("DAILYPAPERS_SMTP_URL", mail.url()),
        (
            "DAILYPAPERS_PUBLIC_URL",
            "https://papers.example.org".into(),
        ),
        (
            "DAILYPAPERS_MAIL_FROM",
            "Daily Papers <papers@example.org>".into(),
        ),
        ("DAILYPAPERS_MAIL_LEASE_SECS", "1".into()),
        ("DAILYPAPERS_MAIL_PER_SECOND", "0".into()),
        ("DAILYPAPERS_SCHEDULE", "false".into()),
        ("DAILYPAPERS_DIGESTS", "false".into()),
    ] {
        env.push((k.into(), v));
    }
    env
}

fn digest_send(t: &TestStore, env: &[(String, String)], date: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dailypapers"))
        .env_remove("DAILYPAPERS_DATA_DIR")
        .env("DAILYPAPERS_LOG", "warn")
        .env("DAILYPAPERS_MODEL_DIR", "/nonexistent/model")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("--data-dir")
        .arg(t.dir())
        .args(["digest", "send", "--frequency", "daily", "--date", date])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dailypapers digest send")
}

fn finish(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "digest send failed: {text}");
    text
}

fn sigkill(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
}

/// A pseudo-random delay of `from..to` milliseconds (the clock's nanoseconds
/// as the seed: a different run, different moments).
fn random_ms(from: u64, to: u64, state: &mut u64) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    Duration::from_millis(from + *state % (to - from))
}

fn seed_state() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) | 1
}

/// Waits until every subscriber has a digest (or `limit` passes).
fn wait_all(mail: &SmtpServer, n: usize, limit: Duration) -> HashMap<String, Vec<String>> {
    let end = Instant::now() + limit;
    loop {
        let got = mail.received();
        if got.len() >= n || Instant::now() > end {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Exactly one digest per subscriber: every address received, and
/// everything it received carries one Message-ID (a message sent again
/// after a kill between the server's acceptance and the outbox's record is
/// the same message, and a receiver keeps one). Answers the redeliveries.
fn exactly_one_each(received: &HashMap<String, Vec<String>>, n: usize) -> usize {
    let mut redelivered = 0;
    for i in 0..n {
        let to = format!("user{i}@example.org");
        let ids = received
            .get(&to)
            .unwrap_or_else(|| panic!("{to} got no digest"));
        let mut distinct = ids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 1, "{to} got two different digests: {ids:?}");
        redelivered += ids.len() - 1;
    }
    assert_eq!(received.len(), n, "mail to someone who did not subscribe");
    redelivered
}

#[tokio::test(flavor = "multi_thread")]
async fn every_subscriber_gets_one_digest_through_ten_sigkills() {
    let t = fresh_store().await;
    seed(&*t.store, SUBSCRIBERS).await;
    let mail = SmtpServer::start();
    let env = env(&t, &mail);
    let mut state = seed_state();
    let mut during_delivery = 0;
    if matches!(t.url, StoreUrl::Postgres(_)) {
        // Composed once; two servers deliver from the one outbox, each
        // killed in turn at a random moment and started again.
        finish(digest_send(&t, &env, "2026-11-30", &["--no-deliver"]));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut servers = [Server::start(t.dir(), &env), Server::start(t.dir(), &env)];
        for kill in 0..KILLS {
            std::thread::sleep(random_ms(50, 400, &mut state));
            let got = mail.received().len();
            during_delivery += usize::from(got > 0 && got < SUBSCRIBERS);
            let victim = &mut servers[kill % 2];
            sigkill(&mut victim.child);
            servers[kill % 2] = Server::start(t.dir(), &env);
        }
        let received = wait_all(&mail, SUBSCRIBERS, Duration::from_secs(90));
        let redelivered = exactly_one_each(&received, SUBSCRIBERS);
        eprintln!(
            "PostgreSQL, two servers: {KILLS} kills ({during_delivery} while delivering), \
             {redelivered} messages sent again with their Message-ID"
        );
        for s in servers {
            s.stop();
        }
    } else {
        // The process that composes and delivers is killed ten times.
        let mut kills = 0;
        while kills < KILLS {
            let mut child = digest_send(&t, &env, "2026-11-30", &[]);
            std::thread::sleep(random_ms(100, 900, &mut state));
            if child.try_wait().unwrap().is_some() {
                break; // all delivered before this kill
            }
            let got = mail.received().len();
            during_delivery += usize::from(got > 0 && got < SUBSCRIBERS);
            sigkill(&mut child);
            kills += 1;
        }
        let last = finish(digest_send(&t, &env, "2026-11-30", &[]));
        let received = wait_all(&mail, SUBSCRIBERS, Duration::from_secs(30));
        let redelivered = exactly_one_each(&received, SUBSCRIBERS);
        eprintln!(
            "SQLite: {kills} kills ({during_delivery} while delivering), {redelivered} messages \
             sent again with their Message-ID; the last run: {last}"
        );
        assert!(kills >= 3, "too few kills landed before the end: {kills}");
    }
    assert!(
        during_delivery >= 1,
        "no kill landed while messages were being delivered"
    );
    // Every message is the digest: one per subscriber, with its link.
    let digest = t
        .store
        .digest("digest:daily:2026-11-30")
        .await
        .unwrap()
        .unwrap();
    assert!(digest.composed_at.is_some());
    assert_eq!(digest.recipients, SUBSCRIBERS as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_click_unsubscribe_keeps_the_next_digest_away() {
    let t = fresh_store().await;
    seed(&*t.store, 2).await;
    let mail = SmtpServer::start();
    let env = env(&t, &mail);
    finish(digest_send(&t, &env, "2026-11-30", &[]));
    let first = mail.wait_for(2, Duration::from_secs(20));
    assert_eq!(first.len(), 2);
    let to_user0 = first
        .iter()
        .map(|m| {
            mail_parser::MessageParser::default()
                .parse(m.as_bytes())
                .unwrap()
        })
        .find(|m| {
            m.to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .is_some_and(|a| a == "user0@example.org")
        })
        .expect("user0's digest");
    assert!(
        to_user0
            .body_text(0)
            .unwrap()
            .contains("Sparse attention at scale"),
        "the top trending paper is in the digest"
    );
    let header = to_user0
        .header_raw("List-Unsubscribe")
        .expect("List-Unsubscribe");
    let link = header
        .split(['<', '>'])
        .find(|p| p.starts_with("https://"))
        .expect("an https link")
        .trim()
        .to_string();
    assert_eq!(
        to_user0.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    // What a mail client does: POST the body RFC 8058 names to the link.
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::start(t.dir(), &env_ref);
    let local = link.replace("https://papers.example.org", &server.url(""));
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(&local)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
    server.stop();

    finish(digest_send(&t, &env, "2026-12-01", &[]));
    let all = mail.wait_for(3, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    let received = mail.received();
    assert_eq!(
        received["user1@example.org"].len(),
        2,
        "user1 still gets digests"
    );
    assert_eq!(
        received["user0@example.org"].len(),
        1,
        "nothing after unsubscribing; all: {}",
        all.len()
    );
}
