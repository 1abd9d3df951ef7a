//! Keeping the indexes up with the store while the server runs: a loop
//! that indexes new and changed papers, embeds what is missing (saving
//! each batch, so the work survives a restart) and saves the vector index.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::SearchEngine;

/// How often the loop looks for new work. Looking costs a few indexed
/// queries when there is none, so servers look often: a paper imported
/// anywhere is found by keyword search on every server about a second later.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// The vector index is saved at most this often while papers keep coming.
const SAVE_EVERY: Duration = Duration::from_secs(600);
/// Embedding progress is logged at most this often.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// With nothing new in the store, the embedder still looks for work this
/// often: papers whose claims lapsed (a server died mid-batch) or that
/// another server left. Looking means a join of the papers with their
/// embeddings, too costly at a million papers to run every second.
const EMBED_RECHECK: Duration = Duration::from_secs(30);
/// One step embeds for about this long, so that new papers are
/// keyword-indexed and new vectors searchable while a large backlog is
/// being embedded.
const EMBED_STEP: Duration = Duration::from_secs(30);

/// Runs until `shutdown` resolves. Each step's errors are logged, and the
/// next step tries again. With `embed` false, papers are not embedded here
/// (another process, `dailypapers embed`, may do it); the vector index still
/// follows the stored embeddings.
pub async fn keep_up(
    engine: Arc<SearchEngine>,
    every: Duration,
    embed: bool,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut last_save: Option<Instant> = None;
    let mut last_embed_check: Option<Instant> = None;
    loop {
        let busy = tokio::select! {
            _ = &mut shutdown => break,
            busy = step(&engine, embed, &mut last_save, &mut last_embed_check) => busy,
        };
        if busy {
            // A backlog is being embedded: go on without waiting.
            continue;
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
    // Keep what was added since the last save for the next start.
    if let Err(e) = engine.save_vectors().await {
        tracing::warn!(error = %e, "could not save the vector index");
    }
}

/// One round; true when it embedded papers, so that more may be waiting.
/// The embedder looks for work when papers changed, after a round that
/// embedded, and every [`EMBED_RECHECK`] otherwise.
async fn step(
    engine: &SearchEngine,
    embed: bool,
    last_save: &mut Option<Instant>,
    last_embed_check: &mut Option<Instant>,
) -> bool {
    let mut changed = false;
    match engine.catch_up_keyword().await {
        Ok(Some(n)) if n > 0 => {
            changed = true;
            tracing::info!(papers = n, "keyword index updated");
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "keyword indexing failed"),
    }
    if engine.model().is_none() {
        return false;
    }
    let added = match engine.catch_up_vectors().await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "loading embeddings failed");
            0
        }
    };
    let logged = std::sync::Mutex::new(Instant::now());
    let progress = |p: dailypapers_store::EmbeddingProgress| {
        let mut at = logged.lock().expect("log clock");
        if at.elapsed() >= LOG_EVERY {
            *at = Instant::now();
            tracing::info!(done = p.done, total = p.total, "embedding papers");
        }
    };
    let mut embedded = 0;
    let due = changed || last_embed_check.is_none_or(|t| t.elapsed() >= EMBED_RECHECK);
    if embed && due {
        *last_embed_check = Some(Instant::now());
        match engine.embed_pending_for(&progress, Some(EMBED_STEP)).await {
            Ok(0) => {}
            Ok(n) => {
                embedded = n;
                tracing::info!(papers = n, "embedded papers");
            }
            Err(e) => {
                // Tried again at the next step.
                *last_embed_check = None;
                tracing::error!(error = %e, "embedding failed");
            }
        }
    }
    if embedded > 0 {
        // More may be waiting: the next step looks again at once.
        *last_embed_check = None;
    }
    let added = added
        + engine.catch_up_vectors().await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "loading embeddings failed");
            0
        });
    let due = last_save.is_none_or(|t| t.elapsed() >= SAVE_EVERY);
    if added > 0 && due {
        match engine.save_vectors().await {
            Ok(_) => *last_save = Some(Instant::now()),
            Err(e) => tracing::warn!(error = %e, "could not save the vector index"),
        }
    }
    embedded > 0
}
