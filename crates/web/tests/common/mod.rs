//! Shared by the page and API tests: a real store from
//! `dailypapers_store::testing` (an SQLite file in a temporary directory),
//! filled from the recorded Hugging Face responses in
//! `fixtures/hf-daily-papers/`, and a way to send the router one request.
#![allow(dead_code)]

pub mod accounts;
#[allow(unused_imports)]
pub use accounts::*;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::NaiveDate;
use dailypapers_domain::Listing;
use dailypapers_ingest::hf_daily::{HfOptions, parse};
use dailypapers_search::{EngineOptions, SearchEngine};
use dailypapers_store::Store;
use dailypapers_store::testing::{TestStore, fresh_store};
use dailypapers_web::{AppState, WebConfig, router};
use serde_json::Value;
use tower::ServiceExt;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/hf-daily-papers")
}

/// The text of a recorded response, e.g. `fixture("2025-12-01")`.
pub fn fixture(day: &str) -> String {
    let path = fixtures_dir().join(format!("{day}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recorded response as JSON, to compare against.
pub fn fixture_json(day: &str) -> Vec<Value> {
    serde_json::from_str(&fixture(day)).unwrap()
}

/// Listings from a recorded response; `fallback_day` places items without `submittedOnDailyAt`.
pub fn listings(json: &str, fallback_day: &str) -> Vec<Listing> {
    let options = HfOptions {
        fallback_day: Some(fallback_day.parse::<NaiveDate>().unwrap()),
        time_zone: Default::default(),
    };
    parse(json, &options)
        .expect("fixture parses")
        .into_iter()
        .map(|r| r.expect("every fixture record is valid"))
        .collect()
}

/// The 2025-11-03 response moved to 2025-12-03, so that one ISO week and one
/// month hold real papers from two feed days.
pub fn moved_to_december_3() -> String {
    let text = fixture("2025-11-03");
    let moved = text.replace(
        "\"submittedOnDailyAt\": \"2025-11-03T",
        "\"submittedOnDailyAt\": \"2025-12-03T",
    );
    assert_ne!(
        moved, text,
        "the fixture's submittedOnDailyAt format changed"
    );
    moved
}

/// A running app over a store in a temporary directory.
pub struct TestApp {
    /// The store under test, and the temporary directory of the indexes.
    pub test_store: Arc<TestStore>,
    pub store: Arc<dyn Store>,
    pub search: Arc<SearchEngine>,
    pub router: Router,
}

impl TestApp {
    /// The same app with its router made again with `config` and `ops`
    /// (limits, a trending refresher), over the same store and indexes.
    pub fn with(mut self, config: WebConfig, ops: dailypapers_web::Ops) -> Self {
        self.router = router(AppState {
            store: self.store.clone(),
            search: self.search.clone(),
            config: Arc::new(config),
            ops: Arc::new(ops),
        });
        self
    }

    /// Brings the keyword index (and, with a model, the embeddings and the
    /// vector index) up to date with the store, as the server's background
    /// loop does.
    pub async fn index(&self) {
        self.search.catch_up_keyword().await.unwrap();
        if self.search.model().is_some() {
            self.search.embed_pending(&|_| {}).await.unwrap();
            self.search.catch_up_vectors().await.unwrap();
        }
    }
}

/// The model directory the tests use: `DAILYPAPERS_MODEL_DIR`, else the one
/// `make model` fills.
pub fn model_dir() -> PathBuf {
    match std::env::var_os("DAILYPAPERS_MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2"),
    }
}

/// An app without an embedding model: keyword search only.
pub async fn empty_app() -> TestApp {
    app_with_model_dir(PathBuf::from("/nonexistent/model")).await
}

/// An app whose semantic search uses the real model (see [`model_dir`]).
pub async fn empty_app_with_model() -> TestApp {
    let dir = model_dir();
    assert!(
        dir.join("model.safetensors").exists(),
        "no model in {}: run `make model` (or set DAILYPAPERS_MODEL_DIR)",
        dir.display()
    );
    app_with_model_dir(dir).await
}

async fn app_with_model_dir(model_dir: PathBuf) -> TestApp {
    let test_store = Arc::new(fresh_store().await);
    let store = test_store.store.clone();
    let options = EngineOptions {
        model_dir,
        ..EngineOptions::default()
    };
    let search = Arc::new(SearchEngine::open(store.clone(), test_store.dir(), options).unwrap());
    let state = AppState {
        store: store.clone(),
        search: search.clone(),
        config: Arc::new(WebConfig::default()),
        ops: Default::default(),
    };
    TestApp {
        router: router(state),
        store,
        search,
        test_store,
    }
}

/// Feed days 2024-05-27 (13 papers, the older format), 2025-12-01 (23) and
/// 2025-12-03 (15, from 2025-11-03). See [`full_app`] for every recorded day.
pub async fn app() -> TestApp {
    fill(empty_app().await).await
}

/// [`app`] with the real embedding model, every paper embedded.
pub async fn app_with_model() -> TestApp {
    fill(empty_app_with_model().await).await
}

async fn fill(app: TestApp) -> TestApp {
    let mut batch = listings(&fixture("2024-05-27"), "2024-05-27");
    batch.extend(listings(&fixture("2025-12-01"), "2025-12-01"));
    batch.extend(listings(&moved_to_december_3(), "2025-12-03"));
    app.store.import(batch).await.unwrap();
    app.index().await;
    app
}

/// Every recorded day, oldest first (the fixture files' names without `.json`).
pub fn fixture_days() -> Vec<String> {
    let mut days: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_string))
        .collect();
    days.sort();
    days
}

/// Every recorded day as recorded: 19 feed days, about one a month from
/// 2024-05-27 to 2025-12-01, each file placed on the day it is named after.
pub async fn full_app() -> TestApp {
    let app = empty_app().await;
    let days = fixture_days();
    assert_eq!(days.len(), 19, "{days:?}");
    let mut batch = Vec::new();
    for day in &days {
        batch.extend(listings(&fixture(day), day));
    }
    app.store.import(batch).await.unwrap();
    app.index().await;
    app
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    pub async fn get(&self, uri: &str) -> Reply {
        self.get_with(uri, &[]).await
    }

    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", uri, headers, "").await
    }

    /// Sends one request with `method`, `headers` and `body`.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.send_from(None, method, uri, headers, body).await
    }

    /// Sends one request as [`TestApp::send`] does, as if from the TCP
    /// peer `peer` (as `serve` records it), or from no known peer.
    pub async fn send_from(
        &self,
        peer: Option<std::net::SocketAddr>,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(Body::from(body.to_string())).unwrap();
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let bytes = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
                .expect("a valid gzip body");
            plain
        } else {
            bytes.to_vec()
        };
        Reply {
            status,
            headers,
            body: String::from_utf8(bytes).unwrap(),
        }
    }
}

/// Signs `name` up through the API (address `{name}@example.org`, password
/// `{name} has a long passphrase`); the answer, checked to be a 200.
pub async fn sign_up(app: &TestApp, name: &str) -> Reply {
    let body = serde_json::json!({
        "username": name,
        "email": format!("{name}@example.org"),
        "password": format!("{name} has a long passphrase"),
    });
    let r = app
        .send(
            "POST",
            "/api/auth/signup",
            &[("content-type", "application/json")],
            &body.to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

/// How a text appears in HTML after escaping (numeric character references).
pub fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The upstream ids of a recorded day, most upvoted first, earliest submitted first among ties.
pub fn ranked_ids(items: &[Value]) -> Vec<String> {
    let mut v: Vec<(i64, String, String)> = items
        .iter()
        .map(|x| {
            let p = &x["paper"];
            let submitted = p["submittedOnDailyAt"]
                .as_str()
                .or(x["publishedAt"].as_str())
                .unwrap()
                .to_string();
            (
                -p["upvotes"].as_i64().unwrap(),
                submitted,
                p["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, _, id)| id).collect()
}

/// The titles of a recorded day, in [`ranked_ids`] order, whitespace collapsed.
pub fn ranked_titles(items: &[Value]) -> Vec<String> {
    ranked_ids(items)
        .iter()
        .map(|id| {
            let x = items
                .iter()
                .find(|x| x["paper"]["id"] == id.as_str())
                .unwrap();
            x["paper"]["title"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Asserts the texts appear in `body` in this order.
pub fn assert_in_order(body: &str, texts: &[String]) {
    let mut from = 0;
    for t in texts {
        let at = body[from..]
            .find(t.as_str())
            .unwrap_or_else(|| panic!("{t:?} missing or out of order"));
        from += at + t.len();
    }
}

/// The mails queued in the outbox so far, claimed (so each is read once):
/// (recipient, the whole message with its body as a mail client shows it,
/// quoted-printable decoded).
pub async fn queued_mails(app: &TestApp) -> Vec<(String, String)> {
    let mails = app
        .store
        .claim_mail(
            "test",
            chrono::Utc::now(),
            std::time::Duration::from_secs(60),
            100,
        )
        .await
        .unwrap();
    mails
        .iter()
        .map(|m| {
            let raw = String::from_utf8(m.message.clone()).unwrap();
            let text = match raw.split_once("\r\n\r\n") {
                Some((head, body))
                    if head.contains("Content-Transfer-Encoding: quoted-printable") =>
                {
                    let body = quoted_printable::decode(body, quoted_printable::ParseMode::Robust)
                        .unwrap();
                    format!("{head}\r\n\r\n{}", String::from_utf8(body).unwrap())
                }
                _ => raw,
            };
            (m.recipient.clone(), text)
        })
        .collect()
}
