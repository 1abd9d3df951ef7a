//! `dailypapers search`, `reindex` and `embed` as a user runs them: real
//! files in, the binary run for real, and a reindex killed halfway that
//! leaves search working on the previous index.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn model_dir() -> PathBuf {
    match std::env::var_os("DAILYPAPERS_MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2"),
    }
}

/// `dailypapers --data-dir DIR ARGS…` with the given model directory.
fn run(dir: &Path, model: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("dailypapers")
        .unwrap()
        .env_remove("DAILYPAPERS_DATA_DIR")
        .env("DAILYPAPERS_MODEL_DIR", model)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .assert()
}

fn out(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn err(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// The ids in `search --json` output, in order.
fn ids(json_lines: &str) -> Vec<String> {
    json_lines
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn import_sample(dir: &Path) {
    let no_model = Path::new("/nonexistent");
    for day in ["2025-12-01", "2024-05-27"] {
        let file = fixtures().join(format!("hf-daily-papers/{day}.json"));
        run(
            dir,
            no_model,
            &["ingest", "hf-daily", file.to_str().unwrap()],
        )
        .success();
    }
}

#[test]
fn keyword_search_works_without_a_model_and_semantic_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    import_sample(dir.path());
    let missing = dir.path().join("no-model-here");

    let a = run(
        dir.path(),
        &missing,
        &["search", "single-stream diffusion", "--mode", "keyword"],
    )
    .success();
    let text = out(&a);
    assert!(text.contains("2511.22699"), "{text}");
    assert!(text.contains("keyword search"), "{text}");

    // Hybrid falls back to keyword matches, and says why.
    let a = run(dir.path(), &missing, &["search", "single-stream diffusion"]).success();
    assert!(out(&a).contains("2511.22699"), "{}", out(&a));
    assert!(out(&a).contains("keyword search"), "{}", out(&a));
    assert!(err(&a).contains("make model"), "{}", err(&a));

    // Semantic alone cannot run: a clear error naming what is missing.
    let a = run(
        dir.path(),
        &missing,
        &["search", "diffusion", "--mode", "semantic"],
    )
    .failure();
    let e = err(&a);
    assert!(
        e.contains("make model") && e.contains("no-model-here"),
        "{e}"
    );

    // Bad input is refused before anything is opened.
    let fresh = dir.path().join("untouched");
    let a = run(&fresh, &missing, &["search", "   "]).failure();
    assert!(err(&a).contains("invalid query"), "{}", err(&a));
    let a = run(&fresh, &missing, &["search", "x", "--mode", "fuzzy"]).failure();
    assert!(
        err(&a).contains("keyword, semantic or hybrid"),
        "{}",
        err(&a)
    );
    assert!(
        !fresh.exists(),
        "a refused search created {}",
        fresh.display()
    );
}

#[test]
fn embed_then_search_finds_a_paraphrase() {
    let model = model_dir();
    assert!(
        model.join("model.safetensors").exists(),
        "no model in {}: run `make model`",
        model.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = fixtures().join("hf-daily-papers/2025-12-01.json");
    run(
        dir.path(),
        &model,
        &["ingest", "hf-daily", file.to_str().unwrap()],
    )
    .success();
    let a = run(dir.path(), &model, &["embed"]).success();
    assert!(
        out(&a).contains("23 of 23 papers have a vector"),
        "{}",
        out(&a)
    );
    // Nothing left to do the second time: the job resumes from the store.
    let a = run(dir.path(), &model, &["embed"]).success();
    assert!(out(&a).contains("embedded 0 papers"), "{}", out(&a));

    let q = "an assistant that looks at pictures of teeth and answers questions for dentists";
    let a = run(
        dir.path(),
        &model,
        &["search", q, "--mode", "semantic", "--limit", "3"],
    )
    .success();
    assert!(out(&a).contains("2511.22055"), "{}", out(&a));
}

#[test]
fn a_reindex_killed_halfway_leaves_search_working() {
    let dir = tempfile::tempdir().unwrap();
    let no_model = dir.path().join("no-model");
    let snapshot = dir.path().join("snapshot.jsonl");
    run(
        dir.path(),
        &no_model,
        &["bench", "gen-snapshot", "30000", snapshot.to_str().unwrap()],
    )
    .success();
    let data = dir.path().join("data");
    run(
        &data,
        &no_model,
        &["ingest", "snapshot", snapshot.to_str().unwrap()],
    )
    .success();
    let search = |data: &Path| {
        ids(&out(&run(
            data,
            &no_model,
            &["search", "learning", "--mode", "keyword", "--json"],
        )
        .success()))
    };
    let before = search(&data);
    assert_eq!(before.len(), 10);

    // Start a rebuild and kill it once it has started writing a new generation.
    let index = data.join("index");
    let generations = || {
        std::fs::read_dir(&index)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("keyword-"))
            .count()
    };
    assert_eq!(generations(), 1);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dailypapers"))
        .env_remove("DAILYPAPERS_DATA_DIR")
        .env("DAILYPAPERS_MODEL_DIR", &no_model)
        .arg("--data-dir")
        .arg(&data)
        .arg("reindex")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while generations() < 2 && Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();

    // Search answers as before, from the index that was current.
    assert_eq!(before, search(&data));

    // A complete rebuild replaces it and clears what the killed one left.
    let a = run(&data, &no_model, &["reindex"]).success();
    assert!(out(&a).contains("reindexed 30000 papers"), "{}", out(&a));
    assert_eq!(generations(), 1);
    assert_eq!(before, search(&data));
}
