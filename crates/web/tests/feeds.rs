//! Every page that lists papers is also a feed: the page names its feeds
//! in `<link rel="alternate">`, each feed parses as what it says it is
//! (Atom with atom_syndication, RSS with rss, JSON Feed with serde) and
//! lists the page's papers in the page's order with absolute links, and a
//! reader that has a feed gets a 304.

mod common;

use common::*;
use serde_json::Value;

/// The papers a page shows, as the paths its cards link, in order.
fn page_papers(body: &str) -> Vec<String> {
    body.split(r#"<article class="paper-card">"#)
        .skip(1)
        .map(|card| {
            let rest = card.split(r#"<h3><a href=""#).nth(1).unwrap();
            rest.split('"').next().unwrap().to_string()
        })
        .collect()
}

/// The feeds a page names in its head: (media type, href).
fn alternates(body: &str) -> Vec<(String, String)> {
    let head = body.split("</head>").next().unwrap();
    head.split(r#"<link rel="alternate" "#)
        .skip(1)
        .map(|tag| {
            let attr = |name: &str| {
                tag.split(&format!(r#"{name}=""#))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .replace("&amp;", "&")
            };
            (attr("type"), attr("href"))
        })
        .collect()
}

/// The paper paths a feed links, in order, read by the format's parser.
fn feed_papers(media: &str, body: &str) -> Vec<String> {
    let path = |url: &str| {
        url.strip_prefix("http://localhost")
            .unwrap_or_else(|| panic!("{url} is not absolute on the request's host"))
            .to_string()
    };
    match media {
        "application/atom+xml" => {
            let feed = atom_syndication::Feed::read_from(body.as_bytes()).unwrap();
            assert!(feed.links().iter().any(|l| l.rel() == "self"));
            feed.entries()
                .iter()
                .map(|e| {
                    assert!(e.id().starts_with("https://arxiv.org/abs/"), "{}", e.id());
                    path(e.links()[0].href())
                })
                .collect()
        }
        "application/rss+xml" => {
            let channel = rss::Channel::read_from(body.as_bytes()).unwrap();
            channel
                .items()
                .iter()
                .map(|i| {
                    assert!(i.pub_date().is_some());
                    path(i.link().unwrap())
                })
                .collect()
        }
        "application/feed+json" => {
            let feed: Value = serde_json::from_str(body).unwrap();
            assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
            feed["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    assert!(i["date_published"].as_str().is_some());
                    path(i["url"].as_str().unwrap())
                })
                .collect()
        }
        other => panic!("unexpected feed type {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_papers_is_a_feed_of_the_same_papers() {
    let app = app().await;
    // Scores as of a day after the latest feed day, so there are some.
    let done =
        dailypapers_store::trending::refresh(&*app.store, "2025-12-04T12:00:00Z".parse().unwrap())
            .await
            .unwrap();
    assert!(done.trending > 0);
    let pages = [
        "/trending",
        "/",
        "/?date=2025-12-03",
        "/week/2025-W49",
        "/month/2025-12",
        "/search?q=diffusion&mode=keyword",
        "/organizations/Tongyi-MAI",
    ];
    for page in pages {
        let html = app.get(page).await;
        assert_eq!(html.status, 200, "{page}");
        let shown = page_papers(&html.body);
        assert!(!shown.is_empty(), "{page} shows papers");
        let feeds = alternates(&html.body);
        assert_eq!(feeds.len(), 3, "{page}: {feeds:?}");
        for (media, href) in feeds {
            let feed = app.get(&href).await;
            assert_eq!(feed.status, 200, "{href}: {}", feed.body);
            assert!(
                feed.header("content-type").starts_with(&media),
                "{href}: {}",
                feed.header("content-type")
            );
            assert_eq!(
                feed_papers(&media, &feed.body),
                shown,
                "{href} lists {page}'s papers"
            );
            // The reader that has it is told so.
            let etag = feed.header("etag").to_string();
            let again = app.get_with(&href, &[("if-none-match", &etag)]).await;
            assert_eq!(again.status, 304, "{href}");
            assert!(again.body.is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_feed_follows_the_latest_day_and_a_day_feed_stays() {
    let app = app().await;
    let latest = app.get("/feed.json").await;
    let day = app.get("/feed.json?date=2025-12-01").await;
    let json = |r: &Reply| -> Value { serde_json::from_str(&r.body).unwrap() };
    // 2025-12-03 is the latest feed day of the test data.
    assert_eq!(json(&latest)["home_page_url"], "http://localhost/");
    assert_eq!(json(&latest)["feed_url"], "http://localhost/feed.json");
    assert_eq!(json(&latest)["items"].as_array().unwrap().len(), 15);
    assert_eq!(
        json(&day)["home_page_url"],
        "http://localhost/?date=2025-12-01"
    );
    assert_eq!(json(&day)["items"].as_array().unwrap().len(), 23);
    let week = app.get("/week/feed.atom").await;
    assert_eq!(week.status, 200);
    assert!(
        week.body
            .contains("<link href=\"http://localhost/week/2025-W49\""),
        "{}",
        &week.body[..600]
    );
    // Dates are the papers', not the request's: the same body twice.
    assert_eq!(
        app.get("/feed.rss").await.body,
        app.get("/feed.rss").await.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_whose_copy_is_as_new_gets_304_and_an_older_copy_gets_the_feed() {
    let app = app().await;
    let feed = app.get("/feed.atom").await;
    let modified = feed.header("last-modified").to_string();
    assert!(!modified.is_empty());
    let since = app
        .get_with("/feed.atom", &[("if-modified-since", &modified)])
        .await;
    assert_eq!(since.status, 304);
    let older = app
        .get_with(
            "/feed.atom",
            &[("if-modified-since", "Mon, 01 Jan 2024 00:00:00 GMT")],
        )
        .await;
    assert_eq!(older.status, 200);
    // A tag that no longer matches is answered in full, whatever the date.
    let stale = app
        .get_with(
            "/feed.atom",
            &[
                ("if-none-match", "\"0000\""),
                ("if-modified-since", &modified),
            ],
        )
        .await;
    assert_eq!(stale.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_feed_requests_are_named() {
    let app = app().await;
    let no_query = app.get("/search/feed.atom").await;
    assert_eq!(no_query.status, 400);
    assert!(no_query.body.contains("q"), "{}", no_query.body);
    assert_eq!(app.get("/week/2025-W99/feed.rss").await.status, 400);
    assert_eq!(app.get("/feed.atom?date=yesterday").await.status, 400);
    assert_eq!(
        app.get("/organizations/No-Such-Org/feed.json").await.status,
        404
    );
    assert_eq!(
        app.get("/collections/nobody/x-000000000000000000000000/feed.atom")
            .await
            .status,
        404
    );
    assert_eq!(app.get("/feed.xml").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_collection_is_a_feed_with_its_notes_and_a_private_one_is_not() {
    let app = app().await;
    let ada = accounts::signup(&app, "ada").await;
    let made = accounts::act(
        &app,
        &ada,
        "POST",
        "/api/collections",
        serde_json::json!({"title": "Reading list", "private": false}),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let slug = made.json()["slug"].as_str().unwrap().to_string();
    for (paper, note) in [("2511.22699", "Read <this> first"), ("2511.22055", "")] {
        let r = accounts::act(
            &app,
            &ada,
            "POST",
            &format!("/api/collections/{slug}/items"),
            serde_json::json!({"item": {"id": paper, "type": "paper"}, "note": note}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let page = ada.get(&app, &format!("/collections/{slug}")).await;
    let feeds = alternates(&page.body);
    assert_eq!(feeds.len(), 3);
    let json = app
        .get(&feeds.iter().find(|(m, _)| m.contains("json")).unwrap().1)
        .await;
    assert_eq!(json.status, 200);
    let feed: Value = serde_json::from_str(&json.body).unwrap();
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["url"], "http://localhost/papers/2511.22699");
    assert!(
        items[0]["content_text"]
            .as_str()
            .unwrap()
            .contains("Read <this> first")
    );
    assert!(
        items[0]["content_html"]
            .as_str()
            .unwrap()
            .contains("Read &lt;this&gt; first")
    );
    // Made private, it is gone for readers, with no hint that it exists.
    let r = accounts::act(
        &app,
        &ada,
        "PATCH",
        &format!("/api/collections/{slug}"),
        serde_json::json!({"private": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get(&format!("/collections/{slug}/feed.json"))
            .await
            .status,
        404
    );
    let own = ada.get(&app, &format!("/collections/{slug}")).await;
    assert!(
        alternates(&own.body).is_empty(),
        "a private page names no feed"
    );
}
