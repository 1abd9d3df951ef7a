//! Submitting a paper by arXiv id to the real `dailypapers serve`, which
//! asks a local server replaying recorded arXiv answers: the arXiv
//! endpoint, the contact, the window and the quota come from the
//! environment, as an operator sets them. (Every refusal is checked through
//! the router in `crates/web/tests/contributions.rs`, at an injected time;
//! here the time is the real one, so the recorded papers are years old.)

mod serve_support;
#[path = "../../ingest/tests/support/mod.rs"]
mod support;

use chrono::Utc;
use dailypapers_ingest::clock::ManualClock;
use dailypapers_store::testing::fresh_store;
use serde_json::{Value, json};
use serve_support::Server;
use support::Replay;

/// A member of `server`: their session cookie and CSRF token.
struct Member {
    cookie: String,
    csrf: String,
}

async fn signup(http: &reqwest::Client, server: &Server, name: &str) -> Member {
    let r = http
        .post(server.url("/api/auth/signup"))
        .header("content-type", "application/json")
        .body(
            json!({"username": name, "email": format!("{name}@example.org"),
                   "password": format!("{name} has a long passphrase")})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let me: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    Member {
        cookie,
        csrf: me["csrfToken"].as_str().unwrap().to_string(),
    }
}

/// Submits `id` as `m`: the status, the `Retry-After` and the body.
async fn submit(
    http: &reqwest::Client,
    server: &Server,
    m: &Member,
    id: &str,
) -> (u16, String, Value) {
    let r = http
        .post(server.url("/api/papers/submit"))
        .header("cookie", &m.cookie)
        .header("x-csrf-token", &m.csrf)
        .header("content-type", "application/json")
        .body(json!({ "arxivId": id }).to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        retry,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_submits_through_the_configured_arxiv_within_the_configured_window() {
    let replay = Replay::start(ManualClock::new()).await;
    let t = fresh_store().await;
    let store_env = t.env();
    let arxiv = replay.url("/api/query").to_string();
    let mut env: Vec<(&str, &str)> = vec![
        ("DAILYPAPERS_SCHEDULE", "false"),
        ("DAILYPAPERS_ARXIV_API_URL", arxiv.as_str()),
        ("DAILYPAPERS_ARXIV_INTERVAL_SECS", "0"),
        ("DAILYPAPERS_CONTACT", support::CONTACT),
        ("DAILYPAPERS_SUBMIT_PER_DAY", "1"),
    ];
    env.extend(store_env.iter().map(|(k, v)| (*k, v.as_str())));
    let http = reqwest::Client::new();

    // The default window: a paper first published in 2017 is too old.
    let server = Server::start(t.dir(), &env);
    let ada = signup(&http, &server, "ada").await;
    let (status, _, body) = submit(&http, &server, &ada, "1707.08567").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("within 14 days"),
        "{body}"
    );
    let asked = replay.requests();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].query.contains("id_list=1707.08567"));
    assert_eq!(
        asked[0].user_agent.as_deref(),
        Some(support::expected_user_agent().as_str()),
        "the configured contact, as arXiv asks"
    );
    // That submission reached arXiv, so it counted: the quota is 1 a day.
    let (status, retry, body) = submit(&http, &server, &ada, "1605.08386").await;
    assert_eq!(status, 429, "{body}");
    assert!(retry.parse::<u64>().unwrap() <= 86_400);
    assert_eq!(replay.requests().len(), 1, "no request past the quota");
    server.stop();

    // A window of a century takes it, onto today's feed day.
    env.push(("DAILYPAPERS_SUBMIT_WINDOW_DAYS", "36500"));
    let server = Server::start(t.dir(), &env);
    let bob = signup(&http, &server, "bob").await;
    let (status, _, body) = submit(&http, &server, &bob, "1707.08567").await;
    assert_eq!(status, 200, "{body}");
    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    assert_eq!(body["feedDay"], today.as_str());
    let (status, listed) = server.get(&format!("/api/daily_papers?date={today}"));
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["paper"]["id"], "1707.08567");
    assert_eq!(listed[0]["submittedBy"]["name"], "bob");
    let stored = t
        .store
        .listing(&"1707.08567".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.entry.unwrap().submitted_by.unwrap().user, "bob");
    server.stop();
}
