//! `dailypapers search`, `reindex` and `embed`: search from the command
//! line, rebuild the derived indexes from the store, and run the embedding
//! job in the foreground with a progress bar.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use dailypapers_search::keyword::{Filters, Sort};
use dailypapers_search::query::{ParseOptions, SearchQuery};
use dailypapers_search::{EngineOptions, Mode, SearchEngine, SearchRequest};
use dailypapers_store::Store;

use crate::config::Config;
use crate::progress::Bar;

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// What to look for
    query: String,
    /// keyword, semantic or hybrid
    #[arg(long, default_value = "hybrid", value_parser = clap::builder::ValueParser::new(str::parse::<Mode>))]
    mode: Mode,
    /// How many results
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    limit: u16,
    /// Only papers published on or after this day (YYYY-MM-DD)
    #[arg(long)]
    from: Option<chrono::NaiveDate>,
    /// Only papers published on or before this day (YYYY-MM-DD)
    #[arg(long)]
    to: Option<chrono::NaiveDate>,
    /// Only papers in this arXiv category (repeatable)
    #[arg(long)]
    category: Vec<String>,
    /// Only papers of this organisation
    #[arg(long)]
    org: Option<String>,
    /// relevance, newest or upvotes
    #[arg(long, default_value = "relevance", value_parser = clap::builder::ValueParser::new(str::parse::<Sort>))]
    sort: Sort,
    /// Print JSON lines instead of text
    #[arg(long)]
    json: bool,
}

/// The engine the commands use, over the configured data directory and model.
pub fn open_engine(config: &Config, store: Arc<dyn Store>) -> Result<Arc<SearchEngine>> {
    let options = EngineOptions {
        model_dir: config.search.model_dir.clone(),
        exact_below: config.search.exact_below,
        ..EngineOptions::default()
    };
    let engine = SearchEngine::open(store, &config.data_dir, options).with_context(|| {
        format!(
            "cannot open the search indexes in {}",
            config.data_dir.join("index").display()
        )
    })?;
    Ok(Arc::new(engine))
}

/// `dailypapers search QUERY`.
pub async fn search(config: &Config, args: SearchArgs) -> Result<ExitCode> {
    // Check the query before touching the data directory.
    let query = SearchQuery::parse(&args.query, ParseOptions::default())
        .with_context(|| format!("invalid query {:?}", truncate(&args.query, 60)))?;
    let store = super::open_store(config).await?;
    let engine = open_engine(config, store.clone())?;
    if args.mode == Mode::Semantic
        && let Some(why) = engine.semantic_unavailable()
    {
        anyhow::bail!("semantic search is unavailable: {why}");
    }
    // Bring the indexes up to date with the store (a running server may
    // hold the keyword index; then it keeps it current).
    engine.catch_up_keyword().await?;
    engine.catch_up_vectors().await?;
    let request = SearchRequest {
        query,
        mode: args.mode,
        filters: Filters {
            from: args.from,
            to: args.to,
            categories: args.category,
            organization: args.org,
        },
        sort: args.sort,
        offset: 0,
        limit: usize::from(args.limit),
    };
    let found = engine.search(request).await?;
    if let Some(notice) = &found.notice {
        eprintln!("note: {notice}");
    }
    if args.json {
        for h in &found.hits {
            let line = serde_json::json!({
                "id": h.listing.paper.id.as_str(),
                "title": h.listing.paper.title,
                "score": h.score,
                "published": h.listing.paper.published_at.map(|t| t.date_naive().to_string()),
                "snippet": h.snippet.text,
            });
            println!("{line}");
        }
    } else {
        println!(
            "{} result{} ({} search)",
            found.total,
            if found.total == 1 { "" } else { "s" },
            found.mode.as_str()
        );
        for (i, h) in found.hits.iter().enumerate() {
            let p = &h.listing.paper;
            let date = p
                .published_at
                .map(|t| t.date_naive().to_string())
                .unwrap_or_default();
            println!(
                "{:>3}. {}  {}  [{}] {:.3}",
                i + 1,
                p.id,
                p.title,
                date,
                h.score
            );
            if !h.snippet.text.is_empty() {
                println!("     {}", truncate(&h.snippet.text, 200));
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `dailypapers reindex`.
pub async fn reindex(config: &Config) -> Result<ExitCode> {
    let store = super::open_store(config).await?;
    let engine = open_engine(config, store.clone())?;
    if let Some(why) = engine.semantic_unavailable() {
        eprintln!("note: the vector index is not rebuilt: {why}");
    }
    let started = std::time::Instant::now();
    let report = engine
        .rebuild()
        .await
        .context("rebuilding the indexes failed")?;
    println!(
        "reindexed {} papers and {} vectors in {:.1} s",
        report.papers,
        report.vectors,
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `dailypapers embed`.
pub async fn embed(config: &Config) -> Result<ExitCode> {
    let store = super::open_store(config).await?;
    let engine = open_engine(config, store.clone())?;
    if let Some(why) = engine.semantic_unavailable() {
        anyhow::bail!("cannot embed: {why}");
    }
    let model = engine.model().unwrap_or_default().to_owned();
    let start = store.embedding_progress(&model).await?;
    let bar = Bar::new("papers");
    bar.set(start.done, start.total, "embedding");
    let started = std::time::Instant::now();
    let embedded = engine
        .embed_pending(&|p| bar.set(p.done, p.total, "embedding"))
        .await?;
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    let end = store.embedding_progress(&model).await?;
    println!(
        "embedded {embedded} papers in {seconds:.1} s ({:.1}/s); {} of {} papers have a vector",
        embedded as f64 / seconds.max(1e-9),
        end.done,
        end.total
    );
    engine.catch_up_vectors().await?;
    engine.save_vectors().await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}
