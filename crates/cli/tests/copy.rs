//! `dailypapers copy`: an instance moved from SQLite to PostgreSQL and back
//! is the same store, and each way a copy can be refused says why and
//! leaves the target as it was.
//!
//! These tests need the PostgreSQL test server (`DAILYPAPERS_TEST_PG_URL`,
//! started by `make test`); their names start with `cross_backend`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use dailypapers_store::rows::checksum;
use dailypapers_store::testing::{TestStore, fresh_postgres_store, fresh_sqlite_store};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

fn dailypapers() -> Command {
    let mut cmd = Command::cargo_bin("dailypapers").unwrap();
    cmd.env_remove("DAILYPAPERS_DATA_DIR")
        .env_remove("DAILYPAPERS_DATABASE_URL");
    cmd
}

/// `dailypapers copy --from A --to B [extra…]`.
fn copy(from: &TestStore, to: &TestStore, extra: &[&str]) -> assert_cmd::assert::Assert {
    dailypapers()
        .args([
            "copy",
            "--from",
            &from.url.unredacted(),
            "--to",
            &to.url.unredacted(),
        ])
        .args(extra)
        .assert()
}

fn out(a: &assert_cmd::assert::Assert) -> (String, String) {
    let o = a.get_output();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// An SQLite instance with a feed, arXiv papers and a checkpoint.
async fn instance() -> TestStore {
    let t = fresh_sqlite_store().await;
    for (source, file) in [
        ("hf-daily", "hf-daily-papers/2025-12-01.json"),
        ("arxiv", "arxiv-api/q_testing_s0_m100_cfe7536492ca.xml"),
    ] {
        dailypapers()
            .envs(t.env())
            .arg("--data-dir")
            .arg(t.dir())
            .args(["ingest", source])
            .arg(fixture(file))
            .assert()
            .success();
    }
    fill_collections(&*t.store).await;
    t
}

/// A member with a public and a private collection holding papers, so
/// that copies carry the collection tables.
async fn fill_collections(store: &dyn dailypapers_store::Store) {
    use dailypapers_domain::CollectionTitle;
    use dailypapers_store::collections::{NewCollection, NewItem};
    let now = chrono::Utc::now();
    let ada = dailypapers_store::testing::member(store, "ada").await;
    let papers = store.changed_papers(0, 3).await.unwrap();
    for (title, private) in [("Reading list", false), ("Private notes", true)] {
        let c = store
            .create_collection(&NewCollection {
                owner_id: ada.id,
                title: CollectionTitle::parse(title).unwrap(),
                description: Some("Copied along".into()),
                private,
                theme: "green".into(),
                now,
                max_per_member: 10,
            })
            .await
            .unwrap()
            .unwrap();
        for p in &papers {
            store
                .add_collection_item(&NewItem {
                    collection_id: c.id.clone(),
                    paper: p.paper.id.clone(),
                    note: Some(format!("About {}", p.paper.id)),
                    now,
                    max_items: 10,
                })
                .await
                .unwrap()
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_backend_sqlite_to_postgres_and_back_is_the_same_store() {
    let original = instance().await;
    let sums = checksum(&*original.store).await.unwrap();
    assert!(
        sums.iter().any(|s| s.table == "papers" && s.rows == 123),
        "{sums:?}"
    );
    assert!(
        sums.iter()
            .any(|s| s.table == "collection_items" && s.rows == 6),
        "{sums:?}"
    );

    let pg = fresh_postgres_store().await;
    let there = copy(&original, &pg, &[]).success();
    let (stdout, _) = out(&there);
    assert!(
        stdout.contains("papers 123") && stdout.contains("equal on both sides"),
        "{stdout}"
    );
    assert_eq!(checksum(&*pg.store).await.unwrap(), sums);

    let back = fresh_sqlite_store().await;
    copy(&pg, &back, &[]).success();
    assert_eq!(checksum(&*back.store).await.unwrap(), sums);
    let z = back
        .store
        .listing(&"2511.22699".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        Some(z),
        original
            .store
            .listing(&"2511.22699".parse().unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_backend_a_target_with_data_is_refused_unless_merging() {
    let original = instance().await;
    let pg = fresh_postgres_store().await;
    copy(&original, &pg, &[]).success();
    let before = checksum(&*pg.store).await.unwrap();

    let refused = copy(&original, &pg, &[]).code(1);
    let (_, stderr) = out(&refused);
    assert!(
        stderr.contains("already holds data") && stderr.contains("--merge"),
        "{stderr}"
    );
    assert_eq!(
        checksum(&*pg.store).await.unwrap(),
        before,
        "nothing was touched"
    );

    // Merging the same instance again changes no paper.
    let merged = copy(&original, &pg, &["--merge"]).success();
    let (stdout, _) = out(&merged);
    assert!(
        stdout.contains("new 0, updated 0, unchanged 123"),
        "{stdout}"
    );
    assert_eq!(pg.store.counts().await.unwrap().papers, 123);
}

#[test]
fn a_bad_store_url_is_a_usage_error_that_names_it() {
    let refused = dailypapers()
        .args([
            "copy",
            "--from",
            "mysql://db/papers",
            "--to",
            "/tmp/x.sqlite3",
        ])
        .assert()
        .code(2);
    let (_, stderr) = out(&refused);
    assert!(
        stderr.contains("--from") && stderr.contains("mysql"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_source_is_named_and_nothing_is_written() {
    let target = fresh_sqlite_store().await;
    let refused = dailypapers()
        .args([
            "copy",
            "--from",
            "postgres://nobody@127.0.0.1:1/none",
            "--to",
            &target.url.unredacted(),
        ])
        .assert()
        .code(1);
    let (_, stderr) = out(&refused);
    assert!(
        stderr.contains("cannot open the source postgres://nobody@127.0.0.1:1/none"),
        "{stderr}"
    );
    assert_eq!(target.store.counts().await.unwrap().papers, 0);
}

/// What `dailypapers migrate` prints: the store, then one line per migration.
fn migration_lines(a: &assert_cmd::assert::Assert) -> Vec<String> {
    let (stdout, stderr) = out(a);
    assert!(stdout.contains("schema up to date"), "{stdout}{stderr}");
    stdout
        .lines()
        .skip(1)
        .map(|l| l.trim().to_string())
        .collect()
}

fn migration_files(backend: &str) -> usize {
    std::fs::read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../store/migrations")
            .join(backend),
    )
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "sql")
    })
    .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_backend_migrate_brings_each_store_up_to_date_and_lists_its_migrations() {
    // A data directory that holds no store yet: migrate creates it.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = dailypapers()
        .arg("--data-dir")
        .arg(&data)
        .arg("migrate")
        .assert()
        .success();
    let lines = migration_lines(&first);
    assert_eq!(lines.len(), migration_files("sqlite"), "{lines:?}");
    assert!(
        lines[0].starts_with("0001 papers and listings"),
        "{lines:?}"
    );
    let store = dailypapers_store::open(&dailypapers_store::StoreUrl::Sqlite(
        data.join("dailypapers.sqlite3"),
    ))
    .await
    .unwrap();
    assert_eq!(store.counts().await.unwrap().papers, 0);
    store.close().await;
    // Again: nothing left to apply, the same list.
    let again = dailypapers()
        .arg("--data-dir")
        .arg(&data)
        .arg("migrate")
        .assert()
        .success();
    assert_eq!(migration_lines(&again), lines);

    let pg = fresh_postgres_store().await;
    let on_pg = dailypapers()
        .env("DAILYPAPERS_DATABASE_URL", pg.url.unredacted())
        .arg("--data-dir")
        .arg(dir.path().join("unused"))
        .arg("migrate")
        .assert()
        .success();
    let lines = migration_lines(&on_pg);
    assert_eq!(lines.len(), migration_files("postgres"), "{lines:?}");
    assert!(lines[0].starts_with("0001 schema"), "{lines:?}");
    for name in ["community", "collections", "contributions", "trending"] {
        assert!(lines.iter().any(|l| l.contains(name)), "{name}: {lines:?}");
    }

    // A database that does not answer: named, and a failure.
    let refused = dailypapers()
        .env(
            "DAILYPAPERS_DATABASE_URL",
            "postgres://dailypapers@127.0.0.1:1/none",
        )
        .arg("--data-dir")
        .arg(dir.path().join("unused"))
        .arg("migrate")
        .assert()
        .failure();
    let (_, stderr) = out(&refused);
    assert!(
        stderr.contains("cannot migrate the store postgres://dailypapers@127.0.0.1:1/none"),
        "{stderr}"
    );
}
