//! Scheduled ingestion in the real `serve`: two servers on one store (the
//! backend under test), each with its own data directory for its indexes,
//! with the same schedule run each due job once (the replay server counts
//! the requests) and embed each paper once (the store's revision count),
//! a paper the job brought in is found by semantic search on both servers
//! within 60 s of the job's commit, the feed fills itself, and
//! `/api/status` and `/admin/status` say what ran.

mod serve_support;
#[path = "../../ingest/tests/support/mod.rs"]
mod support;

use std::time::Duration;

use dailypapers_ingest::clock::ManualClock;
use dailypapers_store::testing::fresh_store;
use serve_support::Server;
use support::Replay;

/// A schedule of one job: the recorded arXiv query, every hour.
const CONFIG: &str = r#"
[jobs]
tick_secs = 0.2
lease_secs = 5

[[schedule]]
name = "testing-query"
source = "arxiv"
query = "testing"
max = 100
every = "1h"
"#;

fn env(replay: &Replay, config: &str) -> Vec<(String, String)> {
    vec![
        ("DAILYPAPERS_CONFIG".into(), config.into()),
        (
            "DAILYPAPERS_ARXIV_API_URL".into(),
            replay.url("/api/query").to_string(),
        ),
        (
            "DAILYPAPERS_ARXIV_OAI_URL".into(),
            replay.url("/oai2").to_string(),
        ),
        (
            "DAILYPAPERS_HF_DAILY_PAPERS_URL".into(),
            replay.url("/api/daily_papers").to_string(),
        ),
        ("DAILYPAPERS_ARXIV_INTERVAL_SECS".into(), "0".into()),
        ("DAILYPAPERS_CONTACT".into(), "tests@example.org".into()),
    ]
}

/// The model `make model` fetches.
fn model_dir() -> String {
    std::env::var("DAILYPAPERS_MODEL_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-MiniLM-L6-v2").to_string()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_with_one_schedule_run_each_due_job_once() {
    let replay = Replay::start(ManualClock::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dailypapers.toml");
    std::fs::write(&config, CONFIG).unwrap();
    // The store is created (and migrated) before both servers start.
    let t = fresh_store().await;
    let mut env = env(&replay, config.to_str().unwrap());
    env.extend(t.env().map(|(k, v)| (k.to_string(), v)));
    // Both embed what the job brings in.
    env.push(("DAILYPAPERS_MODEL_DIR".into(), model_dir()));
    let (a, b) = tokio::task::spawn_blocking({
        let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));
        move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            (Server::start(&data_a, &env), Server::start(&data_b, &env))
        }
    })
    .await
    .unwrap();

    // Both look for due jobs five times a second; wait for the run to be recorded.
    let store = &t.store;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store
        .checkpoint("job.testing-query")
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduled job never ran; logs:\n{}\n{}",
            a.log.lock().unwrap(),
            b.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let committed = std::time::Instant::now();
    // Give both servers many more ticks in which they could run it again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let queries: Vec<_> = replay
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/query")
        .collect();
    assert_eq!(
        queries.len(),
        1,
        "the job ran once in all: one request for its one page, got {queries:?}"
    );
    assert!(
        queries[0].query.contains("search_query=testing"),
        "{queries:?}"
    );
    let papers = store.counts().await.unwrap().papers;
    assert!(papers >= 50, "the query's papers were stored: {papers}");

    // Both servers embed; each paper is embedded by one of them: as many
    // vectors were ever written (the last revision) as there are papers.
    let (_, search) = tokio::task::block_in_place(|| a.get("/api/search/status"));
    let search: serde_json::Value = serde_json::from_str(&search).unwrap();
    let model = search["model"]
        .as_str()
        .expect("the model is loaded")
        .to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while store.embedding_progress(&model).await.unwrap().done < papers {
        assert!(
            std::time::Instant::now() < deadline,
            "not embedded within 2 minutes; logs:\n{}\n{}",
            a.log.lock().unwrap(),
            b.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let vectors = store
        .embeddings_since(&model, 0, 10 * papers)
        .await
        .unwrap();
    assert_eq!(vectors.len() as u64, papers);
    assert_eq!(
        vectors.iter().map(|v| v.rev).max(),
        Some(papers),
        "each paper was embedded once, by one of the two servers"
    );

    // The last paper the job stored, asked for by the opening of its
    // abstract in semantic mode (the vector index alone): found on both
    // servers within 60 s of the job's commit.
    let (_, last) = store
        .listings_by_doc(&[papers])
        .await
        .unwrap()
        .pop()
        .expect("the last document is stored");
    let query = last
        .paper
        .summary
        .split_whitespace()
        .take(40)
        .collect::<Vec<_>>()
        .join(" ");
    let path = format!(
        "/api/search?mode=semantic&limit=5&q={}",
        url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    );
    for server in [&a, &b] {
        loop {
            let (status, body) = tokio::task::block_in_place(|| server.get(&path));
            if status == 200 && body.contains(last.paper.id.as_str()) {
                break;
            }
            assert!(
                committed.elapsed() < Duration::from_secs(60),
                "{} not found by semantic search within 60 s: {status} {body}",
                last.paper.id
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // The status says what ran, on either server.
    for server in [&a, &b] {
        let (status, body) = tokio::task::block_in_place(|| server.get("/api/status"));
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let job = &json["jobs"][0];
        assert_eq!(job["name"], "testing-query");
        assert_eq!(job["schedule"], "every 1h");
        assert_eq!(job["lastRun"]["outcome"], "ok", "{body}");
        assert_eq!(
            job["lastRun"]["tally"]["new"].as_u64(),
            Some(papers),
            "{body}"
        );
        assert!(job["nextRun"].as_str().is_some(), "{body}");
        assert_eq!(json["store"]["papers"].as_u64(), Some(papers), "{body}");
        assert!(json["store"]["sizeBytes"].as_u64().unwrap() > 0, "{body}");
        assert!(json["version"].is_string());
        let (status, page) = tokio::task::block_in_place(|| server.get("/admin/status"));
        assert_eq!(status, 200);
        assert!(
            page.contains("testing-query") && page.contains("every 1h"),
            "{page}"
        );
        assert!(page.contains(&format!("new {papers}")), "{page}");
    }
    let log_a = tokio::task::block_in_place(|| a.stop());
    let log_b = tokio::task::block_in_place(|| b.stop());
    let finished = [&log_a, &log_b]
        .iter()
        .map(|l| l.matches("job finished").count())
        .sum::<usize>();
    assert_eq!(finished, 1, "one server logged the run:\n{log_a}\n{log_b}");
    assert!(
        log_a.contains(&format!("new={papers}")) || log_b.contains(&format!("new={papers}")),
        "the run is logged with its summary:\n{log_a}\n{log_b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_schedule_stops_serve_with_the_entry_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dailypapers.toml");
    std::fs::write(
        &config,
        "[[schedule]]\nsource = \"arxiv\"\nevery = \"1h\"\n",
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_dailypapers"))
        .env("DAILYPAPERS_CONFIG", &config)
        .env("DAILYPAPERS_MODEL_DIR", "/nonexistent")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schedule entry 1") && err.contains("query"),
        "{err}"
    );
}
