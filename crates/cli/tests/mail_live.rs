//! Account mail from the real `dailypapers serve` through a real SMTP
//! server process (`--smtp-url` as an operator sets it, here through
//! `DAILYPAPERS_SMTP_URL`): a member asks to confirm their address, the
//! request answers at once, and the SMTP server receives one message to
//! them, from the configured sender, with a link on the configured public
//! URL and the Message-ID the outbox composed it with.

mod serve_support;
#[path = "../../mail/tests/support/mod.rs"]
mod smtp;

use std::time::Duration;

use dailypapers_store::testing::fresh_store;
use serde_json::{Value, json};
use serve_support::Server;
use smtp::SmtpServer;

#[tokio::test(flavor = "multi_thread")]
async fn serve_sends_account_mail_through_the_configured_smtp_server() {
    let mail = SmtpServer::start();
    let t = fresh_store().await;
    let store_env = t.env();
    let url = mail.url();
    let mut env: Vec<(&str, &str)> = vec![
        ("DAILYPAPERS_SCHEDULE", "false"),
        ("DAILYPAPERS_SMTP_URL", url.as_str()),
        ("DAILYPAPERS_PUBLIC_URL", "https://papers.example.org"),
        ("DAILYPAPERS_MAIL_FROM", "Daily Papers <papers@example.org>"),
    ];
    env.extend(store_env.iter().map(|(k, v)| (*k, v.as_str())));
    let server = Server::start(t.dir(), &env);
    let http = reqwest::Client::new();
    let r = http
        .post(server.url("/api/auth/signup"))
        .header("content-type", "application/json")
        .body(
            json!({"username": "ada", "email": "ada@example.org",
                   "password": "ada has a long passphrase"})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let me: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let asked = http
        .post(server.url("/api/auth/verify/request"))
        .header("cookie", &cookie)
        .header("x-csrf-token", me["csrfToken"].as_str().unwrap())
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(asked.status().is_success(), "{}", asked.status());
    let got = mail.wait_for(1, Duration::from_secs(20));
    assert_eq!(
        got.len(),
        1,
        "one message; the log:\n{}",
        server.log.lock().unwrap()
    );
    let message = &got[0];
    assert!(message.contains("To: ada@example.org"), "{message}");
    assert!(
        message.contains("From: \"Daily Papers\" <papers@example.org>"),
        "{message}"
    );
    assert!(
        message.contains("https://papers.example.org/verify?token="),
        "{message}"
    );
    let received = mail.received();
    assert_eq!(received["ada@example.org"].len(), 1);
    let id = &received["ada@example.org"][0];
    assert!(message.contains(&format!("Message-ID: {id}")), "{message}");
    server.stop();
}
