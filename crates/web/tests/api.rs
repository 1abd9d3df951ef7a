//! The Hugging Face-compatible JSON API, driven in process against a real
//! SQLite store filled with recorded upstream responses, and compared with
//! those responses field by field.

mod common;

use axum::http::StatusCode;
use common::*;
use dailypapers_domain::{Author, Listing, Paper};
use serde_json::Value;

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["paper"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Fields both responses must agree on, for one wrapper.
fn assert_same_listing(ours: &Value, upstream: &Value) {
    let id = upstream["paper"]["id"].as_str().unwrap();
    let (p, up) = (&ours["paper"], &upstream["paper"]);
    assert_eq!(p["id"], up["id"]);
    let collapse = |v: &Value| {
        v.as_str()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(collapse(&p["title"]), collapse(&up["title"]), "{id}");
    // The wrapper repeats the paper's title. Upstream's wrapper twice kept a
    // differently typeset one (`\textsc{…}`, `$^2$`), which is not stored.
    assert_eq!(collapse(&ours["title"]), collapse(&p["title"]), "{id}");
    if collapse(&upstream["title"]) == collapse(&up["title"]) {
        assert_eq!(
            collapse(&ours["title"]),
            collapse(&upstream["title"]),
            "{id}"
        );
    }
    assert_eq!(collapse(&p["summary"]), collapse(&up["summary"]), "{id}");
    assert_eq!(p["upvotes"], up["upvotes"], "{id}");
    let names = |v: &Value| -> Vec<Value> {
        v["authors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].clone())
            .collect()
    };
    assert_eq!(names(p), names(up), "{id}");
    let author_ids = |v: &Value| -> Vec<Value> {
        v["authors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["_id"].clone())
            .collect()
    };
    assert_eq!(author_ids(p), author_ids(up), "{id}");
    for a in p["authors"].as_array().unwrap() {
        assert_eq!(a["hidden"], false);
    }
    assert_eq!(p["publishedAt"], up["publishedAt"], "{id}");
    for key in [
        "submittedOnDailyAt",
        "discussionId",
        "githubRepo",
        "githubStars",
        "projectPage",
        "ai_summary",
        "ai_keywords",
    ] {
        assert_eq!(p.get(key), up.get(key), "{id}: paper.{key}");
    }
    if up.get("submittedOnDailyBy").is_some() {
        for key in ["_id", "user", "fullname", "avatarUrl", "isPro", "type"] {
            assert_eq!(
                p["submittedOnDailyBy"].get(key),
                up["submittedOnDailyBy"].get(key),
                "{id}: submittedOnDailyBy.{key}"
            );
        }
    }
    // Absent where upstream had none (2025-10-01 items carry only a
    // submitterOrganization).
    assert_eq!(p.get("organization"), up.get("organization"), "{id}");
    assert_eq!(
        ours.get("organization"),
        upstream.get("organization"),
        "{id}"
    );
    assert_eq!(
        ours.get("submitterOrganization"),
        upstream.get("submitterOrganization"),
        "{id}"
    );
    assert_eq!(ours["numComments"], upstream["numComments"], "{id}");
    assert_eq!(ours["publishedAt"], upstream["publishedAt"], "{id}");
    // Older responses called it `mediaUrl`; it is sent under today's name.
    assert_eq!(
        ours.get("thumbnail"),
        upstream.get("thumbnail").or(upstream.get("mediaUrl")),
        "{id}"
    );
    if let Some(by) = upstream.get("submittedBy") {
        for key in ["name", "fullname", "avatarUrl", "isPro", "type"] {
            assert_eq!(
                ours["submittedBy"].get(key),
                by.get(key),
                "{id}: submittedBy.{key}"
            );
        }
        // Upstream's id, else (2024 responses) a stable synthetic one.
        let ours_id = ours["submittedBy"]["_id"].as_str().unwrap();
        match by.get("_id") {
            Some(up_id) => assert_eq!(ours_id, up_id, "{id}: submittedBy._id"),
            None => assert!(
                ours_id.len() == 24 && ours_id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{id}: submittedBy._id {ours_id}"
            ),
        }
        // The daily submitter is the wrapper's, also where upstream's paper
        // did not repeat it (before April 2025).
        let on_daily = &p["submittedOnDailyBy"];
        assert_eq!(on_daily["user"], by["name"], "{id}");
        assert_eq!(on_daily["fullname"], by["fullname"], "{id}");
        assert_eq!(on_daily["_id"], ours["submittedBy"]["_id"], "{id}");
    } else {
        assert!(ours.get("submittedBy").is_none(), "{id}: submittedBy");
        assert!(p.get("submittedOnDailyBy").is_none(), "{id}");
    }
    assert_eq!(
        ours["isAuthorParticipating"],
        upstream
            .get("isAuthorParticipating")
            .cloned()
            .unwrap_or(Value::Bool(false))
    );
}

/// Only upstream's field names, on the wrappers and on their papers.
fn assert_only_upstream_keys(ours: &Value) {
    let wrapper_keys = [
        "paper",
        "publishedAt",
        "title",
        "summary",
        "thumbnail",
        "numComments",
        "submittedBy",
        "organization",
        "submitterOrganization",
        "isAuthorParticipating",
    ];
    let paper_keys = [
        "id",
        "authors",
        "publishedAt",
        "submittedOnDailyAt",
        "submittedOnDailyBy",
        "title",
        "summary",
        "upvotes",
        "discussionId",
        "ai_summary",
        "ai_keywords",
        "githubRepo",
        "githubStars",
        "projectPage",
        "organization",
    ];
    for item in ours.as_array().unwrap() {
        for k in item.as_object().unwrap().keys() {
            assert!(
                wrapper_keys.contains(&k.as_str()),
                "unexpected wrapper key {k}"
            );
        }
        for k in item["paper"].as_object().unwrap().keys() {
            assert!(paper_keys.contains(&k.as_str()), "unexpected paper key {k}");
        }
    }
}

#[tokio::test]
async fn every_recorded_day_matches_the_upstream_response_field_by_field() {
    let app = full_app().await;
    let mut with_submitter_org = 0;
    for day in fixture_days() {
        let r = app
            .get(&format!("/api/daily_papers?date={day}&limit=100"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{day}");
        let ours = r.json();
        let upstream = fixture_json(&day);
        assert_eq!(ids(&ours), ranked_ids(&upstream), "{day}");
        for u in &upstream {
            let o = ours
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["paper"]["id"] == u["paper"]["id"])
                .unwrap();
            assert_same_listing(o, u);
        }
        assert_only_upstream_keys(&ours);
        with_submitter_org += ours
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o.get("submitterOrganization").is_some())
            .count();
    }
    // 2025-10-01: a submitter's organisation is not the paper's.
    assert_eq!(with_submitter_org, 20);
    let oct = app
        .get("/api/daily_papers?date=2025-10-01&limit=100")
        .await
        .json();
    let item = oct
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o.get("submitterOrganization").is_some())
        .unwrap();
    assert!(item.get("organization").is_none(), "{item}");
    assert!(item["paper"].get("organization").is_none(), "{item}");
    assert!(item["paper"].get("submittedOnDailyAt").is_some());
    let may = app.get("/api/daily_papers?date=2024-05-27").await.json();
    assert!(may[0]["paper"].get("submittedOnDailyAt").is_none());
}

#[tokio::test]
async fn a_day_matches_the_upstream_response_field_by_field() {
    let app = app().await;
    let r = app.get("/api/daily_papers?date=2025-12-01").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("cache-control"), "public, max-age=30");
    let ours = r.json();
    let upstream = fixture_json("2025-12-01");
    // The same papers, most upvoted first; among equal upvotes, earliest
    // submitted first (upstream's own tie order is not documented).
    assert_eq!(ids(&ours), ranked_ids(&upstream));
    let upvotes =
        |v: &[Value]| -> Vec<Value> { v.iter().map(|x| x["paper"]["upvotes"].clone()).collect() };
    assert_eq!(upvotes(ours.as_array().unwrap()), upvotes(&upstream));
    for u in &upstream {
        let o = ours
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["paper"]["id"] == u["paper"]["id"])
            .unwrap();
        assert_same_listing(o, u);
    }
    let top = &ours[0];
    assert_eq!(top["paper"]["id"], "2511.22699");
    assert_eq!(top["paper"]["upvotes"], 42);
    assert_eq!(
        top["paper"]["submittedOnDailyAt"],
        "2025-12-01T00:38:17.269Z"
    );
    assert_eq!(top["paper"]["organization"]["name"], "Tongyi-MAI");
    assert_eq!(
        top["paper"]["githubRepo"],
        "https://github.com/Tongyi-MAI/Z-Image"
    );
    assert_eq!(top["paper"]["authors"][0]["name"], "Z-Image Team");
    assert_eq!(top["submittedBy"]["name"], "Paper99");
    assert_eq!(top["paper"]["submittedOnDailyBy"]["user"], "Paper99");
    assert_only_upstream_keys(&ours);
}

#[tokio::test]
async fn an_older_day_without_submission_times_matches_too() {
    let app = app().await;
    let ours = app.get("/api/daily_papers?date=2024-05-27").await.json();
    let upstream = fixture_json("2024-05-27");
    assert_eq!(ids(&ours), ranked_ids(&upstream));
    let first = &ours[0];
    assert_eq!(first["paper"]["id"], "2405.15738");
    assert_eq!(first["paper"]["upvotes"], 32);
    assert_eq!(
        first["paper"]["authors"][0]["_id"],
        "66540321d200a2ecdf784ffe"
    );
    // Upstream did not say when it was submitted, and neither do we.
    assert!(first["paper"].get("submittedOnDailyAt").is_none());
    assert_eq!(first["publishedAt"], "2024-05-27T03:50:58.348Z");
    assert_eq!(first["paper"]["publishedAt"], "2024-05-24T17:34:15.000Z");
    assert_eq!(
        first["title"],
        "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    );
    assert_eq!(first["numComments"], 3);
    assert!(first.get("submittedBy").is_none(), "unknown, so absent");
    assert!(first.get("organization").is_none());
    assert!(first["paper"].get("githubRepo").is_none());
}

#[tokio::test]
async fn pages_follow_the_link_header() {
    let app = app().await;
    let all = ids(&app.get("/api/daily_papers?date=2025-12-01").await.json());
    assert_eq!(all.len(), 23);
    // 23 papers: short last pages (5, 22), an exactly full one (1, 23), one page (23, 50).
    for limit in [1, 5, 22, 23, 50] {
        let mut paged = Vec::new();
        let mut uri = format!("/api/daily_papers?date=2025-12-01&limit={limit}");
        for page in 0.. {
            let r = app.get_with(&uri, &[("host", "papers.example:8080")]).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            let got = ids(&r.json());
            paged.extend(got.clone());
            let link = r.header("link");
            if paged.len() == all.len() {
                assert_eq!(link, "", "{uri}: the last page has no next");
                break;
            }
            assert_eq!(got.len(), limit, "{uri}");
            let expected = format!(
                "<http://papers.example:8080/api/daily_papers?p={}&limit={limit}&date=2025-12-01>; rel=\"next\"",
                page + 1
            );
            assert_eq!(link, expected);
            uri = link
                .trim_start_matches("<http://papers.example:8080")
                .split('>')
                .next()
                .unwrap()
                .to_string();
        }
        assert_eq!(paged, all, "limit={limit}");
    }
    // p is zero-based.
    let r = app
        .get("/api/daily_papers?date=2025-12-01&limit=5&p=1")
        .await;
    assert_eq!(ids(&r.json()), all[5..10]);
    let r = app.get("/api/daily_papers?date=2025-12-01&p=9").await;
    assert_eq!(r.json(), Value::Array(vec![]));
}

#[tokio::test]
async fn the_whole_feed_is_newest_first_fifty_at_a_time() {
    let app = app().await;
    let r = app.get_with("/api/daily_papers", &[("host", "h")]).await;
    let first = r.json();
    assert_eq!(first.as_array().unwrap().len(), 50);
    assert_eq!(
        r.header("link"),
        "<http://h/api/daily_papers?p=1>; rel=\"next\""
    );
    let times: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            // The submission time, else (older listings) the listing's own date.
            x["paper"]["submittedOnDailyAt"]
                .as_str()
                .or(x["publishedAt"].as_str())
                .unwrap()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(times[0].starts_with("2025-12-03"));
    let rest = app.get("/api/daily_papers?p=1").await;
    assert_eq!(rest.json().as_array().unwrap().len(), 13 + 23 + 15 - 50);
    assert_eq!(rest.header("link"), "");
    // An exactly full page that is the last has no next.
    let whole = app.get("/api/daily_papers?limit=51").await;
    assert_eq!(whole.json().as_array().unwrap().len(), 51);
    assert_eq!(whole.header("link"), "");
    let last = app.get("/api/daily_papers?limit=17&p=2").await;
    assert_eq!(last.json().as_array().unwrap().len(), 17);
    assert_eq!(last.header("link"), "");
}

#[tokio::test]
async fn weeks_months_submitters_and_sorts() {
    let app = app().await;
    let week = app.get("/api/daily_papers?week=2025-W49").await.json();
    assert_eq!(week.as_array().unwrap().len(), 38);
    let upvotes: Vec<i64> = week
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["paper"]["upvotes"].as_i64().unwrap())
        .collect();
    assert!(
        upvotes.windows(2).all(|w| w[0] >= w[1]),
        "most upvoted first"
    );
    let month = app.get("/api/daily_papers?month=2025-12").await.json();
    assert_eq!(ids(&month), ids(&week));
    let may = app.get("/api/daily_papers?month=2024-05").await.json();
    assert_eq!(may.as_array().unwrap().len(), 13);

    let newest = app
        .get("/api/daily_papers?date=2025-12-01&sort=publishedAt")
        .await
        .json();
    // sort=publishedAt orders by the item's own publishedAt, which is what the
    // official client shows as its submission time.
    let times: Vec<&str> = newest
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["publishedAt"].as_str().unwrap())
        .collect();
    assert_eq!(times.len(), 23);
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    let by_upvotes = app
        .get("/api/daily_papers?date=2025-12-01&sort=trending")
        .await
        .json();
    assert_eq!(ids(&by_upvotes), ranked_ids(&fixture_json("2025-12-01")));
    assert_ne!(ids(&newest), ids(&by_upvotes));

    // Without a period: newest submission first by default, newest listing
    // first with sort=publishedAt, most upvoted first with sort=trending.
    let mut recorded = fixture_json("2024-05-27");
    recorded.extend(fixture_json("2025-12-01"));
    recorded.extend(serde_json::from_str::<Vec<Value>>(&moved_to_december_3()).unwrap());
    let submitted = |x: &Value| -> String {
        x["paper"]["submittedOnDailyAt"]
            .as_str()
            .or(x["publishedAt"].as_str())
            .unwrap()
            .to_string()
    };
    let mut newest_first: Vec<(String, String)> = recorded
        .iter()
        .map(|x| (submitted(x), x["paper"]["id"].as_str().unwrap().to_string()))
        .collect();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert!(
        newest_first.windows(2).all(|w| w[0].0 > w[1].0),
        "submission times are distinct, so the order is fully determined"
    );
    let newest_first: Vec<String> = newest_first.into_iter().map(|(_, id)| id).collect();
    let mut listed_first: Vec<(String, String)> = recorded
        .iter()
        .map(|x| {
            let at = x["publishedAt"].as_str().unwrap().to_string();
            (at, x["paper"]["id"].as_str().unwrap().to_string())
        })
        .collect();
    // Newest listing first; equal times by id, as the store breaks ties.
    listed_first.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let listed_first: Vec<String> = listed_first.into_iter().map(|(_, id)| id).collect();
    let most_upvoted = ranked_ids(&recorded);
    assert_eq!(most_upvoted.len(), 51);
    let default = ids(&app.get("/api/daily_papers?limit=100").await.json());
    let published = ids(&app
        .get("/api/daily_papers?limit=100&sort=publishedAt")
        .await
        .json());
    let trending = ids(&app
        .get("/api/daily_papers?limit=100&sort=trending")
        .await
        .json());
    assert_eq!(default, newest_first);
    assert_eq!(published, listed_first);
    assert_ne!(
        published, newest_first,
        "the two dates order these listings differently"
    );
    assert_eq!(trending, most_upvoted);
    assert_ne!(trending, default);
    assert_eq!(trending[..3], ["2511.22699", "2510.27492", "2405.15738"]);
    let second = ids(&app
        .get("/api/daily_papers?limit=10&p=1&sort=trending")
        .await
        .json());
    assert_eq!(second, most_upvoted[10..20]);

    let upstream = fixture_json("2025-12-01");
    let by_paper99: Vec<&Value> = upstream
        .iter()
        .filter(|x| x["submittedBy"]["name"] == "Paper99")
        .collect();
    let r = app.get("/api/daily_papers?submitter=Paper99").await.json();
    assert_eq!(r.as_array().unwrap().len(), by_paper99.len());
    assert!(
        r.as_array()
            .unwrap()
            .iter()
            .all(|x| x["submittedBy"]["name"] == "Paper99")
    );
}

#[tokio::test]
async fn bad_parameters_are_a_400_naming_the_parameter_and_format() {
    let app = app().await;
    for (query, expect) in [
        ("p=-1", "invalid p"),
        ("p=abc", "integer from 0"),
        ("limit=0", "invalid limit"),
        ("limit=1000", "1 to 100"),
        ("date=2025-13-01", "YYYY-MM-DD"),
        ("week=2025-W60", "YYYY-Www"),
        ("month=2025-13", "YYYY-MM"),
        ("date=2025-12-01&week=2025-W49", "at most one of date"),
        ("sort=random", "publishedAt or trending"),
    ] {
        let r = app.get(&format!("/api/daily_papers?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.header("content-type"), "application/json", "{query}");
        let err = r.json()["error"].as_str().unwrap().to_string();
        assert!(err.contains(expect), "{query}: {err}");
    }
}

#[tokio::test]
async fn one_paper_as_a_flat_object() {
    let app = app().await;
    let r = app.get("/api/papers/2511.22699").await;
    assert_eq!(r.status, StatusCode::OK);
    let p = r.json();
    let upstream = &fixture_json("2025-12-01")[0]["paper"];
    assert_eq!(p["id"], "2511.22699");
    assert_eq!(p["title"], upstream["title"]);
    assert_eq!(p["upvotes"], 42);
    assert_eq!(p["authors"], upstream["authors"]);
    assert_eq!(p["organization"], upstream["organization"]);
    assert_eq!(p["submittedOnDailyAt"], "2025-12-01T00:38:17.269Z");
    assert_eq!(p["submittedOnDailyBy"], upstream["submittedOnDailyBy"]);
    assert_eq!(p["githubStars"], 2931);
    assert_eq!(
        p["numComments"],
        fixture_json("2025-12-01")[0]["numComments"],
        "what paper_info reads"
    );
    assert!(p.get("paper").is_none(), "flat");
    // Any id form is the same paper, answered without a redirect.
    for form in [
        "2511.22699v1",
        "2511.22699v2",
        "arXiv:2511.22699",
        "2511.22699/",
        "https://arxiv.org/abs/2511.22699v2",
        "https:/arxiv.org/abs/2511.22699v2",
        "https%3A%2F%2Farxiv.org%2Fpdf%2F2511.22699v2",
    ] {
        let r = app.get(&format!("/api/papers/{form}")).await;
        assert_eq!(r.status, StatusCode::OK, "{form}");
        assert_eq!(r.json()["id"], "2511.22699");
    }
    let r = app.get("/api/papers/2101.00001").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["error"].as_str().unwrap().contains("2101.00001"));
    let r = app.get("/api/papers/abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("2104.12255"));
    let r = app.get("/api/papers/%FF").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].is_string());
}

#[tokio::test]
async fn a_paper_not_on_the_feed_and_authors_without_ids() {
    let app = app().await;
    let mut p = Paper::new("astro-ph/0601001".parse().unwrap(), "Old", "Abstract.");
    p.authors = vec![Author::named("Ada Lovelace"), Author::named("Alan Turing")];
    p.published_at = Some("2006-01-01T10:00:00Z".parse().unwrap());
    app.store
        .import(vec![Listing::paper_only(p)])
        .await
        .unwrap();
    let r = app.get("/api/papers/astro-ph/0601001").await;
    assert_eq!(r.status, StatusCode::OK);
    let p = r.json();
    assert_eq!(p["id"], "astro-ph/0601001");
    assert_eq!(p["publishedAt"], "2006-01-01T10:00:00.000Z");
    assert_eq!(p["upvotes"], 0);
    assert!(p.get("submittedOnDailyAt").is_none());
    assert!(p.get("organization").is_none());
    let a0 = p["authors"][0]["_id"].as_str().unwrap();
    let a1 = p["authors"][1]["_id"].as_str().unwrap();
    assert_eq!(a0.len(), 24);
    assert!(a0.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(a0, a1);
    let again = app.get("/api/papers/astro-ph/0601001").await.json();
    assert_eq!(again["authors"][0]["_id"], a0, "stable");
}

#[tokio::test]
async fn search_returns_wrappers() {
    let app = app().await;
    let r = app.get("/api/papers/search?q=z-image").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert!(ids(&v).contains(&"2511.22699".to_string()));
    let hit = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["paper"]["id"] == "2511.22699")
        .unwrap();
    assert_same_listing(hit, &fixture_json("2025-12-01")[0]);
    let r = app.get("/api/papers/search?q=model&limit=3").await;
    assert_eq!(r.json().as_array().unwrap().len(), 3);
    // Without a query: the newest listings.
    let r = app.get("/api/papers/search?limit=120").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json().as_array().unwrap().len(), 51);
    for (query, expect) in [
        (format!("q={}", "x".repeat(251)), "250 characters"),
        ("q=a&limit=0".to_string(), "1 to 120"),
        ("q=a&limit=121".to_string(), "invalid limit"),
    ] {
        let r = app.get(&format!("/api/papers/search?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            r.json()["error"].as_str().unwrap().contains(expect),
            "{query}"
        );
    }
}

#[tokio::test]
async fn unknown_api_addresses_are_json_404s() {
    let app = app().await;
    for uri in ["/api/nothing", "/api", "/api/papers"] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(r.header("content-type"), "application/json");
        assert!(r.json()["error"].is_string());
    }
}

#[tokio::test]
async fn a_paper_as_markdown_for_read_paper() {
    let app = app().await;
    let upstream = &fixture_json("2025-12-01")[0]["paper"];
    for (uri, accept) in [
        ("/papers/2511.22699.md", "*/*"),
        ("/papers/2511.22699", "text/markdown"),
    ] {
        let r = app.get_with(uri, &[("accept", accept)]).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(
            r.header("content-type").starts_with("text/markdown"),
            "{uri}"
        );
        assert!(
            r.body.starts_with("# Z\\-Image: An Efficient"),
            "{}",
            &r.body[..80]
        );
        assert!(r.body.contains("## Abstract"));
        let abstract_start: String = upstream["summary"]
            .as_str()
            .unwrap()
            .chars()
            .take(20)
            .collect();
        assert!(r.body.contains(&abstract_start), "the abstract");
        assert!(r.body.contains("https://arxiv.org/abs/2511.22699"));
    }
    assert_eq!(
        app.get("/papers/2101.99999.md").await.status,
        StatusCode::NOT_FOUND
    );
    let html = app.get("/papers/2511.22699").await;
    assert!(html.header("content-type").starts_with("text/html"));
}
