//! Vote and search limits through the router, on the backend the tests run
//! against, on a clock the test moves: 429 with a `Retry-After` that is
//! right, a new window that lets requests through again, a limit per
//! client address or member, and two servers on one store sharing it.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use dailypapers_web::auth::{AccountPolicy, Accounts, Limit, RateLimits};
use dailypapers_web::throttle::Throttle;
use dailypapers_web::{Ops, WebConfig};
use serde_json::json;

const PAPER: &str = "2511.22699";

/// A clock the test sets.
#[derive(Clone)]
struct Clock(Arc<Mutex<DateTime<Utc>>>);

impl Clock {
    fn at(t: &str) -> Self {
        Clock(Arc::new(Mutex::new(t.parse().unwrap())))
    }

    fn set(&self, t: &str) {
        *self.0.lock().unwrap() = t.parse().unwrap();
    }

    fn throttle(
        &self,
        store: Arc<dyn dailypapers_store::Store>,
        limits: &RateLimits,
    ) -> Arc<Throttle> {
        let now = self.0.clone();
        Arc::new(Throttle::new(store, limits).with_clock(Arc::new(move || *now.lock().unwrap())))
    }
}

fn limits(votes: u32, searches: u32) -> RateLimits {
    let minute = Duration::from_secs(60);
    RateLimits {
        vote: Limit {
            hits: votes,
            per: minute,
        },
        search: Limit {
            hits: searches,
            per: minute,
        },
        ..RateLimits::default()
    }
}

/// The app with `throttle` and the limits it was made with.
fn limited(app: TestApp, throttle: Arc<Throttle>, limits: RateLimits) -> TestApp {
    let config = WebConfig {
        accounts: Accounts {
            policy: AccountPolicy {
                limits,
                ..AccountPolicy::default()
            },
            ..Accounts::default()
        },
        ..WebConfig::default()
    };
    app.with(
        config,
        Ops {
            throttle: Some(throttle),
            ..Ops::default()
        },
    )
}

fn peer(ip: &str) -> Option<SocketAddr> {
    Some(SocketAddr::new(ip.parse().unwrap(), 40_000))
}

async fn search_from(app: &TestApp, ip: &str, uri: &str) -> Reply {
    app.send_from(peer(ip), "GET", uri, &[], "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_are_limited_per_address_with_a_right_retry_after() {
    let clock = Clock::at("2026-03-02T12:00:20Z");
    let app = app().await;
    let l = limits(0, 3);
    let throttle = clock.throttle(app.store.clone(), &l);
    let app = limited(app, throttle, l);
    let me = "203.0.113.7";
    // Pages without a query are not searches; three searches are let through.
    for uri in ["/search", "/api/papers/search", "/api/papers/search?q="] {
        assert_eq!(search_from(&app, me, uri).await.status, 200, "{uri}");
    }
    for uri in [
        "/api/search?q=diffusion",
        "/search?q=video",
        "/api/papers/search?q=reasoning",
    ] {
        assert_eq!(search_from(&app, me, uri).await.status, 200, "{uri}");
    }
    // The fourth, whichever kind, is refused until the minute is over.
    let r = search_from(&app, me, &format!("/api/papers/{PAPER}/similar")).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.header("retry-after"), "40");
    assert!(r.json()["error"].as_str().unwrap().contains("40 s"));
    let page = search_from(&app, me, "/search?q=video").await;
    assert_eq!(page.status, 429);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.body.contains("Too many requests"));
    // Other addresses have their own count; an unknown one is not counted.
    assert_eq!(
        search_from(&app, "198.51.100.2", "/api/search?q=x")
            .await
            .status,
        200
    );
    assert_eq!(app.get("/api/search?q=x").await.status, 200);
    // Retry-After rounds up, and is right: refused just before, let
    // through at the end of the window.
    clock.set("2026-03-02T12:00:59.200Z");
    let r = search_from(&app, me, "/api/search?q=x").await;
    assert_eq!((r.status.as_u16(), r.header("retry-after")), (429, "1"));
    clock.set("2026-03-02T12:01:00Z");
    for _ in 0..3 {
        assert_eq!(search_from(&app, me, "/api/search?q=x").await.status, 200);
    }
    assert_eq!(search_from(&app, me, "/api/search?q=x").await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_are_limited_per_member() {
    let clock = Clock::at("2026-03-02T12:00:45Z");
    let app = app().await;
    let l = limits(2, 0);
    let throttle = clock.throttle(app.store.clone(), &l);
    let app = limited(app, throttle, l);
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;
    let uri = format!("/api/papers/{PAPER}/upvote");
    assert_eq!(act(&app, &ada, "POST", &uri, json!({})).await.status, 200);
    let after = act(&app, &ada, "DELETE", &uri, json!({})).await;
    assert_eq!(after.status, 200);
    let count = after.json()["upvotes"].clone();
    let r = act(&app, &ada, "POST", &uri, json!({})).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), "15");
    assert_eq!(
        app.get(&format!("/api/papers/{PAPER}")).await.json()["upvotes"],
        count,
        "the refused vote changed nothing"
    );
    // Bob has his own; searches are not limited (0 turns a limit off).
    assert_eq!(act(&app, &bob, "POST", &uri, json!({})).await.status, 200);
    for _ in 0..10 {
        assert_eq!(
            search_from(&app, "203.0.113.7", "/api/search?q=x")
                .await
                .status,
            200
        );
    }
    clock.set("2026-03-02T12:01:00Z");
    let r = act(&app, &ada, "POST", &uri, json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["upvoted"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_store_share_the_limit() {
    let clock = Clock::at("2026-03-02T12:00:00Z");
    let one = app().await;
    // A second server: its own connections to the same store, its own counts.
    let other_store = one.test_store.open_another().await;
    let l = limits(0, 4);
    let a_throttle = clock.throttle(one.store.clone(), &l);
    let b_throttle = clock.throttle(other_store.clone(), &l);
    let a = limited(one, a_throttle.clone(), l);
    let b = TestApp {
        store: other_store,
        test_store: a.test_store.clone(),
        search: a.search.clone(),
        router: a.router.clone(),
    };
    let b = limited(b, b_throttle.clone(), l);
    let me = "203.0.113.7";
    for _ in 0..3 {
        assert_eq!(search_from(&a, me, "/api/search?q=x").await.status, 200);
    }
    a_throttle.settle().await.unwrap();
    // B has not heard of A's three yet: its first is let through, and at its
    // next settle (every second in `serve`) it learns the shared count.
    assert_eq!(search_from(&b, me, "/api/search?q=x").await.status, 200);
    b_throttle.settle().await.unwrap();
    let r = search_from(&b, me, "/api/search?q=x").await;
    assert_eq!(r.status, 429, "B counted one, and knows of A's three");
    assert_eq!(r.header("retry-after"), "60");
    // A still thinks three: one more gets through there (the bounded
    // overshoot, one second's worth), then A knows too.
    assert_eq!(search_from(&a, me, "/api/search?q=x").await.status, 200);
    a_throttle.settle().await.unwrap();
    assert_eq!(search_from(&a, me, "/api/search?q=x").await.status, 429);
    // The next window, on both.
    clock.set("2026-03-02T12:01:00Z");
    a_throttle.settle().await.unwrap();
    assert_eq!(search_from(&b, me, "/api/search?q=x").await.status, 200);
    assert_eq!(search_from(&a, me, "/api/search?q=x").await.status, 200);
}
