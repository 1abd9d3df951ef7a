//! `dailypapers ingest … --date/--ids/--query/--set`: the real binary fetching
//! from a local server that replays recorded arXiv and Hugging Face answers.

#[path = "../../ingest/tests/support/mod.rs"]
mod support;

use dailypapers_ingest::clock::ManualClock;
use dailypapers_store::testing::{TestStore, fresh_store};
use support::Replay;

/// `dailypapers --data-dir DIR ingest ARGS…` on the test store, with every source pointed at
/// the replay server (no 3 s pause: it is local). A test that needs another
/// replay path for one source sets that variable again on the command.
fn command(replay: &Replay, t: &TestStore, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dailypapers"));
    cmd.env_remove("DAILYPAPERS_DATA_DIR")
        .env(
            "DAILYPAPERS_ARXIV_API_URL",
            replay.url("/api/query").as_str(),
        )
        .env("DAILYPAPERS_ARXIV_OAI_URL", replay.url("/oai2").as_str())
        .env(
            "DAILYPAPERS_HF_DAILY_PAPERS_URL",
            replay.url("/api/daily_papers").as_str(),
        )
        .env("DAILYPAPERS_ARXIV_INTERVAL_SECS", "0")
        .env("DAILYPAPERS_CONTACT", "tests@example.org")
        .envs(t.env())
        .arg("--data-dir")
        .arg(t.dir())
        .arg("ingest")
        .args(args);
    cmd
}

/// Runs `command` and waits for it.
async fn ingest(replay: &Replay, t: &TestStore, args: &[&str]) -> std::process::Output {
    command(replay, t, args).output().await.unwrap()
}

/// A live harvest of the `cs` set that the replay server has recorded.
const CS_HARVEST: [&str; 7] = [
    "oai",
    "--set",
    "cs",
    "--from",
    "2024-01-25",
    "--prefix",
    "oai_dc",
];

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn hf_daily_by_date_fetches_the_day_and_lists_it() {
    let replay = Replay::start(ManualClock::new()).await;
    let t = fresh_store().await;
    let out = ingest(&replay, &t, &["hf-daily", "--date", "2025-12-01"]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("read 23, new 23"), "{}", stdout(&out));
    assert!(replay.queries()[0].contains("date=2025-12-01"));
    let store = &t.store;
    let z = store
        .listing(&"2511.22699".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(z.entry.unwrap().feed_day.to_string(), "2025-12-01");
}

#[tokio::test(flavor = "multi_thread")]
async fn arxiv_by_ids_and_by_query() {
    let replay = Replay::start(ManualClock::new()).await;
    let t = fresh_store().await;
    let out = ingest(
        &replay,
        &t,
        &["arxiv", "--ids", "https://arxiv.org/abs/astro-ph/0601001"],
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("read 1, new 1"), "{}", stdout(&out));
    let ua = replay.requests()[0].user_agent.clone().unwrap();
    assert!(
        ua.starts_with("dailypapers/") && ua.contains("tests@example.org"),
        "{ua}"
    );

    let out = ingest(
        &replay,
        &t,
        &["arxiv", "--query", "testing", "--max", "100"],
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("read 100"), "{}", stdout(&out));
    let store = &t.store;
    assert_eq!(store.counts().await.unwrap().papers, 101);
    assert!(
        store
            .listing(&"astro-ph/0601001".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oai_harvest_follows_the_resumption_token_to_the_end() {
    let replay = Replay::start(ManualClock::new()).await;
    let t = fresh_store().await;
    let out = ingest(&replay, &t, &CS_HARVEST).await;
    assert!(out.status.success(), "{out:?}");
    let queries = replay.queries();
    assert_eq!(queries.len(), 2, "{queries:?}");
    assert!(
        queries[1].contains("resumptionToken=6960524%7C1001"),
        "{queries:?}"
    );
    let store = &t.store;
    assert_eq!(store.counts().await.unwrap().papers, 7);
    assert_eq!(
        store.checkpoint("oai:cs:oai_dc:2024-01-25:").await.unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_400_from_arxiv_is_reported_and_leaves_the_store_untouched() {
    let replay = Replay::start(ManualClock::new()).await;
    let t = fresh_store().await;
    let out = ingest(&replay, &t, &["hf-daily", "--date", "2025-12-01"]).await;
    assert!(out.status.success(), "{out:?}");
    let store = &t.store;
    let before = store.listing(&"2511.22699".parse().unwrap()).await.unwrap();

    let out = command(&replay, &t, &["arxiv", "--ids", "2511.22699"])
        .env(
            "DAILYPAPERS_ARXIV_API_URL",
            replay.url("/refusing/api/query").as_str(),
        )
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("400") && err.contains("incorrect id format for abc"),
        "{err}"
    );
    assert_eq!(
        store.listing(&"2511.22699".parse().unwrap()).await.unwrap(),
        before
    );
    assert_eq!(store.counts().await.unwrap().papers, 23);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_halfway_keeps_the_pages_already_stored() {
    let replay = Replay::start(ManualClock::new()).await;
    let t = fresh_store().await;
    let args = ["arxiv", "--query", "testing", "--max", "200"];
    let out = command(&replay, &t, &args)
        .env(
            "DAILYPAPERS_ARXIV_API_URL",
            replay.url("/refusing-later/api/query").as_str(),
        )
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "some imported, then refused: {out:?}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("incorrect id format for abc"), "{err}");
    assert!(
        stdout(&out).contains("read 100, new 100"),
        "{}",
        stdout(&out)
    );
    let store = &t.store;
    assert_eq!(store.counts().await.unwrap().papers, 100);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_harvest_resumes_from_its_last_stored_page() {
    let replay = Replay::start(ManualClock::new()).await;
    let t = fresh_store().await;
    // The first page is stored, then the connection is lost.
    let out = command(&replay, &t, &CS_HARVEST)
        .env(
            "DAILYPAPERS_ARXIV_OAI_URL",
            replay.url("/interrupted/oai2").as_str(),
        )
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let store = &t.store;
    assert_eq!(store.counts().await.unwrap().papers, 5);
    assert_eq!(
        store
            .checkpoint("oai:cs:oai_dc:2024-01-25:")
            .await
            .unwrap()
            .as_deref(),
        Some("6960524|1001")
    );
    // The same command again starts from the saved token, not from the top.
    let before = replay.queries().len();
    let out = ingest(&replay, &t, &CS_HARVEST).await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("resuming"));
    let queries = replay.queries();
    assert_eq!(queries.len(), before + 1, "{queries:?}");
    assert_eq!(
        queries[before],
        "verb=ListRecords&resumptionToken=6960524%7C1001"
    );
    assert_eq!(store.counts().await.unwrap().papers, 7);
    assert_eq!(
        store.checkpoint("oai:cs:oai_dc:2024-01-25:").await.unwrap(),
        None
    );
}
