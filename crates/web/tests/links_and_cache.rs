//! Through the router: absolute links never take a forged host, forwarded
//! headers count only from trusted proxies, and the response cache keys
//! pages by their parsed parameters and stays within its caps.

mod common;
#[path = "every_route/mod.rs"]
mod every_route;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::*;
use dailypapers_web::forwarded::TrustedProxies;
use dailypapers_web::{AppState, WebConfig, router};
use every_route::{FORGED, FORGED_WORDS, ROUTES};
use tower::ServiceExt;

/// [`app`] served with `config`.
async fn app_with(config: WebConfig) -> TestApp {
    let test = app().await;
    let state = AppState {
        store: test.store.clone(),
        search: test.search.clone(),
        config: Arc::new(config),
        ops: Default::default(),
    };
    TestApp {
        router: router(state),
        ..test
    }
}

/// The last page's `Link`, or "".
async fn link(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> String {
    app.get_with(uri, headers).await.header("link").to_string()
}

/// Sends one request as if from `peer`.
async fn link_from(app: &TestApp, peer: &str, headers: &[(&str, &str)]) -> String {
    let mut req = Request::get("/api/daily_papers?limit=1");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::empty()).unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn with_a_public_url_no_forged_host_reaches_any_link() {
    let app = app_with(WebConfig {
        public_url: Some("https://papers.example.org".parse().unwrap()),
        // Even a proxy that would be trusted cannot change it.
        trusted_proxies: TrustedProxies::parse(&["0.0.0.0/0"]).unwrap(),
        ..WebConfig::default()
    })
    .await;
    for route in ROUTES {
        for _ in 0..2 {
            let r = app.get_with(route, FORGED).await;
            for word in FORGED_WORDS {
                assert!(!r.body.contains(word), "{route}: {word} in the body");
                for (name, value) in &r.headers {
                    let value = value.to_str().unwrap_or_default();
                    assert!(!value.contains(word), "{route}: {word} in {name}: {value}");
                }
            }
        }
    }
    assert_eq!(
        link(&app, "/api/daily_papers?limit=1", FORGED).await,
        "<https://papers.example.org/api/daily_papers?p=1&limit=1>; rel=\"next\""
    );
    assert_eq!(
        link_from(&app, "10.0.0.1:5000", FORGED).await,
        "<https://papers.example.org/api/daily_papers?p=1&limit=1>; rel=\"next\""
    );
}

#[tokio::test]
async fn without_one_links_name_the_host_and_forwarded_headers_need_a_trusted_peer() {
    let app = app_with(WebConfig {
        trusted_proxies: TrustedProxies::parse(&["10.0.0.0/8"]).unwrap(),
        ..WebConfig::default()
    })
    .await;
    let uri = "/api/daily_papers?limit=1";
    // Each host has its own cache entry, since the link names it.
    assert!(
        link(&app, uri, &[("host", "a.example")])
            .await
            .starts_with("<http://a.example/")
    );
    assert!(
        link(&app, uri, &[("host", "b.example:81")])
            .await
            .starts_with("<http://b.example:81/")
    );
    assert!(
        link(&app, uri, &[("host", "a.example")])
            .await
            .starts_with("<http://a.example/")
    );
    assert!(
        link(&app, uri, &[("host", "bad host>")])
            .await
            .starts_with("<http://localhost/")
    );
    // Without a peer (in process) or from an untrusted one, forwarded headers are ignored.
    assert!(
        link(&app, uri, FORGED)
            .await
            .starts_with("<http://evil-h0st.example/")
    );
    let forwarded = [
        ("host", "internal:8080"),
        ("x-forwarded-host", "papers.example.org"),
        ("x-forwarded-proto", "https"),
    ];
    assert!(
        link_from(&app, "192.0.2.1:5000", &forwarded)
            .await
            .starts_with("<http://internal:8080/")
    );
    // From a trusted proxy they are believed.
    assert_eq!(
        link_from(&app, "10.1.2.3:5000", &forwarded).await,
        "<https://papers.example.org/api/daily_papers?p=1&limit=1>; rel=\"next\""
    );
}

/// One figure of `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics").await.body;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("dailypapers_response_cache_{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn junk_parameters_share_one_entry_and_the_caps_hold() {
    let app = app_with(WebConfig {
        cache_max_entries: 5,
        // Long enough that nothing expires during the test.
        cache_for: std::time::Duration::from_secs(600),
        ..WebConfig::default()
    })
    .await;
    assert_eq!(metric(&app, "max_entries").await, 5);
    assert_eq!(metric(&app, "max_bytes").await, 64 << 20);
    let first = app.get("/api/daily_papers?date=2025-12-01&limit=5").await;
    for i in 0..50 {
        let uri = format!("/api/daily_papers?junk{i}=x&limit=5&utm_source={i}&date=2025-12-01");
        let r = app.get(&uri).await;
        assert_eq!(r.body, first.body, "{uri}");
        assert_eq!(r.header("link"), first.header("link"), "{uri}");
    }
    for i in 0..20 {
        app.get(&format!("/?fbclid={i}&date=2025-12-01")).await;
    }
    assert_eq!(metric(&app, "entries").await, 2);
    assert_eq!(metric(&app, "misses_total").await, 2);
    assert_eq!(metric(&app, "hits_total").await, 50 + 19);
    // Distinct pages beyond the cap push the least recently used out.
    for i in 0..40 {
        let r = app
            .get(&format!("/api/daily_papers?submitter=someone-{i}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(metric(&app, "entries").await <= 5);
    }
    assert!(metric(&app, "evictions_total").await >= 35);
    assert!(metric(&app, "bytes").await > 0);
    // A refused request is not cached, and says which parameter is wrong.
    let r = app.get("/api/daily_papers?limit=0&junk=1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn with_the_cache_off_the_metrics_say_zero() {
    let app = app_with(WebConfig {
        cache_for: std::time::Duration::ZERO,
        ..WebConfig::default()
    })
    .await;
    app.get("/").await;
    assert_eq!(metric(&app, "entries").await, 0);
    assert_eq!(metric(&app, "max_entries").await, 0);
    assert_eq!(
        app.get("/metrics").await.header("content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
}
