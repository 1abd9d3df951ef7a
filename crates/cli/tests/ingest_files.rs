//! The `dailypapers ingest` command on real recorded files, and on each kind
//! of bad input: a clear message naming the file and record, the documented
//! exit status, and nothing stored from a rejected document.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use dailypapers_store::testing::{TestStore, fresh_store};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

/// `dailypapers --data-dir DIR …`, with nothing of the environment's own.
fn dailypapers(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dailypapers").unwrap();
    cmd.env_remove("DAILYPAPERS_DATA_DIR")
        .env_remove("DAILYPAPERS_DATABASE_URL")
        .arg("--data-dir")
        .arg(dir);
    cmd
}

/// Runs `dailypapers ingest ARGS…` on the test store.
fn ingest(t: &TestStore, args: &[&str]) -> assert_cmd::assert::Assert {
    dailypapers(t.dir())
        .envs(t.env())
        .arg("ingest")
        .args(args)
        .assert()
}

/// Runs `dailypapers --data-dir DIR ingest ARGS…` on the default store of
/// DIR, for the mistakes that are refused before any store is opened.
fn ingest_in(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    dailypapers(dir).arg("ingest").args(args).assert()
}

/// Imports the recorded feed of 2025-12-01 (23 papers) into the test store.
fn import_december_first(t: &TestStore) {
    let file = fixture("hf-daily-papers/2025-12-01.json");
    ingest(t, &["hf-daily", path(&file)]).success();
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[tokio::test]
async fn hf_daily_files_become_feed_days_and_reimporting_changes_nothing() {
    let t = fresh_store().await;
    let file = fixture("hf-daily-papers/2025-12-01.json");
    let first = ingest(&t, &["hf-daily", path(&file)]).success();
    assert!(
        stdout(&first).contains("read 23, new 23, updated 0, unchanged 0, rejected 0"),
        "{}",
        stdout(&first)
    );
    let again = ingest(&t, &["hf-daily", path(&file)]).success();
    assert!(
        stdout(&again).contains("new 0, updated 0, unchanged 23"),
        "{}",
        stdout(&again)
    );

    let store = &t.store;
    let z = store
        .listing(&"2511.22699".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(z.paper.title.starts_with("Z-Image"));
    assert_eq!(z.paper.upvotes, Some(42));
    assert_eq!(z.entry.unwrap().feed_day.to_string(), "2025-12-01");
}

#[tokio::test]
async fn an_old_hf_file_without_submission_times_uses_the_feed_day_given() {
    let t = fresh_store().await;
    let file = fixture("hf-daily-papers/2024-05-27.json");
    ingest(&t, &["hf-daily", "--feed-day", "2024-05-28", path(&file)]).success();
    let store = &t.store;
    let l = store
        .listing(&"2405.15738".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(l.entry.unwrap().feed_day.to_string(), "2024-05-28");
}

#[tokio::test]
async fn arxiv_oai_and_snapshot_files_are_imported_and_merged_with_the_feed() {
    let t = fresh_store().await;
    import_december_first(&t);
    let a = ingest(
        &t,
        &[
            "arxiv",
            path(&fixture(
                "arxiv-api/id_astro-ph_0601001_s0_m100_3150dca9dc76.xml",
            )),
            path(&fixture("arxiv-api/q_testing_s0_m100_cfe7536492ca.xml")),
        ],
    )
    .success();
    assert!(stdout(&a).contains("rejected 0"), "{}", stdout(&a));
    ingest(
        &t,
        &[
            "oai",
            path(&fixture(
                "arxiv-oai/oai_dc-cs-listrecords-5-with-resumption.xml",
            )),
        ],
    )
    .success();
    let s = ingest(
        &t,
        &[
            "snapshot",
            path(&fixture(
                "arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl",
            )),
        ],
    )
    .success();
    assert!(stdout(&s).contains("read 200"), "{}", stdout(&s));

    let store = &t.store;
    let hot = store
        .listing(&"astro-ph/0601001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(hot.paper.title.contains("Hot Jupiters"));
    assert!(hot.entry.is_none());
    let first = store
        .listing(&"0704.0001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        first
            .paper
            .title
            .starts_with("Calculation of prompt diphoton production")
    );
    let counts = store.counts().await.unwrap();
    assert_eq!(
        counts.listings, 23,
        "arXiv sources do not put papers on the feed"
    );
    // No two of these files share a paper: every record is one more paper.
    assert_eq!(counts.papers, 23 + 1 + 100 + 5 + 200, "{counts:?}");
}

#[tokio::test]
async fn a_malformed_file_is_rejected_whole_and_what_was_stored_is_untouched() {
    let t = fresh_store().await;
    import_december_first(&t);
    let before = t
        .store
        .listing(&"2511.22699".parse().unwrap())
        .await
        .unwrap();

    // A 100-entry answer broken in its last entry: none of it is stored.
    let bad = t.dir().join("broken.xml");
    let good =
        std::fs::read_to_string(fixture("arxiv-api/q_testing_s0_m100_cfe7536492ca.xml")).unwrap();
    let last = good.rfind("</title>").unwrap();
    std::fs::write(
        &bad,
        format!("{}</titel>{}", &good[..last], &good[last + 8..]),
    )
    .unwrap();
    let out = ingest(&t, &["arxiv", path(&bad)]).code(1);
    let err = stderr(&out);
    assert!(err.contains("broken.xml") && err.contains("line"), "{err}");
    assert!(err.contains("nothing could be imported"), "{err}");

    let store = &t.store;
    let tag = "<id>http://arxiv.org/abs/";
    let first = good.find(tag).unwrap() + tag.len();
    let first_id = &good[first..first + good[first..].find('<').unwrap()];
    let first_id: dailypapers_domain::ArxivId = first_id.parse().unwrap();
    assert!(
        store.listing(&first_id).await.unwrap().is_none(),
        "{first_id}"
    );
    assert_eq!(
        store.listing(&"2511.22699".parse().unwrap()).await.unwrap(),
        before
    );
    assert_eq!(store.counts().await.unwrap().papers, 23);
}

#[tokio::test]
async fn a_truncated_file_is_rejected_with_its_name() {
    let t = fresh_store().await;
    let text = std::fs::read_to_string(fixture("hf-daily-papers/2025-12-01.json")).unwrap();
    let cut = t.dir().join("2025-12-01-cut.json");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let out = ingest(&t, &["hf-daily", path(&cut)]).code(1);
    let err = stderr(&out);
    assert!(
        err.contains("2025-12-01-cut.json") && err.contains("line"),
        "{err}"
    );
    assert_eq!(t.store.counts().await.unwrap().papers, 0);
}

#[tokio::test]
async fn a_record_that_is_not_an_object_is_rejected_and_the_rest_imported() {
    let t = fresh_store().await;
    let text = std::fs::read_to_string(fixture("hf-daily-papers/2024-06-03.json")).unwrap();
    let mut items: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let n = items.len();
    items.insert(1, serde_json::json!(42));
    let file = t.dir().join("with-a-number.json");
    std::fs::write(&file, serde_json::to_string(&items).unwrap()).unwrap();
    let out = ingest(&t, &["hf-daily", "--feed-day", "2024-06-03", path(&file)]).code(3);
    let err = stderr(&out);
    assert!(
        err.contains("with-a-number.json") && err.contains("record 2"),
        "{err}"
    );
    assert!(
        stdout(&out).contains(&format!("new {n}")),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn an_invalid_id_names_the_line_and_what_a_valid_id_looks_like() {
    let t = fresh_store().await;
    let text = std::fs::read_to_string(fixture(
        "arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl",
    ))
    .unwrap();
    let mut lines: Vec<String> = text.lines().take(3).map(String::from).collect();
    lines[1] = lines[1].replacen("\"id\":\"0704.0002\"", "\"id\":\"not-an-id\"", 1);
    assert!(lines[1].contains("not-an-id"));
    let file = t.dir().join("bad-id.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = ingest(&t, &["snapshot", path(&file)]).code(3);
    let err = stderr(&out);
    assert!(
        err.contains("bad-id.jsonl") && err.contains("line 2"),
        "{err}"
    );
    assert!(
        err.contains("2104.12255"),
        "says what a valid id looks like: {err}"
    );
    assert_eq!(t.store.counts().await.unwrap().papers, 2);
}

#[tokio::test]
async fn the_arxiv_error_entry_is_reported() {
    let t = fresh_store().await;
    let out = ingest(
        &t,
        &[
            "arxiv",
            path(&fixture("arxiv-api/id_abc_s0_m100_b79c8dcf6bc3.xml")),
        ],
    )
    .code(1);
    assert!(
        stderr(&out).contains("incorrect id format for abc"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn asking_for_nothing_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest_in(dir.path(), &["arxiv"]).code(2);
    assert!(stderr(&out).contains("--ids"), "{}", stderr(&out));
    let out = ingest_in(dir.path(), &["arxiv", "--ids", "2104.12255,abc"]).code(2);
    assert!(
        stderr(&out).contains("invalid arXiv id \"abc\""),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.path().join("dailypapers.sqlite3").exists(),
        "nothing was created"
    );
    let out = ingest_in(dir.path(), &["hf-daily", "--date", "2025-13-01"]).failure();
    assert!(stderr(&out).contains("YYYY-MM-DD"), "{}", stderr(&out));
}

#[tokio::test]
async fn feed_days_stay_in_the_time_zone_they_were_computed_in() {
    let t = fresh_store().await;
    let file = fixture("hf-daily-papers/2025-12-01.json");
    ingest(&t, &["hf-daily", path(&file)]).success();
    let out = dailypapers(t.dir())
        .envs(t.env())
        .env("DAILYPAPERS_TIME_ZONE", "America/Los_Angeles")
        .args(["ingest", "hf-daily", path(&file)])
        .assert()
        .code(1);
    let err = stderr(&out);
    assert!(
        err.contains("computed in the time zone UTC") && err.contains("America/Los_Angeles"),
        "{err}"
    );
    let z = t
        .store
        .listing(&"2511.22699".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        z.entry.unwrap().feed_day.to_string(),
        "2025-12-01",
        "nothing was re-dated"
    );
}

#[test]
fn the_config_file_and_the_help_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("elsewhere");
    let config = dir.path().join("dailypapers.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n[feed]\ntime_zone = \"UTC\"\n", data),
    )
    .unwrap();
    Command::cargo_bin("dailypapers")
        .unwrap()
        .env_remove("DAILYPAPERS_DATA_DIR")
        .arg("--config")
        .arg(&config)
        .args([
            "ingest",
            "snapshot",
            path(&fixture(
                "arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl",
            )),
        ])
        .assert()
        .success();
    assert!(
        data.join("dailypapers.sqlite3").exists(),
        "the database went where the config file said"
    );

    std::fs::write(&config, "[feed]\ntimezone = \"UTC\"\n").unwrap();
    let out = Command::cargo_bin("dailypapers")
        .unwrap()
        .arg("--config")
        .arg(&config)
        .args(["ingest", "snapshot", "whatever.jsonl"])
        .assert()
        .code(1);
    assert!(
        stderr(&out).contains("timezone"),
        "names the unknown key: {}",
        stderr(&out)
    );

    let help = Command::cargo_bin("dailypapers")
        .unwrap()
        .arg("--help")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    for word in ["serve", "ingest", "bench", "--data-dir", "--config"] {
        assert!(text.contains(word), "--help lists {word}: {text}");
    }
}

#[test]
fn a_live_harvest_needs_a_start_date() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest_in(dir.path(), &["oai", "--set", "cs"]).code(2);
    assert!(stderr(&out).contains("--from"), "{}", stderr(&out));
}
