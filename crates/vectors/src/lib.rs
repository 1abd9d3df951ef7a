//! Nearest-neighbour search over paper embeddings: the [`VectorIndex`] that
//! answers "which papers are closest to this vector", exactly while the
//! collection is small and approximately (HNSW) once it is large.
//!
//! Vectors are L2-normalised sentence embeddings, so similarity is the dot
//! product (cosine). Keys are the store's u64 document numbers.
//!
//! Layout: every vector is kept as f16 in a flat store (`flat`), the
//! source of truth for exact search, `search_among`, `vector` and saving. At
//! or above [`IndexOptions::exact_below`] entries an HNSW graph (`graph`,
//! built with usearch over int8-quantised copies) proposes candidates for
//! [`VectorIndex::search`], and the flat store rescores them, so scores are
//! always the f16 dot product. Vector storage is 768 B (f16) + 384 B (int8)
//! per vector; with keys and the graph, about 1.4 KB per vector in all.
//!
//! Locking: one reader-writer lock. Searches share it; inserts and removals
//! take it exclusively for short steps (a batch in chunks), so searches run
//! between the chunks of a long batch.

mod flat;
mod graph;
mod persist;
pub mod synthetic;
mod topk;

use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use rayon::prelude::*;

use crate::flat::FlatStore;
use crate::graph::Graph;

/// Items inserted under one hold of the write lock in [`VectorIndex::insert_batch`].
const BATCH_CHUNK: usize = 16 * 1024;

/// Errors from building, saving and loading an index.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("vector has {got} dimensions, the index expects {expected}")]
    WrongDimension { expected: usize, got: usize },
    #[error("vector for key {key} has a value that is not finite or beyond the f16 range")]
    NotFinite { key: u64 },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a vector index file")]
    NotAnIndex { path: PathBuf },
    #[error("{path} has index format version {found}; this build reads version {supported}")]
    UnsupportedVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path} is truncated: expected {expected} bytes, found {found}")]
    Truncated {
        path: PathBuf,
        expected: u64,
        found: u64,
    },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("approximate index: {0}")]
    Ann(String),
}

/// How an index is built and searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexOptions {
    /// Dimensions of every vector (384 for all-MiniLM-L6-v2).
    pub dim: usize,
    /// Below this many entries search is exact; at or above it an HNSW graph
    /// is built (automatically, when an insert reaches it). Default 20,000.
    pub exact_below: usize,
    /// HNSW connectivity (M): neighbours per node on upper levels, twice that
    /// on the base level. Default 16.
    pub connectivity: usize,
    /// Beam width while building (efConstruction). Default 96: at 1M
    /// synthetic vectors 128 gave little recall for 1.5× the build time.
    pub expansion_add: usize,
    /// Beam width while searching (efSearch). Default 128.
    pub expansion_search: usize,
    /// Candidates taken from the graph and rescored exactly (at least `k`).
    /// Default 96.
    pub rescore: usize,
}

impl IndexOptions {
    /// Defaults for vectors of `dim` dimensions.
    pub fn new(dim: usize) -> Self {
        IndexOptions {
            dim,
            exact_below: 20_000,
            connectivity: 16,
            expansion_add: 96,
            expansion_search: 128,
            rescore: 96,
        }
    }
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions::new(384)
    }
}

/// One search result: a key and its cosine similarity to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub key: u64,
    pub score: f32,
}

struct Inner {
    opts: IndexOptions,
    flat: FlatStore,
    graph: Option<Graph>,
}

/// A nearest-neighbour index over u64-keyed vectors. `Send + Sync`; share it
/// behind an `Arc` and search while inserting.
pub struct VectorIndex {
    inner: RwLock<Inner>,
}

impl VectorIndex {
    pub fn new(opts: IndexOptions) -> Self {
        let flat = FlatStore::new(opts.dim);
        VectorIndex {
            inner: RwLock::new(Inner {
                opts,
                flat,
                graph: None,
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The options the index was built with.
    pub fn options(&self) -> IndexOptions {
        self.read().opts.clone()
    }

    /// Inserts `v` under `key`, replacing any vector already there.
    pub fn insert(&self, key: u64, v: &[f32]) -> Result<(), VectorError> {
        let mut inner = self.write();
        check(&inner.opts, key, v)?;
        let replaced = inner.flat.upsert(key, v);
        if let Some(g) = &inner.graph {
            if replaced {
                g.remove(key)?;
            }
            g.ensure_capacity(inner.flat.len())?;
            g.add(key, v)?;
        } else {
            inner.switch_if_needed()?;
        }
        Ok(())
    }

    /// Inserts many vectors (a later duplicate key wins), building the graph
    /// on all cores. Every vector is checked before any is inserted.
    pub fn insert_batch(&self, items: &[(u64, Vec<f32>)]) -> Result<(), VectorError> {
        {
            let inner = self.read();
            for (key, v) in items {
                check(&inner.opts, *key, v)?;
            }
        }
        // Keep the last occurrence of each key, in order.
        let mut last = flat::KeyMap::<usize>::default();
        for (i, (key, _)) in items.iter().enumerate() {
            last.insert(*key, i);
        }
        let unique: Vec<&(u64, Vec<f32>)> = items
            .iter()
            .enumerate()
            .filter(|(i, (key, _))| last[key] == *i)
            .map(|(_, item)| item)
            .collect();
        for chunk in unique.chunks(BATCH_CHUNK) {
            let mut inner = self.write();
            inner.flat.reserve(chunk.len());
            let mut replaced = Vec::new();
            for (key, v) in chunk {
                if inner.flat.upsert(*key, v) {
                    replaced.push(*key);
                }
            }
            if let Some(g) = &inner.graph {
                for key in replaced {
                    g.remove(key)?;
                }
                g.ensure_capacity(inner.flat.len())?;
                chunk.par_iter().try_for_each(|(key, v)| g.add(*key, v))?;
            } else {
                inner.switch_if_needed()?;
            }
        }
        Ok(())
    }

    /// Removes `key`; false if it was not there.
    pub fn remove(&self, key: u64) -> bool {
        let mut inner = self.write();
        if !inner.flat.remove(key) {
            return false;
        }
        if let Some(g) = &inner.graph
            && let Err(e) = g.remove(key)
        {
            tracing::warn!(key, error = %e, "removing from the graph failed; rebuilding it");
            inner.graph = None;
        }
        // Drop the graph once the index has shrunk well below the threshold.
        if inner.graph.is_some() && inner.flat.len() < inner.opts.exact_below / 2 {
            inner.graph = None;
        }
        if let Err(e) = inner.switch_if_needed() {
            tracing::warn!(error = %e, "rebuilding the graph failed; searching exactly");
        }
        true
    }

    /// The `k` nearest neighbours of `q` passing `filter`, best first:
    /// approximate when the graph is built, exact otherwise. A query of the
    /// wrong dimension finds nothing.
    pub fn search(
        &self,
        q: &[f32],
        k: usize,
        filter: Option<&(dyn Fn(u64) -> bool + Sync)>,
    ) -> Vec<Neighbour> {
        let inner = self.read();
        if !query_ok(&inner.opts, q) || k == 0 {
            return Vec::new();
        }
        let Some(g) = &inner.graph else {
            return inner.flat.search(q, k, filter);
        };
        let count = k.max(inner.opts.rescore);
        let keys = match g.candidates(q, count, filter) {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(error = %e, "graph search failed; searching exactly");
                return inner.flat.search(q, k, filter);
            }
        };
        if filter.is_some() && keys.len() < k && inner.flat.len() >= k {
            // A selective filter can starve the graph walk; fall back to exact.
            return inner.flat.search(q, k, filter);
        }
        let mut found = inner.flat.search_among(q, k, &keys);
        found.truncate(k);
        found
    }

    /// The exact `k` nearest neighbours of `q` passing `filter` (brute force).
    pub fn search_exact(
        &self,
        q: &[f32],
        k: usize,
        filter: Option<&(dyn Fn(u64) -> bool + Sync)>,
    ) -> Vec<Neighbour> {
        let inner = self.read();
        if !query_ok(&inner.opts, q) {
            return Vec::new();
        }
        inner.flat.search(q, k, filter)
    }

    /// The exact `k` nearest neighbours of `q` among `keys` (unknown keys are
    /// ignored). For filters too selective for the graph.
    pub fn search_among(&self, q: &[f32], k: usize, keys: &[u64]) -> Vec<Neighbour> {
        let inner = self.read();
        if !query_ok(&inner.opts, q) {
            return Vec::new();
        }
        inner.flat.search_among(q, k, keys)
    }

    /// The stored vector of `key` (as kept: f16 precision, widened to f32).
    pub fn vector(&self, key: u64) -> Option<Vec<f32>> {
        self.read().flat.get(key)
    }

    pub fn contains(&self, key: u64) -> bool {
        self.read().flat.contains(key)
    }

    pub fn len(&self) -> usize {
        self.read().flat.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dim(&self) -> usize {
        self.read().opts.dim
    }

    /// Whether searches go through the approximate graph.
    pub fn is_approximate(&self) -> bool {
        self.read().graph.is_some()
    }

    /// Heap memory held by the index (vectors, keys and graph).
    pub fn memory_bytes(&self) -> usize {
        let inner = self.read();
        inner.flat.memory_bytes() + inner.graph.as_ref().map_or(0, Graph::memory_bytes)
    }

    /// Changes the search beam width (efSearch) of this index.
    pub fn set_expansion_search(&self, ef: usize) {
        let mut inner = self.write();
        inner.opts.expansion_search = ef;
        if let Some(g) = &inner.graph {
            g.set_expansion_search(ef);
        }
    }

    /// Changes how many graph candidates are rescored exactly.
    pub fn set_rescore(&self, rescore: usize) {
        self.write().opts.rescore = rescore;
    }

    /// Writes the index to `path` atomically (temporary file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<(), VectorError> {
        let inner = self.read();
        let graph = inner.graph.as_ref().map(Graph::to_bytes).transpose()?;
        persist::save(path, &inner.opts, &inner.flat, graph.as_deref())
    }

    /// Reads an index written by [`VectorIndex::save`]. A truncated or
    /// corrupt file is an error.
    pub fn load(path: &Path) -> Result<Self, VectorError> {
        let (opts, flat, graph) = persist::load(path)?;
        let mut inner = Inner { opts, flat, graph };
        inner.switch_if_needed()?;
        Ok(VectorIndex {
            inner: RwLock::new(inner),
        })
    }
}

impl Inner {
    /// Builds the graph from the flat store once the threshold is reached.
    fn switch_if_needed(&mut self) -> Result<(), VectorError> {
        if self.graph.is_some() || self.flat.len() < self.opts.exact_below.max(1) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let n = self.flat.len();
        let g = Graph::new(&self.opts, n + n / 4)?;
        let flat = &self.flat;
        let dim = self.opts.dim;
        (0..n).into_par_iter().try_for_each_init(
            || vec![0.0f32; dim],
            |buf, i| {
                half::slice::HalfFloatSliceExt::convert_to_f32_slice(flat.row(i), buf);
                g.add(flat.keys()[i], buf)
            },
        )?;
        tracing::info!(
            vectors = n,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "built approximate index"
        );
        self.graph = Some(g);
        Ok(())
    }
}

fn check(opts: &IndexOptions, key: u64, v: &[f32]) -> Result<(), VectorError> {
    if v.len() != opts.dim {
        return Err(VectorError::WrongDimension {
            expected: opts.dim,
            got: v.len(),
        });
    }
    if !v
        .iter()
        .all(|x| x.is_finite() && x.abs() <= f32::from(half::f16::MAX))
    {
        return Err(VectorError::NotFinite { key });
    }
    Ok(())
}

fn query_ok(opts: &IndexOptions, q: &[f32]) -> bool {
    if q.len() != opts.dim {
        tracing::warn!(
            expected = opts.dim,
            got = q.len(),
            "query has the wrong dimension"
        );
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<VectorIndex>();
    }
}
