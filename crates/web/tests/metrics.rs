//! `/metrics` through the router: requests are counted by route pattern
//! from the very first one (junk URLs share the `unmatched` label), with
//! latency histograms, store pool use and the response cache's figures.
//! Its own test binary: the request log test elsewhere installs a log
//! subscriber that requests on other threads would race.

mod common;

use axum::http::StatusCode;
use common::*;

#[tokio::test]
async fn requests_are_counted_by_route_pattern_from_the_first_one() {
    let app = app().await;
    assert_eq!(app.get("/papers/2511.22699").await.status, StatusCode::OK);
    app.get("/no/such/page").await;
    let invented = axum::http::Request::builder()
        .method("BREW")
        .uri("/")
        .body(axum::body::Body::empty())
        .unwrap();
    tower::ServiceExt::oneshot(app.router.clone(), invented)
        .await
        .unwrap();
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = &metrics.body;
    assert!(
        text.lines()
            .any(|l| l.starts_with("dailypapers_http_requests_total{")
                && l.contains("route=\"/papers/{*id}\"")
                && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(text.contains("route=\"unmatched\""), "{text}");
    assert!(
        !text.contains("/no/such/page"),
        "junk URLs make no series: {text}"
    );
    assert!(
        text.contains("dailypapers_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains("dailypapers_store_pool_connections{"),
        "{text}"
    );
    assert!(
        text.contains("dailypapers_response_cache_entries"),
        "{text}"
    );
}
