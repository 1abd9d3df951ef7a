//! The search benchmark: on a store of seeded synthetic papers
//! ([`crate::data::corpus`]) with 384-dimensional vectors, the build time and
//! size of the keyword and vector indexes, p50/p99 of keyword, vector and
//! hybrid search in process, hybrid over HTTP (query embedding included),
//! vector recall@10 against exact search, and peak memory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use dailypapers_domain::Listing;
use dailypapers_embed::Embedder;
use dailypapers_search::document::text_hash;
use dailypapers_search::keyword::{Filters, Sort};
use dailypapers_search::query::{ParseOptions, SearchQuery};
use dailypapers_search::{EngineOptions, Mode, SearchEngine, SearchRequest};
use dailypapers_store::{NewEmbedding, Store};
use dailypapers_vectors::{IndexOptions, VectorIndex};

use crate::data::corpus::Corpus;
use crate::measure::{Latencies, dir_size, peak_rss};

/// What `bench search` measures.
#[derive(Debug, Clone)]
pub struct Options {
    /// Papers in the synthetic corpus.
    pub docs: usize,
    /// Queries timed per measurement.
    pub queries: usize,
    /// The seed of the corpus, its vectors and its queries.
    pub seed: u64,
    /// Keep the store and indexes here instead of a temporary directory.
    pub dir: Option<PathBuf>,
    /// The model for query embeddings; without one, hybrid search is not
    /// measured.
    pub model_dir: PathBuf,
    /// The engine's `exact_below`: vector search is exact below this many papers.
    pub exact_below: usize,
}

/// `bench search`: builds the store and the indexes of a synthetic corpus
/// and prints build times, sizes, latencies, recall and peak memory.
pub async fn run(options: Options) -> Result<()> {
    let scratch = tempfile::tempdir()?;
    let dir = options
        .dir
        .clone()
        .unwrap_or_else(|| scratch.path().to_path_buf());
    let embedder = match Embedder::load(&options.model_dir) {
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
    let mut corpus = Corpus::new(options.seed);

    // 1. The store.
    let store = dailypapers_store::open(&dailypapers_store::StoreUrl::in_data_dir(&dir)).await?;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(5000);
    for i in 0..options.docs {
        batch.push(Listing::paper_only(corpus.paper(i)));
        if batch.len() == 5000 {
            store.import(std::mem::take(&mut batch)).await?;
        }
    }
    store.import(batch).await?;
    println!(
        "store: {} papers written in {:.1} s",
        options.docs,
        started.elapsed().as_secs_f64()
    );

    // 2. Vectors, saved in the store as the embedding job would.
    let started = Instant::now();
    let mut synthetic = dailypapers_vectors::synthetic::vectors(options.docs, dim, options.seed);
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
        options.docs,
        started.elapsed().as_secs_f64()
    );

    // 3. The indexes, built the way the server builds them.
    let engine_options = EngineOptions {
        model_dir: options.model_dir.clone(),
        exact_below: options.exact_below,
        ..EngineOptions::default()
    };
    let engine = Arc::new(SearchEngine::open(store.clone(), &dir, engine_options)?);
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
            exact_below: options.exact_below,
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
    let keyword_queries: Vec<String> = (0..options.queries).map(|_| corpus.query()).collect();
    let keyword = engine.keyword_index();
    let mut times = Latencies::new();
    for q in &keyword_queries {
        let query = SearchQuery::parse(q, ParseOptions::default())?;
        let page =
            times.time(|| keyword.search(&query, &Filters::default(), Sort::Relevance, 0, 10))?;
        std::hint::black_box(page);
    }
    times.report("keyword search (in process, top 10)");

    let query_vectors: Vec<Vec<f32>> =
        dailypapers_vectors::synthetic::queries(options.queries, options.docs, dim, options.seed)
            .collect();
    let mut times = Latencies::new();
    for q in &query_vectors {
        std::hint::black_box(times.time(|| vector_index.search(q, 10, None)));
    }
    times.report("vector search (in process, top 10)");
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
        let mut times = Latencies::new();
        let mut embed_times = Latencies::new();
        for q in keyword_queries.iter().take(options.queries.min(300)) {
            std::hint::black_box(embed_times.time(|| embedder.embed_query(q))?);
            let query = SearchQuery::parse(q, ParseOptions::default())?;
            let request = SearchRequest::new(query, Mode::Hybrid, 10);
            std::hint::black_box(times.time_async(engine.search(request)).await?);
        }
        embed_times.report("query embedding (in process)");
        times.report("hybrid search (in process, with embedding and snippets)");
        over_http(store.clone(), engine.clone(), &keyword_queries)
            .await?
            .report("hybrid search over HTTP (/api/search, top 10)");
    }
    println!("peak RSS: {}", peak_rss());
    engine.stop();
    store.close().await;
    Ok(())
}

/// Serves the engine on a local port and times `/api/search` requests, one
/// at a time over one kept-alive connection.
async fn over_http(
    store: Arc<dyn Store>,
    engine: Arc<SearchEngine>,
    queries: &[String],
) -> Result<Latencies> {
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
    let mut times = Latencies::new();
    for q in queries.iter().take(500) {
        let url = format!(
            "http://{addr}/api/search?mode=hybrid&limit=10&q={}",
            url_encode(q)
        );
        let (status, body) = times
            .time_async(async {
                let res = client.get(&url).send().await?;
                let status = res.status();
                anyhow::Ok((status, res.bytes().await?))
            })
            .await?;
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
