//! `dailypapers bench relevance|search|embed`: the search figures.
//!
//! - `relevance --beir DIR` indexes a BEIR-layout collection in memory and
//!   prints nDCG@10, MAP@100 and recall@100 per mode, through the same
//!   ranking code the server runs.
//! - `search --docs N` builds a store of N seeded synthetic papers (abstracts
//!   drawn from topics over a Zipf vocabulary, 384-dimensional vectors),
//!   indexes it, and prints p50/p99 of keyword, vector and hybrid search in
//!   process, hybrid over HTTP (query embedding included), vector recall@10
//!   against exact search, build times and memory.
//! - `embed` measures embedding throughput on real abstracts and the cosine
//!   of the fast path against the f32 reference.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use dailypapers_domain::{Author, Listing, Paper};
use dailypapers_embed::{EmbedOptions, Embedder, Precision};
use dailypapers_search::document::{embedding_text_of, text_hash};
use dailypapers_search::engine::rank;
use dailypapers_search::eval::{Beir, evaluate};
use dailypapers_search::fusion::Fusion;
use dailypapers_search::keyword::{Filters, KeywordIndex, Sort};
use dailypapers_search::query::{ParseOptions, SearchQuery};
use dailypapers_search::{EngineOptions, Mode, SearchEngine, SearchRequest};
use dailypapers_store::{NewEmbedding, Store};
use dailypapers_vectors::{IndexOptions, VectorIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::bench::peak_rss_mib;
use crate::config::Config;

/// Options of `bench relevance`.
#[derive(clap::Args, Debug)]
pub struct RelevanceArgs {
    /// A BEIR-layout folder: corpus.jsonl, queries.jsonl, qrels/test.tsv
    #[arg(long)]
    beir: PathBuf,
    /// keyword, semantic, hybrid or all
    #[arg(long, default_value = "all")]
    mode: String,
    /// Also print hybrid with other fusion settings (for tuning on dev queries)
    #[arg(long)]
    sweep: bool,
}

/// Options of `bench search`.
#[derive(clap::Args, Debug)]
pub struct SearchBenchArgs {
    /// Papers in the synthetic corpus
    #[arg(long, default_value_t = 100_000)]
    docs: usize,
    /// Queries timed per measurement
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Keep the store and indexes here instead of a temporary directory
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Options of `bench embed`.
#[derive(clap::Args, Debug)]
pub struct EmbedBenchArgs {
    /// Abstracts to embed per run
    #[arg(long, default_value_t = 64)]
    count: usize,
    /// Timed runs (the median is reported)
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

// ---- relevance -------------------------------------------------------------

pub async fn relevance(config: &Config, args: RelevanceArgs) -> Result<ExitCode> {
    let modes: Vec<Mode> = match args.mode.as_str() {
        "all" => vec![Mode::Keyword, Mode::Semantic, Mode::Hybrid],
        m => vec![m.parse::<Mode>().map_err(anyhow::Error::msg)?],
    };
    let beir = Beir::load(&args.beir)
        .with_context(|| format!("cannot read the collection in {}", args.beir.display()))?;
    eprintln!(
        "{}: {} documents, {} judged queries",
        args.beir.display(),
        beir.corpus.len(),
        beir.queries.len()
    );
    let keyword = KeywordIndex::in_ram()?;
    {
        let mut writer = keyword.writer()?;
        for (i, d) in beir.corpus.iter().enumerate() {
            writer.upsert(&d.to_keyword_doc(i as u64))?;
        }
        writer.commit(1)?;
    }
    let needs_model = modes.iter().any(|m| *m != Mode::Keyword);
    let semantic = if needs_model {
        let embedder = Embedder::load(&config.search.model_dir)?;
        let vectors = VectorIndex::new(IndexOptions {
            dim: embedder.dim(),
            exact_below: usize::MAX,
            ..IndexOptions::default()
        });
        let started = Instant::now();
        let texts: Vec<String> = beir
            .corpus
            .iter()
            .map(|d| embedding_text_of(&d.title, &d.text))
            .collect();
        let mut items = Vec::with_capacity(texts.len());
        for (chunk_no, chunk) in texts.chunks(64).enumerate() {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            for (j, v) in embedder.embed_documents(&refs)?.into_iter().enumerate() {
                items.push(((chunk_no * 64 + j) as u64, v));
            }
        }
        vectors.insert_batch(&items)?;
        eprintln!(
            "embedded {} documents in {:.1} s",
            texts.len(),
            started.elapsed().as_secs_f64()
        );
        Some((Arc::new(embedder), Arc::new(vectors)))
    } else {
        None
    };
    let run = |mode: Mode, fusion: Fusion| -> Result<HashMap<String, Vec<String>>> {
        let mut run = HashMap::new();
        for q in &beir.queries {
            // Test-collection queries are prose, not search-box syntax: a
            // quotation mark in them is punctuation, not a phrase operator.
            let text: String = q.text.replace('"', " ").chars().take(1000).collect();
            let query = match SearchQuery::parse(&text, ParseOptions::default()) {
                Ok(query) => query,
                Err(_) => {
                    run.insert(q.id.clone(), Vec::new());
                    continue;
                }
            };
            let req = SearchRequest::new(query, mode, 100);
            let (_, ranked) = rank(&keyword, semantic.as_ref(), mode, &req, 100, fusion)?;
            let ids = ranked
                .iter()
                .take(100)
                .map(|r| beir.corpus[r.doc as usize].id.clone())
                .collect();
            run.insert(q.id.clone(), ids);
        }
        Ok(run)
    };
    for mode in modes {
        let m = evaluate(&run(mode, Fusion::default())?, &beir.qrels);
        println!(
            "{} ndcg@10={:.4} map@100={:.4} recall@100={:.4}",
            mode.as_str(),
            m.ndcg_at_10,
            m.map_at_100,
            m.recall_at_100
        );
    }
    if args.sweep && semantic.is_some() {
        let mut settings = vec![
            Fusion::Rrf { k: 10.0 },
            Fusion::Rrf { k: 30.0 },
            Fusion::Rrf { k: 60.0 },
            Fusion::Rrf { k: 100.0 },
        ];
        for w in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
            settings.push(Fusion::Convex { keyword_weight: w });
        }
        for fusion in settings {
            let m = evaluate(&run(Mode::Hybrid, fusion)?, &beir.qrels);
            println!(
                "hybrid[{fusion:?}] ndcg@10={:.4} map@100={:.4} recall@100={:.4}",
                m.ndcg_at_10, m.map_at_100, m.recall_at_100
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---- embedding throughput --------------------------------------------------

pub async fn embed(config: &Config, args: EmbedBenchArgs) -> Result<ExitCode> {
    let texts = real_abstracts(args.count)?;
    let fast = Embedder::load(&config.search.model_dir)?;
    let reference = Embedder::load_with(
        &config.search.model_dir,
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
        for _ in 0..args.runs.max(1) {
            let started = Instant::now();
            let v = embedder.embed_documents(&refs)?;
            rates.push(refs.len() as f64 / started.elapsed().as_secs_f64());
            if name.starts_with("fast") {
                fast_vectors = v;
            }
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "{name}: {:.1} abstracts/s (median of {}; runs {:?})",
            rates[rates.len() / 2],
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
    Ok(ExitCode::SUCCESS)
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

// ---- search speed ----------------------------------------------------------

pub async fn search(config: &Config, args: SearchBenchArgs) -> Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| scratch.path().to_path_buf());
    let embedder = match Embedder::load(&config.search.model_dir) {
        Ok(e) => Some(Arc::new(e)),
        Err(e) => {
            eprintln!("note: {e}; hybrid search over HTTP is not measured");
            None
        }
    };
    let model = embedder
        .as_ref()
        .map_or_else(|| "synthetic".to_owned(), |e| e.model_id().to_owned());
    let dim = 384;
    let mut corpus = Corpus::new(args.seed);

    // 1. The store.
    let store = dailypapers_store::open(&dailypapers_store::StoreUrl::in_data_dir(&dir)).await?;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(5000);
    for i in 0..args.docs {
        batch.push(Listing::paper_only(corpus.paper(i)));
        if batch.len() == 5000 {
            store.import(std::mem::take(&mut batch)).await?;
        }
    }
    store.import(batch).await?;
    println!(
        "store: {} papers written in {:.1} s",
        args.docs,
        started.elapsed().as_secs_f64()
    );

    // 2. Vectors, saved in the store as the embedding job would.
    let started = Instant::now();
    let mut synthetic = dailypapers_vectors::synthetic::vectors(args.docs, dim, args.seed);
    let mut after = 0;
    loop {
        let work = store.embedding_work(&model, after, 5000).await?;
        let Some(last) = work.last().map(|w| w.doc) else {
            break;
        };
        after = last;
        let rows: Vec<NewEmbedding> = work
            .iter()
            .map(|w| NewEmbedding {
                doc: w.doc,
                paper_seq: w.seq,
                text_hash: text_hash(&w.paper.title),
                vector: synthetic.next(),
            })
            .collect();
        store.save_embeddings(&model, &rows).await?;
    }
    println!(
        "store: {} vectors (f16) written in {:.1} s",
        args.docs,
        started.elapsed().as_secs_f64()
    );

    // 3. The indexes, built the way the server builds them.
    let options = EngineOptions {
        model_dir: config.search.model_dir.clone(),
        exact_below: config.search.exact_below,
        ..EngineOptions::default()
    };
    let engine = Arc::new(SearchEngine::open(store.clone(), &dir, options)?);
    let started = Instant::now();
    engine.catch_up_keyword().await?;
    println!(
        "keyword index: built in {:.1} s, {} MiB on disk",
        started.elapsed().as_secs_f64(),
        dir_size(&dir.join("index")) / (1 << 20)
    );
    let vectors = if engine.model().is_some() {
        let started = Instant::now();
        engine.catch_up_vectors().await?;
        println!(
            "vector index: built in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        None
    } else {
        // No model: measure the vector index on its own.
        let started = Instant::now();
        let index = VectorIndex::new(IndexOptions {
            dim,
            exact_below: config.search.exact_below,
            ..IndexOptions::default()
        });
        let mut after = 0;
        loop {
            let rows = store.embeddings_since(&model, after, 20_000).await?;
            let Some(last) = rows.last().map(|r| r.rev) else {
                break;
            };
            after = last;
            let items: Vec<(u64, Vec<f32>)> = rows.into_iter().map(|r| (r.doc, r.vector)).collect();
            index.insert_batch(&items)?;
        }
        println!(
            "vector index: built in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Some(Arc::new(index))
    };
    let vector_index = vectors.unwrap_or_else(|| engine.vector_index().expect("a model is loaded"));
    println!(
        "vector index: {} vectors, {}, {} MiB in memory ({} bytes per vector)",
        vector_index.len(),
        if vector_index.is_approximate() {
            "approximate (HNSW)"
        } else {
            "exact"
        },
        vector_index.memory_bytes() / (1 << 20),
        vector_index.memory_bytes() / vector_index.len().max(1)
    );

    // 4. Latencies in process.
    let keyword_queries: Vec<String> = (0..args.queries).map(|_| corpus.query()).collect();
    let keyword = engine.keyword_index();
    let mut times = Vec::with_capacity(keyword_queries.len());
    for q in &keyword_queries {
        let query = SearchQuery::parse(q, ParseOptions::default())?;
        let started = Instant::now();
        let page = keyword.search(&query, &Filters::default(), Sort::Relevance, 0, 10)?;
        times.push(started.elapsed());
        std::hint::black_box(page);
    }
    report("keyword search (in process, top 10)", &mut times);

    let query_vectors: Vec<Vec<f32>> =
        dailypapers_vectors::synthetic::queries(args.queries, args.docs, dim, args.seed).collect();
    let mut times = Vec::with_capacity(query_vectors.len());
    for q in &query_vectors {
        let started = Instant::now();
        let found = vector_index.search(q, 10, None);
        times.push(started.elapsed());
        std::hint::black_box(found);
    }
    report("vector search (in process, top 10)", &mut times);
    let checked = query_vectors.len().min(200);
    let mut hits = 0;
    for q in &query_vectors[..checked] {
        let approx: Vec<u64> = vector_index
            .search(q, 10, None)
            .iter()
            .map(|n| n.key)
            .collect();
        let exact = vector_index.search_exact(q, 10, None);
        hits += exact.iter().filter(|n| approx.contains(&n.key)).count();
    }
    println!(
        "vector recall@10 against exact search: {:.4} ({checked} queries)",
        hits as f64 / (checked * 10) as f64
    );

    // 5. Hybrid, in process and over HTTP (query embedding included).
    if let Some(embedder) = &embedder {
        let mut times = Vec::new();
        let mut embed_times = Vec::new();
        for q in keyword_queries.iter().take(args.queries.min(300)) {
            let started = Instant::now();
            let v = embedder.embed_query(q)?;
            embed_times.push(started.elapsed());
            std::hint::black_box(v);
            let query = SearchQuery::parse(q, ParseOptions::default())?;
            let request = SearchRequest::new(query, Mode::Hybrid, 10);
            let started = Instant::now();
            let found = engine.search(request).await?;
            times.push(started.elapsed());
            std::hint::black_box(found);
        }
        report("query embedding (in process)", &mut embed_times);
        report(
            "hybrid search (in process, with embedding and snippets)",
            &mut times,
        );
        let times = over_http(store.clone(), engine.clone(), &keyword_queries).await?;
        let mut times = times;
        report("hybrid search over HTTP (/api/search, top 10)", &mut times);
    }
    println!(
        "peak RSS: {} MiB",
        peak_rss_mib().map_or("unknown".into(), |m| m.to_string())
    );
    engine.stop();
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Serves the engine on a local port and times `/api/search` requests, one
/// at a time over one kept-alive connection.
async fn over_http(
    store: Arc<dyn Store>,
    engine: Arc<SearchEngine>,
    queries: &[String],
) -> Result<Vec<Duration>> {
    let state = dailypapers_web::AppState {
        store,
        search: engine,
        config: Arc::new(dailypapers_web::WebConfig::default()),
        ops: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, dailypapers_web::router(state)).await;
    });
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    for q in queries.iter().take(500) {
        let url = format!(
            "http://{addr}/api/search?mode=hybrid&limit=10&q={}",
            url_encode(q)
        );
        let started = Instant::now();
        let res = client.get(&url).send().await?;
        let status = res.status();
        let body = res.bytes().await?;
        times.push(started.elapsed());
        if !status.is_success() {
            bail!(
                "{url} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    server.abort();
    Ok(times)
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn report(what: &str, times: &mut [Duration]) {
    if times.is_empty() {
        return;
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} queries)",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Seeded synthetic papers: each is about one or two of 2,000 topics; words
/// come from the topic's own vocabulary (Zipf-ranked), from a general
/// scientific vocabulary and from function words, so posting lists have the
/// skew of real text. Queries are two to four words of one topic.
struct Corpus {
    rng: StdRng,
    vocabulary: Vec<String>,
    topics: Vec<Vec<u32>>,
}

const FUNCTION_WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "we",
    "for",
    "is",
    "that",
    "on",
    "with",
    "this",
    "as",
    "by",
    "are",
    "our",
    "from",
    "an",
    "which",
    "be",
    "can",
    "results",
    "show",
    "method",
    "model",
    "approach",
    "paper",
    "propose",
    "based",
    "using",
    "performance",
    "data",
    "new",
    "two",
];
const TOPICS: usize = 2000;
const TOPIC_WORDS: usize = 60;
const VOCABULARY: usize = 60_000;

impl Corpus {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        const SYLLABLES: &[&str] = &[
            "ta", "ren", "sor", "lin", "ka", "mo", "vec", "tra", "net", "gra", "di", "ent", "qua",
            "ti", "za", "tion", "pro", "ba", "bil", "ity", "spec", "tral", "den", "sity", "neu",
            "ral", "op", "tim", "al", "ma", "trix", "fac", "tor", "ker", "nel", "lat", "ent",
            "graph", "flow", "field", "wave", "spin", "bo", "son", "fer", "mi", "on",
        ];
        let mut vocabulary = Vec::with_capacity(VOCABULARY);
        let mut seen = std::collections::HashSet::new();
        while vocabulary.len() < VOCABULARY {
            let n = rng.gen_range(2..5);
            let w: String = (0..n)
                .map(|_| *SYLLABLES.choose(&mut rng).expect("non-empty"))
                .collect();
            if seen.insert(w.clone()) {
                vocabulary.push(w);
            }
        }
        let topics = (0..TOPICS)
            .map(|_| {
                (0..TOPIC_WORDS)
                    .map(|_| zipf(&mut rng, VOCABULARY) as u32)
                    .collect()
            })
            .collect();
        Corpus {
            rng,
            vocabulary,
            topics,
        }
    }

    fn word(&mut self, topic: usize) -> &str {
        let r: f64 = self.rng.r#gen();
        if r < 0.45 {
            FUNCTION_WORDS.choose(&mut self.rng).expect("non-empty")
        } else if r < 0.85 {
            let i = zipf(&mut self.rng, TOPIC_WORDS);
            &self.vocabulary[self.topics[topic][i] as usize]
        } else {
            let i = zipf(&mut self.rng, VOCABULARY);
            &self.vocabulary[i]
        }
    }

    fn text(&mut self, topic: usize, words: usize) -> String {
        let mut s = String::with_capacity(words * 8);
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            let w = self.word(topic).to_owned();
            s.push_str(&w);
        }
        s
    }

    fn paper(&mut self, i: usize) -> Paper {
        let topic = zipf(&mut self.rng, TOPICS);
        // yymm.nnnnn (five digits since 2015): 99,999 papers a month from January 2015.
        let month = i / 99_999;
        let id = format!(
            "{:02}{:02}.{:05}",
            15 + month / 12,
            1 + month % 12,
            i % 99_999 + 1
        );
        let n = self.rng.gen_range(6..14);
        let title = self.text(topic, n);
        let n = self.rng.gen_range(120..220);
        let summary = self.text(topic, n);
        let mut paper = Paper::new(id.parse().expect("a valid new-style id"), &title, &summary);
        paper.authors = (0..self.rng.gen_range(1..8))
            .map(|_| {
                let name = format!(
                    "{} {}",
                    self.vocabulary[self.rng.gen_range(0..VOCABULARY)],
                    self.vocabulary[self.rng.gen_range(0..VOCABULARY)]
                );
                Author::named(name)
            })
            .collect();
        paper.categories = vec![["cs.CL", "cs.LG", "cs.CV", "stat.ML", "hep-th"][topic % 5].into()];
        paper.upvotes = Some(self.rng.gen_range(0..200));
        paper
    }

    fn query(&mut self) -> String {
        let topic = zipf(&mut self.rng, TOPICS);
        let n = self.rng.gen_range(2..5);
        (0..n)
            .map(|_| {
                let i = zipf(&mut self.rng, TOPIC_WORDS / 2);
                self.vocabulary[self.topics[topic][i] as usize].clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A Zipf(1)-distributed rank in `0..n`.
fn zipf(rng: &mut StdRng, n: usize) -> usize {
    // Inverse of the continuous approximation of the harmonic CDF.
    let u: f64 = rng.r#gen();
    let x = ((n as f64 + 1.0).ln() * u).exp() - 1.0;
    (x as usize).min(n - 1)
}
