//! Behaviour of `VectorIndex`: exact search against a naive computation, the
//! switch to the approximate graph, recall, filters, replace and remove,
//! wrong dimensions, and concurrent use.

use std::collections::HashSet;
use std::sync::Arc;

use dailypapers_vectors::{IndexOptions, Neighbour, VectorError, VectorIndex, synthetic};

const DIM: usize = 384;

fn opts(exact_below: usize) -> IndexOptions {
    IndexOptions {
        exact_below,
        ..IndexOptions::new(DIM)
    }
}

fn corpus(n: usize, seed: u64) -> Vec<(u64, Vec<f32>)> {
    synthetic::vectors(n, DIM, seed)
        .enumerate()
        .map(|(i, v)| (i as u64 * 3 + 7, v))
        .collect()
}

fn naive(index: &VectorIndex, keys: &[u64], q: &[f32], k: usize) -> Vec<Neighbour> {
    let mut all: Vec<Neighbour> = keys
        .iter()
        .map(|&key| {
            let v = index.vector(key).expect("stored");
            Neighbour {
                key,
                score: v.iter().zip(q).map(|(a, b)| a * b).sum(),
            }
        })
        .collect();
    all.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
    all.truncate(k);
    all
}

fn assert_same(a: &[Neighbour], b: &[Neighbour]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x.score - y.score).abs() < 1e-4, "{x:?} vs {y:?}");
    }
    // Keys agree except where scores tie within rounding.
    let ka: HashSet<u64> = a.iter().map(|n| n.key).collect();
    let kb: HashSet<u64> = b.iter().map(|n| n.key).collect();
    let differ = ka.symmetric_difference(&kb).count();
    assert!(differ <= 2, "{a:?}\n{b:?}");
}

#[test]
fn exact_search_matches_naive_computation() {
    let items = corpus(2_000, 1);
    let index = VectorIndex::new(opts(20_000));
    index.insert_batch(&items).unwrap();
    assert!(!index.is_approximate());
    assert_eq!(index.len(), 2_000);
    let keys: Vec<u64> = items.iter().map(|(k, _)| *k).collect();
    for q in synthetic::queries(20, 2_000, DIM, 1) {
        let expected = naive(&index, &keys, &q, 10);
        assert_same(&index.search_exact(&q, 10, None), &expected);
        assert_same(&index.search(&q, 10, None), &expected);
        let found = index.search(&q, 10, None);
        assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
    }
    // Scores are cosines of unit vectors.
    let (key, v) = &items[5];
    let top = index.search(v, 1, None);
    assert_eq!(top[0].key, *key);
    assert!((top[0].score - 1.0).abs() < 1e-2);
    // k larger than the index returns everything.
    assert_eq!(index.search(v, 5_000, None).len(), 2_000);
    assert!(index.search(v, 0, None).is_empty());
}

#[test]
fn search_among_scores_only_the_given_keys() {
    let items = corpus(500, 2);
    let index = VectorIndex::new(opts(20_000));
    index.insert_batch(&items).unwrap();
    let q = synthetic::queries(1, 500, DIM, 2).next().unwrap();
    let subset: Vec<u64> = items.iter().step_by(7).map(|(k, _)| *k).collect();
    let mut with_unknown = subset.clone();
    with_unknown.extend([1, 2, 999_999]);
    with_unknown.push(subset[0]);
    let found = index.search_among(&q, 5, &with_unknown);
    assert_same(&found, &naive(&index, &subset, &q, 5));
}

#[test]
fn switches_to_approximate_at_the_threshold() {
    let items = corpus(1_500, 3);
    let index = VectorIndex::new(opts(1_000));
    for (key, v) in &items[..999] {
        index.insert(*key, v).unwrap();
    }
    assert!(!index.is_approximate());
    index.insert(items[999].0, &items[999].1).unwrap();
    assert!(
        index.is_approximate(),
        "an insert reaching the threshold builds the graph"
    );
    index.insert_batch(&items[1_000..]).unwrap();
    assert_eq!(index.len(), 1_500);
    for (key, v) in items.iter().step_by(50) {
        assert_eq!(index.search(v, 1, None)[0].key, *key);
    }

    // A batch crossing the threshold switches too.
    let batch = VectorIndex::new(opts(1_000));
    batch.insert_batch(&items[..600]).unwrap();
    assert!(!batch.is_approximate());
    batch.insert_batch(&items[600..]).unwrap();
    assert!(batch.is_approximate());

    // Shrinking far below the threshold goes back to exact search.
    for (key, _) in &items[..1_100] {
        assert!(batch.remove(*key));
    }
    assert!(!batch.is_approximate());
    assert_eq!(batch.len(), 400);
}

#[test]
fn approximate_recall_at_10_is_at_least_095() {
    let n = 50_000;
    let items = corpus(n, 4);
    let index = VectorIndex::new(IndexOptions {
        exact_below: 10_000,
        expansion_add: 64,
        ..IndexOptions::new(DIM)
    });
    index.insert_batch(&items).unwrap();
    assert!(index.is_approximate());
    let mut hits = 0;
    let mut total = 0;
    for q in synthetic::queries(50, n, DIM, 4) {
        let exact = index.search_exact(&q, 10, None);
        let approx = index.search(&q, 10, None);
        assert_eq!(approx.len(), 10);
        total += exact.len();
        hits += exact
            .iter()
            .filter(|e| approx.iter().any(|a| a.key == e.key))
            .count();
    }
    let recall = hits as f64 / total as f64;
    assert!(recall >= 0.95, "recall@10 {recall}");
    // Memory stays within 1.5 KB a vector.
    let per = index.memory_bytes() / n;
    assert!(per <= 1536, "{per} bytes per vector");
}

#[test]
fn filters_are_honoured_exact_and_approximate() {
    let items = corpus(3_000, 5);
    for exact_below in [20_000, 1_000] {
        let index = VectorIndex::new(opts(exact_below));
        index.insert_batch(&items).unwrap();
        let q = synthetic::queries(1, 3_000, DIM, 5).next().unwrap();
        let even = |k: u64| k.is_multiple_of(2);
        for found in [
            index.search(&q, 10, Some(&even)),
            index.search_exact(&q, 10, Some(&even)),
        ] {
            assert_eq!(found.len(), 10);
            assert!(found.iter().all(|n| n.key.is_multiple_of(2)));
        }
        // A very selective filter still finds what passes it.
        let three = [items[10].0, items[2_000].0, items[2_999].0];
        let rare = move |k: u64| three.contains(&k);
        let found = index.search(&q, 10, Some(&rare));
        let mut keys: Vec<u64> = found.iter().map(|n| n.key).collect();
        keys.sort();
        assert_eq!(keys, three.to_vec());
        assert!(index.search(&q, 10, Some(&|_| false)).is_empty());
    }
}

#[test]
fn insert_replaces_and_remove_removes() {
    let items = corpus(1_200, 6);
    for exact_below in [20_000, 1_000] {
        let index = VectorIndex::new(opts(exact_below));
        index.insert_batch(&items).unwrap();
        let (key, _) = items[0];
        let other = items[1].1.clone();
        index.insert(key, &other).unwrap();
        assert_eq!(index.len(), 1_200);
        let got = index.vector(key).unwrap();
        assert!(got.iter().zip(&other).all(|(a, b)| (a - b).abs() < 1e-3));
        // The replaced vector is what the index finds the key by. Exactly,
        // the key and the paper whose vector it copied tie at the top; the
        // graph finds the key, but may not find both of two identical
        // vectors (HNSW's neighbour pruning keeps one of a pair at distance
        // zero), so only exact search is asked for the pair.
        let exact: HashSet<u64> = index
            .search_exact(&other, 2, None)
            .iter()
            .map(|n| n.key)
            .collect();
        assert_eq!(exact, HashSet::from([key, items[1].0]));
        let found = index.search(&other, 2, None);
        assert!(found.iter().any(|n| n.key == key), "{found:?}");
        assert!((found[0].score - 1.0).abs() < 1e-2, "{found:?}");

        // Replacing through a batch; the later duplicate wins.
        let third = items[2].1.clone();
        index
            .insert_batch(&[(key, items[3].1.clone()), (key, third.clone())])
            .unwrap();
        assert_eq!(index.len(), 1_200);
        assert!(index.search(&third, 2, None).iter().any(|n| n.key == key));

        assert!(index.remove(key));
        assert!(!index.remove(key));
        assert_eq!(index.len(), 1_199);
        assert!(index.vector(key).is_none());
        assert!(!index.contains(key));
        assert!(index.search(&third, 50, None).iter().all(|n| n.key != key));
        assert!(
            index
                .search_exact(&third, 2_000, None)
                .iter()
                .all(|n| n.key != key)
        );
        // Re-inserting a removed key works.
        index.insert(key, &third).unwrap();
        assert!(index.search(&third, 2, None).iter().any(|n| n.key == key));
    }
}

#[test]
fn wrong_dimension_is_an_error() {
    let index = VectorIndex::new(opts(20_000));
    let err = index.insert(1, &[0.5; 10]).unwrap_err();
    assert!(matches!(
        err,
        VectorError::WrongDimension {
            expected: 384,
            got: 10
        }
    ));
    let good = vec![0.05f32; DIM];
    let err = index
        .insert_batch(&[(1, good.clone()), (2, vec![0.1; 385])])
        .unwrap_err();
    assert!(matches!(err, VectorError::WrongDimension { got: 385, .. }));
    assert_eq!(index.len(), 0, "a rejected batch inserts nothing");
    let mut nan = good.clone();
    nan[3] = f32::NAN;
    assert!(matches!(
        index.insert(3, &nan),
        Err(VectorError::NotFinite { key: 3 })
    ));
    index.insert(1, &good).unwrap();
    assert!(index.search(&[0.1; 3], 5, None).is_empty());
    assert!(index.search_exact(&[0.1; 3], 5, None).is_empty());
    assert!(index.search_among(&[0.1; 3], 5, &[1]).is_empty());
}

#[test]
fn searches_run_while_inserting() {
    let items = corpus(4_000, 7);
    let index = Arc::new(VectorIndex::new(opts(1_000)));
    index.insert_batch(&items[..500]).unwrap();
    let writer = {
        let index = Arc::clone(&index);
        let rest = items[500..].to_vec();
        std::thread::spawn(move || {
            for chunk in rest.chunks(300) {
                index.insert_batch(chunk).unwrap();
            }
        })
    };
    let queries: Vec<Vec<f32>> = synthetic::queries(200, 4_000, DIM, 7).collect();
    std::thread::scope(|s| {
        for part in queries.chunks(100) {
            let index = &index;
            s.spawn(move || {
                for q in part {
                    assert!(!index.search(q, 10, None).is_empty());
                }
            });
        }
    });
    writer.join().unwrap();
    assert_eq!(index.len(), 4_000);
    assert!(index.is_approximate());
}
