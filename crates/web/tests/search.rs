//! Search as people use it: the search page, `/api/search`, the
//! Hugging Face-compatible `/api/papers/search`, similar papers, and every
//! kind of bad input. Keyword tests run without a model; the semantic ones
//! load the real all-MiniLM-L6-v2 (`make model`).

mod common;

use axum::http::StatusCode;
use common::*;
use dailypapers_domain::Listing;
use serde_json::Value;

/// [`app`] plus the 100 papers of a recorded arXiv API search for
/// "testing", which carry arXiv categories and publication dates.
async fn app_with_arxiv(with_model: bool) -> TestApp {
    let app = if with_model {
        app_with_model().await
    } else {
        app().await
    };
    let xml = std::fs::read_to_string(
        fixtures_dir().join("../arxiv-api/q_testing_s0_m100_cfe7536492ca.xml"),
    )
    .unwrap();
    let feed = dailypapers_ingest::arxiv_atom::parse(&xml).unwrap();
    let batch: Vec<Listing> = feed.listings.into_iter().map(|l| l.unwrap()).collect();
    assert_eq!(batch.len(), 100);
    app.store.import(batch).await.unwrap();
    app.index().await;
    app
}

fn result_ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["paper"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// A stored paper's arXiv categories (the upstream JSON shape has none).
async fn categories(app: &TestApp, id: &str) -> Vec<String> {
    let id = id.parse().unwrap();
    app.store
        .listing(&id)
        .await
        .unwrap()
        .unwrap()
        .paper
        .categories
}

fn error_of(r: &Reply) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn keyword_search_finds_words_phrases_ids_and_prefixes() {
    let app = app().await;
    let v = app
        .get("/api/search?q=single-stream+diffusion&mode=keyword")
        .await
        .json();
    assert_eq!(v["mode"], "keyword");
    assert_eq!(result_ids(&v)[0], "2511.22699");
    assert!(v["total"].as_u64().unwrap() >= 1);
    // The matched words are marked in the title and the snippet.
    let hit = &v["results"][0];
    assert!(
        hit["highlights"]["title"]
            .as_str()
            .unwrap()
            .contains("<mark>"),
        "{hit}"
    );
    assert!(hit["score"].as_f64().unwrap() > 0.0);

    // A phrase matches the words together, in order.
    let v = app
        .get("/api/search?q=%22road+less+scheduled%22&mode=keyword")
        .await
        .json();
    assert_eq!(result_ids(&v), vec!["2405.15682"]);
    let v = app
        .get("/api/search?q=%22scheduled+road%22&mode=keyword")
        .await
        .json();
    assert!(result_ids(&v).is_empty(), "{v}");

    // An arXiv id puts that paper first, with or without a version.
    for q in ["2405.15738", "2405.15738v2", "arXiv:2405.15738"] {
        let v = app
            .get(&format!("/api/search?q={q}&mode=keyword"))
            .await
            .json();
        assert_eq!(
            result_ids(&v).first().map(String::as_str),
            Some("2405.15738"),
            "{q}"
        );
    }

    // Search as you type: the last word may be the start of a word.
    let v = app.get("/api/search?q=transf&mode=keyword").await.json();
    assert!(result_ids(&v).is_empty(), "{v}");
    let v = app
        .get("/api/search?q=transf&mode=keyword&prefix=1&limit=100")
        .await
        .json();
    let ids = result_ids(&v);
    assert!(
        ids.contains(&"2405.15319".to_string()),
        "Stacking Your Transformers: {ids:?}"
    );
}

#[tokio::test]
async fn filters_and_orders_narrow_and_sort_the_results() {
    let app = app_with_arxiv(false).await;
    let all = app
        .get("/api/search?q=testing&mode=keyword&limit=100")
        .await
        .json();
    let total = all["total"].as_u64().unwrap();
    assert!(total > 50, "{total}");

    // Category: only papers filed under it.
    let v = app
        .get("/api/search?q=testing&mode=keyword&category=math.ST&limit=100")
        .await
        .json();
    let n = v["total"].as_u64().unwrap();
    assert!(n >= 1 && n < total, "{n} of {total}");
    for id in result_ids(&v) {
        assert!(
            categories(&app, &id).await.contains(&"math.ST".to_string()),
            "{id}"
        );
    }
    // A well-formed category nobody uses: nothing, not an error.
    let v = app
        .get("/api/search?q=testing&mode=keyword&category=astro-ph.GA")
        .await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.json()["total"], 0);

    // Date range: only papers published within it, inclusive.
    let v = app
        .get("/api/search?q=testing&mode=keyword&from=2023-01-01&to=2023-12-31&limit=100")
        .await
        .json();
    let n = v["results"].as_array().unwrap().len();
    assert!(n >= 1 && (n as u64) < total, "{n}");
    for r in v["results"].as_array().unwrap() {
        let published = r["paper"]["publishedAt"].as_str().unwrap();
        assert!(published.starts_with("2023-"), "{published}");
    }

    // Newest first.
    let v = app
        .get("/api/search?q=testing&mode=keyword&sort=newest&limit=20")
        .await
        .json();
    let dates: Vec<String> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["paper"]["publishedAt"].as_str().unwrap()[..10].to_string())
        .collect();
    // Ordered by publication day, latest first.
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);

    // Organisation: the papers of that organisation only.
    let v = app
        .get("/api/search?q=model&mode=keyword&org=Tongyi-MAI")
        .await
        .json();
    let ids = result_ids(&v);
    assert!(ids.contains(&"2511.22699".to_string()), "{ids:?}");
    assert!(
        ids.iter()
            .all(|id| id == "2511.22699" || id == "2511.22677"),
        "{ids:?}"
    );

    // Most upvoted first.
    let v = app
        .get("/api/search?q=model&mode=keyword&sort=upvotes&limit=30")
        .await
        .json();
    let upvotes: Vec<u64> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["paper"]["upvotes"].as_u64().unwrap_or(0))
        .collect();
    assert!(upvotes.windows(2).all(|w| w[0] >= w[1]), "{upvotes:?}");

    // Pages follow each other without overlap.
    let p1 = app
        .get("/api/search?q=testing&mode=keyword&limit=5")
        .await
        .json();
    let p2 = app
        .get("/api/search?q=testing&mode=keyword&limit=5&offset=5")
        .await
        .json();
    let (a, b) = (result_ids(&p1), result_ids(&p2));
    assert_eq!((a.len(), b.len()), (5, 5));
    assert!(a.iter().all(|id| !b.contains(id)));
}

#[tokio::test]
async fn bad_input_is_a_clear_400_or_a_sane_answer_never_a_500() {
    let app = app().await;
    let long = "word ".repeat(2048); // 10 KB
    for (query, expect) in [
        ("q=".to_string(), "empty"),
        ("q=%20%20".to_string(), "empty"),
        (format!("q={}", long.replace(' ', "+")), "1000 characters"),
        (
            "q=model&mode=fuzzy".to_string(),
            "keyword, semantic or hybrid",
        ),
        ("q=model&from=2025-13-01".to_string(), "YYYY-MM-DD"),
        ("q=model&from=yesterday".to_string(), "YYYY-MM-DD"),
        ("q=model&from=2025-12-02&to=2025-12-01".to_string(), "after"),
        ("q=model&category=cs%20CL!".to_string(), "arXiv category"),
        (
            "q=model&sort=random".to_string(),
            "relevance, newest or upvotes",
        ),
        ("q=model&limit=0".to_string(), "1 to 100"),
        ("q=model&limit=1000".to_string(), "1 to 100"),
        ("q=model&offset=-1".to_string(), "offset"),
        ("q=model&offset=5000".to_string(), "offset"),
        (format!("q=model&org={}", "x".repeat(101)), "org"),
    ] {
        let r = app.get(&format!("/api/search?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.body);
        let e = error_of(&r);
        assert!(e.contains(expect), "{query}: {e}");
    }
    // Odd but harmless input gets an answer.
    for q in [
        "%22unbalanced+quote",
        "model%22",
        "%01%02model%07",
        "-",
        "a%3Ab",
        "model+AND+OR+NOT",
        "(((",
        "*",
        "%5C",
        "title%3A%22x",
        "%F0%9F%A6%80+rust",
    ] {
        let r = app.get(&format!("/api/search?q={q}&mode=keyword")).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
            "{q}: {} {}",
            r.status,
            r.body
        );
        if r.status == StatusCode::BAD_REQUEST {
            assert!(error_of(&r).contains("q"), "{q}: {}", r.body);
        }
    }
    // The search page says the same in HTML.
    let r = app
        .get(&format!("/search?q={}", long.replace(' ', "+")))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("1000 characters"));
    let r = app.get("/search?q=model&sort=random").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("relevance, newest or upvotes"));
}

#[tokio::test]
async fn without_a_model_keyword_search_works_and_semantic_says_why() {
    let app = app().await;
    let r = app.get("/api/search?q=diffusion&mode=semantic").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let e = error_of(&r);
    assert!(e.contains("make model"), "{e}");
    assert!(e.contains("/nonexistent/model"), "names the directory: {e}");

    // Hybrid falls back to keyword matches and says so.
    let r = app.get("/api/search?q=diffusion").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["mode"], "keyword");
    assert!(v["notice"].as_str().unwrap().contains("make model"));
    assert!(!result_ids(&v).is_empty());

    // The "similar meaning" tab still shows the page, saying why it is empty.
    let r = app.get("/search?q=diffusion&mode=semantic").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("make model") && r.body.contains("name=\"q\""));

    // So does the search page, and the upstream-compatible API keeps working.
    let r = app.get("/search?q=diffusion").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("make model"));
    assert!(r.body.contains("href=\"/papers/2511.22699\""));
    let r = app.get("/api/papers/search?q=diffusion").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.json().as_array().unwrap().is_empty());
    // Only punctuation matches nothing there, as upstream (not an error).
    let r = app.get("/api/papers/search?q=!!!").await;
    assert_eq!(
        (r.status, r.json()),
        (StatusCode::OK, serde_json::json!([]))
    );

    // Similar papers need vectors: the API says why, the page leaves them out.
    let r = app.get("/api/papers/2511.22699/similar").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(error_of(&r).contains("make model"));
    let r = app.get("/papers/2511.22699").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Similar papers"));

    let status = app.get("/api/search/status").await.json();
    assert_eq!(status["papers"], 51);
    assert_eq!(status["keyword_indexed"], 51);
    assert!(
        status["semantic_unavailable"]
            .as_str()
            .unwrap()
            .contains("make model")
    );
}

#[tokio::test]
async fn the_search_page_shows_counts_snippets_filters_and_help() {
    let app = app().await;
    let r = app.get("/search?q=diffusion&mode=keyword").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"result-count\""));
    assert!(r.body.contains("papers</p>") || r.body.contains("paper</p>"));
    assert!(r.body.contains("<mark>"), "snippets mark the words");
    assert!(r.body.contains("name=\"from\"") && r.body.contains("name=\"category\""));
    assert!(r.body.contains("value=\"keyword\" checked"));

    let r = app
        .get("/search?q=zzzznotaword&mode=keyword&category=cs.CL")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"no-results\""));
    assert!(
        r.body.contains("without them"),
        "suggests dropping the filters"
    );

    // Results are escaped: a query cannot inject markup.
    let r = app
        .get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("<script>alert"));
}

#[tokio::test]
async fn similar_papers_of_an_unknown_paper_are_a_404() {
    let app = app().await;
    let r = app.get("/api/papers/2501.99999/similar").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/papers/2511.22699/similar?limit=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_of(&r).contains("1 to 50"));
}

// ---- with the model --------------------------------------------------------

/// Paraphrases of real papers' ideas that share almost no words with them,
/// and the paper each should find.
const PARAPHRASES: &[(&str, &str)] = &[
    (
        "an assistant that looks at pictures of teeth and answers questions for dentists",
        "2511.22055",
    ),
    (
        "fixing mistakes in automatic transcripts of spoken audio",
        "2405.15216",
    ),
    (
        "optimizer that needs no learning rate decay plan set in advance",
        "2405.15682",
    ),
];

#[tokio::test]
async fn a_paraphrase_finds_the_paper_on_the_first_page() {
    let app = app_with_arxiv(true).await;
    for (q, id) in PARAPHRASES {
        let url = format!("/api/search?q={}&limit=10", q.replace(' ', "+"));
        let v = app.get(&url).await.json();
        assert_eq!(v["mode"], "hybrid");
        let ids = result_ids(&v);
        assert!(
            ids.contains(&id.to_string()),
            "{q:?} should find {id}: {ids:?}"
        );
        let v = app.get(&format!("{url}&mode=semantic")).await.json();
        assert!(result_ids(&v).contains(&id.to_string()), "semantic: {q:?}");
        // The page shows it among its results.
        let r = app.get(&format!("/search?q={}", q.replace(' ', "+"))).await;
        assert!(
            r.body.contains(&format!("href=\"/papers/{id}\"")),
            "page: {q:?}"
        );
        // And so does the Hugging Face-compatible API.
        let hf = app
            .get(&format!(
                "/api/papers/search?q={}&limit=10",
                q.replace(' ', "+")
            ))
            .await
            .json();
        let hf_ids: Vec<&str> = hf
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["paper"]["id"].as_str().unwrap())
            .collect();
        assert!(hf_ids.contains(id), "hf: {q:?} {hf_ids:?}");
    }
    // In the default (hybrid) mode an arXiv id still puts its paper first,
    // and a quoted phrase still has to appear.
    for q in ["2405.15738", "2405.15738v1", "ConvLLaVA+2405.15738"] {
        let v = app.get(&format!("/api/search?q={q}")).await.json();
        assert_eq!(result_ids(&v)[0], "2405.15738", "{q}");
    }
    let v = app
        .get("/api/search?q=%22road+less+scheduled%22")
        .await
        .json();
    assert_eq!(result_ids(&v), vec!["2405.15682"]);

    // Pages of a hybrid ranking follow each other without overlap.
    let p1 = result_ids(
        &app.get("/api/search?q=video+generation&limit=10")
            .await
            .json(),
    );
    let p2 = result_ids(
        &app.get("/api/search?q=video+generation&limit=10&offset=10")
            .await
            .json(),
    );
    let both = app
        .get("/api/search?q=video+generation&limit=20")
        .await
        .json();
    assert_eq!([p1, p2].concat(), result_ids(&both));

    // Semantic search honours filters too.
    let v = app
        .get("/api/search?q=checking+software+automatically&mode=semantic&category=cs.SE&limit=20")
        .await
        .json();
    assert!(!result_ids(&v).is_empty());
    for id in result_ids(&v) {
        assert!(
            categories(&app, &id).await.contains(&"cs.SE".to_string()),
            "{id}"
        );
    }
}

#[tokio::test]
async fn similar_papers_are_nearest_neighbours_without_the_paper_itself() {
    let app = app_with_arxiv(true).await;
    let status = app.get("/api/search/status").await.json();
    assert_eq!(status["embedded"], status["papers"], "{status}");
    assert_eq!(status["vectors"], status["papers"], "{status}");

    let r = app.get("/api/papers/2511.22699/similar?limit=5").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 5);
    let ids: Vec<&str> = items
        .iter()
        .map(|x| x["paper"]["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"2511.22699"), "the paper itself is excluded");
    let scores: Vec<f64> = items.iter().map(|x| x["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // An image-generation model's neighbours are about images, not software testing.
    let titles = items
        .iter()
        .map(|x| x["paper"]["title"].as_str().unwrap().to_lowercase())
        .collect::<Vec<_>>()
        .join(" | ");
    assert!(
        titles.contains("image") || titles.contains("diffusion") || titles.contains("visual"),
        "{titles}"
    );
    // The paper page lists them.
    let r = app.get("/papers/2511.22699").await;
    assert!(r.body.contains("Similar papers"));
    assert!(r.body.contains(&format!("href=\"/papers/{}\"", ids[0])));
}
