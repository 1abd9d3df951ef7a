//! Scheduled ingestion in the real `serve`: two servers on one SQLite store
//! with the same schedule run each due job once (the replay server counts
//! the requests), the feed fills itself, and `/api/status` and
//! `/admin/status` say what ran.

mod serve_support;
#[path = "../../ingest/tests/support/mod.rs"]
mod support;

use std::time::Duration;

use dailypapers_ingest::clock::ManualClock;
use dailypapers_store::StoreUrl;
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
        ("DAILYPAPERS_EMBED".into(), "false".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_with_one_schedule_run_each_due_job_once() {
    let replay = Replay::start(ManualClock::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dailypapers.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let env = env(&replay, config.to_str().unwrap());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let data = dir.path().join("data");
    // Create the store first so both servers start on a migrated file.
    dailypapers_store::open(&StoreUrl::in_data_dir(&data))
        .await
        .unwrap()
        .close()
        .await;
    let (a, b) = tokio::task::spawn_blocking({
        let data = data.clone();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            (Server::start(&data, &env), Server::start(&data, &env))
        }
    })
    .await
    .unwrap();

    // Both look for due jobs five times a second; wait for the run to be recorded.
    let store = dailypapers_store::open(&StoreUrl::in_data_dir(&data))
        .await
        .unwrap();
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
