//! What the tests and the throughput example share: where the model is, and
//! real paper abstracts from the fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The model directory: `DAILYPAPERS_MODEL_DIR`, else
/// `<workspace>/models/all-MiniLM-L6-v2`. Panics, saying how to fetch it,
/// when it is absent.
pub fn model_dir() -> PathBuf {
    let dir = match std::env::var_os("DAILYPAPERS_MODEL_DIR") {
        Some(d) => PathBuf::from(d),
        None => workspace_root().join("models/all-MiniLM-L6-v2"),
    };
    assert!(
        dir.join("model.safetensors").is_file(),
        "the embedding model is not in {}: run `make model` (or scripts/fetch-model.sh), \
         or set DAILYPAPERS_MODEL_DIR to a model directory",
        dir.display()
    );
    dir
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// "title. abstract" of every paper in the fixtures: the arXiv snapshot
/// sample, then the Hugging Face daily papers.
pub fn abstracts() -> Vec<String> {
    let fixtures = workspace_root().join("fixtures");
    let mut out = Vec::new();
    let mut push = |title: &str, summary: &str| {
        let clean = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let (t, s) = (clean(title), clean(summary));
        if !t.is_empty() && !s.is_empty() {
            out.push(format!("{t}. {s}"));
        }
    };
    let snapshot = fixtures.join("arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl");
    let text = std::fs::read_to_string(&snapshot).expect("read the arXiv snapshot fixture");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("snapshot line is JSON");
        push(
            v["title"].as_str().unwrap_or(""),
            v["abstract"].as_str().unwrap_or(""),
        );
    }
    let mut days: Vec<PathBuf> = std::fs::read_dir(fixtures.join("hf-daily-papers"))
        .expect("read the daily papers fixtures")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    days.sort();
    for day in days {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&day).expect("read fixture"))
                .expect("daily papers fixture is JSON");
        for item in v.as_array().into_iter().flatten() {
            let paper = &item["paper"];
            push(
                paper["title"].as_str().unwrap_or(""),
                paper["summary"].as_str().unwrap_or(""),
            );
        }
    }
    out
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}
