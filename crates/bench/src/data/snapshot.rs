//! Seeded records in the layout of the Kaggle arXiv snapshot, one JSON
//! object a line, field for field: a realistic mix of title and abstract
//! lengths, authors, categories, versions and optional fields. The same seed
//! gives the same records in the same order, so the same file.
//!
//! Ids are new-style arXiv ids, 25,000 a month from January 2015, numbered
//! by the record's position in the stream: a [`Generator`] writing to
//! several files in turn never repeats an id.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Writes `n` seeded records to `file`.
pub fn generate(n: u64, file: &Path, seed: u64) -> Result<()> {
    Generator::new(seed).write(file, n)
}

/// One seeded stream of records, written to files a part at a time.
pub struct Generator {
    rng: StdRng,
    next: u64,
}

impl Generator {
    /// The stream of `seed`, from its first record.
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            next: 0,
        }
    }

    /// Writes the next `n` records of the stream to `file` (replacing it).
    pub fn write(&mut self, file: &Path, n: u64) -> Result<()> {
        let out = std::fs::File::create(file)
            .with_context(|| format!("cannot create {}", file.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, out);
        for k in self.next..self.next + n {
            serde_json::to_writer(&mut out, &record(&mut self.rng, k))?;
            out.write_all(b"\n")?;
        }
        out.flush()
            .with_context(|| format!("cannot write {}", file.display()))?;
        self.next += n;
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_written_in_parts_is_the_stream_written_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (whole, first, second) = (
            dir.path().join("whole"),
            dir.path().join("first"),
            dir.path().join("second"),
        );
        generate(30, &whole, 7).unwrap();
        let mut parts = Generator::new(7);
        parts.write(&first, 20).unwrap();
        parts.write(&second, 10).unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&whole), read(&first) + &read(&second));

        let ids: std::collections::HashSet<String> = read(&whole)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
            .collect();
        assert_eq!(ids.len(), 30, "no id repeats across the parts");
    }
}
