//! Every write path at once on one store (the backend under test), as real
//! processes: three
//! `dailypapers ingest` runs, and a `serve` that embeds in the background
//! and runs a scheduled job. Every import exits 0, and the store ends up
//! exactly as the same imports run one after another leave it (counts and a
//! checksum of every stored paper and listing).

mod serve_support;
#[path = "../../ingest/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dailypapers_ingest::clock::ManualClock;
use dailypapers_store::Store;
use dailypapers_store::testing::{TestStore, fresh_store};
use serve_support::Server;
use support::Replay;

const RECORDS: usize = 6_000;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dailypapers")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The model `make model` fetches, for the embedder to run while importing.
fn model_dir() -> String {
    std::env::var("DAILYPAPERS_MODEL_DIR").unwrap_or_else(|_| {
        fixtures()
            .join("../models/all-MiniLM-L6-v2")
            .to_string_lossy()
            .into_owned()
    })
}

/// Two snapshot files that share a fifth of their records, and the
/// recorded Hugging Face days.
fn inputs(dir: &Path) -> Vec<Vec<String>> {
    let all = dir.join("all.json");
    let out = std::process::Command::new(bin())
        .args(["bench", "gen-snapshot"])
        .arg((RECORDS * 2).to_string())
        .arg(&all)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&all).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let overlap = RECORDS / 5;
    let first = dir.join("first.json");
    let second = dir.join("second.json");
    std::fs::write(&first, lines[..RECORDS + overlap].join("\n") + "\n").unwrap();
    std::fs::write(&second, lines[RECORDS - overlap..].join("\n") + "\n").unwrap();
    let mut days: Vec<String> = std::fs::read_dir(fixtures().join("hf-daily-papers"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    days.sort();
    let hf: Vec<String> = std::iter::once("hf-daily".to_string())
        .chain(days)
        .collect();
    vec![
        vec!["snapshot".into(), first.to_string_lossy().into_owned()],
        vec!["snapshot".into(), second.to_string_lossy().into_owned()],
        hf,
    ]
}

fn ingest(t: &TestStore, args: &[String], replay: &Replay) -> std::process::Child {
    std::process::Command::new(bin())
        .env_remove("DAILYPAPERS_DATA_DIR")
        .envs(t.env())
        .env(
            "DAILYPAPERS_ARXIV_API_URL",
            replay.url("/api/query").as_str(),
        )
        .env("DAILYPAPERS_ARXIV_INTERVAL_SECS", "0")
        .arg("--data-dir")
        .arg(t.dir())
        .arg("ingest")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Every stored paper with its listing, by id, as JSON.
async fn contents(store: &dyn Store) -> BTreeMap<String, String> {
    let changes = store.changed_papers(0, u64::MAX / 2).await.unwrap();
    let docs: Vec<u64> = changes.iter().map(|c| c.doc).collect();
    let mut out = BTreeMap::new();
    for chunk in docs.chunks(500) {
        for (_, listing) in store.listings_by_doc(chunk).await.unwrap() {
            out.insert(
                listing.paper.id.as_str().to_string(),
                serde_json::to_string(&listing).unwrap(),
            );
        }
    }
    out
}

fn checksum(map: &BTreeMap<String, String>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    map.hash(&mut h);
    h.finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_the_embedder_and_the_scheduler_write_at_once_and_lose_nothing() {
    let replay = Replay::start(ManualClock::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let jobs = inputs(dir.path());
    let query = vec![
        "arxiv".to_string(),
        "--query".into(),
        "testing".into(),
        "--max".into(),
        "100".into(),
    ];

    // One after another.
    let serial = fresh_store().await;
    for args in jobs.iter().chain([&query]) {
        let out = ingest(&serial, args, &replay).wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let expected = contents(&*serial.store).await;
    assert!(expected.len() > RECORDS, "{}", expected.len());

    // All at once: a server that embeds and runs the same query on a
    // schedule, and the three imports.
    let concurrent = fresh_store().await;
    let store_env = concurrent.env();
    let config = dir.path().join("schedule.toml");
    std::fs::write(
        &config,
        "[jobs]\ntick_secs = 0.2\n[[schedule]]\nsource = \"arxiv\"\nquery = \"testing\"\nmax = 100\nevery = \"1h\"\n",
    )
    .unwrap();
    let model = model_dir();
    let api = replay.url("/api/query").to_string();
    let server = tokio::task::block_in_place(|| {
        Server::start(
            &dir.path().join("server"),
            &[
                (store_env[0].0, store_env[0].1.as_str()),
                ("DAILYPAPERS_CONFIG", config.to_str().unwrap()),
                ("DAILYPAPERS_MODEL_DIR", &model),
                ("DAILYPAPERS_ARXIV_API_URL", &api),
                ("DAILYPAPERS_ARXIV_INTERVAL_SECS", "0"),
            ],
        )
    });
    // Let the scheduled job and the embedder get going.
    let store = &concurrent.store;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store.counts().await.unwrap().papers == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            server.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let children: Vec<_> = jobs
        .iter()
        .map(|args| (args.clone(), ingest(&concurrent, args, &replay)))
        .collect();
    for (args, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?} failed beside the others: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let embedded = store
        .embedding_progress("all-MiniLM-L6-v2")
        .await
        .map(|p| p.done)
        .unwrap_or(0);
    let log = tokio::task::block_in_place(|| server.stop());
    assert!(
        log.contains("job finished"),
        "the scheduled job ran:\n{log}"
    );
    assert!(!log.contains("database is locked"), "{log}");
    let got = contents(&**store).await;
    assert_eq!(
        got.len(),
        expected.len(),
        "as many papers as the serial import"
    );
    let differing: Vec<_> = expected
        .iter()
        .filter(|(id, v)| got.get(*id) != Some(v))
        .map(|(id, _)| id)
        .take(5)
        .collect();
    assert!(
        differing.is_empty(),
        "papers stored differently: {differing:?}"
    );
    assert_eq!(checksum(&got), checksum(&expected));
    eprintln!("{} papers, {embedded} embedded while importing", got.len());
}
