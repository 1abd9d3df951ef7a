//! `dailypapers bench`: generate realistic benchmark data and measure
//! ingestion; the search benchmarks are in [`super::bench_search`].
//!
//! `bench gen-snapshot N FILE` writes N records in the Kaggle snapshot layout
//! (seeded, so the same N and seed give the same file); `bench ingest` imports
//! such a file into a fresh store and prints records/s and peak memory.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::commands::ingest::import_snapshot;
use crate::config::Config;

#[derive(clap::Subcommand, Debug)]
pub enum Bench {
    /// Write a realistic, seeded snapshot file of N records (JSON lines)
    GenSnapshot {
        /// Number of records
        records: u64,
        /// Output file
        file: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Import a snapshot into a fresh store and report records/s and peak RSS
    Ingest {
        /// Snapshot to import; generated (not timed) when absent
        #[arg(long)]
        file: Option<PathBuf>,
        /// Records to generate when no file is given
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Keep the store here instead of a temporary directory
        #[arg(long)]
        store_dir: Option<PathBuf>,
    },
    /// Relevance on a BEIR-layout collection: nDCG@10, MAP@100, recall@100 per mode
    Relevance(super::bench_search::RelevanceArgs),
    /// Search latency, recall and memory on a seeded synthetic corpus of N papers
    Search(super::bench_search::SearchBenchArgs),
    /// Embedding throughput on real abstracts, and cosine against the f32 reference
    Embed(super::bench_search::EmbedBenchArgs),
}

pub async fn run(config: &Config, bench: Bench) -> Result<ExitCode> {
    match bench {
        Bench::Relevance(args) => return super::bench_search::relevance(config, args).await,
        Bench::Search(args) => return super::bench_search::search(config, args).await,
        Bench::Embed(args) => return super::bench_search::embed(config, args).await,
        Bench::GenSnapshot {
            records,
            file,
            seed,
        } => {
            let started = Instant::now();
            generate_snapshot(records, &file, seed)?;
            println!(
                "wrote {records} records to {} in {:.1} s",
                file.display(),
                started.elapsed().as_secs_f64()
            );
        }
        Bench::Ingest {
            file,
            records,
            seed,
            store_dir,
        } => {
            let scratch = tempfile::tempdir()?;
            let file = match file {
                Some(f) => f,
                None => {
                    let f = scratch.path().join("snapshot.jsonl");
                    eprintln!("generating {records} records (seed {seed}) …");
                    generate_snapshot(records, &f, seed)?;
                    f
                }
            };
            let bytes = std::fs::metadata(&file)?.len();
            let dir = store_dir.unwrap_or_else(|| scratch.path().join("store"));
            let store =
                dailypapers_store::open(&dailypapers_store::StoreUrl::in_data_dir(&dir)).await?;
            let started = Instant::now();
            let summary = import_snapshot(store.clone(), &file).await?;
            let secs = started.elapsed().as_secs_f64();
            let counts = store.counts().await?;
            println!(
                "file: {} ({:.0} MiB)",
                file.display(),
                bytes as f64 / 1048576.0
            );
            println!("{summary}");
            println!("papers stored: {}", counts.papers);
            println!(
                "time: {secs:.1} s, rate: {:.0} records/s, peak RSS: {} MiB",
                summary.read as f64 / secs,
                peak_rss_mib().map_or("unknown".into(), |m| m.to_string())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Peak resident set size of this process (VmHWM), in MiB.
pub(super) fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[derive(Serialize)]
struct Version {
    version: String,
    created: String,
}

/// One line of the Kaggle snapshot, field for field.
#[derive(Serialize)]
struct SnapshotRecord {
    id: String,
    submitter: String,
    authors: String,
    title: String,
    comments: Option<String>,
    #[serde(rename = "journal-ref")]
    journal_ref: Option<String>,
    doi: Option<String>,
    #[serde(rename = "report-no")]
    report_no: Option<String>,
    categories: String,
    license: Option<String>,
    #[serde(rename = "abstract")]
    abstract_: String,
    versions: Vec<Version>,
    update_date: String,
    authors_parsed: Vec<[String; 3]>,
}

const WORDS: &[&str] = &[
    "model",
    "language",
    "learning",
    "neural",
    "network",
    "training",
    "data",
    "large",
    "efficient",
    "attention",
    "transformer",
    "diffusion",
    "image",
    "video",
    "reasoning",
    "benchmark",
    "agent",
    "policy",
    "reinforcement",
    "graph",
    "representation",
    "optimization",
    "gradient",
    "sparse",
    "inference",
    "decoding",
    "speculative",
    "token",
    "compression",
    "quantization",
    "distillation",
    "retrieval",
    "generation",
    "multimodal",
    "vision",
    "alignment",
    "preference",
    "reward",
    "embedding",
    "contrastive",
    "self-supervised",
    "robust",
    "adversarial",
    "uncertainty",
    "bayesian",
    "kernel",
    "convergence",
    "theory",
    "analysis",
    "estimation",
    "sampling",
    "stochastic",
    "latent",
    "variational",
    "autoencoder",
    "scaling",
    "laws",
    "mixture",
    "experts",
    "routing",
    "memory",
    "context",
    "long",
    "sequence",
    "state",
    "space",
    "recurrent",
    "dynamics",
    "physics",
    "simulation",
    "quantum",
    "circuit",
    "galaxy",
    "stellar",
    "dark",
    "matter",
    "energy",
    "spectral",
    "manifold",
    "topology",
    "algebra",
    "equation",
    "boundary",
    "solution",
    "stable",
    "protein",
    "molecule",
    "chemistry",
    "clinical",
    "medical",
    "segmentation",
    "detection",
    "tracking",
    "navigation",
    "robot",
    "control",
    "planning",
    "speech",
    "audio",
    "translation",
    "summarization",
    "question",
    "answering",
    "dialogue",
    "instruction",
    "tuning",
    "fine-tuning",
    "pretraining",
    "evaluation",
    "dataset",
    "framework",
    "method",
    "approach",
    "results",
    "we",
    "propose",
    "show",
    "demonstrate",
    "achieve",
    "state-of-the-art",
    "performance",
    "across",
    "tasks",
    "improves",
    "novel",
    "simple",
    "effective",
    "scalable",
    "a",
    "the",
    "of",
    "and",
    "for",
    "with",
    "in",
    "on",
    "to",
    "by",
    "that",
    "this",
    "our",
    "from",
    "which",
    "while",
];
const FIRST: &[&str] = &[
    "Wei", "Maria", "John", "Yuki", "Ahmed", "Elena", "Carlos", "Priya", "Li", "Anna", "David",
    "Fatima", "Olga", "Kenji", "Sara", "Mohammed", "Chen", "Laura", "Pierre", "Ines",
];
const LAST: &[&str] = &[
    "Zhang", "Garcia", "Smith", "Tanaka", "Hassan", "Petrova", "Silva", "Sharma", "Wang", "Müller",
    "Kim", "Rossi", "Nguyen", "Ivanov", "Dubois", "Cohen", "Li", "Novak", "Okafor", "Larsen",
];
const CATEGORIES: &[&str] = &[
    "cs.CL",
    "cs.LG",
    "cs.CV",
    "cs.AI",
    "stat.ML",
    "cs.RO",
    "cs.IR",
    "math.OC",
    "astro-ph.GA",
    "hep-ph",
    "quant-ph",
    "cond-mat.stat-mech",
    "physics.comp-ph",
    "q-bio.BM",
    "eess.AS",
];

fn words(rng: &mut StdRng, n: usize) -> String {
    let mut s = String::with_capacity(n * 8);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS.choose(rng).expect("non-empty"));
    }
    s
}

fn abstract_text(rng: &mut StdRng) -> String {
    let sentences = rng.gen_range(5..11);
    let mut s = String::from("  ");
    for _ in 0..sentences {
        let n = rng.gen_range(14..28);
        let mut sentence = words(rng, n);
        if let Some(first) = sentence.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s.push_str(&sentence);
        s.push_str(".\n");
    }
    s
}

fn record(rng: &mut StdRng, k: u64) -> SnapshotRecord {
    let month_index = k / 25_000;
    let year = 15 + month_index / 12;
    let month = month_index % 12 + 1;
    let id = format!("{year:02}{month:02}.{:05}", k % 25_000 + 1);
    let n_authors = rng.gen_range(1..12);
    let parsed: Vec<[String; 3]> = (0..n_authors)
        .map(|_| {
            [
                LAST.choose(rng).expect("non-empty").to_string(),
                FIRST.choose(rng).expect("non-empty").to_string(),
                String::new(),
            ]
        })
        .collect();
    let authors = parsed
        .iter()
        .map(|[last, first, _]| format!("{first} {last}"))
        .collect::<Vec<_>>()
        .join(", ");
    let n_cats = rng.gen_range(1..4);
    let mut cats: Vec<&str> = CATEGORIES.choose_multiple(rng, n_cats).copied().collect();
    cats.dedup();
    let n_versions = rng.gen_range(1..4);
    let day = rng.gen_range(1..28);
    let versions = (1..=n_versions)
        .map(|v| {
            let date = chrono::NaiveDate::from_ymd_opt(
                2000 + year as i32,
                month as u32,
                (day + v * 3 - 3).min(28),
            )
            .expect("day 1..=28 exists in every month")
            .and_hms_opt(
                rng.gen_range(0..24),
                rng.gen_range(0..60),
                rng.gen_range(0..60),
            )
            .expect("valid time");
            Version {
                version: format!("v{v}"),
                created: date.format("%a, %-d %b %Y %H:%M:%S GMT").to_string(),
            }
        })
        .collect();
    let n = rng.gen_range(6..15);
    let mut title = words(rng, n);
    if let Some(first) = title.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    SnapshotRecord {
        id,
        submitter: format!(
            "{} {}",
            FIRST.choose(rng).expect("non-empty"),
            LAST.choose(rng).expect("non-empty")
        ),
        authors,
        title,
        comments: rng.gen_bool(0.6).then(|| {
            format!(
                "{} pages, {} figures",
                rng.gen_range(4..40),
                rng.gen_range(1..12)
            )
        }),
        journal_ref: rng.gen_bool(0.2).then(|| {
            format!(
                "Phys. Rev. D {}:{} (20{year:02})",
                rng.gen_range(50..110),
                rng.gen_range(1000..9999)
            )
        }),
        doi: rng.gen_bool(0.3).then(|| {
            format!(
                "10.{}/{}",
                rng.gen_range(1000..9999),
                rng.gen_range(100000..999999)
            )
        }),
        report_no: None,
        categories: cats.join(" "),
        license: rng
            .gen_bool(0.7)
            .then(|| "http://creativecommons.org/licenses/by/4.0/".to_string()),
        abstract_: abstract_text(rng),
        versions,
        update_date: format!("20{year:02}-{month:02}-{:02}", day),
        authors_parsed: parsed,
    }
}

/// Writes `n` seeded records to `file`.
pub fn generate_snapshot(n: u64, file: &Path, seed: u64) -> Result<()> {
    let out =
        std::fs::File::create(file).with_context(|| format!("cannot create {}", file.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut rng = StdRng::seed_from_u64(seed);
    for k in 0..n {
        serde_json::to_writer(&mut out, &record(&mut rng, k))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
