//! `dailypapers backup FILE` while a large import runs: the copy holds every
//! batch of the import whole or not at all, it opens as a store, and a
//! server started on it serves the same feed as the original.

mod serve_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serve_support::Server;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dailypapers")
}

fn run(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .env_remove("DAILYPAPERS_DATA_DIR")
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

/// Snapshot batches are this many records (`ingest::STREAM_BATCH`).
const BATCH: u64 = 2_000;

#[test]
fn a_backup_during_an_import_holds_whole_batches_and_serves_the_same_feed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let hf = fixture("hf-daily-papers/2025-12-01.json");
    let out = run(&data, &["ingest", "hf-daily", hf.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let before = 23;

    let snapshot = dir.path().join("snapshot.json");
    let records = 40 * BATCH;
    let out = Command::new(bin())
        .args(["bench", "gen-snapshot", &records.to_string()])
        .arg(&snapshot)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // Back up while the snapshot import is under way.
    let mut import = Command::new(bin())
        .env_remove("DAILYPAPERS_DATA_DIR")
        .arg("--data-dir")
        .arg(&data)
        .args(["ingest", "snapshot"])
        .arg(&snapshot)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store_file = data.join("dailypapers.sqlite3");
    let started = std::time::Instant::now();
    while std::fs::metadata(format!("{}-wal", store_file.display()))
        .map(|m| m.len())
        .unwrap_or(0)
        < 1 << 20
    {
        assert!(
            started.elapsed().as_secs() < 60,
            "the import never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let copy = dir.path().join("copy.sqlite3");
    let out = run(&data, &["backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("backed up"), "{said}");
    assert!(import.wait().unwrap().success());

    // Whole batches only: the snapshot's papers in the copy are a multiple
    // of the batch size (all of them are new).
    let restored = dir.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::rename(&copy, restored.join("dailypapers.sqlite3")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let papers = rt.block_on(async {
        let s = dailypapers_store::open(&dailypapers_store::StoreUrl::in_data_dir(&restored))
            .await
            .unwrap();
        let n = s.counts().await.unwrap().papers;
        s.close().await;
        n
    });
    let from_snapshot = papers - before;
    assert!(
        from_snapshot.is_multiple_of(BATCH) && from_snapshot < records,
        "the copy holds {from_snapshot} snapshot papers: not whole batches of {BATCH}, or not taken during the import"
    );
    eprintln!(
        "the backup holds {} of {records} snapshot records",
        from_snapshot
    );

    // A backup never overwrites a file.
    let again = run(&data, &["backup", hf.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    // A server on the restored copy serves the same feed as the original.
    let env = [
        ("DAILYPAPERS_SCHEDULE", "false"),
        ("DAILYPAPERS_EMBED", "false"),
    ];
    let original = Server::start(&data, &env);
    let copy = Server::start(&restored, &env);
    for path in [
        "/api/daily_papers?date=2025-12-01",
        "/api/papers/2511.22699",
    ] {
        let (a_status, a) = original.get(path);
        let (b_status, b) = copy.get(path);
        assert_eq!((a_status, b_status), (200, 200), "{path}");
        assert_eq!(a, b, "{path} differs on the restored copy");
    }
    let (_, page) = copy.get("/?date=2025-12-01");
    assert!(
        page.contains("/papers/2511.22699"),
        "the restored front page lists the day's papers"
    );
}
