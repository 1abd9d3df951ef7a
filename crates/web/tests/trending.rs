//! The Trending tab and `sort=trending` through the router, on the backend
//! the tests run against: papers put on the feed hours ago, votes and
//! comments through the API, scores computed by a refresh (or by the
//! refresher the votes nudge), and what a reader and a member then see.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use dailypapers_jobs::{TrendingOptions, TrendingRefresher};
use dailypapers_store::testing::listed;
use dailypapers_store::trending::refresh;
use dailypapers_web::{Ops, WebConfig};
use serde_json::json;

/// `(id, title, imported upvotes, hours on the feed)`.
const PAPERS: &[(&str, &str, u32, i64)] = &[
    ("2612.00001", "Alpha sparse attention", 30, 3),
    ("2612.00002", "Beta draft models", 30, 3),
    ("2612.00003", "Gamma token merging", 5, 20),
    ("2612.00004", "Delta old favourite", 400, 240),
    ("2612.00005", "Epsilon quiet newcomer", 0, 1),
];

async fn feed_app(now: DateTime<Utc>) -> TestApp {
    let app = empty_app().await;
    let batch = PAPERS
        .iter()
        .map(|&(id, title, imported, hours)| {
            listed(id, title, imported, Some(now - TimeDelta::hours(hours)))
        })
        .collect();
    app.store.import(batch).await.unwrap();
    app
}

fn ids(r: &Reply) -> Vec<String> {
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["paper"]["id"].as_str().unwrap().to_string())
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tab_lists_trending_papers_with_why_and_sort_trending_follows_it() {
    let now = Utc::now();
    let app = feed_app(now).await;
    // Ada votes for Beta; Bob discusses Gamma.
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;
    let r = act(
        &app,
        &ada,
        "POST",
        "/api/papers/2612.00002/upvote",
        json!({}),
    )
    .await;
    assert_eq!(r.json()["upvotes"], 31, "{}", r.body);
    let r = act(
        &app,
        &bob,
        "POST",
        "/api/papers/2612.00003/comments",
        json!({"body": "The merge schedule is the interesting part."}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    refresh(&*app.store, Utc::now()).await.unwrap();

    let page = app.get("/trending").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), "public, max-age=30");
    assert!(
        page.body
            .contains(r#"<a href="/trending" aria-current="page">Trending</a>"#)
    );
    // Beta (a fresh member vote) above Alpha (the same imported count),
    // above Gamma (older, fewer votes, a discussion); each with its reason.
    assert_in_order(
        &page.body,
        &strings(&[
            "Beta draft models",
            "31 upvotes, 1 in the last 24 h",
            "Alpha sparse attention",
            "30 upvotes",
            "Gamma token merging",
            "5 upvotes · 1 comment today",
        ]),
    );
    assert_eq!(page.body.matches(r#"class="paper-card""#).count(), 3);
    assert!(!page.body.contains("Delta old favourite"), "ten days old");
    assert!(!page.body.contains("Epsilon quiet newcomer"), "no votes");
    assert!(page.body.contains("title=\"Log in to upvote\""));

    // sort=trending: the trending papers in the tab's order, then the rest
    // by upvotes; on a day, the day's papers in the same order.
    let all = app.get("/api/daily_papers?sort=trending").await;
    assert_eq!(
        ids(&all),
        [
            "2612.00002",
            "2612.00001",
            "2612.00003",
            "2612.00004",
            "2612.00005"
        ]
    );
    let limited = app.get("/api/daily_papers?sort=trending&limit=2").await;
    assert_eq!(ids(&limited), ["2612.00002", "2612.00001"]);
    assert!(
        limited
            .header("link")
            .contains("/api/daily_papers?p=1&limit=2&sort=trending>"),
        "{}",
        limited.header("link")
    );
    let day = (now - TimeDelta::hours(3)).date_naive();
    let on_day = app
        .get(&format!("/api/daily_papers?date={day}&sort=trending"))
        .await;
    let expected: Vec<&str> = [
        "2612.00002",
        "2612.00001",
        "2612.00003",
        "2612.00004",
        "2612.00005",
    ]
    .into_iter()
    .filter(|id| {
        let hours = PAPERS.iter().find(|p| p.0 == *id).unwrap().3;
        (now - TimeDelta::hours(hours)).date_naive() == day
    })
    .collect();
    assert_eq!(ids(&on_day), expected);

    // A member sees the shared page with their marks, from the cache too.
    for _ in 0..2 {
        let mine = app.get_with("/trending", &[("cookie", &ada.cookie)]).await;
        assert_eq!(mine.status, 200);
        assert!(mine.body.contains("@ada"));
        assert_eq!(mine.body.matches(r#"aria-pressed="true""#).count(), 1);
        assert_eq!(mine.body.matches(r#"aria-pressed="false""#).count(), 2);
        assert!(!mine.body.contains('\u{1}'), "no slot left unfilled");
        assert_eq!(mine.header("cache-control"), "private, no-cache");
        // Beta's card, the first, holds the pressed button.
        assert_in_order(
            &mine.body,
            &strings(&[
                "aria-pressed=\"true\"",
                "Beta draft models",
                "aria-pressed=\"false\"",
            ]),
        );
    }
    let anon = app.get("/trending").await;
    assert!(!anon.body.contains("@ada") && !anon.body.contains("aria-pressed"));

    // Pages: one here; past it a 404; a bad number a 400 naming it.
    assert_eq!(app.get("/trending?page=2").await.status, 404);
    for bad in ["0", "x", "10001"] {
        let r = app.get(&format!("/trending?page={bad}")).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.body.contains("page"), "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trending_pages_hold_thirty_papers() {
    let now = Utc::now();
    let nothing = empty_app().await.get("/trending").await;
    assert_eq!(nothing.status, 200);
    assert!(nothing.body.contains("Nothing is trending right now."));
    let app = empty_app().await;
    let batch = (1..=35)
        .map(|i| {
            listed(
                &format!("2612.{i:05}"),
                &format!("Paper number {i}"),
                i,
                Some(now - TimeDelta::hours(2)),
            )
        })
        .collect();
    app.store.import(batch).await.unwrap();
    refresh(&*app.store, now).await.unwrap();
    let first = app.get("/trending").await;
    assert_eq!(first.body.matches(r#"class="paper-card""#).count(), 30);
    assert!(first.body.contains(r#"href="/trending?page=2" rel="next""#));
    assert_in_order(
        &first.body,
        &strings(&["Paper number 35", "Paper number 34"]),
    );
    let second = app.get("/trending?page=2").await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body.matches(r#"class="paper-card""#).count(), 5);
    assert!(second.body.contains("Papers 31 to 35"));
    assert!(second.body.contains(r#"href="/trending" rel="prev""#));
    assert!(second.body.contains("Paper number 1<"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_reach_the_tab_soon_through_the_refresher() {
    let now = Utc::now();
    let app = feed_app(now).await;
    let refresher = Arc::new(TrendingRefresher::new(
        app.store.clone(),
        TrendingOptions {
            every: Duration::from_secs(3600),
            after_votes: Duration::from_millis(200),
            ..TrendingOptions::default()
        },
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = refresher.start(async {
        let _ = stopped.await;
    });
    let config = WebConfig {
        cache_for: Duration::ZERO,
        ..WebConfig::default()
    };
    let app = app.with(
        config,
        Ops {
            trending: Some(refresher),
            ..Ops::default()
        },
    );
    // Three members vote for Gamma through the API: the tab follows.
    for name in ["ann", "ben", "cat"] {
        let m = signup(&app, name).await;
        let r = act(&app, &m, "POST", "/api/papers/2612.00003/upvote", json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let mut seen = String::new();
    for _ in 0..100 {
        seen = app.get("/trending").await.body;
        if seen.contains("8 upvotes, 3 in the last 24 h") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen.contains("8 upvotes, 3 in the last 24 h"), "{seen}");
    let _ = stop.send(());
    running.await.unwrap();
}
