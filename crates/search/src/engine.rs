//! The search engine: the keyword index, the vector index and the embedding
//! model behind one interface, kept in step with the store.
//!
//! Searching runs the keyword and the semantic side over the same filters,
//! fuses them (see [`crate::fusion`]) and reads the page of results back
//! from the store. Keeping up is incremental: the keyword index follows the
//! store's change sequence, the embedding job embeds what is missing or
//! stale and saves it in the store, and the vector index follows the
//! store's embedding revisions.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use dailypapers_domain::{ArxivId, Listing};
use dailypapers_embed::Embedder;
use dailypapers_store::{EmbeddingProgress, NewEmbedding, Store, StoreError};
use dailypapers_vectors::{IndexOptions, VectorIndex};

use crate::document::{embedding_text, keyword_doc, text_hash};
use crate::fusion::{Fusion, Ranked, fuse};
use crate::index_dir::{IndexDir, VectorsState};
use crate::keyword::{Filters, KeywordIndex, KeywordWriter, Snippet, Sort};
use crate::query::SearchQuery;

/// How many candidates each side contributes to a fused ranking at least.
const CANDIDATES: usize = 100;
/// The deepest page a search reads.
pub const MAX_RESULTS: usize = 1000;
/// Below this many allowed documents, a filtered semantic search is an exact
/// scan of just those documents.
const EXACT_FILTER_BELOW: usize = 20_000;
/// Papers read from the store per step when catching up.
const CATCH_UP_PAGE: u64 = 2000;
/// Papers embedded per step of the embedding job.
const EMBED_BATCH: u64 = 32;

/// How long a claim on embedding work holds: far longer than a batch takes,
/// and the time after which a dead server's papers are taken over.
const EMBED_CLAIM: std::time::Duration = std::time::Duration::from_secs(300);
/// The longest snippet, in characters.
const SNIPPET_CHARS: usize = 280;

/// Which side of search answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Mode {
    Keyword,
    Semantic,
    #[default]
    Hybrid,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
            Mode::Hybrid => "hybrid",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "keyword" => Ok(Mode::Keyword),
            "semantic" => Ok(Mode::Semantic),
            "hybrid" => Ok(Mode::Hybrid),
            other => Err(format!(
                "unknown search mode {other:?}: expected keyword, semantic or hybrid"
            )),
        }
    }
}

/// One search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub query: SearchQuery,
    pub mode: Mode,
    pub filters: Filters,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

impl SearchRequest {
    /// The first `limit` results for `query` in `mode`, by relevance, unfiltered.
    pub fn new(query: SearchQuery, mode: Mode, limit: usize) -> Self {
        SearchRequest {
            query,
            mode,
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit,
        }
    }
}

/// One result: the paper with its listing, its score in the ranking that
/// ordered it, and the title and abstract with the query's words marked.
#[derive(Clone, Debug)]
pub struct SearchHit {
    pub doc: u64,
    pub listing: Listing,
    pub score: f32,
    pub title: Snippet,
    pub snippet: Snippet,
}

/// A page of results.
#[derive(Clone, Debug)]
pub struct SearchResults {
    /// How many papers the search found (for semantic and hybrid search, the
    /// keyword matches plus the nearest neighbours considered).
    pub total: usize,
    /// The mode that answered (hybrid falls back to keyword without a model).
    pub mode: Mode,
    /// Why the mode differs from the one asked for, if it does.
    pub notice: Option<String>,
    pub hits: Vec<SearchHit>,
}

/// Why a search or an indexing step failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The semantic side cannot run: no usable model.
    #[error("semantic search is unavailable: {0}")]
    SemanticUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("keyword index: {0}")]
    Keyword(#[from] crate::keyword::SearchError),
    #[error("vector index: {0}")]
    Vectors(#[from] dailypapers_vectors::VectorError),
    #[error("embedding model: {0}")]
    Embed(#[from] dailypapers_embed::EmbedError),
    #[error("index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("a search task failed: {0}")]
    Task(String),
}

/// What the engine is configured with.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// The sentence-transformers model directory.
    pub model_dir: PathBuf,
    /// Exact vector search below this many papers, approximate above.
    pub exact_below: usize,
    pub fusion: Fusion,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            model_dir: PathBuf::from("models/all-MiniLM-L6-v2"),
            exact_below: 20_000,
            fusion: Fusion::default(),
        }
    }
}

/// The semantic side: the model and the vectors of the papers.
struct Semantic {
    embedder: Arc<Embedder>,
    model: String,
    vectors: RwLock<Arc<VectorIndex>>,
    /// The store's last embedding revision the vector index includes.
    rev: AtomicU64,
    /// The revision the saved vector file includes.
    saved_rev: AtomicU64,
}

/// Keyword, semantic and hybrid search over one store.
pub struct SearchEngine {
    store: Arc<dyn Store>,
    dir: Option<IndexDir>,
    keyword: RwLock<KeywordIndex>,
    keyword_path: Mutex<Option<PathBuf>>,
    writer: Mutex<Option<KeywordWriter>>,
    semantic: Result<Semantic, String>,
    options: EngineOptions,
    stop: AtomicBool,
    /// Who this engine's embedding claims belong to (this process).
    holder: String,
}

impl SearchEngine {
    /// Opens the indexes in `data_dir/index` and the model. A missing or
    /// unreadable model is not an error: keyword search works, and the
    /// semantic side answers with the reason.
    pub fn open(
        store: Arc<dyn Store>,
        data_dir: &Path,
        options: EngineOptions,
    ) -> Result<Self, EngineError> {
        let dir = IndexDir::new(data_dir);
        let path = dir.current_keyword()?;
        let keyword = KeywordIndex::open_or_create(&path)?;
        let semantic = load_semantic(&options, Some(&dir));
        Ok(SearchEngine {
            store,
            dir: Some(dir),
            keyword: RwLock::new(keyword),
            keyword_path: Mutex::new(Some(path)),
            writer: Mutex::new(None),
            semantic,
            options,
            stop: AtomicBool::new(false),
            holder: dailypapers_store::process_holder(),
        })
    }

    /// An engine whose indexes live in memory only (benchmarks and tests),
    /// with an already loaded model, or none.
    pub fn in_memory(
        store: Arc<dyn Store>,
        embedder: Option<Arc<Embedder>>,
        options: EngineOptions,
    ) -> Result<Self, EngineError> {
        let semantic = match embedder {
            Some(embedder) => Ok(Semantic {
                model: embedder.model_id().to_owned(),
                vectors: RwLock::new(Arc::new(VectorIndex::new(vector_options(
                    &options,
                    embedder.dim(),
                )))),
                embedder,
                rev: AtomicU64::new(0),
                saved_rev: AtomicU64::new(0),
            }),
            None => Err("no embedding model was loaded".to_owned()),
        };
        Ok(SearchEngine {
            store,
            dir: None,
            keyword: RwLock::new(KeywordIndex::in_ram()?),
            keyword_path: Mutex::new(None),
            writer: Mutex::new(None),
            semantic,
            options,
            stop: AtomicBool::new(false),
            holder: dailypapers_store::process_holder(),
        })
    }

    /// Why semantic search is unavailable, if it is.
    pub fn semantic_unavailable(&self) -> Option<&str> {
        self.semantic.as_ref().err().map(String::as_str)
    }

    /// The embedding model's identity, when one is loaded.
    pub fn model(&self) -> Option<&str> {
        self.semantic.as_ref().ok().map(|s| s.model.as_str())
    }

    /// The embedding model, when one is loaded.
    pub fn embedder(&self) -> Option<Arc<Embedder>> {
        self.semantic.as_ref().ok().map(|s| s.embedder.clone())
    }

    /// Asks long-running work (the embedding job) to stop at its next step.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The keyword index as it is now.
    pub fn keyword_index(&self) -> KeywordIndex {
        self.keyword()
    }

    /// The vector index as it is now, when a model is loaded.
    pub fn vector_index(&self) -> Option<Arc<VectorIndex>> {
        self.vectors()
    }

    fn keyword(&self) -> KeywordIndex {
        self.keyword.read().expect("keyword lock").clone()
    }

    fn vectors(&self) -> Option<Arc<VectorIndex>> {
        self.semantic
            .as_ref()
            .ok()
            .map(|s| s.vectors.read().expect("vector lock").clone())
    }

    // ---- searching -------------------------------------------------------

    /// Runs one search.
    pub async fn search(&self, request: SearchRequest) -> Result<SearchResults, EngineError> {
        let (mode, notice) = match (request.mode, &self.semantic) {
            (Mode::Keyword, _) | (_, Ok(_)) => (request.mode, None),
            (Mode::Semantic, Err(why)) => {
                return Err(EngineError::SemanticUnavailable(why.clone()));
            }
            (Mode::Hybrid, Err(why)) => (
                Mode::Keyword,
                Some(format!(
                    "semantic search is unavailable ({why}); showing keyword matches"
                )),
            ),
        };
        let keyword = self.keyword();
        let semantic = match mode {
            Mode::Keyword => None,
            _ => self.semantic.as_ref().ok().map(|s| {
                (
                    s.embedder.clone(),
                    self.vectors().expect("semantic is loaded"),
                )
            }),
        };
        let want = (request.offset + request.limit).min(MAX_RESULTS);
        let req = request.clone();
        let fusion = self.options.fusion;
        let (total, ranked) = tokio::task::spawn_blocking(move || {
            rank(&keyword, semantic.as_ref(), mode, &req, want, fusion)
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))??;

        // Semantic and hybrid rankings are by relevance; another order sorts
        // the relevant candidates.
        let mut docs: Vec<u64> = ranked.iter().map(|r| r.doc).collect();
        let resort = mode != Mode::Keyword && request.sort != Sort::Relevance;
        if !resort {
            docs = page(&docs, request.offset, request.limit);
        }
        let listings = self.store.listings_by_doc(&docs).await?;
        let scores: HashMap<u64, f32> = ranked.iter().map(|r| (r.doc, r.score)).collect();
        let mut hits: Vec<(u64, Listing, f32)> = listings
            .into_iter()
            .map(|(doc, l)| (doc, l, scores.get(&doc).copied().unwrap_or_default()))
            .collect();
        if resort {
            sort_listings(&mut hits, request.sort);
            hits = page(&hits, request.offset, request.limit);
        }
        let keyword = self.keyword();
        let hits = hits
            .into_iter()
            .map(|(doc, listing, score)| SearchHit {
                title: keyword.snippet(&request.query, &listing.paper.title, usize::MAX),
                snippet: keyword.snippet(&request.query, &listing.paper.summary, SNIPPET_CHARS),
                doc,
                listing,
                score,
            })
            .collect();
        Ok(SearchResults {
            total,
            mode,
            notice,
            hits,
        })
    }

    /// The papers nearest to `id` by meaning, the paper itself excluded:
    /// `None` for a paper the store does not have; empty while it has no
    /// embedding yet or when there is no model.
    pub async fn similar(
        &self,
        id: &ArxivId,
        limit: usize,
    ) -> Result<Option<Vec<(Listing, f32)>>, EngineError> {
        let Some(doc) = self.store.paper_doc(id).await? else {
            return Ok(None);
        };
        let Some((vectors, v)) = self
            .vectors()
            .and_then(|vectors| vectors.vector(doc).map(|v| (vectors, v)))
        else {
            return Ok(Some(Vec::new()));
        };
        // One more than asked, unfiltered (a filter slows the graph walk):
        // the paper itself is its own nearest neighbour.
        let neighbours = tokio::task::spawn_blocking(move || vectors.search(&v, limit + 1, None))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))?;
        let scores: HashMap<u64, f32> = neighbours
            .iter()
            .filter(|n| n.key != doc)
            .take(limit)
            .map(|n| (n.key, n.score))
            .collect();
        let docs: Vec<u64> = neighbours
            .iter()
            .map(|n| n.key)
            .filter(|k| scores.contains_key(k))
            .collect();
        let listings = self.store.listings_by_doc(&docs).await?;
        Ok(Some(
            listings.into_iter().map(|(d, l)| (l, scores[&d])).collect(),
        ))
    }

    // ---- keeping up with the store ---------------------------------------

    /// Brings the keyword index up to the store's latest write. Returns how
    /// many papers were (re)indexed; `Ok(None)` when another process holds
    /// the index for writing (it keeps the index up to date instead).
    pub async fn catch_up_keyword(&self) -> Result<Option<usize>, EngineError> {
        self.follow_published_keyword()?;
        if !self.take_writer()? {
            return Ok(None);
        }
        // An index ahead of the store was built from another database (a
        // restored or replaced file): start it again from nothing.
        let store_seq = self.store.max_seq().await?;
        if self.keyword().committed_seq()? > store_seq {
            tracing::warn!(
                "the keyword index is ahead of the store (another database?); rebuilding it"
            );
            if let Some(dir) = &self.dir {
                let path = dir.new_generation("keyword", "")?;
                KeywordIndex::open_or_create(&path)?;
                dir.publish_keyword(&path)?;
                self.follow_published_keyword()?;
                if !self.take_writer()? {
                    return Ok(None);
                }
            }
        }
        let mut done = 0;
        loop {
            let after = self.keyword().committed_seq()?;
            let changes = self.store.changed_papers(after, CATCH_UP_PAGE).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                return Ok(Some(done));
            };
            done += changes.len();
            let docs: Vec<_> = changes
                .iter()
                .map(|c| keyword_doc(c.doc, &c.paper))
                .collect();
            let mut guard = self.writer.lock().expect("writer lock");
            let Some(writer) = guard.as_mut() else {
                // Switched to a rebuilt index meanwhile: the next step goes on there.
                return Ok(Some(done));
            };
            let written = docs
                .iter()
                .try_for_each(|d| writer.upsert(d))
                .and_then(|()| writer.commit(last));
            if let Err(e) = written {
                // A failed commit can leave the writer unusable: take a
                // fresh one on the next step.
                *guard = None;
                return Err(e.into());
            }
        }
    }

    /// Takes the keyword writer if not held yet; false if another process has it.
    fn take_writer(&self) -> Result<bool, EngineError> {
        let mut guard = self.writer.lock().expect("writer lock");
        if guard.is_some() {
            return Ok(true);
        }
        match self.keyword().writer() {
            Ok(w) => {
                *guard = Some(w);
                Ok(true)
            }
            Err(crate::keyword::SearchError::Locked { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Switches to a keyword index generation published by `reindex`.
    fn follow_published_keyword(&self) -> Result<(), EngineError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let current = dir.current_keyword()?;
        let mut path = self.keyword_path.lock().expect("path lock");
        if path.as_ref() != Some(&current) {
            tracing::info!(index = %current.display(), "switching to a rebuilt keyword index");
            let index = KeywordIndex::open_or_create(&current)?;
            *self.writer.lock().expect("writer lock") = None;
            *self.keyword.write().expect("keyword lock") = index;
            *path = Some(current);
        }
        Ok(())
    }

    /// Embeds every paper whose embedding is missing or stale, saving each
    /// batch in the store as it goes (so the job resumes where it stopped).
    /// Each batch is claimed in the store first, so servers sharing a store
    /// embed different papers, and a dead server's claims lapse after
    /// five minutes. `progress` is told after each batch. Returns how many
    /// were embedded.
    pub async fn embed_pending(
        &self,
        progress: &(dyn Fn(EmbeddingProgress) + Sync),
    ) -> Result<u64, EngineError> {
        self.embed_pending_for(progress, None).await
    }

    /// [`Self::embed_pending`], returning after the batch that passes
    /// `budget` (the rest is left for the next call).
    pub async fn embed_pending_for(
        &self,
        progress: &(dyn Fn(EmbeddingProgress) + Sync),
        budget: Option<std::time::Duration>,
    ) -> Result<u64, EngineError> {
        let started = std::time::Instant::now();
        let semantic = self
            .semantic
            .as_ref()
            .map_err(|why| EngineError::SemanticUnavailable(why.clone()))?;
        let mut embedded = 0;
        let mut after = 0;
        let mut counted: Option<EmbeddingProgress> = None;
        loop {
            if self.stop.load(Ordering::Relaxed) || budget.is_some_and(|b| started.elapsed() >= b) {
                return Ok(embedded);
            }
            let work = self
                .store
                .claim_embedding_work(
                    &semantic.model,
                    &self.holder,
                    EMBED_CLAIM,
                    after,
                    EMBED_BATCH,
                )
                .await?;
            let Some(last) = work.last().map(|w| w.doc) else {
                return Ok(embedded);
            };
            after = last;
            let mut rows = Vec::with_capacity(work.len());
            let mut texts = Vec::new();
            for w in &work {
                let text = embedding_text(&w.paper);
                let hash = text_hash(&text);
                rows.push(NewEmbedding {
                    doc: w.doc,
                    paper_seq: w.seq,
                    text_hash: hash,
                    vector: None,
                });
                if w.stored_text_hash != Some(hash) {
                    texts.push((rows.len() - 1, text));
                }
            }
            if !texts.is_empty() {
                let embedder = semantic.embedder.clone();
                let inputs: Vec<String> = texts.iter().map(|(_, t)| t.clone()).collect();
                let vectors = tokio::task::spawn_blocking(move || {
                    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                    embedder.embed_documents(&refs)
                })
                .await
                .map_err(|e| EngineError::Task(e.to_string()))??;
                for ((i, _), v) in texts.iter().zip(vectors) {
                    rows[*i].vector = Some(v);
                }
                embedded += texts.len() as u64;
            }
            self.store.save_embeddings(&semantic.model, &rows).await?;
            // Counted once, then followed: a count per batch would scan the
            // whole table each time.
            let counted = match counted.as_mut() {
                Some(c) => {
                    c.done = (c.done + rows.len() as u64).min(c.total);
                    c
                }
                None => counted.insert(self.store.embedding_progress(&semantic.model).await?),
            };
            progress(*counted);
        }
    }

    /// Adds the embeddings saved since the vector index was last brought up
    /// to date. Returns how many were added.
    pub async fn catch_up_vectors(&self) -> Result<usize, EngineError> {
        let Ok(semantic) = &self.semantic else {
            return Ok(0);
        };
        let mut added = 0;
        loop {
            let after = semantic.rev.load(Ordering::Acquire);
            let rows = self
                .store
                .embeddings_since(&semantic.model, after, CATCH_UP_PAGE * 5)
                .await?;
            let Some(last) = rows.last().map(|r| r.rev) else {
                return Ok(added);
            };
            added += rows.len();
            let vectors = self.vectors().expect("semantic is loaded");
            tokio::task::spawn_blocking(move || {
                let items: Vec<(u64, Vec<f32>)> =
                    rows.into_iter().map(|r| (r.doc, r.vector)).collect();
                vectors.insert_batch(&items)
            })
            .await
            .map_err(|e| EngineError::Task(e.to_string()))??;
            semantic.rev.store(last, Ordering::Release);
        }
    }

    /// Saves the vector index beside the keyword index when it has grown
    /// since it was last saved, so the next start need not rebuild it.
    pub async fn save_vectors(&self) -> Result<bool, EngineError> {
        let (Ok(semantic), Some(dir)) = (&self.semantic, &self.dir) else {
            return Ok(false);
        };
        let rev = semantic.rev.load(Ordering::Acquire);
        if rev == semantic.saved_rev.load(Ordering::Acquire) {
            return Ok(false);
        }
        let path = dir.new_generation("vectors", ".bin")?;
        let vectors = self.vectors().expect("semantic is loaded");
        let file = path.clone();
        tokio::task::spawn_blocking(move || vectors.save(&file))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))??;
        dir.publish_vectors(&VectorsState {
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            model: semantic.model.clone(),
            rev,
        })?;
        semantic.saved_rev.store(rev, Ordering::Release);
        Ok(true)
    }

    /// Rebuilds both indexes from the store into new generations and makes
    /// them current. Until then the old ones keep answering; a crash leaves
    /// them in place.
    pub async fn rebuild(&self) -> Result<RebuildReport, EngineError> {
        let dir = self.dir.clone().ok_or_else(|| {
            EngineError::Io(std::io::Error::other(
                "an in-memory engine has no index directory",
            ))
        })?;
        // Keyword: a fresh index filled from the whole store.
        let path = dir.new_generation("keyword", "")?;
        std::fs::create_dir_all(&path)?;
        let fresh = KeywordIndex::open_or_create(&path)?;
        let mut writer = fresh.writer()?;
        let mut after = 0;
        let mut papers = 0;
        loop {
            let changes = self.store.changed_papers(after, CATCH_UP_PAGE).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            for c in &changes {
                writer.upsert(&keyword_doc(c.doc, &c.paper))?;
            }
            papers += changes.len();
            after = last;
            writer.commit(last)?;
        }
        writer.commit(after)?;
        drop(writer);
        dir.publish_keyword(&path)?;
        self.follow_published_keyword()?;

        // Vectors: a fresh index from the stored embeddings.
        let mut vectors = 0;
        if let Ok(semantic) = &self.semantic {
            let fresh = Arc::new(VectorIndex::new(vector_options(
                &self.options,
                semantic.embedder.dim(),
            )));
            *semantic.vectors.write().expect("vector lock") = fresh;
            semantic.rev.store(0, Ordering::Release);
            semantic.saved_rev.store(u64::MAX, Ordering::Release);
            vectors = self.catch_up_vectors().await?;
            self.save_vectors().await?;
        }
        Ok(RebuildReport { papers, vectors })
    }

    /// Where the indexes stand against the store.
    pub async fn status(&self) -> Result<SearchStatus, EngineError> {
        let papers = self.store.counts().await?.papers;
        let embedded = match self.model() {
            Some(model) => self.store.embedding_progress(model).await?.done,
            None => 0,
        };
        let (keyword_indexed, vectors) = self.sizes();
        Ok(SearchStatus {
            papers,
            keyword_indexed,
            model: self.model().map(str::to_owned),
            semantic_unavailable: self.semantic_unavailable().map(str::to_owned),
            embedded,
            vectors: vectors as u64,
        })
    }

    /// How many papers the keyword index holds, and how many vectors the
    /// vector index holds.
    pub fn sizes(&self) -> (u64, usize) {
        (
            self.keyword().num_docs(),
            self.vectors().map(|v| v.len()).unwrap_or(0),
        )
    }
}

/// Where the indexes stand against the store.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SearchStatus {
    /// Papers in the store.
    pub papers: u64,
    /// Papers in the keyword index.
    pub keyword_indexed: u64,
    /// The embedding model, when one is loaded.
    pub model: Option<String>,
    /// Why semantic search is off, when it is.
    pub semantic_unavailable: Option<String>,
    /// Papers with a current embedding by the model.
    pub embedded: u64,
    /// Vectors in the vector index.
    pub vectors: u64,
}

/// What a rebuild did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RebuildReport {
    pub papers: usize,
    pub vectors: usize,
}

fn vector_options(options: &EngineOptions, dim: usize) -> IndexOptions {
    IndexOptions {
        dim,
        exact_below: options.exact_below,
        ..IndexOptions::default()
    }
}

/// Loads the model and the saved vector index, or says why semantic search
/// cannot run.
fn load_semantic(options: &EngineOptions, dir: Option<&IndexDir>) -> Result<Semantic, String> {
    let embedder = Embedder::load(&options.model_dir).map_err(|e| e.to_string())?;
    let model = embedder.model_id().to_owned();
    let mut rev = 0;
    let mut vectors = VectorIndex::new(vector_options(options, embedder.dim()));
    if let Some(dir) = dir
        && let Some(state) = dir.vectors_state()
        && state.model == model
    {
        match VectorIndex::load(&dir.vectors_path(&state)) {
            Ok(loaded) => {
                vectors = loaded;
                rev = state.rev;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the saved vector index is unreadable; rebuilding it from the store");
            }
        }
    }
    Ok(Semantic {
        embedder: Arc::new(embedder),
        model,
        vectors: RwLock::new(Arc::new(vectors)),
        rev: AtomicU64::new(rev),
        saved_rev: AtomicU64::new(rev),
    })
}

/// The ranking of a search, best first, and the number of papers found:
/// what [`SearchEngine::search`] runs before reading the papers back, and
/// what the relevance benchmark measures.
pub fn rank(
    keyword: &KeywordIndex,
    semantic: Option<&(Arc<Embedder>, Arc<VectorIndex>)>,
    mode: Mode,
    req: &SearchRequest,
    want: usize,
    fusion: Fusion,
) -> Result<(usize, Vec<Ranked>), EngineError> {
    // Candidates per side: a fixed depth, so the first pages of a ranking
    // do not change as someone pages through it; deeper pages read deeper.
    let depth = if want <= CANDIDATES {
        CANDIDATES
    } else {
        MAX_RESULTS
    };
    let keyword_page = match mode {
        Mode::Semantic => None,
        Mode::Keyword => {
            // Keyword search pages and sorts in the index itself.
            let page = keyword.search(&req.query, &req.filters, req.sort, 0, want)?;
            let ranked = page
                .hits
                .iter()
                .map(|h| Ranked {
                    doc: h.doc,
                    score: h.score,
                })
                .collect();
            return Ok((page.total, ranked));
        }
        Mode::Hybrid => {
            Some(keyword.search(&req.query, &req.filters, Sort::Relevance, 0, depth)?)
        }
    };
    let (embedder, vectors) = semantic.expect("semantic modes have a model");
    let q = embedder.embed_query(req.query.text())?;
    let neighbours = if req.filters.is_empty() {
        vectors.search(&q, depth, None)
    } else {
        let allowed = keyword.matching_docs(&req.filters)?;
        if allowed.len() < EXACT_FILTER_BELOW {
            vectors.search_among(&q, depth, &allowed)
        } else {
            let allowed: HashSet<u64> = allowed.into_iter().collect();
            vectors.search(&q, depth, Some(&|key: u64| allowed.contains(&key)))
        }
    };
    let semantic_ranked: Vec<Ranked> = neighbours
        .iter()
        .map(|n| Ranked {
            doc: n.key,
            score: n.score,
        })
        .collect();
    match keyword_page {
        None => Ok((semantic_ranked.len(), semantic_ranked)),
        Some(page) => {
            let keyword_ranked: Vec<Ranked> = page
                .hits
                .iter()
                .map(|h| Ranked {
                    doc: h.doc,
                    score: h.score,
                })
                .collect();
            let in_keyword: HashSet<u64> = keyword_ranked.iter().map(|r| r.doc).collect();
            // A quoted phrase or an arXiv id asks for exactly that: meaning
            // only reorders the papers that contain it.
            let exact = !req.query.phrases().is_empty() || !req.query.arxiv_ids().is_empty();
            let semantic_ranked: Vec<Ranked> = if exact {
                semantic_ranked
                    .into_iter()
                    .filter(|r| in_keyword.contains(&r.doc))
                    .collect()
            } else {
                semantic_ranked
            };
            let extra = semantic_ranked
                .iter()
                .filter(|r| !in_keyword.contains(&r.doc))
                .count();
            let mut fused = fuse(&keyword_ranked, &semantic_ranked, fusion);
            // The paper an arXiv id names comes first, as in keyword search.
            let named = req.query.arxiv_ids().len();
            for (i, hit) in keyword_ranked.iter().take(named).enumerate() {
                if let Some(at) = fused.iter().position(|r| r.doc == hit.doc) {
                    let r = fused.remove(at);
                    fused.insert(i, r);
                }
            }
            Ok((page.total + extra, fused))
        }
    }
}

fn page<T: Clone>(items: &[T], offset: usize, limit: usize) -> Vec<T> {
    items.iter().skip(offset).take(limit).cloned().collect()
}

fn sort_listings(hits: &mut [(u64, Listing, f32)], sort: Sort) {
    match sort {
        Sort::Relevance => {}
        Sort::Newest => hits.sort_by(|a, b| {
            b.1.paper
                .published_at
                .cmp(&a.1.paper.published_at)
                .then(a.0.cmp(&b.0))
        }),
        Sort::Upvotes => hits.sort_by(|a, b| {
            b.1.paper
                .upvotes
                .unwrap_or(0)
                .cmp(&a.1.paper.upvotes.unwrap_or(0))
                .then(a.0.cmp(&b.0))
        }),
    }
}
