//! Top-k collectors keyed by the store's document number: by score (with
//! block-max WAND pruning), by publication day or by upvotes, each with
//! `doc` ascending as the tie-break, so results never depend on how the
//! index happens to be split into segments.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues};
use tantivy::query::Weight;
use tantivy::{DateTime, DocId, Score, SegmentOrdinal, SegmentReader};

use super::Sort;
use super::index::{F_DOC, F_PUBLISHED, F_UPVOTES};

/// A collected document: its sort key (greater first), `doc`, BM25 score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub key: u64,
    pub doc: u64,
    pub score: Score,
}

impl Entry {
    /// Better entries compare greater.
    fn rank(&self, other: &Self) -> Ordering {
        self.key
            .cmp(&other.key)
            .then_with(|| other.doc.cmp(&self.doc))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

/// Maps a score to a `u64` with the same order.
pub(crate) fn score_key(s: Score) -> u64 {
    let b = s.to_bits();
    u64::from(if b >> 31 == 1 { !b } else { b | 0x8000_0000 })
}

/// The `k` best entries.
struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Entry>>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    fn push(&mut self, e: Entry) {
        if self.heap.len() < self.k {
            self.heap.push(Reverse(e));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && e > worst.0
        {
            *worst = Reverse(e);
        }
    }

    fn is_full(&self) -> bool {
        self.heap.len() >= self.k
    }

    fn worst(&self) -> Option<&Entry> {
        self.heap.peek().map(|r| &r.0)
    }

    fn into_vec(self) -> Vec<Entry> {
        self.heap.into_iter().map(|r| r.0).collect()
    }
}

/// Collects the `k` best documents under `sort`.
pub(crate) struct TopCollector {
    pub k: usize,
    pub sort: Sort,
}

enum KeyReader {
    Score,
    Published(Column<DateTime>),
    Upvotes(Arc<dyn ColumnValues<u64>>),
}

impl KeyReader {
    fn key(&self, doc: DocId, score: Score) -> u64 {
        match self {
            KeyReader::Score => score_key(score),
            // Papers without a day sort after every dated one.
            KeyReader::Published(col) => col
                .first(doc)
                .map(|d| (d.into_timestamp_secs() as u64) ^ (1 << 63))
                .map_or(0, |k| k.max(1)),
            KeyReader::Upvotes(col) => col.get_val(doc),
        }
    }
}

pub(crate) struct TopSegmentCollector {
    top: TopK,
    keys: KeyReader,
    docs: Arc<dyn ColumnValues<u64>>,
}

impl SegmentCollector for TopSegmentCollector {
    type Fruit = Vec<Entry>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let key = self.keys.key(doc, score);
        if let Some(worst) = self.top.worst()
            && self.top.is_full()
            && key < worst.key
        {
            return;
        }
        self.top.push(Entry {
            key,
            doc: self.docs.get_val(doc),
            score,
        });
    }

    fn harvest(self) -> Vec<Entry> {
        self.top.into_vec()
    }
}

impl Collector for TopCollector {
    type Fruit = Vec<Entry>;
    type Child = TopSegmentCollector;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<TopSegmentCollector> {
        let ff = reader.fast_fields();
        let keys = match self.sort {
            Sort::Relevance => KeyReader::Score,
            Sort::Newest => KeyReader::Published(ff.date(F_PUBLISHED)?),
            Sort::Upvotes => KeyReader::Upvotes(ff.u64(F_UPVOTES)?.first_or_default_col(0)),
        };
        Ok(TopSegmentCollector {
            top: TopK::new(self.k),
            keys,
            docs: ff.u64(F_DOC)?.first_or_default_col(0),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Entry>>) -> tantivy::Result<Vec<Entry>> {
        let mut all: Vec<Entry> = fruits.into_iter().flatten().collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        all.truncate(self.k);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Vec<Entry>> {
        let mut child = self.for_segment(segment_ord, reader)?;
        if self.k == 0 {
            return Ok(Vec::new());
        }
        if self.sort != Sort::Relevance {
            let alive = reader.alive_bitset();
            weight.for_each(reader, &mut |doc, score| {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    child.collect(doc, score);
                }
            })?;
            return Ok(child.harvest());
        }
        // By score: the threshold handed back is just under the k-th score,
        // so documents that tie with it still arrive and `doc` decides.
        let alive = reader.alive_bitset();
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                child.collect(doc, score);
            }
            match child.top.worst() {
                Some(w) if child.top.is_full() => w.score.next_down(),
                _ => Score::MIN,
            }
        })?;
        Ok(child.harvest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_keys_keep_the_order() {
        let scores = [-3.5f32, -0.0, 0.0, 1e-9, 0.5, 2.0, 1e9];
        for w in scores.windows(2) {
            assert!(score_key(w[0]) <= score_key(w[1]), "{w:?}");
        }
    }

    #[test]
    fn ties_go_to_the_lower_doc() {
        let mut top = TopK::new(2);
        for doc in [9, 3, 7, 1] {
            top.push(Entry {
                key: 5,
                doc,
                score: 1.0,
            });
        }
        let mut v = top.into_vec();
        v.sort_by(|a, b| b.cmp(a));
        assert_eq!(v.iter().map(|e| e.doc).collect::<Vec<_>>(), [1, 3]);
    }
}
