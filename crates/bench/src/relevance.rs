//! The relevance benchmark: nDCG@10, MAP@100 and recall@100 of each search
//! mode on a BEIR-layout collection, through the ranking code the server
//! runs (`engine::rank`), with the keyword index in memory and the
//! collection embedded by the configured model.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use dailypapers_embed::Embedder;
use dailypapers_search::document::embedding_text_of;
use dailypapers_search::engine::rank;
use dailypapers_search::fusion::Fusion;
use dailypapers_search::keyword::KeywordIndex;
use dailypapers_search::query::{ParseOptions, SearchQuery};
use dailypapers_search::{Mode, SearchRequest};
use dailypapers_vectors::{IndexOptions, VectorIndex};

use crate::eval::{Beir, evaluate};

/// What `bench relevance` measures.
#[derive(Debug, Clone)]
pub struct Options {
    /// A BEIR-layout folder: `corpus.jsonl`, `queries.jsonl`, `qrels/test.tsv`.
    pub beir: PathBuf,
    /// `keyword`, `semantic`, `hybrid` or `all`.
    pub mode: String,
    /// Also print hybrid with other fusion settings (for tuning on dev queries).
    pub sweep: bool,
    /// The sentence-transformers model for the semantic and hybrid modes.
    pub model_dir: PathBuf,
}

/// `bench relevance`: indexes the collection, runs its queries in each
/// mode, and prints `MODE ndcg@10=… map@100=… recall@100=…` per mode (and
/// per fusion setting with [`Options::sweep`]).
pub fn run(options: Options) -> Result<()> {
    let modes: Vec<Mode> = match options.mode.as_str() {
        "all" => vec![Mode::Keyword, Mode::Semantic, Mode::Hybrid],
        m => vec![m.parse::<Mode>().map_err(anyhow::Error::msg)?],
    };
    let beir = Beir::load(&options.beir)
        .with_context(|| format!("cannot read the collection in {}", options.beir.display()))?;
    eprintln!(
        "{}: {} documents, {} judged queries",
        options.beir.display(),
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
        let embedder = Embedder::load(&options.model_dir)?;
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
    if options.sweep && semantic.is_some() {
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
    Ok(())
}
