//! Bounded top-k selection of scored keys, best first, ties broken by the
//! smaller key so results are deterministic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::Neighbour;

/// A heap entry ordered so that the heap's top is the worst kept entry.
#[derive(Clone, Copy)]
struct Entry {
    key: u64,
    score: f32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// "Greater" means worse: a lower score, or an equal score and a larger key.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.key.cmp(&other.key))
    }
}

/// Keeps the `k` best (highest score) keys pushed into it.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Entry>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(4096) + 1),
        }
    }

    pub(crate) fn push(&mut self, key: u64, score: f32) {
        if self.k == 0 {
            return;
        }
        let e = Entry { key, score };
        if self.heap.len() < self.k {
            self.heap.push(e);
        } else if let Some(mut worst) = self.heap.peek_mut()
            && e < *worst
        {
            *worst = e;
        }
    }

    pub(crate) fn merge(mut self, other: TopK) -> TopK {
        for e in other.heap {
            self.push(e.key, e.score);
        }
        self
    }

    /// The kept entries, best first.
    pub(crate) fn into_sorted(self) -> Vec<Neighbour> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|e| Neighbour {
                key: e.key,
                score: e.score,
            })
            .collect()
    }
}
