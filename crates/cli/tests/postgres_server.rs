//! `serve` on PostgreSQL when the database goes away: requests answer 503
//! and `/healthz` says why, the server stays up, and once PostgreSQL is
//! back it recovers by itself with everything committed before still there.
//! And a store dumped with `pg_dump` and restored with `pg_restore` into an
//! empty database serves the same feed.
//!
//! Each test starts a PostgreSQL cluster of its own (`scripts/pg.sh`), since
//! it stops and starts it or makes databases on it; they run in the SQLite
//! pass of `make test`.

mod serve_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serve_support::Server;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `scripts/pg.sh CMD DIR`, answering what it printed.
fn pg(cmd: &str, dir: &Path) -> String {
    let out = Command::new(root().join("scripts/pg.sh"))
        .arg(cmd)
        .arg(dir)
        .output()
        .expect("run scripts/pg.sh");
    assert!(out.status.success(), "pg.sh {cmd}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A cluster that is removed when the test ends, however it ends.
struct Cluster(PathBuf);

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(root().join("scripts/pg.sh"))
            .arg("stop")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_gives_503s_and_the_server_recovers_by_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster =
        Cluster(std::env::temp_dir().join(format!("dailypapers-pg-outage-{}", std::process::id())));
    let url = pg("start", &cluster.0);
    let imported = Command::new(env!("CARGO_BIN_EXE_dailypapers"))
        .env("DAILYPAPERS_DATABASE_URL", &url)
        .arg("--data-dir")
        .arg(tmp.path().join("cli"))
        .args(["ingest", "hf-daily"])
        .arg(root().join("fixtures/hf-daily-papers/2025-12-01.json"))
        .output()
        .unwrap();
    assert!(imported.status.success(), "{imported:?}");

    let server = tokio::task::block_in_place(|| {
        Server::start(
            &tmp.path().join("server"),
            &[
                ("DAILYPAPERS_DATABASE_URL", &url),
                ("DAILYPAPERS_CACHE_SECS", "0"),
                ("DAILYPAPERS_EMBED", "false"),
                ("DAILYPAPERS_SCHEDULE", "false"),
            ],
        )
    });
    let get = |path: &str| tokio::task::block_in_place(|| server.get(path));
    let (status, before) = get("/api/daily_papers?date=2025-12-01");
    assert_eq!(status, 200, "{before}");
    assert!(before.contains("Z-Image"));
    let search = "/api/papers/search?q=Z-Image";
    let indexed = Instant::now();
    while !get(search).1.contains("Z-Image") {
        assert!(indexed.elapsed() < Duration::from_secs(30), "never indexed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    pg("pause", &cluster.0);
    // A search finds papers in the index and reads them from the store.
    let (status, body) = get(search);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("database does not answer"), "{body}");
    let (status, body) = get("/api/daily_papers?date=2025-12-01");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("database does not answer"), "{body}");
    let (status, page) = get("/");
    assert_eq!(status, 503, "{page}");
    let (status, health) = get("/healthz");
    assert_eq!(status, 503);
    assert!(health.starts_with("store unavailable: "), "{health}");

    pg("resume", &cluster.0);
    let back = Instant::now();
    loop {
        let (status, _) = get("/healthz");
        if status == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "not recovered 30 s after PostgreSQL came back; log:\n{}",
            server.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, after) = get("/api/daily_papers?date=2025-12-01");
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        after, before,
        "nothing committed before the outage was lost"
    );
    let log = tokio::task::block_in_place(|| server.stop());
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pg_dump_restored_into_an_empty_database_serves_the_same_feed() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster =
        Cluster(std::env::temp_dir().join(format!("dailypapers-pg-dump-{}", std::process::id())));
    let url = pg("start", &cluster.0);
    let bin = PathBuf::from(pg("bin", &cluster.0));
    let ingest = |file: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_dailypapers"))
            .env("DAILYPAPERS_DATABASE_URL", &url)
            .arg("--data-dir")
            .arg(tmp.path().join("cli"))
            .args(["ingest", "hf-daily"])
            .arg(root().join(file))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    ingest("fixtures/hf-daily-papers/2025-12-01.json");
    ingest("fixtures/hf-daily-papers/2025-11-03.json");

    let dump = tmp.path().join("papers.dump");
    let out = Command::new(bin.join("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&url)
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_dump: {out:?}");
    let restored = url.replace("/dailypapers", "/restored");
    let out = Command::new(bin.join("createdb"))
        .args(["-h", "127.0.0.1", "-p"])
        .arg(url.rsplit(':').next().unwrap().split('/').next().unwrap())
        .args(["-U", "postgres", "restored"])
        .output()
        .unwrap();
    assert!(out.status.success(), "createdb: {out:?}");
    let out = Command::new(bin.join("pg_restore"))
        .args(["--no-owner", "--dbname", &restored])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_restore: {out:?}");

    let serve = |store: &str, dir: &str| {
        let store = store.to_string();
        let dir = tmp.path().join(dir);
        tokio::task::block_in_place(move || {
            Server::start(
                &dir,
                &[
                    ("DAILYPAPERS_DATABASE_URL", &store),
                    ("DAILYPAPERS_EMBED", "false"),
                    ("DAILYPAPERS_SCHEDULE", "false"),
                ],
            )
        })
    };
    let original = serve(&url, "a");
    let copy = serve(&restored, "b");
    for path in [
        "/api/daily_papers?date=2025-12-01",
        "/api/daily_papers?date=2025-11-03",
        "/api/papers/2511.22699",
    ] {
        let (status, want) = tokio::task::block_in_place(|| original.get(path));
        assert_eq!(status, 200, "{want}");
        let (status, got) = tokio::task::block_in_place(|| copy.get(path));
        assert_eq!(status, 200, "{got}");
        assert_eq!(got, want, "{path} differs on the restored database");
    }
}
