//! The embedding benchmark: abstracts/s of the default (int8) path and of
//! the f32 reference on real abstracts from the recorded sample data, and
//! how closely the fast vectors agree with the reference (cosine).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use dailypapers_embed::{EmbedOptions, Embedder, Precision};
use dailypapers_search::document::embedding_text_of;

use crate::measure::median;

/// What `bench embed` measures.
#[derive(Debug, Clone)]
pub struct Options {
    /// Abstracts to embed per run.
    pub count: usize,
    /// Timed runs (the median is reported).
    pub runs: usize,
    /// The sentence-transformers model.
    pub model_dir: PathBuf,
}

/// `bench embed`: prints the texts' mean length, the median rate of the
/// fast path and of the f32 reference over [`Options::runs`] runs, and the
/// cosine between their vectors.
pub fn run(options: Options) -> Result<()> {
    let texts = real_abstracts(options.count)?;
    let fast = Embedder::load(&options.model_dir)?;
    let reference = Embedder::load_with(
        &options.model_dir,
        EmbedOptions {
            precision: Precision::F32,
            ..EmbedOptions::default()
        },
    )?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: usize = refs.iter().map(|t| fast.count_tokens(t)).sum();
    println!(
        "{} real abstracts, mean {:.0} tokens (truncated at 256)",
        refs.len(),
        tokens as f64 / refs.len() as f64
    );
    let mut fast_vectors = Vec::new();
    for (name, embedder) in [("fast (default)", &fast), ("f32 reference", &reference)] {
        let mut rates = Vec::new();
        for _ in 0..options.runs.max(1) {
            let started = Instant::now();
            let v = embedder.embed_documents(&refs)?;
            rates.push(refs.len() as f64 / started.elapsed().as_secs_f64());
            if name.starts_with("fast") {
                fast_vectors = v;
            }
        }
        let median = median(&mut rates).expect("at least one run");
        println!(
            "{name}: {median:.1} abstracts/s (median of {}; runs {:?})",
            rates.len(),
            rates
                .iter()
                .map(|r| (r * 10.0).round() / 10.0)
                .collect::<Vec<_>>()
        );
    }
    let reference_vectors = reference.embed_documents(&refs)?;
    let cosines: Vec<f32> = fast_vectors
        .iter()
        .zip(&reference_vectors)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum())
        .collect();
    let min = cosines.iter().copied().fold(f32::INFINITY, f32::min);
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
    println!("cosine fast vs f32 reference: min {min:.4}, mean {mean:.4}");
    Ok(())
}

/// Title and abstract of real papers from the recorded sample data.
fn real_abstracts(count: usize) -> Result<Vec<String>> {
    let dir = Path::new("fixtures/hf-daily-papers");
    let mut texts = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "cannot read {} (run from the repository root)",
                dir.display()
            )
        })?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        let items: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        for item in items.as_array().into_iter().flatten() {
            let paper = &item["paper"];
            if let (Some(t), Some(s)) = (paper["title"].as_str(), paper["summary"].as_str()) {
                texts.push(embedding_text_of(t, s));
                if texts.len() == count {
                    return Ok(texts);
                }
            }
        }
    }
    if texts.is_empty() {
        bail!("no abstracts found in {}", dir.display());
    }
    Ok(texts)
}
