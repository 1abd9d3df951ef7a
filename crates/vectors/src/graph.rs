//! The approximate graph: an HNSW index (usearch) over int8-quantised copies of
//! the vectors, used only to propose candidates that the flat store rescores.
//!
//! Each vector is quantised with its own scale (its largest component maps to
//! 127). Cosine is scale-invariant, so this keeps the graph's distances close
//! to the true cosine while using the whole int8 range, even though the
//! components of a 384-d unit vector are small.
//!
//! usearch serves a fixed number of concurrent callers (its "thread slots")
//! and fails a call when none is free; a small semaphore here makes callers
//! wait for a slot instead.

use std::sync::{Condvar, Mutex};

use usearch::ffi::{IndexOptions as UOptions, MetricKind, ScalarKind};

use crate::{IndexOptions, VectorError};

/// Concurrent callers usearch is prepared for.
const SLOTS: usize = 64;

pub(crate) struct Graph {
    index: usearch::Index,
    slots: Semaphore,
}

fn ann_error(e: impl std::fmt::Display) -> VectorError {
    VectorError::Ann(e.to_string())
}

fn usearch_options(opts: &IndexOptions) -> UOptions {
    UOptions {
        dimensions: opts.dim,
        metric: MetricKind::Cos,
        quantization: ScalarKind::I8,
        connectivity: opts.connectivity,
        expansion_add: opts.expansion_add,
        expansion_search: opts.expansion_search,
        multi: false,
    }
}

/// Quantises a vector to int8 with a per-vector scale.
pub(crate) fn quantize(v: &[f32]) -> Vec<i8> {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return vec![0; v.len()];
    }
    let scale = 127.0 / max;
    v.iter()
        .map(|x| (x * scale).round().clamp(-127.0, 127.0) as i8)
        .collect()
}

impl Graph {
    pub(crate) fn new(opts: &IndexOptions, capacity: usize) -> Result<Self, VectorError> {
        let index = usearch::Index::new(&usearch_options(opts)).map_err(ann_error)?;
        let g = Graph {
            index,
            slots: Semaphore::new(SLOTS),
        };
        g.reserve(capacity)?;
        Ok(g)
    }

    /// Restores a graph saved by [`Graph::to_bytes`].
    pub(crate) fn from_bytes(opts: &IndexOptions, bytes: &[u8]) -> Result<Self, VectorError> {
        let index = usearch::Index::new(&usearch_options(opts)).map_err(ann_error)?;
        index.load_from_buffer(bytes).map_err(ann_error)?;
        if index.dimensions() != opts.dim {
            return Err(ann_error("graph dimension differs from the header"));
        }
        index.change_expansion_add(opts.expansion_add);
        index.change_expansion_search(opts.expansion_search);
        // A loaded index is sized for the machine's cores; size it for our slots.
        let size = index.size();
        index
            .reserve_capacity_and_threads((size + size / 4).max(1024), SLOTS)
            .map_err(ann_error)?;
        Ok(Graph {
            index,
            slots: Semaphore::new(SLOTS),
        })
    }

    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, VectorError> {
        let mut buf = vec![0u8; self.index.serialized_length()];
        self.index.save_to_buffer(&mut buf).map_err(ann_error)?;
        Ok(buf)
    }

    pub(crate) fn len(&self) -> usize {
        self.index.size()
    }

    /// Makes room for `capacity` entries. Must not run concurrently with other
    /// calls on this graph (the index's write lock guarantees that).
    pub(crate) fn reserve(&self, capacity: usize) -> Result<(), VectorError> {
        let capacity = capacity.max(self.index.size()).max(1024);
        if capacity > self.index.capacity() {
            self.index
                .reserve_capacity_and_threads(capacity, SLOTS)
                .map_err(ann_error)?;
        }
        Ok(())
    }

    /// Grows capacity geometrically (by a quarter) so that `needed` entries fit.
    pub(crate) fn ensure_capacity(&self, needed: usize) -> Result<(), VectorError> {
        if needed > self.index.capacity() {
            self.reserve(needed.max(self.index.capacity() * 5 / 4))?;
        }
        Ok(())
    }

    pub(crate) fn set_expansion_search(&self, ef: usize) {
        self.index.change_expansion_search(ef);
    }

    /// Adds `key` (which must not be present; see [`Graph::remove`]).
    pub(crate) fn add(&self, key: u64, v: &[f32]) -> Result<(), VectorError> {
        let q = quantize(v);
        let _slot = self.slots.acquire();
        self.index.add(key, &q).map_err(ann_error)
    }

    pub(crate) fn remove(&self, key: u64) -> Result<(), VectorError> {
        let _slot = self.slots.acquire();
        self.index.remove(key).map(|_| ()).map_err(ann_error)
    }

    /// Up to `count` candidate keys near `q`, best first by the int8 distance.
    pub(crate) fn candidates(
        &self,
        q: &[f32],
        count: usize,
        filter: Option<&(dyn Fn(u64) -> bool + Sync)>,
    ) -> Result<Vec<u64>, VectorError> {
        let qq = quantize(q);
        let _slot = self.slots.acquire();
        let m = match filter {
            None => self.index.search(&qq, count),
            Some(f) => self.index.filtered_search(&qq, count, f),
        }
        .map_err(ann_error)?;
        Ok(m.keys)
    }

    /// Memory in use. usearch's own figure also counts the unused tail of
    /// its arenas (which grow by doubling and are only touched as they fill),
    /// so that tail is subtracted.
    pub(crate) fn memory_bytes(&self) -> usize {
        let s = self.index.memory_stats();
        self.index
            .memory_usage()
            .saturating_sub(s.graph_reserved + s.vectors_reserved)
    }
}

/// A counting semaphore (std has none).
struct Semaphore {
    free: Mutex<usize>,
    cv: Condvar,
}

struct Permit<'a>(&'a Semaphore);

impl Semaphore {
    fn new(n: usize) -> Self {
        Semaphore {
            free: Mutex::new(n),
            cv: Condvar::new(),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.cv.notify_one();
    }
}
