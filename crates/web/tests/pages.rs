//! The HTML pages, driven in process against a real SQLite store filled with
//! recorded Hugging Face responses: what a reader would check.

mod common;

use axum::http::StatusCode;
use common::*;
use dailypapers_domain::{Author, Listing, Paper, Period};

/// The HTML of the card whose title links to `id`.
fn card<'a>(body: &'a str, id: &str) -> &'a str {
    let link = format!("href=\"/papers/{id}\"");
    let at = body
        .find(&link)
        .unwrap_or_else(|| panic!("no card for {id}"));
    let start = body[..at].rfind("<article class=\"paper-card\"").unwrap();
    let end = at + body[at..].find("</article>").unwrap();
    &body[start..end]
}

/// The HTML of the first card on a page.
fn first_card(body: &str) -> &str {
    let start = body
        .find("<article class=\"paper-card\"")
        .expect("a paper card");
    let end = start + body[start..].find("</article>").unwrap();
    &body[start..end]
}

/// The paper ids of the cards, in page order.
fn card_ids(body: &str) -> Vec<&str> {
    body.split("<article class=\"paper-card\"")
        .skip(1)
        .map(|card| {
            let at = card.find("href=\"/papers/").unwrap() + "href=\"/papers/".len();
            &card[at..at + card[at..].find('"').unwrap()]
        })
        .collect()
}

/// The `href` of the pager's `rel` ("prev" or "next") link, if it has one.
fn pager_link<'a>(body: &'a str, rel: &str) -> Option<&'a str> {
    let at = body.find(&format!("\" rel=\"{rel}\""))?;
    let start = body[..at].rfind("href=\"").unwrap() + "href=\"".len();
    Some(&body[start..at])
}

#[tokio::test]
async fn a_day_lists_its_real_papers_most_upvoted_first() {
    let app = app().await;
    let r = app.get("/?date=2025-12-01").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/html"));
    assert_eq!(r.header("cache-control"), "public, max-age=30");
    assert!(r.body.contains("Monday, 1 December 2025"));
    assert!(r.body.contains("23 papers"));
    let items = fixture_json("2025-12-01");
    let titles: Vec<String> = ranked_titles(&items).iter().map(|t| escaped(t)).collect();
    assert_in_order(&r.body, &titles);
    assert_eq!(r.body.matches("<article class=\"paper-card\"").count(), 23);
    // The top paper is the upstream's top paper.
    assert_eq!(items[0]["paper"]["id"], "2511.22699");
    let first = first_card(&r.body);
    assert!(first.contains("href=\"/papers/2511.22699\""), "{first}");
    assert!(first.contains("aria-label=\"42 upvotes\""), "{first}");
    assert_eq!(card_ids(&r.body), ranked_ids(&items));
}

#[tokio::test]
async fn a_card_shows_upvotes_organisation_authors_date_and_code() {
    let app = app().await;
    let r = app.get("/?date=2025-12-01").await;
    let c = card(&r.body, "2511.22699");
    assert!(c.contains("<h3><a href=\"/papers/2511.22699\">Z-Image: An Efficient Image Generation Foundation Model with Single-Stream Diffusion Transformer</a></h3>"), "{c}");
    assert!(c.contains("class=\"upvotes\""));
    assert!(c.contains("aria-label=\"42 upvotes\""));
    assert!(c.contains("<span class=\"count\">42</span>"));
    assert!(c.contains("class=\"org-badge\""));
    assert!(c.contains("<span>Tongyi-MAI</span>"));
    assert!(
        c.contains("data-initial=\"T\""),
        "a monogram, not a third-party image"
    );
    assert!(!c.contains("<img"), "no third-party images");
    assert!(c.contains("class=\"authors\""));
    assert!(c.contains("21 authors"));
    assert!(c.contains("Z-Image Team, Huanqia Cai, Sihan Cao and 18 others"));
    assert!(c.contains("<time datetime=\"2025-12-01\">1 Dec 2025</time>"));
    assert!(c.contains("1 comment"));
    assert!(c.contains("href=\"https://github.com/Tongyi-MAI/Z-Image\""));
    assert!(c.contains("2.9k"), "GitHub stars");
    // The abstract is cut at a word boundary, about 300 characters long.
    let excerpt_start = c.find("<p class=\"excerpt\">").unwrap() + "<p class=\"excerpt\">".len();
    let excerpt = &c[excerpt_start..excerpt_start + c[excerpt_start..].find("</p>").unwrap()];
    assert!(excerpt.starts_with("The landscape of high-performance image generation"));
    assert!(excerpt.ends_with('…'), "{excerpt}");
    assert!((250..=320).contains(&excerpt.chars().count()), "{excerpt}");
    // A paper without an organisation has no badge.
    let items = fixture_json("2025-12-01");
    let plain = items
        .iter()
        .find(|x| x.get("organization").is_none())
        .unwrap();
    let c = card(&r.body, plain["paper"]["id"].as_str().unwrap());
    assert!(!c.contains("org-badge"));
}

#[tokio::test]
async fn the_front_page_is_the_latest_day_and_steps_over_empty_days() {
    let app = app().await;
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Wednesday, 3 December 2025"));
    let titles: Vec<String> = ranked_titles(&fixture_json("2025-11-03"))
        .iter()
        .map(|t| escaped(t))
        .collect();
    assert_in_order(&r.body, &titles);
    assert!(r.body.contains("href=\"/?date=2025-12-01\" rel=\"prev\""));
    assert!(
        r.body
            .contains("class=\"button disabled\" aria-hidden=\"true\">Next")
    );
    // 1 December: the previous day with papers is half a year back, the next is the 3rd.
    let r = app.get("/?date=2025-12-01").await;
    assert!(r.body.contains("href=\"/?date=2024-05-27\" rel=\"prev\""));
    assert!(r.body.contains("href=\"/?date=2025-12-03\" rel=\"next\""));
    // The navigation leads to the week and month containing the day.
    assert!(
        r.body
            .contains("href=\"/?date=2025-12-01\" aria-current=\"page\">Daily")
    );
    assert!(r.body.contains("href=\"/week/2025-W49\">Weekly"));
    assert!(r.body.contains("href=\"/month/2025-12\">Monthly"));
}

#[tokio::test]
async fn weeks_and_months_hold_papers_from_several_days() {
    let app = app().await;
    let dec1 = ranked_titles(&fixture_json("2025-12-01"));
    let dec3 = ranked_titles(&fixture_json("2025-11-03"));
    for uri in ["/week/2025-W49", "/month/2025-12"] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.header("cache-control"), "public, max-age=30");
        assert!(r.body.contains("38 papers"), "{uri}");
        for t in dec1.iter().chain(&dec3) {
            assert!(r.body.contains(&escaped(t)), "{uri}: {t}");
        }
        assert!(r.body.contains("<time datetime=\"2025-12-01\">"));
        assert!(r.body.contains("<time datetime=\"2025-12-03\">"));
        // Ranked by upvotes across days: the 42-upvote paper of 1 December,
        // then the 37-upvote one of the 3rd.
        let first = first_card(&r.body);
        assert!(
            first.contains("href=\"/papers/2511.22699\""),
            "{uri}: {first}"
        );
        assert!(
            first.contains("aria-label=\"42 upvotes\""),
            "{uri}: {first}"
        );
        let ids = card_ids(&r.body);
        assert_eq!(ids.len(), 38, "{uri}");
        assert_eq!(ids[..2], ["2511.22699", "2510.27492"], "{uri}");
        assert!(card(&r.body, "2510.27492").contains("aria-label=\"37 upvotes\""));
    }
    // Previous and next lead past empty periods to the nearest with papers.
    let r = app.get("/week/2025-W49").await;
    assert!(r.body.contains("Week 49, 2025"));
    assert_eq!(pager_link(&r.body, "prev"), Some("/week/2024-W22"));
    assert_eq!(pager_link(&r.body, "next"), None);
    assert!(r.body.contains("aria-label=\"Previous week: Week 22, 2024"));
    assert!(r.body.contains("aria-current=\"page\">Weekly"));
    // The daily tab leads to the latest day of the week that has papers.
    assert!(r.body.contains("href=\"/?date=2025-12-03\">Daily"));
    let r = app.get("/month/2025-12").await;
    assert!(r.body.contains("December 2025"));
    assert_eq!(pager_link(&r.body, "prev"), Some("/month/2024-05"));
    assert_eq!(pager_link(&r.body, "next"), None);
    assert!(r.body.contains("aria-current=\"page\">Monthly"));
    // The earliest period links forwards only.
    let r = app.get("/week/2024-W22").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("13 papers"));
    assert_eq!(pager_link(&r.body, "prev"), None);
    assert!(
        r.body
            .contains("class=\"button disabled\" aria-hidden=\"true\">‹ Previous")
    );
    assert_eq!(pager_link(&r.body, "next"), Some("/week/2025-W49"));
    let r = app.get("/month/2024-05").await;
    assert_eq!(pager_link(&r.body, "prev"), None);
    assert_eq!(pager_link(&r.body, "next"), Some("/month/2025-12"));
    // /week and /month lead to the latest ones.
    let r = app.get("/week").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), "/week/2025-W49");
    let r = app.get("/month").await;
    assert_eq!(r.header("location"), "/month/2025-12");
}

#[tokio::test]
async fn week_and_month_pagers_skip_empty_periods() {
    // About one feed day a month: most weeks and a month are empty.
    let app = full_app().await;
    let days: Vec<chrono::NaiveDate> = fixture_days().iter().map(|d| d.parse().unwrap()).collect();
    let weeks: Vec<String> = days
        .iter()
        .map(|d| format!("/week/{}", Period::week_of(*d)))
        .collect();
    let months: Vec<String> = days
        .iter()
        .map(|d| format!("/month/{}", Period::month_of(*d)))
        .collect();
    assert_eq!(weeks[17..], ["/week/2025-W45", "/week/2025-W49"]);
    for expected in [weeks, months] {
        // Backwards from the latest period and forwards again, every link
        // leads to a page with papers, and no period with papers is skipped.
        for (rel, from) in [("prev", expected.last()), ("next", expected.first())] {
            let mut walked = Vec::new();
            let mut uri = from.unwrap().clone();
            loop {
                let r = app.get(&uri).await;
                assert_eq!(r.status, StatusCode::OK, "{uri}");
                assert!(r.body.contains("paper-card"), "{uri}");
                walked.push(uri);
                match pager_link(&r.body, rel) {
                    Some(href) => uri = href.to_string(),
                    None => break,
                }
            }
            if rel == "prev" {
                walked.reverse();
            }
            assert_eq!(walked, expected, "following rel={rel}");
        }
    }
    let r = app.get("/week/2025-W49").await;
    assert!(r.body.contains(
        "href=\"/week/2025-W45\" rel=\"prev\" aria-label=\"Previous week: Week 45, 2025 (3 Nov – 9 Nov)\"><span aria-hidden=\"true\">‹</span> Week 45</a>"
    ));
    assert!(
        r.body
            .contains("class=\"button disabled\" aria-hidden=\"true\">Next ›")
    );
    let r = app.get("/month/2025-02").await;
    assert_eq!(pager_link(&r.body, "prev"), Some("/month/2024-12"));
    assert_eq!(pager_link(&r.body, "next"), Some("/month/2025-03"));
    // An empty period's pager leads to the periods around it with papers.
    let r = app.get("/month/2025-01").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(pager_link(&r.body, "prev"), Some("/month/2024-12"));
    assert_eq!(pager_link(&r.body, "next"), Some("/month/2025-02"));
    assert!(r.body.contains("href=\"/?date=2024-12-02\""));
    assert!(r.body.contains("href=\"/?date=2025-02-03\""));
}

#[tokio::test]
async fn an_empty_day_is_a_404_with_the_nearest_days() {
    let app = app().await;
    let r = app.get("/?date=2025-12-02").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("No papers on Tuesday, 2 December 2025."));
    assert!(r.body.contains("href=\"/?date=2025-12-01\""));
    assert!(r.body.contains("href=\"/?date=2025-12-03\""));
    assert!(!r.body.contains("paper-card"));
    let r = app.get("/week/2025-W10").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("No papers in Week 10, 2025"));
    assert!(r.body.contains("href=\"/?date=2024-05-27\""));
    assert!(r.body.contains("href=\"/?date=2025-12-01\""));
}

#[tokio::test]
async fn malformed_periods_are_a_400_that_says_the_format() {
    let app = app().await;
    for (uri, format) in [
        ("/?date=2025-13-01", "YYYY-MM-DD"),
        ("/?date=yesterday", "YYYY-MM-DD"),
        ("/week/2025-W60", "YYYY-Www"),
        ("/month/2025-13", "YYYY-MM"),
        ("/week/%FF", "malformed address"),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.header("content-type").starts_with("text/html"), "{uri}");
        assert!(r.body.contains(format), "{uri}: {}", r.body);
        assert!(r.body.contains("<h1>Bad request</h1>"));
        assert!(
            r.body.contains("action=\"/search\""),
            "the page keeps the header"
        );
    }
}

#[tokio::test]
async fn a_paper_page_shows_everything_about_the_paper() {
    let app = app().await;
    let r = app.get("/papers/2511.22699").await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    assert!(b.contains("<h1>Z-Image: An Efficient Image Generation Foundation Model with Single-Stream Diffusion Transformer</h1>"));
    let abs = &b[b
        .find("<section class=\"paper-section abstract\"")
        .expect("abstract section")..];
    assert!(abs.contains("The landscape of high-performance image generation models"));
    assert!(abs.contains("budget-friendly, yet state-of-the-art generative models."));
    let authors = &b[b.find("<ul class=\"authors\">").expect("authors list")..];
    let authors = &authors[..authors.find("</ul>").unwrap()];
    assert_eq!(authors.matches("<li>").count(), 21);
    assert!(authors.contains("Z-Image Team") && authors.contains("Shilin Zhou"));
    assert!(b.contains("href=\"https://arxiv.org/abs/2511.22699\">arXiv</a>"));
    assert!(b.contains("href=\"https://arxiv.org/pdf/2511.22699\">PDF</a>"));
    assert!(b.contains("href=\"https://github.com/Tongyi-MAI/Z-Image\""));
    assert!(b.contains("href=\"https://tongyi-mai.github.io/Z-Image-blog/\""));
    assert!(b.contains("<span>Tongyi-MAI</span>"));
    assert!(b.contains("aria-label=\"42 upvotes\""));
    assert!(b.contains("submitted by Zhen Li"));
    assert!(b.contains("href=\"/?date=2025-12-01\""));
    assert!(b.contains("Monday, 1 December 2025"));
    assert!(b.contains("AI-generated summary"));
    assert!(b.contains("<li>S3-DiT</li>"));
    assert!(b.contains("Published</dt>"));
}

#[tokio::test]
async fn paper_addresses_are_canonical() {
    let app = app().await;
    for (from, to) in [
        ("/papers/2511.22699v2", "/papers/2511.22699"),
        ("/papers/arXiv:2511.22699", "/papers/2511.22699"),
        ("/papers/2511.22699/", "/papers/2511.22699"),
        ("/papers/2511.22699v2/", "/papers/2511.22699"),
        (
            "/papers/https://arxiv.org/abs/2511.22699v2",
            "/papers/2511.22699",
        ),
        (
            "/papers/https:/arxiv.org/abs/2511.22699v2",
            "/papers/2511.22699",
        ),
        (
            "/papers/http://www.arxiv.org/pdf/2511.22699v2.pdf",
            "/papers/2511.22699",
        ),
        ("/papers/arxiv.org/abs/2511.22699", "/papers/2511.22699"),
        (
            "/papers/https%3A%2F%2Farxiv.org%2Fabs%2F2511.22699v1",
            "/papers/2511.22699",
        ),
        ("/papers/quant-ph/0201082v1", "/papers/quant-ph/0201082"),
        ("/papers/quant-ph/0201082/", "/papers/quant-ph/0201082"),
        (
            "/papers/https://arxiv.org/abs/quant-ph/0201082v1",
            "/papers/quant-ph/0201082",
        ),
    ] {
        let r = app.get(from).await;
        assert_eq!(
            r.status,
            StatusCode::MOVED_PERMANENTLY,
            "{from}: {}",
            r.body
        );
        assert_eq!(r.header("location"), to, "{from}");
    }
    let r = app.get("/papers/2511.22699").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/papers/2101.00001").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.body.contains("No paper 2101.00001 here"));
    let r = app.get("/papers/not-an-id").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("2104.12255"), "{}", r.body);
    assert!(r.body.contains("astro-ph/0601001"));
}

fn arxiv_only_paper() -> Listing {
    let mut p = Paper::new(
        "astro-ph/0601001v1".parse().unwrap(),
        "An old-style paper",
        "We observe things & report them.",
    );
    p.authors = vec![Author {
        affiliation: Some("Observatory".into()),
        ..Author::named("Ada Lovelace")
    }];
    p.categories = vec!["astro-ph".into(), "gr-qc".into()];
    p.doi = Some("10.1086/500000".into());
    p.journal_ref = Some("ApJ 640 (2006) 1".into());
    p.comments = Some("12 pages, 3 figures".into());
    p.license = Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/".into());
    p.published_at = Some("2006-01-01T10:00:00Z".parse().unwrap());
    p.updated_at = Some("2006-02-01T10:00:00Z".parse().unwrap());
    Listing::paper_only(p)
}

#[tokio::test]
async fn an_arxiv_only_paper_with_an_old_style_id() {
    let app = app().await;
    app.store.import(vec![arxiv_only_paper()]).await.unwrap();
    let r = app.get("/papers/astro-ph/0601001").await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    assert!(b.contains("<h1>An old-style paper</h1>"));
    assert!(b.contains("We observe things &#38; report them."));
    assert!(b.contains("Ada Lovelace <span class=\"affiliation\">(Observatory)</span>"));
    assert!(b.contains("<li class=\"primary\" title=\"Primary category\">astro-ph"));
    assert!(b.contains("<li>gr-qc</li>"));
    assert!(b.contains("href=\"https://doi.org/10.1086/500000\""));
    assert!(b.contains("ApJ 640 (2006) 1"));
    assert!(b.contains("12 pages, 3 figures"));
    assert!(b.contains("arxiv.org/licenses/nonexclusive-distrib/1.0"));
    assert!(b.contains("1 Jan 2006") && b.contains("1 Feb 2006"));
    assert!(b.contains("href=\"https://arxiv.org/abs/astro-ph/0601001\">arXiv</a>"));
    assert!(b.contains("href=\"https://arxiv.org/pdf/astro-ph/0601001\">PDF</a>"));
    assert!(!b.contains("Feed day"));
    // Percent-encoded slashes reach the same paper.
    let r = app.get("/papers/astro-ph%2F0601001").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn stored_text_is_escaped_and_unsafe_links_dropped() {
    let app = app().await;
    let mut l = arxiv_only_paper();
    l.paper.id = "2501.00001".parse().unwrap();
    l.paper.title = "<script>alert(1)</script> \"quoted\"".into();
    l.paper.github_repo = Some("javascript:alert(1)".into());
    l.paper.project_page = Some("https://example.org/?a=1&b=\"2\"".into());
    app.store.import(vec![l]).await.unwrap();
    let r = app.get("/papers/2501.00001").await;
    assert!(!r.body.contains("<script>"));
    assert!(
        r.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62; &#34;quoted&#34;")
    );
    assert!(!r.body.contains("javascript:"));
    assert!(
        r.body
            .contains("href=\"https://example.org/?a=1&#38;b=&#34;2&#34;\"")
    );
    let r = app.get("/search?q=%3Cscript%3E").await;
    assert!(!r.body.contains("<script>"));
    assert!(r.body.contains("value=\"&#60;script&#62;\""));
}

#[tokio::test]
async fn search_finds_papers_by_keyword() {
    let app = app().await;
    let r = app.get("/search?q=single-stream+diffusion").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Results for “single-stream diffusion”"));
    assert!(r.body.contains("href=\"/papers/2511.22699\""));
    assert!(
        r.body.contains("value=\"single-stream diffusion\""),
        "the box keeps the query"
    );
    let r = app.get("/search?q=ConvLLaVA").await;
    assert!(r.body.contains("href=\"/papers/2405.15738\""));
    let r = app.get("/search?q=zzzznotaword").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("No papers match"));
    let r = app.get("/search?q=").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("What are you looking for?"));
    let r = app.get("/search").await;
    assert_eq!(r.status, StatusCode::OK);
    let long = "a".repeat(1001);
    let r = app.get(&format!("/search?q={long}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("1000 characters"), "{}", r.body);
}

#[tokio::test]
async fn every_page_has_the_header_search_box_and_valid_frame() {
    let app = app().await;
    app.store.import(vec![arxiv_only_paper()]).await.unwrap();
    for uri in [
        "/",
        "/?date=2025-12-02",
        "/week/2025-W49",
        "/papers/2511.22699",
        "/papers/astro-ph/0601001",
        "/search?q=model",
        "/nowhere",
    ] {
        let r = app.get(uri).await;
        let b = &r.body;
        assert!(b.starts_with("<!doctype html>"), "{uri}");
        assert!(b.contains("<html lang=\"en\">"));
        assert!(b.contains("<meta name=\"viewport\""));
        assert!(b.contains("<header class=\"site-header\">"));
        assert!(b.contains(
            "<form class=\"site-search\" role=\"search\" action=\"/search\" method=\"get\">"
        ));
        assert!(b.contains("<main id=\"main\""));
        assert!(b.contains("<nav class=\"main-nav\""));
        assert_eq!(b.matches("<h1").count(), 1, "{uri}: one h1");
        assert!(b.contains("/static/style.css?v="));
        assert!(b.trim_end().ends_with("</html>"));
        // One script, from this origin (the CSP allows no inline script);
        // every page works without it.
        assert_eq!(b.matches("<script").count(), 1, "{uri}");
        assert!(b.contains("<script src=\"/static/app.js?v="), "{uri}");
    }
}

#[tokio::test]
async fn an_empty_instance_says_how_to_import() {
    let app = empty_app().await;
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("No papers yet"));
    assert!(r.body.contains("dailypapers ingest hf-daily FILE…"));
    let r = app.get("/?date=2025-12-01").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn health_stylesheet_and_fallback() {
    let app = app().await;
    let r = app.get("/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));

    let r = app.get("/static/style.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/css"));
    assert!(r.header("cache-control").contains("max-age=31536000"));
    let etag = r.header("etag").to_string();
    assert!(etag.starts_with('"'));
    assert!(r.body.contains("prefers-color-scheme: dark"));
    let r = app
        .get_with("/static/style.css", &[("if-none-match", &etag)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    // Pages link the version that is served.
    let page = app.get("/").await;
    assert!(
        page.body
            .contains(&format!("/static/style.css?v={}", etag.trim_matches('"')))
    );

    let r = app.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.body.contains("<h1>Not found</h1>"));
}

#[tokio::test]
async fn feed_pages_are_rebuilt_at_most_every_two_seconds() {
    let app = app().await;
    let before = app.get("/?date=2025-12-01").await;
    let mut l = listings(&fixture("2025-12-01"), "2025-12-01").remove(0);
    l.paper.title = "A renamed paper".into();
    app.store.import(vec![l]).await.unwrap();
    let cached = app.get("/?date=2025-12-01").await;
    assert_eq!(cached.body, before.body, "served from the cache");
    assert!(
        app.get("/week/2025-W49")
            .await
            .body
            .contains("A renamed paper")
    );
    tokio::time::sleep(dailypapers_web::cache::FRESH_FOR + std::time::Duration::from_millis(100))
        .await;
    let fresh = app.get("/?date=2025-12-01").await;
    assert!(fresh.body.contains("A renamed paper"));
}

#[tokio::test]
async fn with_the_cache_turned_off_changes_show_at_once() {
    let mut app = app().await;
    app.router = dailypapers_web::router(dailypapers_web::AppState {
        store: app.store.clone(),
        search: app.search.clone(),
        config: std::sync::Arc::new(dailypapers_web::WebConfig {
            cache_for: std::time::Duration::ZERO,
            ..Default::default()
        }),
        ops: Default::default(),
    });
    let before = app.get("/?date=2025-12-01").await;
    assert!(!before.body.contains("A renamed paper"));
    let mut l = listings(&fixture("2025-12-01"), "2025-12-01").remove(0);
    l.paper.title = "A renamed paper".into();
    app.store.import(vec![l]).await.unwrap();
    assert!(
        app.get("/?date=2025-12-01")
            .await
            .body
            .contains("A renamed paper")
    );
}

#[tokio::test]
async fn pages_are_gzip_compressed_for_clients_that_accept_it() {
    let app = app().await;
    for uri in [
        "/",
        "/?date=2025-12-01",
        "/papers/2511.22699",
        "/api/daily_papers?date=2025-12-01",
    ] {
        let plain = app.get(uri).await;
        assert_eq!(plain.header("content-encoding"), "", "{uri}");
        // Twice: once filling the response cache, once served from it.
        for _ in 0..2 {
            let gz = app
                .get_with(uri, &[("accept-encoding", "br;q=1, gzip")])
                .await;
            assert_eq!(gz.status, StatusCode::OK, "{uri}");
            assert_eq!(gz.header("content-encoding"), "gzip", "{uri}");
            assert_eq!(
                gz.body, plain.body,
                "{uri}: the same page once decompressed"
            );
        }
        let refused = app.get_with(uri, &[("accept-encoding", "gzip;q=0")]).await;
        assert_eq!(refused.header("content-encoding"), "", "{uri}");
    }
}
